"""The Call Ingestion API (2022-03-01) through HTTP: a submitted call becomes a transaction
after the processing delay on the sandbox clock, repeats are 202, a reused id is 409, and
every documented refusal has its class and message (call_ingestion_api/index.rst)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import create_app
from simulator.call_ingestion import DEFAULT_DELAY_SECONDS

URL = "/api/2022-03-01/calls.json"
TRANSACTIONS = "/api/2021-08-09/networks/transactions/{network}.json"


def a_call(external_id: str = "10001", **changes: Any) -> dict[str, Any]:
    """The docs' cURL example's call, on the demo world's ExternalOnly campaign."""
    call: dict[str, Any] = {
        "external_call_unique_id": external_id,
        "start_time": "2022-03-25 09:31:29",
        "destination_phone_number": 9093900003,
        "calling_phone_number": 8779257384,
        "advertiser_campaign_id_from_network": "camp-ext-1",
        "call_direction": "inbound",
        "recording_url": "https://recordings.example.com/10001.wav",
    }
    call.update(changes)
    return {key: value for key, value in call.items() if value is not None}


def submit(sandbox: FlaskClient, world: dict[str, Any], body: Any, *, method: str = "POST",
           url: str = URL, token: str | None = None) -> Any:
    headers = {"Authorization": token or world["api_token"]}
    return sandbox.open(url, method=method, json=body, headers=headers)


def rows(sandbox: FlaskClient, world: dict[str, Any], cuid: str) -> list[dict[str, Any]]:
    answer = sandbox.get(TRANSACTIONS.format(network=world["network_id"]),
                         query_string={"transaction_id": cuid,
                                       "include_columns": "$invoca_default_columns,custom_data"},
                         headers={"Authorization": world["api_token"]})
    assert answer.status_code == 200
    found: list[dict[str, Any]] = answer.get_json()
    return found


def advance(sandbox: FlaskClient, seconds: float) -> Any:
    return sandbox.post("/_sandbox/clock", json={"advance_seconds": seconds}).get_json()


def refusal(answer: Any) -> tuple[int, str, str]:
    errors = answer.get_json()["errors"]
    return answer.status_code, errors["class"], errors["invalid_data"]


def campaign(sandbox: FlaskClient, world: dict[str, Any], ident: str, **terms: Any) -> None:
    made = sandbox.post(
        f"/api/2016-10-01/{world['network_id']}/advertisers/adv-1/advertiser_campaigns.json",
        json={"id_from_network": ident, "name": ident, **terms},
        headers={"Authorization": world["api_token"]})
    assert made.status_code == 201, made.get_json()


# ----------------------------------------------------------------------------- the life


def test_ingested_call_becomes_transaction_when_processing_delay_has_passed(
        sandbox: FlaskClient, world: dict[str, Any]) -> None:
    body = {"call": a_call("10001"),
            "signals": [{"name": "sale", "value": 1}, {"name": "Quote", "value": "no"}],
            "custom_data": [{"name": "channel", "value": "Paid Search"}]}
    created = submit(sandbox, world, body)
    assert created.status_code == 201
    cuid = created.get_json()["cuid"]

    assert rows(sandbox, world, cuid) == []  # processing is asynchronous
    advance(sandbox, DEFAULT_DELAY_SECONDS - 1)
    assert rows(sandbox, world, cuid) == []  # not before the delay

    repeat = submit(sandbox, world, body)  # "already been received"
    assert (repeat.status_code, repeat.get_json()) == (202, {"cuid": cuid})
    moved = advance(sandbox, 1)
    assert [event["event"] for event in moved["events"]] == ["CallIngested"]

    (row,) = rows(sandbox, world, cuid)
    assert row["transaction_id"] == row["complete_call_id"] == cuid
    assert row["transaction_type"] == "Call"
    assert row["advertiser_campaign_id_from_network"] == "camp-ext-1"
    assert row["advertiser_id_from_network"] == "adv-1"
    assert row["calling_phone_number"] == "877-925-7384"
    assert row["destination_phone_number"] == "909-390-0003"
    assert row["start_time_xml"] == "2022-03-25T09:31:29+00:00"
    assert row["duration"] == 0  # no recording is processed
    assert {(c["name"], c["data_type"], c["value"]) for c in row["custom_data"]} == {
        ("channel", "Short Text", "Paid Search"), ("sale", "Signal", True),
        ("Quote", "Signal", False)}

    again = submit(sandbox, world, body, method="PUT")  # still the same call, processed
    assert (again.status_code, again.get_json()) == (202, {"cuid": cuid})
    assert len(rows(sandbox, world, cuid)) == 1


