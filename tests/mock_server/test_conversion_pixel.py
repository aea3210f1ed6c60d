"""The deprecated Conversion Reporting Pixel and the old web sale pixel: a 1x1 GIF always; a
conversion recorded as a transaction when a tracking-link visit (a RingPool allocation of the
advertiser's pools) is there to credit; refused hits change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.handlers.conversions import PIXEL_GIF


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


def advertiser_id(sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> int:
    path = f"/api/2022-08-01/{world['network_id']}/advertisers/" \
           f"{world['advertiser_id_from_network']}.json"
    return int(sandbox.get(path, headers=auth).get_json()["id"])


def visit(sandbox: FlaskClient, world: dict[str, Any]) -> None:
    pool = world["ring_pool"]
    answer = sandbox.get(f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
                         f"?ring_pool_key={pool['api_key']}")
    assert answer.status_code == 200


def conversions(sandbox: FlaskClient, world: dict[str, Any],
                auth: dict[str, str]) -> list[dict[str, Any]]:
    rows = sandbox.get(f"/api/2021-08-09/networks/transactions/{world['network_id']}.json"
                       "", headers=auth).get_json()
    return [row for row in rows if row["transaction_type"] == "Reported Conversion"]


def test_pixel_records_a_conversion_when_a_tracking_link_visit_is_there(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    visit(sandbox, world)
    ident = advertiser_id(sandbox, world, auth)
    hit = sandbox.get(f"/pixels/conversion/{ident}.gif?sale_amount=10&reason_code=renewal"
                      "&sku_list[]=dog&sku_list[]=cat&reference_id=2012994455")
    assert hit.status_code == 200 and hit.content_type == "image/gif" and hit.data == PIXEL_GIF
    assert hit.headers["X-Sandbox-Conversion"].startswith("recorded ")
    [row] = conversions(sandbox, world, auth)
    assert row["transaction_id"] == hit.headers["X-Sandbox-Conversion"].split()[1]
    assert (row["sale_amount"], row["reason_code"], row["sku_list"]) == ("10.00", "renewal",
                                                                       "dog,cat")
    assert row["advertiser_campaign_id_from_network"] == world[
        "advertiser_campaign_id_from_network"]
    update = sandbox.get(f"/pixels/conversion/{ident}.gif?sale_amount=95.0"
                         "&reason_code=confirmed_order&parent_reference_id=2012994455")
    assert update.headers["X-Sandbox-Conversion"].startswith("recorded ")
    assert len(conversions(sandbox, world, auth)) == 2


def test_pixel_answers_the_gif_and_records_nothing_when_no_visit_is_there(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    ident = advertiser_id(sandbox, world, auth)
    hit = sandbox.get(f"/pixels/conversion/{ident}.gif")
    assert hit.status_code == 200 and hit.data == PIXEL_GIF
    assert hit.headers["X-Sandbox-Conversion"].startswith("ignored: NotFound")
    assert conversions(sandbox, world, auth) == []


@pytest.mark.parametrize("query", ["sale_amount=abc", "parent_reference_id=never-reported",
                                   "quantity_list[]=1"])
def test_pixel_changes_nothing_when_its_sales_params_are_refused(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], query: str
) -> None:
    visit(sandbox, world)
    before = sandbox.get("/_sandbox/state").get_json()["replay"]
    hit = sandbox.get(f"/pixels/conversion/{advertiser_id(sandbox, world, auth)}.gif?{query}")
    assert hit.status_code == 200 and hit.data == PIXEL_GIF
    assert hit.headers["X-Sandbox-Conversion"].startswith("ignored: ")
    assert sandbox.get("/_sandbox/state").get_json()["replay"] == before


def test_pixel_records_nothing_when_the_advertiser_is_unknown(sandbox: FlaskClient) -> None:
    hit = sandbox.get("/pixels/conversion/999999.gif?sale_amount=1")
    assert hit.status_code == 200
    assert hit.headers["X-Sandbox-Conversion"] == (
        "ignored: NotFound: Couldn't find advertiser 999999")


def test_web_sale_records_a_conversion_when_a_visit_is_there(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    visit(sandbox, world)
    hit = sandbox.get(f"/tracked_actions/web_sale/{advertiser_id(sandbox, world, auth)}"
                      "?amount=12.5&currency=USD&external_data=order-7")
    assert hit.status_code == 200 and hit.data == PIXEL_GIF
    [row] = conversions(sandbox, world, auth)
    assert row["sale_amount"] == "12.50" and row["original_order_id"] == "pixel-1"


def test_pixel_operations_are_marked_deprecated_when_the_contract_is_read(
    sandbox: FlaskClient,
) -> None:
    spec = sandbox.get("/openapi.json").get_json()
    assert spec["paths"]["/pixels/conversion/{advertiser_id}.gif"]["get"]["deprecated"] is True
    assert spec["paths"]["/tracked_actions/web_sale/{advertiser_id}"]["get"]["deprecated"] is True
