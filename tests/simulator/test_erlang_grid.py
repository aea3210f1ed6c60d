"""The simulated pool against queueing theory: a ring pool is an Erlang loss system.

With stationary Poisson arrivals (rate lambda) and every allocation holding its number for
exactly ``lifetime_seconds`` (L), a pool of c numbers is an M/D/c/c loss system; Erlang B is
insensitive to the holding-time distribution, so the share of visitors served the overflow
number is ``erlang_b(c, lambda * L)``.

Each grid point runs one scenario through the real runner and RingPool. The first hour is
discarded (warm-up from an empty pool); the remaining hours are batches. The estimate is the
ratio (overflows / visitors) over the batches, with a 99.9 % confidence interval from batch
means (t with k - 1 degrees of freedom, delta-method variance of a ratio). Each batch lasts
at least 5 lifetimes (the pool's memory is one lifetime), so batches are nearly
independent. Seeds are fixed: the test is
deterministic.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from simulator.erlang import erlang_b
from simulator.runner import run_scenario
from simulator.scenario import CallSpec, PoolSpec, Scenario
from simulator.traffic import TrafficProfile

BATCHES = 16
#: t quantile 0.9995 with 15 degrees of freedom (two-sided 99.9 % interval)
T_999_15 = 4.0728
MIN_ARRIVALS_PER_BATCH = 2000
MIN_LIFETIMES_PER_BATCH = 5

#: (numbers c, offered load A = lambda x lifetime): blocking from ~0.1 % to ~36 %
GRID = [
    (5, 3.0),
    (5, 6.0),
    (10, 7.0),
    (20, 18.0),
    (50, 40.0),
    (100, 95.0),
    (100, 120.0),
    (200, 190.0),
    (500, 480.0),
    (500, 550.0),
    (1000, 1000.0),
    (2000, 1950.0),
    (2000, 2200.0),
]


def grid_scenario(servers: int, offered_load: float, seed: int) -> Scenario:
    """One pool, flat Poisson traffic, no calls; one-hour batches of >= 5 lifetimes."""
    lifetimes_per_hour = max(
        MIN_LIFETIMES_PER_BATCH, math.ceil(MIN_ARRIVALS_PER_BATCH / offered_load)
    )
    lifetime_seconds = max(1, 3600 // lifetimes_per_hour)
    rate_per_second = offered_load / lifetime_seconds
    return Scenario(
        name=f"erlang-{servers}-{offered_load}",
        pools=(PoolSpec("main", max_pool_size=servers, lifetime_seconds=lifetime_seconds),),
        traffic=TrafficProfile(visitors_per_day=rate_per_second * 86_400),
        calls=CallSpec(probability=0.0),
        days=(BATCHES + 1) / 24,
        start_at=datetime(2026, 1, 5, tzinfo=UTC),
        seed=seed,
    )


def batch_interval(visitors: list[int], overflows: list[int]) -> tuple[float, float]:
    """Ratio estimate and the half-width of its 99.9 % batch-means interval."""
    k = len(visitors)
    ratio = sum(overflows) / sum(visitors)
    mean_visitors = sum(visitors) / k
    residuals = [o - ratio * n for o, n in zip(overflows, visitors, strict=True)]
    variance = sum(r * r for r in residuals) / (k - 1) / (k * mean_visitors**2)
    return ratio, T_999_15 * math.sqrt(variance)


def test_interval_is_wide_when_batches_disagree() -> None:
    _, narrow = batch_interval([1000] * 16, [100] * 16)
    _, wide = batch_interval([1000] * 16, [50, 150] * 8)
    assert narrow == 0.0
    assert wide > 0.02


@pytest.mark.slow
@pytest.mark.parametrize(("servers", "offered_load"), GRID)
def test_overflow_rate_matches_erlang_b_when_traffic_is_stationary(
    servers: int, offered_load: float
) -> None:
    scenario = grid_scenario(servers, offered_load, seed=1000 + servers)
    lifetime = scenario.pools[0].lifetime_seconds
    actual_load = scenario.traffic.visitors_per_day / 86_400 * lifetime
    report = run_scenario(scenario)
    batches = report.timeline[1:]  # the first hour warms the pool up
    assert len(batches) == BATCHES
    ratio, half_width = batch_interval(
        [hour.visitors for hour in batches], [hour.overflows for hour in batches]
    )
    expected = erlang_b(servers, actual_load)
    assert min(hour.visitors for hour in batches) >= MIN_ARRIVALS_PER_BATCH * 0.8
    assert abs(ratio - expected) <= half_width, (ratio, expected, half_width)
    # the interval is a real constraint: narrower than 2 points of overflow rate
    assert half_width < 0.02
