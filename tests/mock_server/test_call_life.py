"""A call's life on the sandbox clock, through HTTP: Calls In Progress while live, values set
during the call in its transaction, the transcript in the four documented formats.

Every answer of a contract route is checked against the contract (``ContractCheckingClient``).
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

CIP = "/api/2022-08-01/calls_in_progress"
TRANSACTIONS = "/api/2021-08-09/networks/transactions"
FORMATS = ("caller", "agent", "caller_agent_block", "caller_agent_conversation")


@pytest.fixture
def token(world: dict[str, Any]) -> str:
    return str(world["api_token"])


@pytest.fixture
def auth(token: str) -> dict[str, str]:
    return {"Authorization": token}


@pytest.fixture
def promo_number(sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> str:
    path = (f"/api/2022-08-01/{world['network_id']}/advertisers/"
            f"{world['advertiser_id_from_network']}/advertiser_campaigns/"
            f"{world['advertiser_campaign_id_from_network']}/promo_numbers.json")
    answer = sandbox.post(path, json={"description": "Life", "media_type": "Online: Display",
                                      "custom_data": {"utm_source": "google.com"}},
                          headers=auth)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return str(answer.get_json()["promo_number"])


def _organization(world: dict[str, Any], **more: str) -> dict[str, Any]:
    return {"id": world["network_id"], "organization_type": "Network", **more}


def _current(sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
             **filters: str) -> list[dict[str, Any]]:
    answer = sandbox.get(f"{CIP}/current_calls.json", query_string=_organization(
        world, **filters), headers=auth)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    calls: list[dict[str, Any]] = answer.get_json()["current_calls"]
    return calls


def _advance(sandbox: FlaskClient, seconds: int) -> None:
    assert sandbox.post("/_sandbox/clock", json={"advance_seconds": seconds}).status_code == 200


def _call(sandbox: FlaskClient, **body: Any) -> dict[str, Any]:
    answer = sandbox.post("/_sandbox/calls", json=body)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    made: dict[str, Any] = answer.get_json()
    return made


def _rows(sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
          **query: str) -> list[dict[str, Any]]:
    answer = sandbox.get(f"{TRANSACTIONS}/{world['network_id']}.json", query_string=query,
                         headers=auth)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    rows: list[dict[str, Any]] = answer.get_json()
    return rows


def test_call_with_phases_is_live_then_its_transaction_when_the_clock_passes_its_end(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
        promo_number: str) -> None:
    """The issue's "Done when" script for a simulated call."""
    made = _call(sandbox, promo_number=promo_number, ring_seconds=20, talk_seconds=240,
                 calling_phone_number="5309999999", destination_phone_number="8555595599",
                 custom_data={"channel": "SEM"})
    transaction_id = made["transaction_id"]
    assert made["call_status"] == "ringing"

    # before the transfer: not in progress, no transaction yet
    assert _current(sandbox, world, auth) == []
    assert _rows(sandbox, world, auth, transaction_id=transaction_id) == []

    _advance(sandbox, 20)
    live = _current(sandbox, world, auth)
    assert [call["transaction_id"] for call in live] == [transaction_id]
    call = live[0]
    assert call["call_status"] == "bridged"
    assert call["calling_phone_number"] == "+15309999999"
    assert call["destination_phone_number"] == "+18555595599"
    assert call["called_phone_number"] == f"+1{promo_number}"
    assert call["call_record_id"] == made["complete_call_id"]
    assert call["external_unique_id"] is None
    assert call["custom_data"] == {
        "utm_source": {"value": "google.com", "source": "VirtualLine"},
        "channel": {"value": "SEM", "source": "DynamicAttribution"},
        "demographics_data": {},
    }

    updated = sandbox.put(f"{CIP}.json", query_string=_organization(
        world, transaction_id=transaction_id), headers=auth, json={"call_in_progress": {
            "external_unique_id": "mycalls00001",
            "custom_data": [{"name": "lead_type", "value": "StoreCall"}]}})
    assert updated.status_code == 202
    assert updated.get_json()["current_calls"][0]["external_unique_id"] == "mycalls00001"
    # "You will not see the new custom data field value in the response"
    assert "lead_type" not in updated.get_json()["current_calls"][0]["custom_data"]
    by_id = _current(sandbox, world, auth, external_unique_id="mycalls00001")
    assert [c["transaction_id"] for c in by_id] == [transaction_id]
    by_phone = _current(sandbox, world, auth, calling_phone_number="530-999-9999",
                        destination_phone_number="+18555595599")
    assert [c["transaction_id"] for c in by_phone] == [transaction_id]

    _advance(sandbox, 240)
    assert _current(sandbox, world, auth) == []
    rows = _rows(sandbox, world, auth, transaction_id=transaction_id,
                 include_columns="transaction_id,complete_call_id,external_unique_id,"
                                 "duration,ivr_duration,connect_duration,custom_data")
    assert len(rows) == 1
    row = rows[0]
    assert row["external_unique_id"] == "mycalls00001"
    assert (row["duration"], row["ivr_duration"], row["connect_duration"]) == (260, 20, 240)
    values = {item["name"]: (item["value"], item["source"]) for item in row["custom_data"]}
    assert values == {"utm_source": ("google.com", "VirtualLine"),
                      "channel": ("SEM", "DynamicAttribution"), "lead_type": ("StoreCall", "Api")}

    transcripts = {}
    for transcript_format in FORMATS:
        answer = sandbox.get(f"/call/transcript/{row['complete_call_id']}",
                             query_string={"transcript_format": transcript_format},
                             headers=auth)
        assert answer.status_code == 200
        transcripts[transcript_format] = answer.get_json()
    conversation = transcripts["caller_agent_conversation"]
    caller = ", ".join(item["caller"] for item in conversation if "caller" in item)
    agent = ", ".join(item["agent"] for item in conversation if "agent" in item)
    assert transcripts["caller"] == [{"caller": caller}]
    assert transcripts["agent"] == [{"agent": agent}]
    assert transcripts["caller_agent_block"] == [{"agent": agent}, {"caller": caller}]
    assert all(len(item) == 1 for item in conversation) and len(conversation) >= 2


