"""The spec is the route table: one Flask URL rule per contract operation.

Rules:
1. The contract is read once, at start-up. :func:`bind_operations` walks its paths and
   returns one :class:`Operation` per (path, method): the Flask rule, the API family, the
   response format, the security kind, the success status and the compiled
   :class:`~mock_server.validation.RequestValidator` (compiled on the operation's first
   request, then kept: start-up stays fast). Nothing here runs per request.
2. ``{param}`` templates become Flask converters, also inside a segment
   (``allocate_number.{format}`` -> ``allocate_number.<format>``); the literal ``.json``
   suffixes stay literal.
3. The handler of an operation is the function named after the snake_case of its
   ``operationId`` in one of the modules of :mod:`mock_server.handlers`; an operation without
   one answers 501 with a JSON body giving the reason (see :mod:`mock_server.app`).
4. The API family (which error shape an operation speaks) comes from the operation's tag
   (``Network Integration``, ``Legacy RingPool``, ...), else from the path (:func:`family_of`).
5. ``x-versions`` (``{from, until}``, both inclusive) on an operation limits the versions it
   answers (see :mod:`mock_server.validation`); on a response property it drops the field
   from responses of other versions (:class:`FieldFilter`). Both compare the resolved
   version (an unpublished date stands for the published one before it, unless the app is
   strict: :class:`~mock_server.validation.Strictness`).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_server.rendering import FAMILIES
from mock_server.validation import (
    RequestValidator,
    Strictness,
    VersionMarking,
    resolve,
    version_predicate,
    versioned_markings,
    without_marked,
)

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

Handler = Callable[..., Any]

#: the contract's tags -> the API family (the error shape an operation speaks)
FAMILY_BY_TAG: dict[str, str] = {
    "Network Integration": "network",
    "Legacy RingPool": "ringpool",
    "Bulk RingPool": "bulk",
    "Transactions": "transactions",
    "Signal": "signal",
    "Conversion Reporting": "conversion",
    "Calls In Progress": "network",
    "Call API": "network",
    #: the Call Ingestion API speaks the Signal API's error shape (JSON ``{"errors": ...}``,
    #: 403 for invalid input, 400 for a version that does not serve the route)
    "Call Ingestion": "signal",
    #: the SMS Messaging API: ``{"message": ...}`` bodies, 400/401/403/404/409/422
    "SMS Messaging": "sms",
}


def snake_case(operation_id: str) -> str:
    """``createRingPool`` -> ``create_ring_pool``; ``getURLStats`` -> ``get_url_stats``."""
    return CAMEL_BOUNDARY.sub("_", operation_id).lower()


def flask_rule(path: str) -> str:
    """``/api/{version}/ring_pools/{id}/allocate_number.{format}`` -> Flask's ``<...>`` rule."""
    return TEMPLATE.sub(lambda m: f"<{m.group(1)}>", path)


def family_of(path: str, operation: Mapping[str, Any]) -> str:
    """The API family of an operation: the error shape it speaks.

    ``x-api-family`` in the contract wins, then the operation's tag (:data:`FAMILY_BY_TAG`);
    otherwise the path: ``/allocate_number.`` -> ``ringpool``;
    ``/bulk.json`` -> ``bulk``; ``/calls/`` ending ``.xml`` -> ``conversion``; a path with
    ``signals`` or a write to ``transactions.json`` -> ``signal``; any other ``transactions``
    path -> ``transactions``; everything else -> ``network``.
    """
    declared = operation.get("x-api-family")
    if isinstance(declared, str) and declared in FAMILIES:
        return declared
    for tag in operation.get("tags") or ():
        if tag in FAMILY_BY_TAG:
            return FAMILY_BY_TAG[tag]
    if "/allocate_number." in path:
        return "ringpool"
    if path.endswith("/bulk.json"):
        return "bulk"
    if "/calls/" in path and path.endswith(".xml"):
        return "conversion"
    if "signals" in path or (
        path.endswith("/transactions.json") and operation.get("_method") in {"post", "put"}
    ):
        return "signal"
    if "transactions" in path:
        return "transactions"
    return "network"


def fixed_format_of(path: str) -> str | None:
    """``json``/``xml``/``csv`` when the path ends in that literal suffix, else ``None``."""
    for fmt in ("json", "xml", "csv"):
        if path.endswith(f".{fmt}"):
            return fmt
    return None


