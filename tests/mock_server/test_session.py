"""Issue 5's scripted session, end to end through the HTTP face (every response checked
against the contract by ``ContractCheckingClient``).

Create a pool of 3 through the Network Integration API, allocate 4 numbers (the 4th is the
overflow number), move the clock past ``lifetime_seconds``, allocate again (a recycled
number: the one idle longest), simulate a call on it, and read the call back from the
Transactions API attributed to that allocation's parameters. Once per format (json, xml,
csv), and once more through the Bulk RingPool API.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.app import create_app
from tests.mock_server.conftest import ContractCheckingClient

LIFETIME = 600
COLUMNS = (
    "transaction_id,transaction_type,dynamic_number_pool_id,"
    "dynamic_number_pool_referrer_param1_name,dynamic_number_pool_referrer_param1_value"
)


@pytest.fixture
def sandbox() -> FlaskClient:
    app = create_app({"SEED": 7, "CLOCK": "manual"})
    app.test_client_class = ContractCheckingClient
    return app.test_client()


def create_pool(sandbox: FlaskClient, world: dict[str, Any], *, bulk: bool) -> dict[str, Any]:
    """A pool of 3 through the Network Integration API.

    Bulk serving is switched on by Invoca's Customer Success, not through the API: the demo
    world has one bulk-enabled pool, which the session reshapes with a PUT (an update keeps
    it bulk-enabled). The legacy session creates its own pool with a POST.
    """
    base = (f"/api/2016-10-01/{world['network_id']}/advertisers/"
            f"{world['advertiser_id_from_network']}/advertiser_campaigns/"
            f"{world['advertiser_campaign_id_from_network']}/ring_pools")
    body: dict[str, Any] = {
        "name": "Session pool", "pool_type": "Custom", "destination_type": "Advertiser",
        "max_pool_size": 3, "lifetime_seconds": LIFETIME, "param1": "gclid",
    }
    headers = {"Authorization": world["api_token"]}
    if bulk:
        pool_id = world["bulk_ring_pool"]["id_from_network"]
        response = sandbox.put(f"{base}/{pool_id}.json", json={"id_from_network": pool_id,
                                                               **body}, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
    else:
        response = sandbox.post(f"{base}.json", json={"id_from_network": "session", **body},
                                headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)
    pool: dict[str, Any] = response.get_json()
    assert pool["max_pool_size"] == 3
    assert pool["lifetime_seconds"] == LIFETIME
    return pool


def allocate(sandbox: FlaskClient, pool: dict[str, Any], fmt: str, visitor: str) -> str:
    response = sandbox.get(f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.{fmt}"
                           f"?ring_pool_key={pool['api_key']}&gclid={visitor}")
    assert response.status_code == 200, response.get_data(as_text=True)
    if fmt == "json":
        number: str = response.get_json()["promo_number"]
    elif fmt == "xml":
        number = ET.fromstring(response.data).findtext("PromoNumber") or ""
    else:
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert len(rows) == 1
        number = rows[0]["PromoNumber"]
    assert len(number) == 10
    return number


def transactions(sandbox: FlaskClient, world: dict[str, Any], fmt: str) -> list[dict[str, Any]]:
    response = sandbox.get(
        f"/api/2016-10-01/networks/transactions/{world['network_id']}.{fmt}"
        f"?include_columns={COLUMNS}", headers={"Authorization": world["api_token"]})
    assert response.status_code == 200, response.get_data(as_text=True)
    if fmt == "json":
        rows: list[dict[str, Any]] = response.get_json()
        return [{key: str(value) for key, value in row.items()} for row in rows]
    if fmt == "xml":
        root = ET.fromstring(response.data)
        assert root.tag == "Transactions"
        return [{child.tag: child.text or "" for child in row} for row in root]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def overflow_flags(sandbox: FlaskClient, pool: dict[str, Any]) -> list[bool]:
    log = sandbox.get(f"/_sandbox/allocations?ring_pool_id={pool['id']}").get_json()
    entries = log["allocations"] if isinstance(log, dict) else log
    return [bool(entry["overflow"]) for entry in entries]


def call_and_read_back(sandbox: FlaskClient, world: dict[str, Any], pool: dict[str, Any],
                       number: str, fmt: str) -> None:
    call = sandbox.post("/_sandbox/calls", json={"promo_number": number,
                                                 "duration_seconds": 75})
    assert call.status_code == 201, call.get_data(as_text=True)
    transaction_id = call.get_json()["transaction_id"]
    rows = [row for row in transactions(sandbox, world, fmt)
            if row["transaction_id"] == transaction_id]
    assert len(rows) == 1
    row = rows[0]
    assert row["dynamic_number_pool_id"] == str(pool["id"])
    assert row["dynamic_number_pool_referrer_param1_name"] == "gclid"
    # the recycled number's latest allocation, not the first visitor who held it
    assert row["dynamic_number_pool_referrer_param1_value"] == "late-visitor"


@pytest.mark.parametrize("fmt", ["json", "xml", "csv"])
def test_recycled_number_call_reads_back_attributed_when_session_runs_in_each_format(
    sandbox: FlaskClient, world: dict[str, Any], fmt: str
) -> None:
    pool = create_pool(sandbox, world, bulk=False)
    first_three = [allocate(sandbox, pool, fmt, f"visitor-{n}") for n in range(1, 4)]
    assert len(set(first_three)) == 3
    fourth = allocate(sandbox, pool, fmt, "visitor-4")
    assert fourth not in first_three
    assert overflow_flags(sandbox, pool) == [False, False, False, True]
    # still held just before the lifetime ends: the overflow number again
    sandbox.post("/_sandbox/clock", json={"advance_seconds": LIFETIME - 1})
    assert allocate(sandbox, pool, fmt, "visitor-5") == fourth
    sandbox.post("/_sandbox/clock", json={"advance_seconds": 2})
    recycled = allocate(sandbox, pool, fmt, "late-visitor")
    assert recycled == first_three[0]  # the number idle longest
    assert overflow_flags(sandbox, pool)[-1] is False
    sandbox.post("/_sandbox/clock", json={"advance_seconds": 30})
    call_and_read_back(sandbox, world, pool, recycled, fmt)


def test_recycled_number_call_reads_back_attributed_when_session_uses_the_bulk_api(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    pool = create_pool(sandbox, world, bulk=True)
    legacy = sandbox.get(f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
                         f"?ring_pool_key={pool['api_key']}&gclid=x")
    assert legacy.status_code == 403  # OnlyBulkNumberAllocationAllowed
    suffix = f"{pool['id']}/allocate_number.json?ring_pool_key={pool['api_key']}"
    rows = [{"api_suffix": f"{suffix}&gclid=visitor-{n}", "request_id": f"r{n}"}
            for n in range(1, 5)]
    response = sandbox.post("/api/2013-07-01/bulk.json", json={"requests": rows})
    assert response.status_code == 200
    assert "processing-time" in response.headers
    answers = response.get_json()["responses"]
    assert [answer["request_id"] for answer in answers] == ["r1", "r2", "r3", "r4"]
    assert ["overflow" in answer for answer in answers] == [False, False, False, True]
    assert answers[3]["overflow"] is True
    first_three = [answer["promo_number"] for answer in answers[:3]]
    assert len(set(first_three)) == 3
    sandbox.post("/_sandbox/clock", json={"advance_seconds": LIFETIME + 1})
    late = sandbox.post("/api/2013-07-01/bulk.json", json={
        "requests": [{"api_suffix": f"{suffix}&gclid=late-visitor", "request_id": "late"}]})
    (answer,) = late.get_json()["responses"]
    assert "overflow" not in answer
    assert answer["promo_number"] == first_three[0]
    sandbox.post("/_sandbox/clock", json={"advance_seconds": 30})
    for fmt in ("json", "xml", "csv"):
        call_and_read_back(sandbox, world, pool, answer["promo_number"], fmt)


def session_bytes(seed: int) -> list[bytes]:
    """Every response body of a fixed session (allocation in each format, Bulk, a clock jump,
    a call, transactions in each format) on a fresh sandbox with ``seed``."""
    app = create_app({"SEED": seed, "CLOCK": "manual"})
    client = app.test_client()
    world = client.get("/_sandbox/world").get_json()
    pool, bulk = world["ring_pool"], world["bulk_ring_pool"]
    bodies = [client.get("/_sandbox/world").data]
    for fmt in ("json", "xml", "csv", "json"):
        bodies.append(client.get(f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number."
                                 f"{fmt}?ring_pool_key={pool['api_key']}&utm_source=s").data)
    suffix = f"{bulk['id']}/allocate_number.json?ring_pool_key={bulk['api_key']}&utm_source=b"
    bodies.append(client.post("/api/2013-07-01/bulk.json", json={
        "requests": [{"api_suffix": suffix, "request_id": str(n)} for n in range(3)]}).data)
    bodies.append(client.post("/_sandbox/clock", json={"advance_seconds": 90}).data)
    number = client.get(f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
                        f"?ring_pool_key={pool['api_key']}").get_json()["promo_number"]
    bodies.append(client.post("/_sandbox/calls", json={"promo_number": number}).data)
    for fmt in ("json", "xml", "csv"):
        bodies.append(client.get(f"/api/2016-10-01/networks/transactions/"
                                 f"{world['network_id']}.{fmt}",
                                 headers={"Authorization": world["api_token"]}).data)
    return bodies


def test_responses_are_byte_identical_when_seed_clock_and_requests_repeat() -> None:
    first, second = session_bytes(3), session_bytes(3)
    assert first == second
    assert session_bytes(4) != first  # the seed does matter (tokens, keys, numbers)
