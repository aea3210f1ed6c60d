"""TEMPORARY: the advertiser-affiliate relationship before its declaration (recipe proof)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from simulator.errors import RecordNotFound
from simulator.fields import fields_of, validate_fields
from simulator.resources.records import Advertiser, AdvertiserAffiliate, ObjectChanged
from simulator.resources.store import Store, require_object

RELATIONSHIP_FIELDS = fields_of("AdvertiserAffiliateWrite", ())


def relationship(advertiser: Advertiser, affiliate_id: str) -> AdvertiserAffiliate:
    found = advertiser.relationships.get(str(affiliate_id))
    if found is None:
        raise RecordNotFound(
            f"Could not find AdvertiserAffiliate for advertiser "
            f"{advertiser.id_from_network} and affiliate {affiliate_id}"
        )
    return found


def upsert_relationship(store: Store, now: datetime, advertiser: Advertiser, affiliate_id: str,
                        body: Mapping[str, Any]) -> None:
    require_object(body)
    network = advertiser.network
    affiliate = network.affiliates.get(str(affiliate_id))
    if affiliate is None:
        raise RecordNotFound(f"Could not find Affiliate {affiliate_id} for network {network.id}")
    existing = advertiser.relationships.get(affiliate.id_from_network)
    values = validate_fields(
        RELATIONSHIP_FIELDS, body, {"status": existing.status} if existing else None
    )
    if existing is not None:
        existing.status = values["status"]
        created = False
        rel = existing
    else:
        rel = AdvertiserAffiliate(affiliate, values["status"])
        advertiser.relationships[affiliate.id_from_network] = rel
        created = True
    if rel.status != "Approved":
        for campaign in advertiser.campaigns.values():
            held = campaign.affiliate_campaigns.get(affiliate.id_from_network)
            if held is None:
                continue
            if held.values["status"] == "Applied":
                held.values["status"] = "Declined"
            elif held.values["status"] == "Approved":
                held.values["status"] = "Suspended"
    else:
        for campaign in advertiser.campaigns.values():
            held = campaign.affiliate_campaigns.get(affiliate.id_from_network)
            if held is not None and held.values["status"] == "Applied":
                held.values["status"] = "Approved"
    store.events.append(ObjectChanged(now, network.id, "AdvertiserAffiliate",
                                      "created" if created else "updated",
                                      affiliate.id, affiliate.id_from_network))


def delete_relationship(store: Store, now: datetime, advertiser: Advertiser,
                        affiliate_id: str) -> None:
    rel = advertiser.relationships.pop(str(affiliate_id), None)
    if rel is not None:
        store.events.append(ObjectChanged(now, advertiser.network.id, "AdvertiserAffiliate",
                                          "deleted", rel.affiliate.id,
                                          rel.affiliate.id_from_network))


def render_relationship(rel: AdvertiserAffiliate) -> dict[str, Any]:
    return {"affiliate_id_from_network": rel.affiliate.id_from_network, "status": rel.status}
