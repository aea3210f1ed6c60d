"""Request validation against the contract, compiled once per operation at start-up.

Rules:
1. Nothing walks the spec per request. :class:`RequestValidator` turns an operation's
   parameters and request body into JSON Schemas (path parameters, query parameters, body),
   each compiled once with ``jsonschema_rs`` (with only the ``components`` they reference),
   and one coercer per parameter.
2. Query, path and form values arrive as strings: each is coerced to its schema's type before
   validating (``"15"`` -> ``15`` for an integer, ``"true"`` -> ``True`` for a boolean). A
   parameter whose schema also accepts strings stays a string.
3. Versions resolve once, in the path step (:class:`VersionFamily`, the contract's
   ``x-version-resolution``): a real calendar date that is not published stands for the
   latest published date of its family on or before it (the family's first published date
   from its ``earliest`` date on); the route's own enum and ``x-versions`` then apply to the
   resolved date, and everything downstream (``Call.version``, field filters, body checks)
   sees it. Strict versions (:class:`Strictness`) accept the published dates only.
4. Leniency (off under strict inputs): a query parameter whose schema says
   ``x-lenient: clamp`` is served at its ``maximum`` when above it; a body key a schema with
   ``additionalProperties: false`` does not know is dropped (at any depth) before the model
   sees it. In both modes a body property marked ``readOnly: true`` is accepted and dropped
   (the design principles' GET-then-PUT "self-correction" idiom sends whole objects back).
5. Errors are the model's errors, rendered by :mod:`mock_server.rendering` in the shape of the
   API family (the contract: "a request that does not match this document gets 403
   ``InvalidInput``"):

   * a path parameter outside its schema (a version date that is not published or does not
     resolve, a format that is not ``xml|json|csv``), or a version outside the operation's
     ``x-versions`` range -> 404 (``RecordNotFound``; ``NotFound`` for the legacy RingPool and
     Conversion Reporting APIs); the Signal API answers a wrong version with 400
     ``BadRequest`` as Invoca documents;
   * a bad query or form parameter -> 403 ``InvalidInput`` (class shape, ``invalid_data``
     names the parameter);
   * a bad JSON body of the Network Integration API -> 403 in the Rails field shape
     ``{"errors": {"pool_type": ["can't be blank"]}}`` (also for ``x-required-by-version``)
     where the operation's 403 response schema allows that shape, else the class shape;
     nested fields nest as the documents show (:func:`nested_field_errors`:
     ``{"users": [{}, {"email_settings": [{"email_address": ["is invalid"]}]}]}``);
     an unknown key inside ``local_center`` (when the schema refuses it) or a schema carrying
     ``x-invalid-data`` -> 403 ``RecordInvalid`` class shape ("Invalid Key in Local Center.");
     other families -> 403 ``InvalidInput`` class shape;
   * a body property or query parameter outside its ``x-versions`` range -> 403
     ``InvalidInput`` "<name> is not supported in API version <v>"; a nested property (inside
     an object or an array's items, e.g. ``users[].email_settings``) the same way, named by
     its path ("users[0].email_settings is not supported in API version 2016-10-01").
6. Nested ``x-versions`` markings are found generically (:func:`versioned_markings`): the
   same markings drop nested fields from responses (:func:`without_marked`, used by
   :class:`mock_server.binding.FieldFilter`).
"""

from __future__ import annotations

import bisect
import copy
import functools
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar, cast

import jsonschema_rs
import orjson
from werkzeug.datastructures import MultiDict

from simulator.errors import (
    InvalidInput,
    NotFound,
    RecordInvalid,
    RecordNotFound,
    SandboxError,
)

Coercer = Callable[[list[str]], Any]
VersionTest = Callable[[str], bool]


class WrongVersion(SandboxError):
    """Signal API: the path's version does not serve this route (400, as Invoca documents)."""

    error_class = "BadRequest"
    status_hint = 400


def route_missing(family: str, message: str) -> SandboxError:
    """The 'no such route' error of a family (404; 400 ``BadRequest`` for the Signal API)."""
    if family == "signal":
        return WrongVersion(message)
    if family in {"ringpool", "conversion"}:
        return NotFound(message)
    return RecordNotFound(message)


