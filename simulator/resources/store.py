"""The generic store: get, list, upsert and delete over the resource declarations.

Rules of this module:

* A :class:`Resource` is declared once (:mod:`simulator.resources`): its name, the resource
  holding it (``parent``; the network holds the top ones), the contract schema its fields come
  from, the Platform operations that act on it, and hooks for its real special cases. The
  defaults here are the rules every resource shares; a hook overrides one of them.
* Paths address objects by the ids after the network's, parents first: locating an object
  locates its parents, and a missing one is ``RecordNotFound`` with its resource's message
  (docs/fidelity.md N1), the nearest missing parent first.
* Create and update are upserts (design principles): creating an existing object updates it,
  updating a missing one creates it; deleting a missing object is a no-op. On an item path
  the body's ``id_from_network``, when given, takes precedence over the path's (the docs, of
  the advertiser POST: "the body's id will take precedence over the URL"); integer ids are
  stored as their decimal strings.
* Updates merge: fields present in the body replace the stored ones, absent fields keep their
  values (a complete copy behaves as a replacement; a partial body does not wipe other
  fields). Fields a GET returns that cannot be written are ignored, so a GET's copy sent back
  changes nothing (self-correction).
* Validation happens fully before any mutation: a refused request changes nothing. Every
  change is an :class:`~simulator.resources.records.ObjectChanged` event.
* Not thread-safe by itself: the Platform facade serialises mutations with one lock. Reads of
  ``ring_pools_by_id`` and ``number_owners`` (plain dicts) are safe from other threads.
* No I/O, no wall clock: ``now`` is passed in; randomness comes from the seeded streams handed
  to :class:`Store`.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

from simulator.errors import RecordInvalid, RecordNotFound
from simulator.events import EventLog
from simulator.fields import (
    FieldSpec,
    blank,
    coerce,
    fields_of,
    in_order,
    key_field,
    raise_if,
    validate_fields,
)
from simulator.number_shares import NumberShares
from simulator.resources.records import (
    Advertiser,
    Affiliate,
    Network,
    NumberOwner,
    ObjectChanged,
    RingPoolPlacement,
)
from simulator.ringpool import RingPool

__all__ = [
    "ACTIONS",
    "DEFAULT_BASE_URL",
    "Resource",
    "Store",
    "id_from_network",
    "require_object",
]

DEFAULT_BASE_URL = "https://invoca.net"
#: what an operation does to its resource
ACTIONS = frozenset({"list", "get", "upsert", "delete"})


def require_object(body: Any) -> Mapping[str, Any]:
    """``body`` when it is a JSON object; RecordInvalid otherwise."""
    if not isinstance(body, Mapping):
        raise RecordInvalid("The request body must be a JSON object")
    return body


def id_from_network(body: Mapping[str, Any], path_id: str | None) -> tuple[str, str | None]:
    """An object's id_from_network: the body's when it has one, else the path's; with the
    problem when there is neither (or the body's is not text)."""
    require_object(body)
    value, problem = coerce(key_field(), body.get("id_from_network"))
    if problem is None and not blank(value):
        return str(value), None
    if path_id is not None:
        return str(path_id), None
    return "", problem or "can't be blank"


@dataclass(frozen=True, kw_only=True, eq=False)
class Resource:
    """One Network Integration resource: a declaration and its hooks (overridden by kind).

    ``operations`` maps each Platform operation acting on the resource to its action
    (:data:`ACTIONS`). ``schema`` names the contract's write schema its fields come from,
    ``without`` the properties that are not stored values (the key, instructions).
    """

    name: str
    kind: str
    parent: Resource | None
    schema: str | None = None
    #: the contract's response schema: the fields a GET shows, in their order
    shape: str | None = None
    #: the parent's attribute holding this resource's objects by key
    held_in: str = ""
    without: tuple[str, ...] = ("id_from_network",)
    operations: Mapping[str, str] = field(default_factory=dict)
    #: whether a create or update answers the object (else ``{}``, as the docs show)
    answers_writes: bool = True
    #: the resource whose id is this one's path key (an affiliate's, for the resources of
    #: an affiliate under an advertiser): it must exist
    keyed_by: Resource | None = None

    def __post_init__(self) -> None:
        unknown = set(self.operations.values()) - ACTIONS
        if unknown:
            raise ValueError(f"{self.name}: unknown actions {sorted(unknown)}")

    @functools.cached_property
    def depth(self) -> int:
        """How many path ids after the network's address one object."""
        return 0 if self.parent is None else self.parent.depth + 1

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return fields_of(self.schema, self.without) if self.schema else ()

    def key_of(self) -> Resource:
        """The resource :attr:`keyed_by` names."""
        if self.keyed_by is None:
            raise TypeError(f"{self.name} is keyed by its own id_from_network")
        return self.keyed_by

    # ---- where objects live ------------------------------------------------------------

    def members(self, parent: Any) -> Mapping[str, Any]:
        """The parent's objects of this resource, by key."""
        members: Mapping[str, Any] = getattr(parent, self.held_in)
        return members

    def items(self, parent: Any) -> Iterable[Any]:
        return self.members(parent).values()

    def find(self, parent: Any, key: Any) -> Any | None:
        return self.members(parent).get(str(key))

    def missing(self, parent: Any, key: Any) -> str:
        """The RecordNotFound message for ``key`` under ``parent`` (N1)."""
        raise NotImplementedError(self.name)

    # ---- writes ------------------------------------------------------------------------

    def read_body(self, body: Any, key: Any) -> Any:
        """The body a write works on, checked before anything else is looked at."""
        return body

    def prepare(self, store: Store, parent: Any, key: Any, body: Mapping[str, Any],
                version: str | None) -> tuple[str, Any | None, Any]:
        """Check a write (RecordInvalid with every problem; nothing changes): its key, the
        object it updates (None: it creates one) and what :meth:`create`/:meth:`update`
        apply (by default the merged field values)."""
        problems: dict[str, list[Any]] = {}
        key, problem = id_from_network(body, key)
        if problem:
            problems["id_from_network"] = [problem]
        existing = self.find(parent, key) if key else None
        values = validate_fields(self.fields, body, existing.values if existing else None,
                                 errors=problems)
        self.check(store, parent, values, problems, existing=existing)
        raise_if(problems)
        return key, existing, self.complete(values, body=body, version=version)

    def check(self, store: Store, parent: Any, values: dict[str, Any],
              problems: dict[str, list[Any]], *, existing: Any | None) -> None:
        """Cross-field rules, adding to ``problems`` (none by default)."""

    def complete(self, values: dict[str, Any], *, body: Mapping[str, Any],
                 version: str | None) -> Any:
        """The values once the field rules passed (embedded lists checked, derived parts)."""
        return values

    def create(self, store: Store, now: datetime, parent: Any, key: str, write: Any) -> Any:
        raise NotImplementedError(self.name)

    def update(self, store: Store, now: datetime, obj: Any, write: Any) -> None:
        obj.values = write

    # ---- deletes -----------------------------------------------------------------------

    def remove(self, store: Store, parent: Any, key: Any) -> Any | None:
        """Unlink the object ``key`` names (None when there is none: a no-op)."""
        found = self.find(parent, key)
        if found is not None:
            self.unlink(store, parent, found)
        return found

    def unlink(self, store: Store, parent: Any, obj: Any) -> None:
        raise NotImplementedError(self.name)

    # ---- reading -----------------------------------------------------------------------

    def ident(self, obj: Any) -> tuple[int, str] | None:
        """The ids an ObjectChanged event names (None: the resource has no events)."""
        return obj.id, obj.id_from_network

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        """The object as a GET shows it (any order: :meth:`show` orders it)."""
        raise NotImplementedError(self.name)

    def listing(self, shown: list[dict[str, Any]]) -> Any:
        """A list answer from the objects as shown (the array itself by default; a resource
        whose docs wrap it, ``{"data": [...], "recordsTotal": n}``, overrides this)."""
        return shown

    def show(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        """The object as a GET shows it, in the order of :attr:`shape`."""
        body = self.render(store, obj, version)
        return in_order(body, self.shape) if self.shape else body


class Store:
    """Every network and what it holds, with the generic rules of every resource."""

    def __init__(
        self,
        *,
        inventory: NumberShares,
        key_rng: random.Random,
        events: EventLog,
        base_url: str = DEFAULT_BASE_URL,
        retention: int | None = None,
    ) -> None:
        self.inventory = inventory
        self.key_rng = key_rng
        self.events = events
        #: the base of tracking URLs (``tracking_url``, a ring pool's ``test_click_url``)
        self.base_url = base_url.rstrip("/")
        self.retention = retention
        self.networks: dict[int, Network] = {}
        self.ring_pools_by_id: dict[int, RingPoolPlacement] = {}
        #: 10-digit number -> its owner: O(1) attribution of a call
        self.number_owners: dict[str, NumberOwner] = {}
        self.advertisers_by_id: dict[int, Advertiser] = {}
        self.affiliates_by_id: dict[int, tuple[Network, Affiliate]] = {}
        self._sequences: dict[str, int] = {}

    # ---- ids, keys, events ---------------------------------------------------------------

    def next_id(self, kind: str) -> int:
        value = self._sequences.get(kind, 0) + 1
        self._sequences[kind] = value
        return value

    def new_api_key(self) -> str:
        return "".join(self.key_rng.choice("0123456789ABCDEF") for _ in range(14))

    def emit(self, now: datetime, network: Network, resource: Resource, change: str,
             obj: Any) -> None:
        ident = resource.ident(obj)
        if ident is not None:
            self.events.append(ObjectChanged(now, network.id, resource.kind, change, *ident))

    # ---- networks ---------------------------------------------------------------------------

    def add_network(self, name: str, *, id: int | None = None,
                    affiliate_id_param: str = "pid") -> Network:
        network_id = id if id is not None else self.next_id("Network")
        if network_id in self.networks:
            raise RecordInvalid(field_errors={"id": ["has already been taken"]})
        self._sequences["Network"] = max(self._sequences.get("Network", 0), network_id)
        network = Network(network_id, name, affiliate_id_param)
        self.networks[network_id] = network
        self.inventory.add_network(network_id)
        return network

    def network(self, network_id: int | str) -> Network:
        try:
            return self.networks[int(network_id)]
        except (KeyError, ValueError, TypeError):
            raise RecordNotFound(f"Could not find Network {network_id}") from None

    # ---- the generic actions -----------------------------------------------------------------

    def locate(self, resource: Resource, network: Network, ids: Sequence[Any]) -> Any:
        """The object ``ids`` address (parents first; RecordNotFound for the first missing)."""
        if resource.parent is None:
            return network
        parent = self.locate(resource.parent, network, ids[:-1])
        found = resource.find(parent, ids[-1])
        if found is None:
            raise RecordNotFound(resource.missing(parent, ids[-1]))
        return found

    def _parent_and_key(self, resource: Resource, network: Network,
                        ids: Sequence[Any]) -> tuple[Any, Any]:
        """The parent ``ids`` address and the path's key (None on a collection path)."""
        if resource.parent is None:
            return network, None
        if len(ids) == resource.depth:
            return self.locate(resource.parent, network, ids[:-1]), ids[-1]
        return self.locate(resource.parent, network, ids), None

    def list(self, resource: Resource, network: Network, ids: Sequence[Any]) -> list[Any]:
        assert resource.parent is not None
        return list(resource.items(self.locate(resource.parent, network, ids)))

    def upsert(self, resource: Resource, now: datetime, network: Network, ids: Sequence[Any],
               body: Any, *, version: str | None) -> Any:
        """Create or update (see the module rules); the object."""
        parent, key = self._parent_and_key(resource, network, ids)
        key, existing, write = resource.prepare(self, parent, key, require_object(body),
                                                version)
        if existing is None:
            obj = resource.create(self, now, parent, key, write)
            self.emit(now, network, resource, "created", obj)
            return obj
        resource.update(self, now, existing, write)
        self.emit(now, network, resource, "updated", existing)
        return existing

    def delete(self, resource: Resource, now: datetime, network: Network,
               ids: Sequence[Any]) -> None:
        parent, key = self._parent_and_key(resource, network, ids)
        removed = resource.remove(self, parent, key)
        if removed is not None:
            self.emit(now, network, resource, "deleted", removed)

    # ---- numbers shared by promo numbers and ring pools ------------------------------------

    def issue_number(self, network: Network, npas: Sequence[str] | None) -> str:
        """A number of the network's share: local from ``npas`` when one is free, else
        toll-free (NumbersExhausted when none is left)."""
        return self.inventory.issue(network.id, npas)

    def release_number(self, network: Network, number: str) -> None:
        """A number left its pool or promo number: back in the network's share after the
        quarantine."""
        self.inventory.release(network.id, number)

    # ---- tracking URLs (stay in the model for now) ------------------------------------------

    def tracking_url(self, pool: RingPool, number: str | None = None) -> str:
        """The click-through URL of a pool (with the allocated number when given).

        Modelled on the docs' example ``https://invoca.net/c/1/14-11-109?us=...``:
        ``<base>/c/<network id>/<advertiser id>-<campaign id>-<ring pool id>?us=<landing>``
        where the landing URL is the pool's ``tracking_url`` / ``destination_url`` (or the
        base URL) with ``PPCPN=<number>`` appended (sandbox choice). The URL's fixed part is
        computed once per pool configuration (allocation is the hot path).
        """
        cached = pool.properties.get("tracking")
        if cached is None:
            cached = self._refresh_tracking(pool)
        prefix, bare = cached
        return bare if number is None else prefix + number

    def _refresh_tracking(self, pool: RingPool) -> tuple[str, str]:
        placement = self.ring_pools_by_id[pool.id]
        values = pool.properties["values"]
        landing = values.get("tracking_url") or values.get("destination_url") or self.base_url
        head = (
            f"{self.base_url}/c/{placement.network.id}/"
            f"{placement.advertiser.id}-{placement.campaign.id}-{pool.id}?us="
        )
        marker = ("&" if "?" in landing else "?") + "PPCPN="
        cached = (head + quote(landing + marker, safe=""), head + quote(landing, safe=""))
        pool.properties["tracking"] = cached
        return cached
