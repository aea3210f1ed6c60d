"""The spec is the route table: one rule per operation, handlers by operationId, 501 otherwise."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import create_app
from mock_server.binding import (
    FieldFilter,
    bind_operations,
    family_of,
    flask_rule,
    iter_operations,
    snake_case,
    version_predicate,
)
from mock_server.handlers import Call
from tests.mock_server.conftest import HANDLERS, TOKEN, ContractCheckingClient, FakePlatform

RING_POOL = (
    "/api/{v}/1/advertisers/a1/advertiser_campaigns/c1/ring_pools/12.json"
)


def registered_operations(app: Flask) -> set[str]:
    return {
        rule.endpoint for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not rule.endpoint.startswith(("sandbox.", "links."))
    }


def test_routes_equal_spec_operations_when_app_is_built(
    fixture_app: Flask, fixture_spec: dict[str, Any]
) -> None:
    spec_ids = {op["operationId"] for _, _, _, op in iter_operations(fixture_spec)}
    assert len(spec_ids) == 9
    assert registered_operations(fixture_app) == spec_ids


def test_each_route_answers_its_method_when_the_path_has_several(fixture_app: Flask) -> None:
    app = fixture_app
    methods = {
        rule.endpoint: rule.methods for rule in app.url_map.iter_rules()
        if rule.endpoint in {"getRingPool", "deleteRingPool"}
    }
    assert "GET" in methods["getRingPool"] and "DELETE" not in methods["getRingPool"]
    assert "DELETE" in methods["deleteRingPool"] and "GET" not in methods["deleteRingPool"]


@pytest.mark.parametrize(
    ("template", "rule"),
    [
        (
            "/api/{version}/{network_id}/advertisers.json",
            "/api/<version>/<network_id>/advertisers.json",
        ),
        (
            "/api/{version}/ring_pools/{ring_pool_id}/allocate_number.{format}",
            "/api/<version>/ring_pools/<ring_pool_id>/allocate_number.<format>",
        ),
    ],
)
def test_template_becomes_flask_rule_when_converted(template: str, rule: str) -> None:
    assert flask_rule(template) == rule


@pytest.mark.parametrize(
    ("operation_id", "name"),
    [
        ("createRingPool", "create_ring_pool"),
        ("allocateNumber", "allocate_number"),
        ("listNetworkTransactions", "list_network_transactions"),
        ("getURLStats", "get_url_stats"),
        ("goLiveAdvertiserCampaign", "go_live_advertiser_campaign"),
    ],
)
def test_operation_id_becomes_handler_name_when_snake_cased(operation_id: str, name: str) -> None:
    assert snake_case(operation_id) == name


@pytest.mark.parametrize(
    ("path", "method", "family"),
    [
        ("/api/{version}/ring_pools/{ring_pool_id}/allocate_number.{format}", "get", "ringpool"),
        ("/api/2013-07-01/bulk.json", "post", "bulk"),
        ("/api/{version}/calls/{conversion_reporting_id}.xml", "post", "conversion"),
        ("/api/{version}/transactions.json", "post", "signal"),
        ("/api/{version}/{network_id}/transactions.{format}", "get", "transactions"),
        ("/api/{version}/{network_id}/advertisers.json", "get", "network"),
    ],
)
def test_family_follows_the_path_when_the_contract_names_none(
    path: str, method: str, family: str
) -> None:
    assert family_of(path, {"_method": method}) == family


def test_family_is_the_contracts_when_x_api_family_is_given() -> None:
    assert family_of("/api/x.json", {"x-api-family": "ringpool"}) == "ringpool"


def test_operation_without_handler_answers_501_with_reason_when_called(
    client: FlaskClient,
) -> None:
    response = client.get("/api/2017-02-01/1/affiliates.json", headers={"Authorization": TOKEN})
    assert response.status_code == 501
    errors = response.get_json()["errors"]
    assert errors["class"] == "NotImplemented"
    assert "listAffiliates" in errors["invalid_data"]
    assert "GET /api/{version}/{network_id}/affiliates.json" in errors["invalid_data"]


def test_handler_is_none_when_registry_lacks_it(fixture_spec: dict[str, Any]) -> None:
    operations = {op.operation_id: op for op in bind_operations(fixture_spec, HANDLERS)}
    assert operations["listAffiliates"].handler is None
    assert operations["createRingPool"].handler is HANDLERS["create_ring_pool"]
    assert operations["createRingPool"].status == 201
    assert operations["allocateNumber"].security == "ring_pool_key"
    assert operations["createRingPool"].security == "token"


def test_two_apps_share_nothing_when_built_side_by_side(fixture_spec: dict[str, Any]) -> None:
    first_platform, second_platform = FakePlatform(), FakePlatform()
    first = create_app({"SPEC": fixture_spec, "HANDLERS": HANDLERS}, platform=first_platform)
    second = create_app({"SPEC": fixture_spec, "HANDLERS": HANDLERS}, platform=second_platform)
    body = {"id_from_network": "12", "pool_type": "Custom", "destination_type": "API"}
    path = RING_POOL.format(v="2016-10-01").removesuffix("/12.json") + ".json"
    created = first.test_client().post(path, json=body, headers={"Authorization": TOKEN})
    assert created.status_code == 201
    assert list(first_platform.ring_pools) == ["12"]
    assert second_platform.ring_pools == {}
    assert second.test_client().get(
        RING_POOL.format(v="2016-10-01"), headers={"Authorization": TOKEN}
    ).status_code == 404
    assert first.extensions["invoca_sandbox"] is not second.extensions["invoca_sandbox"]


def test_versioned_fields_are_dropped_when_the_path_version_lacks_them(
    client: FlaskClient,
) -> None:
    body = {"id_from_network": "12", "pool_type": "Custom", "destination_type": "API"}
    path = RING_POOL.format(v="2016-10-01").removesuffix("/12.json") + ".json"
    client.post(path, json=body, headers={"Authorization": TOKEN})
    old = client.get(RING_POOL.format(v="2016-10-01"), headers={"Authorization": TOKEN})
    new = client.get(RING_POOL.format(v="2019-05-01"), headers={"Authorization": TOKEN})
    assert "pool_type" in old.get_json() and "allow_overflow" not in old.get_json()
    assert "pool_type" not in new.get_json() and new.get_json()["allow_overflow"] is True


@pytest.mark.parametrize(
    ("marking", "inside", "outside"),
    [
        (["2016-10-01", "2017-02-01"], "2017-02-01", "2018-05-01"),
        ({"from": "2018-05-01"}, "2018-05-01", "2018-04-30"),
        ({"until": "2018-11-01"}, "2018-11-01", "2019-05-01"),
        ({"before": "2019-05-01"}, "2018-11-01", "2019-05-01"),
        (">=2018-05-01", "2022-08-01", "2017-02-01"),
        ("<=2018-11-01", "2016-10-01", "2019-05-01"),
        ("2016-10-01..2018-11-01", "2017-04-01", "2019-05-01"),
    ],
)
def test_version_marking_separates_versions_when_compiled(
    marking: Any, inside: str, outside: str
) -> None:
    test = version_predicate(marking)
    assert test(inside) is True
    assert test(outside) is False


def test_field_filter_leaves_values_alone_when_nothing_is_marked(
    fixture_spec: dict[str, Any],
) -> None:
    field_filter = FieldFilter(fixture_spec)
    value = {"a": 1}
    assert field_filter.apply("listAdvertisers", 200, "2019-05-01", value) is value
    dropped = field_filter.excluded("getRingPool", 200, "2019-05-01")
    assert dropped == frozenset({"pool_type", "destination_type"})
    listed = field_filter.apply("getRingPool", 200, "2019-05-01", [{"pool_type": "x", "id": 1}])
    assert listed == [{"id": 1}]


def test_contract_check_fails_when_a_handler_returns_an_off_contract_body(
    fixture_spec: dict[str, Any],
) -> None:
    def get_ring_pool(call: Call) -> Any:
        return {"id": "not-an-integer"}

    app = create_app({"SPEC": fixture_spec, "HANDLERS": {"get_ring_pool": get_ring_pool}},
                     platform=FakePlatform())
    app.test_client_class = ContractCheckingClient
    with pytest.raises(AssertionError, match="getRingPool 200"):
        app.test_client().get(RING_POOL.format(v="2016-10-01"), headers={"Authorization": TOKEN})
