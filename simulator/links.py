"""Links that work: a visitor following a tracking link, and the pages objects link to.

Rules (sandbox choices listed in docs/fidelity.md, L1-L5):

* A tracking link is ``/c/<network id>/<advertiser id>-<campaign id>-<ring pool id>?us=...``
  (:meth:`simulator.resources.store.Store.tracking_url`). Following it finds the pool by its
  id and checks that the network, advertiser and campaign ids are the pool's: anything else
  is ``RecordNotFound`` and changes nothing.
* The redirect goes to the pool's own landing URL (its ``tracking_url`` / ``destination_url``,
  else the base URL), never to the link's ``us`` text (no open redirect), with
  ``PPCPN=<number>`` appended as the docs' web integration page describes.
* The number: the link's own (``PPCPN`` inside ``us``, as an allocation's ``tracking_url``
  carries it) when the pool has allocated it, and the click is credited to the allocation that
  holds it now (the attribution rule, A11); a link without a number (the pool's
  ``test_click_url``) allocates one at ``now`` as the legacy RingPool API does, with the
  link's other query parameters as the visit's (``us`` left out); a number the pool never
  allocated, or an allocation the pool refuses (A5, A9), gives the landing URL without a
  number.
* Every click is a :class:`TrackingLinkClicked` event, and the allocation it is credited to
  keeps its instant (:func:`clicks_of`: at most :data:`MAX_CLICKS_PER_ALLOCATION` per
  allocation, for at most :data:`MAX_CLICKED_ALLOCATIONS` allocations per pool, oldest
  forgotten first).
* :func:`object_page` describes the object an ``object_url`` names (a Link's page and ids):
  a title and its main fields; an unknown page or id is ``RecordNotFound``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from simulator.allocation_api import affiliate_of
from simulator.errors import RecordNotFound, SandboxError
from simulator.events import Event, to_micros
from simulator.resources.records import RingPoolPlacement
from simulator.resources.store import Store

__all__ = [
    "MAX_CLICKED_ALLOCATIONS",
    "MAX_CLICKS_PER_ALLOCATION",
    "Followed",
    "TrackingLinkClicked",
    "clicks_of",
    "follow_tracking_link",
    "object_page",
]

MAX_CLICKS_PER_ALLOCATION = 100
MAX_CLICKED_ALLOCATIONS = 10_000
_NUMBER = "PPCPN"


@dataclass(frozen=True, slots=True)
class TrackingLinkClicked(Event):
    """A visitor followed a ring pool's tracking link (``allocation_id`` None: no number)."""

    kind: ClassVar[str] = "TrackingLinkClicked"

    ring_pool_id: int
    allocation_id: int | None
    promo_number: str | None
    location: str


@dataclass(frozen=True, slots=True)
class Followed:
    """Where a click goes, and what it was credited to."""

    location: str
    ring_pool_id: int
    allocation_id: int | None
    promo_number: str | None


def _placement(directory: Store, network_id: Any, triple: str) -> RingPoolPlacement:
    parts = str(triple).split("-")
    missing = RecordNotFound(f"Could not find tracking link {network_id}/{triple}")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 10 for p in parts):
        raise missing
    advertiser_id, campaign_id, pool_id = (int(p) for p in parts)
    placement = directory.ring_pools_by_id.get(pool_id)
    if (placement is None or str(placement.network.id) != str(network_id)
            or placement.advertiser.id != advertiser_id
            or placement.campaign.id != campaign_id):
        raise missing
    return placement


def _landing(directory: Store, placement: RingPoolPlacement) -> str:
    values = placement.pool.properties["values"]
    return str(values.get("tracking_url") or values.get("destination_url")
               or directory.base_url)


def _number_in(us: str | None) -> str | None:
    if not us:
        return None
    for name, value in parse_qsl(urlsplit(us).query, keep_blank_values=True):
        if name == _NUMBER:
            return value
    return None


