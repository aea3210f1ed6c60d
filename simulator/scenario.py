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
* Traffic from data (:mod:`simulator.traffic_data`): ``[traffic] csv`` names an analytics
  export, replayed per pool (``mode = "replay"``: :class:`~simulator.traffic.SessionSeries`
  in pool order) or fitted (``mode = "fit"``: a profile, and each pool's share as its
  weight); ``[calls] fit_from`` names a Transactions export. ``from_dict`` takes the files'
  texts by the paths the scenario names (``files=``): the caller reads them.
* ``timezone`` (IANA) is where the profiles' hours and weekdays are; naive instants in the
  file are local. ``resolution_minutes`` is the report's interval.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from simulator.costs import COST_KEYS, CostSpec
from simulator.errors import RecordInvalid
from simulator.events import iso_utc
from simulator.shares import parse_share
from simulator.traffic import (
    Burst,
    Distribution,
    ParamSpec,
    RateSegment,
    SessionSeries,
    TrafficProfile,
    rate_segments,
    series_segments,
)
from simulator.traffic_data import (
    DEFAULT_VISIT_PARAM,
    fit_calls,
    fit_profile,
    pool_shares,
    read_sessions,
)
from simulator.visit_params import NORMALIZED_PARAMS

__all__ = [
    "DEFAULT_START_AT",
    "CallSpec",
    "PoolSpec",
    "Scenario",
    "fit_scenario",
    "zone_of",
]

#: a Monday, so weekly profiles line up with the first day
DEFAULT_START_AT = datetime(2026, 1, 5, tzinfo=UTC)
#: calls come 5 minutes after the visit and last 4 minutes on average (sandbox defaults)
DEFAULT_CALL_DELAY = Distribution("exponential", 300.0)
DEFAULT_CALL_DURATION = Distribution("exponential", 240.0)


#: the keys of each table of a scenario file (docs/scenario-file.md lists them all)
SCENARIO_KEYS = frozenset({"name", "description", "seed", "start_at", "days", "traffic", "calls",
                           "pools", "params", "timezone", "resolution_minutes", "costs"})
TRAFFIC_KEYS = frozenset({"visitors_per_day", "daily", "weekly", "bursts", "csv", "mode"})
BURST_KEYS = frozenset({"start_at", "start_offset_hours", "duration_minutes", "multiplier"})
CALL_KEYS = frozenset({"probability", "delay", "duration", "fit_from", "visit_param"})
#: what ``[traffic] mode`` does with the CSV: replay its rates, or fit a profile to them
TRAFFIC_MODES = ("replay", "fit")
#: the report's interval: 1 to 60 minutes, a divisor of an hour
RESOLUTIONS = tuple(m for m in range(1, 61) if 60 % m == 0)
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


def zone_of(name: Any) -> ZoneInfo:
    """The IANA time zone ``name`` (``timezone`` of a scenario)."""
    if not isinstance(name, str) or not name:
        raise _invalid("timezone", "must be an IANA time zone name (e.g. America/New_York)")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise _invalid(
            "timezone", f"{name!r} is not an IANA time zone name (e.g. America/New_York)"
        ) from None


