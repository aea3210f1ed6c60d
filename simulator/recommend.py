"""Recommend: the smallest ring pool that meets an overflow (and attribution) target.

Rules:

* Sans-IO and deterministic: every candidate size is simulated by
  :func:`simulator.runner.run_scenario` with ``random.Random(seed)``, so every candidate sees
  the same visitors and the same calls (common random numbers) and the answer is a function of
  the scenario and the seed.
* The search starts from the Erlang B estimate: ``erlang.servers_for(target_overflow, A)`` with
  ``A`` = the pool's peak hourly arrival rate x ``lifetime_seconds`` (the offered load of the
  busiest clock hour, bursts averaged over their hour). The target applies to the overflow
  rate over the whole scenario, which is at most the peak hour's, so the estimate is usually
  an upper bound: the search bisects below it, or gallops upwards (doubling) when the
  estimate misses the target, then bisects.
* Bisection assumes the outcome is monotone in the pool size. For overflow this holds on a
  fixed sample path of arrivals with a fixed hold (a larger loss system never blocks a visitor
  that a smaller one served); for attribution it holds in practice (fewer reallocations), not
  by proof. The report gives the metrics at the recommended size and one size below, so the
  boundary can be checked.
* With ``lifetimes`` (the CLI's ``--search-lifetime``) the search runs once per candidate
  lifetime and recommends the lifetime needing the fewest numbers; ties go to the longer
  lifetime (a longer guaranteed hold attributes late calls better).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from simulator.erlang import erlang_b, servers_for
from simulator.errors import RecordInvalid
from simulator.report import PoolMetrics, Report
from simulator.runner import run_scenario
from simulator.scenario import Scenario

__all__ = [
    "DEFAULT_LIFETIMES",
    "Recommendation",
    "SizePoint",
    "Targets",
    "peak_hourly_rate",
    "recommend",
]

#: candidate lifetimes (seconds) for ``--search-lifetime``: 5 minutes to 1 hour
DEFAULT_LIFETIMES: tuple[int, ...] = (300, 600, 900, 1200, 1800, 2700, 3600)
#: the search gives up above this many numbers per pool
MAX_POOL_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class Targets:
    """Overflow rate at most ``overflow_rate``; attributed calls at least ``attribution_rate``."""

    overflow_rate: float
    attribution_rate: float | None = None

    def __post_init__(self) -> None:
        if not _probability(self.overflow_rate) or self.overflow_rate >= 1:
            raise RecordInvalid(
                "target overflow must be a share from 0 to 1 (e.g. 1%)",
                field_errors={"target_overflow": ["must be at least 0% and below 100%"]},
            )
        if self.attribution_rate is not None and not _probability(self.attribution_rate):
            raise RecordInvalid(
                "target attribution must be a share from 0 to 1 (e.g. 99%)",
                field_errors={"target_attribution": ["must be from 0% to 100%"]},
            )

    def met_by(self, metrics: PoolMetrics) -> bool:
        if metrics.overflow_rate > self.overflow_rate:
            return False
        return self.attribution_rate is None or metrics.attribution_rate >= self.attribution_rate

    def to_dict(self) -> dict[str, Any]:
        return {"overflow_rate": self.overflow_rate, "attribution_rate": self.attribution_rate}


def _probability(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and 0.0 <= value <= 1.0
    )


@dataclass(frozen=True, slots=True)
class SizePoint:
    """One simulated candidate: the sized pool's metrics and Erlang B at the peak hour."""

    max_pool_size: int
    lifetime_seconds: int
    metrics: PoolMetrics
    erlang_b: float
    meets_targets: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_pool_size": self.max_pool_size,
            "lifetime_seconds": self.lifetime_seconds,
            "meets_targets": self.meets_targets,
            "erlang_b_peak_hour": round(self.erlang_b, 6),
            "metrics": self.metrics.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The answer: ``max_pool_size`` (None when no size up to the cap meets the targets)."""

    scenario: str
    pool: str
    seed: int
    targets: Targets
    peak_arrivals_per_hour: float
    lifetime_seconds: int
    offered_load: float
    erlang_estimate: int
    max_pool_size: int | None
    at_size: SizePoint | None
    below: SizePoint | None
    evaluated: tuple[SizePoint, ...]
    #: the full report of the run at the recommended size (not part of ``to_dict``)
    report: Report | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "pool": self.pool,
            "seed": self.seed,
            "targets": self.targets.to_dict(),
            "peak_arrivals_per_hour": round(self.peak_arrivals_per_hour, 4),
            "lifetime_seconds": self.lifetime_seconds,
            "offered_load": round(self.offered_load, 4),
            "erlang_estimate": self.erlang_estimate,
            "max_pool_size": self.max_pool_size,
            "at_size": None if self.at_size is None else self.at_size.to_dict(),
            "one_below": None if self.below is None else self.below.to_dict(),
            "evaluated": [point.to_dict() for point in self.evaluated],
        }


def peak_hourly_rate(scenario: Scenario, pool: str) -> float:
    """The pool's arrivals per second in the busiest clock hour (its share of all visitors)."""
    spec = next((p for p in scenario.pools if p.name == pool), None)
    if spec is None:
        raise RecordInvalid(
            f"{pool!r} is not a pool of scenario {scenario.name!r}",
            field_errors={"pool": ["is not a pool of this scenario"]},
        )
    index = scenario.pools.index(spec)
    share = spec.weight / sum(p.weight for p in scenario.pools)
    per_hour: dict[int, float] = {}
    for segment in scenario.rate_segments():
        hour = int(segment.start // 3600)
        rate = (
            segment.rate_per_second * share if segment.pool_rates is None
            else segment.pool_rates[index]
        )
        per_hour[hour] = per_hour.get(hour, 0.0) + rate * (segment.end - segment.start)
    busiest = max(per_hour.values(), default=0.0)
    return busiest / 3600.0


def recommend(
    scenario: Scenario,
    targets: Targets,
    *,
    pool: str | None = None,
    seed: int | None = None,
    lifetimes: Sequence[int] | None = None,
    curve_points: int = 0,
    progress: Callable[[str], None] | None = None,
) -> Recommendation:
    """Search the smallest ``max_pool_size`` of ``pool`` (default: the first) meeting ``targets``.

    ``seed`` defaults to the scenario's. ``lifetimes`` searches the lifetime too (see the module
    docstring). ``curve_points`` adds that many evenly spaced sizes (up to twice the estimate)
    to ``evaluated`` for an overflow-vs-size curve. ``progress`` is told about each run.
    """
    name = scenario.pools[0].name if pool is None else pool
    seed = scenario.seed if seed is None else seed
    peak_rate = peak_hourly_rate(scenario, name)
    spec = next(p for p in scenario.pools if p.name == name)
    candidates = tuple(lifetimes) if lifetimes else (spec.lifetime_seconds,)
    for lifetime in candidates:
        if isinstance(lifetime, bool) or not isinstance(lifetime, int) or lifetime < 1:
            raise RecordInvalid(
                f"lifetimes must be positive integers, got {lifetime!r}",
                field_errors={"lifetimes": ["must be integers greater than 0"]},
            )
    cache: dict[tuple[int, int], SizePoint] = {}
    reports: dict[tuple[int, int], Report] = {}

    def evaluate(size: int, lifetime: int) -> SizePoint:
        key = (size, lifetime)
        point = cache.get(key)
        if point is None:
            if progress is not None:
                progress(f"pool {name}: {size} numbers, lifetime {lifetime} s")
            sized = scenario.with_pool(name, max_pool_size=size, lifetime_seconds=lifetime)
            report = reports[key] = run_scenario(sized.with_seed(seed), rng=random.Random(seed))
            metrics = report.pool(name)
            point = cache[key] = SizePoint(
                max_pool_size=size,
                lifetime_seconds=lifetime,
                metrics=metrics,
                erlang_b=erlang_b(size, peak_rate * lifetime),
                meets_targets=targets.met_by(metrics),
            )
        return point

    results: list[tuple[int | None, int, int]] = []  # (size or None, lifetime, estimate)
    for lifetime in candidates:
        estimate = max(1, min(MAX_POOL_SIZE, _estimate(targets, peak_rate * lifetime)))
        results.append((_search(evaluate, estimate, lifetime), lifetime, estimate))
        if curve_points > 0:
            top = max(2 * estimate, 2)
            for index in range(1, curve_points + 1):
                evaluate(max(1, round(top * index / curve_points)), lifetime)

    found = [r for r in results if r[0] is not None]
    if found:
        size, lifetime, estimate = min(found, key=lambda r: (r[0], -r[1]))
    else:
        size, lifetime, estimate = None, results[-1][1], results[-1][2]
    at_size = below = None
    if size is not None:
        at_size = evaluate(size, lifetime)
        below = evaluate(size - 1, lifetime) if size > 1 else None
    return Recommendation(
        scenario=scenario.name,
        pool=name,
        seed=seed,
        targets=targets,
        peak_arrivals_per_hour=peak_rate * 3600.0,
        lifetime_seconds=lifetime,
        offered_load=peak_rate * lifetime,
        erlang_estimate=estimate,
        max_pool_size=size,
        at_size=at_size,
        below=below,
        evaluated=tuple(
            sorted(cache.values(), key=lambda p: (p.lifetime_seconds, p.max_pool_size))
        ),
        report=None if size is None else reports[(size, lifetime)],
    )


def _estimate(targets: Targets, offered_load: float) -> int:
    if offered_load <= 0:
        return 1
    if targets.overflow_rate <= 0:
        # B(c, A) > 0 for every c; start where it is negligible (1e-9)
        return servers_for(1e-9, offered_load)
    return servers_for(targets.overflow_rate, offered_load)


def _search(evaluate: Callable[[int, int], SizePoint], estimate: int, lifetime: int) -> int | None:
    """Smallest size meeting the targets, assuming monotonicity; None above MAX_POOL_SIZE."""
    if evaluate(estimate, lifetime).meets_targets:
        low, high = 0, estimate  # size 0 is not a pool: treated as failing
    else:
        low, high = estimate, estimate
        while True:
            if high >= MAX_POOL_SIZE:
                return None
            high = min(MAX_POOL_SIZE, high * 2)
            if evaluate(high, lifetime).meets_targets:
                break
            low = high
    while high - low > 1:
        middle = (low + high) // 2
        if evaluate(middle, lifetime).meets_targets:
            high = middle
        else:
            low = middle
    return high
