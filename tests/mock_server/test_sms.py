"""The SMS Messaging API (2022-08-01) through HTTP: SMS-enabled numbers, messages with carrier
segments, delivery reports on the sandbox clock, inbound messages, pagy listings with filters
and sort, usage, soft deletes, Bearer-only auth and the family's ``{"message": ...}`` errors
(sms_messaging_api/sms-openapi.json and index.rst)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import create_app, sms_options
from mock_server.serve import config_from, parser
from simulator.errors import RecordInvalid
from simulator.sms import segments

BASE = "/sms/2022-08-01"
START = "2024-05-01T12:00:00Z"
PROMO_NUMBERS = ("/api/2022-08-01/{network}/advertisers/adv-1/advertiser_campaigns/camp-1/"
                 "promo_numbers.json")


def make_app(**config: Any) -> Flask:
    return create_app({"START": START, **config})


@pytest.fixture
def app() -> Flask:
    return make_app()


@pytest.fixture
def sandbox(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def world(sandbox: FlaskClient) -> dict[str, Any]:
    found: dict[str, Any] = sandbox.get("/_sandbox/world").get_json()
    return found


def bearer(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {world['api_token']}"}


def promo_number(sandbox: FlaskClient, world: dict[str, Any]) -> str:
    """A new promo number of the demo network's campaign, in E.164."""
    answer = sandbox.post(PROMO_NUMBERS.format(network=world["network_id"]),
                          json={"description": "SMS line", "media_type": "Online: Search"},
                          headers={"Authorization": world["api_token"]})
    assert answer.status_code == 201, answer.get_json()
    return "+1" + str(answer.get_json()["promo_number"])


def enabled_number(sandbox: FlaskClient, world: dict[str, Any]) -> str:
    number = promo_number(sandbox, world)
    assert sandbox.post(f"{BASE}/phone_numbers/{number}",
                        headers=bearer(world)).status_code == 201
    return number


def send(sandbox: FlaskClient, world: dict[str, Any], sender: str, to: list[str],
         text: str) -> Any:
    return sandbox.post(f"{BASE}/messages", json=[{"from": sender, "to": to, "text": text}],
                        headers=bearer(world))


def advance(sandbox: FlaskClient, seconds: float) -> None:
    assert sandbox.post("/_sandbox/clock", json={"advance_seconds": seconds}).status_code == 200


# ---------------------------------------------------------------------------- done when


