"""The contract suites against a live sandbox (a subprocess on a free loopback port), as it is
and with a fault switch on: they pass where the contract holds, fail where it breaks.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openapi.docs_expectations import expected_failures

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fetch(url: str, method: str = "GET") -> Any:
    request = urllib.request.Request(url, method=method)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


@pytest.fixture(scope="module")
def sandbox_url() -> Iterator[str]:
    """``invoca-sandbox serve`` with a manual clock, on a free port, for this module."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mock_server.cli", "serve", "--port", str(port), "--seed", "0",
         "--clock", "manual", "--server", "granian", "--threads", "4"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, "the sandbox exited at start-up"
            try:
                fetch(f"{base}/_sandbox/health")
                break
            except OSError:
                assert time.monotonic() < deadline, "the sandbox did not answer"
                time.sleep(0.1)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def contract(*args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mock_server.cli", "contract", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False,
    )


def summary(output: str) -> str:
    return output.split("invoca contract summary", 1)[-1]


@pytest.mark.slow
def test_every_suite_passes_when_run_with_the_ci_profile_against_the_sandbox(
        sandbox_url: str, tmp_path: Path) -> None:
    junit = tmp_path / "contract.xml"
    result = contract("--base-url", sandbox_url, "--profile", "ci", "--junit-xml", str(junit))
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    covered = re.search(r"operations covered: (\d+) of (\d+)", result.stdout)
    assert covered is not None and covered.group(1) == covered.group(2), result.stdout[-3000:]
    cases = re.search(r"cases run: +(\d+)", result.stdout)
    assert cases is not None and int(cases.group(1)) > 1000
    assert "failures:           0 distinct" in result.stdout
    assert "<testsuite" in junit.read_text(encoding="utf-8")


def test_read_only_run_changes_nothing_when_pointed_at_the_sandbox(sandbox_url: str) -> None:
    fetch(f"{sandbox_url}/_sandbox/reset", method="POST")
    before = fetch(f"{sandbox_url}/_sandbox/state")
    result = contract("--base-url", sandbox_url, "--read-only", "--profile", "dev")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "--read-only" in summary(result.stdout)
    assert fetch(f"{sandbox_url}/_sandbox/state") == before


def test_same_seed_gives_the_same_summary_when_run_twice(sandbox_url: str) -> None:
    runs = [contract("--base-url", sandbox_url, "--profile", "dev", "--seed", "7",
                     "--suite", "allocation") for _ in range(2)]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stdout[-3000:]
    first, second = (re.sub(r" in [0-9.]+s", "", summary(run.stdout)) for run in runs)
    assert first == second
    assert "cases run:" in first


def test_error_suite_passes_when_loaded_as_a_pytest_plugin(sandbox_url: str) -> None:
    suite = ROOT / "contracts" / "suites" / "test_errors.py"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "contracts.plugin", str(suite), "-c", "/dev/null",
         "--rootdir", str(suite.parent), "-p", "no:cacheprovider", "-q",
         "--base-url", sandbox_url],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "invoca contract summary" in result.stdout


def test_docs_suite_passes_when_only_the_table_s_examples_fail(sandbox_url: str) -> None:
    result = contract("--base-url", sandbox_url, "--suite", "docs")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "docs_example" in summary(result.stdout)
    xfailed = re.search(r"(\d+) xfailed", result.stdout)
    assert (int(xfailed.group(1)) if xfailed else 0) == len(expected_failures())
    passed = re.search(r"(\d+) passed", result.stdout)
    assert passed is not None and int(passed.group(1)) > 200


def test_docs_suite_fails_when_the_sandbox_renames_an_xml_element(sandbox_url: str) -> None:
    fetch(f"{sandbox_url}/_sandbox/reset", method="POST")
    assert post_json(f"{sandbox_url}/_sandbox/faults", {"switch": "xml_element_renamed"}) < 300
    try:
        result = contract("--base-url", sandbox_url, "--suite", "docs")
    finally:
        fetch(f"{sandbox_url}/_sandbox/faults", method="DELETE")
        fetch(f"{sandbox_url}/_sandbox/reset", method="POST")
    assert result.returncode == 1, result.stdout[-3000:]
    assert "ringpool.rst:37: Response/PromoNumber: missing" in summary(result.stdout)


