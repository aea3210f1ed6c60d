"""Professional prompt recordings (the prompt recordings page): uploaded in Invoca's UI (the
sandbox's control API stands in for it), listed by the network and advertiser GETs, and
assigned to IVR nodes by ``prompt_id_from_network``; and the IVR tree settings the
campaign-feature pages set one at a time."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


def base(world: dict[str, Any]) -> str:
    return f"/api/2022-08-01/{world['network_id']}"


def campaign(world: dict[str, Any]) -> str:
    return (f"{base(world)}/advertisers/{world['advertiser_id_from_network']}/"
            f"advertiser_campaigns/{world['advertiser_campaign_id_from_network']}.json")


RECORDING = {"id_from_network": "rec34", "prompt_text": "Thank you for calling.",
             "prompt_url": "http://example.com/recording.wav",
             "prompt_received": "2015-08-02 08:49:28 -0700"}


def connect(**node: Any) -> dict[str, Any]:
    return {"ivr_tree": {"record_calls": False, "root": {
        "node_type": "Connect", "destination_phone_number": "8056173768",
        "destination_country_code": "", **node}}}


def test_recordings_are_listed_when_the_network_and_its_advertiser_are_read(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    network = sandbox.get(f"{base(world)}/network.json", headers=auth).get_json()
    assert network["prompt_recordings"] == []
    made = sandbox.post("/_sandbox/prompt_recordings", json=RECORDING)
    assert made.status_code == 201
    own = {**RECORDING, "id_from_network": "rec736",
           "advertiser_id_from_network": world["advertiser_id_from_network"]}
    assert sandbox.post("/_sandbox/prompt_recordings", json=own).status_code == 201
    network = sandbox.get(f"{base(world)}/network.json", headers=auth).get_json()
    advertiser = sandbox.get(
        f"{base(world)}/advertisers/{world['advertiser_id_from_network']}.json",
        headers=auth).get_json()
    assert network["prompt_recordings"] == [RECORDING]
    assert [r["id_from_network"] for r in advertiser["prompt_recordings"]] == ["rec736"]


def test_node_shows_the_recording_when_it_names_one(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    sandbox.post("/_sandbox/prompt_recordings", json=RECORDING)
    posted = sandbox.post(campaign(world), json=connect(prompt_id_from_network="rec34"),
                          headers=auth)
    assert posted.status_code == 201
    root = posted.get_json()["future_terms"]["ivr_tree"]["root"]
    assert (root["prompt"], root["prompt_url"], root["prompt_received"]) == (
        RECORDING["prompt_text"], RECORDING["prompt_url"], RECORDING["prompt_received"])
    unassigned = sandbox.post(campaign(world), json=connect(prompt_id_from_network=""),
                              headers=auth).get_json()["future_terms"]["ivr_tree"]["root"]
    assert "prompt_url" not in unassigned and unassigned["prompt_id_from_network"] == ""


def test_unknown_recording_is_refused_at_its_node_and_changes_nothing(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    before = sandbox.get(campaign(world), headers=auth).get_json()
    refused = sandbox.post(campaign(world), json=connect(prompt_id_from_network="nope"),
                           headers=auth)
    assert refused.status_code == 403
    assert refused.get_json() == {"error": {"ivr_tree": {"prompt_id_from_network": [
        "is not a prompt recording of this campaign's network or advertiser"]}}}
    assert sandbox.get(campaign(world), headers=auth).get_json() == before


def test_another_advertisers_recording_is_refused_when_a_node_names_it(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    other = f"{base(world)}/advertisers/adv-other.json"
    assert sandbox.post(other, json={"name": "Other"}, headers=auth).status_code == 201
    sandbox.post("/_sandbox/prompt_recordings",
                 json={**RECORDING, "advertiser_id_from_network": "adv-other"})
    refused = sandbox.post(campaign(world), json=connect(prompt_id_from_network="rec34"),
                           headers=auth)
    assert refused.status_code == 403


def test_tree_settings_accumulate_when_feature_pages_post_them_one_by_one(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    sandbox.post("/_sandbox/prompt_recordings", json=RECORDING)
    text = connect(custom_challenge_prompt_text="x")
    text["ivr_tree"]["custom_challenge_prompt_text"] = "Thank you for calling."
    assert sandbox.post(campaign(world), json=text, headers=auth).status_code == 201
    by_id = connect()
    by_id["ivr_tree"]["custom_challenge_prompt_id_from_network"] = "rec34"
    tree = sandbox.post(campaign(world), json=by_id,
                        headers=auth).get_json()["future_terms"]["ivr_tree"]
    assert tree["custom_challenge_prompt_text"] == "Thank you for calling."
    assert tree["custom_challenge_prompt_id_from_network"] == "rec34"
    assert "custom_challenge_prompt_text" not in tree["root"]


def test_recording_is_refused_when_its_fields_are_missing(sandbox: FlaskClient) -> None:
    refused = sandbox.post("/_sandbox/prompt_recordings", json={"id_from_network": "r"})
    assert refused.status_code == 403
    assert refused.get_json()["errors"]["prompt_text"] == ["can't be blank"]