def test_a_message_lives_its_documented_life_when_scripted(sandbox: FlaskClient,
                                                            world: dict[str, Any]) -> None:
    headers = bearer(world)
    number = enabled_number(sandbox, world)
    text = "Your table is ready 😀 " + "Please come to the front desk. " * 2
    assert segments(text) == 2  # UCS-2 (the emoji), more than 70 units
    sent = send(sandbox, world, number, ["+12125550123"], text)
    assert sent.status_code == 202
    queued = sent.get_json()["messages"][0]
    assert queued["delivery_reports"] == [] and queued["direction"] == "out"
    uuid = queued["uuid"]
    message = sandbox.get(f"{BASE}/messages/uuid/{uuid}", headers=headers).get_json()["message"]
    assert message["segments"] == 2 and message["delivered_at"] is None
    for _ in range(10):
        message = sandbox.get(f"{BASE}/messages/uuid/{uuid}",
                              headers=headers).get_json()["message"]
        if message["delivered_at"] is not None:
            break
        advance(sandbox, 1)
    assert message["delivered_at"] == "2024-05-01T12:00:06.000Z"
    assert [r["progress_bit"] for r in message["delivery_reports"]] == [1, 2]
    report_uuid = message["delivery_reports"][1]["uuid"]
    report = sandbox.get(f"{BASE}/messages/uuid/{uuid}/delivery_reports/uuid/{report_uuid}",
                         headers=headers).get_json()["delivery_report"]
    assert report["progress_bit"] == 2 and report["destination"] == "+12125550123"
    reply = sandbox.post("/_sandbox/sms", json={"from": "+12125550123", "to": number,
                                                "text": "On my way"})
    assert reply.status_code == 201
    listing = sandbox.get(f"{BASE}/messages", headers=headers,
                          query_string={"limit": 1, "sort": "created_at:desc",
                                        "to[eq]": number})
    body = listing.get_json()
    assert [m["text"] for m in body["messages"]] == ["On my way"]
    pages = [sandbox.get(f"{BASE}/messages", headers=headers,
                         query_string={"limit": 1, "page": page, "sort": "created_at:asc"}
                         ).get_json() for page in (1, 2)]
    assert [p["messages"][0]["direction"] for p in pages] == ["out", "in"]
    assert pages[0]["pagination"]["next"] == 2 and pages[1]["pagination"]["next"] is None
    assert pages[0]["pagination"]["next_url"] == (
        f"{BASE}/messages?limit=1&sort=created_at:asc&page=2")
    usage = sandbox.get(f"{BASE}/messages/phone_number/{number}/usage",
                        headers=headers).get_json()["messages"]
    assert usage == {"phone_number": number, "outgoing": {"segments": 2, "messages": 1},
                     "incoming": {"segments": 1, "messages": 1}}
    deleted = sandbox.delete(f"{BASE}/messages/uuid/{uuid}", headers=headers)
    assert deleted.status_code == 200
    assert deleted.get_json()["message"]["deleted_at"] == "2024-05-01T12:00:06.000Z"
    remaining = sandbox.get(f"{BASE}/messages", headers=headers,
                            query_string={"deleted_at[empty]": ""}).get_json()
    assert [m["direction"] for m in remaining["messages"]] == ["in"]
    wrong = sandbox.get(f"{BASE}/messages", headers={"Authorization": world["api_token"]})
    assert wrong.status_code == 401 and list(wrong.get_json()) == ["message"]


# ---------------------------------------------------------------------------- numbers


def test_number_is_enabled_then_conflicts_when_enabled_twice(sandbox: FlaskClient,
                                                              world: dict[str, Any]) -> None:
    number = promo_number(sandbox, world)
    first = sandbox.post(f"{BASE}/phone_numbers/{number}", headers=bearer(world))
    assert first.status_code == 201
    assert first.headers["Location"].endswith(f"{BASE}/phone_numbers/{number}")
    body = first.get_json()["phone_number"]
    assert list(body) == ["phone_number", "virtual_line_id", "network_id", "created_at",
                          "deleted_at", "carrier_interface", "enabled_at"]
    assert body["network_id"] == world["network_id"] and body["carrier_interface"] == "bandwidth"
    again = sandbox.post(f"{BASE}/phone_numbers/{number}", headers=bearer(world))
    assert (again.status_code, again.get_json()) == (409, {})


def test_number_is_restored_with_204_when_enabled_after_a_delete(
        sandbox: FlaskClient, world: dict[str, Any]) -> None:
    number = enabled_number(sandbox, world)
    deleted = sandbox.delete(f"{BASE}/phone_numbers/{number}", headers=bearer(world))
    assert deleted.status_code == 200
    assert deleted.get_json()["phone_number"]["deleted_at"] == "2024-05-01T12:00:00.000Z"
    assert send(sandbox, world, number, ["+12125550123"], "hi").status_code == 409
    restored = sandbox.post(f"{BASE}/phone_numbers/{number}", headers=bearer(world))
    assert restored.status_code == 204 and restored.data == b""
    got = sandbox.get(f"{BASE}/phone_numbers/{number}", headers=bearer(world)).get_json()
    assert got["phone_number"]["deleted_at"] is None


