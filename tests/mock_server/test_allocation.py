"""The legacy RingPool API and the Bulk RingPool API through the frame (real contract)."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.app import create_app
from tests.mock_server.conftest import ContractCheckingClient


@pytest.fixture
def sandbox() -> FlaskClient:
    app = create_app({"SEED": 0, "CLOCK": "manual"})
    app.test_client_class = ContractCheckingClient
    return app.test_client()


@pytest.fixture
def world(sandbox: FlaskClient) -> dict[str, Any]:
    summary: dict[str, Any] = sandbox.get("/_sandbox/world").get_json()
    return summary


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
