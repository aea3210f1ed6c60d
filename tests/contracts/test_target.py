"""Capability probing and credentials of a target, against the sandbox served in a thread."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from contracts.target import RingPoolCredentials, parse_basic, probe
from tests.contracts.sandbox_thread import serving


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
