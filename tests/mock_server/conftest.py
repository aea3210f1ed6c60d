"""Fixtures of the mock server's frame tests: a small contract, a fake platform, handlers.

The frame (binding, validation, auth, rendering, control API) is generic: these tests drive it
with a contract of a few operations shaped like Invoca's, so they do not depend on the full
openapi/invoca.yaml or on the model's business rules.
"""

from __future__ import annotations

import copy
import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from mock_server.app import create_app
from mock_server.handlers import Call, Reply
from mock_server.validation import compile_schema, resolve
from simulator.clock import ManualClock
from simulator.errors import InvalidKey, RecordNotFound, Unauthorized

TOKEN = "YbcFHZ38FNfptfZMB0RZ6dk9dOJCaCfU"
BASIC = ("sandbox", "secret")
RING_POOL_KEY = "A329F4DC002168"
START = datetime(2016, 10, 1, tzinfo=UTC)

NETWORK_VERSIONS = ["2016-10-01", "2017-02-01", "2018-05-01", "2018-11-01", "2019-05-01"]
RING_POOL_PREFIX = (
    "/api/{version}/{network_id}/advertisers/{advertiser_id_from_network}"
    "/advertiser_campaigns/{advertiser_campaign_id_from_network}"
)


def _path_params(*names: str) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {"$ref": "#/components/parameters/NetworkVersion"},
    ]
    params += [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in names
    ]
    return params


def _error_responses() -> dict[str, Any]:
    return {
        "401": {"description": "Unauthorized"},
        "403": {"description": "Invalid"},
        "404": {"description": "Not found"},
    }


RING_POOL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"},
        "id_from_network": {"type": "string"},
        "name": {"type": "string"},
        "pool_type": {"$ref": "#/components/schemas/PoolType",
                      "x-versions": {"until": "2018-11-01"}},
        "destination_type": {"type": "string", "enum": ["Advertiser", "API"],
                             "x-versions": {"until": "2018-11-01"}},
        "max_pool_size": {"anyOf": [{"type": "integer"}, {"type": "string",
                                                          "pattern": "^[0-9]+$"}]},
        "preferred": {"anyOf": [{"type": "boolean"}, {"type": "string",
                                                      "enum": ["true", "false"]}]},
        "lifetime_seconds": {"type": "integer"},
        "allow_overflow": {"type": "boolean", "x-versions": {"from": "2019-05-01"}},
        "local_center": {
            "type": "object",
            "properties": {
                "tn_prefix": {"type": "string"},
                "zipcode": {"type": "string"},
                "latitude": {"type": "number"},
                "longitude": {"type": "number"},
            },
            "additionalProperties": False,
        },
    },
}

SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "fixture", "version": "1"},
    "security": [{"api_token": []}, {"oauth_token_query": []}, {"basic": []}],
    "paths": {
        "/api/{version}/{network_id}/advertisers.json": {
            "get": {
                "operationId": "listAdvertisers",
                "parameters": _path_params("network_id"),
                "responses": {"200": {"description": "ok"}, **_error_responses()},
            },
        },
        RING_POOL_PREFIX + "/ring_pools.json": {
            "parameters": _path_params(
                "network_id", "advertiser_id_from_network", "advertiser_campaign_id_from_network"
            ),
            "post": {
                "operationId": "createRingPool",
                "tags": ["Network Integration"],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {
                        "$ref": "#/components/schemas/RingPoolWrite"}}},
                },
                "responses": {
                    "201": {"description": "created", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/RingPool"}}}},
                    **_error_responses(),
                },
            },
        },
        RING_POOL_PREFIX + "/ring_pools/{ring_pool_id_from_network}.json": {
            "parameters": _path_params(
                "network_id", "advertiser_id_from_network",
                "advertiser_campaign_id_from_network", "ring_pool_id_from_network",
            ),
            "get": {
                "operationId": "getRingPool",
                "responses": {
                    "200": {"description": "ok", "content": {"application/json": {
                        "schema": {"$ref": "#/components/schemas/RingPool"}}}},
                    **_error_responses(),
                },
            },
            "delete": {
                "operationId": "deleteRingPool",
                "responses": {"200": {"description": "ok"}, **_error_responses()},
            },
        },
        "/api/{version}/ring_pools/{ring_pool_id}/allocate_number.{format}": {
            "get": {
                "operationId": "allocateNumber",
                "security": [{"ring_pool_key": []}],
                "parameters": [
                    {"name": "version", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": ["2015-12-09"]}},
                    {"name": "ring_pool_id", "in": "path", "required": True,
                     "schema": {"type": "integer"}},
                    {"name": "format", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": ["xml", "json", "csv"]}},
                    {"name": "mobile_click_to_call", "in": "query",
                     "schema": {"type": "boolean"}},
                ],
                "responses": {"200": {"description": "ok"}},
            },
        },
        "/api/{version}/transactions.json": {
            "get": {
                "operationId": "listNetworkTransactions",
                "parameters": [
                    {"name": "version", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": ["2016-10-01"]}},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 4000}},
                    {"name": "include_columns", "in": "query", "explode": False,
                     "schema": {"type": "array", "items": {"type": "string"}}},
                ],
                "responses": {"200": {"description": "ok"}},
            },
        },
        "/api/{version}/calls/{conversion_reporting_id}.xml": {
            "post": {
                "operationId": "reportConversion",
                "security": [{"basic": []}],
                "parameters": [
                    {"name": "version", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": ["2014-04-15"]}},
                    {"name": "conversion_reporting_id", "in": "path", "required": True,
                     "schema": {"type": "string"}},
                ],
                "requestBody": {"required": True, "content": {
                    "application/x-www-form-urlencoded": {"schema": {
                        "type": "object",
                        "required": ["start_time_t"],
                        "properties": {
                            "start_time_t": {"type": "integer"},
                            "sku_list": {"type": "array", "items": {"type": "string"}},
                        },
                    }},
                }},
                "responses": {"201": {"description": "created"}},
            },
        },
        "/api/{version}/transactions/signals.json": {
            "post": {
                "operationId": "reportSignal",
                "tags": ["Signal"],
                "x-versions": {"until": "2017-02-01"},
                "parameters": [
                    {"name": "version", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": ["2016-08-01", "2018-02-01"]}},
                ],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["signal"],
                    "properties": {"signal": {"type": "object"}}}}}},
                "responses": {"201": {"description": "created"}},
            },
        },
        "/api/{version}/{network_id}/affiliates.json": {
            "get": {
                "operationId": "listAffiliates",
                "x-versions": {"from": "2017-02-01"},
                "parameters": _path_params("network_id"),
                "responses": {"200": {"description": "ok"}, **_error_responses()},
            },
        },
    },
    "components": {
        "parameters": {
            "NetworkVersion": {"name": "version", "in": "path", "required": True,
                               "schema": {"type": "string", "enum": NETWORK_VERSIONS}},
        },
        "schemas": {
            "PoolType": {"type": "string", "enum": [
                "Search", "SearchKeyword", "Custom", "CustomWithSearchTracking",
                "ReferralDomain", "ReferralDomainWithSearchTracking"]},
            "RingPool": RING_POOL_SCHEMA,
            "RingPoolWrite": {
                "allOf": [{"$ref": "#/components/schemas/RingPool"}],
                "x-required-by-version": [
                    {"until": "2018-11-01", "required": ["pool_type", "destination_type"]},
                ],
            },
        },
        "securitySchemes": {
            "api_token": {"type": "apiKey", "in": "header", "name": "Authorization"},
            "oauth_token_query": {"type": "apiKey", "in": "query", "name": "oauth_token"},
            "basic": {"type": "http", "scheme": "basic"},
            "ring_pool_key": {"type": "apiKey", "in": "query", "name": "ring_pool_key"},
        },
    },
}