def test_docs_suite_is_skipped_with_one_reason_when_the_target_is_read_only(
        sandbox_url: str) -> None:
    result = contract("--base-url", sandbox_url, "--suite", "docs", "--read-only")
    assert result.returncode == 0, result.stdout[-3000:]
    assert summary(result.stdout).count("--read-only: the documented examples") == 1


def test_bounds_suite_passes_when_the_sandbox_refuses_every_hostile_input(
        sandbox_url: str) -> None:
    fetch(f"{sandbox_url}/_sandbox/reset", method="POST")
    result = contract("--base-url", sandbox_url, "--profile", "dev", "--suite", "bounds")
    assert result.returncode == 0, result.stdout[-4000:]
    cases = re.search(r"cases run: +(\d+)", result.stdout)
    assert cases is not None and int(cases.group(1)) > 1000, result.stdout[-3000:]
    assert "bounds" in summary(result.stdout)


def test_cli_exits_with_status_2_when_the_target_does_not_answer() -> None:
    result = contract("--base-url", f"http://127.0.0.1:{free_port()}", timeout=60)
    assert result.returncode == 2
    assert "does not answer" in result.stderr


def test_sms_suite_passes_when_run_against_the_sandbox(sandbox_url: str) -> None:
    fetch(f"{sandbox_url}/_sandbox/reset", method="POST")
    result = contract("--base-url", sandbox_url, "--suite", "sms")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "sms_messaging" in summary(result.stdout)
    assert "2 passed" in result.stdout


def test_suites_needing_control_are_skipped_with_a_reason_when_the_target_has_none(
        sandbox_url: str) -> None:
    # the sandbox asked at a prefix where nothing answers /_sandbox/health
    result = contract("--base-url", sandbox_url + "/elsewhere", "--profile", "dev",
                      "--suite", "allocation", "--network-id", "1", "--ring-pool", "1:KEY")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "has no /_sandbox/health" in result.stdout


#: fault switch -> the suites that must catch it (each run with the dev profile) and, for the
#: allocation rules, the check that fails. The request that turns a switch on is
#: ``POST /_sandbox/faults {"switch": NAME}``; ``DELETE /_sandbox/faults`` turns every switch off.
SWITCHES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "reuse_held_number": (("allocation",), "allocation.no_double_hold"),
    "skip_recycling": (("allocation",), "allocation.overflow_only_when_full"),
    "early_overflow": (("allocation",), "allocation.overflow_only_when_full"),
    "misattribute": (("allocation",), "allocation.call_attribution"),
    "wrong_error_shape": (("errors",), None),
    "wrong_upsert_status": (("idempotency",), None),
    "xml_element_renamed": (("allocation", "errors"), None),
    "csv_header_renamed": (("allocation",), None),
    "ignore_auth": (("errors",), None),
    "unbounded_input": (("bounds",), "bounds"),
}


def post_json(url: str, body: Any) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.parametrize("switch", sorted(SWITCHES))
def test_some_check_fails_when_a_fault_switch_is_on(switch: str, sandbox_url: str) -> None:
    fetch(f"{sandbox_url}/_sandbox/reset", method="POST")
    status = post_json(f"{sandbox_url}/_sandbox/faults", {"switch": switch})
    assert status < 300, f"the sandbox refused fault switch {switch!r} ({status})"
    suite_names, check = SWITCHES[switch]
    try:
        suites = [arg for name in suite_names for arg in ("--suite", name)]
        result = contract("--base-url", sandbox_url, "--profile", "dev", *suites)
    finally:
        fetch(f"{sandbox_url}/_sandbox/faults", method="DELETE")
        fetch(f"{sandbox_url}/_sandbox/reset", method="POST")
    assert result.returncode == 1, f"{switch} went unnoticed:\n{result.stdout[-3000:]}"
    assert re.search(r"failures: +[1-9]", summary(result.stdout)), result.stdout[-3000:]
    if check is not None:
        assert f"\n{check}: " in summary(result.stdout), result.stdout[-3000:]

