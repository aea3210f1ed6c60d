"""``x-versions`` markers: which properties a version has, in requests and responses."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.idempotency import in_version, out_of_version

DOCUMENT: dict[str, Any] = {"components": {"schemas": {
    "User": {"type": "object", "properties": {
        "name": {"type": "string"},
        "email_settings": {"type": "array", "x-versions": {"from": "2017-04-01"}},
        "email_address": {"type": "string", "x-versions": {"until": "2017-02-01"}},
    }},
    "Network": {"type": "object", "properties": {
        "users": {"type": "array", "items": {"$ref": "#/components/schemas/User"}}}},
}}}


@pytest.mark.parametrize(("marker", "version", "expected"), [
    ({"from": "2017-04-01"}, "2017-04-01", True),
    ({"from": "2017-04-01"}, "2017-02-01", False),
    ({"until": "2018-11-01"}, "2018-11-01", True),
    ({"until": "2018-11-01"}, "2019-05-01", False),
    (None, "2014-01-01", True),
])
def test_version_is_inside_when_between_inclusive_ends(marker: Any, version: str,
                                                       expected: bool) -> None:
    assert in_version(marker, version) is expected


def test_nested_property_is_reported_when_its_version_range_excludes_the_request() -> None:
    value = {"users": [{"name": "a", "email_settings": []}, {"name": "b"}]}
    schema = {"$ref": "#/components/schemas/Network"}
    assert out_of_version(DOCUMENT, schema, value, "2016-10-01") == ["$.users[0].email_settings"]
    assert out_of_version(DOCUMENT, schema, value, "2017-04-01") == []


def test_removed_property_is_reported_when_answered_in_a_later_version() -> None:
    value = {"users": [{"name": "a", "email_address": "a@example.com"}]}
    schema = {"$ref": "#/components/schemas/Network"}
    assert out_of_version(DOCUMENT, schema, value, "2019-05-01") == ["$.users[0].email_address"]
