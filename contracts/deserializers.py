"""XML, CSV and plain-text response bodies, decoded so schemathesis validates them too.

Schemathesis decodes only JSON and YAML by itself and *silently skips* the schema check of any
other media type. Importing this module registers deserializers for ``application/xml``,
``text/csv`` and ``text/plain``:

* XML is decoded guided by the response schema's OpenAPI ``xml`` objects: the root element
  must carry the schema's ``xml.name`` (a renamed root is a deserialization failure, which
  schemathesis reports under ``response_schema_conformance``); an object becomes a dict keyed
  by property name (child element named by the property's ``xml.name`` or its own name); a
  wrapped array becomes a list of its children. Every leaf stays text, except that a leaf whose
  schema is only ``integer``/``number``/``boolean`` is converted when its text spells one.
* CSV and plain text decode to the text itself: the contract types them as strings (with a
  header ``pattern`` where there is a fixed header). Rows are checked against
  ``x-csv-columns``/``x-csv-row-schema`` by :func:`contracts.checks.csv_body_conformance`,
  which uses :func:`csv_rows` below.

Choice: an element with ``nil="true"`` decodes to ``None``.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

import schemathesis
from schemathesis import DeserializationContext, Response

XML_TYPES = ("application/xml", "text/xml")
CSV_TYPE = "text/csv"
TEXT_TYPE = "text/plain"


# ------------------------------------------------------------------------- the contract


def resolve(document: Mapping[str, Any], node: Any) -> Any:
    """``node`` with its local ``$ref`` chain followed (``#/components/...`` only)."""
    seen = 0
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        if not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, got {ref!r}")
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
        if seen > 50:
            raise ValueError(f"reference cycle at {ref!r}")
    return node


def response_schema(document: Mapping[str, Any], operation_definition: Mapping[str, Any],
                    status_code: int, media_type: str) -> Any:
    """The documented schema of ``status_code``/``media_type`` (``None`` when undocumented)."""
    responses = resolve(document, operation_definition.get("responses") or {})
    definition = responses.get(str(status_code))
    if definition is None:
        definition = responses.get(f"{str(status_code)[0]}XX", responses.get("default"))
    definition = resolve(document, definition)
    if not isinstance(definition, Mapping):
        return None
    content = definition.get("content") or {}
    wanted = media_type.split(";", maxsplit=1)[0].strip().lower()
    for name, item in content.items():
        if name.split(";")[0].strip().lower() == wanted:
            return resolve(document, resolve(document, item).get("schema"))
    return None


def _context_schema(ctx: DeserializationContext, response: Response) -> tuple[Any, Any]:
    operation = ctx.operation
    document = operation.schema.raw_schema
    media_type = response.headers.get("content-type", [""])[0]
    schema = response_schema(document, operation.definition.raw, response.status_code, media_type)
    return document, schema


# ------------------------------------------------------------------------- XML


def _xml_name(schema: Any, default: str) -> str:
    if isinstance(schema, Mapping) and isinstance(schema.get("xml"), Mapping):
        return str(schema["xml"].get("name", default))
    return default


def _types(schema: Any) -> set[str]:
    if not isinstance(schema, Mapping):
        return set()
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {str(item) for item in kind}
    return set()


def _leaf(text: str, schema: Any) -> Any:
    kinds = _types(schema) - {"null"}
    if kinds == {"integer"} and text.strip().lstrip("-").isdigit():
        return int(text)
    if kinds == {"number"}:
        try:
            return float(text)
        except ValueError:
            return text
    if kinds == {"boolean"} and text.strip() in {"true", "false"}:
        return text.strip() == "true"
    return text


def element_value(document: Mapping[str, Any], element: ET.Element, schema: Any) -> Any:
    """The value of ``element`` under ``schema`` (``None`` for no schema: generic decoding)."""
    schema = resolve(document, schema)
    if element.attrib.get("nil") == "true":
        return None
    kinds = _types(schema)
    if "array" in kinds:
        items = resolve(document, schema.get("items", {}))
        item_name = _xml_name(schema.get("items", {}), _xml_name(items, ""))
        values = []
        for child in element:
            if item_name and child.tag != item_name:
                raise ValueError(f"<{element.tag}> holds <{child.tag}> where the contract "
                                 f"says <{item_name}>")
            values.append(element_value(document, child, items))
        return values
    children = list(element)
    if "object" in kinds or (isinstance(schema, Mapping) and "properties" in schema) or (
        not kinds and children
    ):
        properties: Mapping[str, Any] = (schema or {}).get("properties", {}) if isinstance(
            schema, Mapping) else {}
        by_element = {_xml_name(resolve(document, sub), name): (name, sub)
                      for name, sub in properties.items()}
        value: dict[str, Any] = {}
        for name, sub in properties.items():
            sub_resolved = resolve(document, sub)
            xml_info = sub_resolved.get("xml", {}) if isinstance(sub_resolved, Mapping) else {}
            if isinstance(xml_info, Mapping) and xml_info.get("attribute"):
                attribute = str(xml_info.get("name", name))
                if attribute in element.attrib:
                    value[name] = _leaf(element.attrib[attribute], sub_resolved)
        for child in children:
            name, sub = by_element.get(child.tag, (child.tag, None))
            decoded = element_value(document, child, sub)
            if name in value:
                previous = value[name]
                value[name] = [*previous, decoded] if isinstance(previous, list) else [
                    previous, decoded]
            else:
                value[name] = decoded
        return value
    return _leaf(element.text or "", schema)


def decode_xml(document: Mapping[str, Any], content: bytes, schema: Any) -> Any:
    """An XML body as a Python value shaped like ``schema``; ``ValueError`` when it cannot be.

    A blank body (Conversion Reporting answers success with one space) decodes to its text,
    for the schema's string branch to judge.
    """
    if not content.strip():
        return content.decode("utf-8", errors="replace")
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    schema = resolve(document, schema)
    expected = _xml_name(schema, "")
    if expected and root.tag != expected:
        raise ValueError(f"root element is <{root.tag}>, the contract says <{expected}>")
    return element_value(document, root, schema)


@schemathesis.deserializer(*XML_TYPES)
def deserialize_xml(ctx: DeserializationContext, response: Response) -> Any:
    document, schema = _context_schema(ctx, response)
    return decode_xml(document, response.content, schema)


# ------------------------------------------------------------------------- CSV and text


def _text(response: Response) -> str:
    return response.content.decode(response.encoding or "utf-8")


@schemathesis.deserializer(CSV_TYPE)
def deserialize_csv(ctx: DeserializationContext, response: Response) -> str:
    return _text(response)


@schemathesis.deserializer(TEXT_TYPE)
def deserialize_text(ctx: DeserializationContext, response: Response) -> str:
    return _text(response)


def csv_rows(text: str, separator: str = ",") -> list[list[str]]:
    """The rows of a CSV body (``csv`` dialect: quotes, CRLF or LF line ends)."""
    if len(separator) != 1:
        raise ValueError(f"a column separator is one character, got {separator!r}")
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=separator) if row]
