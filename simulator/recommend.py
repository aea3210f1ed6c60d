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
* With ``minimise_cost`` the answer is the size with the lowest total cost (numbers' cost +
  value of the calls lost to overflow and misattribution, :mod:`simulator.costs`): the first
  size ``s`` whose next number saves less than it costs (``cost(s + 1) >= cost(s)``), found
  by galloping from Erlang B's cost-optimal size and bisecting on that sign; this assumes
  total cost is convex in the size (diminishing returns of a number, docs/fidelity.md NS4).
  With targets as well, the answer is the larger of the two sizes (the cheapest size meeting
  the targets, when cost is convex).
* Every search gallops from its start (steps 1, 2, 4, ... up or down) and bisects, so a good
  start costs few runs. ``progress(fraction, message)`` is told the share of the planned
  visitor-days simulated so far: monotone, and 1.0 at the end (the plan grows when the search
  needs more runs than planned; the fraction then holds still, never goes back).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from simulator.costs import CostSpec, PoolCosts, number_cost, pool_costs
from simulator.erlang import erlang_b, servers_for
from simulator.errors import RecordInvalid
from simulator.report import PoolMetrics, Report
from simulator.runner import run_scenario
from simulator.scenario import Scenario
from simulator.traffic import expected_visitors

__all__ = [
    "DEFAULT_LIFETIMES",
    "Goal",
    "Recommendation",
    "RunMeter",
    "SizePoint",
    "Sizer",
    "Targets",
    "erlang_cost_size",
    "peak_hourly_rate",
    "planned_runs",
    "recommend",
    "run_weight",
]

#: candidate lifetimes (seconds) for ``--search-lifetime``: 5 minutes to 1 hour
DEFAULT_LIFETIMES: tuple[int, ...] = (300, 600, 900, 1200, 1800, 2700, 3600)
#: the search gives up above this many numbers per pool
MAX_POOL_SIZE = 100_000
#: sizes simulated above the cost search's answer, looking for a cheaper one (NS4)
COST_SCAN = 8


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

    def met_by(self, metrics: PoolMetrics | None) -> bool:
        if metrics is None:
            return True
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
    costs: PoolCosts | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_pool_size": self.max_pool_size,
            "lifetime_seconds": self.lifetime_seconds,
            "meets_targets": self.meets_targets,
            "erlang_b_peak_hour": round(self.erlang_b, 6),
            "metrics": self.metrics.to_dict(),
            "costs": None if self.costs is None else self.costs.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Goal:
    """What a search asks of a size: ``targets`` met (None: none), and/or the lowest total
    cost (``minimise_cost``; ``count_misattributed=False`` values overflow losses only)."""

    targets: Targets | None = None
    minimise_cost: bool = False
    count_misattributed: bool = True

    def __post_init__(self) -> None:
        if self.targets is None and not self.minimise_cost:
            raise RecordInvalid(
                "give a target overflow or ask to minimise cost",
                field_errors={"target_overflow": ["can't be blank without --minimise-cost"]},
            )

    def relaxed(self) -> Goal:
        """The goal as Erlang B sees it: overflow only (no attribution, no misattribution)."""
        targets = None if self.targets is None else Targets(self.targets.overflow_rate)
        return Goal(targets, self.minimise_cost, count_misattributed=False)


class RunMeter:
    """Progress over a plan of runs, weighted by each run's expected visitor-days: monotone,
    1.0 only from :meth:`done`. The plan grows when more runs are needed than planned."""

    def __init__(self, report: Callable[[float, str], None] | None, planned: float) -> None:
        self._report = report
        self._planned = max(1e-9, planned)  # in visitor-days
        self._done = 0.0
        self._shown = 0.0

    def plan(self, visitor_days: float) -> None:
        """Plan this many more visitor-days (never shrinks the plan)."""
        self._planned = max(self._planned, self._done + visitor_days)

    def run(self, weight: float, message: str) -> Callable[[float], None] | None:
        """Start a run of ``weight`` visitor-days: the runner's progress callback for it."""
        if self._report is None:
            return None
        base = self._done
        self._done += weight
        self._planned = max(self._planned, self._done * 1.25)
        report, planned = self._report, self._planned

        def tick(fraction: float) -> None:
            shown = min(1.0, (base + weight * fraction) / planned)
            self._shown = max(self._shown, shown)
            report(self._shown, message)

        tick(0.0)
        return tick

    def done(self, message: str = "done") -> None:
        if self._report is not None:
            self._shown = 1.0
            self._report(1.0, message)