def test_number_is_forbidden_when_not_the_networks(sandbox: FlaskClient,
                                                   world: dict[str, Any]) -> None:
    answer = sandbox.post(f"{BASE}/phone_numbers/+12125550100", headers=bearer(world))
    assert (answer.status_code, answer.get_json()) == (403, {"message": "Forbidden"})
    listing = sandbox.get(f"{BASE}/phone_numbers", headers=bearer(world)).get_json()
    assert listing["phone_numbers"] == []


@pytest.mark.parametrize("number", ["123", "18885550100", "+1-888-555-0100"])
def test_number_is_unprocessable_when_not_e164(sandbox: FlaskClient, world: dict[str, Any],
                                               number: str) -> None:
    answer = sandbox.get(f"{BASE}/phone_numbers/{number}", headers=bearer(world))
    assert answer.status_code == 422
    assert answer.get_json() == {
        "message": "Unprocessable Entity - the requested phone number is not valid"}


def test_number_is_not_found_when_never_enabled(sandbox: FlaskClient,
                                                world: dict[str, Any]) -> None:
    answer = sandbox.get(f"{BASE}/phone_numbers/+18885550100", headers=bearer(world))
    assert answer.status_code == 404
    assert answer.get_json() == {
        "message": "Not Found - the requested phone number, +18885550100, is not in the system"}


# ---------------------------------------------------------------------------- sending


@pytest.mark.parametrize(("text", "expected"), [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3),
    ("€" * 80, 1), ("€" * 81, 2), ("é" * 160, 1),
    ("ж" * 70, 1), ("ж" * 71, 2), ("ж" * 134, 2), ("ж" * 135, 3),
    ("😀" * 35, 1), ("😀" * 36, 2), ("", 0),
])
def test_segments_are_counted_as_carriers_do_when_text_varies(text: str, expected: int) -> None:
    assert segments(text) == expected


def test_one_message_per_recipient_when_sent_to_several(sandbox: FlaskClient,
                                                        world: dict[str, Any]) -> None:
    number = enabled_number(sandbox, world)
    answer = send(sandbox, world, number, ["+12125550123", "+447911123456"], "Hello")
    assert answer.status_code == 202
    body = answer.get_json()
    assert [m["to"] for m in body["messages"]] == ["+12125550123", "+447911123456"]
    assert body["pagination"]["count"] == 2 and list(body) == ["pagination", "messages"]


@pytest.mark.parametrize("body", [
    [{"from": "FROM", "to": ["+1212"], "text": "x"}],
    [{"from": "FROM", "to": [], "text": "x"}],
    [{"from": "FROM", "to": ["+12125550123"], "text": ""}],
    [],
])
def test_send_is_bad_request_and_changes_nothing_when_invalid(
        sandbox: FlaskClient, world: dict[str, Any], body: list[dict[str, Any]]) -> None:
    number = enabled_number(sandbox, world)
    for item in body:
        item["from"] = number
    answer = sandbox.post(f"{BASE}/messages", json=body, headers=bearer(world))
    assert answer.status_code == 400 and list(answer.get_json()) == ["message"]
    listing = sandbox.get(f"{BASE}/messages", headers=bearer(world)).get_json()
    assert listing["messages"] == []


def test_send_is_problems_parsing_json_when_body_is_not_json(sandbox: FlaskClient,
                                                             world: dict[str, Any]) -> None:
    answer = sandbox.post(f"{BASE}/messages", data="{nope", content_type="application/json",
                          headers=bearer(world))
    assert (answer.status_code, answer.get_json()) == (400, {"message": "Problems parsing JSON"})


def test_send_is_not_found_when_from_is_not_enabled(sandbox: FlaskClient,
                                                    world: dict[str, Any]) -> None:
    answer = send(sandbox, world, "+18885550100", ["+12125550123"], "hi")
    assert answer.status_code == 404
    assert answer.get_json()["message"].startswith("Not Found - The request could not be")


# ---------------------------------------------------------------------------- delivery


