"""Suite 4, idempotency and versions: what repeating a write does, and what a version allows.

Idempotency (Network Integration, for each top-level resource in :data:`RESOURCES`):

* POST twice with the same ``id_from_network`` = one object (both answers have a documented
  success status and the same Invoca ``id``; the list holds it once);
* PUT of a missing ``id_from_network`` creates it (upsert), with the documented status;
* DELETE twice answers 200 ``{}`` both times, and the object is gone (404).

Versions (``x-versions`` on request and response properties, both ends inclusive):

* a request property outside the path's version is refused with 403 ``InvalidInput``
  (:data:`REFUSED_PROPERTIES` lists the requests);
* a response property outside the path's version is left out (:func:`out_of_version`,
  applied to every object a response holds);
* a date between two published versions answers like the earlier published one (the
  contract's ``x-version-resolution``; :data:`RESOLVED_READS`), and a sandbox names that
  version in ``X-Sandbox-Api-Version``. A sandbox serving published dates only
  (``strict_versions`` in its health) skips this check.

Choices: ids are ``contract-<kind>-<n>``; everything the suite creates it deletes again.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from contracts.deserializers import resolve


@dataclass(frozen=True)
class Resource:
    """A Network Integration resource keyed by ``id_from_network`` directly under the network."""

    kind: str
    collection: str
    create_operation: str
    update_operation: str
    delete_operation: str
    body: Mapping[str, Any]


RESOURCES = (
    Resource("advertiser", "advertisers", "createAdvertiser", "updateAdvertiser",
             "deleteAdvertiser", {"name": "Contract Advertiser"}),
    Resource("affiliate", "affiliates", "createAffiliate", "updateAffiliate", "deleteAffiliate",
             {"name": "Contract Affiliate"}),
)


@dataclass(frozen=True)
class RefusedProperty:
    """A request that sends one property outside the path's version."""

    name: str
    operation_id: str
    version: str
    method: str
    #: path under ``/api/{version}/{network_id}/``, with ``{advertiser}``/``{campaign}``/
    #: ``{ring_pool}`` filled from the world
    path: str
    body: Mapping[str, Any]
    property_name: str
    known_deviation: str | None = None


REFUSED_PROPERTIES = (
    RefusedProperty("ring-pool-allow-overflow-before-2019", "updateRingPool", "2016-10-01", "PUT",
                    "advertisers/{advertiser}/advertiser_campaigns/{campaign}/ring_pools/"
                    "{ring_pool}.json", {"allow_overflow": False}, "allow_overflow"),
    RefusedProperty("advertiser-custom-data-before-2016-12", "createAdvertiser", "2016-10-01",
                    "POST",
                    "advertisers.json",
                    {"id_from_network": "contract-version-1", "name": "Contract",
                     "custom_data": []}, "custom_data"),
    RefusedProperty("ring-pool-pool-type-after-2018-11", "updateRingPool", "2019-05-01", "PUT",
                    "advertisers/{advertiser}/advertiser_campaigns/{campaign}/ring_pools/"
                    "{ring_pool}.json", {"pool_type": "Custom"}, "pool_type"),
    RefusedProperty("network-user-email-settings-before-2017-04", "createNetworkUser",
                    "2016-10-01", "POST",
                    "network.json",
                    {"users": [{"id_from_network": "contract-user-1", "first_name": "C",
                                "last_name": "T", "role": "Observer",
                                "email_settings": [{"email_address": "c@example.com",
                                                    "use_for_notifications": True}]}]},
                    "email_settings"),
)


#: the header a sandbox names the version it served in
VERSION_HEADER = "X-Sandbox-Api-Version"


@dataclass(frozen=True)
class ResolvedRead:
    """A GET at an unpublished date and the published version it must answer like."""

    operation_id: str
    #: path under ``/api/{version}/{network_id}/`` (placeholders as in RefusedProperty)
    path: str
    requested: str
    published: str


RING_POOL_ITEM = ("advertisers/{advertiser}/advertiser_campaigns/{campaign}/ring_pools/"
                  "{ring_pool}.json")
RESOLVED_READS = (
    # between 2018-11-01 (pool_type, param1..) and 2019-05-01 (allow_overflow, ...)
    ResolvedRead("getRingPool", RING_POOL_ITEM, "2019-01-01", "2018-11-01"),
    ResolvedRead("getRingPool", RING_POOL_ITEM, "2020-01-01", "2019-05-01"),
    ResolvedRead("listAdvertiser", "advertisers.json", "2017-01-15", "2016-12-01"),
)


def in_version(marker: Any, version: str) -> bool:
    """Whether an ``x-versions`` marker includes ``version`` (dates compare as text)."""
    if not isinstance(marker, Mapping):
        return True
    start = marker.get("from")
    until = marker.get("until")
    return not ((start is not None and version < str(start))
                or (until is not None and version > str(until)))


def _schemas(document: Mapping[str, Any], schema: Any) -> Iterator[Mapping[str, Any]]:
    """``schema`` and the branches of its ``oneOf``/``anyOf``/``allOf``, resolved."""
    schema = resolve(document, schema)
    if not isinstance(schema, Mapping):
        return
    yield schema
    for key in ("oneOf", "anyOf", "allOf"):
        for branch in schema.get(key, ()) or ():
            yield from _schemas(document, branch)


def out_of_version(document: Mapping[str, Any], schema: Any, value: Any, version: str,
                   where: str = "$") -> list[str]:
    """Paths of properties in ``value`` that ``schema`` marks as absent from ``version``."""
    found: list[str] = []
    for branch in _schemas(document, schema):
        if isinstance(value, Mapping):
            for name, sub in (branch.get("properties") or {}).items():
                if name not in value:
                    continue
                resolved = resolve(document, sub)
                if isinstance(resolved, Mapping) and not in_version(
                        resolved.get("x-versions"), version):
                    found.append(f"{where}.{name}")
                    continue
                found += out_of_version(document, sub, value[name], version, f"{where}.{name}")
        elif isinstance(value, list) and "items" in branch:
            for index, item in enumerate(value):
                found += out_of_version(document, branch["items"], item, version,
                                        f"{where}[{index}]")
    return sorted(set(found))


def success_statuses(operation: Mapping[str, Any]) -> set[int]:
    return {int(code) for code in operation.get("responses", {})
            if str(code).isdigit() and 200 <= int(code) < 300}
