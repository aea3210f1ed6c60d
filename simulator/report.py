"""What a scenario run measured: per pool, per interval and in total (:class:`Report`).

Metric definitions (sandbox choices, listed for docs/fidelity.md):

* A visitor who gets the overflow number, or no number at all (``allow_overflow = false`` and
  the pool is full: the page keeps its original number), counts as *overflowed*.
* A call is *attributed* when ``RingPool.attribute(number, call instant)`` returns the
  visitor's own allocation, *misattributed* when it returns another visitor's allocation (the
  number was reallocated before the call), *unattributed* when the visitor dialled the
  overflow number or the page's original number (or the pool had forgotten the allocation;
  see ``retention`` in :func:`simulator.runner.run_scenario`). A number keeps its last
  visitor after the hold ends, as the RingPool does.
* The timeline is cut in intervals of ``resolution_minutes`` (1 to 60, dividing an hour;
  default 60) from ``start_at``; each interval says how many visitors and overflows each pool
  had (``visitors_by_pool``, ``overflows_by_pool``), so a 10-minute burst shows at 10 minutes.
* Calls are counted in the interval the visitor *arrived* (a cohort view), so every call of
  the scenario's visitors is counted, including calls made after the scenario ends.
* Numbers held: a pool's peak is exact (the maximum just after any allocation or at an
  interval's start); with several pools, the all-pools peak of an interval is the sum of the
  pools' peaks (an upper bound: the pools may peak at different instants). Mean held is
  time-weighted (the integral of held numbers over the interval, divided by its length).
  ``utilisation`` is mean held / ``max_pool_size``. The overflow number is not counted: the
  RingPool keeps it apart from the ``max_pool_size`` numbers, so a pool is an Erlang loss
  system with ``max_pool_size`` servers.

* Costs (:mod:`simulator.costs`): per pool, the numbers' cost over the run (pro-rated from
  monthly) and the calls lost to overflow (``unattributed``) and to misattribution, with
  their value; ``total_costs`` sums them.

``to_dict()`` is JSON-safe and deterministic: same scenario, same seed -> same JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simulator.costs import PoolCosts
from simulator.events import iso_utc

__all__ = ["IntervalMetrics", "PoolMetrics", "Report"]


@dataclass(frozen=True, slots=True)
class PoolMetrics:
    """Outcomes of one pool over the whole scenario (or of all pools: ``name="all"``)."""

    name: str
    max_pool_size: int
    lifetime_seconds: int
    visitors: int
    overflows: int
    peak_held: int
    mean_held: float
    calls: int
    attributed: int
    misattributed: int
    unattributed: int
    call_minutes: float

    @property
    def overflow_rate(self) -> float:
        return self.overflows / self.visitors if self.visitors else 0.0

    @property
    def attribution_rate(self) -> float:
        """Share of calls attributed to the right visitor (1.0 when there were no calls)."""
        return self.attributed / self.calls if self.calls else 1.0

    @property
    def utilisation(self) -> float:
        return self.mean_held / self.max_pool_size if self.max_pool_size else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "max_pool_size": self.max_pool_size,
            "lifetime_seconds": self.lifetime_seconds,
            "visitors": self.visitors,
            "overflows": self.overflows,
            "overflow_rate": round(self.overflow_rate, 6),
            "peak_held": self.peak_held,
            "mean_held": round(self.mean_held, 4),
            "utilisation": round(self.utilisation, 6),
            "calls": self.calls,
            "attributed": self.attributed,
            "misattributed": self.misattributed,
            "unattributed": self.unattributed,
            "attribution_rate": round(self.attribution_rate, 6),
            "call_minutes": round(self.call_minutes, 3),
        }


@dataclass(frozen=True, slots=True)
class IntervalMetrics:
    """One interval of the timeline (all pools together; ``*_by_pool`` in pool order)."""

    interval_at: datetime
    visitors: int
    overflows: int
    calls: int
    attributed: int
    misattributed: int
    unattributed: int
    peak_held: int
    mean_held: float
    held_peak_by_pool: tuple[int, ...]
    held_mean_by_pool: tuple[float, ...]
    visitors_by_pool: tuple[int, ...] = ()
    overflows_by_pool: tuple[int, ...] = ()

    @property
    def overflow_rate(self) -> float:
        return self.overflows / self.visitors if self.visitors else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "interval_at": iso_utc(self.interval_at),
            "visitors": self.visitors,
            "overflows": self.overflows,
            "overflow_rate": round(self.overflow_rate, 6),
            "calls": self.calls,
            "attributed": self.attributed,
            "misattributed": self.misattributed,
            "unattributed": self.unattributed,
            "peak_held": self.peak_held,
            "mean_held": round(self.mean_held, 4),
            "held_peak_by_pool": list(self.held_peak_by_pool),
            "held_mean_by_pool": [round(v, 4) for v in self.held_mean_by_pool],
            "visitors_by_pool": list(self.visitors_by_pool),
            "overflows_by_pool": list(self.overflows_by_pool),
        }


@dataclass(frozen=True, slots=True)
class Report:
    """What a scenario run measured. ``to_dict()`` is JSON-safe and deterministic."""

    scenario: str
    seed: int
    start_at: datetime
    days: float
    total: PoolMetrics
    pools: tuple[PoolMetrics, ...]
    timeline: tuple[IntervalMetrics, ...]
    resolution_minutes: int = 60
    allocations_forgotten: int = 0
    scenario_spec: dict[str, Any] = field(default_factory=dict)
    #: per pool (in pool order) and in total: numbers' cost and lost calls (simulator/costs.py)
    costs: tuple[PoolCosts, ...] = ()
    total_costs: PoolCosts | None = None

    def pool(self, name: str) -> PoolMetrics:
        for metrics in self.pools:
            if metrics.name == name:
                return metrics
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "seed": self.seed,
            "start_at": iso_utc(self.start_at),
            "days": self.days,
            "resolution_minutes": self.resolution_minutes,
            "total": self.total.to_dict(),
            "pools": [pool.to_dict() for pool in self.pools],
            "timeline": [hour.to_dict() for hour in self.timeline],
            "allocations_forgotten": self.allocations_forgotten,
            "costs": {
                "pools": [cost.to_dict() for cost in self.costs],
                "total": None if self.total_costs is None else self.total_costs.to_dict(),
            },
            "spec": self.scenario_spec,
        }
