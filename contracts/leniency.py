"""What the contract's Leniency section lets a lenient target accept.

The contract (``info.description``, Leniency) says a lenient server drops request-body keys that
a schema with ``additionalProperties: false`` does not know, and serves a query value above the
``maximum`` of a schema marked ``x-lenient: clamp`` at that maximum. A negative case whose only
violations are of these kinds is therefore no failure of schemathesis'
``negative_data_rejection`` check when a lenient target answers it 2xx
(:func:`without_lenient_acceptances`).

Choices: a target is lenient unless its ``/_sandbox/health`` says ``"strict": true`` (Invoca's
own platform is taken to be lenient, as the contract reads it). Only cases negated in the body
and/or the query qualify; a case negated anywhere else must still be refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jsonschema
from schemathesis import Case
from schemathesis.core.parameters import ParameterLocation

from contracts.deserializers import resolve
from contracts.target import Target

#: the negated locations the Leniency section covers, and the others
LENIENT_LOCATIONS = (ParameterLocation.BODY, ParameterLocation.QUERY)
OTHER_LOCATIONS = (ParameterLocation.PATH, ParameterLocation.HEADER, ParameterLocation.COOKIE)
#: the schemathesis check a lenient acceptance would fail
REJECTION_CHECK = "negative_data_rejection"


def target_is_lenient(target: Target) -> bool:
    """Whether ``target`` reads the contract leniently (not ``strict`` in its health)."""
    if not target.has("sandbox"):
        return True
    health = target.request("GET", "/_sandbox/health")
    body = health.json() if health.status_code == 200 else {}
    return not (isinstance(body, dict) and body.get("strict"))


def permissive(node: Any) -> Any:
    """``node`` with every ``additionalProperties: false`` removed (unknown keys allowed)."""
    if isinstance(node, Mapping):
        return {key: permissive(value) for key, value in node.items()
                if not (key == "additionalProperties" and value is False)}
    if isinstance(node, list):
        return [permissive(item) for item in node]
    return node


def _clamped(value: Any, schema: Mapping[str, Any]) -> Any:
    """``value`` as a lenient server reads it: a digit string of an integer schema as the
    integer, above a clamped ``maximum`` as the maximum."""
    if isinstance(value, str) and value.strip().isdigit() and schema.get("type") == "integer":
        value = int(value)
    top = schema.get("maximum")
    if (schema.get("x-lenient") == "clamp" and isinstance(top, int | float)
            and isinstance(value, int | float) and not isinstance(value, bool) and value > top):
        return top
    return value


class LenientReading:
    """The contract read the way a lenient target reads requests."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.components = permissive(document.get("components") or {})

    def is_valid(self, schema: Any, value: Any) -> bool:
        validator = jsonschema.Draft202012Validator(
            {**permissive(schema), "components": self.components})
        return bool(validator.is_valid(value))

    def body_accepted(self, operation: Mapping[str, Any], media_type: str | None,
                      body: Any) -> bool:
        """Whether ``body`` is valid once unknown keys are allowed (they would be dropped)."""
        request_body = resolve(self.document, operation.get("requestBody")) or {}
        content = request_body.get("content") or {}
        media = content.get(media_type or "") or next(iter(content.values()), None)
        if not isinstance(media, Mapping) or "schema" not in media:
            return False
        return self.is_valid(media["schema"], body)

    def query_accepted(self, parameters: list[Any], query: Mapping[str, Any]) -> bool:
        """Whether every declared query value is valid once clamped values are clamped."""
        for raw in parameters:
            parameter = resolve(self.document, raw)
            if not isinstance(parameter, Mapping) or parameter.get("in") != "query":
                continue
            name = str(parameter.get("name"))
            schema = resolve(self.document, parameter.get("schema") or {})
            if name not in query:
                if parameter.get("required"):
                    return False
                continue
            if not isinstance(schema, Mapping):
                continue
            value = _clamped(query[name], schema)
            if isinstance(value, str) and schema.get("type") in {"integer", "number", "boolean"}:
                return False  # a string the server reads some other way: not judged here
            if not self.is_valid(schema, value):
                return False
        return True


def accepted_leniently(case: Case) -> bool:
    """Whether negative ``case`` breaks the contract only where a lenient target accepts."""
    meta = case.meta
    if meta is None or any(meta.is_negative_at(where) for where in OTHER_LOCATIONS):
        return False
    negated = [where for where in LENIENT_LOCATIONS if meta.is_negative_at(where)]
    if not negated:
        return False
    document = case.operation.schema.raw_schema
    operation = case.operation.definition.raw
    reading = LenientReading(document)
    if ParameterLocation.BODY in negated and not reading.body_accepted(
            operation, case.media_type, case.body):
        return False
    if ParameterLocation.QUERY in negated:
        path_item = document.get("paths", {}).get(case.operation.path, {})
        parameters = [*path_item.get("parameters", []), *operation.get("parameters", [])]
        if not reading.query_accepted(parameters, dict(case.query or {})):
            return False
    return True


def without_lenient_acceptances(failures: list[Any], case: Case, target: Target,
                                name_of: Callable[[Any], str]) -> list[Any]:
    """``failures`` without the ``negative_data_rejection`` ones the contract's leniency
    explains; ``name_of`` names a failure's check."""
    if not any(name_of(failure) == REJECTION_CHECK for failure in failures):
        return failures
    if not accepted_leniently(case) or not target_is_lenient(target):
        return failures
    return [failure for failure in failures if name_of(failure) != REJECTION_CHECK]
