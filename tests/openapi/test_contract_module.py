"""openapi.contract: loading the document and listing its operations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from openapi import SPEC_PATH
from openapi.contract import (
    FAMILIES,
    count_by_family,
    documented_versions,
    load_spec,
    operation_by_id,
    operations,
    parse_spec,
    resolve,
    version_in_range,
)

TINY_SPEC: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "paths": {
        "/api/{version}/things/{thing_id}.json": {
            "parameters": [
                {"$ref": "#/components/parameters/Version"},
                {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}},
            ],
            "get": {
                "operationId": "getThing",
                "tags": ["Network Integration"],
                "parameters": [
                    {
                        "name": "thing_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    },
                    {"name": "verbose", "in": "query", "schema": {"type": "boolean"}},
                ],
                "responses": {"200": {"description": "ok"}},
            },
            "delete": {
                "operationId": "deleteThing",
                "tags": ["Signal"],
                "responses": {"200": {"description": "ok"}},
            },
        }
    },
    "components": {
        "parameters": {
            "Version": {
                "name": "version",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "enum": ["2016-10-01", "2022-08-01"]},
            }
        }
    },
}


def test_load_spec_returns_same_document_when_called_twice() -> None:
    assert load_spec() is load_spec()
    assert load_spec()["openapi"] == "3.1.0"


def test_parse_spec_fails_when_file_holds_no_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(ValueError, match="does not hold an OpenAPI document"):
        parse_spec(path)


def test_parse_spec_reads_json_when_given_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text('{"openapi": "3.1.0", "paths": {}}', encoding="utf-8")
    assert parse_spec(path) == {"openapi": "3.1.0", "paths": {}}


def test_operations_merge_path_parameters_when_operation_overrides_one() -> None:
    get, delete = operations(TINY_SPEC)
    assert (get.method, get.operation_id, get.family) == ("get", "getThing", "Network Integration")
    by_name = {p["name"]: p for p in get.parameters}
    assert set(by_name) == {"version", "thing_id", "verbose"}
    assert by_name["thing_id"]["schema"] == {"type": "integer"}  # the operation's own wins
    assert by_name["version"]["schema"]["enum"] == ["2016-10-01", "2022-08-01"]  # $ref followed
    assert {p["name"] for p in delete.parameters} == {"version", "thing_id"}
    assert get.path_parameter_names == ("version", "thing_id")


def test_operation_by_id_fails_when_id_is_unknown() -> None:
    assert operation_by_id("getThing", TINY_SPEC).path == "/api/{version}/things/{thing_id}.json"
    with pytest.raises(KeyError):
        operation_by_id("getNothing", TINY_SPEC)


def test_count_by_family_lists_every_family_when_some_are_empty() -> None:
    counts = count_by_family(TINY_SPEC)
    assert tuple(counts) == FAMILIES
    assert counts["Network Integration"] == 1
    assert counts["Signal"] == 1
    assert counts["Legacy RingPool"] == 0


def test_contract_counts_125_operations_when_loaded() -> None:
    assert sum(count_by_family().values()) == len(operations()) == 125


def test_documented_versions_collects_every_version_enum_when_contract_is_loaded() -> None:
    dates = documented_versions()
    assert {
        "2013-07-01",
        "2014-04-15",
        "2015-12-09",
        "2016-10-01",
        "2018-02-01",
        "2020-10-01",
        "2022-08-01",
    } <= dates
    assert documented_versions(TINY_SPEC) == {"2016-10-01", "2022-08-01"}


def test_resolve_fails_when_reference_is_remote_or_missing() -> None:
    with pytest.raises(ValueError, match="only local references"):
        resolve(TINY_SPEC, {"$ref": "other.yaml#/x"})
    with pytest.raises(KeyError, match="unresolvable"):
        resolve(TINY_SPEC, {"$ref": "#/components/parameters/Nope"})
    cyclic = {"a": {"$ref": "#/b"}, "b": {"$ref": "#/a"}}
    with pytest.raises(ValueError, match="cycle"):
        resolve(cyclic, {"$ref": "#/a"})


@pytest.mark.parametrize(
    ("version", "window", "inside"),
    [
        ("2018-05-01", {"from": "2018-05-01"}, True),
        ("2018-04-30", {"from": "2018-05-01"}, False),
        ("2018-11-01", {"until": "2018-11-01"}, True),
        ("2019-05-01", {"until": "2018-11-01"}, False),
        ("2017-01-01", {"from": "2016-01-01", "until": "2017-02-01"}, True),
        ("2015-01-01", None, True),
    ],
)
def test_version_in_range_includes_both_ends_when_range_is_given(
    version: str, window: dict[str, str] | None, inside: bool
) -> None:
    assert version_in_range(version, window) is inside


def test_spec_path_points_at_the_yaml_when_package_is_imported() -> None:
    assert SPEC_PATH.name == "invoca.yaml"
    assert SPEC_PATH.is_file()
