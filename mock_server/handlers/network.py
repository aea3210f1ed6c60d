"""Network Integration API handlers: thin adapters, one platform call each.

Every handler passes the principal, the path's ids in template order, the body (for POST and
PUT) and the path's ``version`` to the :class:`~simulator.platform.Platform` method of the
same name; the frame renders the result with the operation's status (POST 201, PUT 200,
DELETE 200 ``{}``) and drops the fields the version does not have (``x-versions``). The one
exception: creating a Local RingPool (a body with ``local_center``) answers 200, as the seed
shows.
"""

from __future__ import annotations

from typing import Any

from mock_server.handlers import Call, Reply, body_of

__all__ = [
    "archive_advertiser_campaign",
    "create_advertiser",
    "create_advertiser_affiliate",
    "create_advertiser_campaign",
    "create_advertiser_user",
    "create_advertiser_with_id",
    "create_affiliate",
    "create_affiliate_campaign",
    "create_affiliate_campaign_promo_number",
    "create_affiliate_campaign_promo_number_by_id",
    "create_affiliate_campaign_ring_pool",
    "create_network_user",
    "create_promo_number",
    "create_promo_number_by_id",
    "create_ring_pool",
    "delete_advertiser",
    "delete_advertiser_affiliate",
    "delete_advertiser_user",
    "delete_affiliate",
    "delete_affiliate_campaign_promo_number",
    "delete_affiliate_campaign_promo_number_by_id",
    "delete_affiliate_campaign_ring_pool",
    "delete_promo_number",
    "delete_promo_number_by_id",
    "delete_ring_pool",
    "get_advertiser",
    "get_advertiser_affiliate",
    "get_advertiser_campaign",
    "get_advertiser_campaign_quick_stats",
    "get_advertiser_user",
    "get_affiliate",
    "get_affiliate_campaign",
    "get_affiliate_campaign_promo_number",
    "get_affiliate_campaign_promo_number_by_id",
    "get_affiliate_campaign_ring_pool",
    "get_network",
    "get_promo_number",
    "get_promo_number_by_id",
    "get_ring_pool",
    "go_live_advertiser_campaign",
    "list_advertiser",
    "list_advertiser_affiliate",
    "list_advertiser_campaign",
    "list_advertiser_user",
    "list_affiliate",
    "list_affiliate_campaign",
    "list_affiliate_campaign_promo_number",
    "list_affiliate_campaign_promo_number_by_id",
    "list_affiliate_campaign_ring_pool",
    "list_promo_number",
    "list_promo_number_by_id",
    "list_ring_pool",
    "unarchive_advertiser_campaign",
    "update_advertiser",
    "update_advertiser_affiliate",
    "update_advertiser_campaign",
    "update_advertiser_user",
    "update_affiliate",
    "update_affiliate_campaign",
    "update_affiliate_campaign_promo_number",
    "update_affiliate_campaign_promo_number_by_id",
    "update_affiliate_campaign_ring_pool",
    "update_network_user",
    "update_promo_number",
    "update_promo_number_by_id",
    "update_ring_pool",
]


def get_network(call: Call) -> Any:
    """GET: Read the network and its users."""
    return call.platform.get_network(call.principal, *call.ids, version=call.version)


