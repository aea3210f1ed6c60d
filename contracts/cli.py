"""``invoca-sandbox contract``: run the contract suites against a base URL.

Usage::

    invoca-sandbox contract --base-url URL [--token T | --basic USER:PASS] [--network-id N]
                            [--admin-token TOKEN]
                            [--ring-pool ID:KEY] [--bulk-ring-pool ID:KEY] [--read-only]
                            [--profile dev|ci|deep] [--seed N] [--junit-xml FILE]
                            [--suite conformance|allocation|errors|idempotency|docs|bounds|
                                     ingestion|tags|sms ...]

It runs the suites of ``contracts/suites`` with pytest and the :mod:`contracts.plugin`, isolated
from the caller's pytest configuration (``-c /dev/null``), then prints the summary: operations
covered, cases run, failures grouped by check, each with its message (once, whole) and the curl
commands of the requests that led up to it, the failing one last (:mod:`contracts.reproduction`).
Exit status: 0 only when nothing failed; 1 when something failed; 2 for a usage error or an
unreachable target.

Choices: ``--profile`` defaults to ``ci`` (bounded and repeatable); ``--seed`` defaults to 0
(same seed and same target state, same cases).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

import pytest
import requests
from hypothesis import settings

from contracts.plugin import SUITES
from contracts.profile import PROFILES

#: suite name -> module under contracts/suites
SUITE_MODULES = {
    "conformance": "test_conformance.py",
    "allocation": "test_allocation.py",
    "errors": "test_errors.py",
    "idempotency": "test_idempotency.py",
    "docs": "test_docs_examples.py",
    "bounds": "test_bounds.py",
    "ingestion": "test_call_ingestion.py",
    "tags": "test_tags.py",
    "sms": "test_sms.py",
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="invoca-sandbox contract",
        description="Fuzz a deployment of Invoca's APIs (the sandbox or a real network) "
                    "against the contract.")
    p.add_argument("--base-url", required=True, help="base URL of the deployment under test")
    auth = p.add_mutually_exclusive_group()
    auth.add_argument("--token", help="API token (default: the sandbox world's)")
    auth.add_argument("--basic", metavar="USER:PASS", help="HTTP Basic credentials")
    p.add_argument("--network-id", type=int, help="network id (default: the sandbox world's)")
    p.add_argument("--admin-token", metavar="TOKEN",
                   help="the sandbox's admin token, for its control API "
                        "(default: $INVOCA_SANDBOX_ADMIN_TOKEN)")
    p.add_argument("--ring-pool", metavar="ID:KEY", help="legacy RingPool id and key")
    p.add_argument("--bulk-ring-pool", metavar="ID:KEY", help="Bulk RingPool id and key")
    p.add_argument("--read-only", action="store_true",
                   help="skip every operation that changes state (production networks)")
    p.add_argument("--profile", choices=sorted(PROFILES), default="ci",
                   help="dev (fast), ci (bounded, repeatable; default), deep (many examples)")
    p.add_argument("--seed", type=int, default=0, help="seed of the generated cases (default 0)")
    p.add_argument("--junit-xml", metavar="FILE", help="write a JUnit XML report")
    p.add_argument("--suite", action="append", choices=sorted(SUITE_MODULES),
                   help="run only this suite (repeatable; default: all)")
    p.add_argument("--verbose", "-v", action="store_true", help="show every failing test")
    return p


#: the Hypothesis profile of a CLI run: no example database, so a run depends only on its seed
#: and the target (a team's own ``.hypothesis/`` examples never leak in)
HYPOTHESIS_PROFILE = "invoca-contract"


def pytest_args(options: argparse.Namespace) -> list[str]:
    """The pytest command line that runs the chosen suites with the plugin."""
    suites = options.suite or list(SUITE_MODULES)
    args = [str(SUITES / SUITE_MODULES[name]) for name in suites]
    args += ["-p", "contracts.plugin", "-c", os.devnull, "--rootdir", str(SUITES),
             "-p", "no:cacheprovider", "-q", "--no-header",
             "--tb=short" if options.verbose else "--tb=no",
             # our summary names each failure once; pytest's own would repeat it
             "-rfE" if options.verbose else "-rN",
             "-W", "ignore::pytest.PytestAssertRewriteWarning",
             "--base-url", options.base_url, "--profile", options.profile,
             "--contract-seed", str(options.seed), f"--hypothesis-seed={options.seed}",
             f"--hypothesis-profile={HYPOTHESIS_PROFILE}"]
    for flag in ("token", "basic", "network_id", "ring_pool", "bulk_ring_pool", "admin_token"):
        value = getattr(options, flag)
        if value is not None:
            args += [f"--{flag.replace('_', '-')}", str(value)]
    if options.read_only:
        args.append("--read-only")
    if options.junit_xml:
        args += ["--junit-xml", options.junit_xml]
    return args


def reachable(base_url: str) -> str | None:
    """``None`` when something answers at ``base_url``; else why not."""
    try:
        requests.get(base_url, timeout=10)
    except requests.RequestException as exc:
        return f"{base_url} does not answer: {exc.__class__.__name__}: {exc}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        options = parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return int(exc.code or 0)
    problem = reachable(options.base_url)
    if problem is not None:
        print(f"invoca-sandbox contract: {problem}", file=sys.stderr)
        return 2
    settings.register_profile(HYPOTHESIS_PROFILE, database=None, deadline=None)
    status = pytest.main(pytest_args(options))
    if status in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        return 0
    if status == pytest.ExitCode.USAGE_ERROR:
        return 2
    return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
