"""Fault switches: each one makes the sandbox misbehave in a way a contract check can see."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.app import create_app
from mock_server.faults import SWITCHES


@pytest.fixture
def sandbox() -> FlaskClient:
    return create_app({"SEED": 0, "CLOCK": "manual"}).test_client()


@pytest.fixture
def world(sandbox: FlaskClient) -> dict[str, Any]:
    summary: dict[str, Any] = sandbox.get("/_sandbox/world").get_json()
    return summary


def switch_on(sandbox: FlaskClient, name: str) -> None:
    response = sandbox.post("/_sandbox/faults", json={"switch": name})
    assert response.status_code == 201
    assert {"switch": name, "description": SWITCHES[name]} in response.get_json()


def allocate(sandbox: FlaskClient, world: dict[str, Any], fmt: str = "json") -> Any:
    pool = world["ring_pool"]
    return sandbox.get(f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.{fmt}"
                       f"?ring_pool_key={pool['api_key']}&param1=x")


def overflow_number(sandbox: FlaskClient, world: dict[str, Any]) -> str:
    pools = sandbox.get(
        f"/api/2016-10-01/{world['network_id']}/advertisers/{world['advertiser_id_from_network']}"
        f"/advertiser_campaigns/{world['advertiser_campaign_id_from_network']}/ring_pools.json",
        headers={"Authorization": world["api_token"]}).get_json()
    number: str = next(p for p in pools if p["id"] == world["ring_pool"]["id"])["overflow_number"]
    return number


def test_unknown_switch_is_refused_when_posted(sandbox: FlaskClient) -> None:
    response = sandbox.post("/_sandbox/faults", json={"switch": "make_coffee"})
    assert response.status_code == 403
    assert sandbox.get("/_sandbox/faults").get_json() == []


def test_delete_turns_every_switch_off_when_called(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    switch_on(sandbox, "early_overflow")
    assert sandbox.delete("/_sandbox/faults").get_json() == []
    assert allocate(sandbox, world).get_json()["promo_number"] != overflow_number(sandbox, world)


def test_early_overflow_serves_the_overflow_number_when_the_pool_is_empty(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    switch_on(sandbox, "early_overflow")
    body = allocate(sandbox, world).get_json()
    overflow = overflow_number(sandbox, world)
    assert body["promo_number"] == overflow
    assert body["promo_number_formatted"] == f"{overflow[:3]}-{overflow[3:6]}-{overflow[6:]}"


def test_reuse_held_number_serves_one_number_twice_when_on(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    switch_on(sandbox, "reuse_held_number")
    first = allocate(sandbox, world).get_json()["promo_number"]
    second = ET.fromstring(allocate(sandbox, world, "xml").data).findtext("PromoNumber")
    assert first == second


def test_skip_recycling_keeps_serving_overflow_when_numbers_were_freed(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    switch_on(sandbox, "skip_recycling")
    overflow = overflow_number(sandbox, world)
    served = [allocate(sandbox, world).get_json()["promo_number"] for _ in range(16)]
    assert served[0] != overflow
    assert served[-1] == overflow
    sandbox.post("/_sandbox/clock", json={"advance_seconds": 3600})
    assert allocate(sandbox, world).get_json()["promo_number"] == overflow


def test_recycling_serves_a_freed_number_when_skip_recycling_is_off(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    overflow = overflow_number(sandbox, world)
    served = [allocate(sandbox, world).get_json()["promo_number"] for _ in range(16)]
    assert served[-1] == overflow
    sandbox.post("/_sandbox/clock", json={"advance_seconds": 3600})
    assert allocate(sandbox, world).get_json()["promo_number"] != overflow


def test_wrong_error_shape_breaks_error_bodies_when_on(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    switch_on(sandbox, "wrong_error_shape")
    pool = world["ring_pool"]
    text = sandbox.get(f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
                       "?ring_pool_key=bad").get_data(as_text=True)
    assert text.startswith("InvalidKey - ")
    as_json = sandbox.get(f"/api/2016-10-01/{world['network_id']}/advertisers.json")
    assert "errors" not in as_json.get_json()


def test_wrong_upsert_status_answers_200_when_posting(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    switch_on(sandbox, "wrong_upsert_status")
    response = sandbox.post(f"/api/2016-10-01/{world['network_id']}/advertisers.json",
                            json={"id_from_network": "a9", "name": "A"},
                            headers={"Authorization": world["api_token"]})
    assert response.status_code == 200


def test_xml_element_renamed_changes_success_and_error_xml_when_on(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    switch_on(sandbox, "xml_element_renamed")
    root = ET.fromstring(allocate(sandbox, world, "xml").data)
    assert root.find("PromoNumber") is None and root.findtext("RenamedPromoNumber")
    pool = world["ring_pool"]
    error = ET.fromstring(sandbox.get(f"/api/2015-12-09/ring_pools/{pool['id']}"
                                      "/allocate_number.xml?ring_pool_key=bad").data)
    assert error.find("Message") is None and error.findtext("Text")


def test_csv_header_renamed_changes_the_header_when_on(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    switch_on(sandbox, "csv_header_renamed")
    header = next(csv.reader(io.StringIO(allocate(sandbox, world, "csv").get_data(as_text=True))))
    assert header == ["PromoNumberFormatted", "RenamedPromoNumber", "TrackingUrl"]


def test_ignore_auth_answers_without_credentials_when_on(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    path = f"/api/2016-10-01/{world['network_id']}/advertisers.json"
    assert sandbox.get(path).status_code == 401
    switch_on(sandbox, "ignore_auth")
    assert sandbox.get(path).status_code == 200


def test_ignore_auth_keeps_the_credentials_a_request_carries_when_on(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    switch_on(sandbox, "ignore_auth")
    path = f"/api/2016-10-01/{world['network_id']}/advertisers.json"
    assert sandbox.get(f"{path}?oauth_token=wrong").status_code == 401
    assert sandbox.post(path, json={"id_from_network": "a9", "name": "A",
                                    "oauth_token": "wrong"}).status_code == 401
    assert sandbox.get(f"{path}?oauth_token={world['api_token']}").status_code == 200


def test_ignore_auth_lends_basic_credentials_when_the_operation_takes_only_basic(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    # Conversion Reporting takes HTTP Basic only: without credentials it is 401, switched on it
    # reaches the model (no call matches: 404)
    path = "/api/2014-04-15/calls/1.xml"
    form = {"start_time_t": "1375280030", "calling_phone_number": "8005550100"}
    assert sandbox.post(path, data=form).status_code == 401
    switch_on(sandbox, "ignore_auth")
    response = sandbox.post(path, data=form)
    assert response.status_code == 404
    assert ET.fromstring(response.data).findtext("Class") == "NotFound"


def test_misattribute_answers_calls_as_the_first_attributed_allocation_when_on(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    switch_on(sandbox, "misattribute")
    pool = world["ring_pool"]

    def allocate_for(token: str) -> str:
        number: str = sandbox.get(
            f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
            f"?ring_pool_key={pool['api_key']}&param1={token}").get_json()["promo_number"]
        return number

    first, second = allocate_for("first"), allocate_for("second")
    attributed = [sandbox.post("/_sandbox/calls", json={"promo_number": number}).get_json()[
        "dynamic_number_pool_referrer_param1_value"] for number in (first, second)]
    assert attributed == ["first", "first"]
    sandbox.delete("/_sandbox/faults")
    again = sandbox.post("/_sandbox/calls", json={"promo_number": second}).get_json()
    assert again["dynamic_number_pool_referrer_param1_value"] == "second"


def test_middleware_is_mounted_only_while_a_switch_or_fault_is_on() -> None:
    app = create_app({"SEED": 0, "CLOCK": "manual"})
    client = app.test_client()
    plain = app.wsgi_app
    switch_on(client, "wrong_error_shape")
    assert app.wsgi_app is not plain
    client.delete("/_sandbox/faults")
    assert app.wsgi_app is plain
    client.post("/_sandbox/faults", json={"operation": "allocateNumber", "count": 1})
    assert app.wsgi_app is not plain
    world: dict[str, Any] = client.get("/_sandbox/world").get_json()
    assert allocate(client, world).status_code == 500  # the fault is spent
    assert app.wsgi_app is plain
