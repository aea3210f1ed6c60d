"""Field rules read from the contract: each writable field's kind, enum, minimum and default.

Rules of this module:

* A Network Integration write schema of ``openapi/invoca.yaml`` is the one list of a resource's
  fields (:func:`fields_of`): every property but the ``readOnly`` ones (unless marked
  ``x-world-field``), the ``oauth_token`` credential and the names a caller leaves out (keys,
  instructions such as a promo number's move fields), in the contract's order.
* A GET shows an object's fields in the order of its response schema (:func:`in_order`) and
  only those its version has (``x-versions``: :func:`hidden_in`).
* A field's kind is the type of the property's first alternative (``anyOf`` lists the stored
  type first, then the spellings accepted for it: ``"3"`` for an integer, ``"true"`` for a
  boolean); its choices are that alternative's ``enum``, its bounds its ``minimum`` and
  ``maximum`` (also for the integer written as text, which the HTTP edge's schema cannot
  bound), its default the property's ``default``. ``x-required-by-model`` lists the fields
  refused blank.
* Values are coerced the docs' lenient way (numeric strings for integers, ``"true"``/``"1"``
  for booleans, numbers for text) and refused in the docs' vocabulary: ``"is not included in
  the list"``, ``"is not a number"``, ``"is invalid"``, ``"can't be blank"``.
* The contract is read once per process (:func:`openapi.contract.load_spec`); a schema's
  fields once (cached). No I/O beyond that read.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from openapi.contract import load_spec, resolve, version_in_range
from simulator.errors import RecordInvalid

__all__ = [
    "FieldSpec",
    "blank",
    "coerce",
    "copied",
    "field_of",
    "fields_of",
    "hidden_in",
    "in_order",
    "key_field",
    "raise_if",
    "read_only",
    "refs_to",
    "required_by_version",
    "schema",
    "validate_fields",
    "versioned",
]

KINDS = frozenset({"string", "integer", "boolean", "object", "array"})
#: never a stored field: the API token some bodies carry
CREDENTIAL = "oauth_token"
_TRUE = frozenset({"true", "1", "yes", "t"})
_FALSE = frozenset({"false", "0", "no", "f"})
#: an integer written as text: ASCII digits only (``int`` would also read ``"١٢"``)
_INTEGER = re.compile(r"^\s*[+-]?[0-9]+\s*$")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One writable field of a resource: its JSON kind, whether required, enum and default."""

    name: str
    kind: str = "string"  # string | integer | boolean | object | array
    required: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None
    minimum: int | None = None
    maximum: int | None = None

    def initial(self) -> Any:
        """A fresh copy of the default (lists and dicts are never shared)."""
        if isinstance(self.default, list | dict):
            return type(self.default)(self.default)
        return self.default


def schema(name: str) -> Mapping[str, Any]:
    """A schema of the contract's ``components/schemas``."""
    found: Mapping[str, Any] = load_spec()["components"]["schemas"][name]
    return found


def _stored(node: Any) -> Mapping[str, Any]:
    """The alternative a property stores: the first one of an ``anyOf``, ``$ref`` followed."""
    spec = load_spec()
    node = resolve(spec, node)
    while isinstance(node, Mapping) and "anyOf" in node:
        node = resolve(spec, node["anyOf"][0])
    return node if isinstance(node, Mapping) else {}


def _field(name: str, prop: Mapping[str, Any], required: bool) -> FieldSpec:
    stored = _stored(prop)
    kind = stored.get("type", "string")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind not in KINDS:
        raise ValueError(f"field {name}: the contract's type {kind!r} has no model kind")
    choices = tuple(str(v) for v in stored.get("enum") or () if v is not None)
    default = prop.get("default", resolve(load_spec(), prop).get("default"))
    integer = kind == "integer"
    return FieldSpec(name, kind, required, choices if kind == "string" else (), default,
                     stored.get("minimum") if integer else None,
                     stored.get("maximum") if integer else None)


@functools.cache
def fields_of(schema_name: str, without: tuple[str, ...] = ()) -> tuple[FieldSpec, ...]:
    """The fields a resource stores from a write schema (see the module rules), in order."""
    node = schema(schema_name)
    required = set(node.get("x-required-by-model") or ())
    found = []
    for name, prop in (node.get("properties") or {}).items():
        target = resolve(load_spec(), prop)
        read_only = prop.get("readOnly") or target.get("readOnly")
        if name in without or name == CREDENTIAL or (read_only and not prop.get("x-world-field")):
            continue
        found.append(_field(name, prop, name in required))
    return tuple(found)


def field_of(schema_name: str, name: str) -> FieldSpec:
    """One property of a schema as a field (a key checked on its own, such as an id)."""
    return _field(name, schema(schema_name)["properties"][name], False)


def refs_to(schema_name: str, target: str) -> tuple[str, ...]:
    """The properties of a schema whose value is the schema ``target`` (by ``$ref``)."""
    ref = f"#/components/schemas/{target}"
    return tuple(name for name, prop in (schema(schema_name).get("properties") or {}).items()
                 if prop.get("$ref") == ref)


def read_only(schema_name: str) -> tuple[str, ...]:
    """The ``readOnly`` properties of a schema (what a GET adds and a write ignores)."""
    return tuple(name for name, prop in (schema(schema_name).get("properties") or {}).items()
                 if prop.get("readOnly"))


