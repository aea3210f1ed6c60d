"""Version resolution (the contract's ``x-version-resolution``) and ``X-Sandbox-Api-Version``,
on the real contract: an unpublished date stands for the latest published date of its family
on or before it; the route's own versions then apply to the resolved date."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import VERSION_HEADER, create_app
from mock_server.validation import VersionFamily, is_calendar_date
from tests.mock_server.conftest import ContractCheckingClient


def legacy_url(world: dict[str, Any], version: str, fmt: str = "json") -> str:
    pool = world["ring_pool"]
    return (f"/api/{version}/ring_pools/{pool['id']}/allocate_number.{fmt}"
            f"?ring_pool_key={pool['api_key']}&param1=demo")


def transactions_url(world: dict[str, Any], version: str, fmt: str = "json") -> str:
    return f"/api/{version}/networks/transactions/{world['network_id']}.{fmt}"


def campaign_path(world: dict[str, Any], version: str) -> str:
    return (f"/api/{version}/{world['network_id']}/advertisers/"
            f"{world['advertiser_id_from_network']}/advertiser_campaigns/"
            f"{world['advertiser_campaign_id_from_network']}")


def ring_pool_url(world: dict[str, Any], version: str) -> str:
    pool = world["ring_pool"]["id_from_network"]
    return f"{campaign_path(world, version)}/ring_pools/{pool}.json"


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


# ---------------------------------------------------------------------------- the rule itself


@pytest.mark.parametrize(("text", "expected"), [
    ("2021-02-28", True), ("2020-02-29", True), ("2021-02-29", False), ("2021-02-30", False),
    ("2021-2-1", False), ("20210201", False), ("2021-13-01", False), ("0000-00-00", False),
    ("\uff12\uff10\uff12\uff11-\uff10\uff12-\uff10\uff11", False), ("2021-02-01x", False),
])
def test_calendar_date_is_recognised_when_it_is_a_real_yyyy_mm_dd_date(text: str,
                                                                       expected: bool) -> None:
    assert is_calendar_date(text) is expected


def test_family_resolves_to_the_latest_published_date_when_the_date_is_between() -> None:
    family = VersionFamily("Transactions", ("2015-12-10", "2020-10-01", "2021-08-09"),
                           "2015-12-10")
    assert family.resolve("2021-08-09") == "2021-08-09"
    assert family.resolve("2021-08-08") == "2020-10-01"
    assert family.resolve("2030-01-01") == "2021-08-09"
    assert family.resolve("2015-12-09") is None
    assert family.resolve("2021-02-30") is None


def test_family_with_an_earlier_start_resolves_to_its_first_date_when_before_it() -> None:
    family = VersionFamily("Legacy RingPool", ("2014-01-01", "2015-12-09"), "2010-01-01")
    assert family.resolve("2012-01-10") == "2014-01-01"
    assert family.resolve("2010-01-01") == "2014-01-01"
    assert family.resolve("2009-12-31") is None


# ---------------------------------------------------------------------------- per family


@pytest.mark.parametrize(("requested", "served"), [("2023-10-09", "2021-08-09"),
                                                   ("2022-09-29", "2021-08-09")])
@pytest.mark.parametrize("fmt", ["json", "csv", "xml"])
def test_transactions_date_of_a_real_client_is_served_when_unpublished(
    sandbox: FlaskClient, world: dict[str, Any], requested: str, served: str, fmt: str
) -> None:
    response = sandbox.get(transactions_url(world, requested, fmt),
                           headers={"Authorization": world["api_token"]})
    assert response.status_code == 200
    assert response.headers[VERSION_HEADER] == served


@pytest.mark.parametrize(("requested", "served"), [("2021-02-11", "2019-05-01"),
                                                   ("2014-07-28", "2014-01-01"),
                                                   ("2012-01-10", "2014-01-01")])
def test_legacy_ringpool_date_of_a_real_client_is_served_when_unpublished(
    sandbox: FlaskClient, world: dict[str, Any], requested: str, served: str
) -> None:
    response = sandbox.get(legacy_url(world, requested))
    assert response.status_code == 200
    assert response.get_json()["promo_number"]
    assert response.headers[VERSION_HEADER] == served


def test_network_date_between_published_ones_is_served_when_requested(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    response = sandbox.get(f"/api/2017-01-15/{world['network_id']}/advertisers.json",
                           headers=auth)
    assert response.status_code == 200
    assert response.headers[VERSION_HEADER] == "2016-12-01"


@pytest.mark.parametrize(("url", "refusal"), [
    ("/api/2013-12-31/{network}/advertisers.json", (404, "RecordNotFound")),
    ("/api/2015-12-09/networks/transactions/{network}.json", (404, "RecordNotFound")),
    ("/api/2013-06-30/bulk.json", (404, "RecordNotFound")),
    ("/api/2015-08-16/transactions/signals.json", (400, "BadRequest")),
])
def test_date_before_the_family_is_refused_when_requested(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], url: str,
    refusal: tuple[int, str]
) -> None:
    status, error_class = refusal
    path = url.format(network=world["network_id"])
    method = sandbox.post if "bulk" in path or "signals" in path else sandbox.get
    response = method(path, headers=auth, json={})
    assert response.status_code == status
    assert response.get_json()["errors"]["class"] == error_class
    assert VERSION_HEADER not in response.headers


def test_legacy_date_before_its_earliest_use_is_404_when_allocating(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    response = sandbox.get(legacy_url(world, "2009-12-31"))
    assert response.status_code == 404
    assert response.get_data(as_text=True) == (
        "NotFound: API version 2009-12-31 does not support this route")


def test_conversion_date_before_the_family_is_xml_404_when_reported(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    basic = (world["basic_auth"]["username"], world["basic_auth"]["password"])
    response = sandbox.post("/api/2014-04-14/calls/1.xml", auth=basic,
                            data={"start_time_t": "1475280030"})
    assert response.status_code == 404
    assert ET.fromstring(response.data).findtext("Class") == "NotFound"


@pytest.mark.parametrize("version", ["2021-02-30", "2021-2-1", "2021-02-01x", "latest",
                                     "0000-00-00"])
def test_malformed_date_is_404_when_requested(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], version: str
) -> None:
    response = sandbox.get(f"/api/{version}/{world['network_id']}/advertisers.json",
                           headers=auth)
    assert response.status_code == 404
    assert response.get_json() == {"errors": {
        "class": "RecordNotFound",
        "invalid_data": f"API version {version} does not support this route"}}
    assert VERSION_HEADER not in response.headers


# ---------------------------------------------------------------------------- route versions


def test_affiliate_campaign_ring_pools_stay_404_when_the_date_resolves_past_them(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    rest = (f"/affiliates/{world['affiliate_id_from_network']}/affiliate_campaigns/"
            "ring_pools.json")
    late = sandbox.get(campaign_path(world, "2020-01-01") + rest, headers=auth)
    assert late.status_code == 404
    assert late.headers[VERSION_HEADER] == "2019-05-01"
    early = sandbox.get(campaign_path(world, "2018-12-01") + rest, headers=auth)
    assert early.status_code == 200
    assert early.headers[VERSION_HEADER] == "2018-11-01"


def test_signal_object_route_answers_400_when_the_date_resolves_to_the_signals_shape(
    sandbox: FlaskClient, auth: dict[str, str]
) -> None:
    response = sandbox.post("/api/2019-01-01/transactions/signals.json", headers=auth,
                            json={"search": {"transaction_id": "x"}, "signal": {"name": "a"}})
    assert response.status_code == 400
    assert response.get_json() == {"errors": {
        "class": "BadRequest",
        "invalid_data": "API version 2019-01-01 does not support this route"}}
    assert response.headers[VERSION_HEADER] == "2018-02-01"


def test_promo_numbers_by_id_are_served_when_the_date_resolves_into_their_range(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    inside = sandbox.get(f"{campaign_path(world, '2018-06-01')}/promo_numbers_by_id.json",
                         headers=auth)
    assert inside.status_code == 200
    before = sandbox.get(f"{campaign_path(world, '2018-04-30')}/promo_numbers_by_id.json",
                         headers=auth)
    assert before.status_code == 404


# ---------------------------------------------------------------------------- downstream


def test_response_fields_follow_the_resolved_version_when_the_date_is_unpublished(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    old = sandbox.get(ring_pool_url(world, "2019-01-01"), headers=auth).get_json()
    new = sandbox.get(ring_pool_url(world, "2020-01-01"), headers=auth).get_json()
    assert "pool_type" in old and "allow_overflow" not in old
    assert "pool_type" not in new and "allow_overflow" in new


def test_body_fields_are_checked_against_the_resolved_version_when_the_date_is_unpublished(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    response = sandbox.put(ring_pool_url(world, "2019-01-01"), headers=auth,
                           json={"allow_overflow": False})
    assert response.status_code == 403
    assert response.get_json() == {"errors": {
        "class": "InvalidInput",
        "invalid_data": "allow_overflow is not supported in API version 2018-11-01"}}


@pytest.mark.parametrize(("requested", "missing"), [("2017-03-01", "email_address"),
                                                    ("2017-05-01", "email_settings")])
def test_required_fields_follow_the_resolved_version_when_the_date_is_unpublished(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], requested: str,
    missing: str
) -> None:
    user = {"id_from_network": "u1", "first_name": "A", "last_name": "B", "role": "Observer"}
    response = sandbox.post(f"/api/{requested}/{world['network_id']}/network.json",
                            headers=auth, json={"users": [user]})
    assert response.status_code == 403
    assert response.get_json() == {"errors": {"users": [{missing: ["can't be blank"]}]}}


# ---------------------------------------------------------------------------- the header


@pytest.fixture(params=[True, False], ids=["fast", "flask"])
def dispatched(request: pytest.FixtureRequest) -> Iterator[FlaskClient]:
    """The demo sandbox through either dispatcher (every answer checked against the contract)."""
    app: Flask = create_app({"SEED": 0, "CLOCK": "manual", "FAST_DISPATCH": request.param})
    app.test_client_class = ContractCheckingClient
    with app.test_client() as client:
        yield client


def test_version_header_names_the_resolved_date_when_answers_succeed_or_fail(
    dispatched: FlaskClient,
) -> None:
    world = dispatched.get("/_sandbox/world").get_json()
    auth = {"Authorization": world["api_token"]}
    advertisers = f"/api/2017-01-15/{world['network_id']}/advertisers"
    answers = {
        "success": dispatched.get(f"{advertisers}.json", headers=auth),
        "published": dispatched.get(
            f"/api/2016-12-01/{world['network_id']}/advertisers.json", headers=auth),
        "not found": dispatched.get(f"{advertisers}/nobody.json", headers=auth),
        "no credentials": dispatched.get(f"{advertisers}.json"),
        "refused body": dispatched.post(f"{advertisers}.json", headers=auth, json={"name": 5}),
    }
    assert {name: answer.status_code for name, answer in answers.items()} == {
        "success": 200, "published": 200, "not found": 404, "no credentials": 401,
        "refused body": 403}
    assert {answer.headers[VERSION_HEADER] for answer in answers.values()} == {"2016-12-01"}


def test_version_header_sits_beside_the_bulk_timing_header_when_allocating_in_bulk(
    dispatched: FlaskClient,
) -> None:
    world = dispatched.get("/_sandbox/world").get_json()
    pool = world["bulk_ring_pool"]
    suffix = f"{pool['id']}/allocate_number.json?ring_pool_key={pool['api_key']}&param1=a"
    response = dispatched.post("/api/2020-01-01/bulk.json",
                               json={"requests": [{"api_suffix": suffix}]})
    assert response.status_code == 200
    assert response.headers[VERSION_HEADER] == "2013-07-01"
    assert "processing-time" in response.headers


def test_control_api_answers_carry_no_version_header_when_asked(dispatched: FlaskClient) -> None:
    assert VERSION_HEADER not in dispatched.get("/_sandbox/health").headers
