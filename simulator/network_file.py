"""Network files: many ring pools, each with its traffic, lifetime, cost, value and targets.

Rules (reference: docs/network-file.md; choices: docs/fidelity.md NS6-NS9):

* Sans-IO: :func:`parse_network` takes the parsed TOML mapping. A pool whose traffic comes
  from a scenario file (``scenario = "fitted.toml"``) is read by the ``load_scenario``
  callable the caller passes (the CLI's reads files; a test may hand in a fitted
  :class:`~simulator.scenario.Scenario`); without one, such a pool is refused.
* Each pool becomes a one-pool :class:`Scenario` built by ``Scenario.from_dict`` from the
  network's ``start_at``, ``days`` and ``[costs]``, its ``[calls]`` merged key by key with the
  pool's ``calls``, and the pool's ``traffic`` table (a scenario's ``[traffic]`` keys, plus
  ``profile``: the name of a ``[profiles.NAME]`` table of ``daily``/``weekly`` weights it
  starts from). So every traffic key a scenario knows works in a pool, and errors carry the
  pool's path (``pools[3].traffic.daily must have 24 weights, got 23``).
* Unknown keys are refused in every table, naming the table and the key.
* A pool's seed is not in the file: the sizing derives it from the network seed and the
  pool's name (:func:`simulator.network_sizing.pool_seed`), so order does not matter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from simulator.costs import COST_KEYS
from simulator.errors import RecordInvalid
from simulator.recommend import Targets
from simulator.scenario import CALL_KEYS, TRAFFIC_KEYS, Scenario
from simulator.shares import parse_share

__all__ = [
    "NETWORK_KEYS",
    "POOL_KEYS",
    "Network",
    "NetworkPool",
    "parse_network",
]

#: the keys of each table of a network file (docs/network-file.md lists them all)
NETWORK_KEYS = frozenset({"name", "description", "seed", "start_at", "days", "budget", "costs",
                          "targets", "calls", "profiles", "pools"})
TARGET_KEYS = frozenset({"overflow", "attribution"})
PROFILE_KEYS = frozenset({"daily", "weekly"})
POOL_KEYS = frozenset({"name", "traffic", "scenario", "scenario_pool", "calls",
                       "lifetime_seconds", "allow_overflow", "number_monthly_cost", "call_value",
                       "target_overflow", "target_attribution", "current_size"})
#: most pools a network may hold (each is simulated at several sizes)
MAX_POOLS = 100_000


def _invalid(name: str, message: str) -> RecordInvalid:
    return RecordInvalid(f"{name} {message}", field_errors={name: [message]})


def _check_keys(data: Mapping[str, Any], allowed: frozenset[str], label: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _invalid(label, f"has unknown keys: {', '.join(unknown)}")


def _table(data: Mapping[str, Any], key: str, label: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise _invalid(label, "must be a table")
    return value


@dataclass(frozen=True, slots=True)
class NetworkPool:
    """One pool of the network: a one-pool scenario (its traffic, calls, lifetime, costs) and
    the targets it is sized to (None: only a budget can size it)."""

    name: str
    scenario: Scenario
    targets: Targets | None = None
    #: the numbers the pool has today (shown beside the answer; None: not known)
    current_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "targets": None if self.targets is None else self.targets.to_dict(),
            "current_size": self.current_size,
            "scenario": self.scenario.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Network:
    """The pools of a network, sized to their targets or sharing a ``budget`` of numbers."""

    name: str
    pools: tuple[NetworkPool, ...]
    seed: int = 0
    days: float = 30.0
    budget: int | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if not self.pools:
            raise _invalid("pools", "can't be blank (give at least one [[pools]] table)")
        if len(self.pools) > MAX_POOLS:
            raise _invalid("pools", f"at most {MAX_POOLS:,} pools")
        names = [pool.name for pool in self.pools]
        if len(set(names)) != len(names):
            duplicate = next(name for name in names if names.count(name) > 1)
            raise _invalid("pools", f"names must be unique ({duplicate!r} is given twice)")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise _invalid("seed", "must be an integer")
        if self.budget is not None:
            check_budget(self.budget, len(self.pools))

    def with_budget(self, budget: int | None) -> Network:
        return Network(self.name, self.pools, self.seed, self.days, budget, self.description)

    def with_seed(self, seed: int) -> Network:
        return Network(self.name, self.pools, seed, self.days, self.budget, self.description)


def check_budget(budget: object, pools: int) -> int:
    """A budget is a whole number of numbers, at least one per pool."""
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise _invalid("budget", "must be an integer greater than 0")
    if budget < pools:
        raise _invalid("budget", f"must be at least one number per pool ({pools:,} pools)")
    return budget


def _targets(overflow: Any, attribution: Any, label: str) -> Targets | None:
    if overflow is None:
        if attribution is not None:
            raise _invalid(f"{label}overflow", "can't be blank when attribution is given")
        return None
    return Targets(
        overflow_rate=parse_share(overflow, name=f"{label}overflow"),
        attribution_rate=(
            None if attribution is None else parse_share(attribution, name=f"{label}attribution")
        ),
    )


def parse_network(
    data: Mapping[str, Any],
    *,
    load_scenario: Callable[[str], Scenario] | None = None,
) -> Network:
    """Build and validate a network (the layout of docs/network-file.md). Errors are
    :class:`RecordInvalid` keyed by the path of the offending value (``pools[2].traffic``)."""
    if not isinstance(data, Mapping):
        raise _invalid("network", "must be a table")
    _check_keys(data, NETWORK_KEYS, "network")
    seed = data.get("seed", 0)
    days = data.get("days", 30)
    if isinstance(days, bool) or not isinstance(days, int | float) or not math.isfinite(days) \
            or days <= 0:
        raise _invalid("days", "must be a number greater than 0")
    costs = dict(_table(data, "costs", "costs"))
    _check_keys(costs, COST_KEYS, "costs")
    raw_targets = _table(data, "targets", "targets")
    _check_keys(raw_targets, TARGET_KEYS, "targets")
    default_targets = (raw_targets.get("overflow"), raw_targets.get("attribution"))
    _targets(*default_targets, "targets.")
    calls = dict(_table(data, "calls", "calls"))
    _check_keys(calls, CALL_KEYS, "calls")
    profiles = _table(data, "profiles", "profiles")
    for profile_name, profile in profiles.items():
        if not isinstance(profile, Mapping):
            raise _invalid(f"profiles.{profile_name}", "must be a table")
        _check_keys(profile, PROFILE_KEYS, f"profiles.{profile_name}")
    raw_pools = data.get("pools")
    if not isinstance(raw_pools, list) or not raw_pools:
        raise _invalid("pools", "can't be blank (give at least one [[pools]] table)")
    common: dict[str, Any] = {"days": days}
    if "start_at" in data:
        common["start_at"] = data["start_at"]
    pools = []
    for index, raw in enumerate(raw_pools):
        label = f"pools[{index}]"
        if not isinstance(raw, Mapping):
            raise _invalid(label, "must be a table")
        _check_keys(raw, POOL_KEYS, label)
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise _invalid(f"{label}.name", "can't be blank")
        scenario = _pool_scenario(raw, label, common=common, costs=costs, calls=calls,
                                  profiles=profiles, load_scenario=load_scenario)
        targets = _targets(
            raw.get("target_overflow", default_targets[0]),
            raw.get("target_attribution", default_targets[1]),
            f"{label}.target_",
        )
        current = raw.get("current_size")
        if current is not None and (isinstance(current, bool) or not isinstance(current, int)
                                    or current < 1):
            raise _invalid(f"{label}.current_size", "must be an integer greater than 0")
        pools.append(NetworkPool(name=name, scenario=scenario, targets=targets,
                                 current_size=current))
    return Network(
        name=str(data.get("name", "network")),
        description=str(data.get("description", "")),
        seed=seed,
        days=float(days),
        budget=data.get("budget"),
        pools=tuple(pools),
    )


def _pool_scenario(
    raw: Mapping[str, Any],
    label: str,
    *,
    common: Mapping[str, Any],
    costs: Mapping[str, Any],
    calls: Mapping[str, Any],
    profiles: Mapping[str, Any],
    load_scenario: Callable[[str], Scenario] | None,
) -> Scenario:
    name = raw["name"]
    own_calls = _table(raw, "calls", f"{label}.calls")
    pool: dict[str, Any] = {"name": name, "max_pool_size": 1}
    for key in ("lifetime_seconds", "allow_overflow", *sorted(COST_KEYS)):
        if key in raw:
            pool[key] = raw[key]
    if ("traffic" in raw) == ("scenario" in raw):
        raise _invalid(f"{label}.traffic", "give traffic or scenario (one of the two)")
    if "scenario" in raw:
        return _from_scenario_file(raw, label, pool=pool, common=common, costs=costs,
                                   calls={**calls, **own_calls}, load_scenario=load_scenario)
    traffic = dict(_table(raw, "traffic", f"{label}.traffic"))
    profile_name: Any = traffic.pop("profile", None)
    _check_keys(traffic, TRAFFIC_KEYS, f"{label}.traffic")
    if profile_name is not None:
        profile = profiles.get(profile_name)
        if profile is None:
            known = ", ".join(sorted(profiles)) or "none"
            raise _invalid(f"{label}.traffic.profile",
                           f"names no [profiles.{profile_name}] table (profiles: {known})")
        traffic = {**profile, **traffic}
    body = {
        "name": name,
        **common,
        "traffic": traffic,
        "calls": {**calls, **own_calls},
        "pools": [pool],
        "costs": dict(costs),
    }
    try:
        return Scenario.from_dict(body)
    except RecordInvalid as exc:
        raise _prefixed(label, exc) from None


def _from_scenario_file(
    raw: Mapping[str, Any],
    label: str,
    *,
    pool: dict[str, Any],
    common: Mapping[str, Any],
    costs: Mapping[str, Any],
    calls: Mapping[str, Any],
    load_scenario: Callable[[str], Scenario] | None,
) -> Scenario:
    """A pool whose traffic and calls are a scenario's (one of its pools, by its weight);
    ``calls``: the network's ``[calls]`` under the pool's own, over the scenario's."""
    source = raw["scenario"]
    if not isinstance(source, str) or not source:
        raise _invalid(f"{label}.scenario", "must be a scenario file name")
    if load_scenario is None:
        raise _invalid(f"{label}.scenario", "can't be read here (no scenario loader given)")
    try:
        loaded = load_scenario(source)
    except RecordInvalid as exc:
        raise _prefixed(f"{label}.scenario", exc) from None
    wanted = raw.get("scenario_pool", loaded.pools[0].name)
    spec = next((p for p in loaded.pools if p.name == wanted), None)
    if spec is None:
        raise _invalid(f"{label}.scenario_pool", f"{wanted!r} is not a pool of {source}")
    share = spec.weight / sum(p.weight for p in loaded.pools)
    # the pool's own keys and the network's over the scenario's; its traffic kept (its share)
    check = {**common, "traffic": {"visitors_per_day": 0}, "pools": [pool],
             "calls": {**loaded.calls.to_dict(), **calls},
             "costs": {**loaded.costs.to_dict(), **costs}}
    try:
        shell = Scenario.from_dict(check)
    except RecordInvalid as exc:
        raise _prefixed(label, exc) from None
    own = {key: value for key, value in pool.items() if key not in {"name", "max_pool_size"}}
    return replace(
        loaded,
        name=pool["name"],
        pools=(replace(spec, name=pool["name"], max_pool_size=1, weight=1.0, **own),),
        # replayed traffic: the pool's own series; a profile: the pool's share of it
        traffic=(loaded.traffic if share == 1.0 or loaded.sessions else
                 replace(loaded.traffic,
                         visitors_per_day=loaded.traffic.visitors_per_day * share)),
        sessions=(loaded.sessions[loaded.pools.index(spec)],) if loaded.sessions else (),
        calls=shell.calls,
        costs=shell.costs,
        params=(),
        days=shell.days,
        start_at=shell.start_at if "start_at" in common else loaded.start_at,
    )


def _prefixed(prefix: str, exc: RecordInvalid) -> RecordInvalid:
    errors = exc.field_errors or {prefix: [exc.message]}
    return RecordInvalid(
        f"{prefix}.{exc.message}" if not exc.message.startswith(prefix) else exc.message,
        field_errors={
            key if key.startswith(prefix) else f"{prefix}.{key}": value
            for key, value in errors.items()
        },
    )
