"""Sizing a whole network: every pool to its targets, or a shared budget of numbers.

Rules (docs/fidelity.md NS6-NS11):

* Pools are independent (a visitor of one never takes a number of another), so each is
  simulated on its own, as a one-pool scenario, seeded by :func:`pool_seed` from the network
  seed and the pool's name: the answer does not depend on the pools' order nor on where (or
  in which order) their runs are made. Every size of a pool sees the same visitors and calls
  (common random numbers), so the differences between sizes are the numbers', not noise's.
* Runs fan out through ``map_tasks`` (the seam): ``map_tasks(function, tasks)`` returns the
  results in the tasks' order. :func:`serial_map` is the default; ``client/fanout.py`` maps on
  Dask. The functions mapped (:func:`simulate_sizes`, :func:`size_to_targets`) are top-level
  and their tasks plain frozen dataclasses, so they pickle. Nothing here imports Dask.
* Targets mode: each pool gets :func:`simulator.recommend.recommend`'s answer to its targets.
* Budget mode (greedy on marginal value, checked by simulation): every pool starts with one
  number; each next number goes to the pool where it buys the most, that is where the value
  of the calls its next numbers save (lost value at ``n`` minus at ``n + k``, both simulated,
  over ``k``: the best run the budget left can buy) minus a number's own cost over the run is
  highest; ties go to the pool whose name sorts first. A number that would buy nothing (net
  value <= 0) is not placed: the budget is a cap. Runs, not single numbers, because lost
  value is not convex: a busy pool's second number saves little while both are always held,
  its twentieth a lot. This is the greedy answer, not always the optimum (fidelity NS10).
* Curves are simulated in rounds: first each pool up to a guess (its share of the budget by
  Erlang B at 1 % overflow, plus 2); the greedy then runs on what is known, and a pool whose
  best run could reach past its simulated sizes and still win (a run of ``k`` numbers saves
  at most the value still lost, over ``k``: lost value never goes below 0) has its curve
  doubled in the next round. The greedy re-runs from the start on the longer
  curves, so the answer is the same as with every size simulated up front.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from simulator.costs import PoolCosts, number_cost, total_costs
from simulator.erlang import servers_for
from simulator.errors import RecordInvalid
from simulator.network_file import Network, NetworkPool, check_budget
from simulator.recommend import Targets, peak_hourly_rate, recommend
from simulator.report import PoolMetrics
from simulator.runner import run_scenario
from simulator.scenario import Scenario
from simulator.traffic import expected_visitors

__all__ = [
    "Allocation",
    "CurveTask",
    "Mapper",
    "NetworkReport",
    "PoolRow",
    "SizeOutcome",
    "TargetTask",
    "greedy_allocation",
    "pool_seed",
    "serial_map",
    "simulate_sizes",
    "size_network",
    "size_to_targets",
]

#: ``map_tasks(function, tasks) -> results in the tasks' order``: the fan-out seam
Mapper = Callable[[Callable[[Any], Any], Sequence[Any]], list[Any]]


def serial_map(function: Callable[[Any], Any], tasks: Sequence[Any]) -> list[Any]:
    """The default :data:`Mapper`: one task after the other, in this process."""
    return [function(task) for task in tasks]


def pool_seed(network_seed: int, pool_name: str) -> int:
    """A pool's seed from the network's and the pool's name (64 bits of SHA-256): the same
    wherever the pool is in the file and whichever worker runs it."""
    digest = hashlib.sha256(f"{network_seed}\x00{pool_name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


@dataclass(frozen=True, slots=True)
class SizeOutcome:
    """One pool simulated at one size: its metrics and costs."""

    size: int
    metrics: PoolMetrics
    costs: PoolCosts


@dataclass(frozen=True, slots=True)
class CurveTask:
    """Simulate a one-pool scenario at ``sizes`` (seeded with ``seed``)."""

    scenario: Scenario
    seed: int
    sizes: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TargetTask:
    """Size a one-pool scenario to ``targets`` (seeded with ``seed``)."""

    scenario: Scenario
    seed: int
    targets: Targets


def _outcome(scenario: Scenario, seed: int, size: int) -> SizeOutcome:
    name = scenario.pools[0].name
    sized = scenario.with_pool(name, max_pool_size=size).with_seed(seed)
    report = run_scenario(sized, rng=random.Random(seed))
    return SizeOutcome(size, report.pools[0], report.costs[0])


def simulate_sizes(task: CurveTask) -> tuple[SizeOutcome, ...]:
    """The mapped function of budget mode: one pool's outcomes at the task's sizes."""
    return tuple(_outcome(task.scenario, task.seed, size) for size in task.sizes)


def size_to_targets(task: TargetTask) -> tuple[SizeOutcome | None, SizeOutcome | None]:
    """The mapped function of targets mode: the pool at its recommended size and one below
    (None, None: no size within the search cap meets the targets)."""
    result = recommend(task.scenario, task.targets, seed=task.seed)
    found: list[SizeOutcome | None] = []
    for point in (result.at_size, result.below):
        if point is None or point.costs is None:
            found.append(None)
        else:
            found.append(SizeOutcome(point.max_pool_size, point.metrics, point.costs))
    return found[0], found[1]


@dataclass(frozen=True, slots=True)
class Allocation:
    """The greedy's answer on known curves: ``sizes`` per pool, numbers ``spent``, and the
    pools whose curve must be simulated further before the greedy can go on (``extend``)."""

    sizes: tuple[int, ...]
    spent: int
    extend: tuple[int, ...] = ()
    #: the net value of the last number placed (None: none placed past one per pool)
    threshold: float | None = None


def run_saving(curve: Sequence[float], size: int, longest: int) -> tuple[float, bool]:
    """What the next numbers of a pool at ``size`` save, a number on average: the best of
    ``(lost[size] - lost[size + k]) / k`` over the runs of ``k <= longest`` numbers simulated,
    and whether that is known. A run past the simulated sizes saves at most everything still
    lost; when that bound beats the runs known, the answer is the bound, marked unknown."""
    best = -math.inf
    for k in range(1, min(longest, len(curve) - size) + 1):
        best = max(best, (curve[size - 1] - curve[size - 1 + k]) / k)
    unsimulated = len(curve) - size + 1  # the shortest run that reaches past the curve
    if unsimulated <= longest and curve[size - 1] / unsimulated > best:
        return curve[size - 1] / unsimulated, False
    return best, True


def greedy_allocation(
    lost_values: Sequence[Sequence[float]],
    costs_per_number: Sequence[float],
    budget: int,
    names: Sequence[str] | None = None,
) -> Allocation:
    """Greedy on marginal value. ``lost_values[p][k]`` is pool ``p``'s lost value at ``k + 1``
    numbers (the sizes simulated so far, at least size 1); ``costs_per_number[p]`` is one of
    its numbers' cost over the run. Each pool gets one number, then each next number goes to
    the pool whose next numbers save the most, net, a number on average over the best run the
    budget left can buy (:func:`run_saving`: a pool whose first few numbers save little, all
    of them held at once, still gets the run that ends its overflow); ties: the name that
    sorts first; while it is above 0 and the budget lasts."""
    count = len(lost_values)
    names = [str(index) for index in range(count)] if names is None else list(names)
    check_budget(budget, count)
    sizes = [1] * count
    spent = count
    heap: list[tuple[float, str, int, bool]] = []

    def entry(pool: int) -> tuple[float, str, int, bool]:
        saving, known = run_saving(lost_values[pool], sizes[pool], budget - spent)
        return -(saving - costs_per_number[pool]), names[pool], pool, known

    for pool in range(count):
        heapq.heappush(heap, entry(pool))
    threshold: float | None = None
    blocked: list[int] = []  # pools whose next numbers are not simulated yet but could win
    while spent < budget and heap:
        popped = heapq.heappop(heap)
        current = entry(popped[2])  # (a smaller budget left buys shorter runs: never more)
        if current != popped:
            heapq.heappush(heap, current)
            continue
        value, _, pool, known = popped
        if -value <= 0:
            break
        if not known:  # could win: set aside, and go on without it to find the others
            blocked.append(pool)  # (every pool whose bound beats a number placed after it)
            continue
        sizes[pool] += 1
        spent += 1
        threshold = -value
        heapq.heappush(heap, entry(pool))
    if blocked:
        return Allocation(tuple(sizes), spent, tuple(sorted(blocked)), threshold)
    return Allocation(tuple(sizes), spent, (), threshold)


@dataclass(frozen=True, slots=True)
class PoolRow:
    """One pool of the answer: its size and outcome, and why it has that many numbers."""

    name: str
    visitors_per_day: float
    outcome: SizeOutcome | None
    #: lost value saved by the pool's last number, and what one more would save
    last_number_saves: float | None
    next_number_saves: float | None
    #: one number's cost over the run
    number_cost: float
    targets: Targets | None
    #: the numbers the pool has today (a pool's ``current_size``; None: not known)
    current_numbers: int | None = None

    @property
    def numbers(self) -> int | None:
        return None if self.outcome is None else self.outcome.size

    @property
    def meets_targets(self) -> bool | None:
        if self.targets is None or self.outcome is None:
            return None
        return self.targets.met_by(self.outcome.metrics)

    def to_dict(self) -> dict[str, Any]:
        metrics = None if self.outcome is None else self.outcome.metrics
        costs = None if self.outcome is None else self.outcome.costs
        return {
            "name": self.name,
            "numbers": self.numbers,
            "current_numbers": self.current_numbers,
            "visitors_per_day": round(self.visitors_per_day, 4),
            "targets": None if self.targets is None else self.targets.to_dict(),
            "meets_targets": self.meets_targets,
            "number_cost_each": round(self.number_cost, 4),
            "last_number_saves": _rounded(self.last_number_saves),
            "next_number_saves": _rounded(self.next_number_saves),
            "metrics": None if metrics is None else metrics.to_dict(),
            "costs": None if costs is None else costs.to_dict(),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


@dataclass(frozen=True, slots=True)
class NetworkReport:
    """The network's answer. ``to_dict()`` is JSON-safe and deterministic (no timings)."""

    network: str
    seed: int
    days: float
    mode: Literal["targets", "budget"]
    budget: int | None
    rows: tuple[PoolRow, ...]
    total: PoolCosts
    #: net value of the last number the budget placed (budget mode)
    threshold: float | None
    #: sizes simulated (budget mode; None in targets mode: each pool's search) and rounds
    runs: int | None
    rounds: int

    @property
    def spent(self) -> int:
        return sum(row.numbers or 0 for row in self.rows)

    def to_dict(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "seed": self.seed,
            "days": self.days,
            "mode": self.mode,
            "budget": self.budget,
            "spent": self.spent,
            "threshold": _rounded(self.threshold),
            "runs": self.runs,
            "rounds": self.rounds,
            "total": self.total.to_dict(),
            "pools": [row.to_dict() for row in self.rows],
        }