def test_call_without_phases_is_a_transaction_at_once_when_made_as_before(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
        promo_number: str) -> None:
    made = _call(sandbox, promo_number=promo_number, duration_seconds=90)
    assert made["call_status"] == "ended"
    assert (made["duration"], made["connect_duration"], made["ivr_duration"]) == (90, 90, 0)
    assert _current(sandbox, world, auth) == []
    assert [r["transaction_id"] for r in _rows(sandbox, world, auth,
                                               transaction_id=made["transaction_id"])] == [
        made["transaction_id"]]


def test_given_transcript_reads_back_when_the_call_has_ended(
        sandbox: FlaskClient, auth: dict[str, str], promo_number: str) -> None:
    said = [{"speaker": "agent", "text": "Which Color?"}, {"speaker": "caller", "text": "Orange"},
            {"speaker": "agent", "text": "Okay I will look into that"},
            {"speaker": "caller", "text": "Awesome thank you"},
            {"speaker": "agent", "text": "Goodbye!"},
            {"speaker": "caller", "text": "Have a good one"}]
    made = _call(sandbox, promo_number=promo_number, transcript=said)
    path = f"/call/transcript/{made['complete_call_id']}"
    expected = {
        "caller": [{"caller": "Orange, Awesome thank you, Have a good one"}],
        "agent": [{"agent": "Which Color?, Okay I will look into that, Goodbye!"}],
        "caller_agent_block": [{"agent": "Which Color?, Okay I will look into that, Goodbye!"},
                               {"caller": "Orange, Awesome thank you, Have a good one"}],
        "caller_agent_conversation": [{u["speaker"]: u["text"]} for u in said],
    }
    for transcript_format, body in expected.items():
        answer = sandbox.get(path, query_string={"transcript_format": transcript_format},
                             headers=auth)
        assert answer.get_json() == body


def test_utterances_follow_their_offsets_when_given_out_of_order(
        sandbox: FlaskClient, auth: dict[str, str], promo_number: str) -> None:
    made = _call(sandbox, promo_number=promo_number, ring_seconds=0, talk_seconds=30,
                 start_time="2016-09-30T23:00:00Z", transcript=[
                     {"speaker": "caller", "text": "second", "start_offset_seconds": 5,
                      "end_offset_seconds": 6},
                     {"speaker": "agent", "text": "first", "start_offset_seconds": 0,
                      "end_offset_seconds": 2}])
    assert made["call_status"] == "ended"  # started an hour ago, over already
    answer = sandbox.get(f"/call/transcript/{made['complete_call_id']}",
                         query_string={"transcript_format": "caller_agent_conversation"},
                         headers=auth)
    assert answer.get_json() == [{"agent": "first"}, {"caller": "second"}]