def test_conflict_answered_when_external_id_is_reused_with_other_details(
        sandbox: FlaskClient, world: dict[str, Any]) -> None:
    assert submit(sandbox, world, {"call": a_call("10002")}).status_code == 201
    reused = submit(sandbox, world, {"call": a_call("10002", call_direction="outbound")})
    assert refusal(reused) == (409, "call.external_call_unique_id",
                               "external_call_unique_id has already been used")


def test_put_creates_like_post_when_call_is_new(sandbox: FlaskClient,
                                                world: dict[str, Any]) -> None:
    created = submit(sandbox, world, {"call": a_call("put-1")}, method="PUT")
    assert created.status_code == 201
    assert submit(sandbox, world, {"call": a_call("put-1")}).status_code == 202


def test_transaction_appears_at_once_when_delay_is_zero() -> None:
    app = create_app({"SEED": 0, "CLOCK": "manual", "CALL_INGESTION_DELAY_SECONDS": 0})
    client = app.test_client()
    world = client.get("/_sandbox/world").get_json()
    cuid = submit(client, world, {"call": a_call()}).get_json()["cuid"]
    assert [row["transaction_id"] for row in rows(client, world, cuid)] == [cuid]


def test_same_cuid_and_processing_when_state_is_exported_and_imported(
        sandbox: FlaskClient, world: dict[str, Any]) -> None:
    cuid = submit(sandbox, world, {"call": a_call("export-1")}).get_json()["cuid"]
    state = sandbox.get("/_sandbox/state").get_json()
    fresh = create_app({"SEED": 0, "CLOCK": "manual"}).test_client()
    assert fresh.put("/_sandbox/state", json=state).status_code == 200
    assert rows(fresh, world, cuid) == []
    advance(fresh, DEFAULT_DELAY_SECONDS)
    assert [row["transaction_id"] for row in rows(fresh, world, cuid)] == [cuid]
    repeat = submit(fresh, world, {"call": a_call("export-1")})
    assert (repeat.status_code, repeat.get_json()) == (202, {"cuid": cuid})


# ----------------------------------------------------------------------------- formats


@pytest.mark.parametrize(("written", "utc"), [
    ("1460404800", "2016-04-11T20:00:00+00:00"),
    (1460404800000, "2016-04-11T20:00:00+00:00"),
    ("20160411130000000", "2016-04-11T13:00:00+00:00"),  # "always parsed in UTC"
    ("2016/04/11T23:00:00.000+03:00", "2016-04-11T20:00:00+00:00"),
    ("2016/04/11T13:00:00.000-07:00", "2016-04-11T20:00:00+00:00"),
    ("2016/04/11T20:00:00.000Z", "2016-04-11T20:00:00+00:00"),
    ("2016/04/11T13:00:00-07:00", "2016-04-11T20:00:00+00:00"),
    ("2016/04/11 13:00:00.000 PM", "2016-04-11T13:00:00+00:00"),  # network time zone: UTC
    ("2016/04/11 01:00:00 PM", "2016-04-11T13:00:00+00:00"),
    ("2016-02-03 09:30:00 AM", "2016-02-03T09:30:00+00:00"),  # the docs' examples
    ("2016-08-08 11:03:31 -0700", "2016-08-08T18:03:31+00:00"),
])
def test_start_time_read_when_in_documented_format(sandbox: FlaskClient, world: dict[str, Any],
                                                   written: Any, utc: str) -> None:
    cuid = submit(sandbox, world, {"call": a_call(start_time=written)}).get_json()["cuid"]
    advance(sandbox, DEFAULT_DELAY_SECONDS)
    (row,) = rows(sandbox, world, cuid)
    assert row["start_time_xml"] == utc


@pytest.mark.parametrize(("destination", "shown"), [
    ("+18885551212", "888-555-1212"), ("+442071838750", "+442071838750"),
    ("+34912345678", "+34912345678"), (8885551212, "888-555-1212")])
def test_destination_accepted_when_us_uk_or_spanish(sandbox: FlaskClient, world: dict[str, Any],
                                                    destination: Any, shown: str) -> None:
    created = submit(sandbox, world, {"call": a_call(destination_phone_number=destination,
                                                     calling_phone_number="+33142685300")})
    assert created.status_code == 201
    advance(sandbox, DEFAULT_DELAY_SECONDS)
    (row,) = rows(sandbox, world, created.get_json()["cuid"])
    assert (row["destination_phone_number"], row["calling_phone_number"]) == (
        shown, "+33142685300")


