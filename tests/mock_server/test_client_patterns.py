"""Public third-party Invoca clients, replayed as they call the platform: only the base URL and
the credentials change (issue 13's measure). Each test names the client and sends its requests
as its code builds them (facts sheet sections 0, 4 and 11; public code found by search):

* Matatika/tap-invoca (Singer tap): ``/api/2023-10-09/networks/transactions/<id>.json``, the
  raw token in ``Authorization``, ``limit=4000``, every stream column in ``include_columns``,
  ``start_after_transaction_id`` = the last row's id until a page is empty; every record
  validated against its stream schema;
* a public Airflow DAG: ``advertisers/transactions/<id>.json`` with ``limit=10000``;
* a TypeScript SDK: Transactions at 2020-10-01 with ``from``/``to``/``limit``, ids typed as
  strings, the Signal API at 2018-02-01;
* web and mobile apps: the legacy RingPool API at ``2021-02-11``, ``2014-07-28`` (PHP, "credited
  to Invoca") and ``2012-01-10`` (an iOS example of RingRevenue);
* the design principles' own example: the token as the ``oauth_token`` query parameter.

Every answer is also checked against the contract by the ``sandbox`` client.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.app import create_app
from tests.mock_server.test_transactions import TAP_PROPERTIES, TAP_VALIDATOR, allocate, simulate


@pytest.fixture
def calls(sandbox: FlaskClient, world: dict[str, Any]) -> list[dict[str, Any]]:
    """Five calls to numbers allocated from the demo pool, one minute apart."""
    made = []
    for n in range(5):
        number = allocate(sandbox, world, f"utm_source=client{n}")
        made.append(simulate(sandbox, number, duration_seconds=30 + n))
        sandbox.post("/_sandbox/clock", json={"advance_seconds": 60})
    return made


def test_singer_tap_reads_every_call_when_paging_at_its_unpublished_date(
    sandbox: FlaskClient, world: dict[str, Any], calls: list[dict[str, Any]]
) -> None:
    headers = {"Authorization": world["api_token"]}  # raw token, no scheme
    path = f"/api/2023-10-09/networks/transactions/{world['network_id']}.json"
    params: dict[str, Any] = {"limit": 4000, "include_columns": ",".join(TAP_PROPERTIES)}
    read: list[dict[str, Any]] = []
    pages = 0
    while True:
        response = sandbox.get(path, query_string=params, headers=headers)
        assert response.status_code == 200
        assert response.headers["X-Sandbox-Api-Version"] == "2021-08-09"
        page = response.get_json()
        pages += 1
        if not page:
            break
        for record in page:
            assert list(TAP_VALIDATOR.iter_errors(record)) == []
        read += page
        params["start_after_transaction_id"] = page[-1]["transaction_id"]
    assert [row["transaction_id"] for row in read] == [c["transaction_id"] for c in calls]
    assert pages == 2  # the calls, then the empty page that ends the stream


def test_pipeline_gets_the_page_it_asked_for_when_its_limit_is_10000(
    sandbox: FlaskClient, world: dict[str, Any], calls: list[dict[str, Any]]
) -> None:
    advertiser_id = calls[0]["advertiser_id"]
    response = sandbox.get(
        f"/api/2022-09-29/advertisers/transactions/{advertiser_id}.json",
        query_string={"limit": 10000}, headers={"Authorization": world["api_token"]})
    assert response.status_code == 200
    assert response.headers["X-Sandbox-Api-Version"] == "2021-08-09"
    assert len(response.get_json()) == len(calls)


def test_typed_sdk_reads_its_string_ids_when_filtering_by_dates(
    sandbox: FlaskClient, world: dict[str, Any], calls: list[dict[str, Any]]
) -> None:
    advertiser_id = calls[0]["advertiser_id"]
    assert isinstance(advertiser_id, str) and advertiser_id.isdigit()
    response = sandbox.get(
        f"/api/2020-10-01/advertisers/transactions/{advertiser_id}.json",
        query_string={"from": "2016-10-01", "to": "2016-10-31", "limit": 10},
        headers={"authorization": world["api_token"]})
    assert response.status_code == 200
    rows = response.get_json()
    assert len(rows) == len(calls)
    for row in rows:
        assert all(isinstance(row[name], str) for name in (
            "advertiser_campaign_id", "affiliate_id") if row.get(name) is not None)


def test_typed_sdk_reports_a_signal_when_it_posts_at_2018_02_01(
    sandbox: FlaskClient, world: dict[str, Any], calls: list[dict[str, Any]]
) -> None:
    body = {"search": {"transaction_id": calls[0]["transaction_id"]},
            "signals": [{"name": "sale", "revenue": "100.00", "partner_unique_id": "1"}]}
    response = sandbox.post("/api/2018-02-01/transactions.json", json=body,
                            headers={"Authorization": world["api_token"]})
    assert response.status_code == 200
    assert response.get_json()["signals"][0]["name"] == "sale"


@pytest.mark.parametrize(("date", "served_as"), [
    ("2021-02-11", "2019-05-01"),  # a university web app
    ("2014-07-28", "2014-01-01"),  # a PHP integration
    ("2012-01-10", "2014-01-01"),  # RingRevenue's iOS example
])
def test_web_and_mobile_apps_get_a_number_when_they_call_their_own_date(
    sandbox: FlaskClient, world: dict[str, Any], date: str, served_as: str
) -> None:
    pool = world["ring_pool"]
    response = sandbox.get(f"/api/{date}/ring_pools/{pool['id']}/allocate_number.json",
                           query_string={"ring_pool_key": pool["api_key"]})
    assert response.status_code == 200
    assert response.headers["X-Sandbox-Api-Version"] == served_as
    assert set(response.get_json()) == {"promo_number_formatted", "tracking_url",
                                        "promo_number"}


def test_token_in_the_query_reads_advertisers_when_sent_as_the_design_principles_show(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    response = sandbox.get(f"/api/2016-05-01/{world['network_id']}/advertisers.json",
                           query_string={"oauth_token": world["api_token"]})
    assert response.status_code == 200
    assert [a["id_from_network"] for a in response.get_json()] == [
        world["advertiser_id_from_network"]]


def test_token_in_the_query_reads_transactions_when_the_old_docs_way_is_used(
    sandbox: FlaskClient, world: dict[str, Any], calls: list[dict[str, Any]]
) -> None:
    response = sandbox.get(f"/api/2016-10-01/networks/transactions/{world['network_id']}.csv",
                           query_string={"oauth_token": world["api_token"]})
    assert response.status_code == 200
    lines = response.get_data(as_text=True).strip().splitlines()
    assert len(lines) == 1 + len(calls)  # the header, then one row per call


def test_strict_sandbox_refuses_the_clients_when_switched_to_the_docs_literal_reading(
    world: dict[str, Any],
) -> None:
    strict = create_app({"SEED": 0, "CLOCK": "manual", "STRICT": True}).test_client()
    headers = {"Authorization": world["api_token"]}
    unpublished = strict.get(f"/api/2023-10-09/networks/transactions/{world['network_id']}.json",
                             headers=headers)
    too_many = strict.get(f"/api/2020-10-01/networks/transactions/{world['network_id']}.json",
                          query_string={"limit": 10000}, headers=headers)
    assert (unpublished.status_code, too_many.status_code) == (404, 403)
