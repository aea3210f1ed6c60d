"""The campaign-feature pages' IVR settings, validated as documented: speech recognition, call
recording and whisper conditions (the ivr_tree_conditions grammar), call activity tracking,
whisper / challenge / error prompts and their recordings, prompt voice, the call-recorded
prompt, Condition and RingGroup nodes. Refusals use the docs' IVR error body and change
nothing; a GET shows what was stored."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from simulator.ivr_conditions import condition_error


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


def campaign(world: dict[str, Any]) -> str:
    return (f"/api/2022-08-01/{world['network_id']}/advertisers/"
            f"{world['advertiser_id_from_network']}/advertiser_campaigns/"
            f"{world['advertiser_campaign_id_from_network']}.json")


ROOT = {"node_type": "Connect", "destination_phone_number": "8056173768",
        "destination_country_code": ""}
RECORDING = {"id_from_network": "rec34", "prompt_text": "Thank you for calling.",
             "prompt_url": "http://example.com/recording.wav",
             "prompt_received": "2015-08-02 08:49:28 -0700"}


def tree(**settings: Any) -> dict[str, Any]:
    return {"ivr_tree": {"record_calls": False, "root": ROOT, **settings}}


def stored_tree(sandbox: FlaskClient, world: dict[str, Any],
                auth: dict[str, str]) -> dict[str, Any]:
    body = sandbox.get(campaign(world), headers=auth).get_json()
    return body["future_terms"]["ivr_tree"]


def refused(sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
            body: dict[str, Any]) -> dict[str, Any]:
    before = sandbox.get(campaign(world), headers=auth).get_json()
    answer = sandbox.post(campaign(world), json=body, headers=auth)
    assert answer.status_code == 403, answer.get_json()
    assert sandbox.get(campaign(world), headers=auth).get_json() == before
    errors: dict[str, Any] = answer.get_json()["error"]["ivr_tree"]
    return errors


@pytest.mark.parametrize("text", [
    "during_hours", "repeat and during_hours", "not during_hours",
    "mobile and (repeat or during_hours)", "mobile or repeat and during_hours", "pressed[3]",
    "pressed[1 1 2]", 'custom_data[product] = "Printer"', 'custom_data[product] != "Fax Machine"',
    'custom_data[product] contains "Chair"', "custom_data[product] present",
    'affiliate_name = "Captain Crunch Publishing"', 'media_type contains "Online"',
    "promo_number_description present", "duration > 60", "duration >= 1 min 30 sec",
    "in_region or duration > 12 sec", "pressed[a 1] and not (in_region or during_hours)",
    "in_region[West Coast]", "landline", "sms_sent",
])
def test_condition_parses_when_it_is_one_of_the_docs_examples(text: str) -> None:
    assert condition_error(text) is None


@pytest.mark.parametrize("text", [
    "during_hour", "during_hours and", "(mobile", "mobile)", "pressed[0]", "pressed[]",
    "affiliate_name", "affiliate_name = Foo", "custom_data present", "duration >",
    "mobile & repeat", "and mobile", "not", "during_hours repeat", "pressed[1  2]",
])
def test_condition_is_refused_when_it_breaks_the_grammar(text: str) -> None:
    assert condition_error(text) is not None


def test_settings_are_stored_and_read_back_when_each_feature_page_posts_them(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    sandbox.post("/_sandbox/prompt_recordings", json=RECORDING)
    settings = {
        "asr_enabled": "true", "call_recording_condition": "during_hours and repeat",
        "call_activity_tracking": "SaveActivityOnCallImport",
        "whisper_prompt_text": "How are you today?", "whisper_prompt_id_from_network": "rec34",
        "whisper_prompt_condition": 'custom_data[product] = "Printer"',
        "custom_challenge_prompt_id_from_network": "rec34",
        "custom_wrong_keypress_error_prompt_text": "You pressed an invalid key.",
        "custom_no_keypress_error_prompt_id_from_network": "rec34",
        "tts_voice_talent_id": "15", "play_call_recorded_prompt": False,
    }
    for name, value in settings.items():
        answer = sandbox.post(campaign(world), json=tree(**{name: value}), headers=auth)
        assert answer.status_code == 201, (name, answer.get_json())
    shown = stored_tree(sandbox, world, auth)
    assert shown["asr_enabled"] is True and shown["tts_voice_talent_id"] == 15
    assert {name: shown[name] for name in settings if name not in (
        "asr_enabled", "tts_voice_talent_id")} == {
        name: value for name, value in settings.items() if name not in (
            "asr_enabled", "tts_voice_talent_id")}


def test_condition_is_removed_when_an_empty_string_is_posted(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    sandbox.post(campaign(world), json=tree(record_calls=True,
                                            call_recording_condition="repeat"), headers=auth)
    sandbox.post(campaign(world), json=tree(record_calls=True, call_recording_condition=""),
                 headers=auth)
    assert stored_tree(sandbox, world, auth)["call_recording_condition"] == ""


def test_bad_recording_condition_is_the_docs_ivr_error_and_changes_nothing(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    errors = refused(sandbox, world, auth, tree(call_recording_condition="during_hours or"))
    assert errors == {"call_recording_condition": [
        "is not a valid condition: unexpected end of condition"]}


def test_whisper_condition_is_refused_when_no_whisper_prompt_is_set(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    errors = refused(sandbox, world, auth, tree(whisper_prompt_condition="repeat"))
    assert list(errors) == ["whisper_prompt_condition"]


def test_unknown_tracking_option_is_refused_when_posted(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    errors = refused(sandbox, world, auth, tree(call_activity_tracking="Always"))
    assert errors == {"call_activity_tracking": ["is not included in the list"]}


@pytest.mark.parametrize("voice", [1, 4, 33, "99"])
def test_unknown_voice_is_refused_when_it_is_in_no_documented_table(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], voice: Any
) -> None:
    errors = refused(sandbox, world, auth, tree(tts_voice_talent_id=voice))
    assert errors == {"tts_voice_talent_id": ["is not included in the list"]}


def test_voice_is_refused_when_it_belongs_to_another_language(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    errors = refused(sandbox, world, auth, tree(tts_voice_talent_id=22))
    assert errors == {"tts_voice_talent_id": [
        "is not a voice of the campaign's language (English)"]}
    french = {"campaign_language": "French", **tree(tts_voice_talent_id=22)}
    assert sandbox.post(campaign(world), json=french, headers=auth).status_code == 201


@pytest.mark.parametrize("name", [
    "whisper_prompt_id_from_network", "custom_challenge_prompt_id_from_network",
    "custom_wrong_keypress_error_prompt_id_from_network",
    "custom_no_keypress_error_prompt_id_from_network",
])
def test_dangling_prompt_reference_is_refused_when_no_recording_has_that_id(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], name: str
) -> None:
    errors = refused(sandbox, world, auth, tree(**{name: "rec999"}))
    assert errors == {name: ["is not a prompt recording of this campaign's network or advertiser"]}


def test_condition_node_is_refused_when_its_condition_breaks_the_grammar(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    root = {"node_type": "Condition", "condition": "pressed[0]", "children": [ROOT, ROOT]}
    errors = refused(sandbox, world, auth, {"ivr_tree": {"root": root}})
    assert list(errors) == ["condition"]
    assert errors["condition"][0].startswith("is not a valid condition")


def test_ring_group_destinations_are_checked_one_by_one_when_posted(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    root = {"node_type": "RingGroup", "ring_group_connect_timeout": 20,
            "ring_group_destinations": [
                {"ring_group_number": "800-444-1111", "description": "Call Center 1"},
                {"description": "no number"},
                {"ring_group_number": "800-444-2222", "distribution_weight": 2}]}
    errors = refused(sandbox, world, auth, {"ivr_tree": {"root": root}})
    assert errors == {"ring_group_destinations": [
        {}, {"ring_group_number": ["cannot be empty"]},
        {"distribution_weight": ["may only be set when distribution_method is Weighted"]}]}
    weighted = {**root, "distribution_method": "Weighted",
                "ring_group_destinations": [root["ring_group_destinations"][0],
                                            root["ring_group_destinations"][2]]}
    answer = sandbox.post(campaign(world), json={"ivr_tree": {"root": weighted}}, headers=auth)
    assert answer.status_code == 201
    assert stored_tree(sandbox, world, auth)["root"]["ring_group_destinations"] == (
        weighted["ring_group_destinations"])


def test_ring_group_limit_is_refused_when_the_method_is_not_random(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    root = {"node_type": "RingGroup", "ring_group_connect_timeout": 20,
            "distribution_method": "Sequential", "ring_group_destination_total_limit": 2,
            "ring_group_destinations": [{"ring_group_number": "800-444-1111"}]}
    errors = refused(sandbox, world, auth, {"ivr_tree": {"root": root}})
    assert errors == {"distribution_method": ["is not included in the list"],
                      "ring_group_destination_total_limit": [
                          "may only be set when distribution_method is Random"]}
