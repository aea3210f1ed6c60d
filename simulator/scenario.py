"""Scenarios: ring pools under simulated traffic, run offline, measured hour by hour.

Rules:

* Sans-IO: a :class:`Scenario` is built from a mapping (``Scenario.from_dict``; the CLI reads
  TOML), run by :func:`run_scenario` with a seeded :class:`random.Random` and a
  :class:`~simulator.clock.ManualClock`, and measured in a :class:`Report` whose
  ``to_dict()`` is JSON-safe and deterministic: same scenario, same seed -> same JSON.
* One allocation implementation: every visitor's number comes from
  :meth:`simulator.ringpool.RingPool.allocate_many` (the same core as
  :meth:`RingPool.allocate`, which the mock server runs), and every call is attributed by
  :meth:`RingPool.attribute_record`. The runner only schedules and counts.
* Segment by segment: the arrivals of one rate segment (drawn in bulk by
  :func:`simulator.traffic.arrival_micros`, in time order; segments never span an hour of
  the UTC day) are allocated in one call per pool, then the calls due
  by the segment's last arrival (a heap of pending calls) are attributed. Attribution is by
  instant: a call sees the latest allocation of its number *before* its instant (or the
  caller's own allocation at that very instant), so the answers are those of handling every
  event in time order with a call handled before an arrival at the same instant. The
  ManualClock (the source of truth for ``now``) is set to each segment's last arrival and, at
  the end, to the last call.
* Times inside the loop are integer microseconds since the Unix epoch, the RingPool's own
  unit (exact, cheap to compare), so the runner's bookkeeping (numbers held) agrees exactly
  with the pool's. The hourly bookkeeping (numbers held, peaks) is done per segment in
  bulk with numpy on those integers (exact): the held expiries are in order, so the holds
  live just after each allocation are a ``searchsorted`` count.
* Randomness comes in independent streams split off the given rng (traffic, calls, visit
  parameters, number inventory, Faker, then pool choice). Arrivals and calls are drawn in
  bulk by numpy Generators seeded from the traffic and call streams (callers: one uniform per
  visitor, compared with the call probability; delays and durations: one bulk draw each per
  segment). Same seed, same numbers, same report JSON. Traffic and calls never depend on the
  pool's answers,
  so runs of the same seed with different pool sizes see the same visitors and the same calls
  (common random numbers: :mod:`simulator.recommend` compares sizes on identical traffic).

Metric definitions (sandbox choices, listed for docs/fidelity.md):

* A visitor who gets the overflow number, or no number at all (``allow_overflow = false`` and
  the pool is full: the page keeps its original number), counts as *overflowed*.
* A call is *attributed* when ``RingPool.attribute(number, call instant)`` returns the
  visitor's own allocation, *misattributed* when it returns another visitor's allocation (the
  number was reallocated before the call), *unattributed* when the visitor dialled the
  overflow number or the page's original number (or the pool had forgotten the allocation;
  see ``retention`` in :func:`run_scenario`). A number keeps its last visitor after the hold
  ends, as the RingPool does.
* Calls are counted in the hour the visitor *arrived* (a cohort view), so every call of the
  scenario's visitors is counted, including calls made after the scenario ends.
* Numbers held: a pool's peak is exact (the maximum just after any allocation or at an hour
  start); with several pools, the all-pools peak of an hour is the sum of the pools' peaks
  (an upper bound: the pools may peak at different instants). Mean held is time-weighted (the
  integral of held numbers over the hour, divided by the hour). ``utilisation`` is mean held /
  ``max_pool_size``. The overflow number is not counted: the RingPool keeps it apart from the
  ``max_pool_size`` numbers, so a pool is an Erlang loss system with ``max_pool_size`` servers.
* Offline runs keep no event log unless the caller passes one (``events=``): without one the
  pools record no events at all (``RingPool(events=None)``).
* Call durations are drawn and reported (``call_minutes``); whether an active call extends a
  hold is not documented by Invoca, and the sandbox's RingPool does not extend it.
"""

from __future__ import annotations

import gc
import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import accumulate, compress
from operator import itemgetter
from typing import Any, cast

import numpy as np

from simulator.clock import ManualClock
from simulator.errors import RecordInvalid
from simulator.events import EventLog, iso_utc, to_micros
from simulator.numbers import NumberInventory
from simulator.ringpool import NORMALIZED_PARAMS, AllocationRecord, RingPool
from simulator.traffic import (
    Burst,
    Distribution,
    ParamSampler,
    ParamSpec,
    TrafficProfile,
    arrival_micros,
    rate_segments,
)

__all__ = [
    "DEFAULT_START_AT",
    "CallSpec",
    "HourMetrics",
    "PoolMetrics",
    "PoolSpec",
    "Report",
    "Scenario",
    "run_scenario",
]

