"""Advertiser campaigns (staged terms, go_live) and affiliate campaigns (transitions).

Rules of this module (beyond the store's):

* Campaigns are the design principles' exception ("Campaign Terms"): a campaign-feature body
  such as ``{"ivr_tree": {...}}`` alone is a valid update; ``name`` is needed only to create.
  An ``ivr_tree`` write merges into the stored tree key by key (``root`` replaced whole).
* ``status`` is ``Entry`` on creation, ``Live`` after go_live (refused while ``Archived``),
  ``Archived`` after archive, ``Paused`` after unarchive. The flat terms fields of POST/PUT
  are staged (GET's ``future_terms``, shown while they differ from the live terms); go_live
  promotes them to ``current_terms``. A campaign never live shows its staged terms in both.
  Payin/payout summaries and the IVR node rules live in :mod:`simulator.terms`.
* Campaigns and affiliate campaigns are never deleted (the docs' messages).
* Affiliate campaigns: created only with status ``Applied`` (docs); a create asking for
  another status is refused with the docs' body
  ``{"errors": {"status": ["cannot transition from '<status>'"]}, "status": "Applied"}``.
  A created campaign becomes ``Approved`` at once when the advertiser campaign's
  ``auto_approve`` is ``All`` or the advertiser-affiliate relationship is ``Approved``.
  Allowed transitions: :data:`AFFILIATE_CAMPAIGN_TRANSITIONS`; a refused one gives the same
  body shape with the current status.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from simulator.errors import RecordInvalid
from simulator.fields import coerce, copied, key_field, raise_if, validate_fields
from simulator.resources.parties import recordings_for
from simulator.resources.records import AdvertiserCampaign, AffiliateCampaign, Link
from simulator.resources.store import Resource, Store
from simulator.terms import (
    PAY_FIELDS,
    IvrTreeInvalid,
    checked_ivr_tree,
    terms_shown,
    with_prompts,
    written_pay,
)

__all__ = [
    "AFFILIATE_CAMPAIGN_TRANSITIONS",
    "AffiliateCampaigns",
    "Campaigns",
    "check_timeout",
    "go_live",
    "quick_stats",
    "set_status",
]

#: status -> statuses it may move to (staying put is always allowed).
AFFILIATE_CAMPAIGN_TRANSITIONS: dict[str, frozenset[str]] = {
    "Applied": frozenset({"Approved", "Declined"}),
    "Approved": frozenset({"Suspended"}),
    "Suspended": frozenset({"Approved"}),
    "Declined": frozenset({"Approved"}),
}
#: the fields of a campaign that are not its terms
_NOT_TERMS = ("name", "custom_data")


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.strftime("%Y-%m-%dT%H:%M:%SZ")


class Campaigns(Resource):
    """An advertiser's campaigns: merging upserts that stage terms (see the module rules)."""

    @property
    def terms(self) -> tuple[str, ...]:
        return tuple(spec.name for spec in self.fields if spec.name not in _NOT_TERMS)

    def missing(self, parent: Any, key: Any) -> str:
        return (f"Could not find AdvertiserCampaign {key} for advertiser "
                f"{parent.id_from_network}")

    def prepare(self, store: Store, parent: Any, key: Any, body: Mapping[str, Any],
                version: str | None) -> tuple[str, Any | None, Any]:
        key, existing, values = super().prepare(store, parent, key, body, version)
        stored_tree = existing.values.get("ivr_tree") if existing else None
        if isinstance(stored_tree, dict) and isinstance(values.get("ivr_tree"), dict) and (
                "ivr_tree" in body):
            # the tree's settings merge like the other terms (each campaign-feature page sets
            # one of them and its GET shows them all); ``root`` is replaced whole
            values["ivr_tree"] = {**stored_tree, **values["ivr_tree"]}
        if "ivr_tree" in body:
            recordings = recordings_for(parent)
            tree, tree_errors = checked_ivr_tree(values["ivr_tree"], recordings,
                                                 values.get("campaign_language"))
            if tree_errors:
                raise IvrTreeInvalid(tree_errors)
            values["ivr_tree"] = with_prompts(tree, recordings)
        for name in PAY_FIELDS:
            if name in body:
                values[name] = written_pay(values[name])
        return key, existing, values

    def create(self, store: Store, now: datetime, parent: Any, key: str, write: Any) -> Any:
        campaign = AdvertiserCampaign(store.next_id(self.kind), key, write, parent,
                                      created_at=now, updated_at=now, staged_at=now)
        parent.campaigns[key] = campaign
        return campaign

    def update(self, store: Store, now: datetime, obj: Any, write: Any) -> None:
        obj.values = write
        obj.updated_at = obj.staged_at = now

    def remove(self, store: Store, parent: Any, key: Any) -> None:
        raise RecordInvalid("You are not allowed to delete campaigns.")

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        """The campaign with its current terms (those of the last go_live; a campaign never
        live shows its staged terms there too) and its future terms (the staged terms while
        they differ from the live ones: the docs' "all changes are staged in future_terms")."""
        live = obj.live_values
        current = terms_shown(live if live is not None else obj.values, self.terms)
        current.update({
            "id": str(obj.id),  # the docs' campaign GET shows the terms' id as text
            "created_at": _iso(obj.created_at),
            "updated_at": _iso(obj.go_live_at or obj.staged_at),
            "go_live_date": _iso(obj.go_live_at),
        })
        future = None
        if live is None or live != obj.values:
            future = terms_shown(obj.values, self.terms)
            future.update({
                "id": "",  # staged terms have no id until they go live (the docs' example)
                "created_at": _iso(obj.staged_at),
                "updated_at": _iso(obj.staged_at),
                "go_live_date": None,
            })
        return {
            "id": obj.id,
            "id_from_network": obj.id_from_network,
            "name": obj.values["name"],
            "status": obj.status,
            "custom_data": copied(obj.values.get("custom_data", {})),
            "object_url": Link(self.name, (obj.id,)),
            "current_terms": current,
            "future_terms": future,
        }