def version_predicate(marking: Any) -> Callable[[str], bool]:
    """A test ``version -> bool`` for a property's ``x-versions`` marking.

    Accepted markings (dates compare as ISO strings): a list of the versions that have the
    field; a mapping with ``from``/``since``/``min`` (inclusive) and ``until``/``to``/``max``
    (inclusive) or ``before`` (exclusive); a string ``">=2018-05-01"``, ``"<=2018-11-01"``,
    ``"<2019-05-01"`` or ``"2016-10-01..2018-11-01"``.
    """
    if isinstance(marking, list | tuple | set | frozenset):
        members = {str(v) for v in marking}
        return lambda version: version in members
    low: str | None = None
    high: str | None = None
    high_exclusive = False
    if isinstance(marking, Mapping):
        low = next((str(marking[k]) for k in ("from", "since", "min") if k in marking), None)
        high = next((str(marking[k]) for k in ("until", "to", "max") if k in marking), None)
        if high is None and "before" in marking:
            high, high_exclusive = str(marking["before"]), True
    elif isinstance(marking, str):
        text = marking.strip()
        if ".." in text:
            low_text, high_text = text.split("..", 1)
            low, high = low_text.strip() or None, high_text.strip() or None
        elif text.startswith(">="):
            low = text[2:].strip()
        elif text.startswith("<="):
            high = text[2:].strip()
        elif text.startswith("<"):
            high, high_exclusive = text[1:].strip(), True
        else:
            return lambda version: version == text

    def contains(version: str) -> bool:
        if low is not None and version < low:
            return False
        if high is not None:
            return version < high if high_exclusive else version <= high
        return True

    return contains


@dataclass(frozen=True)
class Strictness:
    """Which lenient readings of the contract are off (the app's ``STRICT`` switch).

    ``versions``: only published version dates are served (else a date between published ones
    resolves, :class:`VersionFamily`). ``inputs``: a query value past a clamped maximum
    (``x-lenient: clamp``, the Transactions ``limit``) and unknown body keys are refused (else
    clamped and dropped). ``STRICT`` turns both on, ``STRICT_VERSIONS`` only the first."""

    versions: bool = False
    inputs: bool = False


#: ``YYYY-MM-DD`` with ASCII digits (a calendar date is checked by :func:`is_calendar_date`)
DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def is_calendar_date(text: str) -> bool:
    """Whether ``text`` is a real calendar date written ``YYYY-MM-DD`` (not 2021-02-30)."""
    if not DATE_SHAPE.fullmatch(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class VersionFamily:
    """The published version dates of an API family (sorted) and the earliest date it accepts.

    From the contract's ``x-version-resolution`` on ``version`` path parameters: ``family``
    names the family, whose published dates are the union of the enums of every version
    parameter naming it; ``earliest`` (optional, on any of them) is the first date the family
    accepts, else its first published date."""

    name: str
    published: tuple[str, ...]
    earliest: str

    def resolve(self, requested: str) -> str | None:
        """The published version ``requested`` stands for: itself when published; for a real
        calendar date from ``earliest`` on, the latest published date on or before it (the
        first published date for one before it); None for anything else."""
        if requested in self.published:
            return requested
        if not self.published or not is_calendar_date(requested) or requested < self.earliest:
            return None
        at = bisect.bisect_right(self.published, requested)
        return self.published[max(at - 1, 0)]


def version_family(parameter: Mapping[str, Any], root: Mapping[str, Any]) -> VersionFamily | None:
    """The :class:`VersionFamily` of a ``version`` path parameter, or None when its
    ``x-version-resolution`` names no family (then only its enum is served)."""
    marking = parameter.get("x-version-resolution")
    if not isinstance(marking, Mapping) or not marking.get("family"):
        return None
    name = str(marking["family"])
    members = [parameter]
    for declared in ((root.get("components") or {}).get("parameters") or {}).values():
        other = resolve(declared, root)
        other_marking = other.get("x-version-resolution") if isinstance(other, Mapping) else None
        if isinstance(other_marking, Mapping) and other_marking.get("family") == name:
            members.append(other)
    dates: set[str] = set()
    earliest: set[str] = set()
    for member in members:
        schema = resolve(member.get("schema") or {}, root)
        if isinstance(schema, Mapping):
            dates.update(str(d) for d in schema.get("enum") or ())
        stated = (member.get("x-version-resolution") or {}).get("earliest")
        if stated:
            earliest.add(str(stated))
    published = tuple(sorted(dates))
    first = min(earliest) if earliest else (published[0] if published else "")
    return VersionFamily(name, published, first)


#: Rails' words for the JSON Schema keywords that fail most often.
RAILS_MESSAGES: dict[str, str] = {
    "Required": "can't be blank",
    "Type": "is invalid",
    "Enum": "is not included in the list",
    "Constant": "is not included in the list",
    "MaxLength": "is too long",
    "MinLength": "is too short",
    "Minimum": "is too small",
    "ExclusiveMinimum": "is too small",
    "Maximum": "is too large",
    "ExclusiveMaximum": "is too large",
    "Pattern": "is invalid",
    "Format": "is invalid",
    "AdditionalProperties": "is not a known attribute",
    "MaxItems": "has too many items",
    "MinItems": "has too few items",
}

LOCAL_CENTER_MESSAGE = "Invalid Key in Local Center."
CREDENTIAL_KEYS = ("oauth_token",)
TRUE_WORDS = frozenset({"true", "1", "yes", "t", "y"})
FALSE_WORDS = frozenset({"false", "0", "no", "f", "n"})


def resolve(node: Any, root: Mapping[str, Any]) -> Any:
    """Follow local ``$ref``s (``#/components/...``) until a non-reference node."""
    seen = 0
    while isinstance(node, Mapping) and "$ref" in node and seen < 32:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
        seen += 1
    return node


def schema_types(schema: Any, root: Mapping[str, Any]) -> set[str]:
    """Every JSON type a (possibly composed) schema accepts; empty means 'anything'."""
    schema = resolve(schema, root)
    if not isinstance(schema, Mapping):
        return set()
    found: set[str] = set()
    declared = schema.get("type")
    if isinstance(declared, str):
        found.add(declared)
    elif isinstance(declared, list):
        found.update(t for t in declared if isinstance(t, str))
    if "enum" in schema and not declared:
        found.update(_json_type(v) for v in schema["enum"])
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, ()) or ():
            found |= schema_types(sub, root)
    return found


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if value is None:
        return "null"
    return "string"


