"""RingPools as the 2022 documents show them: the Local RingPool create example, the
Destinations (customer phone numbers) and the local number preferences of a GET."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


def pools(world: dict[str, Any], version: str = "2022-08-01") -> str:
    return (f"/api/{version}/{world['network_id']}/advertisers/"
            f"{world['advertiser_id_from_network']}/advertiser_campaigns/"
            f"{world['advertiser_campaign_id_from_network']}/ring_pools")


#: ringpools/_post_ring_pools.rst of the 2022 docs
DOCS_POOL = {
    "id_from_network": "12",
    "local_center": {"tn_prefix": "", "zipcode": "90210", "latitude": 30, "longitude": -130},
    "local_number_preferences": {"search_radius_miles": 20, "restrict_search_to_state": True,
                                 "allocation_fallback_strategy": "Wait"},
    "preferred": True, "name": "Invoca Example RingPool", "max_pool_size": 15,
    "lifetime_seconds": 1800, "fill_immediately": False, "allow_overflow": True,
    "destination_phone_number": "888-111-2222",
}


def filled(sandbox: FlaskClient) -> dict[str, Any]:
    """The LocalNumbersFilled event of the pool created last (10 minutes later, the docs)."""
    events = sandbox.post("/_sandbox/clock", json={"advance_seconds": 600}).get_json()["events"]
    return next(e for e in events if e["event"] == "LocalNumbersFilled")


def test_docs_local_example_is_created_when_several_center_keys_are_filled(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    created = sandbox.post(f"{pools(world)}.json", json=DOCS_POOL, headers=auth)
    assert created.status_code == 200
    assert created.get_json()["local_center"] == DOCS_POOL["local_center"]


@pytest.mark.parametrize(("center", "local"), [
    # zipcode is filled before latitude/longitude in the docs' order: Beverly Hills numbers
    ({"tn_prefix": "", "zipcode": "90210", "latitude": 30, "longitude": -130}, True),
    # the same coordinates alone are in the Pacific: toll-free numbers
    ({"latitude": 30, "longitude": -130}, False),
])
def test_first_filled_center_field_decides_when_local_numbers_are_found(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
    center: dict[str, Any], local: bool
) -> None:
    body = {"id_from_network": "L1", "max_pool_size": 2, "local_center": center}
    assert sandbox.post(f"{pools(world)}.json", json=body, headers=auth).status_code == 200
    event = filled(sandbox)
    assert (event["local_count"], event["toll_free_count"]) == ((2, 0) if local else (0, 2))


def test_destination_is_the_default_customer_phone_number_when_read(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    body = {**DOCS_POOL, "obfuscated_tag_id": "0054811245"}
    sandbox.post(f"{pools(world)}.json", json=body, headers=auth)
    read = sandbox.get(f"{pools(world)}/12.json", headers=auth).get_json()
    destination = {"destination_phone_number": "8881112222",
                   "js_tag": {"obfuscated_tag_id": "0054811245"}}
    assert read["customer_phone_numbers"] == [destination]
    assert read["default_customer_phone_number"] == destination
    assert "destination_phone_number" not in read


def test_every_destination_stays_linked_when_the_default_changes(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    sandbox.post(f"{pools(world)}.json", json=DOCS_POOL, headers=auth)
    read = sandbox.put(f"{pools(world)}/12.json", headers=auth,
                       json={"destination_phone_number": "(805) 555-1216"}).get_json()
    assert [d["destination_phone_number"] for d in read["customer_phone_numbers"]] == [
        "8881112222", "8055551216"]
    assert read["default_customer_phone_number"] == {"destination_phone_number": "8055551216",
                                                      "js_tag": None}


def test_local_preferences_show_their_defaults_when_a_local_pool_is_read(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    body = {"id_from_network": "L2", "local_center": {"zipcode": "90210"},
            "local_number_preferences": {"search_radius_miles": "20"}}
    read = sandbox.post(f"{pools(world)}.json", json=body, headers=auth).get_json()
    assert read["local_number_preferences"] == {
        "search_radius_miles": 20, "restrict_search_to_state": True,
        "allocation_fallback_strategy": "UseTollFree",
    }
    plain = sandbox.get(f"{pools(world)}/{world['ring_pool']['id_from_network']}.json",
                        headers=auth).get_json()
    assert (plain["local_center"], plain["local_number_preferences"]) == (None, None)
    assert (plain["customer_phone_numbers"], plain["default_customer_phone_number"]) == ([], None)


def test_2019_fields_are_left_out_when_read_in_2016(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    read = sandbox.get(f"{pools(world, '2016-10-01')}/{world['ring_pool']['id_from_network']}"
                       ".json", headers=auth).get_json()
    assert not {"customer_phone_numbers", "default_customer_phone_number",
                "local_number_preferences", "allow_overflow"} & set(read)
    assert read["local_center"] is None


def test_center_shows_every_key_when_a_pool_created_with_one_is_read(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    body = {"id_from_network": "Z1", "max_pool_size": 2, "local_center": {"zipcode": "90210"}}
    created = sandbox.post(f"{pools(world)}.json", json=body, headers=auth).get_json()
    assert created["local_center"] == {"tn_prefix": "", "zipcode": "90210", "latitude": None,
                                       "longitude": None}
    put_back = sandbox.put(f"{pools(world)}/Z1.json", json=created, headers=auth)
    assert put_back.status_code == 200
    assert put_back.get_json()["local_center"] == created["local_center"]
