"""Every example in the contract validates against the schema it illustrates.

Request and response examples, every media type. JSON examples are validated as they are; XML
examples are decoded with the schema's ``xml`` names (element text becomes string values); CSV
examples are decoded into rows that must carry the ``x-csv-columns`` header and satisfy the
``x-csv-row-schema``; text examples are validated as strings. Schemas are checked with jsonschema's
Draft 2020-12 validator (the dialect of OpenAPI 3.1), with the whole document as the resource that
``$ref``s resolve against.
"""

from __future__ import annotations

import copy
import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from openapi.contract import load_spec, resolve

SPEC_URI = "urn:invoca-sandbox:contract"


@dataclass(frozen=True)
class Example:
    """One example value and where it sits."""

    where: str
    media_type: str
    schema_pointer: str
    value: Any


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def iter_examples(spec: Mapping[str, Any]) -> Iterator[Example]:
    """Every example of every media type object of every operation and shared response."""
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            base = f"/paths/{escape(path)}/{method}"
            body = op.get("requestBody")
            if body:
                yield from _media_examples(
                    spec, f"{base}/requestBody", body, f"{op['operationId']} request"
                )
            for code, response in op.get("responses", {}).items():
                if "$ref" in response:
                    continue  # shared responses are walked below, once
                yield from _media_examples(
                    spec, f"{base}/responses/{code}", response, f"{op['operationId']} {code}"
                )
    for name, response in spec["components"].get("responses", {}).items():
        yield from _media_examples(
            spec, f"/components/responses/{escape(name)}", response, f"components/responses/{name}"
        )


def _media_examples(
    spec: Mapping[str, Any], pointer: str, owner: Mapping[str, Any], label: str
) -> Iterator[Example]:
    for media_type, media in owner.get("content", {}).items():
        schema_pointer = f"{pointer}/content/{escape(media_type)}/schema"
        if "example" in media:
            yield Example(f"{label} {media_type}", media_type, schema_pointer, media["example"])
        for name, example in media.get("examples", {}).items():
            resolved = resolve(spec, example)
            yield Example(
                f"{label} {media_type} {name}", media_type, schema_pointer, resolved["value"]
            )


def validator_for(spec: Mapping[str, Any], pointer: str) -> Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    return Draft202012Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=registry)


def schema_at(spec: Mapping[str, Any], pointer: str) -> Mapping[str, Any]:
    node: Any = spec
    for token in pointer.lstrip("/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return dict(resolve(spec, node))


def decode_xml(spec: Mapping[str, Any], schema: Mapping[str, Any], text: str) -> Any:
    root = ET.fromstring(text)
    if schema.get("type") == "array":
        wrapper = schema.get("xml", {}).get("name")
        assert root.tag == wrapper, f"root element {root.tag} is not {wrapper}"
        item_xml = schema["items"].get("xml") or resolve(spec, schema["items"]).get("xml", {})
        item_name = item_xml.get("name")
        assert all(child.tag == item_name for child in root), f"items are not {item_name}"
        return [{leaf.tag: leaf.text or "" for leaf in child} for child in root]
    name = schema.get("xml", {}).get("name")
    assert root.tag == name, f"root element {root.tag} is not {name}"
    return {child.tag: (child.text or "") for child in root}


def decode_csv(schema: Mapping[str, Any], text: str) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(text))
    header, *rows = list(reader)
    columns = schema["x-csv-columns"]
    assert set(header) <= set(columns), f"unknown columns {set(header) - set(columns)}"
    return [dict(zip(header, row, strict=True)) for row in rows]


def example_errors(spec: Mapping[str, Any], example: Example) -> list[str]:
    """Messages for every way ``example`` disagrees with its schema (empty when it agrees)."""
    schema = schema_at(spec, example.schema_pointer)
    try:
        if example.media_type == "application/xml" and isinstance(example.value, str):
            instances: list[tuple[str, Any]] = [
                (example.schema_pointer, decode_xml(spec, schema, example.value))
            ]
        elif example.media_type == "text/csv":
            row_pointer = schema["x-csv-row-schema"].removeprefix("#")
            instances = [(row_pointer, row) for row in decode_csv(schema, example.value)]
            if not instances:
                return [f"{example.where}: no data rows"]
        else:
            instances = [(example.schema_pointer, example.value)]
    except (AssertionError, ET.ParseError, ValueError, KeyError) as exc:
        return [f"{example.where}: cannot decode: {exc}"]
    messages: list[str] = []
    for pointer, instance in instances:
        for error in validator_for(spec, pointer).iter_errors(instance):
            messages.append(f"{example.where}: {error.message} at {list(error.absolute_path)}")
    return messages


@pytest.fixture
def spec() -> dict[str, Any]:
    return load_spec()


def test_contract_has_examples_when_walked(spec: dict[str, Any]) -> None:
    examples = list(iter_examples(spec))
    media_types = {example.media_type for example in examples}
    assert len(examples) > 100
    assert {
        "application/json",
        "application/xml",
        "text/csv",
        "text/plain",
        "application/x-www-form-urlencoded",
    } <= media_types