class FakeEvent:
    def __init__(self, kind: str, at: datetime) -> None:
        self.kind, self.at = kind, at

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.kind, "at": self.at.isoformat()}


class FakePlatform:
    """Just enough platform for the frame: credentials, a ring pool store, a clock."""

    def __init__(self) -> None:
        self.clock = ManualClock(START)
        self.ring_pools: dict[str, dict[str, Any]] = {}
        self.conversions: list[dict[str, Any]] = []
        self.resets = 0

    def authenticate(self, *, token: str | None, basic: tuple[str, str] | None) -> str:
        if token == TOKEN:
            return "network-user"
        if basic == BASIC:
            return "basic-user"
        raise Unauthorized("The API token or credentials are not valid")

    def now(self) -> datetime:
        return self.clock.now()

    def advance_clock(self, seconds: float) -> list[FakeEvent]:
        self.clock.advance(seconds)
        return [FakeEvent("clock_advanced", self.clock.now())]

    def set_clock(self, instant: datetime) -> list[FakeEvent]:
        self.clock.set(instant)
        return []

    def reset(self) -> None:
        self.ring_pools.clear()
        self.resets += 1

    def world_summary(self) -> dict[str, Any]:
        return {"network_id": "1", "api_token": TOKEN}


def create_ring_pool(call: Call) -> Any:
    body = dict(call.body)
    pool = {"id": len(call.platform.ring_pools) + 1, **body, "allow_overflow": True}
    call.platform.ring_pools[str(body["id_from_network"])] = pool
    return pool


def get_ring_pool(call: Call) -> Any:
    pool = call.platform.ring_pools.get(call.path["ring_pool_id_from_network"])
    if pool is None:
        raise RecordNotFound(f"Could not find RingPool {call.path['ring_pool_id_from_network']}")
    return pool


def allocate_number(call: Call) -> Any:
    if call.query["ring_pool_key"] != RING_POOL_KEY:
        raise InvalidKey(
            f"API Key '{call.query['ring_pool_key']}' is not valid for resource "
            f"'{call.path['ring_pool_id']}'"
        )
    return {"PromoNumberFormatted": "888-390-6665", "PromoNumber": "8883906665",
            "TrackingUrl": f"{call.base_url}/c/1"} if call.format != "json" else {
        "promo_number_formatted": "888-390-6665", "promo_number": "8883906665"}


def list_network_transactions(call: Call) -> Any:
    return Reply([{"limit": call.query.get("limit"),
                   "columns": call.query.get("include_columns")}])


def report_conversion(call: Call) -> Any:
    call.platform.conversions.append(dict(call.body))
    return Reply("", content_type="application/xml")


def list_advertisers(call: Call) -> Any:
    raise ZeroDivisionError("a bug in a handler")


def delete_ring_pool(call: Call) -> Any:
    call.platform.ring_pools.pop(call.path["ring_pool_id_from_network"], None)
    return {}


HANDLERS = {
    "create_ring_pool": create_ring_pool,
    "get_ring_pool": get_ring_pool,
    "delete_ring_pool": delete_ring_pool,
    "allocate_number": allocate_number,
    "list_network_transactions": list_network_transactions,
    "report_conversion": report_conversion,
    "list_advertisers": list_advertisers,
}


@pytest.fixture
def fixture_spec() -> dict[str, Any]:
    return copy.deepcopy(SPEC)


@pytest.fixture
def fake_platform() -> FakePlatform:
    return FakePlatform()


@pytest.fixture
def fixture_app(fixture_spec: dict[str, Any], fake_platform: FakePlatform) -> Flask:
    return create_app({"SPEC": fixture_spec, "HANDLERS": HANDLERS, "SEED": 7},
                      platform=fake_platform)


@pytest.fixture
def client(fixture_app: Flask) -> Iterator[FlaskClient]:
    with fixture_app.test_client() as test_client:
        yield test_client


