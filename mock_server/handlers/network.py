"""Network Integration API handlers: thin adapters, one platform call each.

Every handler passes the principal, the path's ids in template order, the body (for POST and
PUT) and the path's ``version`` to the :class:`~simulator.platform.Platform` method of the
same name; the frame renders the result with the operation's status (POST 201, PUT 200,
DELETE 200 ``{}``) and drops the fields the version does not have (``x-versions``). All but
one are that call and nothing else, so they are made from two tables (:data:`READS`,
:data:`WRITES`) by :func:`forwarding`. The one exception: creating a Local RingPool (a body
with ``local_center``) answers 200, as the seed shows (:func:`create_ring_pool`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mock_server.handlers import Call, Reply, body_of

#: operations without a request body: Platform.<name>(principal, *ids, version=...)
READS = (
    "get_network",
    "list_advertiser",
    "get_advertiser",
    "delete_advertiser",
    "list_advertiser_user",
    "get_advertiser_user",
    "delete_advertiser_user",
    "list_advertiser_campaign",
    "get_advertiser_campaign",
    "get_advertiser_campaign_quick_stats",
    "go_live_advertiser_campaign_via_get",
    "archive_advertiser_campaign_via_get",
    "unarchive_advertiser_campaign_via_get",
    "list_affiliate",
    "get_affiliate",
    "delete_affiliate",
    "list_advertiser_affiliate",
    "get_advertiser_affiliate",
    "delete_advertiser_affiliate",
    "list_affiliate_campaign",
    "get_affiliate_campaign",
    "list_promo_number",
    "get_promo_number",
    "delete_promo_number",
    "list_promo_number_by_id",
    "get_promo_number_by_id",
    "delete_promo_number_by_id",
    "list_affiliate_campaign_promo_number",
    "get_affiliate_campaign_promo_number",
    "delete_affiliate_campaign_promo_number",
    "list_affiliate_campaign_promo_number_by_id",
    "get_affiliate_campaign_promo_number_by_id",
    "delete_affiliate_campaign_promo_number_by_id",
    "list_ring_pool",
    "get_ring_pool",
    "delete_ring_pool",
    "list_affiliate_campaign_ring_pool",
    "get_affiliate_campaign_ring_pool",
    "delete_affiliate_campaign_ring_pool",
)
#: operations with one (POST, PUT): Platform.<name>(principal, *ids, body, version=...)
WRITES = (
    "create_network_user",
    "update_network_user",
    "create_advertiser",
    "create_advertiser_with_id",
    "update_advertiser",
    "create_advertiser_user",
    "update_advertiser_user",
    "create_advertiser_campaign",
    "update_advertiser_campaign",
    "create_advertiser_campaign_with_id",
    "go_live_advertiser_campaign",
    "archive_advertiser_campaign",
    "unarchive_advertiser_campaign",
    "create_affiliate",
    "update_affiliate",
    "create_advertiser_affiliate",
    "update_advertiser_affiliate",
    "create_affiliate_campaign",
    "update_affiliate_campaign",
    "create_promo_number",
    "update_promo_number",
    "create_promo_number_by_id",
    "update_promo_number_by_id",
    "create_affiliate_campaign_promo_number",
    "update_affiliate_campaign_promo_number",
    "create_affiliate_campaign_promo_number_by_id",
    "update_affiliate_campaign_promo_number_by_id",
    "update_ring_pool",
    "create_affiliate_campaign_ring_pool",
    "update_affiliate_campaign_ring_pool",
)


def forwarding(name: str, *, with_body: bool) -> Callable[[Call], Any]:
    """The handler of operation ``name``: the Platform method of the same name, given the
    principal, the path's ids, the body when ``with_body``, and the version."""
    if with_body:
        def handler(call: Call) -> Any:
            return getattr(call.platform, name)(
                call.principal, *call.ids, body_of(call), version=call.version
            )
    else:
        def handler(call: Call) -> Any:
            return getattr(call.platform, name)(call.principal, *call.ids, version=call.version)
    handler.__name__ = handler.__qualname__ = name
    handler.__doc__ = f"Platform.{name}(principal, *ids{', body' if with_body else ''}, version)"
    return handler


def create_ring_pool(call: Call) -> Any:
    """POST: Create a RingPool (upsert). A Local RingPool answers 200, as the seed shows."""
    body = body_of(call)
    created = call.platform.create_ring_pool(call.principal, *call.ids, body,
                                             version=call.version)
    return Reply(created, status=200) if "local_center" in body else created


globals().update({name: forwarding(name, with_body=False) for name in READS})
globals().update({name: forwarding(name, with_body=True) for name in WRITES})

__all__ = [*READS, *WRITES, "create_ring_pool"]  # noqa: PLE0604 - names from the tables