@functools.cache
def key_field() -> FieldSpec:
    """An ``id_from_network`` as every write schema types it (``IdFromNetworkWrite``)."""
    return _field("id_from_network", {"$ref": "#/components/schemas/IdFromNetworkWrite"}, True)


def versioned(schema_name: str, name: str) -> Mapping[str, str]:
    """The ``x-versions`` range of one property of a schema (``{}``: every version)."""
    found: Mapping[str, str] = schema(schema_name)["properties"][name].get("x-versions") or {}
    return found


@functools.cache
def _order(schema_name: str) -> dict[str, int]:
    return {name: place for place, name in enumerate(schema(schema_name).get("properties") or ())}


#: (schema, a body's keys) -> those keys in the schema's order (bodies come in few shapes)
_ORDERS: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}


def in_order(body: Mapping[str, Any], schema_name: str) -> dict[str, Any]:
    """``body`` with the fields a (response) schema lists first, in its order; others after."""
    keys = tuple(body)
    order = _ORDERS.get((schema_name, keys))
    if order is None:
        places = _order(schema_name)
        unlisted = len(places)
        order = tuple(sorted(keys, key=lambda name: places.get(name, unlisted)))  # stable
        if len(_ORDERS) > 4096:
            _ORDERS.clear()
        _ORDERS[schema_name, keys] = order
    if order == keys:
        return dict(body)
    return {name: body[name] for name in order}


@functools.cache
def hidden_in(schema_name: str, version: str | None) -> frozenset[str]:
    """The properties of a (response) schema that ``version`` does not show (``x-versions``);
    no version stands for the earliest one."""
    return frozenset(
        name for name, prop in (schema(schema_name).get("properties") or {}).items()
        if not version_in_range(version or "", prop.get("x-versions"))
    )


@functools.cache
def required_by_version(schema_name: str, version: str | None) -> tuple[str, ...]:
    """The properties ``x-required-by-version`` requires in ``version`` (no version: the
    earliest)."""
    names: list[str] = []
    for rule in schema(schema_name).get("x-required-by-version") or ():
        if version_in_range(version or "", rule):
            names.extend(rule.get("required") or ())
    return tuple(names)


def coerce(spec: FieldSpec, value: Any) -> tuple[Any, str | None]:
    """``value`` in the field's kind, or an error message in the docs' vocabulary."""
    if value is None:
        return None, None
    if spec.kind == "string":
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            return None, "is invalid"
        text = value if isinstance(value, str) else str(value)
        if spec.choices and text not in spec.choices:
            return None, "is not included in the list"
        return text, None
    if spec.kind == "integer":
        number: int
        if isinstance(value, bool):
            return None, "is not a number"
        if isinstance(value, int):
            number = value
        elif (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and _INTEGER.match(value)
        ):
            try:
                number = int(value)
            except ValueError:  # more digits than Python reads: beyond any bound
                return None, _too_large(spec)
        else:
            return None, "is not a number"
        if spec.minimum is not None and number < spec.minimum:
            return None, f"must be greater than or equal to {spec.minimum}"
        if spec.maximum is not None and number > spec.maximum:
            return None, _too_large(spec)
        return number, None
    if spec.kind == "boolean":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, int) and value in (0, 1):
            return bool(value), None
        if isinstance(value, str) and value.strip().lower() in _TRUE:
            return True, None
        if isinstance(value, str) and value.strip().lower() in _FALSE:
            return False, None
        return None, "is not included in the list"
    if spec.kind == "object":
        return (dict(value), None) if isinstance(value, Mapping) else (None, "is invalid")
    return (list(value), None) if isinstance(value, list | tuple) else (None, "is invalid")


def _too_large(spec: FieldSpec) -> str:
    if spec.maximum is None:
        return "is not a number"
    return f"must be less than or equal to {spec.maximum}"


def copied(value: Any) -> Any:
    """A deep copy of JSON-like data (dicts and lists): stored values never alias an answer."""
    if isinstance(value, dict):
        return {k: copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copied(v) for v in value]
    return value


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_fields(
    specs: Sequence[FieldSpec],
    body: Mapping[str, Any],
    existing: Mapping[str, Any] | None = None,
    *,
    errors: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    """The merged field values of ``body`` over ``existing`` (or the defaults).

    Collects every problem and raises one :class:`RecordInvalid` with Rails-style field
    errors, unless ``errors`` is given (then problems are added there for the caller to raise
    together with its own checks).
    """
    problems: dict[str, list[str]] = {} if errors is None else errors
    values: dict[str, Any] = {}
    for spec in specs:
        if spec.name in body:
            value, problem = coerce(spec, body[spec.name])
            if problem is not None:
                problems.setdefault(spec.name, []).append(problem)
                continue
            if value is None and not spec.required:
                value = spec.initial()
        elif existing is not None and spec.name in existing:
            value = existing[spec.name]
        else:
            value = spec.initial()
        if spec.required and blank(value):
            problems.setdefault(spec.name, []).append("can't be blank")
        values[spec.name] = value
    if problems and errors is None:
        raise RecordInvalid("Validation failed", field_errors=problems)
    return values


def raise_if(problems: Mapping[str, list[Any]]) -> None:
    """Raise the collected field errors, if any (one :class:`RecordInvalid`)."""
    if problems:
        raise RecordInvalid("Validation failed", field_errors=problems)
