"""The request journal: what the contract routes were asked and answered, for tests to read,
filter, count and clear (``/_sandbox/requests``), as WireMock's request journal.

Rules:
1. One entry per request a contract route answers (both dispatchers, any status), kept in a
   bounded deque (config ``REQUEST_JOURNAL``, default 1000; 0 = off): the oldest go first.
   :attr:`RequestJournal.recorded` counts every request since the last clear, so an answer
   can say how many the bound dropped.
2. Recording is cheap (the hot path pays for it): a tuple of what was already at hand (the
   instant, method, path, raw query, path values, header pairs, the first
   ``REQUEST_JOURNAL_BODY_BYTES`` of the body, default 4096); an entry is rendered, and
   redacted, only when read (:func:`mock_server.redaction`: one rule for names and values).
3. An entry: ``at`` (ISO instant on the sandbox clock), ``method``, ``path``, ``query`` (the
   raw query string, secrets redacted), ``query_params`` (name -> value, or a list when
   repeated), ``path_params`` (the route's path values), ``headers``, ``body`` (text, or a JSON
   value when it is JSON), ``body_truncated``, ``status``, ``operation_id``.
4. Matchers (:func:`compile_matcher`): ``method``, ``path`` (exact, or a glob with ``*``),
   ``operation_id`` (or ``operationId``), ``status`` (an integer or a list of them),
   ``since``/``until`` (ISO instants, ``since`` <= at < ``until``), and the maps
   ``query``/``query_params``, ``path_params``, ``headers`` (names case-insensitive) and
   ``body`` (top-level fields of a JSON or form body): every pair given must be there, values
   compared as text; ``body_contains`` (a substring of the body's text). Matching reads the
   redacted entry: a secret matches only ``"[REDACTED]"``. An unknown key is refused
   (``RecordInvalid`` naming it), so a typo never matches everything.
"""

from __future__ import annotations

import fnmatch
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any, NamedTuple
from urllib.parse import parse_qsl

import orjson

from mock_server.redaction import redact_headers, redact_query, redact_text, redact_value
from simulator.errors import RecordInvalid

__all__ = ["DEFAULT_BODY_BYTES", "MATCHER_KEYS", "RequestJournal", "compile_matcher",
           "matcher_from_args"]

#: the body bytes an entry keeps (config ``REQUEST_JOURNAL_BODY_BYTES``)
DEFAULT_BODY_BYTES = 4096
#: the keys a matcher may hold (``operationId`` and ``query_params`` are aliases)
MATCHER_KEYS = ("method", "path", "operation_id", "operationId", "status", "since", "until",
                "query", "query_params", "path_params", "headers", "body", "body_contains")
_MAPS = ("query", "query_params", "path_params", "headers", "body")
#: the request headers a WSGI environ holds outside ``HTTP_*``
_PLAIN_HEADERS = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}


class _Recorded(NamedTuple):
    at: datetime
    method: str
    path: str
    query: str
    path_params: Mapping[str, Any]
    headers: tuple[tuple[str, str], ...]
    body: bytes
    body_length: int
    content_type: str
    operation_id: str
    status: int


