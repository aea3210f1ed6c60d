"""The Platform facade: auth, allocation, Bulk RingPool, clock control, calls, determinism."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from simulator.clock import ManualClock
from simulator.errors import (
    InvalidKey,
    OnlyBulkNumberAllocationAllowed,
    RecordInvalid,
    RecordNotFound,
    Unauthorized,
)
from simulator.events import NumberRecycled
from simulator.platform import (
    CallAttributed,
    Platform,
    PlatformSettings,
    Principal,
)
from simulator.world import World

V = "2016-10-01"
START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def platform() -> Platform:
    return Platform(ManualClock(START), seed=5)


def small_pool(platform: Platform, admin: Principal, **overrides: Any) -> dict[str, Any]:
    body = {
        "id_from_network": "rp-3", "pool_type": "Custom", "destination_type": "Advertiser",
        "destination_url": "https://shop.example.com/", "max_pool_size": 3,
        "lifetime_seconds": 1800, "param1": "gclid", "param2": "utm_source",
    }
    body.update(overrides)
    return platform.create_ring_pool(admin, 1, "adv-1", "camp-1", body, version=V)


def key_query(pool: dict[str, Any], **params: str) -> dict[str, str]:
    return {"ring_pool_key": pool["api_key"], **params}


# ---- auth -------------------------------------------------------------------------------


def test_network_principal_when_token_or_basic_is_known(platform: Platform, world: World) -> None:
    assert world.basic_auth is not None
    by_token = platform.authenticate(token=world.api_token)
    by_basic = platform.authenticate(basic=world.basic_auth)
    assert by_token == by_basic == Principal("network", 1)


def test_unauthorized_when_credentials_are_wrong_or_missing(platform: Platform) -> None:
    with pytest.raises(Unauthorized):
        platform.authenticate(token="not-a-token")
    with pytest.raises(Unauthorized):
        platform.authenticate(basic=("sandbox", "wrong"))
    with pytest.raises(Unauthorized) as caught:
        platform.authenticate()
    assert caught.value.status_hint == 401


def test_unauthorized_when_token_reaches_another_network(
    platform: Platform, admin: Principal
) -> None:
    platform.directory.add_network("Other", id=2)
    with pytest.raises(Unauthorized):
        platform.list_advertisers(admin, 2, version=V)
    with pytest.raises(Unauthorized):
        platform.create_advertiser(admin, 2, {"id_from_network": "x", "name": "X"}, version=V)
    with pytest.raises(Unauthorized):
        platform.list_network_transactions(admin, 2, {}, version=V)


def test_unauthorized_when_advertiser_token_calls_network_integration(
    platform: Platform, world: World
) -> None:
    token = world.token_for("advertiser")
    assert token is not None
    advertiser = platform.authenticate(token=token)
    assert advertiser.role == "advertiser"
    with pytest.raises(Unauthorized):
        platform.list_advertisers(advertiser, 1, version=V)


# ---- allocation -------------------------------------------------------------------------


def test_invalid_key_message_when_key_is_wrong(platform: Platform, world: World) -> None:
    assert world.ring_pool is not None
    pool_id = world.ring_pool["id"]
    with pytest.raises(InvalidKey) as caught:
        platform.allocate_number(pool_id, {"ring_pool_key": "A329F4DC002168"})
    assert caught.value.message == (
        f"API Key 'A329F4DC002168' is not valid for resource '{pool_id}'"
    )
    with pytest.raises(InvalidKey, match="resource '999'"):
        platform.allocate_number(999, {"ring_pool_key": world.ring_pool["api_key"]})


def test_refused_when_legacy_api_used_on_bulk_pool(platform: Platform, world: World) -> None:
    assert world.bulk_ring_pool is not None
    with pytest.raises(OnlyBulkNumberAllocationAllowed) as caught:
        platform.allocate_number(world.bulk_ring_pool["id"],
                                 key_query(world.bulk_ring_pool, utm_source="x"))
    assert caught.value.to_dict() == {"errors": {
        "class": "OnlyBulkNumberAllocationAllowed",
        "invalid_data": "Numbers are automatically allocated by the PNAPI server",
    }}


def test_allocation_credits_affiliate_when_network_param_given(
    platform: Platform, admin: Principal
) -> None:
    pool = small_pool(platform, admin)
    result = platform.allocate_number(pool["id"], key_query(pool, gclid="g1", pid="aff-1"))
    assert result.allocation.affiliate_id_from_network == "aff-1"
    assert dict(result.allocation.params) == {"param1": "g1"}
    assert result.promo_number_formatted == (
        f"{result.promo_number[:3]}-{result.promo_number[3:6]}-{result.promo_number[6:]}"
    )
    assert result.tracking_url.startswith(f"https://invoca.net/c/1/1-1-{pool['id']}?us=")
    assert result.promo_number in result.tracking_url
    assert result.to_dict() == {
        "promo_number_formatted": result.promo_number_formatted,
        "tracking_url": result.tracking_url,
        "promo_number": result.promo_number,
    }


def test_tel_link_when_mobile_click_to_call(platform: Platform, admin: Principal) -> None:
    pool = small_pool(platform, admin)
    result = platform.allocate_number(pool["id"], key_query(pool, gclid="g",
                                                           mobile_click_to_call="1"))
    assert result.tracking_url == f"tel:+1{result.promo_number}"


def test_overflow_number_when_every_number_is_held(platform: Platform, admin: Principal) -> None:
    pool = small_pool(platform, admin)
    results = [platform.allocate_number(pool["id"], key_query(pool, gclid=f"v{i}"))
               for i in range(4)]
    assert [r.overflow for r in results] == [False, False, False, True]
    assert len({r.promo_number for r in results[:3]}) == 3
    assert results[3].promo_number == platform.ring_pool_by_id(pool["id"]).overflow_number


def test_recycled_events_when_clock_passes_lifetime(platform: Platform, admin: Principal) -> None:
    pool = small_pool(platform, admin)
    held = platform.allocate_number(pool["id"], key_query(pool, gclid="a"))
    assert [e for e in platform.advance_clock(1799) if isinstance(e, NumberRecycled)] == []
    recycled = [e for e in platform.advance_clock(1) if isinstance(e, NumberRecycled)]
    assert [(e.ring_pool_id, e.promo_number) for e in recycled] == [
        (pool["id"], held.promo_number)
    ]


def test_set_clock_moves_forward_when_instant_is_later(platform: Platform) -> None:
    platform.set_clock(START + timedelta(hours=1))
    assert platform.now() == START + timedelta(hours=1)


# ---- bulk -------------------------------------------------------------------------------


def test_rows_in_order_with_row_errors_when_bulk_batch_is_mixed(
    platform: Platform, world: World, admin: Principal
) -> None:
    bulk = world.bulk_ring_pool
    assert bulk is not None
    search = platform.create_ring_pool(admin, 1, "adv-1", "camp-1", {
        "id_from_network": "rp-search", "pool_type": "Search", "destination_type": "Advertiser",
    }, version=V)
    good = f"{bulk['id']}/allocate_number.json?ring_pool_key={bulk['api_key']}&utm_source=tv"
    rows = platform.bulk_allocate_numbers({"requests": [
        {"api_suffix": good, "request_id": "A1"},
        {"api_suffix": f"{bulk['id']}/allocate_number.json?ring_pool_key=NOPE&param1=x",
         "request_id": "B2"},
        {"api_suffix": f"{bulk['id']}/allocate_number.json?ring_pool_key={bulk['api_key']}",
         "request_id": "C3"},
        {"api_suffix": f"{search['id']}/allocate_number.json?ring_pool_key={search['api_key']}"
                       "&param1=x", "request_id": "D4"},
        {"api_suffix": "garbage"},
        {"api_suffix": good},
    ]})
    assert [r.get("request_id") for r in rows] == ["A1", "B2", "C3", "D4", None, None]
    assert set(rows[0]) == {"request_id", "promo_number_formatted", "promo_number",
                            "tracking_url"}
    assert rows[1] == {"request_id": "B2", "error_class": "InvalidKey",
                       "message": f"API Key 'NOPE' is not valid for resource '{bulk['id']}'"}
    assert rows[2]["error_class"] == "RecordInvalid"
    assert rows[2]["message"] == "At least one RingPool parameter is required"
    assert rows[3]["error_class"] == "RecordInvalid"
    assert "Custom RingPools only" in rows[3]["message"]
    assert rows[4]["error_class"] == "InvalidInput"
    assert rows[5]["promo_number"] != rows[0]["promo_number"]


def test_overflow_flag_only_on_overflow_rows_when_bulk_pool_fills(
    platform: Platform, admin: Principal
) -> None:
    pool = small_pool(platform, admin, id_from_network="rp-b3", bulk=True)
    suffix = f"{pool['id']}/allocate_number.json?ring_pool_key={pool['api_key']}&gclid="
    rows = platform.bulk_allocate_numbers({"request": [{"api_suffix": suffix}] * 4})
    assert ["overflow" in r for r in rows] == [False, False, False, True]
    assert rows[3]["overflow"] is True


def test_bulk_rows_answer_like_single_allocations_when_pools_interleave(
    admin: Principal,
) -> None:
    bulk_platform = Platform(ManualClock(START), seed=9)
    single_platform = Platform(ManualClock(START), seed=9)
    pools = []
    for target in (bulk_platform, single_platform):
        pools = [small_pool(target, admin, id_from_network=f"rp-i{n}", bulk=True,
                            max_pool_size=2) for n in range(2)]
    visits = [(0, "a"), (0, "b"), (1, "c"), (1, "d"), (0, "e"), (0, "f"), (1, "g")]
    rows = bulk_platform.bulk_allocate_numbers({"requests": [
        {"api_suffix": f"{pools[n]['id']}/allocate_number.json?"
                       f"ring_pool_key={pools[n]['api_key']}&gclid={gclid}&utm_source=a%20b"}
        for n, gclid in visits
    ]})
    singles = [
        single_platform.allocate_number(pools[n]["id"], key_query(
            pools[n], gclid=gclid, utm_source="a b"), bulk=True)
        for n, gclid in visits
    ]
    assert [row["promo_number"] for row in rows] == [r.promo_number for r in singles]
    assert [row["tracking_url"] for row in rows] == [r.tracking_url for r in singles]
    assert [row.get("overflow", False) for row in rows] == [r.overflow for r in singles]
    for pool in pools:
        assert bulk_platform.allocations(pool["id"]) == single_platform.allocations(pool["id"])


def test_whole_request_refused_when_batch_exceeds_limit() -> None:
    platform = Platform(ManualClock(START), seed=5,
                        settings=PlatformSettings(bulk_batch_limit=2))
    with pytest.raises(RecordInvalid, match="at most 2"):
        platform.bulk_allocate_numbers({"requests": [{"api_suffix": "1/x"}] * 3})
    with pytest.raises(RecordInvalid):
        platform.bulk_allocate_numbers({"requests": []})


# ---- calls ------------------------------------------------------------------------------


def test_call_attributed_to_latest_holder_when_number_was_recycled(
    platform: Platform, admin: Principal
) -> None:
    pool = small_pool(platform, admin)
    first = [platform.allocate_number(pool["id"], key_query(pool, gclid=f"old{i}"))
             for i in range(3)]
    platform.advance_clock(1800)
    again = platform.allocate_number(pool["id"], key_query(pool, gclid="new", utm_source="bing"))
    assert again.promo_number == first[0].promo_number  # idle longest goes first
    platform.advance_clock(60)
    row = platform.simulate_call(again.promo_number_formatted, duration_seconds=95,
                                 calling_phone_number="(805) 555-0142")
    assert row["dynamic_number_pool_id"] == pool["id"]
    assert row["dynamic_number_pool_referrer_param1_name"] == "gclid"
    assert row["dynamic_number_pool_referrer_param1_value"] == "new"
    assert row["dynamic_number_pool_referrer_param2_value"] == "bing"
    assert row["duration"] == 95
    assert row["calling_phone_number"] == "805-555-0142"
    assert row["transaction_type"] == "Call"
    early = platform.simulate_call(first[0].promo_number, start_at=START + timedelta(minutes=5))
    assert early["dynamic_number_pool_referrer_param1_value"] == "old0"
    events = [e for e in platform.events.events() if isinstance(e, CallAttributed)]
    assert [e.allocation_id for e in events] == [again.allocation.id, first[0].allocation.id]


def test_unattributed_pool_transaction_when_call_hits_overflow_number(
    platform: Platform, admin: Principal
) -> None:
    pool = small_pool(platform, admin)
    overflow = platform.ring_pool_by_id(pool["id"]).overflow_number
    assert overflow is not None
    row = platform.simulate_call(overflow)
    assert row["advertiser_campaign_id_from_network"] == "camp-1"
    assert row["dynamic_number_pool_id"] == pool["id"]
    assert row["dynamic_number_pool_referrer_param1_value"] == ""
    event = platform.events.events()[-1]
    assert isinstance(event, CallAttributed) and event.attributed is False


def test_static_promo_campaign_when_call_hits_promo_number(
    platform: Platform, admin: Principal
) -> None:
    promo = platform.create_affiliate_campaign_promo_number(
        admin, 1, "adv-1", "camp-1", "aff-1",
        {"description": "Mailer", "media_type": "Offline: Direct Mail",
         "custom_data": {"region": "west"}}, version=V,
    )
    row = platform.simulate_call(promo["promo_number"])
    assert row["media_type"] == "Offline: Direct Mail"
    assert row["affiliate_id_from_network"] == "aff-1"
    assert row["affiliate_campaign_id_from_network"] == "affcamp-1"
    assert row["virtual_line_id"] == str(promo["id"])
    assert row["custom_data"] == [
        {"name": "region", "data_type": "Short Text", "source": "VirtualLine", "value": "west"}
    ]
    assert row["dynamic_number_pool_id"] is None


def test_call_refused_when_number_unknown_or_start_in_future(platform: Platform,
                                                             world: World) -> None:
    with pytest.raises(RecordNotFound):
        platform.simulate_call("2125550100")
    assert world.ring_pool is not None
    pool = platform.ring_pool_by_id(world.ring_pool["id"])
    assert pool.overflow_number is not None
    with pytest.raises(RecordInvalid) as caught:
        platform.simulate_call(pool.overflow_number, start_at=START + timedelta(seconds=1))
    assert caught.value.field_errors == {"start_time": ["can't be in the future"]}
    assert len(platform.transactions) == 0


def test_quick_stats_count_calls_when_campaign_has_calls(
    platform: Platform, admin: Principal
) -> None:
    pool = small_pool(platform, admin)
    number = platform.allocate_number(pool["id"], key_query(pool, gclid="q")).promo_number
    platform.simulate_call(number, duration_seconds=30)
    platform.simulate_call(number, duration_seconds=90)
    stats = platform.get_advertiser_campaign_quick_stats(admin, 1, "adv-1", "camp-1", version=V)
    assert stats["stats"]["today"] == {"call_avg_total_duration": 60.0, "call_count": 2}
    assert stats["stats"]["last_30days"]["call_count"] == 2


# ---- determinism and reset --------------------------------------------------------------


def drive(platform: Platform) -> str:
    assert platform.world is not None and platform.world.ring_pool is not None
    admin = platform.authenticate(token=platform.world.api_token)
    pool = small_pool(platform, admin)
    for i in range(5):
        result = platform.allocate_number(pool["id"], key_query(pool, gclid=f"g{i}", pid="aff-1"))
        platform.advance_clock(700)
        platform.simulate_call(result.promo_number, duration_seconds=10 * i)
    platform.create_promo_number(admin, 1, "adv-1", "camp-1",
                                 {"description": "d", "media_type": "Offline: TV"}, version=V)
    return json.dumps(platform.export_state(), sort_keys=True)


def test_identical_state_when_seed_and_commands_repeat() -> None:
    first = drive(Platform(ManualClock(START), seed=42))
    second = drive(Platform(ManualClock(START), seed=42))
    assert first == second
    assert drive(Platform(ManualClock(START), seed=43)) != first


def test_seeded_world_again_when_reset(platform: Platform, world: World, admin: Principal) -> None:
    summary = world.summary()
    small_pool(platform, admin)
    platform.reset()
    assert platform.world is not None
    assert platform.world.summary() == summary
    assert len(platform.transactions) == 0
    ids = [p["id_from_network"] for p in platform.list_ring_pools(admin, 1, "adv-1", "camp-1")]
    assert ids == ["rp-1", "rp-bulk-1"]


def test_distinct_numbers_when_threads_allocate_concurrently(
    platform: Platform, admin: Principal
) -> None:
    pool = small_pool(platform, admin, id_from_network="rp-big", max_pool_size=200)
    numbers: list[str] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(20):
            result = platform.allocate_number(pool["id"], key_query(pool, gclid=f"{n}-{i}"))
            with lock:
                numbers.append(result.promo_number)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(numbers) == 160
    assert len(set(numbers)) == 160


def test_bulk_call_reads_back_with_params_when_number_was_recycled(
    platform: Platform, admin: Principal
) -> None:
    pool = small_pool(platform, admin, id_from_network="rp-bulk3", bulk=True)
    base = f"{pool['id']}/allocate_number.json?ring_pool_key={pool['api_key']}"
    first = platform.bulk_allocate_numbers(
        {"requests": [{"api_suffix": f"{base}&gclid=v{i}", "request_id": str(i)}
                      for i in range(4)]}
    )
    assert [row.get("overflow", False) for row in first] == [False, False, False, True]
    platform.advance_clock(1801)
    again = platform.bulk_allocate_numbers(
        {"requests": [{"api_suffix": f"{base}&gclid=fresh&utm_source=tv", "request_id": "r"}]}
    )[0]
    assert again["promo_number"] == first[0]["promo_number"]
    platform.advance_clock(5)
    call = platform.simulate_call(again["promo_number"])
    rows = platform.list_network_transactions(admin, 1, {
        "transaction_id": call["transaction_id"],
        "include_columns": "dynamic_number_pool_referrer_param1_value,"
                           "dynamic_number_pool_referrer_param2_value",
    }, version=V)
    assert rows == [{"dynamic_number_pool_referrer_param1_value": "fresh",
                     "dynamic_number_pool_referrer_param2_value": "tv"}]


def test_identical_state_when_processes_hash_differently() -> None:
    script = (
        "import sys, hashlib\n"
        "from datetime import datetime, UTC\n"
        "from simulator.clock import ManualClock\n"
        "from simulator.platform import Platform\n"
        "from tests.simulator.test_platform import drive\n"
        "platform = Platform(ManualClock(datetime(2024, 3, 1, 12, tzinfo=UTC)), seed=42)\n"
        "print(hashlib.sha256(drive(platform).encode()).hexdigest())\n"
    )
    root = Path(__file__).resolve().parents[2]
    digests = {
        subprocess.run(
            [sys.executable, "-c", script], cwd=root, check=True, capture_output=True, text=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1
    assert digests == {hashlib.sha256(drive(Platform(ManualClock(START), seed=42)).encode())
                       .hexdigest()}