def follow_tracking_link(directory: Store, now: datetime, network_id: Any, triple: str,
                         query: Mapping[str, str]) -> Followed:
    """A visitor follows a tracking link at ``now`` (see the module rules)."""
    placement = _placement(directory, network_id, triple)
    pool = placement.pool
    landing = _landing(directory, placement)
    number = _number_in(query.get("us"))
    allocation = None
    if number is not None:
        allocation = pool.attribute(number, now) if number.isdigit() else None
    else:
        visit = {k: v for k, v in query.items() if k != "us"}
        try:
            allocation = pool.allocate(now, visit,
                                       affiliate_id_from_network=affiliate_of(placement, visit))
        except SandboxError:
            allocation = None
    if allocation is None:
        followed = Followed(landing, pool.id, None, None)
    else:
        marker = "&" if "?" in landing else "?"
        followed = Followed(f"{landing}{marker}{_NUMBER}={allocation.promo_number}", pool.id,
                            allocation.id, allocation.promo_number)
        clicks = pool.properties.setdefault("clicks", {})
        kept = clicks.pop(allocation.id, [])  # re-inserted: the latest clicked goes last
        kept = ([*kept, to_micros(now)])[-MAX_CLICKS_PER_ALLOCATION:]
        clicks[allocation.id] = kept
        while len(clicks) > MAX_CLICKED_ALLOCATIONS:
            del clicks[next(iter(clicks))]
    directory.events.append(TrackingLinkClicked(now, pool.id, followed.allocation_id,
                                                followed.promo_number, followed.location))
    return followed


def clicks_of(placement_pool: Any, allocation_id: int) -> list[int]:
    """The instants (microseconds) of the clicks credited to an allocation of a pool."""
    return list(placement_pool.properties.get("clicks", {}).get(allocation_id, ()))


# ---------------------------------------------------------------------------- object pages

def _campaign(directory: Store, campaign_id: Any) -> Any:
    for network in directory.networks.values():
        for advertiser in network.advertisers.values():
            for campaign in advertiser.campaigns.values():
                if str(campaign.id) == str(campaign_id):
                    return campaign
    return None


def _affiliate_campaign(directory: Store, affiliate_id: Any, campaign_id: Any) -> Any:
    campaign = _campaign(directory, campaign_id)
    if campaign is None:
        return None
    for held in campaign.affiliate_campaigns.values():
        if str(held.affiliate.id) == str(affiliate_id):
            return held
    return None


def _fields(obj: Any, kind: str) -> list[tuple[str, str]]:
    rows = [("kind", kind), ("id", str(obj.id)), ("id_from_network", str(obj.id_from_network))]
    values = getattr(obj, "values", {}) or {}
    for name in ("name", "status"):
        value = values.get(name, getattr(obj, name, None))
        if value is not None:
            rows.append((name, str(value)))
    return rows


def object_page(directory: Store, page: str, ids: Sequence[str]) -> dict[str, Any]:
    """``{"title", "fields": [(name, value)...]}`` of the object a page names (RecordNotFound
    when there is none)."""
    ids = [str(i) for i in ids]
    if not all(i.isascii() and i.isdigit() and len(i) <= 10 for i in ids):
        raise RecordNotFound(f"Could not find page {page}")
    obj: Any = None
    kind = page
    fields: list[tuple[str, str]] = []
    if page == "advertiser":
        obj, kind = directory.advertisers_by_id.get(int(ids[0])), "Advertiser"
    elif page == "affiliate":
        found = directory.affiliates_by_id.get(int(ids[0]))
        obj, kind = (found[1] if found else None), "Affiliate"
    elif page in ("advertiser_campaign", "advertiser_campaign_promo_numbers"):
        obj, kind = _campaign(directory, ids[0]), "AdvertiserCampaign"
    elif page in ("affiliate_campaign", "affiliate_campaign_promo_numbers"):
        obj, kind = _affiliate_campaign(directory, ids[0], ids[1]), "AffiliateCampaign"
    elif page == "ring_pool":
        placement = directory.ring_pools_by_id.get(int(ids[0]))
        if placement is not None:
            pool = placement.pool
            values = pool.properties["values"]
            return {"title": f"RingPool {pool.id}", "fields": [
                ("kind", "RingPool"), ("id", str(pool.id)),
                ("id_from_network", str(pool.properties["id_from_network"])),
                ("name", str(values.get("name", ""))),
                ("advertiser campaign", str(placement.campaign.id)),
                ("numbers", ", ".join(pool.numbers)),
                ("overflow number", str(pool.overflow_number or "")),
                ("test click URL", directory.tracking_url(pool)),
            ]}
    if obj is None:
        raise RecordNotFound(f"Could not find {kind} {'/'.join(ids)}")
    fields = _fields(obj, kind)
    if page.endswith("_promo_numbers"):
        numbers = obj.promo_numbers.values()
        fields.append(("promo numbers", ", ".join(n.promo_number for n in numbers)))
    title = f"{kind} {obj.id}: {fields[3][1] if len(fields) > 3 else obj.id_from_network}"
    return {"title": title, "fields": fields}
