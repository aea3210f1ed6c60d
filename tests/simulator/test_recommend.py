"""Pool sizing search (simulator.recommend)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import simulator.recommend as recommend_module
from simulator.erlang import servers_for
from simulator.errors import RecordInvalid
from simulator.recommend import Targets, peak_hourly_rate, recommend
from simulator.runner import run_scenario
from simulator.scenario import CallSpec, PoolSpec, Scenario
from simulator.traffic import Burst, Distribution, TrafficProfile


def make_scenario(
    *,
    visitors_per_day: float = 4_800,
    call_delay: Distribution | None = None,
    bursts: tuple[Burst, ...] = (),
) -> Scenario:
    return Scenario(
        name="sizing",
        pools=(PoolSpec("main", max_pool_size=10, lifetime_seconds=900),),
        traffic=TrafficProfile(visitors_per_day=visitors_per_day, bursts=bursts),
        calls=CallSpec(0.2, call_delay or Distribution("exponential", 120.0)),
        days=0.5,
        start_at=datetime(2026, 1, 5, tzinfo=UTC),
        seed=5,
    )


@pytest.fixture
def flat_scenario() -> Scenario:
    return make_scenario()


def test_recommended_size_meets_targets_when_one_below_does_not(flat_scenario: Scenario) -> None:
    result = recommend(flat_scenario, Targets(overflow_rate=0.01))
    assert result.max_pool_size is not None
    assert result.at_size is not None and result.below is not None
    assert result.at_size.meets_targets
    assert result.at_size.metrics.overflow_rate <= 0.01
    assert result.below.max_pool_size == result.max_pool_size - 1
    assert not result.below.meets_targets
    assert result.below.metrics.overflow_rate > 0.01


def test_search_starts_from_erlang_b_when_traffic_is_flat(flat_scenario: Scenario) -> None:
    result = recommend(flat_scenario, Targets(overflow_rate=0.01))
    # 200 visitors an hour held 15 minutes: 50 erlangs
    assert result.offered_load == pytest.approx(50.0)
    assert result.erlang_estimate == servers_for(0.01, 50.0)
    assert result.max_pool_size is not None
    assert abs(result.max_pool_size - result.erlang_estimate) <= 4
    sizes = [point.max_pool_size for point in result.evaluated]
    assert result.erlang_estimate in sizes
    assert len(sizes) <= 12  # bisection, not a scan


def test_recommendation_is_identical_when_seed_is_the_same(flat_scenario: Scenario) -> None:
    first = recommend(flat_scenario, Targets(0.02), seed=9).to_dict()
    second = recommend(flat_scenario, Targets(0.02), seed=9).to_dict()
    assert first == second
    assert first["seed"] == 9


def test_attribution_target_needs_more_numbers_when_calls_come_late() -> None:
    scenario = make_scenario(call_delay=Distribution("fixed", 1800.0))
    overflow_only = recommend(scenario, Targets(0.05))
    both = recommend(scenario, Targets(0.05, attribution_rate=0.95))
    assert overflow_only.max_pool_size is not None and both.max_pool_size is not None
    assert both.max_pool_size > overflow_only.max_pool_size
    assert both.at_size is not None and both.at_size.metrics.attribution_rate >= 0.95
    assert both.below is not None and not both.below.meets_targets


def test_shorter_lifetime_is_chosen_when_only_overflow_matters(flat_scenario: Scenario) -> None:
    result = recommend(flat_scenario, Targets(0.01), lifetimes=(300, 900))
    assert result.lifetime_seconds == 300
    assert {p.lifetime_seconds for p in result.evaluated} == {300, 900}
    smallest_900 = min(
        p.max_pool_size for p in result.evaluated if p.lifetime_seconds == 900 and p.meets_targets
    )
    assert result.max_pool_size is not None and result.max_pool_size < smallest_900


def test_estimate_uses_the_peak_hour_when_a_burst_airs() -> None:
    burst = Burst(start_offset_seconds=3 * 3600, duration_seconds=3600, multiplier=5.0)
    scenario = make_scenario(bursts=(burst,))
    assert peak_hourly_rate(scenario, "main") * 3600 == pytest.approx(1_000.0)
    result = recommend(scenario, Targets(0.01))
    assert result.erlang_estimate == servers_for(0.01, 250.0)
    # over the whole run the burst is one hour in 12: far fewer numbers than its peak needs
    assert result.max_pool_size is not None and result.max_pool_size < result.erlang_estimate


def test_curve_points_are_added_when_asked(flat_scenario: Scenario) -> None:
    plain = recommend(flat_scenario, Targets(0.01))
    curved = recommend(flat_scenario, Targets(0.01), curve_points=6)
    assert len(curved.evaluated) > len(plain.evaluated)
    assert curved.max_pool_size == plain.max_pool_size
    rates = [p.metrics.overflow_rate for p in curved.evaluated]
    assert rates == sorted(rates, reverse=True)  # overflow never rises with more numbers


def test_no_size_is_recommended_when_the_cap_is_too_low(
    flat_scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recommend_module, "MAX_POOL_SIZE", 8)
    result = recommend(flat_scenario, Targets(0.01))
    assert result.max_pool_size is None
    assert result.at_size is None and result.below is None
    assert result.to_dict()["max_pool_size"] is None


@pytest.mark.parametrize(
    ("overflow", "attribution", "field"),
    [
        (1.0, None, "target_overflow"),
        (-0.1, None, "target_overflow"),
        (0.01, 1.5, "target_attribution"),
    ],
)
def test_targets_are_refused_when_out_of_range(
    overflow: float, attribution: float | None, field: str
) -> None:
    with pytest.raises(RecordInvalid) as caught:
        Targets(overflow, attribution)
    assert caught.value.field_errors is not None
    assert list(caught.value.field_errors) == [field]


def test_recommend_is_refused_when_pool_is_unknown(flat_scenario: Scenario) -> None:
    with pytest.raises(RecordInvalid):
        recommend(flat_scenario, Targets(0.01), pool="nope")


def test_report_is_the_run_at_the_recommended_size_when_a_size_is_found(
    flat_scenario: Scenario,
) -> None:
    result = recommend(flat_scenario, Targets(0.01))
    assert result.report is not None and result.max_pool_size is not None
    sized = flat_scenario.with_pool("main", max_pool_size=result.max_pool_size)
    assert result.report.to_dict() == run_scenario(sized).to_dict()
