"""Links that work: tracking links redirect and record the click; object pages answer."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from mock_server.app import create_app

BASE = "http://localhost"
ALLOCATE = "/api/2015-12-09/ring_pools/{id}/allocate_number.json"
RING_POOL = ("/api/2016-10-01/{network_id}/advertisers/{adv}/advertiser_campaigns/{camp}"
             "/ring_pools/{pool}.json")
ADVERTISER = "/api/2016-10-01/{network_id}/advertisers/{adv}.json"


@pytest.fixture(params=[True, False], ids=["fast", "flask"])
def client(request: pytest.FixtureRequest) -> FlaskClient:
    return create_app({"SEED": 0, "CLOCK": "manual", "BASE_URL": BASE,
                       "FAST_DISPATCH": request.param}).test_client()


@pytest.fixture
def world(client: FlaskClient) -> dict[str, Any]:
    data: dict[str, Any] = client.get("/_sandbox/world").get_json()
    return data


def allocate(client: FlaskClient, world: dict[str, Any]) -> dict[str, Any]:
    pool = world["ring_pool"]
    response = client.get(ALLOCATE.format(id=pool["id"]),
                          query_string={"ring_pool_key": pool["api_key"], "param1": "x"})
    assert response.status_code == 200
    answer: dict[str, Any] = response.get_json()
    return answer


def ring_pool(client: FlaskClient, world: dict[str, Any]) -> dict[str, Any]:
    response = client.get(
        RING_POOL.format(network_id=world["network_id"],
                         adv=world["advertiser_id_from_network"],
                         camp=world["advertiser_campaign_id_from_network"],
                         pool=world["ring_pool"]["id_from_network"]),
        headers={"Authorization": world["api_token"]})
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def local(url: str) -> str:
    assert url.startswith(BASE + "/")
    return url[len(BASE):]


def allocations(client: FlaskClient, world: dict[str, Any]) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = client.get(
        f"/_sandbox/allocations?ring_pool_id={world['ring_pool']['id']}").get_json()
    return log


def test_tracking_url_redirects_to_landing_with_number_when_followed(
        client: FlaskClient, world: dict[str, Any]) -> None:
    answer = allocate(client, world)
    response = client.get(local(answer["tracking_url"]))
    assert response.status_code == 302
    location = response.headers["Location"]
    assert parse_qs(urlsplit(location).query)["PPCPN"] == [answer["promo_number"]]


def test_click_is_in_journal_and_allocation_when_followed(
        client: FlaskClient, world: dict[str, Any]) -> None:
    answer = allocate(client, world)
    client.get(local(answer["tracking_url"]))
    [entry] = client.get("/_sandbox/requests?operation_id=followTrackingLink").get_json()
    assert entry["status"] == 302 and entry["path"].startswith("/c/")
    [allocation] = allocations(client, world)
    assert allocation["promo_number"] == answer["promo_number"]
    assert allocation["clicks"] == [entry["at"]]


def test_test_click_url_allocates_a_number_when_followed(
        client: FlaskClient, world: dict[str, Any]) -> None:
    pool = ring_pool(client, world)
    response = client.get(local(pool["test_click_url"]) + "&param1=from-click")
    assert response.status_code == 302
    number = parse_qs(urlsplit(response.headers["Location"]).query)["PPCPN"][0]
    [allocation] = allocations(client, world)
    assert allocation["promo_number"] == number
    assert allocation["params"]["param1"] == "from-click"
    assert len(allocation["clicks"]) == 1


def test_redirect_ignores_us_host_when_link_is_tampered(
        client: FlaskClient, world: dict[str, Any]) -> None:
    answer = allocate(client, world)
    path, _, _ = local(answer["tracking_url"]).partition("?")
    response = client.get(path, query_string={
        "us": f"https://evil.example/?PPCPN={answer['promo_number']}"})
    assert response.status_code == 302
    assert not response.headers["Location"].startswith("https://evil.example")


@pytest.mark.parametrize("path", ["/c/1/1-1-999", "/c/9/1-1-1", "/c/1/x-y", "/c/1/1-1-1-1",
                                  "/c/1/" + "9" * 40 + "-1-1"])
def test_unknown_link_is_404_page_when_followed(
        client: FlaskClient, world: dict[str, Any], path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert allocations(client, world) == []


def test_object_urls_answer_html_pages_when_fetched(
        client: FlaskClient, world: dict[str, Any]) -> None:
    pool = ring_pool(client, world)
    advertiser = client.get(ADVERTISER.format(network_id=world["network_id"],
                                              adv=world["advertiser_id_from_network"]),
                            headers={"Authorization": world["api_token"]}).get_json()
    for obj in (pool, advertiser):
        response = client.get(local(obj["object_url"]))
        assert response.status_code == 200, obj["object_url"]
        assert response.mimetype == "text/html"
        assert str(obj["id"]) in response.get_data(as_text=True)


def test_unknown_object_page_is_404_when_fetched(client: FlaskClient) -> None:
    for path in ("/as/999/dashboards/ui", "/a_campaigns/ring_pools/999",
                 "/p_campaigns/terms/1/999", "/ps/x/dashboards/ui"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.mimetype == "text/html"


def test_clicks_survive_when_state_is_exported_and_imported(
        client: FlaskClient, world: dict[str, Any]) -> None:
    answer = allocate(client, world)
    client.get(local(answer["tracking_url"]))
    exported = client.get("/_sandbox/state").get_json()
    client.post("/_sandbox/reset")
    assert client.put("/_sandbox/state", json=exported).status_code == 200
    assert len(allocations(client, world)[0]["clicks"]) == 1
