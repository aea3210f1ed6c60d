"""``simulate SCENARIO --against URL``: the same scenario through a sandbox subprocess gives
the offline run's allocation log (numbers relabelled by first appearance) and metrics."""

from __future__ import annotations

import dataclasses
import io
import json
import urllib.request
from contextlib import redirect_stdout
from typing import Any

import pytest

from client.drive import drive_scenario, offline_allocation_log, relabelled
from client.simulate import main as simulate_main
from simulator.errors import RecordInvalid
from simulator.events import EventLog
from simulator.runner import run_scenario
from simulator.scenario import Scenario
from tests.contracts.sandbox_thread import serving
from tests.mock_server.test_serve import running_server

pytestmark = pytest.mark.server

START = "2026-01-05T00:00:00Z"

SMALL: dict[str, Any] = {
    "name": "small",
    "seed": 7,
    "days": 0.25,
    "start_at": START,
    "traffic": {"visitors_per_day": 1600},
    "calls": {"probability": 0.3},
    "pools": [{"name": "main", "max_pool_size": 5, "lifetime_seconds": 600}],
    "params": [{"name": "search_engine", "values": ["google", "bing"], "weights": [3, 1]}],
}


@pytest.fixture
def small_scenario() -> Scenario:
    return Scenario.from_dict(SMALL)


def serve_args(scenario: Scenario) -> tuple[str, ...]:
    return ("--clock", "manual", "--start", START, "--seed", str(scenario.seed))


@pytest.mark.parametrize("allow_overflow", [True, False])
def test_allocation_log_and_report_match_offline_when_driven_against_a_sandbox(
    small_scenario: Scenario, allow_overflow: bool
) -> None:
    pool = dataclasses.replace(small_scenario.pools[0], allow_overflow=allow_overflow)
    scenario = dataclasses.replace(small_scenario, pools=(pool,))
    events = EventLog()
    offline = run_scenario(scenario, events=events)
    with running_server(*serve_args(scenario)) as (base, _):
        driven, log = drive_scenario(scenario, base)
    offline_log = offline_allocation_log(events)
    assert offline.total.visitors == 364
    # a refused visitor (pool full, overflow off) has no allocation on either side
    assert len(log) == 364 - (0 if allow_overflow else offline.total.overflows)
    assert relabelled(log) == relabelled(offline_log)
    assert driven.to_dict() == offline.to_dict()
    # the scenario exercises every outcome, so the equality above is not vacuous
    total = driven.total
    assert total.overflows > 0 and total.attributed > 0
    assert total.misattributed > 0 and total.unattributed > 0


def test_printed_report_is_the_offline_one_when_the_cli_runs_against_a_sandbox(
    tmp_path: Any,
) -> None:
    path = tmp_path / "small.toml"
    path.write_text(
        'name = "small"\nseed = 7\ndays = 0.1\nstart_at = 2026-01-05T00:00:00Z\n'
        "[traffic]\nvisitors_per_day = 1600\n[calls]\nprobability = 0.3\n"
        '[[pools]]\nname = "main"\nmax_pool_size = 5\nlifetime_seconds = 600\n',
        encoding="utf-8",
    )
    offline_out = io.StringIO()
    with redirect_stdout(offline_out):
        assert simulate_main([str(path), "--no-progress"]) == 0
    driven_out = io.StringIO()
    with running_server("--clock", "manual", "--start", START) as (base, _), \
            redirect_stdout(driven_out):
        assert simulate_main([str(path), "--against", base]) == 0
    assert "visitors" in offline_out.getvalue()
    assert driven_out.getvalue() == offline_out.getvalue()


def test_clock_past_start_is_refused_when_the_target_already_moved_on(
    small_scenario: Scenario,
) -> None:
    later = ("--clock", "manual", "--start", "2026-01-06T00:00:00Z")
    with running_server(*later) as (base, _), \
            pytest.raises(RecordInvalid, match="past the scenario's start_at"):
        drive_scenario(small_scenario, base)


def test_allocation_log_and_report_match_offline_when_several_pools_share_the_clock() -> None:
    # visitors of the two pools interleave in time (the sandbox's one clock never goes back);
    # one pool has no overflow number (refusals), the other a shorter lifetime
    two = Scenario.from_dict({
        **SMALL,
        "pools": [
            {"name": "a", "max_pool_size": 3, "lifetime_seconds": 600, "weight": 2},
            {"name": "b", "max_pool_size": 2, "lifetime_seconds": 300,
             "allow_overflow": False},
        ],
    })
    events = EventLog()
    offline = run_scenario(two, events=events)
    with running_server(*serve_args(two)) as (base, _):
        driven, log = drive_scenario(two, base)
    assert relabelled(log) == relabelled(offline_allocation_log(events))
    assert driven.to_dict() == offline.to_dict()
    for pool in driven.pools:  # both pools overflow and see every call outcome
        assert pool.overflows > 0 and pool.attributed > 0
        assert pool.misattributed + pool.unattributed > 0
    assert len({entry[0] for entry in log}) > 300  # (instants: the pools' visitors interleave)


