"""Journal: export a platform's commands and rebuild the same state by replaying them."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from simulator.clock import ManualClock
from simulator.errors import RecordInvalid, Unauthorized
from simulator.journal import Journal, decode, encode
from simulator.platform import Platform, PlatformSettings, Principal
from simulator.settings import CountedRandom
from simulator.world import load_world

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
V = "2016-10-01"


def busy_platform(seed: int = 42, **settings: Any) -> Platform:
    """A platform after pools, allocations, bulk rows, calls, a signal and a clock jump."""
    platform = Platform(ManualClock(START), seed=seed, settings=PlatformSettings(**settings))
    world = platform.world
    assert world is not None and world.bulk_ring_pool is not None
    admin = platform.authenticate(token=world.api_token)
    pool = platform.create_ring_pool(admin, 1, "adv-1", "camp-1", {
        "id_from_network": "rp-j", "pool_type": "Custom", "destination_type": "Advertiser",
        "max_pool_size": 2, "lifetime_seconds": 300, "param1": "gclid",
    }, version=V)
    bulk = world.bulk_ring_pool
    for i in range(3):
        result = platform.allocate_number(pool["id"], {"ring_pool_key": pool["api_key"],
                                                       "gclid": f"g{i}"})
        platform.advance_clock(200)
        row = platform.simulate_call(result.promo_number, duration_seconds=30 + i,
                                     start_at=platform.now() - timedelta(seconds=5))
    platform.bulk_allocate_numbers({"requests": [
        {"api_suffix": f"{bulk['id']}/allocate_number.json?ring_pool_key={bulk['api_key']}"
                       "&utm_source=x"},
    ]})
    platform.report_signals(admin, {"search": {"transaction_id": row["transaction_id"]},
                                    "signals": [{"name": "Sale", "revenue": "5"}]})
    with pytest.raises(RecordInvalid):
        platform.create_advertiser(admin, 1, {"id_from_network": "bad"}, version=V)
    platform.new_token()
    return platform


def canonical(platform: Platform) -> str:
    return json.dumps(platform.export_state(), sort_keys=True)


def test_same_state_when_export_is_imported_elsewhere() -> None:
    source = busy_platform()
    exported = json.loads(canonical(source))
    target = Platform(ManualClock(START), seed=3)
    target.import_state(exported)
    assert canonical(target) == canonical(source)
    assert target.now() == source.now()
    assert target.new_token() == source.new_token()  # the seeded streams continue alike


def test_one_entry_per_command_when_commands_nest() -> None:
    platform = busy_platform()
    ops = [entry.op for entry in platform.journal.entries()]
    assert ops.count("bulk_allocate_numbers") == 1
    assert ops.count("allocate_number") == 3  # the bulk row's allocation is not journaled twice
    assert ops.count("set_clock") == 3
    assert ops[-2:] == ["report_signals", "new_token"]  # the refused create is not kept


def test_refused_command_is_not_journaled_when_it_drew_nothing() -> None:
    platform = busy_platform()
    before = canonical(platform)
    admin = platform.authenticate(token=platform.world.api_token)  # type: ignore[union-attr]
    with pytest.raises(RecordInvalid):
        platform.create_ring_pool(admin, 1, "adv-1", "camp-1",
                                  {"id_from_network": "rp-x", "max_pool_size": "9" * 5000},
                                  version="2019-05-01")
    assert canonical(platform) == before


def test_streams_draw_what_plain_random_draws_when_counting() -> None:
    counted, plain = CountedRandom("s"), random.Random("s")
    assert [counted.choice("abcdef") for _ in range(50)] == [plain.choice("abcdef")
                                                             for _ in range(50)]
    assert counted.random() == plain.random()
    assert counted.draws >= 51  # a choice may draw more than once (rejection sampling)


def test_state_unchanged_when_import_is_refused() -> None:
    source = busy_platform(journal_limit=3)
    target = busy_platform(seed=5)
    before = canonical(target)
    with pytest.raises(RecordInvalid, match="truncated"):
        target.import_state(source.export_state())
    state = busy_platform().export_state()
    state["replay"]["journal"].append({"op": "reset", "at": START.isoformat()})
    with pytest.raises(RecordInvalid, match="unknown operation 'reset'"):
        target.import_state(state)
    state["replay"]["journal"][-1] = {  # a command given too few path ids
        "op": "delete_advertiser", "at": START.isoformat(),
        "args": [{"$principal": {"role": "network", "network_id": 1}}, 1]}
    with pytest.raises(RecordInvalid, match=r"journal\[\d+\]: advertiser delete"):
        target.import_state(state)
    with pytest.raises(RecordInvalid):
        target.import_state({"now": "yesterday"})
    assert canonical(target) == before


def test_journal_starts_over_when_platform_resets() -> None:
    platform = busy_platform()
    assert len(platform.journal) > 0
    platform.reset()
    assert len(platform.journal) == 0
    assert platform.export_state()["replay"]["journal"] == []


def test_values_round_trip_when_encoded() -> None:
    value = {"who": Principal("advertiser", 2, advertiser_id_from_network="a"),
             "at": START, "wait": timedelta(seconds=90), "list": [1, "x", None, True]}
    assert decode(json.loads(json.dumps(encode(value)))) == value
    with pytest.raises(TypeError):
        encode(object())


def test_recording_stops_when_limit_reached() -> None:
    journal = Journal(limit=2)
    for n in range(3):
        journal.record("new_token", START, (), {"n": n})
    assert len(journal) == 2
    assert journal.truncated


def test_loaded_world_replayed_when_state_came_from_world_file() -> None:
    world_file = {
        "networks": [{"id": 4, "name": "Four"}],
        "tokens": [{"token": "T" * 32, "role": "network", "network_id": 4}],
        "objects": [{"type": "advertiser", "body": {"id_from_network": "a", "name": "A"}}],
    }
    source = Platform(ManualClock(START), seed=8, settings=PlatformSettings(world=world_file))
    admin = source.authenticate(token="T" * 32)
    source.create_affiliate(admin, 4, {"id_from_network": "p", "name": "P"})
    target = Platform(ManualClock(START), seed=8)
    target.import_state(source.export_state())
    assert canonical(target) == canonical(source)
    assert target.authenticate(token="T" * 32) == Principal("network", 4)


def test_reset_rebuilds_the_start_world_when_another_world_was_imported() -> None:
    world_file = {
        "networks": [{"id": 4, "name": "Four"}],
        "tokens": [{"token": "T" * 32, "role": "network", "network_id": 4}],
    }
    source = Platform(ManualClock(START), seed=8, settings=PlatformSettings(world=world_file))
    target = Platform(ManualClock(START), seed=3)
    start = canonical(target)
    start_token = target.world.api_token if target.world is not None else None
    target.import_state(source.export_state())
    target.reset()
    assert canonical(target) == start
    assert target.world is not None and target.world.api_token == start_token
    with pytest.raises(Unauthorized):
        target.authenticate(token="T" * 32)


def test_reset_keeps_the_loaded_world_when_a_world_file_was_loaded() -> None:
    world_file = {"networks": [{"id": 4, "name": "Four"}],
                  "tokens": [{"token": "T" * 32, "role": "network", "network_id": 4}]}
    platform = Platform(ManualClock(START), seed=8)
    load_world(platform, world_file)
    admin = platform.authenticate(token="T" * 32)
    platform.create_affiliate(admin, 4, {"id_from_network": "p", "name": "P"})
    platform.reset()
    assert [a["id_from_network"] for a in platform.list_affiliates(admin, 4)] == []
    assert platform.authenticate(token="T" * 32) == Principal("network", 4)


def test_bulk_request_weighs_its_rows_when_journaled() -> None:
    platform = Platform(ManualClock(START), seed=1, settings=PlatformSettings(journal_limit=150))
    bulk = platform.world.bulk_ring_pool if platform.world is not None else None
    assert bulk is not None
    suffix = f"{bulk['id']}/allocate_number.json?ring_pool_key={bulk['api_key']}&utm_source=x"
    body = {"requests": [{"api_suffix": suffix, "request_id": str(n)} for n in range(100)]}
    platform.bulk_allocate_numbers(body)
    assert (platform.journal.weight, platform.journal.truncated) == (100, False)
    platform.bulk_allocate_numbers(body)
    assert (platform.journal.weight, platform.journal.truncated) == (100, True)
    assert len(platform.journal) == 1