def _visitors_per_day(pool: NetworkPool) -> float:
    """The pool's mean visitors a day over the run (its profile's, or its replayed series')."""
    scenario = pool.scenario
    return expected_visitors(scenario.rate_segments()) / scenario.days


def _cost_each(pool: NetworkPool) -> float:
    scenario = pool.scenario
    return number_cost(1, scenario.pools[0].costs(scenario.costs), scenario.days)


def size_network(
    network: Network,
    *,
    budget: int | None = None,
    map_tasks: Mapper = serial_map,
) -> NetworkReport:
    """Size every pool of ``network``: to its targets, or sharing ``budget`` numbers (default:
    the network's ``budget``; None: targets mode). ``map_tasks`` runs the tasks (the seam)."""
    budget = network.budget if budget is None else check_budget(budget, len(network.pools))
    if budget is None:
        return _to_targets(network, map_tasks)
    return _within_budget(network, budget, map_tasks)


def _to_targets(network: Network, map_tasks: Mapper) -> NetworkReport:
    missing = [pool.name for pool in network.pools if pool.targets is None]
    if missing:
        raise _needs("targets", f"pools without a target need a budget: {', '.join(missing[:5])}")
    tasks = [
        TargetTask(pool.scenario, pool_seed(network.seed, pool.name), pool.targets)
        for pool in network.pools if pool.targets is not None
    ]
    answers = map_tasks(size_to_targets, tasks)
    rows = []
    for pool, (at_size, below) in zip(network.pools, answers, strict=True):
        saves = None
        if at_size is not None and below is not None:
            saves = below.costs.lost_value - at_size.costs.lost_value
        rows.append(PoolRow(pool.name, _visitors_per_day(pool), at_size, saves,
                            None, _cost_each(pool), pool.targets, pool.current_size))
    return NetworkReport(
        network=network.name, seed=network.seed, days=network.days, mode="targets",
        budget=None, rows=tuple(rows),
        total=total_costs([row.outcome.costs for row in rows if row.outcome is not None]),
        threshold=None, runs=None, rounds=1,
    )


