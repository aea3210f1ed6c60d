"""Capability probing and credentials of a target, against the sandbox served in a thread."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from client import drive
from contracts import target as target_module
from contracts.target import ADMIN_HEADER, RingPoolCredentials, parse_basic, probe
from mock_server import admin
from tests.contracts.sandbox_thread import serving

ROOT = Path(__file__).resolve().parents[2]


def world_of(base_url: str) -> Any:
    with urllib.request.urlopen(f"{base_url}/_sandbox/world", timeout=30) as response:
        return json.loads(response.read())


def test_capabilities_and_credentials_come_from_the_control_api_when_it_answers() -> None:
    with serving() as base_url:
        target = probe(base_url)
        world = world_of(base_url)
    assert {"sandbox", "world", "reset", "clock", "calls", "faults"} <= target.capabilities
    assert target.token == world["api_token"]
    assert target.network_id == world["network_id"]
    assert target.ring_pool == RingPoolCredentials(world["ring_pool"]["id"],
                                                   world["ring_pool"]["api_key"])
    assert target.auth_headers() == {"Authorization": world["api_token"]}


def test_explicit_credentials_win_when_given_with_a_world() -> None:
    with serving() as base_url:
        target = probe(base_url, token="mine", network_id=9,
                       ring_pool=RingPoolCredentials(4, "OTHER"))
    assert (target.token, target.network_id, target.ring_pool) == (
        "mine", 9, RingPoolCredentials(4, "OTHER"))


def test_control_capabilities_are_dropped_when_read_only() -> None:
    with serving() as base_url:
        target = probe(base_url, read_only=True)
    assert target.capabilities & {"reset", "clock", "calls", "faults"} == set()
    assert "--read-only" in target.missing_reason("clock")


def test_target_has_no_capabilities_when_nothing_answers_health() -> None:
    with serving() as base_url:
        target = probe(base_url + "/elsewhere", token="t")
    assert target.capabilities == frozenset()
    assert "has no /_sandbox/health" in target.missing_reason("reset")
    assert target.auth_headers() == {"Authorization": "t"}


@pytest.mark.parametrize("text", ["1", "x:KEY", "1:", ":KEY"])
def test_ring_pool_option_is_refused_when_not_id_colon_key(text: str) -> None:
    with pytest.raises(ValueError, match="ID:KEY"):
        RingPoolCredentials.parse(text)


def test_basic_option_splits_at_the_first_colon_when_the_password_has_colons() -> None:
    assert parse_basic("user:pa:ss") == ("user", "pa:ss")
    with pytest.raises(ValueError, match="USER:PASS"):
        parse_basic("nocolon")


ADMIN = "admin-token-for-the-suites-0123456"


def test_control_requests_carry_the_admin_token_when_one_is_given() -> None:
    with serving({"ADMIN_TOKEN": ADMIN}) as base_url:
        target = probe(base_url, admin_token=ADMIN)
        control = target.request("GET", "/_sandbox/clock")
        api = target.request("GET", f"/api/2016-10-01/{target.network_id}/advertisers.json",
                             headers=target.auth_headers())
    assert {"sandbox", "world", "reset", "clock", "calls", "faults"} <= target.capabilities
    assert target.token is not None
    assert (control.status_code, control.request.headers[ADMIN_HEADER]) == (200, ADMIN)
    assert api.status_code == 200
    assert ADMIN_HEADER not in api.request.headers


def test_target_has_no_capabilities_when_its_admin_token_is_not_given() -> None:
    with serving({"ADMIN_TOKEN": ADMIN}) as base_url:
        target = probe(base_url)
    assert target.capabilities == frozenset()
    assert target.token is None
    assert "needs its admin token" in target.missing_reason("reset")


def test_admin_header_is_the_servers_when_named_by_the_suites_and_the_client() -> None:
    assert (target_module.ADMIN_HEADER, target_module.ADMIN_ENV) == (
        admin.ADMIN_HEADER, admin.ADMIN_ENV)
    assert drive.ADMIN_HEADER == admin.ADMIN_HEADER


def test_suite_runs_with_control_when_the_cli_is_given_the_admin_token() -> None:
    with serving({"ADMIN_TOKEN": ADMIN}) as base_url:
        runs = [subprocess.run(
            [sys.executable, "-m", "mock_server.cli", "contract", "--base-url", base_url,
             "--suite", "allocation", "--profile", "dev", *extra],
            cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
        ) for extra in (["--admin-token", ADMIN], [])]
    given, missing = runs
    assert given.returncode == 0, given.stdout[-3000:]
    cases = re.search(r"cases run: +(\d+)", given.stdout)
    assert cases is not None and int(cases.group(1)) > 0, given.stdout[-3000:]
    assert "control API needs its admin token" in missing.stdout, missing.stdout[-3000:]
