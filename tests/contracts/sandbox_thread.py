"""The sandbox served in a thread on a free loopback port: a target for the tests of contracts/
that need one without starting a subprocess.

It is the real app (``create_app``, seed 0, manual clock, plus any ``config`` given). Tests
that need it misbehaving turn a fault switch on through its control API (``POST
/_sandbox/faults {"switch": NAME}``), as any client would: the one implementation of
deliberate misbehaviour is :mod:`mock_server.faults`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from mock_server.app import create_app


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


@contextmanager
def serving(config: Mapping[str, Any] | None = None) -> Iterator[str]:
    """A fresh sandbox on a free loopback port, in a thread; yields its base URL."""
    app = create_app({"SEED": 0, "CLOCK": "manual", **(config or {})})
    server: WSGIServer = make_server("127.0.0.1", 0, app, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