def _fake_transcript() -> list[dict[str, str]]:
    from mock_server.app import create_app  # noqa: PLC0415

    app = create_app({"SEED": 7, "CLOCK": "manual"})
    client = app.test_client()
    world = client.get("/_sandbox/world").get_json()
    auth = {"Authorization": world["api_token"]}
    path = (f"/api/2022-08-01/{world['network_id']}/advertisers/"
            f"{world['advertiser_id_from_network']}/advertiser_campaigns/"
            f"{world['advertiser_campaign_id_from_network']}/promo_numbers.json")
    number = client.post(path, json={"description": "Seeded", "media_type": "Online: Display"},
                         headers=auth).get_json()["promo_number"]
    made = client.post("/_sandbox/calls", json={"promo_number": number}).get_json()
    answer = client.get(f"/call/transcript/{made['complete_call_id']}",
                        query_string={"transcript_format": "caller_agent_conversation"},
                        headers=auth)
    assert answer.status_code == 200
    body: list[dict[str, str]] = answer.get_json()
    return body


def test_fake_transcript_is_the_same_when_the_seed_is_the_same() -> None:
    first = _fake_transcript()
    assert first == _fake_transcript()
    assert len(first) >= 4


def test_call_in_progress_is_ordered_by_bridge_start_descending_when_several_are_live(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
        promo_number: str) -> None:
    first = _call(sandbox, promo_number=promo_number, ring_seconds=0, talk_seconds=600)
    _advance(sandbox, 10)
    second = _call(sandbox, promo_number=promo_number, ring_seconds=5, talk_seconds=600)
    _advance(sandbox, 5)
    listed = [call["transaction_id"] for call in _current(sandbox, world, auth)]
    assert listed == [second["transaction_id"], first["transaction_id"]]
    only = _current(sandbox, world, auth, transaction_id=first["transaction_id"])
    assert [call["transaction_id"] for call in only] == [first["transaction_id"]]


def test_update_is_not_found_when_the_call_has_ended_or_never_existed(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
        promo_number: str) -> None:
    made = _call(sandbox, promo_number=promo_number, ring_seconds=0, talk_seconds=30)
    body = {"call_in_progress": {"external_unique_id": "x-1"}}
    _advance(sandbox, 30)
    for transaction_id in (made["transaction_id"], "ABCD1234-ABCD1234"):
        answer = sandbox.post(f"{CIP}.json", query_string=_organization(
            world, transaction_id=transaction_id), headers=auth, json=body)
        assert answer.status_code == 404
        assert answer.get_json()["errors"]["class"] == "RecordNotFound"
    unknown = sandbox.put(f"{CIP}.json", query_string=_organization(
        world, external_unique_id="never-set"), headers=auth, json=body)
    assert unknown.status_code == 404


def test_refused_update_changes_nothing_when_the_external_id_is_taken(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
        promo_number: str) -> None:
    first = _call(sandbox, promo_number=promo_number, ring_seconds=0, talk_seconds=60)
    second = _call(sandbox, promo_number=promo_number, ring_seconds=0, talk_seconds=60)
    taken = sandbox.put(f"{CIP}.json", query_string=_organization(
        world, transaction_id=first["transaction_id"]), headers=auth,
        json={"call_in_progress": {"external_unique_id": "same"}})
    assert taken.status_code == 202
    refused = sandbox.put(f"{CIP}.json", query_string=_organization(
        world, transaction_id=second["transaction_id"]), headers=auth,
        json={"call_in_progress": {"external_unique_id": "same",
                                   "custom_data": [{"name": "lead_type", "value": "x"}]}})
    assert refused.status_code == 403
    _advance(sandbox, 60)
    row = _rows(sandbox, world, auth, transaction_id=second["transaction_id"],
                include_columns="transaction_id,external_unique_id,custom_data")[0]
    assert row["external_unique_id"] is None
    assert all(item["name"] != "lead_type" for item in row["custom_data"])