def test_token_accepted_when_in_body(sandbox: FlaskClient, world: dict[str, Any]) -> None:
    answer = sandbox.post(URL, json={"call": a_call(), "oauth_token": world["api_token"]})
    assert answer.status_code == 201


def test_recording_may_be_left_out_when_network_has_direct_access() -> None:
    world_file = {"networks": [{"id": 7, "recording_direct_access": True}],
                  "tokens": [{"token": "T" * 32, "network_id": 7}],
                  "objects": [
                      {"type": "advertiser", "body": {"id_from_network": "a", "name": "A"}},
                      {"type": "advertiser_campaign", "advertiser_id_from_network": "a",
                       "body": {"id_from_network": "x", "name": "X",
                                "campaign_type": "ExternalOnly"}}]}
    client = create_app({"SEED": 0, "CLOCK": "manual", "WORLD": world_file}).test_client()
    world = client.get("/_sandbox/world").get_json()
    assert world["external_campaign_id_from_network"] == "x"
    call = a_call(advertiser_campaign_id_from_network="x", recording_url=None)
    assert submit(client, world, {"call": call}).status_code == 201


# ----------------------------------------------------------------------------- refusals


@pytest.mark.parametrize("body", [{}, {"call": None}, {"call": "10001"}, {"call": []},
                                  {"signals": []}])
def test_call_required_when_body_has_no_call_object(sandbox: FlaskClient,
                                                    world: dict[str, Any], body: Any) -> None:
    assert refusal(submit(sandbox, world, body)) == (
        403, "RecordInvalid", "Validation failed: 'call' is required")


def test_every_missing_parameter_named_when_call_is_empty(sandbox: FlaskClient,
                                                          world: dict[str, Any]) -> None:
    assert refusal(submit(sandbox, world, {"call": {}})) == (
        403, "RecordInvalid", "Validation failed: 'external_call_unique_id' is required, "
        "'start_time' is required, 'destination_phone_number' is required, "
        "'calling_phone_number' is required, 'advertiser_campaign_id_from_network' is "
        "required, 'call_direction' is required, 'recording_url' or 'recording_filename' is "
        "required")


@pytest.mark.parametrize(("change", "path", "message"), [
    ({"start_time": "11 April 2016"}, "call.start_time",
     "start_time is not in a supported timestamp format"),
    ({"start_time": "2016/02/30 10:00:00 AM"}, "call.start_time",
     "start_time is not in a supported timestamp format"),
    ({"destination_phone_number": "+33142685300"}, "call.destination_phone_number",
     "destination_phone_number must be a valid E.164 phone number of the US or Canada (+1), "
     "the UK (+44) or Spain (+34)"),
    ({"destination_phone_number": "+1555"}, "call.destination_phone_number",
     "destination_phone_number must be a valid E.164 phone number of the US or Canada (+1), "
     "the UK (+44) or Spain (+34)"),
    ({"calling_phone_number": "12345"}, "call.calling_phone_number",
     "calling_phone_number must be a valid E.164 phone number"),
    ({"call_direction": "Inbound"}, "call.call_direction",
     "call_direction must be inbound or outbound"),
    ({"language_code": "de-DE"}, "call.language_code",
     "language_code must be one of en-US, en-GB, es-ES, fr-FR"),
    ({"recording_url": "ftp://example.com/a.wav"}, "call.recording_url",
     "recording_url must be an http or https URL"),
    ({"recording_filename": "calls/10001.wav"}, "call.recording_url",
     "give recording_url or recording_filename, not both"),
    ({"external_call_unique_id": "x" * 256}, "call.external_call_unique_id",
     "external_call_unique_id must be a string of at most 255 characters"),
])
def test_value_path_is_class_when_one_value_is_invalid(
        sandbox: FlaskClient, world: dict[str, Any], change: dict[str, Any], path: str,
        message: str) -> None:
    assert refusal(submit(sandbox, world, {"call": a_call(**change)})) == (403, path, message)


def test_problems_packed_in_one_message_when_several(sandbox: FlaskClient,
                                                     world: dict[str, Any]) -> None:
    body = {"call": a_call(start_time="soon", call_direction="up", recording_url=None),
            "signals": [{"value": 1}], "custom_data": [{"name": "channel"}]}
    assert refusal(submit(sandbox, world, body)) == (
        403, "RecordInvalid", "Validation failed: start_time is not in a supported timestamp "
        "format, call_direction must be inbound or outbound, 'recording_url' or "
        "'recording_filename' is required, signals[0] 'name' is required, 'value' for "
        "custom_data[0] is required")


