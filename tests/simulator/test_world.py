"""Worlds: the demo world, world files, and how reset comes back to them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from simulator.clock import ManualClock
from simulator.errors import RecordInvalid, RecordNotFound
from simulator.platform import Platform, PlatformSettings, Principal
from simulator.world import build_world, load_world

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
SUMMARY_KEYS = {
    "network_id", "api_token", "basic_auth", "advertiser_id_from_network",
    "advertiser_campaign_id_from_network", "affiliate_id_from_network", "ring_pool",
    "bulk_ring_pool", "external_campaign_id_from_network",
}


@pytest.fixture
def platform() -> Platform:
    return Platform(ManualClock(START), seed=21)


def world_file() -> dict[str, Any]:
    return {
        "networks": [{"id": 7, "name": "Acme", "affiliate_id_param": "sid"}],
        "tokens": [
            {"token": "N" * 32, "role": "network", "network_id": 7},
            {"token": "A" * 32, "role": "advertiser", "network_id": 7,
             "advertiser_id_from_network": "acme-adv"},
            {"role": "affiliate", "network_id": 7, "affiliate_id_from_network": "acme-aff"},
        ],
        "basic_auth": [{"username": "acme", "password": "pw", "role": "network",
                        "network_id": 7}],
        "objects": [
            {"type": "advertiser", "body": {"id_from_network": "acme-adv", "name": "Acme"}},
            {"type": "affiliate", "body": {"id_from_network": "acme-aff", "name": "Pub"}},
            {"type": "advertiser_campaign", "advertiser_id_from_network": "acme-adv",
             "body": {"id_from_network": "acme-c", "name": "Spring"}},
            {"type": "advertiser_affiliate", "advertiser_id_from_network": "acme-adv",
             "affiliate_id_from_network": "acme-aff", "body": {"status": "Approved"}},
            {"type": "affiliate_campaign", "advertiser_id_from_network": "acme-adv",
             "advertiser_campaign_id_from_network": "acme-c",
             "affiliate_id_from_network": "acme-aff", "body": {"status": "Applied"}},
            {"type": "ring_pool", "advertiser_id_from_network": "acme-adv",
             "advertiser_campaign_id_from_network": "acme-c",
             "body": {"id_from_network": "acme-rp", "pool_type": "Custom",
                      "destination_type": "Advertiser", "max_pool_size": "4"}},
            {"type": "promo_number", "advertiser_id_from_network": "acme-adv",
             "advertiser_campaign_id_from_network": "acme-c",
             "body": {"description": "TV", "media_type": "Offline: TV"}},
        ],
    }


def test_summary_has_exactly_the_served_keys_when_demo_world_built(platform: Platform) -> None:
    world = platform.world
    assert world is not None
    summary = world.summary()
    assert set(summary) == SUMMARY_KEYS
    assert re.fullmatch(r"[A-Za-z0-9]{32}", summary["api_token"])
    assert set(summary["basic_auth"]) == {"username", "password"}
    for key in ("ring_pool", "bulk_ring_pool"):
        assert set(summary[key]) == {"id", "id_from_network", "api_key"}
    admin = platform.authenticate(token=summary["api_token"])
    pool = platform.get_ring_pool(admin, 1, "adv-1", "camp-1", "rp-1", version="2016-10-01")
    assert (pool["max_pool_size"], pool["lifetime_seconds"], pool["pool_type"]) == (
        15, 1800, "Custom"
    )
    bulk = platform.get_ring_pool(admin, 1, "adv-1", "camp-1",
                                  summary["bulk_ring_pool"]["id_from_network"],
                                  version="2016-10-01")
    assert bulk["bulk"] is True
    assert platform.world_summary() == summary


def test_different_credentials_when_seed_differs() -> None:
    first = Platform(ManualClock(START), seed=1).world
    again = Platform(ManualClock(START), seed=1).world
    other = Platform(ManualClock(START), seed=2).world
    assert first is not None and again is not None and other is not None
    assert first.summary() == again.summary()
    assert first.api_token != other.api_token


def test_same_world_when_build_world_called_on_built_platform(platform: Platform) -> None:
    assert build_world(platform, 21) is platform.world
    with pytest.raises(RecordInvalid):
        build_world(platform, 22)


def test_objects_and_credentials_loaded_when_world_file_given(platform: Platform) -> None:
    world = load_world(platform, world_file())
    assert platform.world is world
    summary = world.summary()
    assert summary["network_id"] == 7
    assert summary["api_token"] == "N" * 32
    assert summary["basic_auth"] == {"username": "acme", "password": "pw"}
    assert summary["advertiser_campaign_id_from_network"] == "acme-c"
    assert summary["bulk_ring_pool"] is None
    admin = platform.authenticate(basic=("acme", "pw"))
    assert admin == Principal("network", 7)
    pool = platform.get_ring_pool(admin, 7, "acme-adv", "acme-c", "acme-rp")
    assert pool["max_pool_size"] == 4
    held = platform.get_affiliate_campaign(admin, 7, "acme-adv", "acme-c", "acme-aff")
    assert held["status"] == "Approved"
    assert len(platform.list_promo_numbers(admin, 7, "acme-adv", "acme-c")) == 1
    affiliate_token = world.token_for("affiliate")
    assert affiliate_token is not None and len(affiliate_token) == 32
    assert platform.authenticate(token="A" * 32).advertiser_id_from_network == "acme-adv"
    with pytest.raises(RecordNotFound, match="Could not find Network 1"):
        platform.get_network(Principal("network", 1), 1)  # the demo network is gone


def test_affiliate_param_used_when_world_names_it(platform: Platform) -> None:
    world = load_world(platform, world_file())
    assert world.ring_pool is not None
    result = platform.allocate_number(world.ring_pool["id"], {
        "ring_pool_key": world.ring_pool["api_key"], "param1": "x", "sid": "acme-aff",
        "pid": "ignored",
    })
    assert result.allocation.affiliate_id_from_network == "acme-aff"


def test_loaded_world_again_when_reset_after_load(platform: Platform) -> None:
    world = load_world(platform, world_file())
    summary = world.summary()
    platform.reset()
    assert platform.world is not None
    assert platform.world.summary() == summary


def test_platform_unchanged_when_world_file_is_bad(platform: Platform) -> None:
    before = platform.export_state()
    bad = world_file()
    bad["objects"].append({"type": "ring_pool", "advertiser_id_from_network": "acme-adv",
                           "advertiser_campaign_id_from_network": "acme-c",
                           "body": {"id_from_network": "x", "pool_type": "Nope"}})
    with pytest.raises(RecordInvalid):
        load_world(platform, bad)
    with pytest.raises(RecordInvalid, match="type must be one of"):
        load_world(platform, {"networks": [{"id": 3}], "objects": [{"type": "spaceship"}]})
    with pytest.raises(RecordInvalid, match="needs at least one entry in networks"):
        load_world(platform, {"networks": []})
    assert platform.export_state() == before


def test_world_from_settings_when_platform_created_with_one() -> None:
    platform = Platform(ManualClock(START), seed=4, settings=PlatformSettings(world=world_file()))
    assert platform.world is not None
    assert platform.world.network_id == 7


def test_no_world_when_demo_disabled() -> None:
    platform = Platform(ManualClock(START), seed=4, settings=PlatformSettings(demo_world=False))
    assert platform.world is None
    assert platform.world_summary() == {}
    assert platform.export_state()["networks"] == []


def test_world_refused_naming_the_key_when_ring_pool_body_has_a_typo(platform: Platform) -> None:
    mapping = world_file()
    pool = mapping["objects"][5]["body"]
    pool["max_poolsize"] = pool.pop("max_pool_size")
    with pytest.raises(RecordInvalid, match=r"objects\[5\]\.body: unknown key 'max_poolsize' "
                                            r"\(did you mean 'max_pool_size'\?\)") as caught:
        load_world(platform, mapping)
    assert caught.value.field_errors == {"objects[5].body.max_poolsize": ["is not a known key"]}


@pytest.mark.parametrize(("where", "key"), [
    ("top", "network"),
    ("networks", "nmae"),
    ("tokens", "roles"),
    ("basic_auth", "pasword"),
    ("objects", "bodyy"),
])
def test_world_refused_naming_the_key_when_a_table_has_an_unknown_key(
    platform: Platform, where: str, key: str,
) -> None:
    mapping = world_file()
    table = mapping if where == "top" else mapping[where][0]
    table[key] = "x"
    with pytest.raises(RecordInvalid, match=f"unknown key '{key}'"):
        load_world(platform, mapping)


def test_every_documented_body_field_accepted_when_world_file_uses_write_schema_keys(
    platform: Platform,
) -> None:
    mapping = world_file()
    mapping["objects"][5]["body"].update({"lifetime_seconds": 600, "param1": "utm_source",
                                          "allow_overflow": False})
    world = load_world(platform, mapping)
    admin = platform.authenticate(token="N" * 32)
    pool = platform.get_ring_pool(admin, 7, "acme-adv", "acme-c", "acme-rp")
    assert (pool["lifetime_seconds"], world.network_id) == (600, 7)


@pytest.mark.parametrize("status", ["Live", "Archived", "Paused"])
def test_campaign_reaches_its_status_when_world_body_names_one(
    platform: Platform, status: str,
) -> None:
    mapping = world_file()
    mapping["objects"][2]["body"].update({"status": status, "url": "https://a.example"})
    load_world(platform, mapping)
    admin = Principal("network", 7)
    campaign = platform.get_advertiser_campaign(admin, 7, "acme-adv", "acme-c")
    assert campaign["status"] == status
    live = campaign["current_terms"]["go_live_date"]
    assert (live is not None) == (status == "Live")


def test_staged_terms_kept_when_a_live_campaign_is_written_again(platform: Platform) -> None:
    mapping = world_file()
    mapping["objects"][2]["body"]["status"] = "Live"
    mapping["objects"].insert(3, {
        "type": "advertiser_campaign", "advertiser_id_from_network": "acme-adv",
        "body": {"id_from_network": "acme-c", "name": "Spring", "description": "staged",
                 "status": "Live"}})
    load_world(platform, mapping)
    campaign = platform.get_advertiser_campaign(Principal("network", 7), 7, "acme-adv",
                                                "acme-c")
    assert campaign["status"] == "Live"
    assert campaign["current_terms"]["description"] == ""
    assert campaign["future_terms"]["description"] == "staged"


def test_world_refused_when_a_campaign_status_cannot_be_reached(platform: Platform) -> None:
    mapping = world_file()
    mapping["objects"][2]["body"]["status"] = "Entry"
    mapping["objects"].insert(3, {
        "type": "advertiser_campaign", "advertiser_id_from_network": "acme-adv",
        "body": {"id_from_network": "acme-c", "status": "Live"}})
    mapping["objects"].insert(4, {
        "type": "advertiser_campaign", "advertiser_id_from_network": "acme-adv",
        "body": {"id_from_network": "acme-c", "status": "Entry"}})
    with pytest.raises(RecordInvalid, match=r"objects\[4\].body: status 'Entry' cannot be"):
        load_world(platform, mapping)