#: the text of a JSON integer and number, in ASCII digits only (Python's ``int`` and ``float``
#: also read ``"١٢"``, ``"1_000"``, ``" 7 "``, ``"nan"`` and ``"inf"``: none is a number here)
INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
NUMBER_TEXT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
#: digits beyond this are not read as a number (Python refuses to read more than 4300): the
#: schema then refuses the text as of the wrong type
NUMBER_DIGITS = 4000


#: the deepest nesting of arrays and objects a JSON body may have (the deepest documented
#: body, an IVR tree, nests a few dozen levels; the schema validator stops at about 250)
MAX_BODY_DEPTH = 64


def deeper_than(value: Any, limit: int = MAX_BODY_DEPTH) -> bool:
    """Whether ``value`` nests arrays and objects more than ``limit`` levels deep (walked
    without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(
            node, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children
                       if isinstance(child, dict | list))
    return False


def _scalar(value: str, types: set[str]) -> Any:
    if not types or "string" in types:
        return value
    if len(value) > NUMBER_DIGITS:
        return value
    if "integer" in types and INTEGER_TEXT.fullmatch(value):
        return int(value)
    if "number" in types and NUMBER_TEXT.fullmatch(value):
        return float(value)
    if "boolean" in types:
        word = value.strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
    return value


def coercer_for(schema: Any, root: Mapping[str, Any], *, explode: bool = True) -> Coercer:
    """A function from a parameter's raw string values to the value its schema wants."""
    types = schema_types(schema, root)
    if "array" in types and "string" not in types:
        resolved = resolve(schema, root)
        item_types = schema_types(resolved.get("items", {}), root) if isinstance(
            resolved, Mapping) else set()

        def coerce_array(values: list[str]) -> Any:
            parts = values if explode else [p for v in values for p in v.split(",")]
            return [_scalar(p, item_types) for p in parts]

        return coerce_array

    def coerce_scalar(values: list[str]) -> Any:
        return _scalar(values[-1], types)

    return coerce_scalar


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # path | query | header
    required: bool
    coerce: Coercer


