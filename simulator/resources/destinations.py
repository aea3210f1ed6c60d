"""Destinations (customer phone numbers): the numbers on an advertiser's pages.

Rules of this module (docs/fidelity.md TD1-TD4):

* A network has at most one Destination per phone number (10 digits, North American), with
  an id from the ``CustomerPhoneNumber`` sequence (shown as decimal text, as the docs'
  example shows a string).
* Where they come from: a RingPool given a ``destination_phone_number`` tracks that number's
  Destination (created when new; the docs: "a Destination ... will be generated"), linked to
  the pool and its campaign, with the pool's ``obfuscated_tag_id``; a revision of an Invoca
  Tag going live reports the numbers it names (``numbers_to_replace``,
  ``numbers_to_not_replace``: numbers on the tag's pages) and each one the network does not
  know yet becomes a discovered Destination (no pool; ``primary_url`` the tag's
  ``landing_page_url``).
* Status (the list's ``status`` filter): ``tracked`` when a RingPool tracks it,
  ``discovered`` when neither ignored nor tracked, ``ignored`` once ignored (no API ignores a
  number, so only a world file could; none does yet).
* A deleted RingPool leaves its Destinations discovered; with
  ``delete_detected_phone_number=true`` they are deleted with it. Deleting a Destination
  unlinks it from its RingPool (which keeps its numbers).
* The list pages by ``start`` and ``limit`` (default 100) after ``query`` (digits of the
  phone number), ``status``, ``sort_by`` (default ``id``) and ``sort_dir`` (default ``asc``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from simulator.errors import RecordInvalid
from simulator.resources.records import Destination, Network
from simulator.resources.store import Resource, Store

__all__ = ["DestinationQuery", "Destinations", "discover", "drop_pool", "track"]

KIND = "CustomerPhoneNumber"
STATUSES = ("ignored", "tracked", "discovered")
SORT_COLUMNS = ("id", "phone_number", "country_code", "primary_url", "created_at", "updated_at")
DEFAULT_LIMIT = 100


def digits_of(number: Any) -> str | None:
    """The 10 national digits of a North American number in any common form, else None."""
    digits = re.sub(r"\D", "", str(number or ""))
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits if len(digits) == 10 else None


def _formatted(digits: str) -> str:
    return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"


def status_of(destination: Destination) -> str:
    if destination.ignored_at is not None:
        return "ignored"
    return "tracked" if destination.ring_pool is not None else "discovered"


def _by_number(network: Network, digits: str) -> Destination | None:
    return next((d for d in network.destinations.values() if d.phone_number == digits), None)


def _new(store: Store, now: datetime, network: Network, digits: str) -> Destination:
    ident = store.next_id(KIND)
    destination = Destination(ident, digits, now, now)
    network.destinations[str(ident)] = destination
    return destination


def track(store: Store, now: datetime, network: Network, pool: Any, campaign: Any) -> None:
    """The pool's Destinations (its ``customer_phone_numbers``) exist and are tracked by it."""
    tags = network.js_tags
    for linked in pool.properties.get("destinations") or ():
        digits = linked["destination_phone_number"]
        destination = _by_number(network, digits) or _new(store, now, network, digits)
        tag = (linked.get("js_tag") or {}).get("obfuscated_tag_id")
        changed = (destination.ring_pool is not pool or destination.js_tag_id != tag)
        destination.ring_pool, destination.campaign = pool, campaign
        destination.js_tag_id = tag
        if tag in tags and not destination.primary_url:
            destination.primary_url = tags[tag].values.get("landing_page_url") or ""
        if changed:
            destination.updated_at = now


def discover(store: Store, now: datetime, network: Network, numbers: Iterable[Any], *,
             primary_url: str, tag_id: str) -> None:
    """Numbers a tag reported on its pages: the new ones become discovered Destinations."""
    for number in numbers:
        digits = digits_of(number)
        if digits is None or _by_number(network, digits) is not None:
            continue
        destination = _new(store, now, network, digits)
        destination.primary_url = primary_url
        destination.js_tag_id = tag_id


def drop_pool(network: Network, pool: Any, *, delete: bool, now: datetime | None) -> None:
    """A RingPool was deleted: its Destinations are discovered again, or deleted with it."""
    for key, destination in list(network.destinations.items()):
        if destination.ring_pool is pool:
            if delete:
                del network.destinations[key]
            else:
                destination.ring_pool = None
                if now is not None:
                    destination.updated_at = now