def _instant(value: Any, name: str, zone: tzinfo = UTC) -> datetime:
    """An instant of the file: with a zone, or naive (local time in ``zone``)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise _invalid(
                name, "must be an ISO-8601 instant (e.g. 2026-01-05T00:00:00Z)"
            ) from None
    if not isinstance(value, datetime):
        raise _invalid(name, "must be an instant (e.g. 2026-01-05T00:00:00Z)")
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zone)
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
    #: the IANA zone of the profiles' hours and weekdays
    timezone: str = "UTC"
    #: the report's interval in minutes (a divisor of 60)
    resolution_minutes: int = 60
    #: replayed traffic: each pool's visitors per interval, in pool order (empty: the profile)
    sessions: tuple[SessionSeries, ...] = ()
    #: where replayed traffic came from (``[traffic] csv``: the path), shown in ``to_dict``
    sessions_csv: str = ""
    #: the scenario-level number cost and call value (``[costs]``; pools may override)
    costs: CostSpec = field(default_factory=CostSpec)

    def __post_init__(self) -> None:
        zone_of(self.timezone)
        r = self.resolution_minutes
        if isinstance(r, bool) or not isinstance(r, int) or r not in RESOLUTIONS:
            raise _invalid(
                "resolution_minutes",
                "must be minutes from 1 to 60 dividing an hour "
                f"({', '.join(map(str, RESOLUTIONS))})",
            )
        if self.sessions:
            self._check_sessions()
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

    def _check_sessions(self) -> None:
        if len(self.sessions) != len(self.pools):
            raise _invalid("traffic.csv", "must give one series per pool")
        first = min(series.start_at for series in self.sessions)
        last = max(series.end_at for series in self.sessions)
        end = self.start_at + timedelta(seconds=self.duration_seconds)
        if self.start_at < first or end > last:
            raise _invalid(
                "traffic.csv",
                f"covers {iso_utc(first)} to {iso_utc(last)}; the scenario runs from "
                f"{iso_utc(self.start_at)} to {iso_utc(end)} (replay needs data for all of it)",
            )

    @property
    def duration_seconds(self) -> float:
        return self.days * 86_400.0

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.timezone)

    def rate_segments(self) -> list[RateSegment]:
        """The scenario's piecewise-constant arrival rate: the replayed series (each segment
        with every pool's rate), or the profile in the scenario's time zone."""
        if self.sessions:
            return series_segments(
                self.sessions, self.start_at, self.duration_seconds, self.traffic.bursts
            )
        return rate_segments(self.traffic, self.start_at, self.duration_seconds, self.zone)

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
        # fitted traffic and calls are written as what was fitted (the spec runs without the
        # files); replayed traffic names its CSV
        traffic: dict[str, Any]
        if self.sessions:
            traffic = {"csv": self.sessions_csv, "mode": "replay"}
        else:
            traffic = {
                "visitors_per_day": self.traffic.visitors_per_day,
                "daily": list(self.traffic.daily),
                "weekly": list(self.traffic.weekly),
            }
        return {
            "name": self.name,
            "description": self.description,
            "seed": self.seed,
            "timezone": self.timezone,
            "start_at": iso_utc(self.start_at),
            "days": self.days,
            "resolution_minutes": self.resolution_minutes,
            "traffic": {
                **traffic,
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
            "pools": [
                # replayed, the data gives each pool's traffic (a weight would be refused)
                {k: v for k, v in pool.to_dict().items() if k != "weight" or not self.sessions}
                for pool in self.pools
            ],
            "params": [param.to_dict() for param in self.params],
            "costs": self.costs.to_dict(),
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, files: Mapping[str, str] | None = None
    ) -> Scenario:
        """Build and validate a scenario (the layout of the TOML files in
        ``simulator/scenarios/``). Errors are :class:`RecordInvalid` with Rails-style field
        errors keyed by the path of the offending value, e.g. ``pools[0].max_pool_size``.

        ``files`` maps the paths the scenario names (``[traffic] csv``, ``[calls] fit_from``)
        to their texts (the caller reads them: :func:`simulator.cli.load_scenario`)."""
        if not isinstance(data, Mapping):
            raise _invalid("scenario", "must be a table")
        _check_keys(
            data,
            SCENARIO_KEYS,
            "scenario",
        )
        files = files or {}
        timezone = data.get("timezone", "UTC")
        zone = zone_of(timezone)
        raw_traffic = data.get("traffic")
        if not isinstance(raw_traffic, Mapping):
            raise _invalid("traffic", "can't be blank (give a [traffic] table)")
        _check_keys(raw_traffic, TRAFFIC_KEYS, "traffic")
        raw_pools = data.get("pools")
        if not isinstance(raw_pools, list) or not raw_pools:
            raise _invalid("pools", "can't be blank (give at least one [[pools]] table)")
        data_source = cls._data_source(raw_traffic, raw_pools, files, zone)
        sessions: tuple[SessionSeries, ...] = ()
        sessions_csv = ""
        shares: dict[str, float] = {}
        default_start, default_days = DEFAULT_START_AT.replace(tzinfo=zone), 1.0
        if data_source is not None:
            mode, series = data_source
            if mode == "replay":
                sessions_csv = raw_traffic["csv"]
                sessions = tuple(series.values())
                default_start = min(one.start_at for one in sessions)
                end = max(one.end_at for one in sessions)
                default_days = (end - default_start).total_seconds() / 86_400.0
            else:
                shares = pool_shares(series)
        start_at = _instant(data.get("start_at", default_start), "start_at", zone)
        days = _number(data, "days", default_days, label="")
        seed = data.get("seed", 0)
        traffic = cls._traffic(raw_traffic, start_at, zone)
        if data_source is not None:
            series = data_source[1]
            if sessions:
                total = math.fsum(one.total for one in sessions)
                traffic = replace(traffic, visitors_per_day=total / default_days)
            else:
                fitted = fit_profile(list(series.values()), zone=zone)
                given = raw_traffic.get("visitors_per_day")
                traffic = replace(
                    fitted,
                    visitors_per_day=fitted.visitors_per_day if given is None else given,
                    bursts=traffic.bursts,
                )
        calls = cls._calls(data.get("calls", {}), files)
        pools = []
        for index, raw in enumerate(raw_pools):
            label = f"pools[{index}]"
            if not isinstance(raw, Mapping):
                raise _invalid(label, "must be a table")
            _check_keys(raw, POOL_KEYS, label)
            if "max_pool_size" not in raw:
                raise _invalid(f"{label}.max_pool_size", "can't be blank")
            body = {"name": f"pool{index + 1}", **raw}
            if shares:
                body["weight"] = shares[body["name"]]
            try:
                pools.append(PoolSpec(**body))
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
            timezone=timezone,
            resolution_minutes=data.get("resolution_minutes", 60),
            sessions=sessions,
            sessions_csv=sessions_csv,
            costs=CostSpec.from_dict(data.get("costs", {}), label="costs"),
        )

    @staticmethod
    def _data_source(
        raw: Mapping[str, Any],
        raw_pools: Sequence[Any],
        files: Mapping[str, str],
        zone: tzinfo,
    ) -> tuple[str, dict[str, SessionSeries]] | None:
        """``(mode, each scenario pool's series in pool order)`` of ``[traffic] csv``, or None
        when the traffic is a written profile."""
        if "csv" not in raw:
            if "mode" in raw:
                raise _invalid("traffic.mode", "needs traffic.csv")
            return None
        path = raw["csv"]
        mode = raw.get("mode", "replay")
        if mode not in TRAFFIC_MODES:
            raise _invalid("traffic.mode", f"must be one of {', '.join(TRAFFIC_MODES)}")
        refused = {"daily", "weekly"} | ({"visitors_per_day"} if mode == "replay" else set())
        given = sorted(refused & set(raw))
        if given:
            raise _invalid(
                f"traffic.{given[0]}", f"is given by traffic.csv (mode {mode}): remove it"
            )
        if not isinstance(path, str) or path not in files:
            raise _invalid("traffic.csv", f"file {path!r} was not read")
        series = read_sessions(files[path], zone=zone, source=path)
        chosen: dict[str, SessionSeries] = {}
        for index, pool in enumerate(raw_pools):
            if not isinstance(pool, Mapping):
                continue
            name = pool.get("name", f"pool{index + 1}")
            if "weight" in pool:
                raise _invalid(
                    f"pools[{index}].weight", "is given by traffic.csv (each pool's visitors)"
                )
            if name not in series:
                raise _invalid(
                    f"pools[{index}].name",
                    f"{name!r} is not a pool of {path} (its pools: {', '.join(series)})",
                )
            chosen[name] = series[name]
        return mode, chosen

    @staticmethod
    def _traffic(raw: Mapping[str, Any], start_at: datetime, zone: tzinfo) -> TrafficProfile:
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
                    _instant(burst["start_at"], f"{label}.start_at", zone) - start_at
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
                visitors_per_day=(
                    _number(raw, "visitors_per_day", label="traffic.") if "csv" not in raw
                    else _number(raw, "visitors_per_day", 0.0, label="traffic.")
                ),
                daily=tuple(raw.get("daily", (1.0,) * 24)),
                weekly=tuple(raw.get("weekly", (1.0,) * 7)),
                bursts=tuple(bursts),
            )
        except RecordInvalid as exc:
            raise _prefixed("traffic", exc) from None

    @staticmethod
    def _calls(raw: Any, files: Mapping[str, str]) -> CallSpec:
        if not isinstance(raw, Mapping):
            raise _invalid("calls", "must be a table")
        _check_keys(raw, CALL_KEYS, "calls")
        default = CallSpec()
        if "fit_from" in raw:
            path = raw["fit_from"]
            if not isinstance(path, str) or path not in files:
                raise _invalid("calls.fit_from", f"file {path!r} was not read")
            visit_param = raw.get("visit_param", DEFAULT_VISIT_PARAM)
            if not isinstance(visit_param, str) or not visit_param:
                raise _invalid("calls.visit_param", "must be a RingPool parameter name")
            fit = fit_calls(files[path], source=path, visit_param=visit_param)
            default = CallSpec(
                delay=default.delay if fit.delay is None else fit.delay, duration=fit.duration
            )
        elif "visit_param" in raw:
            raise _invalid("calls.visit_param", "needs calls.fit_from")
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


def fit_scenario(
    sessions_csv: str,
    transactions: str | None = None,
    *,
    pools: Mapping[str, int] | None = None,
    mode: str = "fit",
    name: str = "fitted",
    timezone: str = "UTC",
    days: float | None = None,
    probability: float | str = 0.0,
    lifetime_seconds: int = 1800,
    max_pool_size: int = 10,
    seed: int = 0,
) -> Scenario:
    """A scenario from the texts of an analytics CSV and (optionally) a Transactions export
    (CSV or JSON): the same as a scenario file with ``[traffic] csv`` and ``[calls]
    fit_from``. ``pools`` maps pool name -> ``max_pool_size`` (default: every pool of the CSV
    at ``max_pool_size``); ``days`` defaults to 7 when fitting, the CSV's span when replaying."""
    zone = zone_of(timezone)
    names = list(pools) if pools is not None else list(read_sessions(sessions_csv, zone=zone))
    data: dict[str, Any] = {
        "name": name,
        "seed": seed,
        "timezone": timezone,
        "traffic": {"csv": "traffic.csv", "mode": mode},
        "calls": {"probability": probability},
        "pools": [
            {
                "name": pool,
                "max_pool_size": max_pool_size if pools is None else pools[pool],
                "lifetime_seconds": lifetime_seconds,
            }
            for pool in names
        ],
    }
    files = {"traffic.csv": sessions_csv}
    if days is not None or mode == "fit":
        data["days"] = 7.0 if days is None else days
    if transactions is not None:
        path = "transactions.json" if transactions.lstrip()[:1] in "[{" else "transactions.csv"
        data["calls"]["fit_from"] = path
        files[path] = transactions
    return Scenario.from_dict(data, files=files)
