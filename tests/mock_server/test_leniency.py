"""Leniency and its strict reading: ``x-lenient: clamp``, unknown body keys, ``readOnly``
properties, and field errors in the documents' nested shape.

A small fixture contract (like conftest's) drives the generic mechanisms with a handler that
echoes what it was given, so a test sees exactly what reaches the model; the real contract
shows the same rules on Invoca's operations."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server.app import create_app
from mock_server.handlers import Call
from mock_server.validation import nested_field_errors
from tests.mock_server.conftest import HANDLERS, SPEC, TOKEN, ContractCheckingClient, FakePlatform

AUTH = {"Authorization": TOKEN}
THINGS = "/api/2016-10-01/1/things.json"

#: a write schema refusing unknown keys at every depth, with read-only properties
THING_SCHEMAS: dict[str, Any] = {
    "ThingWrite": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "id_from_network": {"type": "string"},
            "name": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "owner": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"name": {"type": "string"},
                               "created_at": {"type": "string", "readOnly": True}},
            },
            "users": {"type": "array", "items": {"$ref": "#/components/schemas/UserWrite"}},
        },
    },
    "UserWrite": {
        "type": "object",
        "additionalProperties": False,
        "required": ["first_name"],
        "properties": {
            "id": {"$ref": "#/components/schemas/Id", "readOnly": True},
            "first_name": {"type": "string"},
            "email_settings": {"type": "array", "items": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"email_address": {"type": "string", "pattern": "@"}},
            }},
        },
    },
    "Id": {"type": "integer"},
}


def thing_spec() -> dict[str, Any]:
    """conftest's contract plus ``POST things.json`` and a clamped ``limit``."""
    spec = copy.deepcopy(SPEC)
    spec["components"]["schemas"].update(copy.deepcopy(THING_SCHEMAS))
    spec["paths"]["/api/{version}/{network_id}/things.json"] = {"post": {
        "operationId": "createThing",
        "tags": ["Network Integration"],
        "parameters": [{"$ref": "#/components/parameters/NetworkVersion"},
                       {"name": "network_id", "in": "path", "required": True,
                        "schema": {"type": "string"}}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/ThingWrite"}}}},
        "responses": {"201": {"description": "created"}, "403": {"description": "invalid"}},
    }}
    transactions = spec["paths"]["/api/{version}/transactions.json"]["get"]
    limit = next(p for p in transactions["parameters"] if p["name"] == "limit")
    limit["schema"]["x-lenient"] = "clamp"
    return spec


def create_thing(call: Call) -> Any:
    """Echo what reached the model."""
    return {"received": call.body}


def thing_app(**config: Any) -> Flask:
    return create_app({"SPEC": thing_spec(), "HANDLERS": {**HANDLERS, "create_thing": create_thing},
                       **config}, platform=FakePlatform())


@pytest.fixture(params=[False, True], ids=["lenient", "strict"])
def strict(request: pytest.FixtureRequest) -> bool:
    flag: bool = request.param
    return flag


@pytest.fixture
def things(strict: bool) -> Iterator[FlaskClient]:
    with thing_app(STRICT=strict).test_client() as client:
        yield client


@pytest.fixture
def lenient_things() -> Iterator[FlaskClient]:
    with thing_app().test_client() as client:
        yield client


@pytest.fixture
def strict_things() -> Iterator[FlaskClient]:
    with thing_app(STRICT=True).test_client() as client:
        yield client


# ---------------------------------------------------------------------------- clamp


def test_limit_above_the_maximum_is_served_at_the_maximum_when_lenient(
    lenient_things: FlaskClient,
) -> None:
    response = lenient_things.get("/api/2016-10-01/transactions.json?limit=10000", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json() == [{"limit": 4000, "columns": None}]


def test_limit_above_the_maximum_is_refused_when_strict(strict_things: FlaskClient) -> None:
    response = strict_things.get("/api/2016-10-01/transactions.json?limit=10000", headers=AUTH)
    assert response.status_code == 403
    assert response.get_json() == {"errors": {
        "class": "InvalidInput",
        "invalid_data": "Invalid parameter 'limit': 10000 is greater than the maximum of 4000"}}


@pytest.mark.parametrize("limit", ["0", "abc"])
def test_limit_outside_the_schema_otherwise_is_refused_when_lenient(
    lenient_things: FlaskClient, limit: str
) -> None:
    response = lenient_things.get(f"/api/2016-10-01/transactions.json?limit={limit}",
                                  headers=AUTH)
    assert response.status_code == 403


@pytest.fixture(params=[False, True], ids=["lenient", "strict"])
def demo(request: pytest.FixtureRequest) -> Iterator[tuple[FlaskClient, bool]]:
    """The demo sandbox on the real contract, lenient or strict (answers checked)."""
    app = create_app({"SEED": 0, "CLOCK": "manual", "STRICT": request.param})
    app.test_client_class = ContractCheckingClient
    with app.test_client() as client:
        yield client, request.param


def test_transactions_limit_of_a_public_pipeline_is_answered_when_lenient_and_refused_when_strict(
    demo: tuple[FlaskClient, bool],
) -> None:
    client, strict = demo
    world = client.get("/_sandbox/world").get_json()
    response = client.get(
        f"/api/2016-10-01/networks/transactions/{world['network_id']}.json?limit=10000",
        headers={"Authorization": world["api_token"]})
    assert response.status_code == (403 if strict else 200)
    if strict:
        assert response.get_json()["errors"]["class"] == "InvalidInput"


# ---------------------------------------------------------------------------- unknown keys


UNKNOWN_EVERYWHERE = {
    "id_from_network": "t1", "colour": "blue",
    "owner": {"name": "o", "shade": "dark"},
    "users": [{"first_name": "a", "shoe": 9},
              {"first_name": "b", "email_settings": [{"email_address": "b@x", "x": 1}]}],
}


def test_unknown_keys_are_dropped_at_any_depth_before_the_model_when_lenient(
    lenient_things: FlaskClient,
) -> None:
    response = lenient_things.post(THINGS, headers=AUTH, json=UNKNOWN_EVERYWHERE)
    assert response.status_code == 201
    assert response.get_json() == {"received": {
        "id_from_network": "t1", "owner": {"name": "o"},
        "users": [{"first_name": "a"},
                  {"first_name": "b", "email_settings": [{"email_address": "b@x"}]}],
    }}


def test_unknown_keys_are_refused_in_the_nested_shape_when_strict(
    strict_things: FlaskClient,
) -> None:
    response = strict_things.post(THINGS, headers=AUTH, json=UNKNOWN_EVERYWHERE)
    assert response.status_code == 403
    assert response.get_json() == {"errors": {
        "colour": ["is not a known attribute"],
        "owner": [{"shade": ["is not a known attribute"]}],
        "users": [{"shoe": ["is not a known attribute"]},
                  {"email_settings": [{"x": ["is not a known attribute"]}]}],
    }}


def test_known_keys_are_still_validated_when_unknown_ones_are_dropped(
    lenient_things: FlaskClient,
) -> None:
    response = lenient_things.post(THINGS, headers=AUTH, json={"colour": "blue", "name": 5})
    assert response.status_code == 403
    assert response.get_json() == {"errors": {"name": ["is invalid"]}}


def test_unknown_keys_of_the_real_contract_follow_the_switch_when_creating_an_advertiser(
    demo: tuple[FlaskClient, bool],
) -> None:
    client, strict = demo
    world = client.get("/_sandbox/world").get_json()
    response = client.post(
        f"/api/2016-10-01/{world['network_id']}/advertisers.json",
        headers={"Authorization": world["api_token"]},
        json={"id_from_network": "adv-9", "name": "Nine", "colour": "blue"})
    if strict:
        assert response.status_code == 403
        assert response.get_json() == {"errors": {"colour": ["is not a known attribute"]}}
    else:
        assert response.status_code == 201
        assert "colour" not in response.get_json()


def test_local_center_unknown_key_keeps_its_documented_error_when_lenient(
    lenient_things: FlaskClient, fake_platform: FakePlatform
) -> None:
    body = {"id_from_network": "12", "pool_type": "Custom", "destination_type": "API",
            "local_center": {"bad_key": ""}}
    response = lenient_things.post(
        "/api/2016-10-01/1/advertisers/a1/advertiser_campaigns/c1/ring_pools.json",
        json=body, headers=AUTH)
    assert response.status_code == 403
    assert response.get_json() == {"errors": {
        "class": "RecordInvalid", "invalid_data": "Invalid Key in Local Center."}}


# ---------------------------------------------------------------------------- readOnly


def test_read_only_properties_are_accepted_and_dropped_when_sent_back(
    things: FlaskClient,
) -> None:
    body = {"id": "not even an integer", "id_from_network": "t1",
            "owner": {"name": "o", "created_at": "2016-10-01"},
            "users": [{"id": 3, "first_name": "a"}]}
    response = things.post(THINGS, headers=AUTH, json=body)
    assert response.status_code == 201
    assert response.get_json() == {"received": {
        "id_from_network": "t1", "owner": {"name": "o"}, "users": [{"first_name": "a"}]}}


# ---------------------------------------------------------------------------- nested errors


def test_nested_schema_errors_have_the_documents_shape_when_a_body_is_refused(
    things: FlaskClient,
) -> None:
    body = {"name": "x", "tags": ["a", 7], "owner": {"name": 5},
            "users": [{"first_name": "a"},
                      {"first_name": "b", "email_settings": [{"email_address": "nope"}]},
                      {}]}
    response = things.post(THINGS, headers=AUTH, json=body)
    assert response.status_code == 403
    assert response.get_json() == {"errors": {
        "tags": ["is invalid"],
        "owner": [{"name": ["is invalid"]}],
        "users": [{}, {"email_settings": [{"email_address": ["is invalid"]}]},
                  {"first_name": ["can't be blank"]}],
    }}


def test_nested_errors_are_built_from_steps_when_given_pairs() -> None:
    data = {"users": [{"a": 1}, {"email_settings": [{}, {"email_address": "x"}]}],
            "owner": {"name": 5}, "tags": [1]}
    found = [
        (("users", 1, "email_settings", 1, "email_address"), "is invalid"),
        (("users", 1, "email_settings", 1, "email_address"), "is too short"),
        (("users",), "has too many items"),
        (("owner", "name"), "is invalid"),
        (("tags", 0), "is invalid"),
        ((), "is invalid"),
    ]
    assert nested_field_errors(found, data) == {
        "users": ["has too many items", {},
                  {"email_settings": [{}, {"email_address": ["is invalid", "is too short"]}]}],
        "owner": [{"name": ["is invalid"]}],
        "tags": ["is invalid"],
        "base": ["is invalid"],
    }