class DestinationQuery:
    """The list's query: paging, search, status filter and order (validated)."""

    def __init__(self, *, limit: Any = None, start: Any = None, query: Any = None,
                 status: Any = None, sort_by: Any = None, sort_dir: Any = None) -> None:
        problems: dict[str, list[str]] = {}
        self.limit = _count(limit, DEFAULT_LIMIT, "limit", problems)
        self.start = _count(start, 0, "start", problems)
        self.query = "" if query is None else str(query).strip()
        self.status = None if status in (None, "") else str(status)
        if self.status is not None and self.status not in STATUSES:
            problems["status"] = ["is not included in the list"]
        self.sort_by = "id" if sort_by in (None, "") else str(sort_by)
        if self.sort_by not in SORT_COLUMNS:
            problems["sort_by"] = ["is not included in the list"]
        self.sort_dir = "asc" if sort_dir in (None, "") else str(sort_dir).lower()
        if self.sort_dir not in ("asc", "desc"):
            problems["sort_dir"] = ["is not included in the list"]
        if problems:
            raise RecordInvalid(field_errors=problems)

    def select(self, destinations: Iterable[Destination]) -> tuple[list[Destination], int]:
        """The page of ``destinations`` and how many matched in all."""
        wanted = re.sub(r"\D", "", self.query)
        found = [d for d in destinations
                 if (not self.query or (wanted and wanted in d.phone_number)
                     or self.query in _formatted(d.phone_number))
                 and (self.status is None or status_of(d) == self.status)]

        def key(d: Destination) -> Any:
            if self.sort_by == "id":
                return d.id
            if self.sort_by == "phone_number":
                return d.phone_number
            if self.sort_by == "country_code":
                return ("1", d.id)
            if self.sort_by == "primary_url":
                return (d.primary_url, d.id)
            return (getattr(d, self.sort_by), d.id)

        found.sort(key=key, reverse=self.sort_dir == "desc")
        return found[self.start:self.start + self.limit], len(found)


def _count(value: Any, default: int, name: str, problems: dict[str, list[str]]) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        problems[name] = ["is not a number"]
        return default
    if number < 0 or number > 2**31 - 1:
        problems[name] = ["must be in 0..2147483647"]
        return default
    return number


class Destinations(Resource):
    """The Destinations of a network (read and delete; RingPools and tags make them)."""

    def missing(self, parent: Any, key: Any) -> str:
        return f"Destination not found with id: '{key}'"

    def unlink(self, store: Store, parent: Any, obj: Any) -> None:
        del parent.destinations[str(obj.id)]
        pool = obj.ring_pool
        if pool is not None:
            pool.properties["destinations"] = [
                d for d in pool.properties.get("destinations") or ()
                if d["destination_phone_number"] != obj.phone_number]

    def ident(self, obj: Any) -> tuple[int, str]:
        return obj.id, obj.phone_number

    def listing(self, shown: list[dict[str, Any]]) -> dict[str, Any]:
        return {"data": shown, "requestId": None, "recordsTotal": len(shown)}

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        campaign, pool = obj.campaign if obj.ring_pool is not None else None, obj.ring_pool
        values: Mapping[str, Any] = pool.properties["values"] if pool is not None else {}
        return {
            "id": str(obj.id),
            "country_code": "1",
            "phone_number": _formatted(obj.phone_number),
            "primary_url": obj.primary_url,
            "requested_destination_name": "",
            "acknowledged_at": None,
            "created_at": obj.created_at.strftime("%Y-%m-%d %H:%M:%S %z"),
            "updated_at": obj.updated_at.strftime("%Y-%m-%d %H:%M:%S %z"),
            "advertiser_campaign": {
                "id_from_network": campaign.id_from_network if campaign else None,
                "name": campaign.values.get("name") if campaign else None,
                "status": campaign.status if campaign else None,
            },
            "dynamic_number_pool": {
                "id_from_network": pool.properties["id_from_network"] if pool else None,
                "name": values.get("name") if pool else None,
                "pool_type": values.get("pool_type") if pool else None,
                "destination_type": values.get("destination_type") if pool else None,
                "lifetime_seconds": values.get("lifetime_seconds") if pool else None,
                "max_pool_size": values.get("max_pool_size") if pool else None,
                "preferred": values.get("preferred") if pool else None,
                "is_first_preference": _first_preference(obj) if pool else None,
                "use_custom_data": bool(values.get("use_custom_data", True)) if pool else None,
            },
            "ignored_at": None if obj.ignored_at is None
            else obj.ignored_at.strftime("%Y-%m-%d %H:%M:%S %z"),
            "notified_at": None,
        }


def _first_preference(destination: Destination) -> bool:
    """Whether the destination's number is its pool's current ``destination_phone_number``."""
    pool = destination.ring_pool
    if pool is None:
        return False
    current = digits_of(pool.properties["values"].get("destination_phone_number"))
    return current == destination.phone_number