def security_kind(operation: Mapping[str, Any], spec: Mapping[str, Any]) -> str:
    """``none`` (no credentials), ``ring_pool_key`` (checked by the model) or ``token``.

    ``token`` covers the API token (header, query, JSON body) and HTTP Basic: the server
    authenticates these before the handler runs.
    """
    requirements = operation.get("security", spec.get("security"))
    if not requirements:
        return "none"
    schemes = spec.get("components", {}).get("securitySchemes", {})
    kinds: set[str] = set()
    for requirement in requirements:
        if not requirement:
            return "none"
        for name in requirement:
            scheme = schemes.get(name, {})
            if name == "ring_pool_key" or scheme.get("name") == "ring_pool_key":
                kinds.add("ring_pool_key")
            else:
                kinds.add("token")
    return "token" if "token" in kinds else "ring_pool_key"


AUTH_WAYS = frozenset({"header", "query", "body", "basic"})


def auth_ways(operation: Mapping[str, Any], spec: Mapping[str, Any]) -> frozenset[str]:
    """The ways in an operation's ``security`` allows: ``header`` (raw token in
    ``Authorization``), ``query`` (``oauth_token``), ``body`` (``oauth_token`` JSON key, when
    ``x-oauth-token-in-body`` is true, or unstated and a token way exists), ``basic`` and
    ``bearer`` (``Authorization: Bearer <token>`` only: the SMS Messaging API)."""
    schemes = spec.get("components", {}).get("securitySchemes", {})
    ways: set[str] = set()
    for requirement in operation.get("security", spec.get("security")) or ():
        for name in requirement or {}:
            scheme = schemes.get(name, {})
            if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "basic":
                ways.add("basic")
            elif scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer":
                ways.add("bearer")
            elif scheme.get("type") == "apiKey" and scheme.get("name") == "Authorization":
                ways.add("header")
            elif scheme.get("type") == "apiKey" and scheme.get("name") == "oauth_token":
                ways.add("query")
    in_body = operation.get("x-oauth-token-in-body")
    if in_body or (in_body is None and ways & {"header", "query"}):
        ways.add("body")
    return frozenset(ways)


def success_status(operation: Mapping[str, Any], method: str) -> int:
    """The operation's success status: 201 for a POST that lists it (the design principles:
    POST 201, PUT 200, DELETE 200), else the first 2xx the contract lists, else 200."""
    codes = [str(code) for code in operation.get("responses", {})]
    successes = [int(code) for code in codes if code.isdigit() and code.startswith("2")]
    if method == "post" and 201 in successes:
        return 201
    if successes:
        return successes[0]
    return 201 if method == "post" else 200


@dataclass
class Operation:
    """One contract operation, compiled for serving."""

    operation_id: str
    method: str
    path: str
    rule: str
    family: str
    fixed_format: str | None
    security: str
    status: int
    spec: Mapping[str, Any] = field(repr=False)
    handler: Handler | None = None
    #: the path's ids in template order (without ``version`` and ``format``)
    id_names: tuple[str, ...] = ()
    #: the credentials the operation accepts (see :func:`auth_ways`)
    ways: frozenset[str] = AUTH_WAYS
    #: the path item and the whole contract, for compiling :attr:`validator`
    path_item: Mapping[str, Any] = field(default_factory=dict, repr=False)
    root: Mapping[str, Any] = field(default_factory=dict, repr=False)
    #: the lenient readings that are off (the app's ``STRICT`` switch)
    strictness: Strictness = field(default_factory=Strictness)

    @property
    def handler_name(self) -> str:
        return snake_case(self.operation_id)

    @functools.cached_property
    def validator(self) -> RequestValidator:
        """The compiled request validation, built on first use (start-up compiles none of
        the ~80 operations' schemas; the first request of an operation pays a few ms)."""
        return RequestValidator(self.path_item, self.spec, self.root, family=self.family,
                                strictness=self.strictness)


def iter_operations(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any],
                                                               Mapping[str, Any]]]:
    """``(path, method, path_item, operation)`` for every operation of the contract."""
    for path, path_item in spec.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = path_item.get(method)
            if isinstance(operation, Mapping):
                yield path, method, path_item, operation


