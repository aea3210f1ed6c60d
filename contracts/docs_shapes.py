"""The shape of a documented response, compared with an answer (suite 5, documented examples).

A documented body is an example, not a schema: the walk asks only that the answer has its shape.
JSON: every key of a documented object is present with a compatible JSON type, recursively;
arrays are compared by their first elements. XML: the documented element names, from the root
down. CSV: the documented header columns. Documented irregularities (objects whose keys are the
account's data) are in :data:`ACCOUNT_MAPS`, each with its reason.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

#: documented irregularities of the shapes (objects whose keys are the account's own data, not
#: the API's): key -> reason
ACCOUNT_MAPS = {
    "custom_data": "Custom Data Fields are the account's own configuration (the pages: 'the "
                   "Custom Data Field \"channel\"'): their names are data, not the API's shape",
}


def json_type(value: Any) -> str:
    """The JSON type of a decoded value (``number`` for both int and float)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_problems(documented: Any, actual: Any, where: str = "$") -> list[str]:
    """How ``actual`` departs from the shape of ``documented`` (empty when it has it).

    Every key of a documented object must be present, with a compatible type, recursively;
    arrays are compared by their first elements (an empty array on either side is compatible).
    A documented ``null`` says nothing about the type; an actual ``null`` is an absent value of
    a present key, compatible with any documented type.
    """
    documented_type, actual_type = json_type(documented), json_type(actual)
    if documented_type == "null" or actual_type == "null":
        return []
    if documented_type != actual_type:
        return [f"{where}: documented {documented_type}, answered {actual_type}"]
    if documented_type == "object" and where.rsplit(".", 1)[-1] in ACCOUNT_MAPS:
        return []
    if documented_type == "object":
        found = []
        for key, value in documented.items():
            if key not in actual:
                found.append(f"{where}.{key}: missing")
            else:
                found += shape_problems(value, actual[key], f"{where}.{key}")
        return found
    if documented_type == "array" and documented and actual:
        return shape_problems(documented[0], actual[0], f"{where}[0]")
    return []


def xml_shape_problems(documented: str, actual: str) -> list[str]:
    """Documented XML element names missing from the answer (the root, then children)."""
    try:
        answered = ET.fromstring(actual.strip().encode())
    except ET.ParseError as exc:
        return [f"the answer is not XML: {exc}"]
    expected = ET.fromstring(documented.strip().encode())
    if expected.tag != answered.tag:
        return [f"root element: documented <{expected.tag}>, answered <{answered.tag}>"]
    return _element_problems(expected, answered, expected.tag)


def _element_problems(expected: ET.Element, answered: ET.Element, where: str) -> list[str]:
    found = []
    for child in expected:
        match = answered.find(child.tag)
        if match is None:
            found.append(f"{where}/{child.tag}: missing")
        else:
            found += _element_problems(child, match, f"{where}/{child.tag}")
    return found


def csv_shape_problems(documented: str, actual: str) -> list[str]:
    """Documented CSV header columns missing from the answer's header."""
    expected = next(csv.reader(io.StringIO(documented.strip())), [])
    answered = next(csv.reader(io.StringIO(actual.strip())), [])
    return [f"column {name}: missing" for name in expected if name not in answered]


def body_problems(documented: Mapping[str, Any] | None, text: str) -> list[str]:
    """How the answer's body ``text`` departs from the documented response (format and shape)."""
    if not documented:
        return []
    fmt = documented.get("format")
    if fmt == "json" and "body" in documented:
        try:
            answered = json.loads(text)
        except ValueError:
            return [f"documented a JSON body, answered {text[:80]!r}"]
        return shape_problems(documented["body"], answered)
    if fmt == "xml":
        return xml_shape_problems(str(documented["text"]), text)
    if fmt == "csv":
        return csv_shape_problems(str(documented["text"]), text)
    return []


def status_problems(example: Mapping[str, Any], status: int) -> list[str]:
    """The status check: the documented one, or any success (200, 201) when none is stated."""
    if example.get("status_documented"):
        expected = int(example["status"])
        return [] if status == expected else [f"documented status {expected}, answered {status}"]
    return [] if status in (200, 201) else [
        f"the page states no status (success is 200 or 201), answered {status}"]
