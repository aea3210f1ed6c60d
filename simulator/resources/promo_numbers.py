"""Static promo numbers, in their four addressings: by number or by ``id_from_network``, under
an advertiser campaign or under an affiliate campaign.

Rules of this module (beyond the store's):

* The platform issues the numbers from the network's share (:mod:`simulator.number_shares`):
  a POST to ``promo_numbers`` always makes a new one (a local number when ``local_center``
  names free local numbers, else toll-free); a deleted number goes back to the share after
  the quarantine. A PUT to ``promo_numbers/<number>`` on a missing number is
  ``RecordNotFound`` (there is nothing to create there). Through ``promo_numbers_by_id``
  create and update are upserts keyed by ``id_from_network`` (required on the collection
  path, checked before anything else).
* Through ``promo_numbers`` an ``id_from_network`` already used in the campaign is refused
  ("has already been taken"), and a number created without one gets its Invoca id as one
  (the docs' example answers ``"id": 12, "id_from_network": "12"``).
* The move fields (``destination_*_id_from_network``) move a number on update (advertiser and
  advertiser campaign together; with an affiliate, to that affiliate's campaign); a missing
  destination is ``RecordNotFound``. On create they are ignored.
* Promo numbers accept ``local_center`` with ``city``+``state`` too (2022 docs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from simulator.errors import RecordInvalid, RecordNotFound, SandboxError
from simulator.fields import copied, raise_if, validate_fields
from simulator.numbers import parse_number
from simulator.resources.local import local_npas
from simulator.resources.records import (
    AdvertiserCampaign,
    AffiliateCampaign,
    Link,
    NumberOwner,
    PromoNumber,
)
from simulator.resources.store import Resource, Store, id_from_network

__all__ = ["MOVE_FIELDS", "PromoNumbers"]

#: the body fields that move a number (PUT only): advertiser, campaign, affiliate
MOVE_FIELDS = ("destination_advertiser_id_from_network",
               "destination_advertiser_campaign_id_from_network",
               "destination_affiliate_id_from_network")

_Holder = AdvertiserCampaign | AffiliateCampaign


@dataclass(frozen=True, slots=True)
class _Write:
    """A checked promo number write: its values, and where an update moves it."""

    values: dict[str, Any]
    target: tuple[AdvertiserCampaign, AffiliateCampaign | None] | None = None


def _campaigns(holder: _Holder) -> tuple[AdvertiserCampaign, AffiliateCampaign | None]:
    if isinstance(holder, AffiliateCampaign):
        return holder.campaign, holder
    return holder, None


@dataclass(frozen=True, kw_only=True, eq=False)
class PromoNumbers(Resource):
    """One addressing of promo numbers; the parent (campaign or affiliate campaign) holds
    them twice: by number and by ``id_from_network``."""

    by_id: bool
    #: the resources a move names: advertiser campaigns and affiliate campaigns
    destinations: tuple[Resource, Resource] | None = None

    def find(self, parent: Any, key: Any) -> Any | None:
        if self.by_id:
            return super().find(parent, key)
        try:
            digits = parse_number(str(key))
        except SandboxError:
            digits = str(key)
        return parent.promo_numbers.get(digits)

    def missing(self, parent: Any, key: Any) -> str:
        campaign, held = _campaigns(parent)
        text = (f"Could not find PromoNumber {key} for advertiser campaign "
                f"{campaign.id_from_network} and advertiser "
                f"{campaign.advertiser.id_from_network}")
        if held is not None:
            text += f" and affiliate {held.affiliate.id_from_network}"
        return text

    # ---- writes ------------------------------------------------------------------------

    def read_body(self, body: Any, key: Any) -> Any:
        if self.by_id and key is None:
            sent = body.get("id_from_network")
            if sent is None or not str(sent).strip():
                raise RecordInvalid(field_errors={"id_from_network": ["can't be blank"]})
        return body

    def prepare(self, store: Store, parent: Any, key: Any, body: Mapping[str, Any],
                version: str | None) -> tuple[str, Any | None, Any]:
        if not self.by_id and key is not None:  # PUT promo_numbers/<number>
            promo = self.find(parent, key)
            if promo is None:
                raise RecordNotFound(self.missing(parent, key))
            return promo.id_from_network, promo, self._update_write(store, promo, body)
        problems: dict[str, list[Any]] = {}
        if self.by_id:
            key, _ = id_from_network(body, key if key is not None else
                                     str(body.get("id_from_network")))
        elif "id_from_network" in body:
            key, problem = id_from_network(body, None)
            if problem:
                problems["id_from_network"] = [problem]
        existing = parent.promo_numbers_by_id.get(key) if key else None
        if existing is not None and self.by_id:
            return key, existing, self._update_write(store, existing, body)
        if existing is not None:
            problems["id_from_network"] = ["has already been taken"]
        values = validate_fields(self.fields, body, None, errors=problems)
        raise_if(problems)
        return key or "", None, _Write(values)

    def _update_write(self, store: Store, promo: PromoNumber, body: Mapping[str, Any]) -> _Write:
        problems: dict[str, list[Any]] = {}
        values = validate_fields(self.fields, body, promo.values, errors=problems)
        target = self._move_target(store, promo, body, problems)
        raise_if(problems)
        local_npas(values, promo=True)  # refuses a bad local_center
        return _Write(values, target)

    def _move_target(
        self, store: Store, promo: PromoNumber, body: Mapping[str, Any],
        problems: dict[str, list[Any]],
    ) -> tuple[AdvertiserCampaign, AffiliateCampaign | None] | None:
        advertiser_id, campaign_id, affiliate_id = (
            str(body.get(name) or "").strip() for name in MOVE_FIELDS
        )
        if not (advertiser_id or campaign_id or affiliate_id):
            return None
        for name, value in zip(MOVE_FIELDS[:2], (advertiser_id, campaign_id), strict=True):
            if not value:
                problems.setdefault(name, []).append("can't be blank")
        if problems:
            return None
        assert self.destinations is not None
        campaigns, affiliate_campaigns = self.destinations
        network = promo.campaign.advertiser.network
        campaign = store.locate(campaigns, network, (advertiser_id, campaign_id))
        held = (store.locate(affiliate_campaigns, network,
                             (advertiser_id, campaign_id, affiliate_id))
                if affiliate_id else None)
        new = held if held is not None else campaign
        if (promo.id_from_network and new.promo_numbers_by_id.get(promo.id_from_network)
                not in (None, promo)):
            problems.setdefault("id_from_network", []).append("has already been taken")
        return campaign, held

    def create(self, store: Store, now: datetime, parent: Any, key: str, write: Any) -> Any:
        campaign, held = _campaigns(parent)
        number = store.issue_number(campaign.advertiser.network,
                                    local_npas(write.values, promo=True))
        promo_id = store.next_id(self.kind)
        if not key and str(promo_id) not in parent.promo_numbers_by_id:
            key = str(promo_id)
        promo = PromoNumber(promo_id, number, key, write.values, campaign, held)
        parent.promo_numbers[number] = promo
        if key:
            parent.promo_numbers_by_id[key] = promo
        store.number_owners[number] = NumberOwner(promo_number=promo)
        return promo

    def update(self, store: Store, now: datetime, obj: Any, write: Any) -> None:
        obj.values = write.values
        if write.target is None:
            return
        campaign, held = write.target
        old = obj.affiliate_campaign if obj.affiliate_campaign else obj.campaign
        new = held if held is not None else campaign
        old.promo_numbers.pop(obj.promo_number, None)
        if obj.id_from_network:
            old.promo_numbers_by_id.pop(obj.id_from_network, None)
            new.promo_numbers_by_id[obj.id_from_network] = obj
        new.promo_numbers[obj.promo_number] = obj
        obj.campaign, obj.affiliate_campaign = campaign, held

    def unlink(self, store: Store, parent: Any, obj: Any) -> None:
        parent.promo_numbers.pop(obj.promo_number, None)
        if obj.id_from_network:
            parent.promo_numbers_by_id.pop(obj.id_from_network, None)
        store.number_owners.pop(obj.promo_number, None)
        store.release_number(obj.campaign.advertiser.network, obj.promo_number)

    # ---- reading -----------------------------------------------------------------------

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        held = obj.affiliate_campaign
        if held is not None:
            link = Link("affiliate_campaign_promo_numbers", (held.affiliate.id, obj.campaign.id))
        else:
            link = Link("advertiser_campaign_promo_numbers", (obj.campaign.id,))
        return {
            "id": obj.id,
            "id_from_network": obj.id_from_network,
            "promo_number": obj.promo_number,
            **{k: copied(v) for k, v in obj.values.items() if v is not None},
            "object_url": link,
        }