def handler_registry(package: str = "mock_server.handlers") -> dict[str, Handler]:
    """Every public function of every module of the handlers package, by name."""
    registry: dict[str, Handler] = {}
    root = importlib.import_module(package)
    for info in sorted(pkgutil.iter_modules(root.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package}.{info.name}")
        for name in getattr(module, "__all__", ()):
            function = getattr(module, name)
            if callable(function):
                registry[name] = function
    return registry


def bind_operations(
    spec: Mapping[str, Any], handlers: Mapping[str, Handler] | None = None,
    strictness: Strictness | None = None,
) -> list[Operation]:
    """Compile every operation of ``spec`` and attach its handler (``None`` when missing);
    their validation reads the contract with ``strictness`` (default: lenient)."""
    registry = handler_registry() if handlers is None else handlers
    operations: list[Operation] = []
    for path, method, path_item, raw in iter_operations(spec):
        operation_id = raw.get("operationId") or f"{method}_{path}"
        family = family_of(path, {**raw, "_method": method})
        operations.append(
            Operation(
                operation_id=operation_id,
                method=method,
                path=path,
                rule=flask_rule(path),
                family=family,
                fixed_format=fixed_format_of(path),
                security=security_kind(raw, spec),
                ways=auth_ways(raw, spec),
                status=success_status(raw, method),
                spec=raw,
                path_item=path_item,
                root=spec,
                handler=registry.get(snake_case(operation_id)),
                strictness=strictness or Strictness(),
                id_names=tuple(
                    name for name in TEMPLATE.findall(path) if name not in ("version", "format")
                ),
            )
        )
    return operations


# ---------------------------------------------------------------------------- version field sets


def _properties(schema: Any, root: Mapping[str, Any]) -> dict[str, Any]:
    schema = resolve(schema, root)
    if not isinstance(schema, Mapping):
        return {}
    if schema.get("type") == "array" and "items" in schema:
        return _properties(schema["items"], root)
    found: dict[str, Any] = {}
    for part in schema.get("allOf", ()) or ():
        found.update(_properties(part, root))
    for name, prop in (schema.get("properties") or {}).items():
        # ``x-versions`` may sit beside a ``$ref`` (OpenAPI 3.1): keep the outer marking.
        if isinstance(prop, Mapping) and "x-versions" in prop:
            found[name] = prop
        else:
            found[name] = resolve(prop, root)
    return found


class FieldFilter:
    """Drops response fields that the path's version does not have (``x-versions``).

    Compiled lazily once per (operation, status, version) and cached; an operation with no
    marked fields costs one dictionary lookup per response.
    """

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self.spec = spec
        self._markings: dict[tuple[str, int], dict[str, Callable[[str], bool]]] = {}
        #: markings below the top level (``users[].email_settings``), from the validation
        self._nested: dict[tuple[str, int], list[VersionMarking]] = {}
        for _path, _method, _item, operation in iter_operations(spec):
            for code, response in (operation.get("responses") or {}).items():
                if not str(code).isdigit():
                    continue
                content = (resolve(response, spec) or {}).get("content") or {}
                media = content.get("application/json") or next(iter(content.values()), None)
                if not media or "schema" not in media:
                    continue
                marked = {
                    name: version_predicate(prop["x-versions"])
                    for name, prop in _properties(media["schema"], spec).items()
                    if isinstance(prop, Mapping) and "x-versions" in prop
                }
                if marked:
                    self._markings[(str(operation.get("operationId")), int(code))] = marked
                nested = [m for m in versioned_markings(media["schema"], spec)
                          if m.path not in ((), ("[]",))]
                if nested:
                    self._nested[(str(operation.get("operationId")), int(code))] = nested
        self._excluded: dict[tuple[str, int, str], frozenset[str]] = {}

    def excluded(self, operation_id: str, status: int, version: str) -> frozenset[str]:
        """The response fields ``version`` does not have for this operation and status."""
        key = (operation_id, status, version)
        cached = self._excluded.get(key)
        if cached is None:
            marked = self._markings.get((operation_id, status), {})
            cached = frozenset(name for name, test in marked.items() if not test(version))
            self._excluded[key] = cached
        return cached

    def apply(self, operation_id: str, status: int, version: str, value: Any) -> Any:
        """``value`` (an object or a list of objects) without the excluded fields."""
        nested = self._nested.get((operation_id, status))
        if nested is not None:
            value = without_marked(value, nested, version)
        if (operation_id, status) not in self._markings:
            return value
        drop = self.excluded(operation_id, status, version)
        if not drop:
            return value
        if isinstance(value, Mapping):
            return {k: v for k, v in value.items() if k not in drop}
        if isinstance(value, list):
            return [
                {k: v for k, v in item.items() if k not in drop}
                if isinstance(item, Mapping) else item
                for item in value
            ]
        return value
