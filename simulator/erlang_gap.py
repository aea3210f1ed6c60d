"""Why the simulated answer differs from Erlang B's: the gap, step by step.

Rules (docs/fidelity.md NS5):

* Erlang B answers for a loss system with Poisson arrivals at a constant rate (the pool's
  busiest clock hour), holds of ``lifetime_seconds`` and nothing but overflow counted. The
  simulation differs in three ways; each is added back one at a time, and the same search
  (same goal, seed, lifetime: :class:`simulator.recommend.Sizer`) is re-run at each step:

  1. *as Erlang B assumes*: every hour at the peak hour's rate, no bursts, overflow only
     (no attribution target, misattributed calls not valued). What is left against Erlang B
     is sampling and the run's edges (the pool starts empty).
  2. *+ lifetime*: calls that come after the hold ends can reach a number given to someone
     else; the attribution target and the value of misattributed calls count again.
  3. *+ daily and weekly shape*: the real profile (the quiet hours count in the run's
     overflow rate, so fewer numbers are needed than for a peak held all day).
  4. *+ bursts*: the scenario as written (the recommended size).

  The steps telescope: their changes add up to the recommended size minus Erlang B's.
* The flat traffic is the pool alone at its peak hour's rate (replayed traffic too). Sans-IO
  and deterministic, like the search it re-runs.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.recommend import (
    Goal,
    Recommendation,
    RunMeter,
    Sizer,
    peak_hourly_rate,
    planned_runs,
    run_weight,
)
from simulator.scenario import Scenario
from simulator.traffic import FLAT_DAY, FLAT_WEEK, TrafficProfile

__all__ = ["ErlangGap", "GapStep", "explain_gap"]


@dataclass(frozen=True, slots=True)
class GapStep:
    """One step: the size the search answers with this much realism (None: past the cap)."""

    label: str
    size: int | None
    change: int | None
    why: str

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.label, "size": self.size, "change": self.change, "why": self.why}


@dataclass(frozen=True, slots=True)
class ErlangGap:
    """Erlang B's answer, the simulated one, and the steps between them."""

    erlang: int
    simulated: int
    steps: tuple[GapStep, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "erlang_b": self.erlang,
            "simulated": self.simulated,
            "gap": self.simulated - self.erlang,
            "steps": [step.to_dict() for step in self.steps],
        }


def flattened(scenario: Scenario, pool: str) -> Scenario:
    """The pool alone, every hour at its peak-hour rate, no bursts (replayed traffic too)."""
    spec = next(p for p in scenario.pools if p.name == pool)
    traffic = TrafficProfile(
        visitors_per_day=peak_hourly_rate(scenario, pool) * 86_400.0,
        daily=FLAT_DAY, weekly=FLAT_WEEK, bursts=(),
    )
    return dataclasses.replace(
        scenario, pools=(dataclasses.replace(spec, weight=1.0),), traffic=traffic,
        sessions=(), sessions_csv="",
    )


def without_bursts(scenario: Scenario) -> Scenario:
    return dataclasses.replace(
        scenario, traffic=dataclasses.replace(scenario.traffic, bursts=())
    )


def explain_gap(
    scenario: Scenario,
    result: Recommendation,
    *,
    progress: Callable[[float, str], None] | None = None,
) -> ErlangGap | None:
    """The steps from Erlang B's answer to ``result``'s (None when no size was found).
    ``progress(fraction, message)`` as :func:`simulator.recommend.recommend`'s."""
    if result.max_pool_size is None:
        return None
    goal = Goal(result.targets, result.minimise_cost)
    lifetime, name, seed = result.lifetime_seconds, result.pool, result.seed
    erlang = result.erlang_answer
    flat = flattened(scenario, name)
    variants = (
        ("as Erlang B assumes", flat, goal.relaxed(),
         "sampling and the run's edges (flat peak-hour traffic, overflow only)"),
        ("+ lifetime", flat, goal,
         "calls after the hold reach a number given to someone else"),
        ("+ daily and weekly shape", without_bursts(scenario), goal,
         "quiet hours count in the run's overflow; the peak does not last all day"),
    )
    runs = planned_runs(abs(result.max_pool_size - erlang))
    meter = RunMeter(progress, sum(runs * run_weight(v[1]) for v in variants))
    steps: list[GapStep] = []
    previous: int | None = erlang
    start = erlang
    for label, variant, variant_goal, why in variants:
        sizer = Sizer(variant, variant_goal, pool=name, seed=seed, meter=meter)
        size = sizer.answer(start, lifetime)
        steps.append(GapStep(label, size, _change(size, previous), why))
        previous = size
        start = size if size is not None else start
    steps.append(GapStep("+ bursts", result.max_pool_size,
                         _change(result.max_pool_size, previous),
                         "short peaks above the hourly rate"))
    meter.done()
    return ErlangGap(erlang=erlang, simulated=result.max_pool_size, steps=tuple(steps))


def _change(size: int | None, previous: int | None) -> int | None:
    return None if size is None or previous is None else size - previous
