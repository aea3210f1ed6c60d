"""The Signal API (both shapes) and legacy Conversion Reporting through the frame."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask.testing import FlaskClient

CALLER = "+18055550100"


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


@pytest.fixture
def call(sandbox: FlaskClient, world: dict[str, Any]) -> dict[str, Any]:
    """A 90 s call at 00:00:30 on a number allocated at 00:00:00, then 5 minutes pass."""
    pool = world["ring_pool"]
    allocated = sandbox.get(f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
                            f"?ring_pool_key={pool['api_key']}&param1=hello").get_json()
    sandbox.post("/_sandbox/clock", json={"advance_seconds": 30})
    made: dict[str, Any] = sandbox.post("/_sandbox/calls", json={
        "promo_number": allocated["promo_number"], "duration_seconds": 90,
        "calling_phone_number": CALLER[2:]}).get_json()
    sandbox.post("/_sandbox/clock", json={"advance_seconds": 300})
    return made


def test_signals_answer_200_with_the_call_when_reported(
    sandbox: FlaskClient, auth: dict[str, str], call: dict[str, Any]
) -> None:
    response = sandbox.post("/api/2018-02-01/transactions.json", headers=auth, json={
        "search": {"transaction_id": call["transaction_id"]},
        "signals": [{"name": "Quote", "revenue": "10.50"}]})
    assert response.status_code == 200
    body = response.get_json()
    assert body["call"]["transaction_id"] == call["transaction_id"]
    assert [(s["name"], s["revenue"]) for s in body["signals"]] == [("Quote", "10.5")]


def test_call_in_progress_answers_201_empty_when_reported(
    sandbox: FlaskClient, auth: dict[str, str], call: dict[str, Any]
) -> None:
    response = sandbox.put("/api/2018-02-01/transactions.json", headers=auth, json={
        "search": {"transaction_id": call["transaction_id"]},
        "signals": [{"name": "Quote"}], "call_in_progress": True})
    assert response.status_code == 201
    assert response.data == b""


def test_old_shape_signal_is_201_then_200_when_reported_twice(
    sandbox: FlaskClient, auth: dict[str, str], call: dict[str, Any]
) -> None:
    body = {"search": {"transaction_id": call["transaction_id"]},
            "signal": {"name": "sale", "partner_unique_id": "1", "sale_amount": "100.00"}}
    first = sandbox.post("/api/2016-08-01/transactions/signals.json", headers=auth, json=body)
    assert first.status_code == 201
    body["signal"]["sale_amount"] = "200.00"
    second = sandbox.post("/api/2016-08-01/transactions/signals.json", headers=auth, json=body)
    assert second.status_code == 200
    assert second.get_json()["signal"]["corrects_transaction_id"] == (
        first.get_json()["signal"]["transaction_id"])
    by_path = sandbox.post(f"/api/2016-08-01/transactions/{call['transaction_id']}/signals.json",
                           headers=auth, json={"signal": {"name": "other"}})
    assert by_path.status_code == 201


def test_unknown_call_is_404_when_reporting_signals(
    sandbox: FlaskClient, auth: dict[str, str]
) -> None:
    response = sandbox.post("/api/2018-02-01/transactions.json", headers=auth, json={
        "search": {"transaction_id": "00000000-00000001"}, "signals": [{"name": "Quote"}]})
    assert response.status_code == 404
    assert response.get_json() == {"errors": {
        "class": "RecordNotFound",
        "invalid_data": "No call found. Please refer to the documentation."}}


def test_wrong_version_is_400_when_the_signal_route_is_not_in_it(
    sandbox: FlaskClient, auth: dict[str, str]
) -> None:
    response = sandbox.post("/api/2017-02-01/transactions.json", headers=auth,
                            json={"search": {"transaction_id": "x"}, "signals": []})
    assert response.status_code == 400
    assert response.get_json()["errors"]["class"] == "BadRequest"


def conversion_url(sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> str:
    advertiser = sandbox.get(
        f"/api/2016-10-01/{world['network_id']}/advertisers/"
        f"{world['advertiser_id_from_network']}.json", headers=auth).get_json()
    return f"/api/2014-04-15/calls/{advertiser['id']}.xml"


def test_conversion_answers_201_then_200_with_a_space_when_reported_and_updated(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], call: dict[str, Any]
) -> None:
    url = conversion_url(sandbox, world, auth)
    basic = (world["basic_auth"]["username"], world["basic_auth"]["password"])
    assert call["start_time_utc"] == 1475280030000  # the call starts at 00:00:30
    form = {"start_time_t": "1475280030", "calling_phone_number": CALLER,
            "sale_amount": "60.50"}
    created = sandbox.post(url, data=form, auth=basic)
    assert (created.status_code, created.data, created.mimetype) == (201, b" ",
                                                                    "application/xml")
    updated = sandbox.put(url, data={**form, "sale_amount": "70.50"}, auth=basic)
    assert (updated.status_code, updated.data) == (200, b" ")


def test_conversion_without_a_matching_call_is_xml_404_when_reported(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    basic = (world["basic_auth"]["username"], world["basic_auth"]["password"])
    response = sandbox.post(conversion_url(sandbox, world, auth),
                            data={"start_time_t": "1375280030", "calling_phone_number": CALLER},
                            auth=basic)
    assert response.status_code == 404
    assert ET.fromstring(response.data).findtext("Class") == "NotFound"


def test_conversion_refuses_a_token_when_basic_is_required(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    response = sandbox.post(conversion_url(sandbox, world, auth),
                            data={"start_time_t": "1475280030"}, headers=auth)
    assert response.status_code == 401
    root = ET.fromstring(response.data)
    assert root.findtext("Class") == "Unauthorized"
    assert root.findtext("Message") == "API credentials are required: HTTP Basic credentials"


def test_errors_answer_201_when_use_http_status_is_0(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    basic = (world["basic_auth"]["username"], world["basic_auth"]["password"])
    response = sandbox.post(conversion_url(sandbox, world, auth),
                            data={"start_time_t": "1375280030", "calling_phone_number": CALLER,
                                  "use_http_status": "0"}, auth=basic)
    assert response.status_code == 201
    assert ET.fromstring(response.data).findtext("Class") == "NotFound"


def test_missing_credentials_stay_401_when_use_http_status_is_0(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    response = sandbox.post(conversion_url(sandbox, world, auth),
                            data={"start_time_t": "1475280030", "use_http_status": "0"})
    assert response.status_code == 401


def test_unknown_conversion_reporting_id_is_xml_404_not_found_when_reported(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    basic = (world["basic_auth"]["username"], world["basic_auth"]["password"])
    response = sandbox.post("/api/2014-04-15/calls/987654.xml",
                            data={"start_time_t": "1475280030"}, auth=basic)
    assert response.status_code == 404
    root = ET.fromstring(response.data)
    assert root.findtext("Class") == "NotFound"
    assert root.findtext("Message") == "Couldn't find conversion reporting id 987654"


def test_contract_refusal_keeps_its_status_when_use_http_status_is_0(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    basic = (world["basic_auth"]["username"], world["basic_auth"]["password"])
    wrong_version = sandbox.post("/api/2013-01-01/calls/1.xml", auth=basic,
                                 data={"start_time_t": "1475280030", "use_http_status": "0"})
    assert wrong_version.status_code == 404
    assert ET.fromstring(wrong_version.data).findtext("Class") == "NotFound"


def test_use_http_status_outside_its_values_is_refused_by_the_contract_when_reported(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    basic = (world["basic_auth"]["username"], world["basic_auth"]["password"])
    bad_field = sandbox.post("/api/2014-04-15/calls/1.xml", auth=basic,
                             data={"start_time_t": "1475280030", "use_http_status": "7"})
    assert bad_field.status_code == 403
    assert ET.fromstring(bad_field.data).findtext("Class") == "InvalidInput"