def test_every_example_validates_when_checked_against_its_schema(spec: dict[str, Any]) -> None:
    problems = [
        message for example in iter_examples(spec) for message in example_errors(spec, example)
    ]
    assert problems == []


def test_every_operation_has_a_json_success_example_when_it_returns_json(
    spec: dict[str, Any],
) -> None:
    lacking = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            for code, response in op["responses"].items():
                resolved = resolve(spec, response)
                media = resolved.get("content", {}).get("application/json")
                if code.startswith("2") and media and not ({"example", "examples"} & set(media)):
                    lacking.append(f"{method.upper()} {path} {code}")
    assert lacking == []


# --------------------------------------------------------------------------- the check can fail
def test_example_check_fails_when_json_example_breaks_its_schema(spec: dict[str, Any]) -> None:
    broken = copy.deepcopy(spec)
    broken["components"]["examples"]["PromoNumberGet"]["value"]["promo_number"] = "12345"
    problems = [m for e in iter_examples(broken) for m in example_errors(broken, e)]
    assert any("'12345' does not match" in m for m in problems)


def test_example_check_fails_when_xml_example_has_wrong_root(spec: dict[str, Any]) -> None:
    broken = copy.deepcopy(spec)
    example = broken["components"]["examples"]["AllocationXml"]
    example["value"] = example["value"].replace("Response>", "Reply>")
    problems = [m for e in iter_examples(broken) for m in example_errors(broken, e)]
    assert any("root element Reply is not Response" in m for m in problems)


def test_example_check_fails_when_csv_example_misses_a_column(spec: dict[str, Any]) -> None:
    broken = copy.deepcopy(spec)
    broken["components"]["examples"]["AllocationCsv"]["value"] = (
        "PromoNumberFormatted,PromoNumber\n888-390-6665,8883906665\n"
    )
    problems = [m for e in iter_examples(broken) for m in example_errors(broken, e)]
    assert any("'TrackingUrl' is a required property" in m for m in problems)


def test_example_check_fails_when_text_error_lacks_its_class(spec: dict[str, Any]) -> None:
    broken = copy.deepcopy(spec)
    text = broken["components"]["responses"]["LegacyForbidden"]["content"]["text/plain"]
    text["example"] = "API Key is not valid"
    problems = [m for e in iter_examples(broken) for m in example_errors(broken, e)]
    assert any("LegacyForbidden text/plain" in m for m in problems)


# --------------------------------------------------------------------------- examples and versions
def _overlaps(outer: Mapping[str, str], inner: Mapping[str, str]) -> bool:
    """Whether the ``x-versions`` range ``inner`` covers all of ``outer``."""
    low_ok = "from" not in inner or ("from" in outer and outer["from"] >= inner["from"])
    high_ok = "until" not in inner or ("until" in outer and outer["until"] <= inner["until"])
    return low_ok and high_ok


def version_errors(
    spec: Mapping[str, Any], schema: Any, value: Any, window: Mapping[str, str], where: str
) -> list[str]:
    """Properties ``value`` uses that do not exist in every version of ``window``."""
    schema = resolve(spec, schema)
    errors: list[str] = []
    if isinstance(value, Mapping) and isinstance(schema, Mapping):
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key not in properties:
                continue
            prop = properties[key]
            versions = prop.get("x-versions") or resolve(spec, prop).get("x-versions")
            if versions and not _overlaps(window, versions):
                errors.append(
                    f"{where}/{key}: exists only in {dict(versions)}, example claims "
                    f"{dict(window) or 'every version'}"
                )
            errors += version_errors(spec, prop, item, window, f"{where}/{key}")
    elif isinstance(value, list) and isinstance(schema, Mapping) and "items" in schema:
        for index, item in enumerate(value):
            errors += version_errors(spec, schema["items"], item, window, f"{where}/{index}")
    return errors


def examples_version_problems(spec: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            op_window = op.get("x-versions") or {}
            media_list = []
            body = op.get("requestBody")
            if body:
                media_list.append(body["content"].get("application/json"))
            for response in op["responses"].values():
                media_list.append(
                    resolve(spec, response).get("content", {}).get("application/json")
                )
            for media in filter(None, media_list):
                for name, raw in media.get("examples", {}).items():
                    example = resolve(spec, raw)
                    window = {**op_window, **example.get("x-versions", {})}
                    problems += version_errors(
                        spec,
                        media["schema"],
                        example["value"],
                        window,
                        f"{method.upper()} {path} {name}",
                    )
    return problems


def test_examples_use_only_their_versions_fields_when_versions_differ(
    spec: dict[str, Any],
) -> None:
    assert examples_version_problems(spec) == []


def test_version_check_fails_when_example_mixes_old_and_new_fields(spec: dict[str, Any]) -> None:
    broken = copy.deepcopy(spec)
    broken["components"]["examples"]["RingPoolWrite"]["value"]["pool_type"] = "Custom"
    problems = examples_version_problems(broken)
    assert any("pool_type: exists only in {'until': '2018-11-01'}" in p for p in problems)