def test_message_fails_with_carrier_error_when_failure_rate_is_one() -> None:
    sandbox = make_app(SMS_FAILURE_RATE=1.0).test_client()
    world = sandbox.get("/_sandbox/world").get_json()
    number = enabled_number(sandbox, world)
    uuid = send(sandbox, world, number, ["+12125550123"], "hi").get_json()["messages"][0]["uuid"]
    advance(sandbox, 60)
    message = sandbox.get(f"{BASE}/messages/uuid/{uuid}", headers=bearer(world)).get_json()
    assert message["message"]["failed_at"] is not None
    assert message["message"]["delivered_at"] is None
    failed = message["message"]["delivery_reports"][-1]
    report = sandbox.get(f"{BASE}/messages/uuid/{uuid}/delivery_reports/uuid/{failed['uuid']}",
                         headers=bearer(world)).get_json()["delivery_report"]
    assert report["progress_bit"] == 4 and report["carrier_errorcode"] == 4720


def test_reports_follow_the_configured_delays_when_the_clock_moves() -> None:
    sandbox = make_app(SMS_SEND_DELAY_SECONDS=30, SMS_DELIVERY_DELAY_SECONDS=60).test_client()
    world = sandbox.get("/_sandbox/world").get_json()
    number = enabled_number(sandbox, world)
    uuid = send(sandbox, world, number, ["+12125550123"], "hi").get_json()["messages"][0]["uuid"]
    url = f"{BASE}/messages/uuid/{uuid}/delivery_reports"
    seen = []
    for step in (29, 1, 59, 1):
        advance(sandbox, step)
        reports = sandbox.get(url, headers=bearer(world)).get_json()["delivery_reports"]
        seen.append([r["progress_bit"] for r in reports])
    assert seen == [[], [1], [1], [1, 2]]


def test_same_uuids_and_fates_when_the_seed_is_the_same() -> None:
    def run() -> list[Any]:
        sandbox = make_app(SEED=7, SMS_FAILURE_RATE=0.5).test_client()
        world = sandbox.get("/_sandbox/world").get_json()
        number = enabled_number(sandbox, world)
        recipients = [f"+1212555{n:04d}" for n in range(100, 110)]
        send(sandbox, world, number, recipients, "hi")
        advance(sandbox, 60)
        listing = sandbox.get(f"{BASE}/messages", headers=bearer(world)).get_json()
        return [(m["uuid"], [r["progress_bit"] for r in m["delivery_reports"]])
                for m in listing["messages"]]

    first = run()
    assert first == run()
    assert {tuple(bits) for _, bits in first} == {(1, 2), (1, 4)}


# ---------------------------------------------------------------------------- listings


def test_only_todays_messages_are_listed_when_no_date_filter_is_given(
        sandbox: FlaskClient, world: dict[str, Any]) -> None:
    number = enabled_number(sandbox, world)
    send(sandbox, world, number, ["+12125550123"], "yesterday's")
    advance(sandbox, 86_400)
    send(sandbox, world, number, ["+12125550123"], "today's")
    listed = sandbox.get(f"{BASE}/messages", headers=bearer(world)).get_json()["messages"]
    assert [m["text"] for m in listed] == ["today's"]
    dated = sandbox.get(f"{BASE}/messages", headers=bearer(world),
                        query_string={"created_at[gte]": "2024-05-01T00:00:00.000Z"})
    assert [m["text"] for m in dated.get_json()["messages"]] == ["yesterday's", "today's"]


def test_pagination_matches_the_documented_object_when_pages_are_read(
        sandbox: FlaskClient, world: dict[str, Any]) -> None:
    number = enabled_number(sandbox, world)
    send(sandbox, world, number, [f"+1212555{n:04d}" for n in range(100, 107)], "hi")
    body = sandbox.get(f"{BASE}/messages", headers=bearer(world),
                       query_string={"limit": 5}).get_json()
    assert body["pagination"] == {
        "prev_url": f"{BASE}/messages?limit=5&page=", "series": ["1", 2], "in": 5,
        "scaffold_url": f"{BASE}/messages?limit=5&page=__pagy_page__", "from": 1,
        "last_url": f"{BASE}/messages?limit=5&page=2", "pages": 2, "count": 7, "last": 2,
        "first_url": f"{BASE}/messages?limit=5&page=1", "items": 5, "next": 2,
        "next_url": f"{BASE}/messages?limit=5&page=2", "to": 5, "prev": None, "page": 1,
        "page_url": f"{BASE}/messages?limit=5&page=1"}