# ---------------------------------------------------------------------------- contract check


class ContractCheckingClient(FlaskClient):
    """A test client that validates every contract response it sees against the contract.

    JSON bodies against the response schema; XML bodies by root element and children (the
    schema's ``xml.name`` and properties); text bodies against their string schema; CSV bodies
    by their ``x-csv-columns`` header. A status or content type the operation does not list
    fails too. Control endpoints (``/_sandbox/``) are not part of the contract and pass.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        response = super().open(*args, **kwargs)
        check_against_contract(self.application, response)
        return response


def check_against_contract(app: Flask, response: Any) -> None:
    state = app.extensions["invoca_sandbox"]
    request = response.request
    try:
        endpoint, _ = app.url_map.bind("localhost").match(request.path, method=request.method)
    except HTTPException:
        return
    operation = state.operations.get(endpoint)
    if operation is None or response.status_code == 501:
        return  # not part of the contract, or explicitly not implemented yet
    spec = state.spec
    responses = operation.spec.get("responses", {})
    entry = resolve(responses.get(str(response.status_code)) or responses.get("default"), spec)
    where = f"{operation.operation_id} {response.status_code}"
    assert entry is not None, f"{where}: status not in the contract"
    content = entry.get("content") or {}
    data = response.get_data()
    if not content:
        return
    media = content.get(response.mimetype)
    assert media is not None, f"{where}: {response.mimetype} not in {sorted(content)}"
    schema = media.get("schema")
    if schema is None:
        return
    if response.mimetype == "application/json":
        validator = compile_schema(schema, spec)
        body = orjson.loads(data)
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, f"{where}: {errors[:3]} in {data[:300]!r}"
    elif response.mimetype == "application/xml" and (
        resolve(schema, spec).get("type") == "string" or not data.lstrip().startswith(b"<")
    ):
        errors = [e.message for e in compile_schema(schema, spec).iter_errors(data.decode())]
        assert not errors, f"{where}: {errors[:3]}"
    elif response.mimetype == "application/xml":
        resolved = resolve(schema, spec)
        root = ET.fromstring(data)
        assert root.tag == resolved.get("xml", {}).get("name", root.tag), where
        children = {child.tag: child.text or "" for child in root}
        if (("properties" in resolved or "anyOf" in resolved or "oneOf" in resolved)
                and all(len(child) == 0 for child in root)):
            validator = compile_schema(schema, spec)
            errors = [e.message for e in validator.iter_errors(children)]
            assert not errors, f"{where}: {errors[:3]}"
    elif response.mimetype == "text/plain":
        errors = [e.message for e in compile_schema(schema, spec).iter_errors(data.decode())]
        assert not errors, f"{where}: {errors[:3]}"
    elif response.mimetype == "text/csv":
        columns = list(resolve(schema, spec).get("x-csv-columns") or [])
        if columns and data and request.args.get("include_header") != "0":
            separator = request.args.get("column_separator") or ","
            header = next(csv.reader(io.StringIO(data.decode()), delimiter=separator))
            known = [name for name in header if name in columns]
            assert header and header[0] in columns, f"{where}: header {header[:5]}"
            assert known == [name for name in columns if name in known], (
                f"{where}: header out of the contract's order {header[:5]}"
            )


# ---- a sandbox app on the demo world (seed 0, manual clock), every answer checked -----------


@pytest.fixture
def sandbox_app() -> Flask:
    app = create_app({"SEED": 0, "CLOCK": "manual"})
    app.test_client_class = ContractCheckingClient
    return app


@pytest.fixture
def sandbox(sandbox_app: Flask) -> Iterator[FlaskClient]:
    with sandbox_app.test_client() as test_client:
        yield test_client


@pytest.fixture
def world(sandbox: FlaskClient) -> dict[str, Any]:
    """The demo world's ids and credentials (``GET /_sandbox/world``)."""
    summary: dict[str, Any] = sandbox.get("/_sandbox/world").get_json()
    return summary
