"""A network from a world file plus traffic: each ring pool of the world sized from its rows of
an analytics CSV (``simulate network --world WORLD --traffic SESSIONS.csv``).

Rules (reference: docs/network-file.md "From a world file and your traffic"; choices:
docs/fidelity.md NS12, NS13):

* Sans-IO: :func:`world_ring_pools` builds the world (a parsed world file, None: the demo
  world) in an offline platform at a fixed instant and reads its ring pools;
  :func:`network_from_world` takes the texts of the CSV and of an optional Transactions export.
* A CSV ``pool`` names a ring pool by its ``id_from_network``, else by its ``name`` when one
  ring pool alone has that name. A CSV pool naming no ring pool is refused, naming it; a ring
  pool with no rows is left out and listed in :attr:`WorldNetwork.skipped` (none matched:
  refused).
* Each matched ring pool becomes a network pool named by its ``id_from_network``, with its
  ``lifetime_seconds`` and ``allow_overflow``, its ``max_pool_size`` as ``current_size``, and
  the traffic :func:`~simulator.scenario.fit_scenario` fits (or replays) for its CSV pool, read
  through :func:`~simulator.network_file.parse_network`'s ``scenario`` pools (one rule).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simulator.clock import ManualClock
from simulator.errors import RecordInvalid
from simulator.network_file import Network, parse_network
from simulator.platform import Platform
from simulator.scenario import Scenario, fit_scenario
from simulator.settings import PlatformSettings

__all__ = ["WorldNetwork", "WorldRingPool", "network_from_world", "world_ring_pools"]

#: the instant a world is built at (no wall clock: the same world, the same pools)
BUILT_AT = datetime(2016, 10, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class WorldRingPool:
    """What a network pool takes from a ring pool of a world."""

    id_from_network: str
    name: str
    lifetime_seconds: int
    max_pool_size: int
    allow_overflow: bool


@dataclass(frozen=True, slots=True)
class WorldNetwork:
    """The network, and the ring pools left out (no rows in the CSV), by ``id_from_network``."""

    network: Network
    skipped: tuple[str, ...] = ()


def world_ring_pools(world: Mapping[str, Any] | None) -> tuple[WorldRingPool, ...]:
    """The ring pools of ``world`` (a parsed world file; None: the demo world), by id."""
    settings = (world or {}).get("settings") or {}
    numbers = str(settings.get("numbers") or "fictional") if isinstance(settings, Mapping) \
        else "fictional"
    platform = Platform(ManualClock(BUILT_AT), 0,
                        settings=PlatformSettings(world=world, numbers=numbers))
    found = []
    for _, placement in sorted(platform.directory.ring_pools_by_id.items()):
        pool = placement.pool
        values = pool.properties.get("values") or {}
        found.append(WorldRingPool(
            id_from_network=str(pool.properties.get("id_from_network") or pool.id),
            name=str(values.get("name") or ""),
            lifetime_seconds=pool.lifetime_seconds,
            max_pool_size=pool.max_pool_size,
            allow_overflow=pool.allow_overflow,
        ))
    return tuple(found)


def _invalid(field: str, message: str) -> RecordInvalid:
    return RecordInvalid(f"{field} {message}", field_errors={field: [message]})


def _match(csv_pools: Sequence[str],
           ring_pools: Sequence[WorldRingPool]) -> dict[str, WorldRingPool]:
    """CSV pool -> its ring pool (by ``id_from_network``, else by a name no other pool has)."""
    by_id: dict[str, WorldRingPool] = {}
    for ring_pool in ring_pools:
        if ring_pool.id_from_network in by_id:
            raise _invalid("world", f"has two ring pools with id_from_network "
                           f"{ring_pool.id_from_network!r} (a network pool needs a unique name)")
        by_id[ring_pool.id_from_network] = ring_pool
    names = [ring_pool.name for ring_pool in ring_pools]
    matched: dict[str, WorldRingPool] = {}
    for csv_pool in csv_pools:
        found = by_id.get(csv_pool)
        if found is None and names.count(csv_pool) == 1:
            found = ring_pools[names.index(csv_pool)]
        if found is None:
            known = ", ".join(by_id) or "none"
            raise _invalid("traffic.pool", f"{csv_pool!r} names no ring pool of the world "
                           f"(by id_from_network or a unique name; ring pools: {known})")
        if any(other is found for other in matched.values()):
            raise _invalid("traffic.pool", f"{csv_pool!r} names ring pool "
                           f"{found.id_from_network!r}, already named by another CSV pool")
        matched[csv_pool] = found
    return matched


def network_from_world(
    ring_pools: Sequence[WorldRingPool],
    sessions_csv: str,
    transactions: str | None = None,
    *,
    mode: str = "fit",
    timezone: str = "UTC",
    name: str = "world",
    seed: int = 0,
    costs: Mapping[str, Any] | None = None,
    targets: Mapping[str, Any] | None = None,
    calls: Mapping[str, Any] | None = None,
    budget: int | None = None,
) -> WorldNetwork:
    """The network of the ring pools the CSV has rows for (the module's rules). ``costs``,
    ``targets`` and ``calls`` are a network file's ``[costs]``, ``[targets]`` and ``[calls]``
    tables (``calls`` over what the export fitted, key by key)."""
    if not ring_pools:
        raise _invalid("world", "has no ring pools")
    fitted = fit_scenario(sessions_csv, transactions, mode=mode, timezone=timezone,
                          name="traffic", seed=seed)
    matched = _match([spec.name for spec in fitted.pools], ring_pools)
    chosen = {ring_pool.id_from_network for ring_pool in matched.values()}
    pools = [
        {"name": ring_pool.id_from_network, "scenario": "traffic", "scenario_pool": csv_pool,
         "lifetime_seconds": ring_pool.lifetime_seconds,
         "allow_overflow": ring_pool.allow_overflow, "current_size": ring_pool.max_pool_size}
        for csv_pool, ring_pool in matched.items()
    ]
    data: dict[str, Any] = {"name": name, "seed": seed, "days": fitted.days, "pools": pools,
                            "costs": dict(costs or {}), "targets": dict(targets or {}),
                            "calls": dict(calls or {})}
    if budget is not None:
        data["budget"] = budget

    def load_scenario(_: str) -> Scenario:
        return fitted

    network = parse_network(data, load_scenario=load_scenario)
    skipped = tuple(ring_pool.id_from_network for ring_pool in ring_pools
                    if ring_pool.id_from_network not in chosen)
    return WorldNetwork(network=network, skipped=skipped)