def test_limit_is_served_as_500_when_larger(sandbox: FlaskClient,
                                            world: dict[str, Any]) -> None:
    body = sandbox.get(f"{BASE}/phone_numbers", headers=bearer(world),
                       query_string={"limit": 5000}).get_json()
    assert body["pagination"]["items"] == 500


@pytest.mark.parametrize(("query", "fragment"), [
    ({"sort": "destination"}, "unsupported sort columns: 'destination'"),
    ({"destination[eq]": "x"}, "unsupported filter columns: 'destination'"),
    ({"created_at[like]": "x"}, "unsupported filter operators: 'like'"),
])
def test_listing_is_unprocessable_when_sort_or_filter_is_unsupported(
        sandbox: FlaskClient, world: dict[str, Any], query: dict[str, str],
        fragment: str) -> None:
    answer = sandbox.get(f"{BASE}/messages", headers=bearer(world), query_string=query)
    assert answer.status_code == 422 and fragment in answer.get_json()["message"]


def test_delivery_report_sort_error_is_the_documented_one_when_column_is_unsupported(
        sandbox: FlaskClient, world: dict[str, Any]) -> None:
    number = enabled_number(sandbox, world)
    uuid = send(sandbox, world, number, ["+12125550123"], "hi").get_json()["messages"][0]["uuid"]
    answer = sandbox.get(f"{BASE}/messages/uuid/{uuid}/delivery_reports", headers=bearer(world),
                         query_string={"sort": "destination"})
    assert (answer.status_code, answer.get_json()) == (422, {
        "message": "The request contains unsupported sort columns: 'destination'. "
                   "Supported columns: 'created_at, progress_bit'"})


def test_messages_by_number_are_not_found_when_the_number_has_none(
        sandbox: FlaskClient, world: dict[str, Any]) -> None:
    number = enabled_number(sandbox, world)
    answer = sandbox.get(f"{BASE}/messages/phone_number/{number}", headers=bearer(world))
    assert (answer.status_code, answer.get_json()) == (404, {
        "message": "Not Found - Could not find any messages for the requested phone number"})


# ---------------------------------------------------------------------------- inbound, auth


def test_inbound_message_is_refused_when_to_is_not_enabled(sandbox: FlaskClient) -> None:
    answer = sandbox.post("/_sandbox/sms", json={"from": "+12125550123", "to": "+18885550100",
                                                 "text": "hi"})
    assert answer.status_code == 404


@pytest.mark.parametrize("scheme", ["{token}", "Token {token}", "Basic c2FuZGJveDpzZWNyZXQ=",
                                    "Bearer", "Bearer wrong-token"])
def test_request_is_unauthorized_when_not_a_known_bearer_token(
        sandbox: FlaskClient, world: dict[str, Any], scheme: str) -> None:
    header = scheme.format(token=world["api_token"])
    answer = sandbox.get(f"{BASE}/phone_numbers", headers={"Authorization": header})
    assert answer.status_code == 401
    assert answer.get_json()["message"].startswith("Unauthorized - ")


def test_query_token_is_not_accepted_when_the_api_takes_bearer_only(
        sandbox: FlaskClient, world: dict[str, Any]) -> None:
    answer = sandbox.get(f"{BASE}/phone_numbers", query_string={"oauth_token":
                                                                world["api_token"]})
    assert answer.status_code == 401