def _needs(field: str, message: str) -> RecordInvalid:
    return RecordInvalid(message, field_errors={field: [message]})


def _first_lengths(network: Network, budget: int) -> list[int]:
    """Each pool's first curve length: its share of the budget by Erlang B at 1 % overflow
    at its peak hour, plus 2 (at most what the budget allows one pool)."""
    guesses = []
    for pool in network.pools:
        spec = pool.scenario.pools[0]
        load = peak_hourly_rate(pool.scenario, spec.name) * spec.lifetime_seconds
        guesses.append(servers_for(0.01, load) if load > 0 else 1)
    total = sum(guesses)
    cap = budget - len(network.pools) + 1
    return [min(cap, max(2, math.ceil(guess * budget / total) + 2)) for guess in guesses]


#: most sizes one task simulates (smaller tasks balance the workers' load)
SIZES_PER_TASK = 6


def _within_budget(network: Network, budget: int, map_tasks: Mapper) -> NetworkReport:
    pools = network.pools
    cap = budget - len(pools) + 1
    seeds = [pool_seed(network.seed, pool.name) for pool in pools]
    curves: list[list[SizeOutcome]] = [[] for _ in pools]
    wanted = _first_lengths(network, budget)
    costs_each = [_cost_each(pool) for pool in pools]
    names = [pool.name for pool in pools]
    runs = rounds = 0
    while True:
        todo = [  # (pool, sizes) in chunks of at most SIZES_PER_TASK sizes
            (i, tuple(range(first, min(first + SIZES_PER_TASK, wanted[i] + 1))))
            for i, curve in enumerate(curves)
            for first in range(len(curve) + 1, wanted[i] + 1, SIZES_PER_TASK)
        ]
        if todo:
            rounds += 1
            runs += sum(len(sizes) for _, sizes in todo)
            tasks = [CurveTask(pools[i].scenario, seeds[i], sizes) for i, sizes in todo]
            for (index, _), outcomes in zip(todo, map_tasks(simulate_sizes, tasks), strict=True):
                curves[index].extend(outcomes)  # (chunks of a pool come in size order)
        lost = [[outcome.costs.lost_value for outcome in curve] for curve in curves]
        allocation = greedy_allocation(lost, costs_each, budget, names)
        grown = [i for i in allocation.extend if len(curves[i]) < cap]
        if not grown:  # (cannot happen: a pool at the cap has spent the budget)
            break
        for index in grown:
            wanted[index] = min(cap, 2 * len(curves[index]))
    rows = []
    for index, pool in enumerate(pools):
        size, curve = allocation.sizes[index], curves[index]
        last = (
            curve[size - 2].costs.lost_value - curve[size - 1].costs.lost_value
            if size >= 2 else None
        )
        following = (
            curve[size - 1].costs.lost_value - curve[size].costs.lost_value
            if size < len(curve) else None
        )
        rows.append(PoolRow(pool.name, _visitors_per_day(pool), curve[size - 1],
                            last, following, costs_each[index], pool.targets,
                            pool.current_size))
    return NetworkReport(
        network=network.name, seed=network.seed, days=network.days, mode="budget",
        budget=budget, rows=tuple(rows),
        total=total_costs([row.outcome.costs for row in rows if row.outcome is not None]),
        threshold=allocation.threshold, runs=runs, rounds=rounds,
    )
