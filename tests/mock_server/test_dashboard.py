"""What the dashboard reads: ``GET /_sandbox/pools`` (each ring pool's numbers, holders, time
left and overflow, with the clock), ``GET /_sandbox/transactions`` (the latest), and the
dashboard's page (static; its data calls need the admin token when one is set)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.admin import ADMIN_HEADER
from mock_server.app import create_app

RINGPOOL_VERSION = "2015-12-09"
ONE_NUMBER_POOL = {"id_from_network": "rp-one", "name": "One number", "pool_type": "Custom",
                   "destination_type": "Advertiser", "max_pool_size": 1,
                   "lifetime_seconds": 300, "param1": "gclid"}


def sandbox(**config: Any) -> FlaskClient:
    return create_app({"SEED": 0, "CLOCK": "manual", **config}).test_client()


@pytest.fixture
def client() -> FlaskClient:
    return sandbox()


def world_of(client: FlaskClient) -> dict[str, Any]:
    summary: dict[str, Any] = client.get("/_sandbox/world").get_json()
    return summary


def allocate(client: FlaskClient, pool: dict[str, Any], value: str) -> dict[str, Any]:
    response = client.get(f"/api/{RINGPOOL_VERSION}/ring_pools/{pool['id']}/allocate_number.json"
                          f"?ring_pool_key={pool['api_key']}&param1={value}")
    assert response.status_code == 200
    answer: dict[str, Any] = response.get_json()
    return answer


def pools_of(client: FlaskClient) -> dict[int, dict[str, Any]]:
    response = client.get("/_sandbox/pools")
    assert response.status_code == 200
    return {pool["id"]: pool for pool in response.get_json()["pools"]}


def advance(client: FlaskClient, seconds: int) -> None:
    assert client.post("/_sandbox/clock", json={"advance_seconds": seconds}).status_code == 200


def one_number_pool(client: FlaskClient) -> dict[str, Any]:
    world = world_of(client)
    created = client.post(
        f"/api/2016-10-01/{world['network_id']}/advertisers/{world['advertiser_id_from_network']}"
        f"/advertiser_campaigns/{world['advertiser_campaign_id_from_network']}/ring_pools.json",
        json=ONE_NUMBER_POOL, headers={"Authorization": world["api_token"]})
    assert created.status_code == 201
    pool: dict[str, Any] = created.get_json()
    return pool


def test_every_pool_shows_its_figures_and_no_holds_when_nothing_is_allocated(
    client: FlaskClient,
) -> None:
    world = world_of(client)
    answer = client.get("/_sandbox/pools").get_json()
    assert answer["now"] == "2016-10-01T00:00:00Z" and answer["clock"] == "manual"
    demo = {pool["id"]: pool for pool in answer["pools"]}[world["ring_pool"]["id"]]
    assert demo["id_from_network"] == world["ring_pool"]["id_from_network"]
    assert {key: demo[key] for key in ("max_pool_size", "provisioned", "held", "free",
                                       "overflow_count", "allocations", "holds")} == {
        "max_pool_size": 15, "provisioned": 0, "held": 0, "free": 0, "overflow_count": 0,
        "allocations": 0, "holds": []}
    assert demo["overflow_number"] and demo["lifetime_seconds"] == 1800
    assert sorted(pools_of(client)) == sorted({world["ring_pool"]["id"],
                                               world["bulk_ring_pool"]["id"]})


def test_holds_name_their_holder_and_time_left_when_numbers_are_allocated(
    client: FlaskClient,
) -> None:
    pool = world_of(client)["ring_pool"]
    first = allocate(client, pool, "google")
    advance(client, 600)
    second = allocate(client, pool, "bing")
    advance(client, 60)
    demo = pools_of(client)[pool["id"]]
    assert (demo["held"], demo["free"], demo["provisioned"]) == (2, 0, 2)
    assert [(hold["promo_number"], hold["params"], hold["seconds_left"], hold["expires_at"])
            for hold in demo["holds"]] == [
        (first["promo_number"], {"param1": "google"}, 1140, "2016-10-01T00:30:00Z"),
        (second["promo_number"], {"param1": "bing"}, 1740, "2016-10-01T00:40:00Z"),
    ]
    assert [hold["allocation_id"] for hold in demo["holds"]] == [1, 2]


def test_hold_ends_and_its_number_is_free_when_the_clock_reaches_its_end(
    client: FlaskClient,
) -> None:
    pool = world_of(client)["ring_pool"]
    allocate(client, pool, "x")
    advance(client, 1799)
    assert pools_of(client)[pool["id"]]["holds"][0]["seconds_left"] == 1
    advance(client, 1)
    demo = pools_of(client)[pool["id"]]
    assert (demo["held"], demo["free"], demo["holds"]) == (0, 1, [])


def test_overflow_count_counts_visitors_given_the_overflow_number_when_the_pool_is_full(
    client: FlaskClient,
) -> None:
    pool = one_number_pool(client)
    answers = [allocate(client, pool, value) for value in ("a", "b", "c")]
    shown = pools_of(client)[pool["id"]]
    assert (shown["held"], shown["overflow_count"], shown["allocations"]) == (1, 2, 3)
    assert [answer["promo_number"] for answer in answers[1:]] == [shown["overflow_number"]] * 2
    assert [hold["params"] for hold in shown["holds"]] == [{"param1": "a"}]


def test_pools_change_nothing_when_read(client: FlaskClient) -> None:
    pool = world_of(client)["ring_pool"]
    allocate(client, pool, "x")
    before = client.get("/_sandbox/state").data
    first = client.get("/_sandbox/pools").data
    assert client.get("/_sandbox/pools").data == first
    assert client.get("/_sandbox/state").data == before


def test_clock_is_system_when_the_sandbox_follows_real_time() -> None:
    assert sandbox(CLOCK="system").get("/_sandbox/pools").get_json()["clock"] == "system"


def call(client: FlaskClient, number: str, **phases: int) -> dict[str, Any]:
    response = client.post("/_sandbox/calls", json={"promo_number": number, **phases})
    assert response.status_code == 201
    answer: dict[str, Any] = response.get_json()
    return answer


def test_latest_transactions_are_the_last_recorded_oldest_first_when_limited(
    client: FlaskClient,
) -> None:
    assert client.get("/_sandbox/transactions").get_json() == []
    number = allocate(client, world_of(client)["ring_pool"], "x")["promo_number"]
    made = [call(client, number, duration_seconds=seconds)["transaction_id"]
            for seconds in (30, 60, 90)]
    rows = client.get("/_sandbox/transactions?limit=2").get_json()
    assert [row["transaction_id"] for row in rows] == made[1:]
    assert [row["duration"] for row in rows] == [60, 90]
    everything = client.get("/_sandbox/transactions").get_json()
    assert [row["transaction_id"] for row in everything] == made


def test_live_call_is_a_latest_transaction_when_the_clock_passes_its_end(
    client: FlaskClient,
) -> None:
    number = allocate(client, world_of(client)["ring_pool"], "x")["promo_number"]
    live = call(client, number, ring_seconds=5, talk_seconds=100)
    assert client.get("/_sandbox/transactions").get_json() == []
    advance(client, 105)
    rows = client.get("/_sandbox/transactions").get_json()
    assert [row["transaction_id"] for row in rows] == [live["transaction_id"]]


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5", "\u0661", "9" * 11, ""])
def test_transactions_are_refused_in_the_control_shape_when_the_limit_is_not_positive(
    client: FlaskClient, limit: str
) -> None:
    response = client.get(f"/_sandbox/transactions?limit={limit}")
    assert response.status_code == 403
    assert response.get_json()["errors"]["class"] == "RecordInvalid"


def test_dashboard_page_loads_only_local_files_when_asked(client: FlaskClient) -> None:
    page = client.get("/_sandbox/")
    assert page.status_code == 200 and page.content_type.startswith("text/html")
    text = page.get_data(as_text=True)
    for name in ("/_sandbox/dashboard/dashboard.css", "/_sandbox/dashboard/dashboard.js"):
        assert name in text
        assert client.get(name).status_code == 200
    assert "http" not in text.replace("http-equiv", "")
    script = client.get("/_sandbox/dashboard/dashboard.js").get_data(as_text=True)
    for endpoint in ("/_sandbox/pools", "/_sandbox/requests?limit=", "/_sandbox/transactions",
                     "/_sandbox/clock"):
        assert endpoint in script
    assert "innerHTML" not in script
    assert client.get("/_sandbox").status_code == 308
    assert client.get("/_sandbox/dashboard/dashboard.html").status_code == 404


def test_dashboard_data_needs_the_admin_token_when_one_is_set() -> None:
    guarded = sandbox(ADMIN_TOKEN="dashboard-admin-token")
    assert guarded.get("/_sandbox/").status_code == 200
    assert guarded.get("/_sandbox/dashboard/dashboard.js").status_code == 200
    for path in ("/_sandbox/pools", "/_sandbox/transactions", "/_sandbox/requests"):
        assert guarded.get(path).status_code == 401
        assert guarded.get(path, headers={ADMIN_HEADER: "dashboard-admin-token"}
                           ).status_code == 200
    assert guarded.post("/_sandbox/clock", json={"advance_seconds": 60}).status_code == 401
