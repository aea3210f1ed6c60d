"""Advertiser campaign writes: the merging upsert (Campaign Terms are the exception to
full-object updates), the item-path POST of the campaign-feature pages, staged terms, the
IVR node rules and the GET forms of the campaign actions."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


def campaigns(world: dict[str, Any], version: str = "2022-08-01") -> str:
    return (f"/api/{version}/{world['network_id']}/advertisers/"
            f"{world['advertiser_id_from_network']}/advertiser_campaigns")


def campaign(world: dict[str, Any], version: str = "2022-08-01") -> str:
    return f"{campaigns(world, version)}/{world['advertiser_campaign_id_from_network']}"


#: the body of the docs' speech recognition page (POST to the campaign's item path)
ASR = {"ivr_tree": {"asr_enabled": True, "root": {
    "node_type": "YesOrNo", "prompt": "Are you having a good day?",
    "children": [
        {"node_type": "Connect", "destination_phone_number": "8007381560",
         "destination_country_code": "1"},
        {"node_type": "Connect", "destination_phone_number": "8007381560",
         "destination_country_code": "1"},
    ]}}}


def test_feature_body_merges_into_the_campaign_when_posted_to_its_item_path(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    before = sandbox.get(f"{campaign(world)}.json", headers=auth).get_json()
    posted = sandbox.post(f"{campaign(world)}.json", json=ASR, headers=auth)
    assert posted.status_code == 201
    after = posted.get_json()
    assert after["future_terms"]["ivr_tree"] == ASR["ivr_tree"]
    assert after["name"] == before["name"]
    assert after["future_terms"]["url"] == before["current_terms"]["url"]


@pytest.mark.parametrize("verb", ["PUT", "POST"])
def test_name_is_required_when_an_item_path_write_creates_the_campaign(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], verb: str
) -> None:
    path = f"{campaigns(world)}/new-camp.json"
    refused = sandbox.open(path, method=verb, json=ASR, headers=auth)
    assert refused.status_code == 403
    assert refused.get_json() == {"errors": {"name": ["can't be blank"]}}
    assert sandbox.get(path, headers=auth).status_code == 404
    created = sandbox.open(path, method=verb, json={"name": "New", **ASR}, headers=auth)
    assert created.status_code == (201 if verb == "POST" else 200)
    assert created.get_json()["id_from_network"] == "new-camp"


def test_partial_put_keeps_every_other_field_when_only_the_ivr_tree_is_sent(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    path = f"{campaign(world)}.json"
    sandbox.put(path, json={"description": "Half price", "auto_approve": "All"}, headers=auth)
    updated = sandbox.put(path, json={"ivr_tree": ASR["ivr_tree"]}, headers=auth)
    assert updated.status_code == 200
    terms = updated.get_json()["future_terms"]
    assert (terms["description"], terms["auto_approve"]) == ("Half price", "All")
    assert terms["ivr_tree"] == ASR["ivr_tree"]


def test_changes_are_staged_in_future_terms_when_the_campaign_is_live(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    path = f"{campaign(world)}.json"
    sandbox.put(path, json={"description": "First terms"}, headers=auth)
    live = sandbox.post(f"{campaign(world)}/go_live.json", json={"timeout": 10},
                        headers=auth).get_json()
    assert live["status"] == "Live"
    assert live["future_terms"] is None
    assert live["current_terms"]["description"] == "First terms"
    staged = sandbox.put(path, json={"description": "Second terms"}, headers=auth).get_json()
    assert staged["current_terms"]["description"] == "First terms"
    assert staged["future_terms"]["description"] == "Second terms"
    assert staged["future_terms"]["go_live_date"] is None
    promoted = sandbox.post(f"{campaign(world)}/go_live.json", headers=auth).get_json()
    assert promoted["current_terms"]["description"] == "Second terms"
    assert promoted["future_terms"] is None


def test_go_live_is_refused_when_the_campaign_is_archived(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    assert sandbox.post(f"{campaign(world)}/archive.json", headers=auth).get_json() == {}
    refused = sandbox.post(f"{campaign(world)}/go_live.json", headers=auth)
    assert refused.status_code == 403
    assert refused.get_json()["errors"]["class"] == "RecordInvalid"
    sandbox.post(f"{campaign(world)}/unarchive.json", headers=auth)
    assert sandbox.post(f"{campaign(world)}/go_live.json", headers=auth).status_code == 200


#: the docs' payin and payout (advertiser_campaigns/_post_advertiser_campaign.rst) and the
#: summaries their GET example shows for them
PAYIN = {"policies": [{"condition": "duration > 2 min 30 sec", "type": "Base",
                       "currency": "EUR", "amount": 7.0}]}
PAYOUT = {"policies": [
    {"condition": "", "amount": 4.5, "currency": "USD", "type": "Base"},
    {"condition": "duration > 60", "amount": 2.75, "currency": "USD", "type": "Bonus"},
]}


def test_pay_terms_carry_the_docs_summary_when_read(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    terms = sandbox.put(f"{campaign(world)}.json", headers=auth, json={
        "advertiser_payin": PAYIN, "affiliate_payout": PAYOUT,
    }).get_json()["current_terms"]
    payin, payout = terms["advertiser_payin"], terms["affiliate_payout"]
    assert {k: payin[k] for k in ("min", "max", "currency", "pricing", "range")} == {
        "min": 7, "max": 7, "currency": "EUR",
        "pricing": "€7.00 per call if duration > 2 min 30 sec", "range": "€7.00 per call",
    }
    assert {k: payout[k] for k in ("min", "max", "currency", "pricing", "range")} == {
        "min": 4.5, "max": 7.25, "currency": "USD",
        "pricing": "Base: $4.50 per call Bonus: $2.75 per call if duration > 60",
        "range": "$4.50 - $7.25 per call",
    }
    assert terms["pricing_type"] == "Fixed"


def test_pay_summary_is_recomputed_when_a_stale_one_is_sent_back(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    stale = {**PAYOUT, "min": 1, "max": 2, "pricing": "old", "range": "old", "currency": "GBP"}
    terms = sandbox.put(f"{campaign(world)}.json", json={"affiliate_payout": stale},
                        headers=auth).get_json()["current_terms"]
    assert (terms["affiliate_payout"]["min"], terms["affiliate_payout"]["range"]) == (
        4.5, "$4.50 - $7.25 per call")


def test_affiliate_campaign_shows_the_campaign_pay_summary_when_read(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    sandbox.put(f"{campaign(world)}.json", json={"affiliate_payout": PAYOUT}, headers=auth)
    held = sandbox.get(f"{campaign(world)}/affiliates/{world['affiliate_id_from_network']}"
                       "/affiliate_campaigns.json", headers=auth).get_json()
    assert held["current_terms"]["affiliate_payout"]["range"] == "$4.50 - $7.25 per call"
    assert held["current_terms"]["pricing_type"] == "Fixed"


#: the docs' IVR error example (advertiser_campaigns/index.rst, "Error Handling")
EMPTY_PROMPT_TREE = {"root": {
    "node_type": "Menu", "prompt": "Prompt text", "prompt_id_from_network": "",
    "prompt_url": None, "prompt_recieved": None,
    "children": [{
        "node_type": "Menu", "prompt": "", "prompt_id_from_network": "", "prompt_url": None,
        "prompt_recieved": None,
        "children": [{"node_type": "EndCall", "prompt": "", "prompt_id_from_network": "",
                      "prompt_url": None, "prompt_recieved": None}],
    }],
}}


@pytest.mark.parametrize("version", ["2016-10-01", "2022-08-01"])
def test_ivr_error_is_the_docs_body_when_a_menu_prompt_is_empty(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], version: str
) -> None:
    path = f"{campaign(world, version)}.json"
    before = sandbox.get(path, headers=auth).get_json()
    refused = sandbox.put(path, json={"ivr_tree": EMPTY_PROMPT_TREE}, headers=auth)
    assert refused.status_code == 403
    assert refused.get_json() == {
        "error": {"ivr_tree": {"children": [{"0": {"prompt": ["cannot be empty"]}}]}}
    }
    assert sandbox.get(path, headers=auth).get_json() == before


@pytest.mark.parametrize(("action", "status"),
                         [("go_live", "Live"), ("archive", "Archived"), ("unarchive", "Paused")])
def test_get_form_acts_like_the_post_when_the_2016_docs_use_it(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], action: str, status: str
) -> None:
    base = campaign(world, "2016-10-01")
    answered = sandbox.get(f"{base}/{action}.json?timeout=10", headers=auth)
    assert answered.status_code == 200
    assert sandbox.get(f"{base}.json", headers=auth).get_json()["status"] == status


@pytest.mark.parametrize("action", ["go_live", "archive", "unarchive"])
def test_get_form_is_404_when_the_version_dropped_it(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], action: str
) -> None:
    answered = sandbox.get(f"{campaign(world)}/{action}.json", headers=auth)
    assert answered.status_code == 404
    assert answered.get_json()["errors"]["class"] == "RecordNotFound"


def test_current_terms_id_is_text_when_read_as_the_docs_show_it(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    read = sandbox.get(f"{campaign(world)}.json", headers=auth).get_json()
    assert read["current_terms"]["id"] == str(read["id"])