def _operation_parameters(
    path_item: Mapping[str, Any], operation: Mapping[str, Any], root: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        param = resolve(raw, root)
        merged[(param["name"], param["in"])] = param
    return list(merged.values())


def _referenced(schema: Any, root: Mapping[str, Any]) -> dict[str, Any]:
    """The ``components`` subset that ``schema`` reaches through local ``$ref``s.

    Compiling each validator with only what it references keeps start-up fast (compiling
    the whole ``components`` object into every validator costs seconds).
    """
    components: dict[str, Any] = {}
    pending: list[Any] = [schema]
    seen: set[str] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/") and ref not in seen:
                seen.add(ref)
                parts = [p.replace("~1", "/").replace("~0", "~") for p in ref[2:].split("/")]
                target: Any = root
                for part in parts:
                    target = target[part]
                section = components.setdefault(parts[1], {})
                section[parts[2]] = target
                pending.append(target)
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return components


def compile_schema(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Any:
    document = dict(schema)
    components = _referenced(schema, root)
    if components:
        document["components"] = components
    return jsonschema_rs.Draft202012Validator(document)


def _walk(root: Mapping[str, Any], schema_path: list[Any]) -> list[Any]:
    nodes: list[Any] = []
    node: Any = root
    for part in schema_path:
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            break
        nodes.append(node)
    return nodes


#: the attribute set (True) on every error :class:`RequestValidator` raises: the request does
#: not match the contract. The frame answers such a refusal with its own status even where an
#: API would report errors with a success status (Conversion Reporting ``use_http_status=0``).
CONTRACT_REFUSAL = "refused_by_contract"

_Method = TypeVar("_Method", bound=Callable[..., Any])


def _refusal(method: _Method) -> _Method:
    """``method`` with every ``SandboxError`` it raises marked :data:`CONTRACT_REFUSAL`."""

    @functools.wraps(method)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except SandboxError as error:
            setattr(error, CONTRACT_REFUSAL, True)
            raise

    return cast(_Method, checked)


def is_refusal(error: BaseException) -> bool:
    """Whether ``error`` refused a request that does not match the contract."""
    return bool(getattr(error, CONTRACT_REFUSAL, False))


@dataclass(frozen=True)
class VersionMarking:
    """A property with an ``x-versions`` marking, found at ``path`` in a schema: the steps
    from the document's root to the object holding it (a property name, or ``[]`` for the
    items of an array)."""

    path: tuple[str, ...]
    name: str
    test: VersionTest


def _schema_positions(
    schema: Any, root: Mapping[str, Any]
) -> Iterator[tuple[tuple[str, ...], str | None, Any, Mapping[str, Any] | None]]:
    """Every position of ``schema``, depth first, each before the positions below it:
    ``(path, name, raw, node)`` with the path of data it describes (``[]`` for an array's
    items), the property name when it was reached as a property, the schema as written
    there (a ``$ref`` keeps its siblings) and the schema it resolves to (None when not an
    object, or a ``$ref`` already followed on this path: recursive schemas end). Below a
    node: its ``allOf``/``anyOf``/``oneOf`` parts (same path), its ``properties``, its
    ``items``."""

    def walk(
        raw: Any, path: tuple[str, ...], name: str | None, seen: frozenset[str]
    ) -> Iterator[tuple[tuple[str, ...], str | None, Any, Mapping[str, Any] | None]]:
        node = raw
        if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                yield path, name, raw, None
                return
            seen = seen | {ref}
            node = resolve(node, root)
        if not isinstance(node, Mapping):
            yield path, name, raw, None
            return
        yield path, name, raw, node
        for key in ("allOf", "anyOf", "oneOf"):
            for part in node.get(key) or ():
                yield from walk(part, path, None, seen)
        for child, prop in (node.get("properties") or {}).items():
            yield from walk(prop, (*path, child), child, seen)
        if "items" in node:
            yield from walk(node["items"], (*path, "[]"), None, seen)

    return walk(schema, (), None, frozenset())


def versioned_markings(schema: Any, root: Mapping[str, Any]) -> list[VersionMarking]:
    """Every property with ``x-versions`` anywhere in ``schema`` (through ``$ref``, ``allOf``,
    ``anyOf``, ``oneOf``, ``properties`` and ``items``; a ``$ref`` is followed once per path,
    so recursive schemas end)."""
    found: dict[tuple[tuple[str, ...], str], VersionMarking] = {}
    for path, name, raw, _ in _schema_positions(schema, root):
        if name is not None and isinstance(raw, Mapping) and "x-versions" in raw:
            parent = path[:-1]
            if (parent, name) not in found:
                found[(parent, name)] = VersionMarking(parent, name,
                                                       version_predicate(raw["x-versions"]))
    return list(found.values())


def required_markings(
    schema: Any, root: Mapping[str, Any]
) -> list[tuple[tuple[str, ...], VersionTest, tuple[str, ...]]]:
    """(path, version test, names) for each ``x-required-by-version`` rule below the top of
    ``schema`` (e.g. ``users[]``: ``email_settings`` from 2017-04-01)."""
    found: dict[tuple[tuple[str, ...], int], tuple[tuple[str, ...], VersionTest,
                                                   tuple[str, ...]]] = {}
    for path, _, _, node in _schema_positions(schema, root):
        if not path or node is None:
            continue
        for n, rule in enumerate(node.get("x-required-by-version") or ()):
            if isinstance(rule, Mapping) and (path, n) not in found:
                found[(path, n)] = (path, version_predicate(rule),
                                    tuple(rule.get("required", ())))
    return list(found.values())


#: the steps from a body's root to a value: property names and array indexes
Steps = tuple[str | int, ...]


def _holders(data: Any, path: tuple[str, ...], steps: Steps = ()) -> list[tuple[Steps,
                                                                            Mapping[str, Any]]]:
    """(steps, object) for each object of ``data`` at ``path``."""
    if not path:
        return [(steps, data)] if isinstance(data, Mapping) else []
    step, rest = path[0], path[1:]
    if step == "[]":
        if not isinstance(data, list):
            return []
        return [holder for index, item in enumerate(data)
                for holder in _holders(item, rest, (*steps, index))]
    if isinstance(data, Mapping) and step in data:
        return _holders(data[step], rest, (*steps, step))
    return []


def shown_path(steps: Steps) -> str:
    """``("users", 0, "email_settings")`` -> ``users[0].email_settings``."""
    text = ""
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def refused_marked(data: Any, markings: list[VersionMarking], version: str) -> list[str]:
    """The display paths of the fields of ``data`` outside their ``x-versions`` range."""
    refused: list[str] = []
    for marking in markings:
        if marking.test(version):
            continue
        for steps, holder in _holders(data, marking.path):
            if marking.name in holder:
                refused.append(shown_path((*steps, marking.name)))
    return refused


def read_only_markings(schema: Any, root: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """(path, name) of every property marked ``readOnly: true`` anywhere in ``schema`` (beside
    a ``$ref`` or in the schema it resolves to)."""
    found: dict[tuple[tuple[str, ...], str], None] = {}
    for path, name, raw, node in _schema_positions(schema, root):
        marked = (isinstance(raw, Mapping) and raw.get("readOnly") is True) or (
            node is not None and node.get("readOnly") is True)
        if name is not None and marked:
            found.setdefault((path[:-1], name))
    return list(found)


def nested_field_errors(found: list[tuple[Steps, str]], data: Any) -> dict[str, list[Any]]:
    """Rails field errors in the documents' nested shape, from (steps, message) pairs.

    Every field maps to a list: its own messages, or for an array of objects one entry per
    item (``{}`` for a valid one), for an object one entry holding its fields' errors:
    ``{"users": [{}, {"email_settings": [{"email_address": ["is invalid"]}]}]}``. An error
    on a scalar inside an array is the array's own message. No steps means ``base``."""
    errors: dict[str, list[Any]] = {}
    for steps, message in found:
        _place(errors, steps or ("base",), message, data)
    return errors


def _place(errors: dict[str, list[Any]], steps: Steps, message: str, data: Any) -> None:
    name, rest = str(steps[0]), steps[1:]
    value = data.get(name) if isinstance(data, Mapping) else None
    entries = errors.setdefault(name, [])
    if (len(rest) > 1 and isinstance(rest[0], int) and isinstance(value, list)
            and 0 <= rest[0] < len(value) and isinstance(value[rest[0]], Mapping)):
        items = [entry for entry in entries if isinstance(entry, dict)]
        if len(items) != len(value):
            items = [{} for _ in value]
            entries[:] = [entry for entry in entries if not isinstance(entry, dict)] + items
        _place(items[rest[0]], rest[1:], message, value[rest[0]])
        return
    if rest and isinstance(rest[0], str) and isinstance(value, Mapping):
        holder = next((entry for entry in entries if isinstance(entry, dict)), None)
        if holder is None:
            holder = {}
            entries.append(holder)
        _place(holder, rest, message, value)
        return
    if message not in entries:
        entries.insert(sum(1 for entry in entries if isinstance(entry, str)), message)


def _dropped(data: Any, path: tuple[str, ...], name: str) -> Any:
    if not path:
        if isinstance(data, Mapping) and name in data:
            return {key: value for key, value in data.items() if key != name}
        return data
    step, rest = path[0], path[1:]
    if step == "[]":
        return [_dropped(item, rest, name) for item in data] if isinstance(data, list) else data
    if isinstance(data, Mapping) and step in data:
        return {**data, step: _dropped(data[step], rest, name)}
    return data


def without_marked(data: Any, markings: list[VersionMarking], version: str) -> Any:
    """``data`` (not changed in place) without the fields outside their ``x-versions``."""
    for marking in markings:
        if not marking.test(version):
            data = _dropped(data, marking.path, marking.name)
    return data


class RequestValidator:
    """The compiled validation of one operation's request (parameters and body)."""

    def __init__(
        self,
        path_item: Mapping[str, Any],
        operation: Mapping[str, Any],
        root: Mapping[str, Any],
        *,
        family: str = "network",
        strictness: Strictness = Strictness(),
    ) -> None:
        self.family = family
        self.strictness = strictness
        #: the family the ``version`` path parameter resolves in (None: its enum only)
        self.version_family: VersionFamily | None = None
        #: the route's own version dates (its enum; None: any)
        self.version_enum: frozenset[str] | None = None
        #: query parameter -> the maximum served instead of a larger value (``x-lenient``)
        self.clamped: dict[str, int | float] = {}
        marking = operation.get("x-versions")
        self.version_test: VersionTest | None = (
            version_predicate(marking) if marking is not None else None
        )
        params = _operation_parameters(path_item, operation, root)
        self.parameters: list[Parameter] = []
        #: query parameter -> its x-versions test (refused outside the range)
        self.versioned_parameters: dict[str, VersionTest] = {}
        sections: dict[str, dict[str, Any]] = {"path": {}, "query": {}}
        required: dict[str, list[str]] = {"path": [], "query": []}
        for param in params:
            location = param.get("in", "query")
            if location not in sections:
                continue
            if location == "query" and param.get("x-validated-by-model"):
                continue  # kept as sent: the model answers its own documented error
            schema = param.get("schema", {})
            explode = param.get("explode", param.get("style", "form") == "form")
            self.parameters.append(
                Parameter(
                    name=param["name"],
                    location=location,
                    required=bool(param.get("required")) or location == "path",
                    coerce=coercer_for(schema, root, explode=explode),
                )
            )
            sections[location][param["name"]] = schema
            if location == "path" and param["name"] == "version":
                self.version_family = version_family(param, root)
                enum = (resolve(schema, root) or {}).get("enum")
                self.version_enum = frozenset(map(str, enum)) if enum is not None else None
            resolved_schema = resolve(schema, root)
            if (location == "query" and isinstance(resolved_schema, Mapping)
                    and resolved_schema.get("x-lenient") == "clamp"
                    and isinstance(resolved_schema.get("maximum"), int | float)):
                self.clamped[param["name"]] = resolved_schema["maximum"]
            if location == "query" and "x-versions" in param:
                self.versioned_parameters[param["name"]] = version_predicate(param["x-versions"])
            if param.get("required") or location == "path":
                required[location].append(param["name"])
        self.path_validator = compile_schema(
            {"type": "object", "properties": sections["path"], "required": required["path"]},
            root,
        )
        self.query_validator = compile_schema(
            {"type": "object", "properties": sections["query"], "required": required["query"]},
            root,
        )
        self.query_parameters = [p for p in self.parameters if p.location == "query"]
        self.path_parameters = [p for p in self.parameters if p.location == "path"]
        #: path parameter -> (status, message) of its ``x-refusal``: a value outside its schema
        #: is that error instead of "no such route" (the SMS Messaging API's 422 for a phone
        #: number that is not E.164)
        self.path_refusals: dict[str, tuple[int, str]] = {
            str(param["name"]): (int(param["x-refusal"]["status"]),
                                 str(param["x-refusal"]["message"]))
            for param in params
            if param.get("in") == "path" and isinstance(param.get("x-refusal"), Mapping)
        }

        body = resolve(operation.get("requestBody"), root) or {}
        content: Mapping[str, Any] = body.get("content", {}) if isinstance(body, Mapping) else {}
        self.body_required = bool(body.get("required")) if isinstance(body, Mapping) else False
        self.takes_json = any("json" in media for media in content)
        self.takes_form = any(
            media in ("application/x-www-form-urlencoded", "multipart/form-data")
            for media in content
        )
        body_schema: Mapping[str, Any] | None = None
        for media, media_object in content.items():
            if "schema" in media_object and ("json" in media or not self.takes_json):
                body_schema = media_object["schema"]
                break
        self.body_validator = compile_schema(body_schema, root) if body_schema is not None else None
        self._body_root: Mapping[str, Any] = (
            {**dict(body_schema), "components": _referenced(body_schema, root)}
            if body_schema is not None else {}
        )
        resolved_body = resolve(body_schema, root) if body_schema is not None else {}
        properties = _top_properties(resolved_body, root)
        self.form_coercers: dict[str, Coercer] = (
            {name: coercer_for(prop, root) for name, prop in properties.items()}
            if self.takes_form else {}
        )
        #: body property -> its x-versions test (refused outside the range)
        self.versioned_properties: dict[str, VersionTest] = {
            name: version_predicate(prop["x-versions"])
            for name, prop in properties.items()
            if isinstance(prop, Mapping) and "x-versions" in prop
        }
        #: nested body properties with x-versions (the top-level ones are above)
        self.nested_markings: list[VersionMarking] = [
            marking for marking in (
                versioned_markings(body_schema, root) if body_schema is not None else ()
            ) if marking.path
        ]
        #: (path, name) of the properties marked readOnly: accepted and dropped
        self.read_only = (
            read_only_markings(body_schema, root) if body_schema is not None else []
        )
        #: nested x-required-by-version rules (the top-level ones are below)
        self.nested_required = (
            required_markings(body_schema, root) if body_schema is not None else []
        )
        #: the contract's 403 body schema: a field-shaped error is used only where it allows it
        forbidden = resolve((operation.get("responses") or {}).get("403"), root) or {}
        forbidden_media = (forbidden.get("content") or {}).get("application/json") or {}
        self.forbidden_validator = (
            compile_schema(forbidden_media["schema"], root) if "schema" in forbidden_media else None
        )
        #: (version test, names) pairs from ``x-required-by-version``
        self.required_by_version: list[tuple[VersionTest, tuple[str, ...]]] = [
            (version_predicate(rule), tuple(rule.get("required", ())))
            for rule in (resolved_body.get("x-required-by-version") or ())
            if isinstance(rule, Mapping)
        ] if isinstance(resolved_body, Mapping) else []

    # ------------------------------------------------------------------ parameters

    @_refusal
    def path(self, values: Mapping[str, str]) -> dict[str, Any]:
        """Coerced path parameters, ``version`` resolved in its family (unless versions are
        strict); outside the schema or the operation's versions -> 404."""
        requested = values.get("version")
        resolved = self.served_version(requested)
        if resolved is not None and resolved != requested:
            values = {**values, "version": resolved}
        coerced = {p.name: p.coerce([values[p.name]]) for p in self.path_parameters
                   if p.name in values}
        if not self.path_validator.is_valid(coerced):
            error = next(iter(self.path_validator.iter_errors(coerced)))
            name = str(error.instance_path[0]) if error.instance_path else "path"
            if name == "version":
                raise route_missing(
                    self.family, f"API version {requested or ''} does not support this route",
                )
            refusal = self.path_refusals.get(name)
            if refusal is not None:
                refused = RecordInvalid(refusal[1])
                refused.status = refusal[0]  # type: ignore[attr-defined]
                raise refused
            raise route_missing(self.family, f"No route matches {name} '{values.get(name, '')}'")
        version = coerced.get("version")
        if self.version_test is not None and version is not None and not self.version_test(
            str(version)
        ):
            raise route_missing(self.family,
                                f"API version {requested} does not support this route")
        return coerced

    def served_version(self, requested: str | None) -> str | None:
        """The published version a path's ``version`` stands for, whether or not this route
        serves it: resolved in its family (published dates only when versions are strict);
        without a family, itself when in the route's enum. None when it stands for none."""
        if requested is None:
            return None
        family = self.version_family
        if family is None:
            return requested if self.version_enum is None or requested in self.version_enum \
                else None
        if self.strictness.versions:
            return requested if requested in family.published else None
        return family.resolve(requested)

    @_refusal
    def query(self, args: MultiDict[str, str], version: str | None = None) -> dict[str, Any]:
        """Coerced query parameters (declared ones coerced, the rest kept as strings); a
        parameter outside its ``x-versions`` range -> 403 ``InvalidInput``."""
        if version is not None and self.versioned_parameters:
            refused = [name for name, test in self.versioned_parameters.items()
                       if name in args and not test(version)]
            if refused:
                raise InvalidInput("; ".join(
                    f"{name} is not supported in API version {version}" for name in refused))
        result: dict[str, Any] = {}
        for key in args:
            if key in CREDENTIAL_KEYS:
                continue
            values = args.getlist(key)
            result[key] = values[-1] if len(values) == 1 else values
        for param in self.query_parameters:
            if param.name in args:
                result[param.name] = param.coerce(args.getlist(param.name))
        if self.clamped and not self.strictness.inputs:
            for name, top in self.clamped.items():
                value = result.get(name)
                if isinstance(value, int | float) and not isinstance(value, bool) and value > top:
                    result[name] = top
        if self.query_validator.is_valid(result):
            return result
        messages = [
            _parameter_message(error) for error in self.query_validator.iter_errors(result)
        ]
        raise InvalidInput("; ".join(messages))

    # ------------------------------------------------------------------ body

    @_refusal
    def parse_body(self, raw: bytes, form: MultiDict[str, str] | None, mimetype: str) -> Any:
        """The request body as data: JSON when the operation takes JSON, else the form."""
        if not raw and not form:
            if self.body_required and self.body_validator is not None:
                raise InvalidInput("A request body is required")
            return None
        if self.takes_json and ("json" in mimetype or not self.takes_form):
            try:
                parsed = orjson.loads(raw) if raw else {}
            except orjson.JSONDecodeError:
                if not self.takes_form:
                    raise InvalidInput("The request body is not valid JSON") from None
            else:
                if deeper_than(parsed):
                    raise InvalidInput(
                        f"The request body nests deeper than {MAX_BODY_DEPTH} levels")
                return parsed
        if self.takes_form and form is not None:
            data: dict[str, Any] = {}
            for key in form:
                values = form.getlist(key)
                name = key if key in self.form_coercers else key.removesuffix("[]")
                coerce = self.form_coercers.get(name)
                if coerce is not None:
                    data[name] = coerce(values)
                else:
                    data[key] = values[-1] if len(values) == 1 else values
            return data
        return None

    @_refusal
    def body(self, data: Any, version: str | None = None, *, present: bool | None = None) -> Any:
        """Validate parsed body data (``oauth_token`` included, as the contract declares it),
        then hand it on without its ``oauth_token`` key (a credential, not data).

        ``present`` says whether the request carried a body at all (a JSON ``null`` is a body
        and is validated; no body is fine unless the body is required). Properties marked
        ``readOnly`` are dropped first; unknown keys are dropped unless inputs are strict.
        """
        if self.body_validator is None:
            return _without_credentials(data)
        if data is None and not present:
            if self.body_required:
                raise InvalidInput("A request body is required")
            return None
        for path, name in self.read_only:
            data = _dropped(data, path, name)
        if version is not None and isinstance(data, dict):
            self._check_versions(data, version)
        missing = self._missing_by_version(data, version)
        if not missing and self.body_validator.is_valid(data):
            return _without_credentials(data)
        if not self.strictness.inputs:
            data = self._without_unknown_keys(data)
            if not missing and self.body_validator.is_valid(data):
                return _without_credentials(data)
        found: list[tuple[Steps, str]] = [(steps, "can't be blank") for steps in missing]
        messages: list[str] = [f"{shown_path(steps)} can't be blank" for steps in missing]
        for error in self.body_validator.iter_errors(data):
            special = self._class_message(error)
            if special is not None:
                raise RecordInvalid(special)
            message = _rails_message(error)
            for steps in _error_fields(error):
                if (steps, message) not in found:
                    found.append((steps, message))
                    messages.append(f"{shown_path(steps) or 'base'}: {error.message}")
        field_errors = nested_field_errors(found, data)
        if self.family == "network" and (
            self.forbidden_validator is None
            or self.forbidden_validator.is_valid({"errors": field_errors})
        ):
            raise RecordInvalid("Validation failed", field_errors=field_errors)
        raise InvalidInput("; ".join(messages))

    def _check_versions(self, data: Mapping[str, Any], version: str) -> None:
        refused = [
            name for name, test in self.versioned_properties.items()
            if name in data and not test(version)
        ]
        if self.nested_markings:
            refused += refused_marked(data, self.nested_markings, version)
        if refused:
            raise InvalidInput(
                "; ".join(f"{name} is not supported in API version {version}" for name in refused)
            )

    def _missing_by_version(self, data: Any, version: str | None) -> list[Steps]:
        """The steps to each field required in ``version`` and absent (nested ones too:
        ``("users", 0, "email_settings")``)."""
        if version is None or not isinstance(data, Mapping) or not (
            self.required_by_version or self.nested_required
        ):
            return []
        missing: list[Steps] = []
        for test, names in self.required_by_version:
            if test(version):
                missing += [(n,) for n in names
                            if data.get(n) in (None, "") and (n,) not in missing]
        for path, test, names in self.nested_required:
            if not test(version):
                continue
            for steps, holder in _holders(data, path):
                missing += [(*steps, n) for n in names if holder.get(n) in (None, "")
                            and (*steps, n) not in missing]
        return missing

    def _without_unknown_keys(self, data: Any) -> Any:
        """``data`` without the keys a schema with ``additionalProperties: false`` does not
        know, at any depth (a copy when any is dropped; keys whose refusal has its own
        message, such as ``local_center``'s, stay and are refused)."""
        validator = self.body_validator
        if validator is None:
            return data
        copied = False
        for _ in range(8):  # dropping a key can only remove errors: a few passes settle
            unknown = [
                (tuple(error.instance_path), list(getattr(error.kind, "unexpected", []) or []))
                for error in validator.iter_errors(data)
                if _kind(error) == "AdditionalProperties" and self._class_message(error) is None
            ]
            if not unknown:
                break
            if not copied:
                data, copied = copy.deepcopy(data), True
            for steps, names in unknown:
                holder = data
                try:
                    for step in steps:
                        holder = holder[step]
                except (LookupError, TypeError):  # gone with a key dropped before it
                    continue
                if isinstance(holder, dict):
                    for name in names:
                        holder.pop(name, None)
        return data

    def _class_message(self, error: Any) -> str | None:
        for node in reversed(_walk(self._body_root, list(error.schema_path))):
            if isinstance(node, Mapping) and isinstance(node.get("x-invalid-data"), str):
                return str(node["x-invalid-data"])
        path = list(error.instance_path)
        if path and path[0] == "local_center" and _kind(error) == "AdditionalProperties":
            return LOCAL_CENTER_MESSAGE
        return None


def _without_credentials(data: Any) -> Any:
    if isinstance(data, dict):
        for key in CREDENTIAL_KEYS:
            data.pop(key, None)
    return data


def _top_properties(schema: Any, root: Mapping[str, Any]) -> dict[str, Any]:
    """The top-level properties of a body schema (following ``$ref`` and ``allOf``)."""
    schema = resolve(schema, root)
    if not isinstance(schema, Mapping):
        return {}
    found: dict[str, Any] = {}
    for part in schema.get("allOf", ()) or ():
        found.update(_top_properties(part, root))
    for name, prop in (schema.get("properties") or {}).items():
        found[name] = prop if isinstance(prop, Mapping) and "x-versions" in prop else resolve(
            prop, root)
    return found


def _kind(error: Any) -> str:
    return type(error.kind).__name__


def _rails_message(error: Any) -> str:
    """Rails' words for a schema error; for an ``anyOf``/``oneOf`` miss, the words of the one
    alternative the value has the type of (``1e20`` for an integer: "is too large")."""
    if _kind(error) in {"AnyOf", "OneOfNotValid"}:
        near = [branch for branch in getattr(error.kind, "context", None) or ()
                if branch and all(_kind(e) != "Type" for e in branch)]
        if len(near) == 1:
            return _rails_message(near[0][0])
    return RAILS_MESSAGES.get(_kind(error), "is invalid")


def _error_fields(error: Any) -> list[Steps]:
    """The steps to each field a schema error is about (a missing property, each unknown key,
    else the value that failed)."""
    kind = _kind(error)
    steps: Steps = tuple(error.instance_path)
    if kind == "Required":
        return [(*steps, str(error.kind.property))]
    if kind == "AdditionalProperties":
        unexpected = list(getattr(error.kind, "unexpected", []) or [])
        return [(*steps, str(name)) for name in unexpected] or [steps]
    return [steps]


def _parameter_message(error: Any) -> str:
    kind = _kind(error)
    if kind == "Required":
        return f"Missing required parameter '{error.kind.property}'"
    name = error.instance_path[0] if error.instance_path else "?"
    return f"Invalid parameter '{name}': {error.message}"
