"""A tiny stand-in sandbox with one deliberately broken allocation rule, to test the tests.

It serves just what the allocation suite uses (health, world, reset, clock, calls, the
RingPool listing, legacy allocation in three formats, network transactions) for one pool of
``max_pool_size`` 3 and ``lifetime_seconds`` 60. ``mode`` picks the behaviour:

* ``correct``: the rules (idle-longest reuse, overflow only when all numbers are held);
* ``reuse_held_number``: hands out a number that is still held;
* ``early_overflow``: serves the overflow number while numbers are free;
* ``skip_recycling``: never frees a number, so the pool overflows for good once full;
* ``misattribute``: attributes every call to the first allocation ever made.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

START = datetime(2016, 10, 1, tzinfo=UTC)
NUMBERS = ("8005550101", "8005550102", "8005550103")
OVERFLOW = "8005550199"
LIFETIME = timedelta(seconds=60)
MODES = ("correct", "reuse_held_number", "early_overflow", "skip_recycling", "misattribute")


@dataclass
class BrokenSandbox:
    mode: str
    now: datetime = START
    #: number -> (token, allocated_at) of its latest allocation
    latest: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    first_token: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.now, self.latest, self.first_token, self.calls = START, {}, "", []

    def held(self, number: str) -> bool:
        entry = self.latest.get(number)
        if entry is None:
            return False
        return self.mode == "skip_recycling" or self.now < entry[1] + LIFETIME

    def allocate(self, token: str) -> str:
        self.first_token = self.first_token or token
        free = [n for n in NUMBERS if not self.held(n)]
        if self.mode == "reuse_held_number" and self.latest:
            number = next(iter(self.latest))
        elif (self.mode == "early_overflow" and len(free) < len(NUMBERS)) or not free:
            return OVERFLOW
        else:
            number = min(free, key=lambda n: self.latest.get(n, ("", START - LIFETIME))[1])
        self.latest[number] = (token, self.now)
        return number

    def call(self, number: str) -> dict[str, Any]:
        entry = self.latest.get(number)
        token = entry[0] if entry else ""
        if self.mode == "misattribute" and entry:
            token = self.first_token
        transaction = {"transaction_id": f"T{len(self.calls) + 1}", "transaction_type": "Call",
                       "complete_call_id": f"T{len(self.calls) + 1}", "duration": 60,
                       "start_time_utc": int(self.now.timestamp() * 1000),
                       "dynamic_number_pool_referrer_param1_value": token}
        self.calls.append(transaction)
        return transaction

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ["REQUEST_METHOD"]
        path = environ["PATH_INFO"]
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"null") if length else None
        status, content_type, payload = self.route(method, path, query, body)
        start_response(status, [("Content-Type", content_type),
                                ("Allow", "GET, POST, OPTIONS")])
        return [payload.encode()]

    def route(self, method: str, path: str, query: dict[str, str],
              body: Any) -> tuple[str, str, str]:
        iso = self.now.isoformat().replace("+00:00", "Z")
        if method == "OPTIONS":
            return "200 OK", "text/plain", ""
        if path == "/_sandbox/health":
            return _json({"status": "ok", "now": iso})
        if path == "/_sandbox/world":
            return _json({"network_id": 1, "api_token": "token",
                          "advertiser_id_from_network": "adv-1",
                          "advertiser_campaign_id_from_network": "camp-1",
                          "ring_pool": {"id": 1, "id_from_network": "rp-1", "api_key": "KEY"}})
        if path == "/_sandbox/reset":
            self.reset()
            return _json({"status": "ok"})
        if path == "/_sandbox/clock":
            if method == "POST":
                self.now += timedelta(seconds=float(body["advance_seconds"]))
            return _json({"now": self.now.isoformat().replace("+00:00", "Z")})
        if path == "/_sandbox/calls":
            return _json(self.call(str(body["promo_number"])), "201 Created")
        if path.endswith("/ring_pools.json"):
            return _json([{"id": 1, "id_from_network": "rp-1", "max_pool_size": len(NUMBERS),
                           "lifetime_seconds": int(LIFETIME.total_seconds()),
                           "overflow_number": OVERFLOW, "bulk": False}])
        if "/networks/transactions/" in path:
            return _json(self.calls)
        if "/allocate_number." in path:
            return self.allocation(path.rsplit(".", 1)[1], self.allocate(query["param1"]))
        return "404 Not Found", "application/json", "{}"

    @staticmethod
    def allocation(fmt: str, number: str) -> tuple[str, str, str]:
        formatted = f"{number[:3]}-{number[3:6]}-{number[6:]}"
        if fmt == "xml":
            return ("200 OK", "application/xml",
                    f"<Response><PromoNumberFormatted>{formatted}</PromoNumberFormatted>"
                    f"<PromoNumber>{number}</PromoNumber><TrackingUrl>u</TrackingUrl></Response>")
        if fmt == "csv":
            return ("200 OK", "text/csv",
                    f"PromoNumberFormatted,PromoNumber,TrackingUrl\r\n{formatted},{number},u\r\n")
        return _json({"promo_number_formatted": formatted, "promo_number": number,
                      "tracking_url": "u"})


def _json(value: Any, status: str = "200 OK") -> tuple[str, str, str]:
    return status, "application/json", json.dumps(value)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def serving(mode: str) -> Iterator[str]:
    """The broken sandbox on a free loopback port, in a thread; yields its base URL."""
    server: WSGIServer = make_server("127.0.0.1", 0, BrokenSandbox(mode),
                                     handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