def environ_headers(environ: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The request headers of a WSGI environ, as ``(Name, value)`` pairs."""
    pairs = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            pairs.append((key[5:].replace("_", "-").title(), str(value)))
        elif key in _PLAIN_HEADERS and value:
            pairs.append((_PLAIN_HEADERS[key], str(value)))
    return tuple(pairs)


class RequestJournal:
    """The bounded journal of one app (rule 1). Not locked: callers hold the app's lock
    around reads and clears; appends are single deque operations."""

    def __init__(self, limit: int = 1000, body_bytes: int = DEFAULT_BODY_BYTES) -> None:
        self._entries: deque[_Recorded] = deque(maxlen=max(0, limit))
        self.body_bytes = max(0, body_bytes)
        self.recorded = 0

    @property
    def maxlen(self) -> int:
        return self._entries.maxlen or 0

    def __len__(self) -> int:
        return len(self._entries)

    def record(self, *, at: datetime, method: str, path: str, query: str,
               path_params: Mapping[str, Any], environ: Mapping[str, Any], body: bytes | None,
               operation_id: str, status: int) -> None:
        """Keep one request (rule 2); nothing when the journal is off."""
        if not self._entries.maxlen:
            return
        raw = body or b""
        self.recorded += 1
        self._entries.append(_Recorded(
            at, method, path, query, dict(path_params), environ_headers(environ),
            raw[:self.body_bytes], len(raw), str(environ.get("CONTENT_TYPE") or ""),
            operation_id, status))

    def clear(self) -> int:
        """Forget every entry; answers how many there were."""
        count = len(self._entries)
        self._entries.clear()
        self.recorded = 0
        return count

    @property
    def dropped(self) -> int:
        """Requests recorded since the last clear that the bound has dropped."""
        return self.recorded - len(self._entries)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        """Every retained entry, rendered and redacted (oldest first)."""
        return (_render(entry) for entry in list(self._entries))

    def select(self, matcher: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return [entry for entry in self if matcher(entry)]


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")


def _query_params(query: str) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        if name in params:
            previous = params[name]
            params[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            params[name] = value
    return params


def _body(entry: _Recorded) -> Any:
    """The kept body as text, or as its JSON value (secrets redacted); None when empty."""
    if not entry.body:
        return None
    text = entry.body.decode("utf-8", errors="replace")
    truncated = entry.body_length > len(entry.body)
    if "json" in entry.content_type and not truncated:
        try:
            return redact_value(orjson.loads(entry.body))
        except orjson.JSONDecodeError:
            pass
    if "x-www-form-urlencoded" in entry.content_type:
        return redact_query(text)
    if not truncated:
        try:  # JSON sent without its content type
            value = orjson.loads(entry.body)
        except orjson.JSONDecodeError:
            return redact_text(text)
        if isinstance(value, dict | list):
            return redact_value(value)
    return redact_text(text)


def _render(entry: _Recorded) -> dict[str, Any]:
    query = redact_query(entry.query)
    return {
        "at": _iso(entry.at),
        "method": entry.method,
        "path": entry.path,
        "query": query,
        "query_params": _query_params(query),
        "path_params": {name: value if isinstance(value, int | float | str) else str(value)
                        for name, value in entry.path_params.items()},
        "headers": redact_headers(entry.headers),
        "body": _body(entry),
        "body_truncated": entry.body_length > len(entry.body),
        "status": entry.status,
        "operation_id": entry.operation_id,
    }


# ---------------------------------------------------------------------------- matchers


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode()
    return str(value)


def _map_of(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise RecordInvalid(f"{name} must be an object of names and values")
    return {str(key): _text(item) for key, item in value.items()}


def _statuses(value: Any) -> set[int]:
    values = value if isinstance(value, list) else [value]
    statuses = set()
    for item in values:
        text = str(item).strip()
        if isinstance(item, bool) or not (text.isascii() and text.isdigit() and len(text) == 3):
            raise RecordInvalid("status must be an HTTP status (an integer, or a list of them)")
        statuses.add(int(text))
    return statuses


def _instant(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise RecordInvalid(f"{name} must be an ISO-8601 instant")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise RecordInvalid(f"{name} is not an ISO-8601 instant: {value!r}"[:200]) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _pairs_match(wanted: Mapping[str, str], found: Any, *, fold: bool = False) -> bool:
    if not isinstance(found, Mapping):
        return False
    if fold:
        found = {str(key).lower(): value for key, value in found.items()}
    for name, value in wanted.items():
        key = name.lower() if fold else name
        if key not in found:
            return False
        have = found[key]
        options = have if isinstance(have, list) else [have]
        if value not in {_text(option) for option in options}:
            return False
    return True


def compile_matcher(spec: Mapping[str, Any] | None) -> Callable[[dict[str, Any]], bool]:
    """The test of a matcher (rule 4) on rendered entries; RecordInvalid for a bad one."""
    spec = dict(spec or {})
    unknown = sorted(set(spec) - set(MATCHER_KEYS))
    if unknown:
        raise RecordInvalid(f"{unknown[0]} is not a matcher key (known: "
                            f"{', '.join(MATCHER_KEYS)})")
    tests: list[Callable[[dict[str, Any]], bool]] = []
    if spec.get("method") is not None:
        method = str(spec["method"]).upper()
        tests.append(lambda entry: entry["method"].upper() == method)
    if spec.get("path") is not None:
        path = str(spec["path"])
        if "*" in path:
            tests.append(lambda entry: fnmatch.fnmatchcase(entry["path"], path))
        else:
            tests.append(lambda entry: entry["path"] == path)
    operation = spec.get("operation_id", spec.get("operationId"))
    if operation is not None:
        name = str(operation)
        tests.append(lambda entry: entry["operation_id"] == name)
    if spec.get("status") is not None:
        statuses = _statuses(spec["status"])
        tests.append(lambda entry: entry["status"] in statuses)
    since = _instant(spec["since"], "since") if spec.get("since") is not None else None
    until = _instant(spec["until"], "until") if spec.get("until") is not None else None
    if since is not None or until is not None:
        def in_window(entry: dict[str, Any]) -> bool:
            at = datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))
            return (since is None or since <= at) and (until is None or at < until)
        tests.append(in_window)
    for key, field, fold in (("query", "query_params", False),
                             ("query_params", "query_params", False),
                             ("path_params", "path_params", False),
                             ("headers", "headers", True)):
        if spec.get(key) is not None:
            wanted = _map_of(spec[key], key)
            tests.append(partial(_field_match, wanted, field, fold))
    if spec.get("body") is not None:
        wanted_body = _map_of(spec["body"], "body")
        tests.append(lambda entry: _pairs_match(wanted_body, _body_fields(entry["body"])))
    if spec.get("body_contains") is not None:
        needle = str(spec["body_contains"])
        tests.append(lambda entry: needle in _text(entry["body"] or ""))
    return lambda entry: all(test(entry) for test in tests)


def _field_match(wanted: Mapping[str, str], field: str, fold: bool,
                 entry: dict[str, Any]) -> bool:
    return _pairs_match(wanted, entry[field], fold=fold)


def _body_fields(body: Any) -> Any:
    if isinstance(body, str):
        return _query_params(body)
    return body


def matcher_from_args(args: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """A matcher from query parameters: ``method=GET``, ``status=200`` (repeat for several),
    ``operationId=...``, and the maps as dotted names: ``query.param1=x``,
    ``path_params.ring_pool_id=16``, ``headers.Accept=...``, ``body.name=...``."""
    matcher: dict[str, Any] = {}
    for name, value in args:
        head, dot, rest = name.partition(".")
        if dot and head in _MAPS:
            matcher.setdefault(head, {})[rest] = value
        elif name == "status":
            matcher.setdefault("status", []).append(value)
        else:
            matcher[name] = value
    return matcher