@dataclass(frozen=True, slots=True)
class Recommendation:
    """The answer: ``max_pool_size`` (None when no size up to the cap meets the targets)."""

    scenario: str
    pool: str
    seed: int
    targets: Targets | None
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
    minimise_cost: bool = False
    #: Erlang B's cost-optimal size at the peak hour (with ``minimise_cost``)
    erlang_cost_estimate: int | None = None
    #: the smallest size meeting the targets and the cheapest size, when both were searched
    target_size: int | None = None
    cheapest_size: int | None = None

    @property
    def erlang_answer(self) -> int:
        """Erlang B's answer to the same question (the one the gap is measured from)."""
        if self.minimise_cost and self.erlang_cost_estimate is not None:
            if self.targets_given:
                return max(self.erlang_estimate, self.erlang_cost_estimate)
            return self.erlang_cost_estimate
        return self.erlang_estimate

    @property
    def targets_given(self) -> bool:
        return self.targets is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "pool": self.pool,
            "seed": self.seed,
            "targets": None if self.targets is None else self.targets.to_dict(),
            "peak_arrivals_per_hour": round(self.peak_arrivals_per_hour, 4),
            "lifetime_seconds": self.lifetime_seconds,
            "offered_load": round(self.offered_load, 4),
            "erlang_estimate": self.erlang_estimate,
            "max_pool_size": self.max_pool_size,
            "at_size": None if self.at_size is None else self.at_size.to_dict(),
            "one_below": None if self.below is None else self.below.to_dict(),
            "evaluated": [point.to_dict() for point in self.evaluated],
            "minimise_cost": self.minimise_cost,
            "erlang_cost_estimate": self.erlang_cost_estimate,
            "target_size": self.target_size,
            "cheapest_size": self.cheapest_size,
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


def erlang_cost_size(
    offered_load: float, cost_per_number: float, value_per_blocked_share: float
) -> int:
    """Erlang B's cost-optimal size: the ``c`` minimising ``c x cost_per_number +
    B(c, A) x value_per_blocked_share`` (the first ``c`` where one more number saves less
    than it costs; B is convex in c)."""
    if cost_per_number <= 0:
        return MAX_POOL_SIZE
    blocking, c = 1.0, 0
    while c < MAX_POOL_SIZE:
        carried = offered_load * blocking
        following = carried / (c + 1 + carried)
        if (blocking - following) * value_per_blocked_share <= cost_per_number:
            return max(1, c)
        blocking, c = following, c + 1
    return MAX_POOL_SIZE


def planned_runs(estimate: int) -> int:
    """Runs a search from ``estimate`` is expected to take (gallop, bisection, one below)."""
    return 2 * max(1, estimate).bit_length() + 3


def run_weight(scenario: Scenario) -> float:
    """A run's expected visitor-days (visitors a day x days: its expected visitors), the unit
    of progress."""
    return max(1.0, expected_visitors(scenario.rate_segments()))


def _cost_weights(scenario: Scenario, pool: str, costs: CostSpec) -> tuple[float, float]:
    """Erlang B's view of one pool's cost: a number's cost over the run, and the value lost
    if every call were lost (the pool's expected calls x ``call_value``)."""
    spec = next(p for p in scenario.pools if p.name == pool)
    index = scenario.pools.index(spec)
    share = spec.weight / sum(p.weight for p in scenario.pools)
    visitors = math.fsum(
        (segment.rate_per_second * share if segment.pool_rates is None
         else segment.pool_rates[index]) * (segment.end - segment.start)
        for segment in scenario.rate_segments()
    )
    calls = visitors * scenario.calls.probability
    return number_cost(1, costs, scenario.days), calls * costs.call_value


