"""Which id an item-path upsert acts on: the docs' "If you specify the ID in the URL and the
body, the body's id will take precedence over the URL." (advertisers/_post_advertiser.rst,
2016), applied to every item-path upsert; and the ids the platform gives by itself."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


def base(world: dict[str, Any]) -> str:
    return f"/api/2022-08-01/{world['network_id']}"


def campaign(world: dict[str, Any]) -> str:
    return (f"{base(world)}/advertisers/{world['advertiser_id_from_network']}"
            f"/advertiser_campaigns/{world['advertiser_campaign_id_from_network']}")


@pytest.mark.parametrize("verb", ["POST", "PUT"])
def test_body_id_wins_when_the_advertiser_path_names_another(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], verb: str
) -> None:
    written = sandbox.open(f"{base(world)}/advertisers/url-id.json", method=verb,
                           json={"id_from_network": "body-id", "name": "Body"}, headers=auth)
    assert written.get_json()["id_from_network"] == "body-id"
    assert sandbox.get(f"{base(world)}/advertisers/body-id.json", headers=auth).status_code == 200
    assert sandbox.get(f"{base(world)}/advertisers/url-id.json", headers=auth).status_code == 404


@pytest.mark.parametrize(("path", "body"), [
    ("/affiliates/url-id.json", {"name": "Body Affiliate"}),
    ("/advertisers/{adv}/advertiser_campaigns/url-id.json", {"name": "Body Campaign"}),
    ("/advertisers/{adv}/advertiser_campaigns/{camp}/ring_pools/url-id.json", {}),
    ("/advertisers/{adv}/advertiser_campaigns/{camp}/promo_numbers_by_id/url-id.json",
     {"description": "Body promo", "media_type": "Online: Display"}),
])
def test_body_id_wins_when_an_item_path_put_names_another(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], path: str,
    body: dict[str, Any]
) -> None:
    item = path.format(adv=world["advertiser_id_from_network"],
                       camp=world["advertiser_campaign_id_from_network"])
    written = sandbox.put(f"{base(world)}{item}", json={"id_from_network": "body-id", **body},
                          headers=auth)
    assert written.status_code == 200
    assert written.get_json()["id_from_network"] == "body-id"
    read = sandbox.get(f"{base(world)}{item.replace('url-id', 'body-id')}", headers=auth)
    assert read.status_code == 200


def test_path_id_is_used_when_the_body_has_none(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    written = sandbox.post(f"{base(world)}/advertisers/url-id.json", json={"name": "Url"},
                           headers=auth)
    assert (written.status_code, written.get_json()["id_from_network"]) == (201, "url-id")


def test_promo_number_gets_its_id_as_id_from_network_when_created_without_one(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    created = sandbox.post(f"{campaign(world)}/promo_numbers.json", headers=auth,
                           json={"description": "Halloween Promo Number 1",
                                 "media_type": "Online: Display"}).get_json()
    assert created["id_from_network"] == str(created["id"])
    by_id = sandbox.get(f"{campaign(world)}/promo_numbers_by_id/{created['id']}.json",
                        headers=auth)
    assert by_id.get_json()["promo_number"] == created["promo_number"]
