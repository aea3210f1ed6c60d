"""The spec is the route table: one Flask URL rule per contract operation.

Rules:
1. The contract is read once, at start-up. :func:`bind_operations` walks its paths and
   returns one :class:`Operation` per (path, method): the Flask rule, the API family, the
   response format, the security kind, the success status and the compiled
   :class:`~mock_server.validation.RequestValidator`. Nothing here runs per request.
2. ``{param}`` templates become Flask converters, also inside a segment
   (``allocate_number.{format}`` -> ``allocate_number.<format>``); the literal ``.json``
   suffixes stay literal.
3. The handler of an operation is the function named after the snake_case of its
   ``operationId`` in one of the modules of :mod:`mock_server.handlers`; an operation without
   one answers 501 with a JSON body giving the reason (see :mod:`mock_server.app`).
4. The API family (which error shape an operation speaks) comes from the vendor extension
   ``x-api-family`` when the contract gives one, else from the path (see :func:`family_of`).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from mock_server.validation import RequestValidator, resolve

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

Handler = Callable[..., Any]


def snake_case(operation_id: str) -> str:
    """``createRingPool`` -> ``create_ring_pool``; ``getURLStats`` -> ``get_url_stats``."""
    return CAMEL_BOUNDARY.sub("_", operation_id).lower()


def flask_rule(path: str) -> str:
    """``/api/{version}/ring_pools/{id}/allocate_number.{format}`` -> Flask's ``<...>`` rule."""
    return TEMPLATE.sub(lambda m: f"<{m.group(1)}>", path)


def family_of(path: str, operation: Mapping[str, Any]) -> str:
    """The API family of an operation: the error shape it speaks.

    ``x-api-family`` in the contract wins; otherwise: ``/allocate_number.`` -> ``ringpool``;
    ``/bulk.json`` -> ``bulk``; ``/calls/`` ending ``.xml`` -> ``conversion``; a path with
    ``signals`` or a write to ``transactions.json`` -> ``signal``; any other ``transactions``
    path -> ``transactions``; everything else -> ``network``.
    """
    declared = operation.get("x-api-family")
    if isinstance(declared, str):
        return declared
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


def success_status(operation: Mapping[str, Any], method: str) -> int:
    """The first 2xx status the contract lists (POST -> 201 by default, else 200)."""
    for code in operation.get("responses", {}):
        text = str(code)
        if text.startswith("2") and text.isdigit():
            return int(text)
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
    validator: RequestValidator
    spec: Mapping[str, Any] = field(repr=False)
    handler: Handler | None = None

    @property
    def handler_name(self) -> str:
        return snake_case(self.operation_id)


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
    spec: Mapping[str, Any], handlers: Mapping[str, Handler] | None = None
) -> list[Operation]:
    """Compile every operation of ``spec`` and attach its handler (``None`` when missing)."""
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
                status=success_status(raw, method),
                validator=RequestValidator(path_item, raw, spec, family=family),
                spec=raw,
                handler=registry.get(snake_case(operation_id)),
            )
        )
    return operations


# ---------------------------------------------------------------------------- version field sets


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
