"""Scenario model, runner and metrics (simulator.scenario)."""

from __future__ import annotations

import gc
import json
import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.clock import ManualClock
from simulator.errors import ClockError, RecordInvalid
from simulator.events import EventLog, NumberAllocated, NumberRecycled, OverflowServed
from simulator.runner import run_scenario
from simulator.scenario import CallSpec, PoolSpec, Scenario
from simulator.traffic import Burst, Distribution, ParamSpec, TrafficProfile

START_AT = datetime(2026, 1, 5, tzinfo=UTC)
Z999 = 3.29


def scenario_dict(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "test",
        "seed": 3,
        "start_at": START_AT,
        "days": 1,
        "traffic": {"visitors_per_day": 2_000},
        "calls": {
            "probability": 0.3,
            "delay": {"kind": "exponential", "mean_minutes": 10},
            "duration": {"kind": "lognormal", "mean_minutes": 4, "sigma": 0.7},
        },
        "pools": [{"name": "main", "max_pool_size": 20, "lifetime_seconds": 1800}],
        "params": [
            {"name": "search_engine", "values": ["google", "bing"], "weights": [4, 1]},
            {"name": "search_keywords", "faker": "keywords", "count": 10},
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def small_scenario() -> Scenario:
    return Scenario.from_dict(scenario_dict())


def test_report_json_is_identical_when_seed_is_the_same(small_scenario: Scenario) -> None:
    first = json.dumps(run_scenario(small_scenario).to_dict(), sort_keys=True)
    second = json.dumps(run_scenario(small_scenario).to_dict(), sort_keys=True)
    other = json.dumps(run_scenario(small_scenario.with_seed(4)).to_dict(), sort_keys=True)
    assert first == second
    assert first != other


def test_outcomes_add_up_when_scenario_has_calls_and_overflow(small_scenario: Scenario) -> None:
    report = run_scenario(small_scenario)
    total = report.total
    assert total.visitors == sum(hour.visitors for hour in report.timeline) > 0
    assert total.overflows == sum(hour.overflows for hour in report.timeline) > 0
    assert total.calls == total.attributed + total.misattributed + total.unattributed > 0
    assert total.calls == sum(hour.calls for hour in report.timeline)
    assert len(report.timeline) == 24
    assert report.timeline[1].interval_at == START_AT + timedelta(hours=1)
    assert 0 < total.peak_held <= 20
    assert all(hour.peak_held <= 20 for hour in report.timeline)
    assert all(hour.mean_held <= hour.peak_held + 1e-9 for hour in report.timeline)
    assert total.utilisation == pytest.approx(total.mean_held / 20)
    assert report.allocations_forgotten == 0


def test_every_call_is_attributed_when_calls_come_before_the_hold_ends() -> None:
    data = scenario_dict(
        calls={"probability": 0.5, "delay": {"kind": "fixed", "mean_seconds": 60}},
        pools=[{"name": "main", "max_pool_size": 200, "lifetime_seconds": 600}],
    )
    total = run_scenario(Scenario.from_dict(data)).total
    assert total.overflows == 0
    assert total.calls > 0
    assert total.attributed == total.calls
    assert total.attribution_rate == 1.0


def test_calls_are_misattributed_when_numbers_are_reallocated_before_the_call() -> None:
    data = scenario_dict(
        calls={"probability": 0.5, "delay": {"kind": "fixed", "mean_seconds": 3 * 600}},
        pools=[{"name": "main", "max_pool_size": 10, "lifetime_seconds": 600}],
    )
    total = run_scenario(Scenario.from_dict(data)).total
    # 2,000 visitors a day on 10 numbers held 10 minutes: numbers are reused within 30 minutes
    assert total.misattributed > total.attributed > 0
    assert total.unattributed > 0  # visitors served the overflow number


def test_calls_from_overflow_visitors_are_unattributed_when_pool_is_full() -> None:
    data = scenario_dict(
        calls={"probability": 1.0, "delay": {"kind": "fixed", "mean_seconds": 1}},
        pools=[{"name": "main", "max_pool_size": 1, "lifetime_seconds": 86_400}],
    )
    total = run_scenario(Scenario.from_dict(data)).total
    assert total.overflows == total.visitors - 1
    assert total.unattributed == total.overflows
    assert total.attributed == 1
    assert total.peak_held == 1


def test_visitors_get_no_number_when_overflow_is_off_and_pool_is_full() -> None:
    pools = [
        {"name": "main", "max_pool_size": 2, "lifetime_seconds": 3600, "allow_overflow": False}
    ]
    data = scenario_dict(pools=pools, calls={"probability": 1.0})
    events = EventLog(maxlen=None)
    total = run_scenario(Scenario.from_dict(data), events=events).total
    assert total.overflows > 0
    assert total.unattributed >= total.overflows
    assert not [e for e in events.events() if isinstance(e, OverflowServed)]
    allocated = [e for e in events.events() if isinstance(e, NumberAllocated)]
    assert len(allocated) == total.visitors - total.overflows


def test_overflow_matches_little_law_when_pool_is_never_full() -> None:
    data = scenario_dict(
        days=2,
        traffic={"visitors_per_day": 8_640},  # 0.1 visitor per second
        calls={"probability": 0.0},
        pools=[{"name": "main", "max_pool_size": 400, "lifetime_seconds": 1000}],
        params=[],
    )
    report = run_scenario(Scenario.from_dict(data))
    # offered load 100 numbers: Little's law gives a mean of ~100 held (first hour warms up)
    steady = [hour.mean_held for hour in report.timeline[1:]]
    mean = sum(steady) / len(steady)
    assert report.total.overflows == 0
    assert abs(mean - 100.0) < Z999 * math.sqrt(100.0 / len(steady)) * 1.5
    assert report.total.mean_held == pytest.approx(
        sum(hour.mean_held for hour in report.timeline) / len(report.timeline)
    )


def test_overflow_concentrates_in_the_burst_when_a_tv_spot_airs() -> None:
    data = scenario_dict(
        traffic={
            "visitors_per_day": 1_000,
            "bursts": [{"start_offset_hours": 20, "duration_minutes": 10, "multiplier": 60}],
        },
        pools=[{"name": "main", "max_pool_size": 40, "lifetime_seconds": 900}],
    )
    report = run_scenario(Scenario.from_dict(data))
    by_hour = [hour.overflows for hour in report.timeline]
    assert by_hour[20] > 0
    assert by_hour[20] == report.total.overflows
    assert report.timeline[20].peak_held == 40


def test_visitors_split_by_weight_when_scenario_has_two_pools() -> None:
    pools = [
        {"name": "search", "max_pool_size": 50, "weight": 3},
        {"name": "display", "max_pool_size": 50, "weight": 1},
    ]
    report = run_scenario(Scenario.from_dict(scenario_dict(pools=pools)))
    search, display = report.pool("search"), report.pool("display")
    n = search.visitors + display.visitors
    assert n == report.total.visitors
    assert abs(search.visitors - 0.75 * n) <= Z999 * math.sqrt(n * 0.75 * 0.25)
    assert report.total.max_pool_size == 100
    assert [len(hour.held_peak_by_pool) for hour in report.timeline] == [2] * 24


def test_clock_ends_at_the_last_event_when_a_clock_is_given(small_scenario: Scenario) -> None:
    clock = ManualClock(START_AT - timedelta(days=1))
    run_scenario(small_scenario, clock=clock)
    assert START_AT + timedelta(hours=23) < clock.now() < START_AT + timedelta(days=2)


def test_run_is_refused_when_clock_is_past_the_start(small_scenario: Scenario) -> None:
    with pytest.raises(ClockError):
        run_scenario(small_scenario, clock=ManualClock(START_AT + timedelta(seconds=1)))


def test_progress_reaches_one_when_run_completes(small_scenario: Scenario) -> None:
    seen: list[float] = []
    run_scenario(small_scenario, progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert len(seen) >= 24


def test_same_traffic_is_seen_when_only_pool_size_changes(small_scenario: Scenario) -> None:
    small = run_scenario(small_scenario.with_pool("main", max_pool_size=5))
    large = run_scenario(small_scenario.with_pool("main", max_pool_size=500))
    assert [h.visitors for h in small.timeline] == [h.visitors for h in large.timeline]
    assert small.total.calls == large.total.calls
    assert small.total.overflows > large.total.overflows == 0


def test_rng_is_used_when_given_instead_of_scenario_seed(small_scenario: Scenario) -> None:
    by_seed = run_scenario(small_scenario).to_dict()
    by_rng = run_scenario(small_scenario, rng=random.Random(small_scenario.seed)).to_dict()
    assert by_seed == by_rng


def test_scenario_round_trips_when_serialised(small_scenario: Scenario) -> None:
    again = Scenario.from_dict(small_scenario.to_dict())
    assert again == small_scenario


def test_burst_start_at_becomes_an_offset_when_given_as_instant() -> None:
    burst = {"start_at": "2026-01-05T20:30:00Z", "duration_minutes": 5, "multiplier": 10}
    traffic = {"visitors_per_day": 10, "bursts": [burst]}
    scenario = Scenario.from_dict(scenario_dict(traffic=traffic))
    assert scenario.traffic.bursts == (Burst(20.5 * 3600, 300.0, 10),)


@pytest.mark.parametrize(
    ("overrides", "field_errors"),
    [
        (
            {"pools": [{"name": "main", "max_pool_size": 0}]},
            {"pools[0].max_pool_size": ["must be an integer greater than 0"]},
        ),
        ({"pools": []}, {"pools": ["can't be blank (give at least one [[pools]] table)"]}),
        (
            {"traffic": {"visitors_per_day": 10, "daily": [1, 2]}},
            {"traffic.daily": ["must have 24 weights, got 2"]},
        ),
        ({"traffic": {}}, {"traffic.visitors_per_day": ["can't be blank"]}),
        (
            {"calls": {"probability": 1.5}},
            {"calls.probability": ["must be a number from 0 to 1"]},
        ),
        (
            {"calls": {"delay": {"kind": "gamma", "mean_seconds": 3}}},
            {"calls.delay.kind": ["must be one of exponential, lognormal, fixed"]},
        ),
        (
            {"start_at": "Monday"},
            {"start_at": ["must be an ISO-8601 instant (e.g. 2026-01-05T00:00:00Z)"]},
        ),
        (
            {"timezone": "Mars/Olympus_Mons"},
            {"timezone": ["'Mars/Olympus_Mons' is not an IANA time zone name "
                          "(e.g. America/New_York)"]},
        ),
        (
            {"resolution_minutes": 7},
            {"resolution_minutes": ["must be minutes from 1 to 60 dividing an hour "
                                    "(1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60)"]},
        ),
        ({"colour": "blue"}, {"scenario": ["has unknown keys: colour"]}),
        (
            {"pools": [{"name": "a", "max_pool_size": 1}, {"name": "a", "max_pool_size": 2}]},
            {"pools": ["names must be unique"]},
        ),
        (
            {"params": [{"name": "x", "faker": "emoji"}]},
            {"params[0].faker": ["must be one of keywords, landing_page, city, company, word"]},
        ),
    ],
)
def test_scenario_is_refused_with_field_errors_when_input_is_invalid(
    overrides: dict[str, Any], field_errors: dict[str, list[str]]
) -> None:
    with pytest.raises(RecordInvalid) as caught:
        Scenario.from_dict(scenario_dict(**overrides))
    assert caught.value.to_dict() == {"errors": field_errors}


def test_with_pool_is_refused_when_pool_name_is_unknown(small_scenario: Scenario) -> None:
    with pytest.raises(RecordInvalid):
        small_scenario.with_pool("nope", max_pool_size=3)


def test_pool_spec_defaults_apply_when_built_directly() -> None:
    scenario = Scenario(
        name="direct",
        pools=(PoolSpec("main", 3),),
        traffic=TrafficProfile(100),
        calls=CallSpec(0.2, Distribution("fixed", 30.0)),
        params=(ParamSpec("search_engine", values=("google",)),),
    )
    assert scenario.pools[0].lifetime_seconds == 1800
    assert scenario.pools[0].allow_overflow is True
    assert run_scenario(scenario).total.visitors > 0


def test_held_metrics_match_the_pool_events_when_replayed() -> None:
    data = scenario_dict(
        days=0.5,
        traffic={"visitors_per_day": 6_000},
        pools=[{"name": "main", "max_pool_size": 30, "lifetime_seconds": 600}],
    )
    scenario = Scenario.from_dict(data)
    events = EventLog(maxlen=None)
    report = run_scenario(scenario, events=events)
    allocated = [e for e in events.events() if isinstance(e, NumberAllocated)]
    recycled = [e for e in events.events() if isinstance(e, NumberRecycled)]
    assert len(allocated) == report.total.visitors - report.total.overflows
    # replay: a hold ends (recycled) before a new one starts at the same instant
    changes = sorted([(e.at, 0, -1) for e in recycled] + [(e.at, 1, +1) for e in allocated])
    held = peak = 0
    for _, _, step in changes:
        held += step
        peak = max(peak, held)
    assert peak == report.total.peak_held == 30
    end_at = START_AT + timedelta(hours=12)
    lifetime = timedelta(seconds=600)
    held_seconds = sum((min(e.at + lifetime, end_at) - e.at).total_seconds() for e in allocated)
    assert report.total.mean_held == pytest.approx(held_seconds / (12 * 3600), rel=1e-9)


def test_report_is_the_same_when_events_are_kept(small_scenario: Scenario) -> None:
    events = EventLog(maxlen=None)
    kept = run_scenario(small_scenario, events=events).to_dict()
    assert run_scenario(small_scenario).to_dict() == kept
    kinds = {event.kind for event in events.events()}
    assert {"NumberAllocated", "OverflowServed", "NumberRecycled"} <= kinds


class NaivePool:
    """A deliberately naive ring pool: lists, linear scans, float seconds."""

    def __init__(self, size: int, lifetime: float) -> None:
        self.size, self.lifetime = size, lifetime
        self.provisioned = 0
        self.holds: list[tuple[float, str]] = []  # (expires, number)
        self.free: list[tuple[float, str]] = []  # (idle since, number)

    def allocate(self, t: float, fresh_number: str) -> str | None:
        for hold in [h for h in self.holds if h[0] <= t]:
            self.holds.remove(hold)
            self.free.append(hold)
        if self.provisioned < self.size:
            self.provisioned += 1
            number = fresh_number
        elif self.free:
            oldest = min(self.free)
            self.free.remove(oldest)
            number = oldest[1]
        else:
            return None
        self.holds.append((t + self.lifetime, number))
        return number


@given(
    size=st.integers(1, 6),
    lifetime=st.integers(30, 3600),
    visitors_per_day=st.integers(20, 4000),
    seed=st.integers(0, 2**32),
    allow_overflow=st.booleans(),
)
def test_runner_agrees_with_a_naive_pool_when_replaying_its_arrivals(
    size: int, lifetime: int, visitors_per_day: int, seed: int, allow_overflow: bool
) -> None:
    pools = [{"name": "main", "max_pool_size": size, "lifetime_seconds": lifetime,
              "allow_overflow": allow_overflow}]
    scenario = Scenario.from_dict(
        scenario_dict(days=0.25, seed=seed, pools=pools, params=[],
                      traffic={"visitors_per_day": visitors_per_day})
    )
    events = EventLog(maxlen=None)
    report = run_scenario(scenario, events=events)
    served = [e for e in events.events() if isinstance(e, NumberAllocated | OverflowServed)]
    naive = NaivePool(size, float(lifetime))
    naive_overflows = 0
    seen: set[str] = set()
    for event in served:
        t = (event.at - START_AT).total_seconds()
        expected = naive.allocate(t, event.promo_number)
        if expected is None:
            naive_overflows += 1
            assert isinstance(event, OverflowServed)
        else:
            assert isinstance(event, NumberAllocated)
            assert event.promo_number == expected
            seen.add(expected)
    total = report.total
    assert len(seen) <= size
    if allow_overflow:
        assert len(served) == total.visitors
        assert naive_overflows == total.overflows
    else:  # refused visitors leave no allocation event
        assert naive_overflows == 0
        assert len(served) == total.visitors - total.overflows
    assert total.peak_held <= size
    assert total.calls == total.attributed + total.misattributed + total.unattributed


@pytest.mark.parametrize("enabled", [True, False])
def test_collector_left_as_it_was_when_a_scenario_runs(
    small_scenario: Scenario, enabled: bool
) -> None:
    # the runner does not touch the process's collector (the simulate command may pause it)
    seen: list[bool] = []
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        run_scenario(small_scenario, progress=lambda _: seen.append(gc.isenabled()))
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
    assert seen and all(state is enabled for state in seen)


def test_scenario_refused_naming_the_key_when_pool_key_has_a_typo() -> None:
    data = scenario_dict()
    data["pools"] = [{"name": "web", "max_poolsize": 40}]
    with pytest.raises(RecordInvalid) as caught:
        Scenario.from_dict(data)
    assert caught.value.to_dict() == {"errors": {"pools[0]": ["has unknown keys: max_poolsize"]}}


@pytest.mark.parametrize("written", ["6%", "0.06", 0.06])
def test_call_probability_is_the_same_share_when_written_as_percent_or_fraction(
    written: Any,
) -> None:
    data = scenario_dict()
    data["calls"] = {"probability": written}
    assert Scenario.from_dict(data).calls.probability == pytest.approx(0.06)


def test_scenario_refused_naming_the_key_when_a_pool_has_no_max_pool_size() -> None:
    data = scenario_dict()
    data["pools"] = [{"name": "web"}]
    with pytest.raises(RecordInvalid) as caught:
        Scenario.from_dict(data)
    assert caught.value.to_dict() == {"errors": {"pools[0].max_pool_size": ["can't be blank"]}}
