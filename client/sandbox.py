"""A small Python client of a running sandbox's control API, for tests (stdlib only).

Works against any served sandbox over HTTP: ``invoca-sandbox serve`` in another process, a
container, or the in-process one of the ``invoca_sandbox`` pytest fixture
(:mod:`mock_server.pytest_plugin`)::

    sandbox = SandboxClient("http://127.0.0.1:8080")
    pool = sandbox.world["ring_pool"]
    sandbox.get(f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json",
                query={"ring_pool_key": pool["api_key"]})
    sandbox.advance(3600)
    assert sandbox.count(operationId="allocateNumber",
                         path_params={"ring_pool_id": pool["id"]}, status=200) == 1

Rules:
* Control requests (``/_sandbox/...``) carry the admin token, when given, in
  ``X-Sandbox-Admin-Token``; contract requests never do (they carry what the caller passes).
* A control request the sandbox refuses raises :class:`SandboxClientError` (status and body);
  :meth:`SandboxClient.request` answers whatever the sandbox answers, errors included.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

__all__ = ["ADMIN_HEADER", "Answer", "SandboxClient", "SandboxClientError"]

#: the control API's admin token header (the server's ``--admin-token``)
ADMIN_HEADER = "X-Sandbox-Admin-Token"


class SandboxClientError(RuntimeError):
    """A control request the sandbox refused (or could not be reached)."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path} -> {status}: {body[:500]}")
        self.status = status
        self.body = body


class Answer:
    """What the sandbox answered: ``status``, ``headers``, ``body`` (bytes), :meth:`json`."""

    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status = status
        self.headers: dict[str, str] = dict(headers.items())
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body) if self.body.strip() else None

    def __repr__(self) -> str:
        return f"Answer(status={self.status}, body={self.text[:80]!r})"


