"""Loading and reading the contract, ``invoca.yaml``.

The document is parsed once per process (``load_spec`` is cached) with PyYAML's C loader when it is
available. Callers must treat the returned dict as read-only: it is shared. Take a
``copy.deepcopy`` before changing it (the tests do, to show mutated documents are rejected).

``operations(spec)`` flattens ``paths`` into one ``Operation`` per (path, method), with the
path-level parameters merged into the operation's own (an operation-level parameter with the same
name and location wins, as OpenAPI specifies). The mock server binds its routes from this list and
the tests walk it.
"""

from __future__ import annotations

import functools
import hashlib
import marshal
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from openapi import SPEC_PATH

#: The HTTP methods an OpenAPI path item can hold, in the order operations are listed.
METHODS: tuple[str, ...] = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

#: API family (the operation's first tag) of every operation, in reporting order.
FAMILIES: tuple[str, ...] = (
    "Legacy RingPool",
    "Bulk RingPool",
    "Network Integration",
    "Transactions",
    "Signal",
    "Conversion Reporting",
    "Calls In Progress",
    "Call API",
    "Call Ingestion",
    "SMS Messaging",
)

_TEMPLATE = re.compile(r"\{([^{}]+)\}")

try:  # the C loader is ~10x faster on this document; fall back to the pure-Python one
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader


@dataclass(frozen=True)
class Operation:
    """One (path, method) of the contract.

    ``parameters`` are the resolved parameter objects (``$ref`` to ``components/parameters``
    followed), path-level ones merged in. ``definition`` is the operation object as written.
    """

    method: str
    path: str
    operation_id: str
    definition: Mapping[str, Any]
    parameters: tuple[Mapping[str, Any], ...] = field(default=())

    @property
    def family(self) -> str:
        """The API family: the first tag of the operation."""
        tags = self.definition.get("tags") or [""]
        return str(tags[0])

    @property
    def path_parameter_names(self) -> tuple[str, ...]:
        """Names of the ``{templates}`` in the path, in order."""
        return tuple(_TEMPLATE.findall(self.path))

    @property
    def x_versions(self) -> Mapping[str, str] | None:
        """The operation's ``x-versions`` range (``from``/``until``, inclusive), if any."""
        value = self.definition.get("x-versions")
        return value if isinstance(value, Mapping) else None


def parse_spec(path: Path) -> dict[str, Any]:
    """Parse a YAML (or JSON) OpenAPI document from ``path``."""
    with path.open("rb") as handle:
        document = yaml.load(handle, Loader=_Loader)
    if not isinstance(document, dict):
        raise ValueError(f"{path} does not hold an OpenAPI document (a mapping)")
    return document


@functools.cache
def load_spec() -> dict[str, Any]:
    """The contract, read once per process (through :func:`cached_spec`). Shared: do not
    mutate it."""
    return cached_spec(SPEC_PATH)


def spec_cache_directory() -> Path:
    """Where parsed contracts are cached: ``$XDG_CACHE_HOME/invoca-sandbox`` (else
    ``~/.cache/invoca-sandbox``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "invoca-sandbox"


def cached_spec(path: Path = SPEC_PATH, directory: Path | None = None) -> dict[str, Any]:
    """The contract at ``path``, parsed once per content and kept in ``directory`` (default
    :func:`spec_cache_directory`) as a ``marshal`` file named after the SHA-256 of the YAML
    and the Python version: loading it takes ~10 ms where parsing the YAML takes ~0.3 s.

    A missing, stale or unreadable cache is rebuilt from the YAML
    (``openapi.contract.parse_spec``); a cache directory that cannot be written is skipped.
    """
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()[:32]
    folder = directory or spec_cache_directory()
    cache = folder / f"contract-{digest}-py{sys.version_info[0]}{sys.version_info[1]}.marshal"
    try:
        document = marshal.loads(cache.read_bytes())
        if isinstance(document, dict):
            return document
    except (OSError, EOFError, ValueError, TypeError):
        pass
    document = parse_spec(path)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        scratch = cache.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_bytes(marshal.dumps(document))
        os.replace(scratch, cache)
    except (OSError, ValueError):
        pass
    return document


def resolve(spec: Mapping[str, Any], node: Any) -> Any:
    """Follow a local ``$ref`` (``#/a/b``) until a node without one is reached."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, not {ref!r}")
        if ref in seen:
            raise ValueError(f"reference cycle at {ref}")
        seen.add(ref)
        target: Any = spec
        for part in ref[2:].split("/"):
            key = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, Mapping) or key not in target:
                raise KeyError(f"unresolvable reference {ref}")
            target = target[key]
        node = target
    return node


def _merged_parameters(
    spec: Mapping[str, Any], path_item: Mapping[str, Any], operation: Mapping[str, Any]
) -> tuple[Mapping[str, Any], ...]:
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    for raw in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
        parameter = resolve(spec, raw)
        merged[(parameter["name"], parameter["in"])] = parameter
    return tuple(merged.values())


def iter_operations(spec: Mapping[str, Any]) -> Iterator[Operation]:
    """Yield every operation in document order."""
    for path, path_item in spec.get("paths", {}).items():
        for method in METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            yield Operation(
                method=method,
                path=path,
                operation_id=str(operation.get("operationId", "")),
                definition=operation,
                parameters=_merged_parameters(spec, path_item, operation),
            )


def operations(spec: Mapping[str, Any] | None = None) -> list[Operation]:
    """Every operation of ``spec`` (default: the contract), in document order."""
    return list(iter_operations(load_spec() if spec is None else spec))


def operation_by_id(operation_id: str, spec: Mapping[str, Any] | None = None) -> Operation:
    """The operation with this ``operationId``; ``KeyError`` when there is none."""
    for operation in iter_operations(load_spec() if spec is None else spec):
        if operation.operation_id == operation_id:
            return operation
    raise KeyError(operation_id)


def count_by_family(spec: Mapping[str, Any] | None = None) -> dict[str, int]:
    """Number of operations per API family, in ``FAMILIES`` order (unknown families last)."""
    counts: dict[str, int] = dict.fromkeys(FAMILIES, 0)
    for operation in iter_operations(load_spec() if spec is None else spec):
        counts[operation.family] = counts.get(operation.family, 0) + 1
    return counts


def documented_versions(spec: Mapping[str, Any] | None = None) -> frozenset[str]:
    """Every version date some ``version`` path parameter of the document accepts."""
    document = load_spec() if spec is None else spec
    dates: set[str] = set()
    for parameter in document.get("components", {}).get("parameters", {}).values():
        if parameter.get("name") == "version" and parameter.get("in") == "path":
            dates.update(parameter.get("schema", {}).get("enum", []))
    return frozenset(dates)


def version_in_range(version: str, versions: Mapping[str, str] | None) -> bool:
    """Whether ``version`` (a ``YYYY-MM-DD`` date) lies in an ``x-versions`` range.

    Both ends are inclusive; no range means every version. Dates compare as strings.
    """
    if not versions:
        return True
    lower = versions.get("from")
    upper = versions.get("until")
    if lower is not None and version < lower:
        return False
    return not (upper is not None and version > upper)