class Sizer:
    """Simulates one pool of a scenario at candidate sizes (common random numbers: every size
    sees the seed's visitors and calls) and answers a :class:`Goal` by searching them."""

    def __init__(
        self, scenario: Scenario, goal: Goal, *, pool: str, seed: int,
        meter: RunMeter | None = None,
    ) -> None:
        self.scenario, self.goal, self.pool, self.seed, self.meter = (
            scenario, goal, pool, seed, meter)
        spec = next(p for p in scenario.pools if p.name == pool)
        self.costs = spec.costs(scenario.costs)
        if goal.minimise_cost and self.costs.number_monthly_cost <= 0:
            raise RecordInvalid(
                f"minimising cost needs a number_monthly_cost above 0 (pool {pool!r})",
                field_errors={"number_monthly_cost": ["must be above 0 to minimise cost"]},
            )
        self.peak_rate = peak_hourly_rate(scenario, pool)
        self.weight = run_weight(scenario)
        self.points: dict[tuple[int, int], SizePoint] = {}
        self.reports: dict[tuple[int, int], Report] = {}

    def evaluate(self, size: int, lifetime: int) -> SizePoint:
        """The pool simulated at ``size`` numbers held ``lifetime`` seconds (cached)."""
        key = (size, lifetime)
        point = self.points.get(key)
        if point is None:
            message = f"pool {self.pool}: {size} numbers, lifetime {lifetime} s"
            tick = None if self.meter is None else self.meter.run(self.weight, message)
            sized = self.scenario.with_pool(
                self.pool, max_pool_size=size, lifetime_seconds=lifetime
            ).with_seed(self.seed)
            report = self.reports[key] = run_scenario(
                sized, rng=random.Random(self.seed), progress=tick
            )
            metrics = report.pool(self.pool)
            targets = self.goal.targets
            point = self.points[key] = SizePoint(
                max_pool_size=size,
                lifetime_seconds=lifetime,
                metrics=metrics,
                erlang_b=erlang_b(size, self.peak_rate * lifetime),
                meets_targets=targets is None or targets.met_by(metrics),
                costs=pool_costs(metrics, self.costs, self.scenario.days,
                                 count_misattributed=self.goal.count_misattributed),
            )
        return point

    def total_cost(self, size: int, lifetime: int) -> float:
        costs = self.evaluate(size, lifetime).costs
        return 0.0 if costs is None else costs.total_cost

    def answer(self, start: int, lifetime: int, goal: Goal | None = None) -> int | None:
        """The size answering ``goal`` (default: the sizer's), searched from ``start``: the
        smallest meeting the targets, the cheapest, or the larger of both; None past the cap."""
        goal = self.goal if goal is None else goal
        start = max(1, min(MAX_POOL_SIZE, start))
        found: list[int | None] = []
        if goal.targets is not None:
            targets = goal.targets
            found.append(_first_true(
                lambda size: targets.met_by(self.evaluate(size, lifetime).metrics), start))
        if goal.minimise_cost:
            found.append(self._cheapest(start, lifetime, goal.targets))
        if any(size is None for size in found):
            return None
        return max(cast(int, size) for size in found)


    def _cheapest(self, start: int, lifetime: int, targets: Targets | None) -> int | None:
        """The cheapest size: bisection on the sign of the next number's saving, then a look
        further up (lost value only falls with more numbers, so no size past
        ``t + lost_value(t) / a number's cost`` can be cheaper; at most COST_SCAN sizes), then
        the cheapest of every size simulated at this lifetime (meeting ``targets``)."""
        found = _first_true(
            lambda size: self.total_cost(size + 1, lifetime) >= self.total_cost(size, lifetime),
            start,
        )
        if found is None:
            return None
        per_number = number_cost(1, self.costs, self.scenario.days)
        lost = self.evaluate(found, lifetime).costs
        reach = 0 if lost is None else math.ceil(lost.lost_value / per_number)
        for size in range(found + 1, min(MAX_POOL_SIZE, found + min(reach, COST_SCAN)) + 1):
            self.evaluate(size, lifetime)
        candidates = [
            point for (size, life), point in self.points.items()
            if life == lifetime and (targets is None or targets.met_by(point.metrics))
        ]
        best = min(candidates, key=lambda p: (self.total_cost(p.max_pool_size, lifetime),
                                              p.max_pool_size), default=None)
        return found if best is None else best.max_pool_size