#: a Monday, so weekly profiles line up with the first day
DEFAULT_START_AT = datetime(2026, 1, 5, tzinfo=UTC)
MICROS = 1_000_000
HOUR_US = 3600 * MICROS
_MICROS_FLOAT = float(MICROS)
#: fictional toll-free numbers the inventory can issue (NXX-555-0100..0199 x 7 NPAs)
FICTIONAL_TOLL_FREE = 700
#: calls come 5 minutes after the visit and last 4 minutes on average (sandbox defaults)
DEFAULT_CALL_DELAY = Distribution("exponential", 300.0)
DEFAULT_CALL_DURATION = Distribution("exponential", 240.0)


def _invalid(field_name: str, message: str) -> RecordInvalid:
    return RecordInvalid(f"{field_name} {message}", field_errors={field_name: [message]})


def _prefixed(prefix: str, exc: RecordInvalid) -> RecordInvalid:
    fields = exc.field_errors or {prefix: [exc.message]}
    return RecordInvalid(
        f"{prefix}: {exc.message}",
        field_errors={
            key if key.startswith(prefix) else f"{prefix}.{key}": value
            for key, value in fields.items()
        },
    )


def _number(data: Mapping[str, Any], key: str, default: Any = None, *, label: str) -> Any:
    value = data.get(key, default)
    if value is None:
        raise _invalid(f"{label}{key}", "can't be blank")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid(f"{label}{key}", "must be a number")
    return value