class SandboxClient:
    """The control API of the sandbox at ``base_url`` (and plain requests to its routes)."""

    def __init__(self, base_url: str, admin_token: str | None = None, *,
                 timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.admin_token = admin_token
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"SandboxClient({self.base_url!r})"

    # ------------------------------------------------------------------ any request

    def request(self, method: str, path: str, *,
                query: Mapping[str, Any] | list[tuple[str, str]] | None = None,
                json_body: Any = None, data: Mapping[str, Any] | bytes | None = None,
                headers: Mapping[str, str] | None = None) -> Answer:
        """One request to ``path`` (``/api/...`` or ``/_sandbox/...``): ``json_body`` is sent
        as JSON, ``data`` as a form (or raw bytes); answers whatever the sandbox answers."""
        url = self.base_url + path
        if query:
            url += ("&" if "?" in path else "?") + urlencode(query, doseq=True)
        sent = dict(headers or {})
        body: bytes | None = None
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent.setdefault("Content-Type", "application/json")
        elif isinstance(data, bytes):
            body = data
        elif data is not None:
            body = urlencode(data, doseq=True).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if path.startswith("/_sandbox/") and self.admin_token:
            sent[ADMIN_HEADER] = self.admin_token
        outgoing = urllib.request.Request(url, data=body, headers=sent, method=method.upper())
        try:
            with urllib.request.urlopen(outgoing, timeout=self.timeout) as response:
                return Answer(response.status, response.headers, response.read())
        except urllib.error.HTTPError as error:
            with error:
                return Answer(error.code, error.headers, error.read())

    def get(self, path: str, **options: Any) -> Answer:
        return self.request("GET", path, **options)

    def post(self, path: str, **options: Any) -> Answer:
        return self.request("POST", path, **options)

    def _control(self, method: str, path: str, *, expect: tuple[int, ...] = (200, 201),
                 **options: Any) -> Any:
        try:
            answer = self.request(method, path, **options)
        except OSError as exc:
            raise SandboxClientError(method, path, 0, str(exc)) from exc
        if answer.status not in expect:
            raise SandboxClientError(method, path, answer.status, answer.text)
        return answer.json()

    # ------------------------------------------------------------------ the control API

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._control("GET", "/_sandbox/health")
        return result

    @property
    def world(self) -> dict[str, Any]:
        """The world's credentials and ids (``GET /_sandbox/world``)."""
        result: dict[str, Any] = self._control("GET", "/_sandbox/world")
        return result

    def reset(self) -> dict[str, Any]:
        """Back to the world the sandbox started with, the request journal emptied (the clock
        keeps its time: it never goes back)."""
        result: dict[str, Any] = self._control("POST", "/_sandbox/reset")
        return result

    @property
    def now(self) -> str:
        """The sandbox clock (ISO-8601)."""
        return str(self._control("GET", "/_sandbox/clock")["now"])

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the sandbox clock forward; answers ``now`` and the ``events`` it caused."""
        result: dict[str, Any] = self._control("POST", "/_sandbox/clock",
                                               json_body={"advance_seconds": seconds})
        return result

    def set_clock(self, instant: str | datetime) -> dict[str, Any]:
        """Move the sandbox clock to ``instant`` (never backwards)."""
        text = instant.isoformat() if isinstance(instant, datetime) else instant
        result: dict[str, Any] = self._control("POST", "/_sandbox/clock",
                                               json_body={"now": text})
        return result

    def call(self, promo_number: str, **fields: Any) -> dict[str, Any]:
        """An inbound call to ``promo_number`` (``POST /_sandbox/calls``; fields such as
        ``duration_seconds``, ``start_time``, ``ring_seconds``, ``talk_seconds``,
        ``custom_data``): answers its transaction."""
        result: dict[str, Any] = self._control(
            "POST", "/_sandbox/calls", json_body={"promo_number": promo_number, **fields})
        return result

    def allocations(self, ring_pool_id: int) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._control(
            "GET", "/_sandbox/allocations", query={"ring_pool_id": ring_pool_id})
        return result

    def journal(self, **filters: Any) -> list[dict[str, Any]]:
        """The request journal, oldest first, the entries matching ``filters`` (``method``,
        ``path``, ``operationId``, ``status``, ``since``, ``until``, ``body_contains``, the
        maps ``query``, ``path_params``, ``headers``, ``body`` as dicts; ``limit``: the last
        N)."""
        result: list[dict[str, Any]] = self._control(
            "GET", "/_sandbox/requests", query=_flat(filters))
        return result

    def count(self, matcher: Mapping[str, Any] | None = None, **filters: Any) -> int:
        """How many journaled requests match (``POST /_sandbox/requests/count``)."""
        result = self._control("POST", "/_sandbox/requests/count",
                               json_body={**(matcher or {}), **filters})
        return int(result["count"])

    def clear_journal(self) -> int:
        """Empty the request journal; answers how many entries it held."""
        return int(self._control("DELETE", "/_sandbox/requests")["cleared"])

    def add_fault(self, **fault: Any) -> list[dict[str, Any]]:
        """Inject a fault (``operation``, ``status``, ``count``, ``probability``,
        ``latency_ms``) or turn a switch on (``switch``)."""
        result: list[dict[str, Any]] = self._control("POST", "/_sandbox/faults",
                                                     json_body=fault)
        return result

    def clear_faults(self) -> None:
        self._control("DELETE", "/_sandbox/faults")

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._control("GET", "/_sandbox/state")
        return result


def _flat(filters: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Journal filters as query parameters (maps as ``name.key``, lists repeated)."""
    pairs: list[tuple[str, str]] = []
    for name, value in filters.items():
        if value is None:
            continue
        if isinstance(value, Mapping):
            pairs += [(f"{name}.{key}", str(item)) for key, item in value.items()]
        elif isinstance(value, list | tuple | set):
            pairs += [(name, str(item)) for item in value]
        else:
            pairs.append((name, str(value)))
    return pairs