def test_requests_are_answered_when_host_is_the_messaging_host(
        sandbox: FlaskClient, world: dict[str, Any]) -> None:
    answer = sandbox.get(f"{BASE}/phone_numbers", headers=bearer(world),
                         base_url="https://messaging.invoca.net")
    assert answer.status_code == 200


def test_route_is_not_found_in_the_family_shape_when_version_is_unknown(
        sandbox: FlaskClient, world: dict[str, Any]) -> None:
    answer = sandbox.get("/sms/2019-01-01/phone_numbers", headers=bearer(world))
    assert answer.status_code == 404 and list(answer.get_json()) == ["message"]


def test_same_messages_when_state_is_exported_and_imported(sandbox: FlaskClient,
                                                           world: dict[str, Any]) -> None:
    number = enabled_number(sandbox, world)
    send(sandbox, world, number, ["+12125550123"], "hi")
    sandbox.post("/_sandbox/sms", json={"from": "+12125550123", "to": number, "text": "yo"})
    advance(sandbox, 10)
    state = sandbox.get("/_sandbox/state").get_json()
    fresh = make_app().test_client()
    assert fresh.put("/_sandbox/state", json=state).status_code == 200
    listing = {f"{BASE}/messages", f"{BASE}/phone_numbers"}
    for url in listing:
        assert (fresh.get(url, headers=bearer(world)).get_json()
                == sandbox.get(url, headers=bearer(world)).get_json())


# ---------------------------------------------------------------------------- settings


def test_serve_flags_set_the_sms_settings_when_given() -> None:
    args = parser().parse_args(["--sms-send-delay", "2", "--sms-delivery-delay", "30",
                                "--sms-failure-rate", "0.25"])
    config = config_from(args)
    assert (config["SMS_SEND_DELAY_SECONDS"], config["SMS_DELIVERY_DELAY_SECONDS"],
            config["SMS_FAILURE_RATE"]) == (2.0, 30.0, 0.25)


def test_world_settings_set_the_failure_rate_when_the_world_names_one() -> None:
    token = "SmsWorldToken0000000000000000000"
    world = {
        "networks": [{"id": 1, "name": "One"}],
        "tokens": [{"token": token, "role": "network", "network_id": 1}],
        "objects": [
            {"type": "advertiser", "network_id": 1,
             "body": {"id_from_network": "adv-1", "name": "Advertiser"}},
            {"type": "advertiser_campaign", "network_id": 1, "advertiser_id_from_network": "adv-1",
             "body": {"id_from_network": "camp-1", "name": "Campaign"}},
        ],
        "settings": {"sms_failure_rate": 1.0},
    }
    sandbox = make_app(WORLD=world).test_client()
    found = {"network_id": 1, "api_token": token}
    number = enabled_number(sandbox, found)
    uuid = send(sandbox, found, number, ["+12125550123"], "hi").get_json()["messages"][0]["uuid"]
    advance(sandbox, 60)
    message = sandbox.get(f"{BASE}/messages/uuid/{uuid}", headers=bearer(found)).get_json()
    assert message["message"]["failed_at"] is not None


@pytest.mark.parametrize("rate", [-0.1, 1.5, "often", float("nan")])
def test_app_is_refused_when_the_failure_rate_is_out_of_range(rate: Any) -> None:
    with pytest.raises(RecordInvalid):
        make_app(SMS_FAILURE_RATE=rate)


@pytest.mark.parametrize("written", ["25%", "0.25"])
def test_serve_failure_rate_is_the_same_when_written_as_percent_or_fraction(
    written: str,
) -> None:
    config = config_from(parser().parse_args(["--sms-failure-rate", written]))
    assert config["SMS_FAILURE_RATE"] == pytest.approx(0.25)


def test_world_failure_rate_read_as_a_share_when_written_as_percent() -> None:
    assert sms_options({"WORLD": {"settings": {"sms_failure_rate": "50%"}}}) == {
        "sms_failure_rate": 0.5}
