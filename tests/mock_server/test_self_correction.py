"""Self-correction: a GET's body sent back with PUT is accepted and changes nothing.

Design principles, "Self-Correction": "Most updates expect a complete copy of the object,
making Update and Create interchangeable." A client that reads an object and writes the copy
back must not be refused for the read-only fields or the nulls the GET returned.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


def prefix(world: dict[str, Any], version: str) -> str:
    return f"/api/{version}/{world['network_id']}"


def campaign(world: dict[str, Any], version: str) -> str:
    return (f"{prefix(world, version)}/advertisers/{world['advertiser_id_from_network']}"
            f"/advertiser_campaigns/{world['advertiser_campaign_id_from_network']}")


USER = {
    "id_from_network": "u-1", "first_name": "Chris", "last_name": "Dean",
    "email_address": "chris@nfltix.com", "contact_phone_number": "8055555555",
    "role": "Manager",
}


def populate(sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
             version: str) -> dict[str, str]:
    """Give every kind of object something to echo: users, sites, a promo number, a local
    RingPool with a destination; returns the item paths to read and write back."""
    base = prefix(world, version)
    advertiser = f"{base}/advertisers/{world['advertiser_id_from_network']}.json"
    affiliate = f"{base}/affiliates/{world['affiliate_id_from_network']}.json"
    for path, name in ((advertiser, "Sandbox Advertiser"), (affiliate, "Sandbox Affiliate")):
        made = sandbox.put(path, json={"name": name, "users": [USER],
                                       "sites": [{"id_from_network": 315}]}, headers=auth)
        assert made.status_code == 200, made.get_json()
    assert sandbox.put(f"{base}/network.json", json={"users": [USER]},
                       headers=auth).status_code == 200
    promo = sandbox.post(f"{campaign(world, version)}/promo_numbers.json", headers=auth,
                         json={"description": "Halloween", "media_type": "Online: Display"})
    assert promo.status_code == 201
    pool = {"id_from_network": "local-1", "local_center": {"zipcode": "90210"},
            "max_pool_size": 3}
    if version <= "2018-11-01":
        pool.update(pool_type="Custom", destination_type="Advertiser")
    else:
        pool.update(destination_phone_number="888-111-2222", obfuscated_tag_id="0054811245")
    assert sandbox.post(f"{campaign(world, version)}/ring_pools.json", json=pool,
                        headers=auth).status_code == 200
    affiliate_campaign = (f"{campaign(world, version)}/affiliates/"
                          f"{world['affiliate_id_from_network']}/affiliate_campaigns.json")
    return {
        "network": f"{base}/network.json",
        "advertiser": advertiser,
        "affiliate": affiliate,
        "advertiser user": f"{base}/advertisers/{world['advertiser_id_from_network']}"
                           "/users/u-1.json",
        "relationship": f"{base}/advertisers/{world['advertiser_id_from_network']}"
                        f"/affiliates/{world['affiliate_id_from_network']}.json",
        "campaign": f"{campaign(world, version)}.json",
        "affiliate campaign": affiliate_campaign,
        "promo number": f"{campaign(world, version)}/promo_numbers/"
                        f"{promo.get_json()['promo_number']}.json",
        "ring pool": f"{campaign(world, version)}/ring_pools/local-1.json",
        "demo ring pool": f"{campaign(world, version)}/ring_pools/"
                          f"{world['ring_pool']['id_from_network']}.json",
    }


KINDS = ["network", "advertiser", "affiliate", "advertiser user", "relationship", "campaign",
         "affiliate campaign", "promo number", "ring pool", "demo ring pool"]


@pytest.mark.parametrize("version", ["2016-10-01", "2022-08-01"])
@pytest.mark.parametrize("kind", KINDS)
def test_get_copy_changes_nothing_when_put_back(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], kind: str, version: str
) -> None:
    path = populate(sandbox, world, auth, version)[kind]
    before = sandbox.get(path, headers=auth)
    assert before.status_code == 200
    copy = before.get_json()
    body = {"user": copy} if kind == "advertiser user" else copy
    written = sandbox.put(path, json=body, headers=auth)
    assert written.status_code == 200, written.get_json()
    assert sandbox.get(path, headers=auth).get_json() == copy


def test_nulls_of_a_get_are_accepted_when_put_back(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    path = f"{prefix(world, '2022-08-01')}/advertisers/bare.json"
    created = sandbox.post(path, json={"name": "Bare Advertiser"}, headers=auth).get_json()
    assert created["default_creative_id_from_network"] is None
    assert created["oauth_refresh_token"] is None
    assert created["web_integration_phone_number"] is None
    written = sandbox.put(path, json=created, headers=auth)
    assert written.status_code == 200
    assert written.get_json() == created


@pytest.mark.parametrize("terms", ["current_terms", "future_terms"])
def test_campaign_terms_change_nothing_when_sent_back_flat(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], terms: str
) -> None:
    path = f"{campaign(world, '2022-08-01')}.json"
    before = sandbox.get(path, headers=auth).get_json()
    flat = {"name": before["name"], **before[terms]}
    written = sandbox.put(path, json=flat, headers=auth)
    assert written.status_code == 200, written.get_json()
    assert sandbox.get(path, headers=auth).get_json() == before
