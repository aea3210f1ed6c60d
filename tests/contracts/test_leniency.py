"""The contract's Leniency section as the conformance suite reads it (contracts.leniency)."""

from __future__ import annotations

from typing import Any

from contracts.leniency import LenientReading, permissive

DOCUMENT: dict[str, Any] = {
    "components": {
        "schemas": {
            "UserWrite": {"type": "object", "additionalProperties": False,
                          "required": ["first_name"],
                          "properties": {"first_name": {"type": "string"}}},
        },
        "parameters": {
            "Limit": {"name": "limit", "in": "query",
                      "schema": {"type": "integer", "minimum": 1, "maximum": 4000,
                                 "x-lenient": "clamp"}},
        },
    },
}
OPERATION: dict[str, Any] = {
    "parameters": [{"$ref": "#/components/parameters/Limit"},
                   {"name": "page", "in": "query", "schema": {"type": "integer",
                                                             "maximum": 10}}],
    "requestBody": {"content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": False,
        "properties": {"users": {"type": "array",
                                 "items": {"$ref": "#/components/schemas/UserWrite"}}}}}}},
}


def test_permissive_schema_allows_unknown_keys_when_read_leniently() -> None:
    assert permissive({"type": "object", "additionalProperties": False,
                       "properties": {"a": {"additionalProperties": False}}}) == {
        "type": "object", "properties": {"a": {}}}


def test_unknown_keys_at_any_depth_are_accepted_when_read_leniently() -> None:
    reading = LenientReading(DOCUMENT)
    body = {"colour": 1, "users": [{"first_name": "a", "shoe": 9}]}
    assert reading.body_accepted(OPERATION, "application/json", body)


def test_other_body_violations_are_not_accepted_when_read_leniently() -> None:
    reading = LenientReading(DOCUMENT)
    assert not reading.body_accepted(OPERATION, "application/json",
                                     {"colour": 1, "users": [{"shoe": 9}]})


def test_clamped_query_value_is_accepted_when_above_its_maximum() -> None:
    reading = LenientReading(DOCUMENT)
    assert reading.query_accepted(OPERATION["parameters"], {"limit": 10000})
    assert reading.query_accepted(OPERATION["parameters"], {"limit": "10000"})


def test_query_value_is_not_accepted_when_its_schema_is_not_clamped_or_it_is_too_small() -> None:
    reading = LenientReading(DOCUMENT)
    assert not reading.query_accepted(OPERATION["parameters"], {"page": 11})
    assert not reading.query_accepted(OPERATION["parameters"], {"limit": 0})
    assert not reading.query_accepted(OPERATION["parameters"], {"limit": "many"})
