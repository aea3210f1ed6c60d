"""Cost and value: what a pool's numbers cost and what its lost calls were worth.

Rules (docs/fidelity.md NS1-NS3):

* A number costs ``number_monthly_cost`` a month, pro-rated over the simulated days with a
  month of 365.25 / 12 days; a pool pays for its ``max_pool_size`` numbers for the whole run
  (a RingPool holds them all: idle ones are paid for too). The overflow number is not counted
  (it is the campaign's own number, paid for with or without the pool).
* A call is worth ``call_value``. A call is *lost* when the pool cannot tell whose it was:
  to overflow (``unattributed``: the visitor got the overflow number or no number, or the
  allocation was forgotten) or to misattribution (``misattributed``: the number was held by
  another visitor when the call came, so it is credited to the wrong one). Both are counted
  by the runner (:mod:`simulator.report`); lost value = lost calls x ``call_value``.
* Total cost = numbers' cost + lost value: what ``--recommend --minimise-cost`` and the
  network budget minimise.
* Pure arithmetic, no I/O; nothing here imports the report (a pool's outcomes are read through
  :class:`Outcomes`), so the report may hold costs without an import circle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from simulator.errors import RecordInvalid

__all__ = [
    "COST_KEYS",
    "DAYS_PER_MONTH",
    "CostSpec",
    "Outcomes",
    "PoolCosts",
    "number_cost",
    "pool_costs",
    "total_costs",
]

#: the average month (a Julian year / 12), for pro-rating monthly costs
DAYS_PER_MONTH = 365.25 / 12.0
#: the keys of a ``[costs]`` table (and the per-pool overrides of the same name)
COST_KEYS = frozenset({"number_monthly_cost", "call_value"})


def _amount(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RecordInvalid(f"{name} must be a number", field_errors={name: ["must be a number"]})
    if value < 0:
        raise RecordInvalid(f"{name} must be >= 0", field_errors={name: ["must be >= 0"]})
    return float(value)


@dataclass(frozen=True, slots=True)
class CostSpec:
    """A number's monthly cost and a call's value (one currency, whatever the user's is)."""

    number_monthly_cost: float = 0.0
    call_value: float = 0.0

    def __post_init__(self) -> None:
        _amount(self.number_monthly_cost, "number_monthly_cost")
        _amount(self.call_value, "call_value")

    @classmethod
    def from_dict(cls, data: Any, *, label: str, default: CostSpec | None = None) -> CostSpec:
        """A ``[costs]`` table (or a pool's overrides over ``default``); errors name the key."""
        base = CostSpec() if default is None else default
        if not isinstance(data, dict):
            raise RecordInvalid(
                f"{label} must be a table", field_errors={label: ["must be a table"]}
            )
        unknown = sorted(set(data) - COST_KEYS)
        if unknown:
            raise RecordInvalid(
                f"{label or 'costs'} has unknown keys: {', '.join(unknown)}",
                field_errors={label or "costs": [f"has unknown keys: {', '.join(unknown)}"]},
            )
        values = {}
        for key in COST_KEYS:
            if key in data:
                values[key] = _amount(data[key], f"{label}.{key}" if label else key)
        return cls(
            number_monthly_cost=values.get("number_monthly_cost", base.number_monthly_cost),
            call_value=values.get("call_value", base.call_value),
        )

    def to_dict(self) -> dict[str, float]:
        return {"number_monthly_cost": self.number_monthly_cost, "call_value": self.call_value}


class Outcomes(Protocol):
    """What costs read of a pool's metrics (:class:`simulator.report.PoolMetrics` has them)."""

    @property
    def name(self) -> str: ...
    @property
    def max_pool_size(self) -> int: ...
    @property
    def calls(self) -> int: ...
    @property
    def misattributed(self) -> int: ...
    @property
    def unattributed(self) -> int: ...


@dataclass(frozen=True, slots=True)
class PoolCosts:
    """One pool's (or all pools': ``name="all"``) cost over the run and its lost calls."""

    name: str
    numbers: int
    number_cost: float
    calls: int
    lost_to_overflow: int
    lost_to_misattribution: int
    lost_value: float

    @property
    def lost_calls(self) -> int:
        return self.lost_to_overflow + self.lost_to_misattribution

    @property
    def total_cost(self) -> float:
        return self.number_cost + self.lost_value

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "numbers": self.numbers,
            "number_cost": round(self.number_cost, 4),
            "calls": self.calls,
            "lost_to_overflow": self.lost_to_overflow,
            "lost_to_misattribution": self.lost_to_misattribution,
            "lost_calls": self.lost_calls,
            "lost_value": round(self.lost_value, 4),
            "total_cost": round(self.total_cost, 4),
        }


def number_cost(numbers: int, spec: CostSpec, days: float) -> float:
    """What ``numbers`` numbers cost over ``days`` days (pro-rated from monthly)."""
    return numbers * spec.number_monthly_cost * days / DAYS_PER_MONTH


def pool_costs(
    metrics: Outcomes, spec: CostSpec, days: float, *, count_misattributed: bool = True
) -> PoolCosts:
    """A pool's costs from its outcomes. ``count_misattributed=False`` values only the calls
    lost to overflow (the Erlang B view: :mod:`simulator.erlang_gap`)."""
    misattributed = metrics.misattributed if count_misattributed else 0
    return PoolCosts(
        name=metrics.name,
        numbers=metrics.max_pool_size,
        number_cost=number_cost(metrics.max_pool_size, spec, days),
        calls=metrics.calls,
        lost_to_overflow=metrics.unattributed,
        lost_to_misattribution=misattributed,
        lost_value=(metrics.unattributed + misattributed) * spec.call_value,
    )


def total_costs(pools: tuple[PoolCosts, ...] | list[PoolCosts]) -> PoolCosts:
    """The sum over pools (``name="all"``)."""
    return PoolCosts(
        name="all",
        numbers=sum(p.numbers for p in pools),
        number_cost=math.fsum(p.number_cost for p in pools),
        calls=sum(p.calls for p in pools),
        lost_to_overflow=sum(p.lost_to_overflow for p in pools),
        lost_to_misattribution=sum(p.lost_to_misattribution for p in pools),
        lost_value=math.fsum(p.lost_value for p in pools),
    )
