"""Scenarios: ring pools under simulated traffic, as data (what :mod:`simulator.runner` runs).

Rules:

* Sans-IO: a :class:`Scenario` is built from a mapping (``Scenario.from_dict``; the CLI reads
  TOML) and validated: errors are ``RecordInvalid`` with Rails-style field errors keyed by the
  path of the offending value (``pools[0].max_pool_size``). ``to_dict()`` is JSON-safe and
  deterministic (it goes into the report as its ``spec``).
* A scenario holds its pools (:class:`PoolSpec`: size, lifetime, overflow, weight), its
  traffic (:class:`~simulator.traffic.TrafficProfile`), its calls (:class:`CallSpec`), its
  visit parameters (:class:`~simulator.traffic.ParamSpec`), its length in days, its start and
  its seed. At most 10 custom visit parameters (they become ``param1``..``param10``).
* Call durations are drawn and reported (``call_minutes``); whether an active call extends a
  hold is not documented by Invoca, and the sandbox's RingPool does not extend it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from simulator.costs import COST_KEYS, CostSpec
from simulator.errors import RecordInvalid
from simulator.events import iso_utc
from simulator.shares import parse_share
from simulator.traffic import Burst, Distribution, ParamSpec, TrafficProfile
from simulator.visit_params import NORMALIZED_PARAMS

__all__ = [
    "DEFAULT_START_AT",
    "CallSpec",
    "PoolSpec",
    "Scenario",
]

#: a Monday, so weekly profiles line up with the first day
DEFAULT_START_AT = datetime(2026, 1, 5, tzinfo=UTC)
#: calls come 5 minutes after the visit and last 4 minutes on average (sandbox defaults)
DEFAULT_CALL_DELAY = Distribution("exponential", 300.0)
DEFAULT_CALL_DURATION = Distribution("exponential", 240.0)


#: the keys of each table of a scenario file (docs/scenario-file.md lists them all)
SCENARIO_KEYS = frozenset({"name", "description", "seed", "start_at", "days", "traffic", "calls",
                           "pools", "params", "costs"})
TRAFFIC_KEYS = frozenset({"visitors_per_day", "daily", "weekly", "bursts"})
BURST_KEYS = frozenset({"start_at", "start_offset_hours", "duration_minutes", "multiplier"})
CALL_KEYS = frozenset({"probability", "delay", "duration"})
PARAM_KEYS = frozenset({"name", "values", "weights", "faker", "count", "zipf"})


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


def _check_keys(data: Mapping[str, Any], allowed: AbstractSet[str], label: str) -> None:
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
    #: the pool's own costs (None: the scenario's ``[costs]``; simulator/costs.py)
    number_monthly_cost: float | None = None
    call_value: float | None = None

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
        CostSpec.from_dict(
            {key: getattr(self, key) for key in COST_KEYS if getattr(self, key) is not None},
            label="",
        )

    def costs(self, default: CostSpec) -> CostSpec:
        """This pool's costs: its own keys over the scenario's ``[costs]``."""
        return CostSpec(
            number_monthly_cost=(
                default.number_monthly_cost
                if self.number_monthly_cost is None
                else self.number_monthly_cost
            ),
            call_value=default.call_value if self.call_value is None else self.call_value,
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "max_pool_size": self.max_pool_size,
            "lifetime_seconds": self.lifetime_seconds,
            "allow_overflow": self.allow_overflow,
            "weight": self.weight,
        }
        data.update({key: getattr(self, key) for key in sorted(COST_KEYS)
                     if getattr(self, key) is not None})
        return data


#: the keys a ``[[pools]]`` table may hold: :class:`PoolSpec`'s fields (the one list)
POOL_KEYS = frozenset(spec.name for spec in fields(PoolSpec))


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
    #: the scenario-level number cost and call value (``[costs]``; pools may override)
    costs: CostSpec = field(default_factory=CostSpec)

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
            "costs": self.costs.to_dict(),
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
            SCENARIO_KEYS,
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
            _check_keys(raw, POOL_KEYS, label)
            if "max_pool_size" not in raw:
                raise _invalid(f"{label}.max_pool_size", "can't be blank")
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
            _check_keys(raw, PARAM_KEYS, label)
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
            costs=CostSpec.from_dict(data.get("costs", {}), label="costs"),
        )

    @staticmethod
    def _traffic(raw: Any, start_at: datetime) -> TrafficProfile:
        if not isinstance(raw, Mapping):
            raise _invalid("traffic", "can't be blank (give a [traffic] table)")
        _check_keys(raw, TRAFFIC_KEYS, "traffic")
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
                BURST_KEYS,
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
        _check_keys(raw, CALL_KEYS, "calls")
        default = CallSpec()
        probability = raw.get("probability", 0.0)
        if isinstance(probability, str):  # "6%" and 0.06 alike
            probability = parse_share(probability, name="calls.probability")
        try:
            return CallSpec(
                probability=probability,
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