def test_phone_filter_is_refused_when_only_one_number_is_given(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    answer = sandbox.get(f"{CIP}/current_calls.json", query_string=_organization(
        world, calling_phone_number="5309999999"), headers=auth)
    assert answer.status_code == 403
    assert "destination_phone_number" in answer.get_json()["errors"]


@pytest.mark.parametrize("organization", [
    {"organization_type": "Network", "id": 999},
    {"organization_type": "Advertiser", "id": 999999},
])
def test_calls_are_refused_when_the_organization_is_not_the_tokens(
        sandbox: FlaskClient, sandbox_app: Flask, world: dict[str, Any],
        organization: dict[str, Any]) -> None:
    advertiser_token = sandbox_app.extensions["invoca_sandbox"].platform.world.token_for(
        "advertiser")
    headers = {"Authorization": advertiser_token}
    for query in (organization, {"organization_type": "Network", "id": world["network_id"]}):
        answer = sandbox.get(f"{CIP}/current_calls.json", query_string=query, headers=headers)
        assert answer.status_code == 401


def test_advertiser_token_sees_its_own_calls_when_its_advertiser_is_named(
        sandbox: FlaskClient, sandbox_app: Flask, world: dict[str, Any], auth: dict[str, str],
        promo_number: str) -> None:
    made = _call(sandbox, promo_number=promo_number, ring_seconds=0, talk_seconds=60)
    advertiser = sandbox.get(
        f"/api/2022-08-01/{world['network_id']}/advertisers/"
        f"{world['advertiser_id_from_network']}.json", headers=auth).get_json()
    platform = sandbox_app.extensions["invoca_sandbox"].platform
    headers = {"Authorization": platform.world.token_for("advertiser")}
    answer = sandbox.get(f"{CIP}/current_calls.json", headers=headers, query_string={
        "organization_type": "Advertiser", "id": advertiser["id"]})
    assert answer.status_code == 200
    assert [c["transaction_id"] for c in answer.get_json()["current_calls"]] == [
        made["transaction_id"]]


def test_transcript_is_not_found_when_the_call_is_unknown_or_live(
        sandbox: FlaskClient, auth: dict[str, str], promo_number: str) -> None:
    live = _call(sandbox, promo_number=promo_number, ring_seconds=0, talk_seconds=60)
    for record in ("CUID-33", live["complete_call_id"]):
        answer = sandbox.get(f"/call/transcript/{record}",
                             query_string={"transcript_format": "agent"}, headers=auth)
        assert answer.status_code == 404
        assert answer.get_json()["errors"]["class"] == "RecordNotFound"


def test_transcript_is_refused_when_the_token_is_missing(
        sandbox: FlaskClient, promo_number: str) -> None:
    made = _call(sandbox, promo_number=promo_number)
    answer = sandbox.get(f"/call/transcript/{made['complete_call_id']}",
                         query_string={"transcript_format": "agent"})
    assert answer.status_code == 401


def test_call_is_refused_when_it_would_start_in_the_future(
        sandbox: FlaskClient, promo_number: str) -> None:
    answer = sandbox.post("/_sandbox/calls", json={
        "promo_number": promo_number, "start_time": "2030-01-01T00:00:00Z",
        "ring_seconds": 5, "talk_seconds": 5})
    assert answer.status_code == 403
    assert sandbox.get("/_sandbox/state").get_json()["transactions"] == []


@pytest.mark.parametrize("body", [
    {"ring_seconds": -1},
    {"talk_seconds": "60"},
    {"ring_seconds": 10, "talk_seconds": 20, "duration_seconds": 40},
    {"transcript": [{"speaker": "robot", "text": "hi"}]},
    {"transcript": "hello"},
    {"custom_data": ["x"]},
])
def test_call_is_refused_when_its_phases_are_malformed(
        sandbox: FlaskClient, promo_number: str, body: dict[str, Any]) -> None:
    answer = sandbox.post("/_sandbox/calls", json={"promo_number": promo_number, **body})
    assert answer.status_code == 403
    assert "errors" in answer.get_json()


def test_live_call_survives_export_and_import_when_the_state_is_moved(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
        promo_number: str) -> None:
    made = _call(sandbox, promo_number=promo_number, ring_seconds=0, talk_seconds=100)
    sandbox.put(f"{CIP}.json", query_string=_organization(
        world, transaction_id=made["transaction_id"]), headers=auth,
        json={"call_in_progress": {"external_unique_id": "moved"}})
    state = sandbox.get("/_sandbox/state").get_json()
    assert sandbox.put("/_sandbox/state", json=state).status_code == 200
    assert [c["external_unique_id"] for c in _current(sandbox, world, auth)] == ["moved"]
