"""The ``invoca_sandbox`` pytest fixture (plugin entry point ``pytest11``: installing the
package registers it): a sandbox in a thread of the test process and a client of it.

    def test_allocates_for_pool(invoca_sandbox):
        pool = invoca_sandbox.world["ring_pool"]
        my_code_under_test(base_url=invoca_sandbox.base_url)
        assert invoca_sandbox.count(operationId="allocateNumber",
                                    path_params={"ring_pool_id": pool["id"]}) == 3

Fixtures:
* ``invoca_sandbox_config`` (session): the app config, ``{}`` by default (seed 0, manual
  clock at 2016-10-01T00:00:00Z); override it in a ``conftest.py`` for another seed, world
  (``{"WORLD": {...}}``), strictness, admin token...
* ``invoca_sandbox_server`` (session): the :class:`~mock_server.threaded.ThreadedSandbox`,
  started once on a free 127.0.0.1 port, stopped at the end of the session.
* ``invoca_sandbox`` (function): a fresh sandbox for each test (the start world, the clock
  at its start, an empty journal, no faults: :meth:`ThreadedSandbox.restart`) and a
  ``client.sandbox.SandboxClient`` of it (``base_url``, ``advance``, ``call``, ``world``,
  ``journal``, ``count``...).

Like ``mock_server/cli.py`` this module is a composition root: it reaches ``client.sandbox``
by module name when a test asks for the client, adding no import edge from mock_server/ to
client/ (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

#: the module of the client the fixture hands out (reached by name: a composition root)
CLIENT_MODULE = "client.sandbox"


@pytest.fixture(scope="session")
def invoca_sandbox_config() -> Mapping[str, Any]:
    """The sandbox's app config (override in a conftest.py)."""
    return {}


@pytest.fixture(scope="session")
def invoca_sandbox_server(invoca_sandbox_config: Mapping[str, Any]) -> Iterator[Any]:
    """One sandbox for the session, in a thread, on a free loopback port."""
    from mock_server.threaded import ThreadedSandbox  # noqa: PLC0415 - only when used

    server = ThreadedSandbox(invoca_sandbox_config)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def invoca_sandbox(invoca_sandbox_server: Any) -> Any:
    """A fresh sandbox for this test and a client of its control API."""
    invoca_sandbox_server.restart()
    client = importlib.import_module(CLIENT_MODULE)
    return client.SandboxClient(invoca_sandbox_server.url,
                                admin_token=invoca_sandbox_server.config.get("ADMIN_TOKEN"))