def check_timeout(body: Mapping[str, Any] | None) -> None:
    """go_live's ``timeout``: 2..60 seconds when given (validated, then ignored)."""
    timeout = (body or {}).get("timeout")
    if timeout is not None:
        try:
            seconds = int(str(timeout))
        except ValueError:
            seconds = -1
        if not 2 <= seconds <= 60:
            raise RecordInvalid(field_errors={"timeout": ["must be between 2 and 60"]})


def set_status(store: Store, now: datetime, resource: Resource, campaign: AdvertiserCampaign,
               status: str) -> AdvertiserCampaign:
    """Archive (``Archived``), unarchive (``Paused``) or make live a campaign."""
    campaign.status = status
    campaign.updated_at = now
    store.emit(now, campaign.advertiser.network, resource, "updated", campaign)
    return campaign


def go_live(store: Store, now: datetime, resource: Resource,
            campaign: AdvertiserCampaign) -> AdvertiserCampaign:
    """Promote the staged terms to current terms and make the campaign live.

    Docs: "Archived campaigns must be unarchived before calling this endpoint."
    """
    if campaign.status == "Archived":
        raise RecordInvalid("Archived campaigns must be unarchived before calling go_live.")
    campaign.live_values = copied(campaign.values)
    campaign.go_live_at = now
    return set_status(store, now, resource, campaign, "Live")


class AffiliateCampaigns(Resource):
    """An advertiser campaign's affiliate campaigns, keyed by the affiliate's id."""

    def missing(self, parent: Any, key: Any) -> str:
        return (f"Could not find AffiliateCampaign for advertiser campaign "
                f"{parent.id_from_network}, advertiser {parent.advertiser.id_from_network} "
                f"and affiliate {key}")

    def prepare(self, store: Store, parent: Any, key: Any, body: Mapping[str, Any],
                version: str | None) -> tuple[str, Any | None, Any]:
        affiliate = store.locate(self.key_of(), parent.advertiser.network, (key,))
        existing = parent.affiliate_campaigns.get(affiliate.id_from_network)
        problems: dict[str, list[Any]] = {}
        values = validate_fields(self.fields, body, existing.values if existing else None,
                                 errors=problems)
        id_value, problem = coerce(key_field(), body.get("id_from_network"))
        if problem:
            problems["id_from_network"] = [problem]
        raise_if(problems)
        requested = values["status"]
        if existing is None:
            if "status" in body and requested != "Applied":
                raise RecordInvalid(
                    field_errors={"status": [f"cannot transition from '{requested}'"]},
                    extra={"status": "Applied"},
                )
            relationship = parent.advertiser.relationships.get(affiliate.id_from_network)
            approved = parent.values.get("auto_approve") == "All" or (
                relationship is not None and relationship.status == "Approved"
            )
            values["status"] = "Approved" if approved else "Applied"
        else:
            current = existing.values["status"]
            if requested != current and requested not in AFFILIATE_CAMPAIGN_TRANSITIONS[current]:
                raise RecordInvalid(
                    field_errors={"status": [f"cannot transition from '{current}'"]},
                    extra={"status": current},
                )
        return affiliate.id_from_network, existing, (affiliate, id_value, values)

    def create(self, store: Store, now: datetime, parent: Any, key: str, write: Any) -> Any:
        affiliate, id_value, values = write
        held = AffiliateCampaign(store.next_id(self.kind), id_value or "", values, affiliate,
                                 parent)
        parent.affiliate_campaigns[key] = held
        affiliate.campaign_count += 1
        return held

    def update(self, store: Store, now: datetime, obj: Any, write: Any) -> None:
        _, id_value, values = write
        obj.values = values
        if id_value:
            obj.id_from_network = id_value

    def remove(self, store: Store, parent: Any, key: Any) -> None:
        raise RecordInvalid("You are not allowed to delete an Affiliate Campaign.")

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        campaign = obj.campaign
        live = campaign.live_values
        terms = live if live is not None else campaign.values
        return {
            "affiliate_id_from_network": obj.affiliate.id_from_network,
            "status": obj.values["status"],
            "id": obj.id,
            "id_from_network": obj.id_from_network,
            "max_promo_numbers": 10,
            "object_url": Link(self.name, (obj.affiliate.id, obj.id)),
            "current_terms": terms_shown(terms, (*PAY_FIELDS, "ivr_tree")),
            "custom_data": copied(obj.values.get("custom_data", {})),
        }


def quick_stats(transactions: Iterable[Any], campaign_id: int, now: datetime) -> dict[str, Any]:
    """A campaign's call counts and mean durations over 30 days, 7 days and today (UTC)."""
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    windows = {
        "last_30days": now - timedelta(days=30),
        "last_7days": now - timedelta(days=7),
        "today": today,
    }
    calls = [t for t in transactions if t.fields["advertiser_campaign_id"] == campaign_id
             and t.fields["transaction_type"] == "Call"]
    stats: dict[str, Any] = {}
    for name, since in windows.items():
        durations = [int(t.fields["duration"]) for t in calls if since <= t.start_at <= now]
        stats[name] = {
            "call_avg_total_duration": (
                round(sum(durations) / len(durations), 2) if durations else 0.0
            ),
            "call_count": len(durations),
        }
    return {"stats": stats}