def test_documented_campaign_errors_when_campaign_is_not_set_up(sandbox: FlaskClient,
                                                                world: dict[str, Any]) -> None:
    not_external = a_call(advertiser_campaign_id_from_network="camp-1")
    assert refusal(submit(sandbox, world, {"call": not_external})) == (
        403, "call.advertiser_campaign_id_from_network",
        "campaign must be for external calls only")
    campaign(sandbox, world, "ext-silent", campaign_type="ExternalOnly",
             transcription_enabled=False)
    silent = a_call(advertiser_campaign_id_from_network="ext-silent")
    assert refusal(submit(sandbox, world, {"call": silent})) == (
        403, "call.advertiser_campaign_id_from_network",
        "campaign must have transcription enabled")
    unknown = a_call(advertiser_campaign_id_from_network="85")
    assert refusal(submit(sandbox, world, {"call": unknown})) == (
        403, "UnauthorizedAdvertiser", "You do not have access to this advertiser")


def test_campaign_unreachable_when_advertiser_token_names_another_advertisers(
        sandbox: FlaskClient, world: dict[str, Any], sandbox_app: Flask) -> None:
    platform = sandbox_app.extensions["invoca_sandbox"].platform
    tokens = platform.world.tokens
    advertiser = next(t for t, p in tokens.items() if p.role == "advertiser")
    affiliate = next(t for t, p in tokens.items() if p.role == "affiliate")
    assert submit(sandbox, world, {"call": a_call("own")}, token=advertiser).status_code == 201
    sandbox.post(f"/api/2016-10-01/{world['network_id']}/advertisers.json",
                 json={"id_from_network": "adv-2", "name": "Other"},
                 headers={"Authorization": world["api_token"]})
    made = sandbox.post(
        f"/api/2016-10-01/{world['network_id']}/advertisers/adv-2/advertiser_campaigns.json",
        json={"id_from_network": "ext-2", "name": "Other", "campaign_type": "ExternalOnly"},
        headers={"Authorization": world["api_token"]})
    assert made.status_code == 201
    other = a_call("theirs", advertiser_campaign_id_from_network="ext-2")
    assert refusal(submit(sandbox, world, {"call": other}, token=advertiser)) == (
        403, "UnauthorizedAdvertiser", "You do not have access to this advertiser")
    assert refusal(submit(sandbox, world, {"call": a_call("aff")}, token=affiliate)) == (
        403, "UnauthorizedOperation",
        "You do not have permissions to perform the requested operation.")


def test_permission_error_when_network_lacks_call_ingestion() -> None:
    world_file = {"networks": [{"id": 3, "call_ingestion": False}],
                  "tokens": [{"token": "N" * 32, "network_id": 3}]}
    client = create_app({"SEED": 0, "CLOCK": "manual", "WORLD": world_file}).test_client()
    answer = client.post(URL, json={"call": a_call()}, headers={"Authorization": "N" * 32})
    assert refusal(answer) == (403, "UnauthorizedOperation",
                               "You do not have permissions to perform the requested operation.")


def test_refused_request_changes_nothing_when_it_fails(sandbox: FlaskClient,
                                                       world: dict[str, Any]) -> None:
    before = sandbox.get("/_sandbox/state").get_json()["transactions"]
    assert submit(sandbox, world, {"call": a_call("r-1", call_direction="x")}).status_code == 403
    assert submit(sandbox, world, {"call": a_call("r-1")}).status_code == 201  # id still free
    advance(sandbox, DEFAULT_DELAY_SECONDS)
    after = sandbox.get("/_sandbox/state").get_json()["transactions"]
    assert len(after) == len(before) + 1


def test_unauthorized_when_token_missing_or_in_query(sandbox: FlaskClient,
                                                     world: dict[str, Any]) -> None:
    assert sandbox.post(URL, json={"call": a_call()}).status_code == 401
    in_query = sandbox.post(URL, json={"call": a_call()},
                            query_string={"oauth_token": world["api_token"]})
    assert in_query.status_code == 401  # "in the header or body of the request"


@pytest.mark.parametrize(("version", "status"), [("2021-03-01", 400), ("2023-06-01", 201)])
def test_version_resolved_in_its_family_when_not_published(
        sandbox: FlaskClient, world: dict[str, Any], version: str, status: int) -> None:
    answer = submit(sandbox, world, {"call": a_call()}, url=f"/api/{version}/calls.json")
    assert answer.status_code == status
    if status == 201:
        assert answer.headers["X-Sandbox-Api-Version"] == "2022-03-01"
