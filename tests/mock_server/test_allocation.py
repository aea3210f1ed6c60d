"""The legacy RingPool API and the Bulk RingPool API through the frame (real contract)."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask.testing import FlaskClient


def allocate_url(pool: dict[str, Any], fmt: str, key: str | None = None) -> str:
    return (f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.{fmt}"
            f"?ring_pool_key={pool['api_key'] if key is None else key}&param1=demo")


def test_json_allocation_has_the_seed_keys_when_allocated(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    response = sandbox.get(allocate_url(world["ring_pool"], "json"))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert list(body) == ["promo_number_formatted", "tracking_url", "promo_number"]
    number = body["promo_number"]
    assert body["promo_number_formatted"] == f"{number[:3]}-{number[3:6]}-{number[6:]}"


def test_xml_allocation_is_a_response_document_when_allocated(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    response = sandbox.get(allocate_url(world["ring_pool"], "xml"))
    assert response.status_code == 200
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    assert [child.tag for child in root] == ["PromoNumberFormatted", "PromoNumber", "TrackingUrl"]


def test_csv_allocation_is_header_and_one_row_when_allocated(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    response = sandbox.get(allocate_url(world["ring_pool"], "csv"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["PromoNumberFormatted", "PromoNumber", "TrackingUrl"]
    assert len(rows) == 2


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [("json", "InvalidKey: API Key 'nope' is not valid for resource '{id}'"),
     ("csv", "InvalidKey: API Key 'nope' is not valid for resource '{id}'")],
)
def test_wrong_key_is_text_error_when_format_is_json_or_csv(
    sandbox: FlaskClient, world: dict[str, Any], fmt: str, expected: str
) -> None:
    response = sandbox.get(allocate_url(world["ring_pool"], fmt, key="nope"))
    assert response.status_code == 403
    assert response.get_data(as_text=True) == expected.format(id=world["ring_pool"]["id"])


def test_wrong_key_is_xml_error_when_format_is_xml(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    response = sandbox.get(allocate_url(world["ring_pool"], "xml", key="nope"))
    assert response.status_code == 403
    root = ET.fromstring(response.data)
    assert root.findtext("Class") == "InvalidKey"


def test_missing_key_is_invalid_key_when_allocating(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    response = sandbox.get(f"/api/2015-12-09/ring_pools/{world['ring_pool']['id']}"
                           "/allocate_number.json?param1=x")
    assert response.status_code == 403
    assert response.get_data(as_text=True).startswith("InvalidKey: API Key ''")


def test_bulk_pool_refuses_legacy_allocation_when_called_as_json(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    response = sandbox.get(allocate_url(world["bulk_ring_pool"], "json"))
    assert response.status_code == 403
    assert response.get_json()["errors"]["class"] == "OnlyBulkNumberAllocationAllowed"


def test_bulk_rows_answer_in_order_when_one_row_fails(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    pool = world["bulk_ring_pool"]
    requests = [
        {"api_suffix": f"{pool['id']}/allocate_number.json?ring_pool_key={pool['api_key']}"
                       "&param1=a", "request_id": "first"},
        {"api_suffix": f"{pool['id']}/allocate_number.json?ring_pool_key=bad&param1=a",
         "request_id": "second"},
    ]
    response = sandbox.post("/api/2013-07-01/bulk.json", json={"requests": requests})
    assert response.status_code == 200
    assert float(response.headers["processing-time"]) >= 0
    rows = response.get_json()["responses"]
    assert [row["request_id"] for row in rows] == ["first", "second"]
    assert "promo_number" in rows[0]
    assert rows[1]["error_class"] == "InvalidKey"


def test_bulk_request_without_rows_is_refused_when_posted(sandbox: FlaskClient) -> None:
    response = sandbox.post("/api/2013-07-01/bulk.json", json={"requests": []})
    assert response.status_code == 403
    assert response.get_json()["errors"]["class"] == "InvalidInput"


def test_call_on_an_allocated_number_reads_back_when_listing_transactions(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    allocated = sandbox.get(allocate_url(world["ring_pool"], "json")).get_json()
    sandbox.post("/_sandbox/clock", json={"advance_seconds": 30})
    call = sandbox.post("/_sandbox/calls", json={"promo_number": allocated["promo_number"],
                                                 "duration_seconds": 90})
    assert call.status_code == 201
    transaction_id = call.get_json()["transaction_id"]
    headers = {"Authorization": world["api_token"]}
    base = f"/api/2016-10-01/networks/transactions/{world['network_id']}"
    # in the contract's column order (x-csv-columns)
    columns = ("include_columns=complete_call_id,duration,start_time_utc,transaction_id,"
               "transaction_type,dynamic_number_pool_referrer_param1_value")
    rows = sandbox.get(f"{base}.json?{columns}", headers=headers).get_json()
    assert len(rows) == 1
    assert rows[0]["transaction_id"] == transaction_id
    assert rows[0]["dynamic_number_pool_referrer_param1_value"] == "demo"
    assert rows[0]["duration"] == 90
    as_xml = ET.fromstring(sandbox.get(f"{base}.xml?{columns}", headers=headers).data)
    assert as_xml.tag == "Transactions"
    assert [row.findtext("transaction_id") for row in as_xml] == [transaction_id]
    as_csv = sandbox.get(f"{base}.csv?{columns}", headers=headers).get_data(as_text=True)
    parsed = list(csv.DictReader(io.StringIO(as_csv)))
    assert [(row["transaction_id"], row["dynamic_number_pool_referrer_param1_value"],
             row["duration"]) for row in parsed] == [(transaction_id, "demo", "90")]


def test_csv_options_shape_the_body_when_listing_transactions(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    allocated = sandbox.get(allocate_url(world["ring_pool"], "json")).get_json()
    sandbox.post("/_sandbox/calls", json={"promo_number": allocated["promo_number"]})
    response = sandbox.get(
        f"/api/2016-10-01/networks/transactions/{world['network_id']}.csv"
        "?include_columns=duration,dynamic_number_pool_referrer_param1_value"
        "&column_separator=%7C&row_separator=%0D%0A&include_header=0&force_quotes=1",
        headers={"Authorization": world["api_token"]},
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True) == '"60"|"demo"\r\n'


@pytest.mark.parametrize(
    "body",
    [{}, {"promo_number": 5}, {"promo_number": "8005550123", "start_time": "soon"},
     {"promo_number": "8005550123", "duration_seconds": -1}],
)
def test_malformed_call_is_refused_when_simulated(
    sandbox: FlaskClient, body: dict[str, Any]
) -> None:
    response = sandbox.post("/_sandbox/calls", json=body)
    assert response.status_code == 403
    assert response.get_json()["errors"]["class"] == "RecordInvalid"


def test_allocation_log_lists_allocations_when_asked(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    sandbox.get(allocate_url(world["ring_pool"], "json"))
    log = sandbox.get(f"/_sandbox/allocations?ring_pool_id={world['ring_pool']['id']}")
    assert log.status_code == 200
    assert len(log.get_json()) == 1
    assert sandbox.get("/_sandbox/allocations").status_code == 403
    assert sandbox.get("/_sandbox/allocations?ring_pool_id=999").status_code == 404


def test_state_round_trips_when_exported_and_imported(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    sandbox.get(allocate_url(world["ring_pool"], "json"))
    exported = sandbox.get("/_sandbox/state").get_json()
    sandbox.post("/_sandbox/reset")
    assert sandbox.get(f"/_sandbox/allocations?ring_pool_id={world['ring_pool']['id']}"
                       ).get_json() == []
    imported = sandbox.put("/_sandbox/state", json=exported)
    assert imported.status_code == 200
    assert sandbox.get("/_sandbox/state").get_json() == exported
    assert sandbox.put("/_sandbox/state", json={"nothing": 1}).status_code == 403


def test_xml_error_is_well_formed_when_the_key_has_control_characters(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    response = sandbox.get(allocate_url(world["ring_pool"], "xml", key="bad\x0bkey\x01"))
    assert response.status_code == 403
    root = ET.fromstring(response.data)
    assert root.findtext("Message") == (
        f"API Key 'badkey' is not valid for resource '{world['ring_pool']['id']}'")


def test_csv_columns_follow_the_documented_order_when_include_columns_is_reordered(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    allocated = sandbox.get(allocate_url(world["ring_pool"], "json")).get_json()
    sandbox.post("/_sandbox/calls", json={"promo_number": allocated["promo_number"]})
    base = f"/api/2020-10-01/networks/transactions/{world['network_id']}"
    headers = {"Authorization": world["api_token"]}
    query = "?include_columns=duration,transaction_id,advertiser_campaign_country,advertiser_id"
    header = sandbox.get(f"{base}.csv{query}", headers=headers).get_data(as_text=True)
    assert header.splitlines()[0] == (
        "advertiser_campaign_country,advertiser_id,duration,transaction_id")
    rows = sandbox.get(f"{base}.json{query}", headers=headers).get_json()
    assert list(rows[0]) == ["advertiser_campaign_country", "advertiser_id", "duration",
                             "transaction_id"]


def test_empty_csv_page_has_its_header_when_include_header_is_1(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    base = f"/api/2016-10-01/networks/transactions/{world['network_id']}.csv"
    headers = {"Authorization": world["api_token"]}
    empty = sandbox.get(f"{base}?include_columns=transaction_id,duration", headers=headers)
    assert empty.status_code == 200
    assert empty.get_data(as_text=True) == "duration,transaction_id\n"
    bare = sandbox.get(f"{base}?include_columns=duration&include_header=0", headers=headers)
    assert bare.get_data(as_text=True) == ""


def test_json_row_has_only_the_selected_columns_when_include_columns_omits_ids(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    allocated = sandbox.get(allocate_url(world["ring_pool"], "json")).get_json()
    sandbox.post("/_sandbox/calls", json={"promo_number": allocated["promo_number"]})
    response = sandbox.get(
        f"/api/2016-10-01/networks/transactions/{world['network_id']}.json"
        "?include_columns=duration", headers={"Authorization": world["api_token"]})
    assert response.status_code == 200
    assert response.get_json() == [{"duration": 60}]
