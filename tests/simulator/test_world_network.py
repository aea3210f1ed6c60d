"""A network from a world file plus traffic (:mod:`simulator.world_network`): the world's ring
pools, their lifetimes and sizes, the CSV's traffic; names matched or refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from simulator.errors import RecordInvalid
from simulator.network_sizing import size_network
from simulator.world_network import network_from_world, world_ring_pools


def _ring_pool(pool_id: str, name: str, lifetime: int, size: int,
               overflow: bool = True) -> dict[str, Any]:
    return {"type": "ring_pool", "advertiser_id_from_network": "adv",
            "advertiser_campaign_id_from_network": "camp",
            "body": {"id_from_network": pool_id, "name": name, "pool_type": "Custom",
                     "destination_type": "Advertiser", "max_pool_size": size,
                     "lifetime_seconds": lifetime, "allow_overflow": overflow}}


WORLD: dict[str, Any] = {
    "networks": [{"id": 3, "name": "Plumbers"}],
    "objects": [
        {"type": "advertiser", "body": {"id_from_network": "adv", "name": "Acme"}},
        {"type": "advertiser_campaign", "advertiser_id_from_network": "adv",
         "body": {"id_from_network": "camp", "name": "Spring"}},
        _ring_pool("rp-dallas", "Dallas", 600, 8),
        _ring_pool("rp-tv", "TV spots", 900, 5, overflow=False),
    ],
}


def sessions(*pools: tuple[str, int], days: int = 2) -> str:
    """An hourly analytics CSV: each (pool, sessions an hour) for ``days`` days."""
    start = datetime(2026, 1, 5, tzinfo=UTC)
    rows = ["timestamp,pool,sessions"]
    for hour in range(24 * days):
        at = (start + timedelta(hours=hour)).isoformat()
        rows += [f"{at},{pool},{count}" for pool, count in pools]
    return "\n".join(rows) + "\n"


def test_pools_are_the_world_ring_pools_with_their_lifetimes_when_the_csv_names_them() -> None:
    built = network_from_world(world_ring_pools(WORLD),
                               sessions(("rp-dallas", 30), ("TV spots", 10)),
                               targets={"overflow": "1%"})
    pools = {pool.name: pool for pool in built.network.pools}
    assert set(pools) == {"rp-dallas", "rp-tv"}  # "TV spots" matched by the pool's name
    assert pools["rp-dallas"].scenario.pools[0].lifetime_seconds == 600
    assert pools["rp-tv"].scenario.pools[0].lifetime_seconds == 900
    assert pools["rp-tv"].scenario.pools[0].allow_overflow is False
    assert (pools["rp-dallas"].current_size, pools["rp-tv"].current_size) == (8, 5)
    assert pools["rp-dallas"].scenario.traffic.visitors_per_day == pytest.approx(720)
    assert built.skipped == ()


def test_report_shows_current_size_beside_the_answer_when_built_from_a_world() -> None:
    built = network_from_world(world_ring_pools(WORLD), sessions(("rp-dallas", 30)),
                               targets={"overflow": "1%"}, costs={"call_value": 40})
    report = size_network(built.network).to_dict()
    assert [(pool["name"], pool["current_numbers"]) for pool in report["pools"]] == [
        ("rp-dallas", 8)]
    assert report["pools"][0]["numbers"] >= 1


def test_ring_pool_without_rows_is_skipped_and_named_when_the_csv_lacks_it() -> None:
    built = network_from_world(world_ring_pools(WORLD), sessions(("rp-tv", 10)),
                               targets={"overflow": "1%"})
    assert [pool.name for pool in built.network.pools] == ["rp-tv"]
    assert built.skipped == ("rp-dallas",)


def test_csv_pool_is_refused_by_name_when_no_ring_pool_has_it() -> None:
    with pytest.raises(RecordInvalid) as caught:
        network_from_world(world_ring_pools(WORLD), sessions(("rp-dallas", 3), ("houston", 4)))
    assert "'houston' names no ring pool" in caught.value.message
    assert "rp-dallas, rp-tv" in caught.value.message
    assert "traffic.pool" in caught.value.field_errors


def test_demo_world_gives_its_two_ring_pools_when_no_world_file_is_given() -> None:
    pools = world_ring_pools(None)
    assert [(p.id_from_network, p.lifetime_seconds, p.max_pool_size) for p in pools] == [
        ("rp-1", 1800, 15), ("rp-bulk-1", 1800, 15)]


def test_replayed_pool_keeps_its_own_series_when_mode_is_replay() -> None:
    built = network_from_world(world_ring_pools(WORLD),
                               sessions(("rp-dallas", 30), ("rp-tv", 2)), mode="replay")
    assert built.network.days == 2
    assert all(len(pool.scenario.sessions) == 1 for pool in built.network.pools)


def test_pools_call_at_the_given_probability_when_calls_are_given() -> None:
    csv = sessions(("rp-dallas", 30))
    silent = network_from_world(world_ring_pools(WORLD), csv)
    calling = network_from_world(world_ring_pools(WORLD), csv, calls={"probability": "5%"})
    [without], [with_calls] = silent.network.pools, calling.network.pools
    assert without.scenario.calls.probability == 0  # nothing in a sessions CSV says who calls
    assert with_calls.scenario.calls.probability == pytest.approx(0.05)