def _instant(value: Any, name: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _invalid(name, "must be an ISO-8601 instant with a zone") from None
    if not isinstance(value, datetime):
        raise _invalid(name, "must be an instant (e.g. 2026-01-05T00:00:00Z)")
    if value.tzinfo is None or value.utcoffset() is None:
        raise _invalid(name, "must have a zone (e.g. 2026-01-05T00:00:00Z)")
    return value.astimezone(UTC)


def _check_keys(data: Mapping[str, Any], allowed: set[str], label: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _invalid(label or "scenario", f"has unknown keys: {', '.join(unknown)}")


@dataclass(frozen=True, slots=True)
class PoolSpec:
    """One ring pool of the scenario; visitors pick a pool in proportion to ``weight``."""

    name: str
    max_pool_size: int
    lifetime_seconds: int = 1800
    allow_overflow: bool = True
    weight: float = 1.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise _invalid("name", "can't be blank")
        for key in ("max_pool_size", "lifetime_seconds"):
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise _invalid(key, "must be an integer greater than 0")
        if not isinstance(self.allow_overflow, bool):
            raise _invalid("allow_overflow", "must be true or false")
        if (
            isinstance(self.weight, bool)
            or not isinstance(self.weight, int | float)
            or not math.isfinite(self.weight)
            or self.weight < 0
        ):
            raise _invalid("weight", "must be a finite number >= 0")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "max_pool_size": self.max_pool_size,
            "lifetime_seconds": self.lifetime_seconds,
            "allow_overflow": self.allow_overflow,
            "weight": self.weight,
        }


@dataclass(frozen=True, slots=True)
class CallSpec:
    """Each visitor calls with ``probability`` after ``delay``; the call lasts ``duration``."""

    probability: float = 0.0
    delay: Distribution = DEFAULT_CALL_DELAY
    duration: Distribution = DEFAULT_CALL_DURATION

    def __post_init__(self) -> None:
        p = self.probability
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
            raise _invalid("probability", "must be a number from 0 to 1")

    def to_dict(self) -> dict[str, Any]:
        return {
            "probability": self.probability,
            "delay": self.delay.to_dict(),
            "duration": self.duration.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Scenario:
    """Pools, traffic, calls and visit parameters over ``days`` days from ``start_at``."""

    name: str
    pools: tuple[PoolSpec, ...]
    traffic: TrafficProfile
    calls: CallSpec = CallSpec()
    params: tuple[ParamSpec, ...] = ()
    days: float = 1.0
    start_at: datetime = DEFAULT_START_AT
    seed: int = 0
    description: str = ""

    def __post_init__(self) -> None:
        if not self.pools:
            raise _invalid("pools", "can't be blank (give at least one [[pools]] table)")
        names = [pool.name for pool in self.pools]
        if len(set(names)) != len(names):
            raise _invalid("pools", "names must be unique")
        if sum(pool.weight for pool in self.pools) <= 0:
            raise _invalid("pools", "weights must not all be 0")
        if (
            isinstance(self.days, bool)
            or not isinstance(self.days, int | float)
            or not math.isfinite(self.days)
            or self.days <= 0
        ):
            raise _invalid("days", "must be a number greater than 0")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise _invalid("seed", "must be an integer")
        custom = [p.name for p in self.params if p.name not in NORMALIZED_PARAMS]
        if len(custom) > 10:
            raise _invalid("params", "at most 10 custom parameters (param1..param10)")

    @property
    def duration_seconds(self) -> float:
        return self.days * 86_400.0

    def with_pool(
        self,
        name: str,
        *,
        max_pool_size: int | None = None,
        lifetime_seconds: int | None = None,
    ) -> Scenario:
        """A copy with one pool resized (None = unchanged)."""
        pools = []
        for pool in self.pools:
            pools.append(
                replace(
                    pool,
                    max_pool_size=pool.max_pool_size if max_pool_size is None else max_pool_size,
                    lifetime_seconds=(
                        pool.lifetime_seconds if lifetime_seconds is None else lifetime_seconds
                    ),
                )
                if pool.name == name
                else pool
            )
        if name not in {pool.name for pool in self.pools}:
            raise _invalid("pool", f"{name!r} is not a pool of scenario {self.name!r}")
        return replace(self, pools=tuple(pools))

    def with_seed(self, seed: int) -> Scenario:
        return replace(self, seed=seed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "seed": self.seed,
            "start_at": iso_utc(self.start_at),
            "days": self.days,
            "traffic": {
                "visitors_per_day": self.traffic.visitors_per_day,
                "daily": list(self.traffic.daily),
                "weekly": list(self.traffic.weekly),
                "bursts": [
                    {
                        "start_at": iso_utc(
                            self.start_at + timedelta(seconds=burst.start_offset_seconds)
                        ),
                        "duration_minutes": burst.duration_seconds / 60.0,
                        "multiplier": burst.multiplier,
                    }
                    for burst in self.traffic.bursts
                ],
            },
            "calls": self.calls.to_dict(),
            "pools": [pool.to_dict() for pool in self.pools],
            "params": [param.to_dict() for param in self.params],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Scenario:
        """Build and validate a scenario (the layout of the TOML files in
        ``simulator/scenarios/``). Errors are :class:`RecordInvalid` with Rails-style field
        errors keyed by the path of the offending value, e.g. ``pools[0].max_pool_size``."""
        if not isinstance(data, Mapping):
            raise _invalid("scenario", "must be a table")
        _check_keys(
            data,
            {"name", "description", "seed", "start_at", "days", "traffic", "calls", "pools",
             "params"},
            "scenario",
        )
        start_at = _instant(data.get("start_at", DEFAULT_START_AT), "start_at")
        days = _number(data, "days", 1.0, label="")
        seed = data.get("seed", 0)
        traffic = cls._traffic(data.get("traffic"), start_at)
        calls = cls._calls(data.get("calls", {}))
        raw_pools = data.get("pools")
        if not isinstance(raw_pools, list) or not raw_pools:
            raise _invalid("pools", "can't be blank (give at least one [[pools]] table)")
        pools = []
        for index, raw in enumerate(raw_pools):
            label = f"pools[{index}]"
            if not isinstance(raw, Mapping):
                raise _invalid(label, "must be a table")
            _check_keys(
                raw,
                {"name", "max_pool_size", "lifetime_seconds", "allow_overflow", "weight"},
                label,
            )
            try:
                pools.append(PoolSpec(**{"name": f"pool{index + 1}", **raw}))
            except RecordInvalid as exc:
                raise _prefixed(label, exc) from None
        params = []
        raw_params = data.get("params", [])
        if not isinstance(raw_params, list):
            raise _invalid("params", "must be an array of tables ([[params]])")
        for index, raw in enumerate(raw_params):
            label = f"params[{index}]"
            if not isinstance(raw, Mapping):
                raise _invalid(label, "must be a table")
            _check_keys(raw, {"name", "values", "weights", "faker", "count", "zipf"}, label)
            try:
                params.append(
                    ParamSpec(
                        name=raw.get("name", ""),
                        values=tuple(raw.get("values", ())),
                        weights=tuple(raw.get("weights", ())),
                        faker=raw.get("faker"),
                        count=raw.get("count", 20),
                        zipf=raw.get("zipf", 1.0),
                    )
                )
            except RecordInvalid as exc:
                own = f"params.{raw.get('name', '')}"
                fields = {
                    label + key.removeprefix(own).removeprefix("params"): value
                    for key, value in (exc.field_errors or {label: [exc.message]}).items()
                }
                raise RecordInvalid(f"{label}: {exc.message}", field_errors=fields) from None
        return cls(
            name=str(data.get("name", "scenario")),
            description=str(data.get("description", "")),
            seed=seed,
            start_at=start_at,
            days=days,
            traffic=traffic,
            calls=calls,
            pools=tuple(pools),
            params=tuple(params),
        )

    @staticmethod
    def _traffic(raw: Any, start_at: datetime) -> TrafficProfile:
        if not isinstance(raw, Mapping):
            raise _invalid("traffic", "can't be blank (give a [traffic] table)")
        _check_keys(raw, {"visitors_per_day", "daily", "weekly", "bursts"}, "traffic")
        bursts = []
        raw_bursts = raw.get("bursts", [])
        if not isinstance(raw_bursts, list):
            raise _invalid("traffic.bursts", "must be an array of tables")
        for index, burst in enumerate(raw_bursts):
            label = f"traffic.bursts[{index}]"
            if not isinstance(burst, Mapping):
                raise _invalid(label, "must be a table")
            _check_keys(
                burst,
                {"start_at", "start_offset_hours", "duration_minutes", "multiplier"},
                label,
            )
            if ("start_at" in burst) == ("start_offset_hours" in burst):
                raise _invalid(f"{label}.start_at", "give start_at or start_offset_hours")
            if "start_at" in burst:
                offset = (
                    _instant(burst["start_at"], f"{label}.start_at") - start_at
                ).total_seconds()
            else:
                offset = _number(burst, "start_offset_hours", label=f"{label}.") * 3600.0
            try:
                bursts.append(
                    Burst(
                        start_offset_seconds=offset,
                        duration_seconds=_number(
                            burst, "duration_minutes", label=f"{label}."
                        ) * 60.0,
                        multiplier=_number(burst, "multiplier", label=f"{label}."),
                    )
                )
            except RecordInvalid as exc:
                raise _prefixed(label, exc) from None
        try:
            return TrafficProfile(
                visitors_per_day=_number(raw, "visitors_per_day", label="traffic."),
                daily=tuple(raw.get("daily", (1.0,) * 24)),
                weekly=tuple(raw.get("weekly", (1.0,) * 7)),
                bursts=tuple(bursts),
            )
        except RecordInvalid as exc:
            raise _prefixed("traffic", exc) from None

    @staticmethod
    def _calls(raw: Any) -> CallSpec:
        if not isinstance(raw, Mapping):
            raise _invalid("calls", "must be a table")
        _check_keys(raw, {"probability", "delay", "duration"}, "calls")
        default = CallSpec()
        try:
            return CallSpec(
                probability=raw.get("probability", 0.0),
                delay=(
                    Distribution.from_dict(raw["delay"], name="calls.delay")
                    if "delay" in raw
                    else default.delay
                ),
                duration=(
                    Distribution.from_dict(raw["duration"], name="calls.duration")
                    if "duration" in raw
                    else default.duration
                ),
            )
        except RecordInvalid as exc:
            raise _prefixed("calls", exc) from None


# ---------------------------------------------------------------------------- metrics


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
class HourMetrics:
    """One hour of the timeline (all pools together; ``held`` per pool, in pool order)."""

    hour_at: datetime
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

    @property
    def overflow_rate(self) -> float:
        return self.overflows / self.visitors if self.visitors else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "hour_at": iso_utc(self.hour_at),
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
    timeline: tuple[HourMetrics, ...]
    allocations_forgotten: int = 0
    scenario_spec: dict[str, Any] = field(default_factory=dict)

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
            "total": self.total.to_dict(),
            "pools": [pool.to_dict() for pool in self.pools],
            "timeline": [hour.to_dict() for hour in self.timeline],
            "allocations_forgotten": self.allocations_forgotten,
            "spec": self.scenario_spec,
        }


# ---------------------------------------------------------------------------- runner


class _PoolState:
    """The runner's counters for one pool (per-hour lists indexed by hour)."""

    __slots__ = (
        "attributed",
        "call_minutes",
        "calls",
        "holds",
        "hour_held_us",
        "hour_peak",
        "lifetime_us",
        "misattributed",
        "overflow_number",
        "overflows",
        "pool",
        "spec",
        "total_held_us",
        "unattributed",
        "visitors",
    )

    def __init__(self, spec: PoolSpec, pool: RingPool, hours: int) -> None:
        self.spec = spec
        self.pool = pool
        self.lifetime_us = spec.lifetime_seconds * MICROS
        self.overflow_number = pool.overflow_number or ""
        #: expiry instants (us since the epoch) of live holds, in expiry order (FIFO)
        self.holds: np.ndarray[Any, np.dtype[np.int64]] = np.zeros(0, np.int64)
        self.hour_peak = [0] * hours
        self.hour_held_us = [0] * hours
        self.total_held_us = 0
        self.call_minutes = 0.0
        self.visitors = [0] * hours
        self.overflows = [0] * hours
        self.calls = [0] * hours
        self.attributed = [0] * hours
        self.misattributed = [0] * hours
        self.unattributed = [0] * hours

    def outcomes(self, hour: int | None = None) -> dict[str, int]:
        """Outcome counts of one hour, or of the whole run (``hour=None``)."""
        if hour is None:
            return {name: sum(getattr(self, name)) for name in _OUTCOMES}
        return {name: getattr(self, name)[hour] for name in _OUTCOMES}


_NO_QUERY: Mapping[str, str] = {}
_at_of = itemgetter(3)  # an AllocationRecord's allocated instant (us) ...
_expires_of = itemgetter(4)  # ... and its expiry (equal for the overflow number)
_OUTCOMES = ("visitors", "overflows", "calls", "attributed", "misattributed", "unattributed")


def _retention(scenario: Scenario, spec: PoolSpec, share: float, peak_rate: float) -> int:
    """Allocations a pool keeps for attribution: enough for calls up to a far quantile of the
    call delay (1 - 1e-6) at the peak arrival rate, with margin, and never fewer than 10,000."""
    delay = scenario.calls.delay
    if delay.kind == "fixed":
        horizon = delay.mean_seconds
    elif delay.kind == "exponential":
        horizon = delay.mean_seconds * math.log(1e6)
    else:
        mu = math.log(delay.mean_seconds) - delay.sigma**2 / 2
        horizon = math.exp(mu + 4.75 * delay.sigma)
    horizon = min(horizon, scenario.duration_seconds) + spec.lifetime_seconds
    return max(10_000, math.ceil(2.0 * peak_rate * share * horizon) + 1000)


@dataclass(slots=True)
class _Calls:
    """One pool's calls from the visitors of one chunk (one hour) who got a pool number, to
    attribute once every allocation up to their instant is done: call instants in order
    (us), the instant each caller saw (just before the call, or the call's own instant when
    the caller called at once) and each caller's allocation record; ``done`` are attributed."""

    pool_index: int
    hour: int
    at_us: np.ndarray[Any, np.dtype[np.int64]]
    seen_us: list[int]
    records: list[AllocationRecord]
    done: int = 0


#: visit parameters of one pool's visitors: one mapping for all, or one per visitor
Queries = Mapping[str, str] | Sequence[Mapping[str, str]]
#: allocates one chunk: (pools, each pool's instants in order, each pool's queries) -> each
#: pool's records (a pool with no visitors answers an empty list)
AllocatePools = Callable[
    [Sequence[RingPool], Sequence[list[int]], Sequence[Queries]],
    list[list[AllocationRecord | None]],
]


def allocate_each(
    pools: Sequence[RingPool], times: Sequence[list[int]], queries: Sequence[Queries]
) -> list[list[AllocationRecord | None]]:
    """The runner's default :data:`AllocatePools`: each pool's visitors in one
    :meth:`RingPool.allocate_many` call, pool after pool."""
    return [
        pool.allocate_many(instants, query) if instants else []
        for pool, instants, query in zip(pools, times, queries, strict=True)
    ]


def run_scenario(
    scenario: Scenario,
    *,
    rng: random.Random | None = None,
    clock: ManualClock | None = None,
    events: EventLog | None = None,
    progress: Callable[[float], None] | None = None,
    pause_gc: bool = True,
    pool_factory: Callable[..., RingPool] | None = None,
    allocate_pools: AllocatePools | None = None,
) -> Report:
    """Run ``scenario`` and measure it.

    ``rng`` defaults to ``random.Random(scenario.seed)``; ``clock`` to a ManualClock at
    ``start_at`` (a given clock must not be past ``start_at``; it ends at the last event).
    ``events`` receives the pools' events (default: none are kept).
    ``progress`` is called with the fraction of simulated time done, once per simulated hour.
    ``pool_factory`` builds each pool from :class:`RingPool`'s keyword arguments (default
    :class:`RingPool`); a stand-in with the same methods can serve the pools from elsewhere
    (``mock_server.drive`` serves them from a running sandbox over HTTP). ``allocate_pools``
    allocates one chunk's visitors of every pool (default :func:`allocate_each`: pool by pool;
    pools are independent, so any order gives the same answers; a driver with one clock for
    all pools allocates them in time order instead).

    Each pool keeps its allocation log bounded (``RingPool(retention=...)``, see
    :func:`_retention`); a call whose allocation was forgotten counts as unattributed and
    is reported in ``allocations_forgotten`` (0 unless calls come far later than planned).

    How it runs (fast, and the same answers as handling every event in time order): arrivals
    come one rate segment at a time (segments never span an hour of the UTC day), each
    segment's visitors go to their pool in one :meth:`RingPool.allocate_many` call, and the
    calls due by then are attributed afterwards with :meth:`RingPool.attribute_record`.
    Attribution is by instant (the latest allocation of the number *before* the call; a
    visitor's own allocation at the call's instant counts), so attributing a call after
    later allocations changes nothing; retention gets a margin of one hour of peak traffic
    for it. The ManualClock stays the source of truth for ``now``: it is set to the last
    arrival of each segment and, at the end, to the last call.

    ``pause_gc`` (default True): Python's cyclic garbage collector is disabled for the run
    and re-enabled after it (if it was on). The run creates millions of short-lived tuples
    and no reference cycles, so the collector only costs time here (5 to 15 % of a long run);
    memory stays bounded by the pools' retention, whatever the run's length.
    """
    if not pause_gc or not gc.isenabled():
        return _run_scenario(scenario, rng=rng, clock=clock, events=events, progress=progress,
                             pool_factory=pool_factory, allocate_pools=allocate_pools)
    gc.disable()
    try:
        return _run_scenario(scenario, rng=rng, clock=clock, events=events, progress=progress,
                             pool_factory=pool_factory, allocate_pools=allocate_pools)
    finally:
        gc.enable()


def _run_scenario(
    scenario: Scenario,
    *,
    rng: random.Random | None = None,
    clock: ManualClock | None = None,
    events: EventLog | None = None,
    progress: Callable[[float], None] | None = None,
    pool_factory: Callable[..., RingPool] | None = None,
    allocate_pools: AllocatePools | None = None,
) -> Report:
    """The body of :func:`run_scenario` (collector as the caller left it)."""
    make_pool = RingPool if pool_factory is None else pool_factory
    rng = random.Random(scenario.seed) if rng is None else rng
    clock = ManualClock(scenario.start_at) if clock is None else clock
    start_at = scenario.start_at
    clock.set(start_at)
    traffic_rng = random.Random(rng.getrandbits(64))
    call_rng = random.Random(rng.getrandbits(64))
    params_rng = random.Random(rng.getrandbits(64))
    numbers_rng = random.Random(rng.getrandbits(64))
    faker_seed = rng.getrandbits(32)
    pool_rng = random.Random(rng.getrandbits(64))

    duration_us = round(scenario.duration_seconds * MICROS)
    hours = max(1, -(-duration_us // HOUR_US))
    segments = rate_segments(scenario.traffic, start_at, scenario.duration_seconds)
    peak_rate = max((s.rate_per_second for s in segments), default=0.0)

    needed = sum(spec.max_pool_size + spec.allow_overflow for spec in scenario.pools)
    inventory = NumberInventory(numbers_rng, fictional_only=needed <= FICTIONAL_TOLL_FREE)
    custom_names = tuple(p.name for p in scenario.params if p.name not in NORMALIZED_PARAMS)
    weight_total = sum(spec.weight for spec in scenario.pools)
    states: list[_PoolState] = []
    for index, spec in enumerate(scenario.pools):
        share = spec.weight / weight_total
        pool = make_pool(
            id=index + 1,
            lifetime_seconds=spec.lifetime_seconds,
            max_pool_size=spec.max_pool_size,
            supply=inventory.issue_toll_free,
            events=events,
            param_names=custom_names,
            allow_overflow=spec.allow_overflow,
            retention=_retention(scenario, spec, share, peak_rate)
            + math.ceil(2.0 * peak_rate * share * 3600),
        )
        states.append(_PoolState(spec, pool, hours))
    cumulative = list(accumulate(spec.weight for spec in scenario.pools))
    single_pool = len(states) == 1
    pools = [state.pool for state in states]
    if allocate_pools is None:
        allocate_pools = allocate_each

    sampler = ParamSampler(scenario.params, faker_seed=faker_seed) if scenario.params else None
    p_call = scenario.calls.probability
    sample_delays = scenario.calls.delay.sample_many
    sample_durations = scenario.calls.duration.sample_many
    # bulk draws (numpy), seeded from the split streams: deterministic per seed
    traffic_generator = np.random.default_rng(traffic_rng.getrandbits(64))
    call_generator = np.random.default_rng(call_rng.getrandbits(64))
    base_us = to_micros(start_at)  # instants in the loop: integer us since the epoch
    end_of_run_us = base_us + duration_us
    forgotten = 0
    pending: list[_Calls] = []  # calls still to attribute, a batch per pool and chunk
    last_call_us = 0  # the latest call instant of the run
    handled_us = 0  # calls due by then are attributed

    def handle_calls(upto_us: int) -> None:
        """Attribute every pending call due at or before ``upto_us`` (all allocations up to
        then are done). Attribution is by instant, so the order calls are handled in does not
        matter; each counts in its visitor's hour."""
        nonlocal forgotten, pending, handled_us
        handled_us = upto_us
        for batch in pending:
            due = int(np.searchsorted(batch.at_us, upto_us, "right"))
            if due <= batch.done:
                continue
            state = states[batch.pool_index]
            attribute = state.pool.attribute_record
            attributed = misattributed = lost = 0
            for seen_us, record in zip(
                batch.seen_us[batch.done:due], batch.records[batch.done:due], strict=True
            ):
                holder = attribute(record[2], seen_us)
                if holder is None:
                    lost += 1
                elif holder[1] == record[1]:  # the same allocation id
                    attributed += 1
                else:
                    misattributed += 1
            hour = batch.hour
            state.attributed[hour] += attributed
            state.misattributed[hour] += misattributed
            state.unattributed[hour] += lost
            forgotten += lost
            batch.done = due
        if any(batch.done == len(batch.records) for batch in pending):
            pending = [batch for batch in pending if batch.done < len(batch.records)]

    def close_hours(upto: int, current: int) -> int:
        """Record the held count at the start of each hour after ``current`` up to ``upto``."""
        while current < upto:
            current += 1
            if current >= hours:
                break
            boundary = base_us + current * HOUR_US
            for state in states:
                holds = state.holds
                state.holds = holds = holds[int(np.searchsorted(holds, boundary, "right")):]
                state.hour_peak[current] = len(holds)
            if progress is not None:
                progress(current / hours)
        return current

    def draw_queries(times: list[int]) -> Mapping[str, str] | list[Mapping[str, str]]:
        """The visit parameters of one pool's visitors of one chunk."""
        if sampler is None:
            return _NO_QUERY
        return [sampler.draw(params_rng) for _ in times]

    def allocate(
        state: _PoolState,
        pool_index: int,
        times: list[int],
        hour: int,
        records: list[AllocationRecord | None],
    ) -> None:
        """One pool's visitors of one chunk, once allocated: count, schedule their calls."""
        nonlocal last_call_us
        # the visitors who got a pool number (refused: None; overflow: expires == allocated),
        # counted in bulk (numpy, exact integer microseconds)
        count = len(times)
        if state.spec.allow_overflow:  # no None (no refusals)
            full = cast(list[AllocationRecord], records)
            expiry = np.fromiter(map(_expires_of, full), np.int64, count)
            if full[0][3] == times[0]:  # in order and not clamped: allocated at times[i]
                at = np.array(times, np.int64)
            else:
                at = np.fromiter(map(_at_of, full), np.int64, count)
            kept = at != expiry
            at, expiry = at[kept], expiry[kept]
        else:
            kept = np.fromiter((r is not None and r[3] != r[4] for r in records), bool, count)
            held = cast(list[AllocationRecord], list(compress(records, kept)))
            at = np.fromiter(map(_at_of, held), np.int64, len(held))
            expiry = np.fromiter(map(_expires_of, held), np.int64, len(held))
        taken = len(at)
        state.visitors[hour] += count
        state.overflows[hour] += count - taken
        if taken:
            # live holds just after each allocation: expiries are in order (one lifetime per
            # pool, instants in order), so the holds ended by then are a searchsorted count
            live = np.concatenate((state.holds, expiry))
            ended = np.searchsorted(live, at, side="right")
            peak = int((np.arange(len(state.holds) + 1, len(live) + 1) - ended).max())
            state.hour_peak[hour] = max(state.hour_peak[hour], peak)
            state.holds = live[int(ended[-1]):]
            # time-weighted held: each hold's overlap with each hour it spans
            end_at = np.minimum(expiry, end_of_run_us)
            next_hour_us = base_us + (hour + 1) * HOUR_US
            in_hour = int((np.minimum(end_at, next_hour_us) - at).sum())
            held_us = state.hour_held_us
            held_us[hour] += in_hour
            spilled = 0
            bucket, left = hour + 1, next_hour_us
            last_end = int(end_at.max())
            while left < last_end:
                overlap = int(np.clip(end_at - left, 0, HOUR_US).sum())
                held_us[bucket] += overlap
                spilled += overlap
                bucket, left = bucket + 1, left + HOUR_US
            state.total_held_us += in_hour + spilled
        # callers: one uniform per visitor, drawn in bulk; delays and durations in bulk too.
        # Calls count in their visitor's hour; a caller who got the overflow number (or was
        # refused) is unattributed, counted now; the others wait for attribution (pending)
        if p_call <= 0.0:
            return
        if p_call >= 1.0:
            callers = np.arange(count)
        else:
            callers = np.flatnonzero(call_generator.random(count) < p_call)
        calling = len(callers)
        if not calling:
            return
        delays = np.asarray(sample_delays(call_generator, calling), np.float64)
        durations = sample_durations(call_generator, calling)
        state.call_minutes += math.fsum(durations) / 60.0
        state.calls[hour] += calling
        visit_us = np.asarray(times, np.int64)[callers]
        call_us = visit_us + (delays * _MICROS_FLOAT).astype(np.int64)  # int(): toward zero
        last_call_us = max(last_call_us, int(call_us.max()))
        holding = kept[callers]
        state.unattributed[hour] += calling - int(np.count_nonzero(holding))
        if not holding.any():
            return
        visit_us, call_us = visit_us[holding], call_us[holding]
        order = np.argsort(call_us, kind="stable")
        visit_us, call_us = visit_us[order], call_us[order]
        # allocations at the call's own instant come after it, except the caller's own
        seen_us = np.where(call_us == visit_us, call_us, call_us - 1).tolist()
        mine = callers[holding][order].tolist()
        pending.append(_Calls(pool_index, hour, call_us, seen_us,
                              [cast(AllocationRecord, records[i]) for i in mine]))

    hour = 0
    draw_pool = pool_rng.random
    for segment in segments:
        if segment.rate_per_second <= 0.0:
            continue
        offsets = arrival_micros(segment, traffic_generator, base_us)
        while offsets:  # usually once: a segment spans two hours only if start_at is mid-hour
            chunk_hour = (offsets[0] - base_us) // HOUR_US
            cut = bisect_left(offsets, base_us + (chunk_hour + 1) * HOUR_US)
            chunk, offsets = offsets[:cut], offsets[cut:]
            handle_calls(chunk[0] - 1)
            if chunk_hour > hour:
                hour = close_hours(chunk_hour, hour)
            if single_pool:
                by_pool = [chunk]
            else:
                by_pool = [[] for _ in states]
                for t_us in chunk:
                    by_pool[bisect_right(cumulative, draw_pool() * weight_total)].append(t_us)
            queries = [draw_queries(times) for times in by_pool]  # (an empty list: none drawn)
            answers = allocate_pools(pools, by_pool, queries)
            for pool_index, times in enumerate(by_pool):
                if times:
                    allocate(states[pool_index], pool_index, times, hour, answers[pool_index])
            handle_calls(chunk[-1])
            clock.set(start_at + timedelta(0, 0, chunk[-1] - base_us))
    close_hours(hours, hour)
    if last_call_us > handled_us:  # calls after the last visitor
        handle_calls(last_call_us)
        clock.set(max(clock.now(), start_at + timedelta(0, 0, last_call_us - base_us)))
    if progress is not None:
        progress(1.0)
    return _report(scenario, states=states, hours=hours, duration_us=duration_us,
                   forgotten=forgotten)


def _report(
    scenario: Scenario,
    *,
    states: Sequence[_PoolState],
    hours: int,
    duration_us: int,
    forgotten: int,
) -> Report:
    pools = []
    for state in states:
        pools.append(
            PoolMetrics(
                name=state.spec.name,
                max_pool_size=state.spec.max_pool_size,
                lifetime_seconds=state.spec.lifetime_seconds,
                peak_held=max(state.hour_peak, default=0),
                mean_held=state.total_held_us / duration_us,
                call_minutes=state.call_minutes,
                **state.outcomes(),
            )
        )
    timeline = []
    for hour in range(hours):
        span_us = min(HOUR_US, duration_us - hour * HOUR_US)
        peaks = tuple(state.hour_peak[hour] for state in states)
        means = tuple(state.hour_held_us[hour] / span_us for state in states)
        per_pool = [state.outcomes(hour) for state in states]
        timeline.append(
            HourMetrics(
                hour_at=scenario.start_at + timedelta(hours=hour),
                peak_held=sum(peaks),
                mean_held=math.fsum(means),
                held_peak_by_pool=peaks,
                held_mean_by_pool=means,
                **{name: sum(row[name] for row in per_pool) for name in _OUTCOMES},
            )
        )
    total = PoolMetrics(
        name="all",
        max_pool_size=sum(state.spec.max_pool_size for state in states),
        lifetime_seconds=max(state.spec.lifetime_seconds for state in states),
        peak_held=max((hour.peak_held for hour in timeline), default=0),
        mean_held=math.fsum(pool.mean_held for pool in pools),
        call_minutes=math.fsum(pool.call_minutes for pool in pools),
        **{name: sum(getattr(pool, name) for pool in pools) for name in _OUTCOMES},
    )
    return Report(
        scenario=scenario.name,
        seed=scenario.seed,
        start_at=scenario.start_at,
        days=scenario.days,
        total=total,
        pools=tuple(pools),
        timeline=tuple(timeline),
        allocations_forgotten=forgotten,
        scenario_spec=scenario.to_dict(),
    )
