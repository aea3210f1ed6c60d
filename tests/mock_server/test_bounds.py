"""Bad input is a 4xx in the API's own error shape and changes nothing: numbers beyond their
contract range, ids in other scripts' digits, a clock outside 2000..2100, control API inputs
of the wrong type, bodies beyond the size limit (issue 15)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import create_app
from mock_server.serve import config_from, parser

V = "2019-05-01"


@pytest.fixture
def app() -> Flask:
    return create_app({"SEED": 0, "CLOCK": "manual"})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def world(client: FlaskClient) -> dict[str, Any]:
    summary: dict[str, Any] = client.get("/_sandbox/world").get_json()
    return summary


def pools(world: dict[str, Any]) -> str:
    return (f"/api/{V}/{world['network_id']}/advertisers/{world['advertiser_id_from_network']}"
            f"/advertiser_campaigns/{world['advertiser_campaign_id_from_network']}"
            "/ring_pools.json")


def export(client: FlaskClient) -> bytes:
    response = client.get("/_sandbox/state")
    assert response.status_code == 200
    return response.data


def allocate(client: FlaskClient, world: dict[str, Any], fmt: str = "json") -> Any:
    pool = world["ring_pool"]
    return client.get(f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.{fmt}"
                      f"?ring_pool_key={pool['api_key']}&param1=x")


@pytest.mark.parametrize(("field", "raw", "message"), [
    ("max_pool_size", b"1e20", "is too large"),
    ("max_pool_size", b"18446744073709551616", "is too large"),
    ("max_pool_size", b'"' + b"9" * 25 + b'"', "must be less than or equal to 2147483647"),
    ("max_pool_size", b'"' + b"9" * 5000 + b'"', "is too long"),
    ("max_pool_size", b'"\xd9\xa1\xd9\xa2"', "is invalid"),
    ("lifetime_seconds", b"1e18", "is too large"),
    ("lifetime_seconds", b"1e308", "is too large"),
    ("name", b'"' + b"n" * 256 + b'"', "is too long"),
])
def test_pool_is_refused_in_the_field_shape_and_nothing_changes_when_a_field_is_out_of_range(
    client: FlaskClient, world: dict[str, Any], field: str, raw: bytes, message: str
) -> None:
    before = export(client)
    body = b'{"id_from_network": "rp-big", "%s": %s}' % (field.encode(), raw)
    response = client.post(pools(world), data=body, content_type="application/json",
                           headers={"Authorization": world["api_token"]})
    assert response.status_code == 403
    assert response.get_json() == {"errors": {field: [message]}}
    assert export(client) == before
    listed = client.get(pools(world), headers={"Authorization": world["api_token"]})
    assert listed.status_code == 200


@pytest.mark.parametrize("ring_pool_id",
                         ["2147483648", "9" * 30, "9" * 5000, "\u0661\u0662", "1_0"])
def test_legacy_allocation_is_404_not_found_when_the_pool_id_is_not_a_32_bit_ascii_integer(
    client: FlaskClient, ring_pool_id: str
) -> None:
    response = client.get(f"/api/2015-12-09/ring_pools/{ring_pool_id}/allocate_number.xml"
                          "?ring_pool_key=K&param1=x")
    assert response.status_code == 404
    assert b"<Class>NotFound</Class>" in response.data


@pytest.mark.parametrize("network_id", ["2147483648", "\u0663"])
def test_network_path_is_404_record_not_found_when_the_id_is_out_of_range(
    client: FlaskClient, world: dict[str, Any], network_id: str
) -> None:
    response = client.get(f"/api/{V}/{network_id}/advertisers.json",
                          headers={"Authorization": world["api_token"]})
    assert response.status_code == 404
    assert response.get_json()["errors"]["class"] == "RecordNotFound"


def test_bulk_row_is_refused_and_nothing_changes_when_its_pool_id_has_5000_digits(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    before = export(client)
    bulk = world["bulk_ring_pool"]
    response = client.post("/api/2013-07-01/bulk.json", json={"requests": [
        {"api_suffix": "9" * 5000 + f"/allocate_number.json?ring_pool_key={bulk['api_key']}"
                                    "&param1=x"}]})
    assert response.status_code == 200
    assert response.get_json()["responses"][0]["error_class"] == "InvalidKey"
    assert export(client) == before


@pytest.mark.parametrize("body", [
    {"now": "9999-12-31T23:59:59Z"}, {"now": "1999-12-31T23:59:59Z"},
    {"now": "2100-01-01T00:00:00.000001Z"}, {"advance_seconds": 1e12},
    {"advance_seconds": 1e300}, {"advance_seconds": 86_400 * 365 * 90},
])
def test_clock_is_refused_and_allocation_still_works_when_moved_outside_2000_to_2100(
    client: FlaskClient, world: dict[str, Any], body: dict[str, Any]
) -> None:
    before = export(client)
    response = client.post("/_sandbox/clock", json=body)
    assert response.status_code == 403
    assert response.get_json()["errors"]["class"] == "InvalidInput"
    assert "2100-01-01" in response.get_json()["errors"]["invalid_data"]
    assert export(client) == before
    assert allocate(client, world).status_code == 200
    assert client.post("/_sandbox/clock", json={"now": "2100-01-01T00:00:00Z"}).status_code == 200
    assert allocate(client, world).status_code == 200
    assert client.get("/_sandbox/state").status_code == 200


@pytest.mark.parametrize(("key", "value"), [
    ("now", "9999-12-31T23:59:59+00:00"), ("now", "1970-01-01T00:00:00+00:00"),
    ("built_at", "9999-12-31T23:59:59+00:00"), ("seed", 2**63),
])
def test_state_import_is_refused_and_nothing_changes_when_out_of_range(
    client: FlaskClient, key: str, value: Any
) -> None:
    state = client.get("/_sandbox/state").get_json()
    (state if key == "now" else state["replay"])[key] = value
    before = export(client)
    response = client.put("/_sandbox/state", data=orjson.dumps(state),
                          content_type="application/json")
    assert response.status_code == 403
    assert export(client) == before


@pytest.mark.parametrize(("method", "path", "body"), [
    ("post", "/_sandbox/faults", {"operation": ["x"]}),
    ("post", "/_sandbox/faults", {"operation": {"a": 1}}),
    ("post", "/_sandbox/faults", {"switch": ["early_overflow"]}),
    ("post", "/_sandbox/faults", {"switch": {"x": 1}}),
    ("post", "/_sandbox/clock", {"now": ["2017-01-01T00:00:00Z"]}),
    ("post", "/_sandbox/clock", {"now": 20170101}),
    ("post", "/_sandbox/calls", {"promo_number": "8005550100", "start_time": ["x"]}),
    ("post", "/_sandbox/calls", {"promo_number": "8005550100", "duration_seconds": 2**64}),
    ("post", "/_sandbox/prompt_recordings", {"network_id": ["1"], "id_from_network": "r"}),
    ("post", "/_sandbox/prompt_recordings", {"network_id": "\u0661", "id_from_network": "r"}),
    ("get", "/_sandbox/allocations?ring_pool_id=%D9%A1", None),
    ("get", "/_sandbox/allocations?ring_pool_id=" + "9" * 5000, None),
    ("put", "/_sandbox/state", {"now": ["x"], "replay": {"seed": [1]}}),
])
def test_control_api_refuses_with_403_record_invalid_when_an_input_has_the_wrong_type(
    client: FlaskClient, method: str, path: str, body: Any
) -> None:
    before = export(client)
    response = getattr(client, method)(path, json=body) if body is not None else getattr(
        client, method)(path)
    assert response.status_code == 403
    assert response.get_json()["errors"]["class"] == "RecordInvalid"
    assert export(client) == before


def test_refused_request_adds_no_journal_entry_when_the_model_refuses_it(
    client: FlaskClient, world: dict[str, Any]
) -> None:
    auth = {"Authorization": world["api_token"]}
    before = export(client)
    refused = client.post(pools(world), json={"id_from_network": "rp-9",
                                              "max_pool_size": "9" * 25}, headers=auth)
    assert refused.status_code == 403
    missing = client.put(pools(world).replace("ring_pools.json", "promo_numbers/8005550199.json"),
                         json={"description": "x", "media_type": "Online: Display"},
                         headers=auth)
    assert missing.status_code == 404, missing.data
    bulk = world["bulk_ring_pool"]
    rows = client.post("/api/2013-07-01/bulk.json", json={"requests": [
        {"api_suffix": f"{bulk['id']}/allocate_number.json?ring_pool_key=wrong&param1=x"}]})
    assert rows.get_json()["responses"][0]["error_class"] == "InvalidKey"
    assert export(client) == before


@pytest.mark.parametrize(("path", "content_type", "shape"), [
    ("/api/2013-07-01/bulk.json", "application/json", b'"class":"RequestEntityTooLarge"'),
    ("/api/2014-04-15/calls/1.xml", "application/x-www-form-urlencoded",
     b"<Class>RequestEntityTooLarge</Class>"),
    ("/api/2017-02-01/transactions/signals.json", "application/json",
     b'"class":"RequestEntityTooLarge"'),
])
def test_body_is_refused_with_413_in_the_family_shape_when_larger_than_the_limit(
    path: str, content_type: str, shape: bytes
) -> None:
    app = create_app({"SEED": 0, "CLOCK": "manual", "MAX_BODY_BYTES": 1000})
    client = app.test_client()
    before = export(client)
    response = client.post(path, data=b"x" * 1001, content_type=content_type,
                           headers={"Authorization": "t"})
    assert response.status_code == 413
    assert shape in response.data
    assert export(client) == before


def test_default_limit_refuses_a_2_mib_body_and_the_control_api_answers_413_json(
    client: FlaskClient,
) -> None:
    response = client.post("/_sandbox/clock", data=b" " * (2 * 1024 * 1024),
                           content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["errors"]["class"] == "RequestEntityTooLarge"


def test_state_import_takes_a_body_beyond_the_request_limit_when_under_its_own(
    world: dict[str, Any],
) -> None:
    app = create_app({"SEED": 0, "CLOCK": "manual", "MAX_BODY_BYTES": 1000})
    client = app.test_client()
    state = export(client)
    assert len(state) > 1000
    assert client.put("/_sandbox/state", data=state,
                      content_type="application/json").status_code == 200
    small = create_app({"SEED": 0, "CLOCK": "manual", "MAX_STATE_BYTES": 1000}).test_client()
    assert small.put("/_sandbox/state", data=state,
                     content_type="application/json").status_code == 413


def test_serve_sets_the_body_limits_when_given_flags() -> None:
    args = parser().parse_args(["--max-body-bytes", "2048", "--max-state-bytes", "0"])
    config = config_from(args)
    assert (config["MAX_BODY_BYTES"], config["MAX_STATE_BYTES"]) == (2048, 0)
    defaults = config_from(parser().parse_args([]))
    assert (defaults["MAX_BODY_BYTES"], defaults["MAX_STATE_BYTES"]) == (2**20, 2**26)
    for bad in (["--max-body-bytes", "-1"], ["--max-body-bytes", "\u0661"],
                ["--start", "2101-01-01T00:00:00Z"]):
        with pytest.raises(SystemExit):
            parser().parse_args(bad)
