"""The ``invoca_sandbox`` pytest fixture: declared as a ``pytest11`` entry point, and used by
tests of another project (pytester, in a subprocess, as a user's suite would run it)."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

ROOT = Path(__file__).resolve().parents[1]

USER_TESTS = '''
ALLOCATE = "/api/2015-12-09/ring_pools/{id}/allocate_number.json"


def allocate(sandbox, pool, times):
    for _ in range(times):
        answer = sandbox.get(ALLOCATE.format(id=pool["id"]),
                             query={"ring_pool_key": pool["api_key"]})
        assert answer.status == 200


def test_counts_allocations_of_one_pool(invoca_sandbox):
    pool = invoca_sandbox.world["ring_pool"]
    allocate(invoca_sandbox, pool, 3)
    assert invoca_sandbox.count(operationId="allocateNumber",
                                path_params={"ring_pool_id": pool["id"]}, status=200) == 3
    invoca_sandbox.advance(86400)
    invoca_sandbox.add_fault(operation="allocateNumber", status=500)


def test_starts_afresh_after_another_test(invoca_sandbox):
    assert invoca_sandbox.now == "2016-10-01T00:00:00Z"
    assert invoca_sandbox.journal() == []
    allocate(invoca_sandbox, invoca_sandbox.world["ring_pool"], 1)


def test_uses_the_configured_world(invoca_sandbox, invoca_sandbox_server):
    assert invoca_sandbox.base_url == invoca_sandbox_server.url
    assert invoca_sandbox.base_url.startswith("http://127.0.0.1:")
    assert invoca_sandbox.health()["strict"] is True
'''

CONFTEST = '''
import pytest


@pytest.fixture(scope="session")
def invoca_sandbox_config():
    return {"STRICT": True}
'''


def test_plugin_is_declared_when_the_package_is_installed() -> None:
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["entry-points"]
    assert declared["pytest11"] == {"invoca_sandbox": "mock_server.pytest_plugin"}
    installed = {entry.name: entry.value
                 for entry in metadata.entry_points(group="pytest11")}
    assert installed.get("invoca_sandbox") == "mock_server.pytest_plugin"


@pytest.mark.server
def test_fixture_serves_a_fresh_sandbox_to_each_test_when_used_by_a_suite(
        pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)


def test_fixture_hands_out_a_client_when_used_directly(invoca_sandbox: object) -> None:
    client = invoca_sandbox
    assert client.health()["status"] == "ok"  # type: ignore[attr-defined]
    assert client.clear_journal() == 0  # type: ignore[attr-defined]
