"""A sandbox served in a thread of this process, on a free loopback port: what the
``invoca_sandbox`` pytest fixture runs (:mod:`mock_server.pytest_plugin`), usable on its own,
in the style of moto's ``ThreadedMotoServer``::

    server = ThreadedSandbox({"SEED": 7})
    server.start()
    ...  # any HTTP client on server.url
    server.stop()

Rules:
1. The real app (:func:`mock_server.app.create_app`; defaults seed 0 and a manual clock, any
   config given wins) on werkzeug's threaded server, bound before the app is built so the
   app's ``BASE_URL`` (the links it writes) is its real address; no request log.
2. :meth:`ThreadedSandbox.restart` gives the next test a fresh sandbox on the same address: a
   new platform from the same config (the world it started with and the clock back at its
   start, which ``POST /_sandbox/reset`` cannot do: a served clock never goes back), the
   request journal emptied, faults and fault switches off.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from mock_server.app import build_platform, create_app
from mock_server.faults import fault_middleware
from mock_server.state import sandbox_state

__all__ = ["DEFAULT_CONFIG", "ThreadedSandbox"]

#: the config a threaded sandbox starts from (the given config wins)
DEFAULT_CONFIG: Mapping[str, Any] = {"SEED": 0, "CLOCK": "manual"}


class _Quiet(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        return None


class ThreadedSandbox:
    """One sandbox in a daemon thread (rules 1 and 2)."""

    def __init__(self, config: Mapping[str, Any] | None = None, *, host: str = "127.0.0.1",
                 port: int = 0) -> None:
        self.config = {**DEFAULT_CONFIG, **(config or {})}
        self.host = host
        self.port = port
        self.app: Flask | None = None
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        return f"http://{self.host}:{self._server.server_port}"

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.app is not None
        return self.app(environ, start_response)

    def start(self) -> str:
        """Bind, build the app, serve; answers the base URL."""
        if self._server is not None:
            return self.url
        server = make_server(self.host, self.port, self._wsgi, threaded=True,
                             request_handler=_Quiet)
        self._server = server
        try:
            self.app = create_app({"BASE_URL": self.url, **self.config})
        except BaseException:  # a world that does not load: release the socket, then say why
            server.server_close()
            self._server = None
            raise
        self._thread = threading.Thread(target=server.serve_forever, name="invoca-sandbox",
                                        daemon=True)
        self._thread.start()
        return self.url

    def restart(self) -> None:
        """A fresh sandbox on the same address (rule 2)."""
        if self.app is None:
            raise RuntimeError("the sandbox is not started")
        state = sandbox_state(self.app)
        with state.lock:
            state.platform = build_platform(state.config)
            state.journal.clear()
        fault_middleware(self.app).clear()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> ThreadedSandbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
