"""The contract suites as a pytest plugin: ``pytest -p contracts.plugin --base-url URL ...``.

Options (group "invoca contract"): ``--base-url`` (or ``INVOCA_BASE_URL``), ``--token``,
``--basic USER:PASS``, ``--network-id``, ``--ring-pool ID:KEY``, ``--bulk-ring-pool ID:KEY``,
``--read-only``, ``--profile dev|ci|deep``, ``--contract-seed N``, ``--spec FILE``,
``--admin-token`` (or ``INVOCA_SANDBOX_ADMIN_TOKEN``: sent on control requests only).

Fixtures: ``contract_target`` (the probed :class:`~contracts.target.Target`),
``contract_profile``, ``contract_report`` (the run's :class:`~contracts.report.Report`),
``contract_schema`` (the schemathesis schema bound to the target).

Reproductions: every request of a test is recorded (:mod:`contracts.reproduction`; the
scenario starts with the test, or at its last reset); a failure, recorded by its suite or, for a
test that failed without recording one, by :func:`pytest_runtest_makereport`, is printed in the
summary with the curl commands that led up to it.

Markers: ``@pytest.mark.needs("clock", "calls", ...)`` skips, with the reason printed, where the
target lacks a capability; ``@pytest.mark.changes_state`` skips under ``--read-only``.

pytest reads ``pytest_addoption`` only from plugins and initial conftests, which is why this is a
plugin loaded with ``-p`` and not a conftest inside ``contracts/suites``.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest
import yaml

from contracts.conformance import default_spec, load_schema
from contracts.profile import PROFILES, Profile
from contracts.report import FailureRecord, Report
from contracts.target import (
    ADMIN_ENV,
    ADMIN_HEADER,
    RingPoolCredentials,
    Target,
    parse_basic,
    probe,
)

REPORT_KEY = pytest.StashKey[Report]()
TARGET_KEY = pytest.StashKey[Target]()
SCHEMA_KEY = pytest.StashKey[Any]()

#: where the suites live (``pytest -p contracts.plugin <SUITES>``)
SUITES = Path(__file__).resolve().parent / "suites"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("invoca contract", "Invoca contract suites (contracts.plugin)")
    group.addoption("--base-url", default=os.environ.get("INVOCA_BASE_URL"),
                    help="base URL of the deployment under test (env INVOCA_BASE_URL)")
    group.addoption("--token", default=os.environ.get("INVOCA_API_TOKEN"),
                    help="API token (Authorization header); default: the sandbox world's")
    group.addoption("--basic", default=None, metavar="USER:PASS", help="HTTP Basic credentials")
    group.addoption("--network-id", type=int, default=None, help="network id")
    group.addoption("--ring-pool", default=None, metavar="ID:KEY",
                    help="legacy RingPool id and key")
    group.addoption("--bulk-ring-pool", default=None, metavar="ID:KEY",
                    help="Bulk RingPool id and key")
    group.addoption("--admin-token", default=os.environ.get(ADMIN_ENV) or None, metavar="TOKEN",
                    help=f"the sandbox's admin token, sent as {ADMIN_HEADER} on control "
                         f"requests (env {ADMIN_ENV})")
    group.addoption("--read-only", action="store_true", default=False,
                    help="skip every operation that changes state (production networks)")
    group.addoption("--profile", choices=sorted(PROFILES), default="dev",
                    help="how hard to push: dev (fast), ci (bounded, derandomized), deep")
    group.addoption("--contract-seed", type=int, default=None, help="seed of the generated cases")
    group.addoption("--spec", type=Path, default=None,
                    help="OpenAPI contract (default: the packaged openapi/invoca.yaml)")


#: the running session's config: the conformance suite builds its schema at collection time
#: (schemathesis' lazy ``from_fixture`` does not work with pytest 9.2)
_ACTIVE: list[pytest.Config] = []


def pytest_configure(config: pytest.Config) -> None:
    _ACTIVE[:] = [config]
    config.addinivalue_line("markers", "needs(*capabilities): the target must offer these "
                                       "capabilities (sandbox, world, reset, clock, calls, faults)")
    config.addinivalue_line("markers", "changes_state: skipped under --read-only")
    config.stash[REPORT_KEY] = Report()


def _credentials(text: str | None, option: str) -> RingPoolCredentials | None:
    if text is None:
        return None
    try:
        return RingPoolCredentials.parse(text)
    except ValueError as exc:
        raise pytest.UsageError(f"{option}: {exc}") from None


def _target(config: pytest.Config) -> Target:
    if TARGET_KEY in config.stash:
        return config.stash[TARGET_KEY]
    base_url = config.getoption("--base-url")
    if not base_url:
        raise pytest.UsageError("contracts.plugin needs --base-url URL (or INVOCA_BASE_URL)")
    basic_text = config.getoption("--basic")
    try:
        basic = parse_basic(basic_text) if basic_text else None
    except ValueError as exc:
        raise pytest.UsageError(f"--basic: {exc}") from None
    target = probe(
        str(base_url),
        token=config.getoption("--token"),
        basic=basic,
        network_id=config.getoption("--network-id"),
        ring_pool=_credentials(config.getoption("--ring-pool"), "--ring-pool"),
        bulk_ring_pool=_credentials(config.getoption("--bulk-ring-pool"), "--bulk-ring-pool"),
        read_only=bool(config.getoption("--read-only")),
        admin_token=config.getoption("--admin-token"),
    )
    config.stash[TARGET_KEY] = target
    config.stash[REPORT_KEY].reproduce = target.reproduction
    return target


def pytest_runtest_setup(item: pytest.Item) -> None:
    item.config.stash[REPORT_KEY].current_test = item.nodeid
    if TARGET_KEY in item.config.stash:
        item.config.stash[TARGET_KEY].recorder.start()
    needs = [name for mark in item.iter_markers("needs") for name in mark.args]
    changes = item.get_closest_marker("changes_state") is not None
    if not needs and not changes:
        return
    target = _target(item.config)
    report = item.config.stash[REPORT_KEY]
    if changes and target.read_only:
        reason = f"--read-only: {item.name} changes state"
        report.skipped.append(reason)
        pytest.skip(reason)
    for capability in needs:
        if not target.has(capability):
            reason = f"{item.name}: {target.missing_reason(capability)}"
            report.skipped.append(reason)
            pytest.skip(reason)


def pytest_report_header(config: pytest.Config) -> list[str]:
    if not config.getoption("--base-url"):
        return []
    target = _target(config)
    return [f"contract target: {target.base_url} capabilities: "
            f"{', '.join(sorted(target.capabilities)) or 'none'}"
            + (" (read-only)" if target.read_only else "")]


@pytest.fixture(scope="session")
def contract_target(pytestconfig: pytest.Config) -> Target:
    return _target(pytestconfig)


@pytest.fixture(scope="session")
def contract_profile(pytestconfig: pytest.Config) -> Profile:
    return PROFILES[str(pytestconfig.getoption("--profile"))]


@pytest.fixture(scope="session")
def contract_seed(pytestconfig: pytest.Config) -> int | None:
    seed: int | None = pytestconfig.getoption("--contract-seed")
    return seed


@pytest.fixture(scope="session")
def contract_report(pytestconfig: pytest.Config) -> Report:
    return pytestconfig.stash[REPORT_KEY]


def session_schema(config: pytest.Config | None = None) -> Any:
    """The schemathesis schema of this session, bound to the target (built once)."""
    config = config or (_ACTIVE[0] if _ACTIVE else None)
    if config is None:
        raise RuntimeError("contracts.plugin is not loaded (pytest -p contracts.plugin)")
    if SCHEMA_KEY not in config.stash:
        schema = load_schema(_target(config), PROFILES[str(config.getoption("--profile"))],
                             spec=config.getoption("--spec"),
                             seed=config.getoption("--contract-seed"))
        config.stash[REPORT_KEY].operations.update(
            result.ok().label for result in schema.get_all_operations())
        config.stash[SCHEMA_KEY] = schema
    return config.stash[SCHEMA_KEY]


@pytest.fixture(scope="session")
def contract_schema(pytestconfig: pytest.Config) -> Any:
    return session_schema(pytestconfig)


@pytest.fixture
def reset_target(contract_target: Target) -> Target:
    """The target, reset to its seeded world first when it can be (for suites that need it)."""
    if contract_target.has("reset"):
        contract_target.reset()
    return contract_target


def contract_operations(spec: Path | None) -> set[str]:
    """Every operation of the contract as ``METHOD /path``."""
    document = yaml.safe_load((spec or default_spec()).read_text(encoding="utf-8"))
    return {f"{method.upper()} {path}" for path, item in document.get("paths", {}).items()
            for method, operation in item.items()
            if isinstance(operation, dict) and "operationId" in operation}


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int,
                            config: pytest.Config) -> None:
    if REPORT_KEY not in config.stash or TARGET_KEY not in config.stash:
        return
    report = config.stash[REPORT_KEY]
    if not report.operations:
        report.operations.update(contract_operations(config.getoption("--spec")))
    failed = len(terminalreporter.stats.get("failed", []))
    terminalreporter.section("invoca contract summary")
    terminalreporter.write_line(report.summary(base_url=config.stash[TARGET_KEY].base_url,
                                               tests_failed=failed))


#: the check of a test that failed without recording a failure of its own
FAILED_TEST = "failed_test"


def _failure_text(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    """A failed test's message: ``pytest.fail``'s text, else the exception's last line."""
    if isinstance(excinfo.value, pytest.fail.Exception):
        return str(excinfo.value.msg or "")
    return excinfo.exconly()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A test that failed without recording a failure (a suite's own ``pytest.fail``, an
    unexpected exception) is recorded too, with the requests it sent: every failure is in the
    summary, once."""
    report = yield
    _record_unrecorded(item, call, report)
    return report


def _record_unrecorded(item: pytest.Item, call: pytest.CallInfo[None],
                       report: pytest.TestReport) -> None:
    config = item.config
    if (not report.failed or call.excinfo is None or REPORT_KEY not in config.stash
            or TARGET_KEY not in config.stash):
        return
    contract = config.stash[REPORT_KEY]
    if contract.recorded_by(item.nodeid):
        return
    text = _failure_text(call.excinfo).strip() or "failed"
    contract.record_failure(FailureRecord(
        check=FAILED_TEST, operation=item.name, title=text.splitlines()[0], message=text,
        curl="", suite=Path(str(item.path)).stem.removeprefix("test_"), test=item.nodeid))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _ACTIVE and REPORT_KEY in _ACTIVE[0].stash and hasattr(report, "wasxfail"):
        _ACTIVE[0].stash[REPORT_KEY].mark_expected(report.nodeid)