def recommend(
    scenario: Scenario,
    targets: Targets | None,
    *,
    pool: str | None = None,
    seed: int | None = None,
    lifetimes: Sequence[int] | None = None,
    curve_points: int = 0,
    minimise_cost: bool = False,
    progress: Callable[[float, str], None] | None = None,
) -> Recommendation:
    """Search the ``max_pool_size`` of ``pool`` (default: the first) meeting ``targets``, or
    with the lowest total cost (``minimise_cost``), or both (the larger).

    ``seed`` defaults to the scenario's. ``lifetimes`` searches the lifetime too (see the module
    docstring). ``curve_points`` adds that many evenly spaced sizes (up to twice the estimate)
    to ``evaluated`` for an overflow-vs-size curve. ``progress(fraction, message)`` is told
    the share of the planned visitor-days simulated (monotone, 1.0 at the end).
    """
    goal = Goal(targets, minimise_cost)
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
    meter = RunMeter(progress, run_weight(scenario))
    sizer = Sizer(scenario, goal, pool=name, seed=seed, meter=meter)
    cost_weights = _cost_weights(scenario, name, sizer.costs)

    def estimates(lifetime: int) -> tuple[int, int | None]:
        load = peak_rate * lifetime
        by_target = max(1, min(MAX_POOL_SIZE, _estimate(targets, load)))
        if not minimise_cost:
            return by_target, None
        return by_target, erlang_cost_size(load, *cost_weights)

    meter.plan(sizer.weight * sum(
        planned_runs(max(e for e in estimates(lifetime) if e is not None)) + curve_points
        + (2 * planned_runs(1) if minimise_cost and targets is not None else 0)
        for lifetime in candidates
    ))
    results: list[tuple[int | None, int, int, int | None]] = []
    for lifetime in candidates:
        by_target, by_cost = estimates(lifetime)
        start = by_target if by_cost is None else by_cost
        if by_cost is not None and targets is not None:
            start = max(by_target, by_cost)  # the answer is the larger of the two
        results.append((sizer.answer(start, lifetime), lifetime, by_target, by_cost))
        if curve_points > 0:
            top = max(2 * by_target, 2)
            for index in range(1, curve_points + 1):
                sizer.evaluate(max(1, round(top * index / curve_points)), lifetime)

    found = [r for r in results if r[0] is not None]
    if found and minimise_cost:
        size, lifetime, estimate, cost_estimate = min(
            found, key=lambda r: (sizer.total_cost(cast(int, r[0]), r[1]), -r[1]))
    elif found:
        size, lifetime, estimate, cost_estimate = min(found, key=lambda r: (r[0], -r[1]))
    else:
        size, lifetime, estimate, cost_estimate = results[-1]
    at_size = below = None
    target_size = cheapest_size = None
    if size is not None:
        at_size = sizer.evaluate(size, lifetime)
        below = sizer.evaluate(size - 1, lifetime) if size > 1 else None
        if minimise_cost and targets is not None:
            target_size = sizer.answer(size, lifetime, Goal(targets))
            cheapest_size = sizer.answer(size, lifetime, Goal(None, minimise_cost=True))
    meter.done()
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
            sorted(sizer.points.values(), key=lambda p: (p.lifetime_seconds, p.max_pool_size))
        ),
        report=None if size is None else sizer.reports[(size, lifetime)],
        minimise_cost=minimise_cost,
        erlang_cost_estimate=cost_estimate,
        target_size=target_size,
        cheapest_size=cheapest_size,
    )


def _estimate(targets: Targets | None, offered_load: float) -> int:
    if targets is None or offered_load <= 0:
        return 1
    if targets.overflow_rate <= 0:
        # B(c, A) > 0 for every c; start where it is negligible (1e-9)
        return servers_for(1e-9, offered_load)
    return servers_for(targets.overflow_rate, offered_load)


def _first_true(holds: Callable[[int], bool], start: int) -> int | None:
    """The smallest size >= 1 where ``holds`` (assumed monotone: false, then true) is true,
    galloping from ``start`` (steps 1, 2, 4, ...) then bisecting; None past MAX_POOL_SIZE."""
    if holds(start):
        low, high, step = 0, start, 1  # size 0 is not a pool: treated as false
        while high - step >= 1:
            if not holds(high - step):
                low = high - step
                break
            high, step = high - step, step * 2
    else:
        low, step = start, 1
        while True:
            if low >= MAX_POOL_SIZE:
                return None
            probe = min(MAX_POOL_SIZE, low + step)
            if holds(probe):
                high = probe
                break
            low, step = probe, step * 2
    while high - low > 1:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle
    return high
