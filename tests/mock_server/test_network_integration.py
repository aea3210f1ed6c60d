"""The Network Integration API over the real contract and Platform (demo world, seed 0)."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import create_app
from mock_server.binding import iter_operations, snake_case
from openapi.contract import load_spec, operations
from simulator.network import OPERATIONS
from simulator.platform import Platform


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


def campaign_path(world: dict[str, Any], version: str = "2016-10-01") -> str:
    return (
        f"/api/{version}/{world['network_id']}/advertisers/{world['advertiser_id_from_network']}"
        f"/advertiser_campaigns/{world['advertiser_campaign_id_from_network']}"
    )


RING_POOL = {
    "id_from_network": "12", "pool_type": "SearchKeyword", "destination_type": "Advertiser",
    "name": "Invoca Example RingPool", "destination_url": "https://www.invoca.com",
    "max_pool_size": 15, "lifetime_seconds": 1800, "preferred": True, "param1": "q",
}


def test_every_contract_operation_is_a_route_when_the_real_app_is_built(
    sandbox_app: Flask,
) -> None:
    spec_ids = {op["operationId"] for _, _, _, op in iter_operations(load_spec())}
    routes = {
        rule.endpoint for rule in sandbox_app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith(("sandbox.", "links."))
    }
    assert routes == spec_ids
    assert len(spec_ids) == 125


def test_every_network_integration_operation_has_a_handler_when_bound(
    sandbox_app: Flask,
) -> None:
    state = sandbox_app.extensions["invoca_sandbox"]
    missing = sorted(
        op.operation_id for op in state.operations.values()
        if op.family == "network" and op.handler is None
    )
    assert missing == []


def test_world_has_the_documented_keys_when_asked(world: dict[str, Any]) -> None:
    assert set(world) == {
        "network_id", "api_token", "basic_auth", "advertiser_id_from_network",
        "advertiser_campaign_id_from_network", "affiliate_id_from_network", "ring_pool",
        "bulk_ring_pool", "external_campaign_id_from_network",
    }
    assert set(world["ring_pool"]) == {"id", "id_from_network", "api_key"}


def test_ring_pool_round_trips_when_created_read_updated_and_deleted(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    base = campaign_path(world)
    created = sandbox.post(f"{base}/ring_pools.json", json=RING_POOL, headers=auth)
    assert created.status_code == 201
    body = created.get_json()
    assert body["id_from_network"] == "12" and body["max_pool_size"] == 15
    assert body["api_key"]
    read = sandbox.get(f"{base}/ring_pools/12.json", headers=auth)
    assert read.status_code == 200 and read.get_json() == body
    updated = sandbox.put(f"{base}/ring_pools/12.json",
                          json={**RING_POOL, "name": "Updated"}, headers=auth)
    assert updated.status_code == 200 and updated.get_json()["name"] == "Updated"
    listed = sandbox.get(f"{base}/ring_pools.json", headers=auth).get_json()
    assert "12" in {pool["id_from_network"] for pool in listed}
    deleted = sandbox.delete(f"{base}/ring_pools/12.json", headers=auth)
    assert deleted.status_code == 200 and deleted.get_json() == {}
    again = sandbox.delete(f"{base}/ring_pools/12.json", headers=auth)
    assert again.status_code == 200 and again.get_json() == {}
    gone = sandbox.get(f"{base}/ring_pools/12.json", headers=auth)
    assert gone.status_code == 404
    assert gone.get_json()["errors"]["class"] == "RecordNotFound"


def test_put_creates_the_ring_pool_when_it_is_missing(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    base = campaign_path(world)
    response = sandbox.put(f"{base}/ring_pools/99.json",
                           json={**RING_POOL, "id_from_network": "99"}, headers=auth)
    assert response.status_code == 200
    assert sandbox.get(f"{base}/ring_pools/99.json", headers=auth).status_code == 200


def test_docs_leniency_is_accepted_when_numbers_and_booleans_are_strings(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    body = {**RING_POOL, "max_pool_size": "3", "preferred": "true"}
    response = sandbox.post(f"{campaign_path(world)}/ring_pools.json", json=body, headers=auth)
    assert response.status_code == 201
    assert response.get_json()["max_pool_size"] == 3


def test_invalid_ring_pool_changes_nothing_when_refused(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    base = campaign_path(world)
    before = sandbox.get(f"{base}/ring_pools.json", headers=auth).get_json()
    bad = {**RING_POOL, "id_from_network": "13", "pool_type": "Nope"}
    response = sandbox.post(f"{base}/ring_pools.json", json=bad, headers=auth)
    assert response.status_code == 403
    assert response.get_json() == {"errors": {"pool_type": ["is not included in the list"]}}
    assert sandbox.get(f"{base}/ring_pools.json", headers=auth).get_json() == before


def test_missing_required_fields_are_blank_errors_when_the_version_requires_them(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    response = sandbox.post(f"{campaign_path(world)}/ring_pools.json",
                            json={"id_from_network": "14", "name": "x"}, headers=auth)
    assert response.status_code == 403
    errors = response.get_json()["errors"]
    assert errors["pool_type"] == ["can't be blank"]
    assert errors["destination_type"] == ["can't be blank"]


def test_local_center_with_unknown_key_is_the_seed_error_when_posted(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    body = {"id_from_network": "395", "param1": "gclid", "pool_type": "Custom",
            "preferred": "true", "name": "India DNP", "destination_url": "https://www.invoca.com",
            "tracking_url": "https://www.invoca.com", "max_pool_size": "3",
            "destination_type": "Advertiser", "local_center": {"bad_key": ""},
            "tn_prefix_whitelist": ["455"]}
    response = sandbox.post(f"{campaign_path(world)}/ring_pools.json", json=body, headers=auth)
    assert response.status_code == 403
    assert response.get_json() == {
        "errors": {"class": "RecordInvalid", "invalid_data": "Invalid Key in Local Center."}
    }


def test_version_field_set_is_served_when_the_path_version_changes(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    pool_id = world["ring_pool"]["id_from_network"]
    old = sandbox.get(f"{campaign_path(world)}/ring_pools/{pool_id}.json", headers=auth)
    new = sandbox.get(f"{campaign_path(world, '2022-08-01')}/ring_pools/{pool_id}.json",
                      headers=auth)
    assert old.status_code == new.status_code == 200
    assert "pool_type" in old.get_json() and "param1" in old.get_json()
    assert "allow_overflow" not in old.get_json()
    assert "pool_type" not in new.get_json() and "param1" not in new.get_json()
    assert "allow_overflow" in new.get_json()


def test_unknown_version_is_404_when_requested(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    response = sandbox.get(f"/api/2010-01-01/{world['network_id']}/advertisers.json",
                           headers=auth)
    assert response.status_code == 404
    assert response.get_json()["errors"]["class"] == "RecordNotFound"


def test_promo_numbers_by_id_is_404_when_the_version_predates_it(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    response = sandbox.get(f"{campaign_path(world)}/promo_numbers_by_id.json", headers=auth)
    assert response.status_code == 404
    later = sandbox.get(f"{campaign_path(world, '2018-05-01')}/promo_numbers_by_id.json",
                        headers=auth)
    assert later.status_code == 200


@pytest.mark.parametrize("way", ["header", "query", "body", "basic"])
def test_each_way_in_is_accepted_when_creating_an_advertiser(
    sandbox: FlaskClient, world: dict[str, Any], way: str
) -> None:
    token = world["api_token"]
    path = f"/api/2016-10-01/{world['network_id']}/advertisers.json"
    body: dict[str, Any] = {"id_from_network": f"adv-{way}", "name": f"Advertiser {way}"}
    kwargs: dict[str, Any] = {}
    if way == "header":
        kwargs["headers"] = {"Authorization": token}
    elif way == "query":
        path += f"?oauth_token={token}"
    elif way == "body":
        body["oauth_token"] = token
    else:
        kwargs["auth"] = (world["basic_auth"]["username"], world["basic_auth"]["password"])
    response = sandbox.post(path, json=body, **kwargs)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["id_from_network"] == f"adv-{way}"


def test_missing_token_is_401_when_reading(sandbox: FlaskClient, world: dict[str, Any]) -> None:
    response = sandbox.get(f"/api/2016-10-01/{world['network_id']}/advertisers.json")
    assert response.status_code == 401
    assert response.get_json()["errors"]["class"] == "Unauthorized"


def test_token_of_one_network_is_401_when_used_on_another(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    other = int(world["network_id"]) + 1
    response = sandbox.get(f"/api/2016-10-01/{other}/advertisers.json", headers=auth)
    assert response.status_code == 401


def test_missing_parent_is_404_when_listing_its_children(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    path = (f"/api/2016-10-01/{world['network_id']}/advertisers/nobody/advertiser_campaigns/"
            "none/ring_pools.json")
    response = sandbox.get(path, headers=auth)
    assert response.status_code == 404
    assert response.get_json()["errors"]["class"] == "RecordNotFound"


def test_reset_forgets_created_objects_when_posted(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    base = campaign_path(world)
    sandbox.post(f"{base}/ring_pools.json", json=RING_POOL, headers=auth)
    assert sandbox.post("/_sandbox/reset").status_code == 200
    assert sandbox.get(f"{base}/ring_pools/12.json", headers=auth).status_code == 404
    assert sandbox.get("/_sandbox/world").get_json() == world


def test_every_operation_has_a_handler_when_the_real_contract_is_bound(
    sandbox_app: Flask,
) -> None:
    state = sandbox_app.extensions["invoca_sandbox"]
    assert sorted(op.operation_id for op in state.operations.values() if op.handler is None) == []


def test_same_seed_gives_identical_responses_when_apps_are_rebuilt() -> None:
    def transcript() -> list[bytes]:
        client = create_app({"SEED": 3, "CLOCK": "manual"}).test_client()
        world = client.get("/_sandbox/world").get_json()
        headers = {"Authorization": world["api_token"]}
        base = campaign_path(world)
        return [
            client.post(f"{base}/ring_pools.json", json=RING_POOL, headers=headers).data,
            client.get(f"{base}/ring_pools.json", headers=headers).data,
            client.get(f"/api/2016-10-01/{world['network_id']}/advertisers.json",
                       headers=headers).data,
        ]

    assert transcript() == transcript()


def test_local_ring_pool_answers_200_when_created(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    body = {**RING_POOL, "id_from_network": "395", "pool_type": "Custom",
            "local_center": {"zipcode": "93101"}, "tn_prefix_whitelist": ["805"]}
    response = sandbox.post(f"{campaign_path(world)}/ring_pools.json", json=body, headers=auth)
    assert response.status_code == 200
    assert response.get_json()["id_from_network"] == "395"


def test_handlers_work_unserialised_when_the_platform_locks_alone() -> None:
    app = create_app({"SEED": 0, "CLOCK": "manual", "SERIALIZE_HANDLERS": False})
    client = app.test_client()
    world = client.get("/_sandbox/world").get_json()
    response = client.post(f"{campaign_path(world)}/ring_pools.json", json=RING_POOL,
                           headers={"Authorization": world["api_token"]})
    assert response.status_code == 201


def test_json_null_body_is_refused_when_the_operation_requires_a_body(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    response = sandbox.put(f"/api/2016-10-01/{world['network_id']}/advertisers/x.json",
                           data=b"null", content_type="application/json", headers=auth)
    assert response.status_code == 403
    assert response.get_json() == {"errors": {"base": ["is invalid"]}}


def test_empty_body_token_is_refused_when_the_contract_requires_a_length(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    response = sandbox.put(f"/api/2016-10-01/{world['network_id']}/network.json",
                           json={"oauth_token": "", "users": []}, headers=auth)
    assert response.status_code == 403
    assert "oauth_token" in response.get_json()["errors"]


def test_undeclared_method_is_405_with_allow_when_requested(sandbox: FlaskClient) -> None:
    response = sandbox.open("/api/2013-07-01/bulk.json", method="TRACE")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]


def test_json_null_is_refused_when_the_optional_body_must_be_an_object(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    archive = f"{campaign_path(world)}/archive.json"
    refused = sandbox.post(archive, data=b"null", content_type="application/json", headers=auth)
    assert refused.status_code == 403
    assert sandbox.post(archive, headers=auth).status_code == 200


def test_fast_dispatch_answers_like_flask_when_replaying_the_same_requests() -> None:
    def transcript(fast: bool) -> list[tuple[int, str, bytes]]:
        app = create_app({"SEED": 5, "CLOCK": "manual", "FAST_DISPATCH": fast})
        client = app.test_client()
        world = client.get("/_sandbox/world").get_json()
        headers = {"Authorization": world["api_token"]}
        pool = world["ring_pool"]
        base = campaign_path(world)
        allocate = (f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.{{}}"
                    f"?ring_pool_key={pool['api_key']}&param1=a")
        responses = [
            client.post(f"{base}/ring_pools.json", json=RING_POOL, headers=headers),
            client.post(f"{base}/ring_pools.json", json={"pool_type": 1}, headers=headers),
            client.get(f"{base}/ring_pools/12.json", headers=headers),
            client.get(f"{base}/ring_pools/12.json"),
            client.get(allocate.format("xml")),
            client.get(allocate.format("csv")),
            client.get(allocate.format("json").replace(pool["api_key"], "bad")),
            client.get("/api/2010-01-01/1/advertisers.json", headers=headers),
            client.open("/api/2013-07-01/bulk.json", method="TRACE"),
            client.head(f"{base}/ring_pools.json", headers=headers),
            client.get("/_sandbox/requests"),
        ]
        return [(r.status_code, r.content_type or "", r.data) for r in responses]

    assert transcript(fast=True) == transcript(fast=False)


def test_query_parameter_outside_its_versions_is_refused_when_deleting(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    pool = world["ring_pool"]["id_from_network"]
    old = sandbox.delete(f"{campaign_path(world)}/ring_pools/{pool}.json"
                         "?delete_detected_phone_number=true", headers=auth)
    assert old.status_code == 403
    assert old.get_json() == {"errors": {
        "class": "InvalidInput",
        "invalid_data": "delete_detected_phone_number is not supported in API version 2016-10-01"}}
    new = sandbox.delete(f"{campaign_path(world, '2019-05-01')}/ring_pools/{pool}.json"
                         "?delete_detected_phone_number=true", headers=auth)
    assert new.status_code == 200


def network_user(**extra: Any) -> dict[str, Any]:
    return {"id_from_network": "u-1", "first_name": "Chris", "last_name": "Dean", **extra}


EMAIL_SETTINGS = [{"email_address": "chris@domain.com", "use_for_notifications": True}]


def test_nested_field_is_refused_when_the_version_does_not_have_it(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    url = f"/api/2016-10-01/{world['network_id']}/network.json"
    user = network_user(email_address="chris@domain.com", email_settings=EMAIL_SETTINGS)
    response = sandbox.post(url, json={"users": [user]}, headers=auth)
    assert response.status_code == 403
    assert response.get_json() == {"errors": {
        "class": "InvalidInput",
        "invalid_data": "users[0].email_settings is not supported in API version 2016-10-01"}}
    assert sandbox.get(url, headers=auth).get_json()["users"] == []


def test_nested_field_is_omitted_when_read_in_a_version_without_it(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    newer = f"/api/2017-04-01/{world['network_id']}/network.json"
    created = sandbox.post(newer, json={"users": [network_user(email_settings=EMAIL_SETTINGS)]},
                           headers=auth)
    assert created.status_code == 201
    assert created.get_json()["users"][0]["email_settings"] == EMAIL_SETTINGS
    older = sandbox.get(f"/api/2016-10-01/{world['network_id']}/network.json", headers=auth)
    assert older.status_code == 200
    assert [user["id_from_network"] for user in older.get_json()["users"]] == ["u-1"]
    assert "email_settings" not in older.get_json()["users"][0]


def test_affiliate_campaign_create_is_403_with_the_status_when_not_applied(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    created = sandbox.post(f"/api/2016-10-01/{world['network_id']}/affiliates.json",
                           json={"id_from_network": "aff-9", "name": "Nine"}, headers=auth)
    assert created.status_code == 201
    url = f"{campaign_path(world)}/affiliates/aff-9/affiliate_campaigns.json"
    refused = sandbox.post(url, json={"status": "Approved"}, headers=auth)
    assert refused.status_code == 403
    body = refused.get_json()
    assert set(body) == {"errors", "status"}
    assert body["errors"]["status"][0].startswith("cannot transition from ")


@pytest.mark.parametrize(("version", "missing"),
                         [("2016-10-01", "email_address"), ("2017-04-01", "email_settings")])
def test_nested_field_is_required_when_the_version_requires_it(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], version: str,
    missing: str
) -> None:
    url = f"/api/{version}/{world['network_id']}/network.json"
    response = sandbox.post(url, json={"users": [network_user()]}, headers=auth)
    assert response.status_code == 403
    assert response.get_json() == {"errors": {"users": [{missing: ["can't be blank"]}]}}


def test_object_pages_are_urls_on_the_default_base_when_no_base_url_is_set(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    advertiser = sandbox.get(
        f"/api/2016-10-01/{world['network_id']}/advertisers/"
        f"{world['advertiser_id_from_network']}.json", headers=auth).get_json()
    assert advertiser["object_url"] == f"https://invoca.net/as/{advertiser['id']}/dashboards/ui"
    made = sandbox.post(
        f"{campaign_path(world)}/affiliates/{world['affiliate_id_from_network']}"
        "/affiliate_campaigns/promo_numbers.json",
        json={"description": "Radio spot", "media_type": "Offline: Radio"}, headers=auth,
    ).get_json()
    assert made["object_url"].startswith("https://invoca.net/p_campaigns/promo_numbers/")


def test_ring_pool_pages_use_base_url_when_configured() -> None:
    app = create_app({"SEED": 3, "BASE_URL": "http://127.0.0.1:8080/"})
    client = app.test_client()
    world = client.get("/_sandbox/world").get_json()
    pool = client.get(f"{campaign_path(world)}/ring_pools/{world['ring_pool']['id_from_network']}"
                      ".json", headers={"Authorization": world["api_token"]}).get_json()
    assert pool["object_url"] == f"http://127.0.0.1:8080/a_campaigns/ring_pools/{pool['id']}"
    assert pool["sample_api_url"] == (
        f"http://127.0.0.1:8080/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
        f"?ring_pool_key={pool['api_key']}"
    )
    assert pool["test_click_url"].startswith("http://127.0.0.1:8080/c/1/")


def test_every_network_integration_operation_is_a_platform_method_when_declared() -> None:
    contract = {snake_case(op.operation_id) for op in operations()
                if op.family == "Network Integration"}
    assert contract <= set(dir(Platform))
    # beyond the contract: older names of the same operations, and the deletes the docs refuse
    others = {name for name in set(OPERATIONS) - contract if not name.startswith("list_")}
    assert others == {"create_network", "update_network", "delete_advertiser_campaign",
                      "delete_affiliate_campaign"}