def create_network_user(call: Call) -> Any:
    """POST: Replace the network's users (POST; returns 201)."""
    return call.platform.create_network_user(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def update_network_user(call: Call) -> Any:
    """PUT: Replace the network's users (PUT; returns 200)."""
    return call.platform.update_network_user(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def list_advertiser(call: Call) -> Any:
    """GET: Read all advertisers."""
    return call.platform.list_advertiser(call.principal, *call.ids, version=call.version)


def create_advertiser(call: Call) -> Any:
    """POST: Create an advertiser (upsert)."""
    return call.platform.create_advertiser(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def get_advertiser(call: Call) -> Any:
    """GET: Read an advertiser."""
    return call.platform.get_advertiser(call.principal, *call.ids, version=call.version)


def create_advertiser_with_id(call: Call) -> Any:
    """POST: Create an advertiser at its own id_from_network (upsert)."""
    return call.platform.create_advertiser_with_id(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def update_advertiser(call: Call) -> Any:
    """PUT: Update an advertiser (upsert: created when missing)."""
    return call.platform.update_advertiser(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def delete_advertiser(call: Call) -> Any:
    """DELETE: Delete an advertiser."""
    return call.platform.delete_advertiser(call.principal, *call.ids, version=call.version)


def list_advertiser_user(call: Call) -> Any:
    """GET: Read all advertiser users."""
    return call.platform.list_advertiser_user(call.principal, *call.ids, version=call.version)


def create_advertiser_user(call: Call) -> Any:
    """POST: Create an advertiser user (upsert)."""
    return call.platform.create_advertiser_user(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def get_advertiser_user(call: Call) -> Any:
    """GET: Read an advertiser user."""
    return call.platform.get_advertiser_user(call.principal, *call.ids, version=call.version)


def update_advertiser_user(call: Call) -> Any:
    """PUT: Update an advertiser user (upsert: created when missing)."""
    return call.platform.update_advertiser_user(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def delete_advertiser_user(call: Call) -> Any:
    """DELETE: Delete an advertiser user."""
    return call.platform.delete_advertiser_user(call.principal, *call.ids, version=call.version)


def list_advertiser_campaign(call: Call) -> Any:
    """GET: Read all advertiser campaigns."""
    return call.platform.list_advertiser_campaign(call.principal, *call.ids, version=call.version)


def create_advertiser_campaign(call: Call) -> Any:
    """POST: Create an advertiser campaign (upsert)."""
    return call.platform.create_advertiser_campaign(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def get_advertiser_campaign(call: Call) -> Any:
    """GET: Read an advertiser campaign."""
    return call.platform.get_advertiser_campaign(call.principal, *call.ids, version=call.version)


def update_advertiser_campaign(call: Call) -> Any:
    """PUT: Update an advertiser campaign (upsert: created when missing)."""
    return call.platform.update_advertiser_campaign(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def go_live_advertiser_campaign(call: Call) -> Any:
    """POST: Promote future terms to current terms and make the campaign live."""
    return call.platform.go_live_advertiser_campaign(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def archive_advertiser_campaign(call: Call) -> Any:
    """POST: Archive an advertiser campaign."""
    return call.platform.archive_advertiser_campaign(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def unarchive_advertiser_campaign(call: Call) -> Any:
    """POST: Unarchive an advertiser campaign (its status becomes paused)."""
    return call.platform.unarchive_advertiser_campaign(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def get_advertiser_campaign_quick_stats(call: Call) -> Any:
    """GET: Read call counts and average durations of a campaign."""
    return call.platform.get_advertiser_campaign_quick_stats(
        call.principal, *call.ids, version=call.version
    )


def list_affiliate(call: Call) -> Any:
    """GET: Read all affiliates."""
    return call.platform.list_affiliate(call.principal, *call.ids, version=call.version)


def create_affiliate(call: Call) -> Any:
    """POST: Create an affiliate (upsert)."""
    return call.platform.create_affiliate(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def get_affiliate(call: Call) -> Any:
    """GET: Read an affiliate."""
    return call.platform.get_affiliate(call.principal, *call.ids, version=call.version)


def update_affiliate(call: Call) -> Any:
    """PUT: Update an affiliate (upsert: created when missing)."""
    return call.platform.update_affiliate(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def delete_affiliate(call: Call) -> Any:
    """DELETE: Delete an affiliate."""
    return call.platform.delete_affiliate(call.principal, *call.ids, version=call.version)


def list_advertiser_affiliate(call: Call) -> Any:
    """GET: Read all advertiser-affiliate relationships of an advertiser."""
    return call.platform.list_advertiser_affiliate(call.principal, *call.ids, version=call.version)


def get_advertiser_affiliate(call: Call) -> Any:
    """GET: Read an advertiser-affiliate relationship."""
    return call.platform.get_advertiser_affiliate(call.principal, *call.ids, version=call.version)


def create_advertiser_affiliate(call: Call) -> Any:
    """POST: Create an advertiser-affiliate relationship."""
    return call.platform.create_advertiser_affiliate(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def update_advertiser_affiliate(call: Call) -> Any:
    """PUT: Update an advertiser-affiliate relationship."""
    return call.platform.update_advertiser_affiliate(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def delete_advertiser_affiliate(call: Call) -> Any:
    """DELETE: Delete an advertiser-affiliate relationship."""
    return call.platform.delete_advertiser_affiliate(
        call.principal, *call.ids, version=call.version
    )


def list_affiliate_campaign(call: Call) -> Any:
    """GET: Read all affiliate campaigns of an advertiser campaign."""
    return call.platform.list_affiliate_campaign(call.principal, *call.ids, version=call.version)


def get_affiliate_campaign(call: Call) -> Any:
    """GET: Read an affiliate campaign."""
    return call.platform.get_affiliate_campaign(call.principal, *call.ids, version=call.version)


def create_affiliate_campaign(call: Call) -> Any:
    """POST: Create an affiliate campaign (status Applied)."""
    return call.platform.create_affiliate_campaign(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def update_affiliate_campaign(call: Call) -> Any:
    """PUT: Update an affiliate campaign's status."""
    return call.platform.update_affiliate_campaign(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def list_promo_number(call: Call) -> Any:
    """GET: Read all promo numbers."""
    return call.platform.list_promo_number(call.principal, *call.ids, version=call.version)


def create_promo_number(call: Call) -> Any:
    """POST: Create a promo number (upsert)."""
    return call.platform.create_promo_number(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def get_promo_number(call: Call) -> Any:
    """GET: Read a promo number."""
    return call.platform.get_promo_number(call.principal, *call.ids, version=call.version)


def update_promo_number(call: Call) -> Any:
    """PUT: Update a promo number (upsert: created when missing)."""
    return call.platform.update_promo_number(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def delete_promo_number(call: Call) -> Any:
    """DELETE: Delete a promo number."""
    return call.platform.delete_promo_number(call.principal, *call.ids, version=call.version)


def list_promo_number_by_id(call: Call) -> Any:
    """GET: Read all promo numbers."""
    return call.platform.list_promo_number_by_id(call.principal, *call.ids, version=call.version)


def create_promo_number_by_id(call: Call) -> Any:
    """POST: Create a promo number (upsert)."""
    return call.platform.create_promo_number_by_id(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def get_promo_number_by_id(call: Call) -> Any:
    """GET: Read a promo number."""
    return call.platform.get_promo_number_by_id(call.principal, *call.ids, version=call.version)


def update_promo_number_by_id(call: Call) -> Any:
    """PUT: Update a promo number (upsert: created when missing)."""
    return call.platform.update_promo_number_by_id(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def delete_promo_number_by_id(call: Call) -> Any:
    """DELETE: Delete a promo number."""
    return call.platform.delete_promo_number_by_id(call.principal, *call.ids, version=call.version)


def list_affiliate_campaign_promo_number(call: Call) -> Any:
    """GET: Read all promo numbers."""
    return call.platform.list_affiliate_campaign_promo_number(
        call.principal, *call.ids, version=call.version
    )


def create_affiliate_campaign_promo_number(call: Call) -> Any:
    """POST: Create a promo number (upsert)."""
    return call.platform.create_affiliate_campaign_promo_number(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def get_affiliate_campaign_promo_number(call: Call) -> Any:
    """GET: Read a promo number."""
    return call.platform.get_affiliate_campaign_promo_number(
        call.principal, *call.ids, version=call.version
    )


def update_affiliate_campaign_promo_number(call: Call) -> Any:
    """PUT: Update a promo number (upsert: created when missing)."""
    return call.platform.update_affiliate_campaign_promo_number(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def delete_affiliate_campaign_promo_number(call: Call) -> Any:
    """DELETE: Delete a promo number."""
    return call.platform.delete_affiliate_campaign_promo_number(
        call.principal, *call.ids, version=call.version
    )


def list_affiliate_campaign_promo_number_by_id(call: Call) -> Any:
    """GET: Read all promo numbers."""
    return call.platform.list_affiliate_campaign_promo_number_by_id(
        call.principal, *call.ids, version=call.version
    )


def create_affiliate_campaign_promo_number_by_id(call: Call) -> Any:
    """POST: Create a promo number (upsert)."""
    return call.platform.create_affiliate_campaign_promo_number_by_id(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def get_affiliate_campaign_promo_number_by_id(call: Call) -> Any:
    """GET: Read a promo number."""
    return call.platform.get_affiliate_campaign_promo_number_by_id(
        call.principal, *call.ids, version=call.version
    )


def update_affiliate_campaign_promo_number_by_id(call: Call) -> Any:
    """PUT: Update a promo number (upsert: created when missing)."""
    return call.platform.update_affiliate_campaign_promo_number_by_id(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def delete_affiliate_campaign_promo_number_by_id(call: Call) -> Any:
    """DELETE: Delete a promo number."""
    return call.platform.delete_affiliate_campaign_promo_number_by_id(
        call.principal, *call.ids, version=call.version
    )


def list_ring_pool(call: Call) -> Any:
    """GET: Read all RingPools."""
    return call.platform.list_ring_pool(call.principal, *call.ids, version=call.version)


def create_ring_pool(call: Call) -> Any:
    """POST: Create a RingPool (upsert). A Local RingPool answers 200, as the seed shows."""
    body = body_of(call)
    created = call.platform.create_ring_pool(call.principal, *call.ids, body,
                                             version=call.version)
    return Reply(created, status=200) if "local_center" in body else created


def get_ring_pool(call: Call) -> Any:
    """GET: Read a RingPool."""
    return call.platform.get_ring_pool(call.principal, *call.ids, version=call.version)


def update_ring_pool(call: Call) -> Any:
    """PUT: Update a RingPool (upsert: created when missing)."""
    return call.platform.update_ring_pool(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def delete_ring_pool(call: Call) -> Any:
    """DELETE: Delete a RingPool."""
    return call.platform.delete_ring_pool(call.principal, *call.ids, version=call.version)


def list_affiliate_campaign_ring_pool(call: Call) -> Any:
    """GET: Read all affiliate campaign RingPools."""
    return call.platform.list_affiliate_campaign_ring_pool(
        call.principal, *call.ids, version=call.version
    )


def create_affiliate_campaign_ring_pool(call: Call) -> Any:
    """POST: Create an affiliate campaign RingPool (upsert)."""
    return call.platform.create_affiliate_campaign_ring_pool(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def get_affiliate_campaign_ring_pool(call: Call) -> Any:
    """GET: Read an affiliate campaign RingPool."""
    return call.platform.get_affiliate_campaign_ring_pool(
        call.principal, *call.ids, version=call.version
    )


def update_affiliate_campaign_ring_pool(call: Call) -> Any:
    """PUT: Update an affiliate campaign RingPool (upsert: created when missing)."""
    return call.platform.update_affiliate_campaign_ring_pool(
        call.principal, *call.ids, body_of(call), version=call.version
    )


def delete_affiliate_campaign_ring_pool(call: Call) -> Any:
    """DELETE: Delete an affiliate campaign RingPool."""
    return call.platform.delete_affiliate_campaign_ring_pool(
        call.principal, *call.ids, version=call.version
    )
