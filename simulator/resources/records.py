"""The stored Network Integration objects, their links for the HTTP edge, and their event.

Rules of this module:

* Objects are keyed by ``id_from_network`` inside their parent (the partner's own ids, as in
  every Network Integration path) and also carry an internal integer ``id`` from a
  deterministic per-kind sequence (1, 2, 3, ...). Their written fields live in ``values``.
* A rendered object names its pages by :class:`Link` values, in the fields of
  :data:`PAGE_FIELDS` only: the model knows which page and ids; the HTTP edge knows the base
  URL and the URL's shape (``mock_server.objects``).
* A ring pool is a :class:`~simulator.ringpool.RingPool` (its Network Integration fields in its
  ``properties``); :class:`RingPoolPlacement` says where one lives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simulator.events import Event
from simulator.ringpool import RingPool

__all__ = [
    "PAGE_FIELDS",
    "Advertiser",
    "AdvertiserAffiliate",
    "AdvertiserCampaign",
    "Affiliate",
    "AffiliateCampaign",
    "Destination",
    "JsTag",
    "Link",
    "Network",
    "NumberOwner",
    "ObjectChanged",
    "PromoNumber",
    "RingPoolPlacement",
    "TagRevision",
]


#: the fields of a rendered object that hold its pages (:class:`Link` values)
PAGE_FIELDS = ("object_url", "sample_api_url")


@dataclass(frozen=True, slots=True)
class Link:
    """A page of an object, for the HTTP edge to write as a URL: which page and its ids."""

    page: str
    ids: tuple[Any, ...]


@dataclass(eq=False)
class PromoNumber:
    """A static promo number of an advertiser campaign or an affiliate campaign."""

    id: int
    promo_number: str
    id_from_network: str
    values: dict[str, Any]
    campaign: AdvertiserCampaign = field(repr=False)
    affiliate_campaign: AffiliateCampaign | None = field(default=None, repr=False)


@dataclass(eq=False)
class Affiliate:
    id: int
    id_from_network: str
    values: dict[str, Any]
    #: how many affiliate campaigns exist for this affiliate (delete is refused while > 0)
    campaign_count: int = 0


@dataclass(eq=False)
class AdvertiserAffiliate:
    """The relationship between an advertiser and an affiliate."""

    affiliate: Affiliate
    status: str


@dataclass(eq=False)
class AffiliateCampaign:
    id: int
    id_from_network: str
    values: dict[str, Any]
    affiliate: Affiliate = field(repr=False)
    campaign: AdvertiserCampaign = field(repr=False)
    promo_numbers: dict[str, PromoNumber] = field(default_factory=dict, repr=False)
    promo_numbers_by_id: dict[str, PromoNumber] = field(default_factory=dict, repr=False)
    #: affiliate-campaign RingPools (documented until 2019), keyed by id_from_network
    ring_pools: dict[str, RingPool] = field(default_factory=dict, repr=False)


@dataclass(eq=False)
class AdvertiserCampaign:
    id: int
    id_from_network: str
    values: dict[str, Any]
    advertiser: Advertiser = field(repr=False)
    status: str = "Entry"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    #: when the current terms went live (the last go_live)
    go_live_at: datetime | None = None
    #: the terms as of the last go_live (None before the first): GET's ``current_terms``
    live_values: dict[str, Any] | None = field(default=None, repr=False)
    #: when ``values`` (the staged terms, GET's ``future_terms``) last changed
    staged_at: datetime | None = None
    promo_numbers: dict[str, PromoNumber] = field(default_factory=dict, repr=False)
    promo_numbers_by_id: dict[str, PromoNumber] = field(default_factory=dict, repr=False)
    ring_pools: dict[str, RingPool] = field(default_factory=dict, repr=False)
    #: keyed by the affiliate's id_from_network
    affiliate_campaigns: dict[str, AffiliateCampaign] = field(default_factory=dict, repr=False)


@dataclass(eq=False)
class Advertiser:
    id: int
    id_from_network: str
    values: dict[str, Any]
    network: Network = field(repr=False)
    campaigns: dict[str, AdvertiserCampaign] = field(default_factory=dict, repr=False)
    #: keyed by the affiliate's id_from_network
    relationships: dict[str, AdvertiserAffiliate] = field(default_factory=dict, repr=False)
    #: the advertiser's professional prompt recordings, by id_from_network
    prompt_recordings: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)


@dataclass(eq=False)
class Network:
    id: int
    name: str
    #: the query parameter naming an affiliate in allocation requests (e.g. ``pid``)
    affiliate_id_param: str = "pid"
    values: dict[str, Any] = field(default_factory=lambda: {"users": []})
    advertisers: dict[str, Advertiser] = field(default_factory=dict, repr=False)
    affiliates: dict[str, Affiliate] = field(default_factory=dict, repr=False)
    #: the network's professional prompt recordings, by id_from_network
    prompt_recordings: dict[str, dict[str, Any]] = field(default_factory=dict, repr=False)
    #: the network's Invoca Tags (JS tags), by their obfuscated id
    js_tags: dict[str, JsTag] = field(default_factory=dict, repr=False)
    #: the network's Destinations (customer phone numbers), by id (decimal text)
    destinations: dict[str, Destination] = field(default_factory=dict, repr=False)


@dataclass(eq=False)
class TagRevision:
    """One revision of an Invoca Tag: the tag's configuration at a point of its history.

    A published revision has an ``external_revision_id`` (0, 1, 2, ... per tag); the draft has
    none (``None``). ``active`` is false for the revision a pause publishes.
    """

    tag: JsTag = field(repr=False)
    external_revision_id: int | None
    values: dict[str, Any]
    message: str
    author: str
    created_at: datetime
    updated_at: datetime
    active: bool = True


@dataclass(eq=False)
class JsTag:
    """An Invoca Tag (JS tag) of a network: its fields, status and revisions."""

    #: the obfuscated id (what a RingPool's ``obfuscated_tag_id`` names); ``seq`` for events
    id: str
    seq: int
    network_id: int
    values: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    status: str = "Live"
    #: the published revisions, oldest first (the last one is live)
    revisions: list[TagRevision] = field(default_factory=list, repr=False)
    draft: TagRevision | None = field(default=None, repr=False)
    #: the revision that was live when the tag was paused (unpause publishes it again)
    before_pause: TagRevision | None = field(default=None, repr=False)

    @property
    def live(self) -> TagRevision:
        return self.revisions[-1]


@dataclass(eq=False)
class Destination:
    """A Destination (customer phone number) of a network: a number on the advertiser's pages,
    tracked by a ring pool or discovered (no pool)."""

    id: int
    phone_number: str
    created_at: datetime
    updated_at: datetime
    #: the ring pool tracking it (None: discovered) and the campaign holding that pool
    ring_pool: RingPool | None = field(default=None, repr=False)
    campaign: AdvertiserCampaign | None = field(default=None, repr=False)
    primary_url: str = ""
    js_tag_id: str | None = None
    ignored_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RingPoolPlacement:
    """Where a ring pool lives: its campaign (and through it advertiser and network)."""

    pool: RingPool
    campaign: AdvertiserCampaign
    #: set for an affiliate-campaign RingPool: its allocations credit that affiliate
    affiliate_campaign: AffiliateCampaign | None = None

    @property
    def advertiser(self) -> Advertiser:
        return self.campaign.advertiser

    @property
    def network(self) -> Network:
        return self.campaign.advertiser.network


@dataclass(frozen=True, slots=True)
class NumberOwner:
    """Who owns a phone number: a ring pool (by internal id) or a static promo number."""

    ring_pool_id: int | None = None
    promo_number: PromoNumber | None = None


@dataclass(frozen=True, slots=True)
class ObjectChanged(Event):
    """A Network Integration object was created, updated or deleted."""

    kind = "ObjectChanged"

    network_id: int
    resource: str
    change: str  # created | updated | deleted
    id: int
    id_from_network: str
