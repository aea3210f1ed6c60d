"""Ring pools as Network Integration objects: creation, reconfiguration, local fills, rendering.

Rules of this module (beyond the store's):

* A ring pool is a :class:`~simulator.ringpool.RingPool` (allocation state and rules) whose
  Network Integration fields live in its ``properties``: ``id_from_network``, ``api_key``
  (14 uppercase hex characters like the docs' 'A329F4DC002168', drawn from the keys stream),
  ``values`` (the written fields) and ``destinations``.
* ``id_from_network`` is unique within the network. ``pool_type`` and ``destination_type`` are
  required to create one where the contract's ``x-required-by-version`` says (up to
  2018-11-01; no version counts as the earliest); the other fields take the contract's
  defaults. ``allow_overflow`` cannot change on update (2022 docs) -> field error
  ``{"allow_overflow": ["cannot be changed"]}``. An update reconfigures the pool.
* A pool with ``allow_overflow`` reserves its overflow number at creation. A Local pool
  (``local_center``) gets its numbers :data:`LOCAL_FILL_DELAY` after creation (seed).
* The ``bulk`` flag (sandbox field; the real platform enables Bulk per account): a
  bulk-enabled pool allocates only through the Bulk RingPool API.
* Each distinct ``destination_phone_number`` becomes a Destination (``customer_phone_numbers``),
  the current one the ``default_customer_phone_number``; the network's Destinations
  (:mod:`simulator.resources.destinations`) follow: tracked by the pool, discovered again when
  it is deleted.
* A pool's numbers come from its network's share (:mod:`simulator.number_shares`); those of a
  deleted pool (its overflow number too) and those a shrunk pool drops go back to the share
  after the quarantine.
* Rendering drops the fields the asked version does not have (the ``RingPool`` schema's
  ``x-versions``; no version counts as the earliest).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from simulator.fields import (
    blank,
    copied,
    hidden_in,
    raise_if,
    required_by_version,
    validate_fields,
)
from simulator.resources.destinations import drop_pool, track
from simulator.resources.local import local_npas, local_preferences
from simulator.resources.records import (
    AffiliateCampaign,
    Link,
    NumberOwner,
    RingPoolPlacement,
)
from simulator.resources.store import Resource, Store, id_from_network
from simulator.ringpool import CUSTOM_PARAMS, RingPool

__all__ = ["LOCAL_FILL_DELAY", "RingPools"]

#: Local RingPools get their numbers about this long after creation (seed).
LOCAL_FILL_DELAY = timedelta(minutes=10)
#: written but never shown: they make the pool's Destinations
WRITE_ONLY = ("destination_phone_number", "obfuscated_tag_id")


@dataclass(frozen=True, slots=True)
class _Write:
    values: dict[str, Any]
    npas: list[str] | None
    body: Mapping[str, Any]


class RingPools(Resource):
    """The ring pools of an advertiser campaign (or of an affiliate campaign, until 2019)."""

    def missing(self, parent: Any, key: Any) -> str:
        campaign = parent.campaign if isinstance(parent, AffiliateCampaign) else parent
        text = (f"Could not find RingPool {key} for advertiser campaign "
                f"{campaign.id_from_network} and advertiser {campaign.advertiser.id_from_network}")
        if isinstance(parent, AffiliateCampaign):
            text += f" and affiliate {parent.affiliate.id_from_network}"
        return text

    def prepare(self, store: Store, parent: Any, key: Any, body: Mapping[str, Any],
                version: str | None) -> tuple[str, Any | None, Any]:
        problems: dict[str, list[Any]] = {}
        key, problem = id_from_network(body, key)
        if problem:
            problems["id_from_network"] = [problem]
        existing = self.find(parent, key) if key else None
        if existing is None and key and _in_network(store, _network(parent), key):
            problems.setdefault("id_from_network", []).append("has already been taken")
        old = dict(existing.properties["values"]) if existing is not None else None
        values = validate_fields(self.fields, body, old, errors=problems)
        if existing is None:
            for name in required_by_version(self.schema or "", version):
                if blank(body.get(name)) and name not in problems:
                    problems[name] = ["can't be blank"]
        if (old is not None and "allow_overflow" in body and "allow_overflow" not in problems
                and values["allow_overflow"] != old["allow_overflow"]):
            problems["allow_overflow"] = ["cannot be changed"]
        raise_if(problems)
        npas = local_npas(values)  # raises "Invalid Key in Local Center." first
        return key, existing, _Write(values, npas, body)

    def create(self, store: Store, now: datetime, parent: Any, key: str, write: Any) -> Any:
        values = write.values
        network = _network(parent)
        overflow = store.issue_number(network, None) if values["allow_overflow"] else None
        pool_id = store.next_id(self.kind)
        pool = RingPool(
            id=pool_id,
            lifetime_seconds=values["lifetime_seconds"],
            max_pool_size=values["max_pool_size"],
            supply=_supply(store, network, pool_id, write.npas),
            events=store.events,
            pool_type=values["pool_type"],
            param_names=_param_names(values),
            allow_overflow=values["allow_overflow"],
            overflow_number=overflow,
            fill_at=now + LOCAL_FILL_DELAY if write.npas is not None else None,
            retention=store.retention,
            release=_releaser(store, network),
            properties={
                "id_from_network": key,
                "api_key": store.new_api_key(),
                "values": values,
                "destinations": _destinations([], write.body, values),
            },
        )
        parent.ring_pools[key] = pool
        campaign = parent.campaign if isinstance(parent, AffiliateCampaign) else parent
        held = parent if isinstance(parent, AffiliateCampaign) else None
        store.ring_pools_by_id[pool_id] = RingPoolPlacement(pool, campaign, held)
        if overflow is not None:
            store.number_owners[overflow] = NumberOwner(ring_pool_id=pool_id)
        track(store, now, network, pool, campaign)
        return pool

    def update(self, store: Store, now: datetime, obj: Any, write: Any) -> None:
        values = write.values
        obj.reconfigure(
            now,
            lifetime_seconds=values["lifetime_seconds"],
            max_pool_size=values["max_pool_size"],
            pool_type=values["pool_type"],
            param_names=_param_names(values),
            allow_overflow=values["allow_overflow"],
        )
        obj.properties["values"] = values
        obj.properties["destinations"] = _destinations(
            obj.properties.get("destinations", []), write.body, values
        )
        obj.properties.pop("tracking", None)
        placement = store.ring_pools_by_id[obj.id]
        track(store, now, placement.network, obj, placement.campaign)

    def unlink(self, store: Store, parent: Any, obj: Any) -> None:
        del parent.ring_pools[obj.properties["id_from_network"]]
        store.ring_pools_by_id.pop(obj.id, None)
        network = _network(parent)
        # its Destinations stay, discovered (Platform.delete_ring_pool deletes them on request)
        drop_pool(network, obj, delete=False, now=None)
        for number in [*obj.numbers, *filter(None, [obj.overflow_number])]:
            if store.number_owners.get(number) == NumberOwner(ring_pool_id=obj.id):
                del store.number_owners[number]
            store.release_number(network, number)

    def ident(self, obj: Any) -> tuple[int, str]:
        return obj.id, obj.properties["id_from_network"]

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        values = obj.properties["values"]
        api_key = obj.properties["api_key"]
        body: dict[str, Any] = {
            "id": obj.id,
            "id_from_network": obj.properties["id_from_network"],
            "object_url": Link("ring_pool", (obj.id,)),
            "sample_api_url": Link("ring_pool_sample_api", (obj.id, api_key)),
            "test_click_url": store.tracking_url(obj),
            "api_key": api_key,
        }
        for name, value in values.items():
            if name not in WRITE_ONLY:
                body[name] = copied(value)
        local = values.get("local_center") is not None
        if isinstance(center := values.get("local_center"), Mapping):
            # every key of the center, as the docs' GET shows it ("" and null where not given)
            body["local_center"] = {
                "tn_prefix": center.get("tn_prefix") or "", "zipcode": center.get("zipcode") or "",
                "latitude": center.get("latitude"), "longitude": center.get("longitude"),
            }
        body["local_number_preferences"] = (
            local_preferences(values.get("local_number_preferences")) if local else None
        )
        destinations = obj.properties.get("destinations") or []
        default = _destination(values)
        body["customer_phone_numbers"] = copied(destinations)
        body["default_customer_phone_number"] = next(
            (copied(d) for d in destinations if default is not None
             and d["destination_phone_number"] == default["destination_phone_number"]), None,
        )
        for name in hidden_in(self.shape or "", version):
            body.pop(name, None)
        if overflow := obj.overflow_number:
            body["overflow_number"] = overflow
        body["promo_numbers"] = sorted(obj.numbers)
        return body


def _network(holder: Any) -> Any:
    campaign = holder.campaign if isinstance(holder, AffiliateCampaign) else holder
    return campaign.advertiser.network


def _in_network(store: Store, network: Any, key: str) -> bool:
    """Whether a pool of ``network`` already has this ``id_from_network``."""
    return any(placement.network is network and placement.pool.properties["id_from_network"]
               == key for placement in store.ring_pools_by_id.values())


def _param_names(values: Mapping[str, Any]) -> tuple[str, ...]:
    """The names a pool gives its custom parameters (``param1`` .. ``param10``)."""
    return tuple(values[name] for name in CUSTOM_PARAMS)


def _supply(store: Store, network: Any, pool_id: int,
            npas: Sequence[str] | None) -> Callable[[], str]:
    """Where a pool's numbers come from: its network's share, each owned by the pool."""
    def supply() -> str:
        number = store.issue_number(network, npas)
        store.number_owners[number] = NumberOwner(ring_pool_id=pool_id)
        return number

    return supply


def _releaser(store: Store, network: Any) -> Callable[[str], None]:
    """A pool dropped a number after shrinking: it no longer belongs to the pool and goes
    back to the network's share after the quarantine."""
    def release(number: str) -> None:
        store.number_owners.pop(number, None)
        store.release_number(network, number)

    return release


def _destination(values: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Destination (customer phone number) of a pool's ``destination_phone_number``.

    Docs: "If a valid phone number is given for destination_phone_number ... a Destination,
    aka Customer Phone Number, will be generated". A North American number in any common form
    (the docs' example sends "888-111-2222") is its 10 digits, as the docs' GET shows it; other
    text makes no Destination.
    """
    digits = re.sub(r"\D", "", str(values.get("destination_phone_number") or ""))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return None
    tag = values.get("obfuscated_tag_id")
    return {"destination_phone_number": digits,
            "js_tag": {"obfuscated_tag_id": str(tag)} if tag else None}


def _destinations(known: Sequence[dict[str, Any]], body: Mapping[str, Any],
                  values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A pool's Destinations after a write: the one its body names is added (or its tag
    updated), the others stay linked."""
    linked = [dict(d) for d in known]
    if "destination_phone_number" not in body and "obfuscated_tag_id" not in body:
        return linked
    current = _destination(values)
    if current is None:
        return linked
    number = current["destination_phone_number"]
    return [d for d in linked if d["destination_phone_number"] != number] + [current]