def test_non_http_target_is_refused_when_given_as_against(small_scenario: Scenario) -> None:
    with pytest.raises(RecordInvalid) as raised:
        drive_scenario(small_scenario, "ftp://127.0.0.1/")
    assert raised.value.field_errors == {"against": ["must be an http(s) base URL"]}


def test_numbers_are_renamed_by_first_appearance_when_relabelled() -> None:
    log = [("t1", "8005550101", False), ("t2", "8665550199", True),
           ("t3", "8005550177", False), ("t4", "8005550101", False)]
    assert relabelled(log) == [("t1", "n1", False), ("t2", "overflow", True),
                               ("t3", "n2", False), ("t4", "n1", False)]


def test_relabelled_logs_differ_when_a_visitor_gets_another_number() -> None:
    first = [("t1", "a", False), ("t2", "b", False), ("t3", "a", False)]
    second = [("t1", "x", False), ("t2", "y", False), ("t3", "y", False)]
    assert relabelled(first) != relabelled(second)


def test_report_differs_from_offline_when_the_sandbox_serves_overflow_early(
    small_scenario: Scenario,
) -> None:
    offline = run_scenario(small_scenario)
    with running_server(*serve_args(small_scenario)) as (base, _):
        switch = urllib.request.Request(
            f"{base}/_sandbox/faults", data=json.dumps({"switch": "early_overflow"}).encode(),
            headers={"Content-Type": "application/json"}, method="POST",
        )
        with urllib.request.urlopen(switch, timeout=5) as response:
            assert response.status in {200, 201}
        driven, log = drive_scenario(small_scenario, base, reset=False)
    assert all(overflow for _, _, overflow in log)
    assert driven.total.overflows == driven.total.visitors == offline.total.visitors
    assert driven.to_dict() != offline.to_dict()


def test_cli_drives_a_sandbox_when_given_its_admin_token(
    tmp_path: Any, capsys: pytest.CaptureFixture[str],
) -> None:
    token = "admin-token-of-the-driven-sandbox"
    path = tmp_path / "small.toml"
    path.write_text(
        'name = "small"\nseed = 7\ndays = 0.1\nstart_at = 2026-01-05T00:00:00Z\n'
        "[traffic]\nvisitors_per_day = 1600\n[calls]\nprobability = 0.3\n"
        '[[pools]]\nname = "main"\nmax_pool_size = 5\nlifetime_seconds = 600\n',
        encoding="utf-8",
    )
    config = {"START": START, "SEED": 7, "ADMIN_TOKEN": token}
    with serving(config) as base:
        assert simulate_main([str(path), "--against", base]) == 2
        assert "Unauthorized" in capsys.readouterr().err
        assert simulate_main([str(path), "--against", base, "--admin-token", token]) == 0
    assert "visitors" in capsys.readouterr().out


def _journal_size(base: str) -> int:
    with urllib.request.urlopen(f"{base}/_sandbox/requests", timeout=5) as response:
        body = json.loads(response.read())
    return len(body["requests"] if isinstance(body, dict) else body)


def test_target_left_unchanged_when_its_clock_is_past_start_even_with_reset_target(
    tmp_path: Any, capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "small.toml"
    path.write_text(
        'name = "small"\nseed = 7\ndays = 0.05\nstart_at = 2026-01-05T00:00:00Z\n'
        "[traffic]\nvisitors_per_day = 100\n"
        '[[pools]]\nname = "main"\nmax_pool_size = 5\n', encoding="utf-8")
    with serving({"START": "2026-01-06T00:00:00Z"}) as base:
        world = json.loads(urllib.request.urlopen(f"{base}/_sandbox/world", timeout=5).read())
        request = urllib.request.Request(f"{base}/api/2022-08-01/{world['network_id']}/"
                                         "advertisers.json",
                                         headers={"Authorization": world["api_token"]})
        urllib.request.urlopen(request, timeout=5).read()
        assert _journal_size(base) == 1
        assert simulate_main([str(path), "--against", base, "--reset-target"]) == 2
        assert _journal_size(base) == 1  # not reset: the journal still holds the request
    assert "past the scenario's start_at" in capsys.readouterr().err


def test_second_run_refused_naming_reset_target_when_target_already_has_the_pools(
    small_scenario: Scenario,
) -> None:
    short = dataclasses.replace(small_scenario, days=0.02)
    later = dataclasses.replace(short, start_at=short.start_at.replace(day=6))
    with serving({"START": START, "SEED": 7}) as base:
        drive_scenario(short, base)
        with pytest.raises(RecordInvalid, match=r"ring pool sim-1 .*--reset-target"):
            drive_scenario(later, base)
        report, _ = drive_scenario(later, base, reset=True)
    assert report.total.visitors > 0


def test_target_refused_before_any_change_when_its_world_has_no_campaign(
    small_scenario: Scenario,
) -> None:
    world = {"networks": [{"id": 3}], "tokens": [{"token": "T" * 32, "network_id": 3}]}
    with serving({"START": START, "WORLD": world}) as base, \
            pytest.raises(RecordInvalid, match="no advertiser_id_from_network, "
                                               "advertiser_campaign_id_from_network"):
        drive_scenario(small_scenario, base)
