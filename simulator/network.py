"""The Network Integration resources, each declared once.

A declaration says what is particular to one resource; :mod:`simulator.resources.store`
does what every resource does (locate parents, list, get, upsert, delete, events):

* ``name`` (world files' object type, the page a Link names) and ``kind`` (events, 404s);
* ``parent`` (the resource holding it; the network holds the top ones), ``held_in`` (the
  parent's attribute holding them by key) and ``keyed_by`` (when the path key is another
  resource's id, which must exist);
* ``schema`` (the contract's write schema: its fields and their rules, minus ``without``) and
  ``shape`` (the response schema: what a GET shows, in its order);
* ``operations``: each Platform operation acting on it and its action (list, get, upsert,
  delete). :class:`~simulator.platform.Platform` makes one method per operation listed here;
  the HTTP edge calls them by the contract's operationIds;
* the class: hooks for its real special cases (:mod:`simulator.resources`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from simulator.numbers import format_number
from simulator.resources.campaigns import AffiliateCampaigns, Campaigns
from simulator.resources.destinations import Destinations
from simulator.resources.js_tags import JsTags, TagRevisions
from simulator.resources.parties import (
    Advertisers,
    AdvertiserUsers,
    Affiliates,
    Networks,
    Relationships,
)
from simulator.resources.promo_numbers import MOVE_FIELDS, PromoNumbers
from simulator.resources.records import Link
from simulator.resources.ring_pools import RingPools
from simulator.resources.store import Resource, Store

__all__ = [
    "ADVERTISERS",
    "ADVERTISER_USERS",
    "AFFILIATES",
    "AFFILIATE_CAMPAIGNS",
    "CAMPAIGNS",
    "DESTINATIONS",
    "JS_TAGS",
    "NETWORK",
    "OPERATIONS",
    "RELATIONSHIPS",
    "RESOURCES",
    "RING_POOLS",
    "TAG_REVISIONS",
    "export_networks",
    "formatted",
]

NETWORK = Networks(
    name="network", kind="Network",
    parent=None, shape="Network",
    operations={"get_network": "get", "update_network": "upsert", "create_network": "upsert",
                "create_network_user": "upsert", "update_network_user": "upsert"},
)
ADVERTISERS = Advertisers(
    name="advertiser", kind="Advertiser",
    parent=NETWORK, held_in="advertisers",
    schema="AdvertiserWrite", shape="Advertiser",
    operations={"list_advertiser": "list", "list_advertisers": "list",
                "get_advertiser": "get", "create_advertiser": "upsert",
                "update_advertiser": "upsert", "create_advertiser_with_id": "upsert",
                "delete_advertiser": "delete"},
)
ADVERTISER_USERS = AdvertiserUsers(
    name="advertiser_user", kind="User",
    parent=ADVERTISERS, shape="User",  # held in the advertiser's users list (its hooks)
    operations={"list_advertiser_user": "list", "list_advertiser_users": "list",
                "get_advertiser_user": "get", "create_advertiser_user": "upsert",
                "update_advertiser_user": "upsert", "delete_advertiser_user": "delete"},
)
AFFILIATES = Affiliates(
    name="affiliate", kind="Affiliate",
    parent=NETWORK, held_in="affiliates",
    schema="AffiliateWrite", shape="Affiliate",
    operations={"list_affiliate": "list", "list_affiliates": "list", "get_affiliate": "get",
                "create_affiliate": "upsert", "update_affiliate": "upsert",
                "delete_affiliate": "delete"},
)
RELATIONSHIPS = Relationships(
    name="advertiser_affiliate", kind="AdvertiserAffiliate",
    parent=ADVERTISERS, held_in="relationships", keyed_by=AFFILIATES,
    schema="AdvertiserAffiliateWrite", shape="AdvertiserAffiliate",
    answers_writes=False,  # the docs answer {} (POST 201, PUT 200)
    operations={"list_advertiser_affiliate": "list", "list_advertiser_affiliates": "list",
                "get_advertiser_affiliate": "get", "create_advertiser_affiliate": "upsert",
                "update_advertiser_affiliate": "upsert", "delete_advertiser_affiliate": "delete"},
)
CAMPAIGNS = Campaigns(
    name="advertiser_campaign", kind="AdvertiserCampaign",
    parent=ADVERTISERS, held_in="campaigns",
    schema="AdvertiserCampaignWrite", shape="AdvertiserCampaign",
    operations={"list_advertiser_campaign": "list", "list_advertiser_campaigns": "list",
                "get_advertiser_campaign": "get", "create_advertiser_campaign": "upsert",
                "update_advertiser_campaign": "upsert",
                # the campaign-feature pages POST to the item path: the same merging upsert
                "create_advertiser_campaign_with_id": "upsert",
                "delete_advertiser_campaign": "delete"},
)
AFFILIATE_CAMPAIGNS = AffiliateCampaigns(
    name="affiliate_campaign", kind="AffiliateCampaign",
    parent=CAMPAIGNS, held_in="affiliate_campaigns", keyed_by=AFFILIATES,
    schema="AffiliateCampaignWrite", shape="AffiliateCampaign",
    operations={"list_affiliate_campaign": "list", "list_affiliate_campaigns": "list",
                "get_affiliate_campaign": "get", "create_affiliate_campaign": "upsert",
                "update_affiliate_campaign": "upsert", "delete_affiliate_campaign": "delete"},
)
PROMO_NUMBERS = PromoNumbers(
    name="promo_number", kind="PromoNumber",
    parent=CAMPAIGNS, held_in="promo_numbers", by_id=False,
    schema="PromoNumberWrite", shape="PromoNumber", without=("id_from_network", *MOVE_FIELDS),
    destinations=(CAMPAIGNS, AFFILIATE_CAMPAIGNS),
    operations={"list_promo_number": "list", "list_promo_numbers": "list",
                "get_promo_number": "get", "create_promo_number": "upsert",
                "update_promo_number": "upsert", "delete_promo_number": "delete"},
)
#: the same numbers addressed by id_from_network, and both addressings under an affiliate
#: campaign
PROMO_NUMBERS_BY_ID = replace(
    PROMO_NUMBERS, name="promo_number_by_id",
    held_in="promo_numbers_by_id", by_id=True,
    operations={"list_promo_number_by_id": "list", "list_promo_number_by_ids": "list",
                "list_promo_numbers_by_id": "list", "get_promo_number_by_id": "get",
                "create_promo_number_by_id": "upsert", "update_promo_number_by_id": "upsert",
                "delete_promo_number_by_id": "delete"},
)
AFFILIATE_CAMPAIGN_PROMO_NUMBERS = replace(
    PROMO_NUMBERS, name="affiliate_campaign_promo_number",
    parent=AFFILIATE_CAMPAIGNS,
    operations={"list_affiliate_campaign_promo_number": "list",
                "list_affiliate_campaign_promo_numbers": "list",
                "get_affiliate_campaign_promo_number": "get",
                "create_affiliate_campaign_promo_number": "upsert",
                "update_affiliate_campaign_promo_number": "upsert",
                "delete_affiliate_campaign_promo_number": "delete"},
)
AFFILIATE_CAMPAIGN_PROMO_NUMBERS_BY_ID = replace(
    PROMO_NUMBERS, name="affiliate_campaign_promo_number_by_id",
    parent=AFFILIATE_CAMPAIGNS, held_in="promo_numbers_by_id", by_id=True,
    operations={"list_affiliate_campaign_promo_number_by_id": "list",
                "list_affiliate_campaign_promo_number_by_ids": "list",
                "list_affiliate_campaign_promo_numbers_by_id": "list",
                "get_affiliate_campaign_promo_number_by_id": "get",
                "create_affiliate_campaign_promo_number_by_id": "upsert",
                "update_affiliate_campaign_promo_number_by_id": "upsert",
                "delete_affiliate_campaign_promo_number_by_id": "delete"},
)
RING_POOLS = RingPools(
    name="ring_pool", kind="RingPool",
    parent=CAMPAIGNS, held_in="ring_pools",
    schema="RingPoolWrite", shape="RingPool",
    operations={"list_ring_pool": "list", "list_ring_pools": "list", "get_ring_pool": "get",
                "create_ring_pool": "upsert", "update_ring_pool": "upsert",
                "delete_ring_pool": "delete"},
)
#: the legacy paths of an affiliate campaign's ring pools (documented until 2019)
AFFILIATE_CAMPAIGN_RING_POOLS = replace(
    RING_POOLS, name="affiliate_campaign_ring_pool",
    parent=AFFILIATE_CAMPAIGNS,
    operations={"list_affiliate_campaign_ring_pool": "list",
                "get_affiliate_campaign_ring_pool": "get",
                "create_affiliate_campaign_ring_pool": "upsert",
                "update_affiliate_campaign_ring_pool": "upsert",
                "delete_affiliate_campaign_ring_pool": "delete"},
)

#: Invoca Tags (JS tags) of the network, under ``networks/<network_id>/js_tags`` (the docs'
#: prefix); go_live, pause, unpause and revert are Platform methods (simulator.resources.js_tags)
JS_TAGS = JsTags(
    name="js_tag", kind="JsTag",
    parent=NETWORK, held_in="js_tags",
    schema="JsTagWrite", shape="JsTag", without=(),
    operations={"list_js_tags": "list", "get_js_tag": "get", "create_js_tag": "upsert",
                "update_js_tag": "upsert", "delete_js_tag": "delete"},
)
#: a tag's revisions: published ones by external_revision_id, the draft as ``draft``
TAG_REVISIONS = TagRevisions(
    name="tag_revision", kind="TagRevision",
    parent=JS_TAGS, shape="TagRevision",
    operations={"list_tag_revisions": "list", "get_tag_revision": "get",
                "create_tag_revision": "upsert", "update_tag_revision": "upsert",
                "delete_tag_revision": "delete"},
)
#: Destinations (customer phone numbers): read and delete; RingPools and tags make them (the
#: list, with its paging and filters, is Platform.list_customer_phone_numbers)
DESTINATIONS = Destinations(
    name="customer_phone_number", kind="CustomerPhoneNumber",
    parent=NETWORK, held_in="destinations", shape="Destination",
    operations={"get_customer_phone_number": "get", "delete_customer_phone_number": "delete"},
)

#: every resource, by name
RESOURCES: dict[str, Resource] = {resource.name: resource for resource in (
    NETWORK, ADVERTISERS, ADVERTISER_USERS, AFFILIATES, RELATIONSHIPS, CAMPAIGNS,
    AFFILIATE_CAMPAIGNS, PROMO_NUMBERS, PROMO_NUMBERS_BY_ID, AFFILIATE_CAMPAIGN_PROMO_NUMBERS,
    AFFILIATE_CAMPAIGN_PROMO_NUMBERS_BY_ID, RING_POOLS, AFFILIATE_CAMPAIGN_RING_POOLS,
    JS_TAGS, TAG_REVISIONS, DESTINATIONS,
)}
#: Platform operation -> (resource, action): each operation named once
OPERATIONS: dict[str, tuple[Resource, str]] = {
    operation: (resource, action)
    for resource in RESOURCES.values() for operation, action in resource.operations.items()
}


def formatted(number: str) -> str:
    """``8883906665`` -> ``888-390-6665`` (fast for the 10 digits the inventory issues)."""
    if len(number) == 10 and number.isdigit():
        return f"{number[:3]}-{number[3:6]}-{number[6:]}"
    return format_number(number)


def export_networks(store: Store, links: Callable[[Link], Any] | None) -> list[dict[str, Any]]:
    """Every network's objects, nested as they are held (the state export). ``links`` writes
    the objects' pages as URLs; without it they are left out."""

    def shown(resource: Resource, obj: Any, **parts: Any) -> dict[str, Any]:
        rendered = resource.show(store, obj, None)
        return {**{key: links(item) if isinstance(item, Link) and links else item
                   for key, item in rendered.items() if links or not isinstance(item, Link)},
                **parts}

    def pools(holder: Any) -> list[dict[str, Any]]:
        return [shown(RING_POOLS, p, allocations=[a.to_dict() for a in p.allocations()])
                for p in holder.ring_pools.values()]

    def promos(holder: Any) -> list[dict[str, Any]]:
        return [shown(PROMO_NUMBERS, p) for p in holder.promo_numbers.values()]

    return [shown(
        NETWORK, network, affiliate_id_param=network.affiliate_id_param,
        advertisers=[shown(
            ADVERTISERS, advertiser,
            advertiser_campaigns=[shown(
                CAMPAIGNS, campaign, promo_numbers=promos(campaign), ring_pools=pools(campaign),
                affiliate_campaigns=[
                    shown(AFFILIATE_CAMPAIGNS, c, promo_numbers=promos(c), ring_pools=pools(c))
                    for c in campaign.affiliate_campaigns.values()
                ],
            ) for campaign in advertiser.campaigns.values()],
            affiliates=[shown(RELATIONSHIPS, r) for r in advertiser.relationships.values()],
        ) for advertiser in network.advertisers.values()],
        affiliates=[shown(AFFILIATES, a) for a in network.affiliates.values()],
    ) for network in store.networks.values()]
