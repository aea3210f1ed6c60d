"""The Platform facade: the one object the mock server (and scenarios) talk to.

Rules of this module:

* One method per contract operation, named after its ``operationId`` in snake_case
  (``createRingPool`` -> :meth:`Platform.create_ring_pool`). Methods take the path ids, the
  parsed body or query and the API ``version``; they return plain data and raise
  :class:`~simulator.errors.SandboxError` subclasses. No HTTP status codes here: the mock maps
  verbs and error status hints. The Network Integration resource operations are made from
  their declarations (:mod:`simulator.network`): one generic operation scopes the principal
  to the path's network, then lists, gets, upserts or deletes through the store
  (:mod:`simulator.resources.store`); an object's pages are :class:`Link` values the HTTP edge
  writes as URLs. The campaign actions (go_live, archive, unarchive) and quick stats are
  written out here.
* Everything random is seeded from ``seed`` through derived streams
  (:class:`~simulator.settings.Streams`). Time comes from the :class:`~simulator.clock.Clock`
  passed in.
* Concurrency: one re-entrant lock around the store (every Network Integration call,
  calls and transactions). Allocation does not take it: it reads the pool from a dict and
  the :class:`~simulator.ringpool.RingPool` locks only itself, so allocations on different
  pools never contend (the hot path).
* Auth: :meth:`Platform.authenticate` turns a token or HTTP Basic credentials into a
  :class:`Principal` (network, advertiser or affiliate role); a principal reaches only its
  own network. Network Integration operations need the network role. Allocation is
  authorised by the pool's ``ring_pool_key`` alone.
* Every state-changing call is journaled (:mod:`simulator.journal`, :class:`Journaled`) with
  the instant it saw as ``now``; :meth:`Platform.export_state` carries the journal and
  :meth:`Platform.import_state` rebuilds the same state by replaying it from the seed.
* Beyond the contract operations: :meth:`~Platform.simulate_call`,
  :meth:`~Platform.advance_clock`, :meth:`~Platform.set_clock`, :meth:`~Platform.reset`,
  :meth:`~Platform.use_world`, :meth:`~Platform.allocations`,
  :meth:`~Platform.world_summary`, :meth:`~Platform.export_state`,
  :meth:`~Platform.import_state`, :meth:`~Platform.new_error_handle`.

Sandbox choices (for docs/fidelity.md):

* A non-network principal on a Network Integration path, or any principal on another
  network's path, is ``Unauthorized``.
* Allocation on an unknown ring pool id is ``InvalidKey`` (the same answer as a wrong key, so
  ids cannot be probed).
* ``mobile_click_to_call`` (any of 1/true/yes) makes the tracking URL ``tel:+1<number>``.
* Bulk RingPool API: a malformed ``api_suffix`` is a row error ``InvalidInput``; a non-Custom
  pool is a row error ``RecordInvalid`` "The Bulk RingPool API supports Custom RingPools
  only"; a row without any pool parameter is ``RecordInvalid`` "At least one RingPool
  parameter is required"; more rows than ``bulk_batch_limit`` (default 1,000) or no rows
  fail the whole request with ``RecordInvalid``. Both ``requests`` and ``request`` keys are
  accepted.
* A simulated call may not start in the future (``RecordInvalid {"start_time": [...]}``);
  calls to unknown numbers are ``RecordNotFound``. Calls default to 60 s and a fictional
  caller number (NXX-555-01XX).
* Transactions read through an advertiser/affiliate path by a network principal use that
  path's role's columns; unknown ids in the network's own paths return ``[]``.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from itertools import compress, repeat
from operator import contains, eq, itemgetter, methodcaller
from typing import Any, cast
from urllib.parse import parse_qsl

from simulator.clock import Clock, as_utc
from simulator.conversions import CallScope, ConversionBook
from simulator.errors import (
    InvalidInput,
    InvalidKey,
    NotFound,
    OnlyBulkNumberAllocationAllowed,
    RecordInvalid,
    RecordNotFound,
    SandboxError,
    Unauthorized,
    UnauthorizedAdvertiser,
    UnauthorizedOperation,
)
from simulator.events import Event, EventLog
from simulator.journal import Journal, Journaled, journal_commands
from simulator.network import ADVERTISERS, CAMPAIGNS, OPERATIONS, export_networks, formatted
from simulator.numbers import NumberInventory, parse_number
from simulator.principals import Keyring, Principal
from simulator.resources.campaigns import check_timeout, go_live, quick_stats, set_status
from simulator.resources.parties import add_prompt_recording
from simulator.resources.records import (
    Advertiser,
    AdvertiserCampaign,
    Link,
    Network,
    RingPoolPlacement,
)
from simulator.resources.store import Resource, Store, require_object
from simulator.ringpool import CUSTOM_PARAMS, Allocation, RingPool
from simulator.rows import Table
from simulator.settings import PlatformSettings, Streams
from simulator.transactions import (
    RANKING_COLUMNS,
    CustomValue,
    Transaction,
    TransactionIds,
    TransactionLog,
    TransactionQuery,
    blank_row,
    columns_for,
    time_fields,
)
from simulator.world import World, populate_demo_world, populate_world

__all__ = [
    "AllocationResult",
    "CallAttributed",
    "Platform",
    "PlatformSettings",
    "Principal",
]

_TRUE = frozenset({"1", "true", "yes", "on"})
_PARTITION_EQUALS = methodcaller("partition", "=")
_SPLIT_EQUALS = methodcaller("split", "=", 1)
_FIRST, _SECOND, _THIRD = itemgetter(0), itemgetter(1), itemgetter(2)
_FOURTH, _FIFTH = itemgetter(3), itemgetter(4)
#: run an iterator of calls for their effect, in C (the itertools "consume" recipe)
_consume = deque[object](maxlen=0).extend
_SUFFIX = re.compile(r"^/?(?P<id>\d+)/allocate_number\.(?P<format>json|xml|csv)\?(?P<query>.*)$")
_CALLER_NPAS = ("212", "213", "312", "415", "617", "702", "805", "303", "206", "404")


#: a Bulk row's checked pool: placement, the names that count as a RingPool parameter, the
#: network's affiliate id parameter, and the affiliate id when a row gives none
_BulkPool = tuple[RingPoolPlacement, frozenset[str], str | None, str | None]


class _BulkBatch:
    """Valid Bulk rows waiting for one :meth:`RingPool.allocate_rows` call (consecutive rows
    of one pool), in parallel lists: their places among the rows, request ids, queries and
    affiliate ids."""

    __slots__ = ("affiliates", "indices", "placement", "queries", "request_ids")

    def __init__(self) -> None:
        self.placement: RingPoolPlacement | None = None
        self.indices: list[int] = []
        self.request_ids: list[Any] = []
        self.queries: Sequence[dict[str, str]] = []  # (a Table when one request's rows)
        self.affiliates: list[str | None] = []

    def clear(self) -> None:
        """Empty the batch: its lists in place (the row loop holds their ``append``)."""
        self.indices.clear()
        self.request_ids.clear()
        self.affiliates.clear()
        if isinstance(self.queries, list):
            self.queries.clear()
        else:  # one request's Table
            self.queries = []


@dataclass(frozen=True, slots=True)
class AllocationResult:
    """What the RingPool APIs answer: the allocation plus its rendered number and URL."""

    allocation: Allocation
    promo_number: str
    promo_number_formatted: str
    tracking_url: str

    @property
    def overflow(self) -> bool:
        return self.allocation.overflow

    def to_dict(self) -> dict[str, Any]:
        """The legacy API's JSON body (no overflow flag: the legacy API has none)."""
        return {
            "promo_number_formatted": self.promo_number_formatted,
            "tracking_url": self.tracking_url,
            "promo_number": self.promo_number,
        }


@dataclass(frozen=True, slots=True)
class CallAttributed(Event):
    """A simulated call became a transaction (attributed to an allocation, or not)."""

    kind = "CallAttributed"

    transaction_id: str
    promo_number: str
    ring_pool_id: int | None
    allocation_id: int | None
    attributed: bool


class Platform(Journaled):
    """The Invoca platform model behind every API of the sandbox."""

    #: what import_state takes from the replayed copy
    STATE = ("built_at", "journal", "streams", "events", "inventory", "directory",
             "transactions", "transaction_ids", "conversions", "keyring", "world")

    def __init__(self, clock: Clock, seed: int = 0, *,
                 settings: PlatformSettings | None = None) -> None:
        self.clock = clock
        self.seed = seed
        self.settings = settings or PlatformSettings()
        self._lock = threading.RLock()
        self._start_journal()
        self.world: World | None = None
        self._build()

    # ---- state --------------------------------------------------------------------------

    def _build(self) -> None:
        settings = self.settings
        self.built_at = self.now()
        self.journal = Journal(settings.journal_limit)
        self.streams = Streams(self.seed)
        self.events = EventLog(settings.event_retention)
        self.inventory = NumberInventory(
            self.streams.numbers, fictional_only=settings.fictional_only
        )
        self.directory = Store(
            inventory=self.inventory,
            key_rng=self.streams.keys,
            events=self.events,
            base_url=settings.base_url,
            retention=settings.allocation_retention,
        )
        self.transactions = TransactionLog(settings.transaction_retention)
        self.transaction_ids = TransactionIds(self.streams.transactions)
        self.conversions = ConversionBook(self.transactions, self.transaction_ids)
        self.keyring = Keyring()
        self.world = None
        with self._unjournaled():
            if settings.world is not None:
                self.world = populate_world(self, settings.world)
            elif settings.demo_world:
                self.world = populate_demo_world(self)

    def reset(self) -> None:
        """Back to the seeded world (the clock keeps its time: it never goes backwards)."""
        with self._lock:
            self._build()

    def use_world(self, world: Mapping[str, Any] | None) -> None:
        """Rebuild from the seed with ``world`` (a parsed world file; None = demo world).

        A world file that fails to load leaves the platform as it was.
        """
        with self._lock:
            previous = self.settings
            self.settings = replace(previous, world=world, demo_world=True)
            saved = dict(self.__dict__)
            try:
                self._build()
            except BaseException:
                self.__dict__.update(saved)
                self.settings = previous
                raise

    def world_summary(self) -> dict[str, Any]:
        """What ``/_sandbox/world`` serves (``{}`` without a world)."""
        return self.world.summary() if self.world is not None else {}

    # ---- credentials ----------------------------------------------------------------------

    def new_token(self) -> str:
        """A 32-character alphanumeric API token from the keys stream."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(self.streams.keys.choice(alphabet) for _ in range(32))

    def new_error_handle(self) -> int:
        """A 10-digit InternalServiceError handle from its own stream."""
        return self.streams.errors.randrange(1_000_000_000, 10_000_000_000)

    def add_token(self, token: str, principal: Principal) -> None:
        with self._lock:
            self.keyring.tokens[token] = principal

    def add_basic_credentials(self, username: str, password: str, principal: Principal) -> None:
        with self._lock:
            self.keyring.basic[(username, password)] = principal

    def authenticate(self, *, token: str | None = None,
                     basic: tuple[str, str] | None = None) -> Principal:
        """The principal of a token or Basic credentials; ``Unauthorized`` otherwise."""
        return self.keyring.authenticate(token=token, basic=basic)

    def _network(self, principal: Principal, network_id: int | str) -> Network:
        """The principal's network (network role), checked against the path's id."""
        if str(principal.network_id) != str(network_id):
            raise Unauthorized(f"Not authorized for network {network_id}")
        if principal.role != "network":
            raise Unauthorized("Network Integration needs a network API token")
        return self.directory.network(network_id)

    def _campaign(self, principal: Principal, network_id: int | str, advertiser_id: str,
                  campaign_id: str) -> AdvertiserCampaign:
        campaign: AdvertiserCampaign = self.directory.locate(
            CAMPAIGNS, self._network(principal, network_id), (advertiser_id, campaign_id))
        return campaign

    # ---- Network Integration resources: one generic operation ------------------------------

    def _operate(self, resource: Resource, action: str, principal: Principal,
                 network_id: int | str, args: Sequence[Any], *, version: str | None) -> Any:
        """What every resource operation does (its Platform method is made from
        :data:`~simulator.network.OPERATIONS`): scope the principal to the path's network,
        then list, get, upsert or delete through the store, and render."""
        store = self.directory
        depth = resource.depth
        counts: tuple[int, ...]
        if action == "upsert" and args:  # the item's ids (or its collection's), then the body
            ids, body, counts = args[:-1], args[-1], (depth - 1, depth)
        else:
            ids, body, counts = args, None, ((depth - 1,) if action == "list" else (depth,))
        if len(ids) not in counts or (action == "upsert" and not args):
            raise TypeError(f"{resource.name} {action}: {len(args)} arguments after network_id")
        if action == "upsert":
            body = resource.read_body(body, ids[-1] if len(ids) == depth > 0 else None)
        with self._lock:
            network = self._network(principal, network_id)
            if action == "list":
                return [resource.show(store, obj, version)
                        for obj in store.list(resource, network, ids)]
            if action == "get":
                return resource.show(store, store.locate(resource, network, ids), version)
            if action == "delete":
                store.delete(resource, self.now(), network, ids)
                return {}
            obj = store.upsert(resource, self.now(), network, ids, body, version=version)
            return resource.show(store, obj, version) if resource.answers_writes else {}

    def add_prompt_recording(self, network_id: int | str, body: Mapping[str, Any]
                             ) -> dict[str, Any]:
        """A professional prompt recording (uploaded in Invoca's UI, not through the API):
        the network's, or an advertiser's when ``body`` names ``advertiser_id_from_network``."""
        with self._lock:
            return add_prompt_recording(self.directory, ADVERTISERS, network_id, body,
                                        self.now())

    # ---- advertiser campaigns: the operations that are not CRUD ---------------------------

    def go_live_advertiser_campaign(self, principal: Principal, network_id: int | str,
                                    advertiser_id: str, advertiser_campaign_id: str,
                                    body: Mapping[str, Any] | None = None, *,
                                    version: str | None = None) -> dict[str, Any]:
        """Make the campaign's terms live; ``timeout`` (2..60 s) is validated and ignored."""
        check_timeout(body)
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            go_live(self.directory, self.now(), CAMPAIGNS, campaign)
            return CAMPAIGNS.show(self.directory, campaign, version)

    def archive_advertiser_campaign(self, principal: Principal, network_id: int | str,
                                    advertiser_id: str, advertiser_campaign_id: str,
                                    body: Mapping[str, Any] | None = None, *,
                                    version: str | None = None) -> dict[str, Any]:
        return self._set_status(principal, network_id, advertiser_id, advertiser_campaign_id,
                                "Archived")

    def unarchive_advertiser_campaign(self, principal: Principal, network_id: int | str,
                                      advertiser_id: str, advertiser_campaign_id: str,
                                      body: Mapping[str, Any] | None = None, *,
                                      version: str | None = None) -> dict[str, Any]:
        return self._set_status(principal, network_id, advertiser_id, advertiser_campaign_id,
                                "Paused")

    def _set_status(self, principal: Principal, network_id: int | str, advertiser_id: str,
                    campaign_id: str, status: str) -> dict[str, Any]:
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id, campaign_id)
            set_status(self.directory, self.now(), CAMPAIGNS, campaign, status)
            return {}

    #: the GET forms of the campaign actions (2016 docs)
    go_live_advertiser_campaign_via_get = go_live_advertiser_campaign
    archive_advertiser_campaign_via_get = archive_advertiser_campaign
    unarchive_advertiser_campaign_via_get = unarchive_advertiser_campaign

    def get_advertiser_campaign_quick_stats(self, principal: Principal, network_id: int | str,
                                            advertiser_id: str, advertiser_campaign_id: str, *,
                                            version: str | None = None) -> dict[str, Any]:
        """Call counts and mean durations over 30 days, 7 days and today (UTC)."""
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            return quick_stats(self.transactions.all(), campaign.id, self.now())

    # ---- allocation (RingPool API and Bulk RingPool API) ----------------------------------

    def ring_pool_by_id(self, ring_pool_id: int | str) -> RingPool:
        """A pool by internal id (RecordNotFound when unknown)."""
        try:
            placement = self.directory.ring_pools_by_id[int(ring_pool_id)]
        except (KeyError, ValueError, TypeError):
            raise RecordNotFound(f"Could not find RingPool {ring_pool_id}") from None
        return placement.pool

    def allocate_number(self, ring_pool_id: int | str, query: Mapping[str, str], *,
                        version: str | None = None, bulk: bool = False) -> AllocationResult:
        """Allocate a promo number from a pool (legacy RingPool API semantics)."""
        key = str(query.get("ring_pool_key") or "")
        try:
            placement = self.directory.ring_pools_by_id[int(ring_pool_id)]
        except (KeyError, ValueError, TypeError):
            raise InvalidKey(
                f"API Key '{key}' is not valid for resource '{ring_pool_id}'"
            ) from None
        pool = placement.pool
        if key != pool.properties["api_key"]:
            raise InvalidKey(f"API Key '{key}' is not valid for resource '{ring_pool_id}'")
        if not bulk and pool.properties["values"].get("bulk"):
            raise OnlyBulkNumberAllocationAllowed(
                "Numbers are automatically allocated by the PNAPI server"
            )
        allocation = pool.allocate(
            self.now(), query, affiliate_id_from_network=self._affiliate(placement, query)
        )
        number = allocation.promo_number
        if str(query.get("mobile_click_to_call") or "").strip().lower() in _TRUE:
            url = f"tel:+1{number}"
        else:
            url = self.directory.tracking_url(pool, number)
        return AllocationResult(allocation, number, formatted(number), url)

    def bulk_allocate_numbers(self, body: Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
                              version: str | None = None) -> list[dict[str, Any]]:
        """Rows of the Bulk RingPool API's ``responses``, in request order.

        Every row is validated on its own (a bad row answers its error, the others still
        allocate); consecutive valid rows for the same pool are allocated in one
        :meth:`RingPool.allocate_rows` call, in request order, at the request's ``now``.

        Hot path (a row costs a few microseconds): what rows share is worked out once per
        request, not per row: the pool part of ``api_suffix`` (``2/allocate_number.json``),
        and the check of a (pool, key) pair; valid rows wait in parallel lists and get their
        answer dicts built in one step once allocated (:meth:`_bulk_allocate`).
        """
        requests = body.get("requests", body.get("request")) if isinstance(body, Mapping) else body
        if not isinstance(requests, list | tuple) or not requests:
            raise RecordInvalid("requests must be a non-empty array of {api_suffix, request_id}")
        limit = self.settings.bulk_batch_limit
        if len(requests) > limit:
            raise RecordInvalid(
                f"A bulk request may hold at most {limit} requests; got {len(requests)}"
            )
        now = self.now()
        rows: list[dict[str, Any] | None] = [None] * len(requests)
        if self._bulk_uniform(now, requests, rows):
            return rows  # type: ignore[return-value]  # every place is filled
        batch = _BulkBatch()
        add_index, add_request_id = batch.indices.append, batch.request_ids.append
        add_query = cast(list[dict[str, str]], batch.queries).append  # (a list here)
        add_affiliate = batch.affiliates.append
        pools: dict[tuple[str, str], _BulkPool] = {}  # checked (pool id, key) of this request
        heads: dict[str, str | None] = {}  # "2/allocate_number.json" -> pool id (None: invalid)
        # the previous valid row's pool id and key, and what its check gave
        last_pool_id: str | None = None
        last_key: str | None = None
        placement: RingPoolPlacement | None = None
        names: frozenset[str] = frozenset()
        affiliate_param: str | None = None
        default_affiliate: str | None = None
        for index, request in enumerate(requests):
            request_id = None
            try:
                if type(request) is not dict and not isinstance(request, Mapping):
                    raise InvalidInput("each request must be an object with api_suffix")
                request_id = request.get("request_id")
                suffix = request.get("api_suffix") or ""
                if type(suffix) is not str:
                    suffix = str(suffix)
                if "\n" in suffix:  # the pattern's own rules for line ends
                    match = _SUFFIX.match(suffix)
                    if match is None:
                        raise InvalidInput(f"Invalid api_suffix '{suffix}'")
                    pool_id, text = match["id"], match["query"]
                else:
                    head, sep, text = suffix.partition("?")
                    try:
                        pool_id = heads[head]
                    except KeyError:
                        match = _SUFFIX.match(head + "?")
                        pool_id = heads[head] = None if match is None else match["id"]
                    if pool_id is None or not sep:
                        raise InvalidInput(f"Invalid api_suffix '{suffix}'")
                if "%" in text or "+" in text:  # _parse_query(text), inlined
                    query = dict(parse_qsl(text, keep_blank_values=True))
                else:
                    try:  # every field has a "=" (the usual case): one C-level step
                        query = dict(map(_SPLIT_EQUALS, filter(None, text.split("&"))))
                    except ValueError:  # a name without "=": its value is ""
                        query = {name: value for name, _, value in
                                 map(_PARTITION_EQUALS, filter(None, text.split("&")))}
                key = query.get("ring_pool_key", "")
                if pool_id != last_pool_id or key != last_key:
                    checked = pools.get((pool_id, key))
                    if checked is None:
                        checked = pools[pool_id, key] = self._bulk_pool(pool_id, key)
                    placement, names, affiliate_param, default_affiliate = checked
                    last_pool_id, last_key = pool_id, key
                if names.isdisjoint(query):
                    raise RecordInvalid("At least one RingPool parameter is required")
            except SandboxError as error:
                row: dict[str, Any] = {} if request_id is None else {"request_id": request_id}
                _error_row(row, error)
                rows[index] = row
                continue
            if placement is not batch.placement:
                self._bulk_allocate(now, batch, rows)
                batch.placement = placement
            add_index(index)
            add_request_id(request_id)
            add_query(query)
            add_affiliate((query.get(affiliate_param) if affiliate_param else None)
                          or default_affiliate)
        self._bulk_allocate(now, batch, rows)
        return rows  # type: ignore[return-value]  # every place is filled

    def _bulk_uniform(self, now: datetime, requests: Sequence[Any],
                      rows: list[dict[str, Any] | None]) -> bool:
        """The usual Bulk request in C-level steps over all rows at once: every row an object
        whose ``api_suffix`` is a string naming the same pool with the same key, every query
        field ``name=value`` with nothing to decode (no ``%`` or ``+``), every row with a
        RingPool parameter. Then the rows are one batch (their queries a :class:`Table` when
        every row names the same fields: :func:`_suffix_table`), answered by
        :meth:`_bulk_allocate` into ``rows``, and True. Anything else: False before anything
        happened (the row-by-row loop answers it; its rules give these rows the same
        answers)."""
        if set(map(type, requests)) != {dict}:
            return False
        suffixes: list[Any] = list(map(dict.get, requests, repeat("api_suffix")))
        if set(map(type, suffixes)) != {str}:
            return False
        joined = "".join(suffixes)
        if "\n" in joined or "%" in joined or "+" in joined:
            return False
        queries: Sequence[dict[str, str]]
        shapes: Sequence[Iterable[str]]  # the field names of each row
        found = _suffix_table(suffixes)
        if found is not None:  # the same fields in every row: columns, no dict per row
            head, table = found
            queries, shapes = table, [table.names]
            keys = set(table.column("ring_pool_key") or ("",))
        else:
            parts = list(map(str.partition, suffixes, repeat("?")))
            heads = set(map(_FIRST, parts))
            if len(heads) != 1 or "" in set(map(_SECOND, parts)):
                return False
            head = heads.pop()
            try:  # every field has a "=": else the row-by-row loop's parsing
                queries = [dict(map(_SPLIT_EQUALS, filter(None, text.split("&"))))
                           for text in map(_THIRD, parts)]
            except ValueError:
                return False
            shapes = queries
            keys = set(map(dict.get, queries, repeat("ring_pool_key"), repeat("")))
        match = _SUFFIX.match(head + "?")
        if match is None or len(keys) != 1:
            return False
        try:
            placement, names, affiliate_param, default_affiliate = self._bulk_pool(
                match["id"], keys.pop())
        except SandboxError:
            return False
        if any(map(names.isdisjoint, shapes)):
            return False
        if not affiliate_param:
            affiliates = [default_affiliate] * len(queries)
        elif found is not None:
            column = found[1].column(affiliate_param)
            affiliates = ([default_affiliate] * len(queries) if column is None
                          else [value or default_affiliate for value in column])
        else:
            affiliates = [query.get(affiliate_param) or default_affiliate for query in queries]
        batch = _BulkBatch()
        batch.placement = placement
        batch.indices = list(range(len(queries)))
        batch.request_ids = list(map(dict.get, requests, repeat("request_id")))
        batch.queries = queries
        batch.affiliates = affiliates
        self._bulk_allocate(now, batch, rows)
        return True

    def _bulk_pool(self, pool_id: str, key: str) -> _BulkPool:
        """Check a Bulk row's pool and key (once per request); what its rows need."""
        placement = self.directory.ring_pools_by_id.get(int(pool_id))
        if placement is None or key != placement.pool.properties["api_key"]:
            raise InvalidKey(f"API Key '{key}' is not valid for resource '{pool_id}'")
        pool = placement.pool
        if pool.pool_type != "Custom":
            raise RecordInvalid("The Bulk RingPool API supports Custom RingPools only")
        names = frozenset(CUSTOM_PARAMS) | {n for n in pool.param_names if n}
        return placement, names, placement.network.affiliate_id_param, self._affiliate(
            placement, {}
        )

    def _bulk_allocate(self, now: datetime, batch: _BulkBatch,
                       rows: list[dict[str, Any] | None]) -> None:
        """Allocate a batch of valid rows of one pool, put their answers in ``rows`` (at the
        rows' places), then empty the batch."""
        placement = batch.placement
        if not batch.indices or placement is None:
            return
        pool = placement.pool
        answers = pool.allocate_rows(now, batch.queries, batch.affiliates)
        if self._bulk_fill(pool, batch, answers, rows):
            batch.clear()
            return
        prefix = None
        for index, request_id, query, answer in zip(batch.indices, batch.request_ids,
                                                    batch.queries, answers, strict=True):
            if type(answer) is not tuple:
                row: dict[str, Any] = {} if request_id is None else {"request_id": request_id}
                _error_row(row, pool.full_error() if answer is None
                           else cast(SandboxError, answer))
                rows[index] = row
                continue
            number = answer[2]  # the record's promo number
            mobile = query.get("mobile_click_to_call")
            if mobile and str(mobile).strip().lower() in _TRUE:
                url = f"tel:+1{number}"
            else:
                if prefix is None:
                    prefix = self.directory.tracking_url(pool, "")
                url = prefix + number
            shown = (f"{number[:3]}-{number[3:6]}-{number[6:]}"
                     if len(number) == 10 and number.isdigit() else formatted(number))
            if request_id is None:
                row = {"promo_number_formatted": shown, "promo_number": number,
                       "tracking_url": url}
            else:
                row = {"request_id": request_id, "promo_number_formatted": shown,
                       "promo_number": number, "tracking_url": url}
            if answer[3] == answer[4]:  # allocated_at == expires_at: the overflow number
                row["overflow"] = True
            rows[index] = row
        batch.clear()

    def _bulk_fill(self, pool: RingPool, batch: _BulkBatch, answers: Sequence[Any],
                   rows: list[dict[str, Any] | None]) -> bool:
        """:meth:`_bulk_allocate`'s answer rows in C-level steps when every row got a record
        of a 10-digit number and no row asks for ``mobile_click_to_call`` (the same rows its
        loop makes); False (nothing done) otherwise."""
        queries = batch.queries
        if set(map(type, answers)) != {tuple} or (
                "mobile_click_to_call" in queries.names if isinstance(queries, Table)
                else any(map(contains, queries, repeat("mobile_click_to_call")))):
            return False
        numbers = list(map(_THIRD, answers))  # the records' promo numbers
        if set(map(len, numbers)) != {10} or not "".join(numbers).isdigit():
            return False
        prefix = self.directory.tracking_url(pool, "")
        built = [
            {"promo_number_formatted": f"{number[:3]}-{number[3:6]}-{number[6:]}",
             "promo_number": number, "tracking_url": prefix + number}
            if request_id is None else
            {"request_id": request_id,
             "promo_number_formatted": f"{number[:3]}-{number[3:6]}-{number[6:]}",
             "promo_number": number, "tracking_url": prefix + number}
            for request_id, number in zip(batch.request_ids, numbers, strict=True)
        ]
        # allocated_at == expires_at: the overflow number
        for row in compress(built, map(eq, map(_FOURTH, answers), map(_FIFTH, answers))):
            row["overflow"] = True
        _consume(map(rows.__setitem__, batch.indices, built))  # (as many: one per answer)
        return True

    def _affiliate(self, placement: RingPoolPlacement, query: Mapping[str, str]) -> str | None:
        """The affiliate id of an allocation: the network's parameter, else the pool's
        affiliate campaign's affiliate."""
        affiliate_param = placement.network.affiliate_id_param
        affiliate = query.get(affiliate_param) if affiliate_param else None
        if affiliate in (None, "") and placement.affiliate_campaign is not None:
            affiliate = placement.affiliate_campaign.affiliate.id_from_network
        return None if affiliate in (None, "") else str(affiliate)

    def allocations(self, ring_pool_id: int | str) -> list[dict[str, Any]]:
        """The retained allocation log of a pool (for ``/_sandbox/allocations``)."""
        return [a.to_dict() for a in self.ring_pool_by_id(ring_pool_id).allocations()]

    # ---- clock control --------------------------------------------------------------------

    def _sweep(self, since_seq: int) -> list[Event]:
        now = self.now()
        for placement in list(self.directory.ring_pools_by_id.values()):
            placement.pool.expire(now)
        return [event for _, event in self.events.since(since_seq)]

    def advance_clock(self, seconds: float | timedelta) -> list[Event]:  # journaled
        """Move the clock forward; returns the events that fired (recycling, local fills)."""
        advance = getattr(self.clock, "advance", None)
        if advance is None:
            raise RecordInvalid("This platform's clock cannot be moved")
        with self._lock:
            seq = self.events.last_seq
            advance(seconds)
            return self._sweep(seq)

    def set_clock(self, instant: datetime) -> list[Event]:
        """Move the clock to ``instant`` (never backwards); returns the events that fired."""
        setter = getattr(self.clock, "set", None)
        if setter is None:
            raise RecordInvalid("This platform's clock cannot be moved")
        with self._lock:
            seq = self.events.last_seq
            setter(instant)
            return self._sweep(seq)

    # ---- calls --------------------------------------------------------------------------

    def _caller_number(self) -> str:
        npa = self.streams.callers.choice(_CALLER_NPAS)
        return f"{npa}555{self.streams.callers.randrange(100, 200):04d}"

    def simulate_call(
        self,
        promo_number: str,
        start_at: datetime | None = None,
        duration_seconds: int = 60,
        calling_phone_number: str | None = None,
    ) -> dict[str, Any]:
        """An inbound call to ``promo_number`` becomes a ``Call`` transaction (returned).

        Attributed to the allocation that held the number at ``start_at`` (ring pool
        numbers) or to the static promo number's campaign; the overflow number or a
        never-allocated pool number gives an unattributed transaction of the pool's campaign.
        """
        digits = parse_number(str(promo_number))
        if isinstance(duration_seconds, bool) or not isinstance(duration_seconds, int) \
                or duration_seconds < 0:
            raise RecordInvalid(field_errors={"duration_seconds": ["is not a number"]})
        caller = parse_number(calling_phone_number) if calling_phone_number else None
        with self._lock:
            now = self.now()
            at = now if start_at is None else as_utc(start_at, name="start_time")
            if at > now:
                raise RecordInvalid(field_errors={"start_time": ["can't be in the future"]})
            owner = self.directory.number_owners.get(digits)
            if owner is None:
                raise RecordNotFound(f"Could not find promo number {digits}")
            fields = blank_row()
            allocation: Allocation | None = None
            pool: RingPool | None = None
            affiliate_id_from_network: str | None = None
            custom: dict[str, CustomValue] = {}
            if owner.ring_pool_id is not None:
                placement = self.directory.ring_pools_by_id[owner.ring_pool_id]
                pool = placement.pool
                campaign = placement.campaign
                if digits != pool.overflow_number:
                    allocation = pool.attribute(digits, at)
                if allocation is not None:
                    affiliate_id_from_network = allocation.affiliate_id_from_network
                fields["media_type"] = "Pooling"
                fields.update(self._pool_fields(pool, allocation))
            else:
                promo = owner.promo_number
                assert promo is not None
                campaign = promo.campaign
                if promo.affiliate_campaign is not None:
                    affiliate_id_from_network = promo.affiliate_campaign.affiliate.id_from_network
                    fields["affiliate_campaign_id_from_network"] = (
                        promo.affiliate_campaign.id_from_network
                    )
                fields["media_type"] = promo.values.get("media_type") or ""
                fields["virtual_line_id"] = str(promo.id)
                description = promo.values.get("description") or ""
                fields["promo_line_description"] = description
                fields["advertiser_promo_line_description"] = description
                for name, value in (promo.values.get("custom_data") or {}).items():
                    custom[str(name)] = CustomValue(value, "Short Text", "VirtualLine")
            self._campaign_fields(fields, campaign, affiliate_id_from_network)
            transaction_id = self.transaction_ids.next()
            fields.update(time_fields(at))
            destination = ""
            if pool is not None:
                destination = pool.properties["values"].get("destination_phone_number") or ""
            if not destination:
                destination = campaign.advertiser.values.get("web_integration_phone_number") or ""
            fields.update({
                "transaction_id": transaction_id,
                "complete_call_id": transaction_id,
                "transaction_type": "Call",
                "duration": duration_seconds,
                "connect_duration": duration_seconds,
                "ivr_duration": 0,
                "calling_phone_number": formatted(caller or self._caller_number()),
                "destination_phone_number": _format_loose(str(destination)),
                "call_source_description": fields["media_type"],
                "call_result_description_detail": "Connected",
                "hangup_cause": "Caller: Hang-up",
                "transfer_from_type": "N/A",
            })
            transaction = self.transactions.append(Transaction(
                campaign.advertiser.network.id, at, fields, custom
            ))
            self.events.append(CallAttributed(
                now, transaction_id, digits,
                pool.id if pool is not None else None,
                allocation.id if allocation is not None else None,
                allocation is not None or pool is None,
            ))
            return transaction.to_dict()

    def _campaign_fields(self, fields: dict[str, Any], campaign: AdvertiserCampaign,
                         affiliate_id_from_network: str | None) -> None:
        advertiser = campaign.advertiser
        fields.update({
            "advertiser_id": advertiser.id,
            "advertiser_id_from_network": advertiser.id_from_network,
            "advertiser_name": advertiser.values.get("name") or "",
            "advertiser_campaign_id": campaign.id,
            "advertiser_campaign_id_from_network": campaign.id_from_network,
            "advertiser_campaign_name": campaign.values.get("name") or "",
            "advertiser_campaign_country": campaign.values.get("campaign_country") or "",
        })
        if affiliate_id_from_network is not None:
            affiliate = advertiser.network.affiliates.get(affiliate_id_from_network)
            if affiliate is not None:
                fields["affiliate_id"] = affiliate.id
                fields["affiliate_id_from_network"] = affiliate.id_from_network
                fields["affiliate_name"] = affiliate.values.get("name") or ""
                # "0 to 5, and -1 being 'new'": the sandbox ranks no affiliate, all are new
                fields.update(dict.fromkeys(RANKING_COLUMNS, "-1"))
                held = campaign.affiliate_campaigns.get(affiliate.id_from_network)
                if held is not None and not fields.get("affiliate_campaign_id_from_network"):
                    fields["affiliate_campaign_id_from_network"] = held.id_from_network

    @staticmethod
    def _pool_fields(pool: RingPool, allocation: Allocation | None) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "dynamic_number_pool_id": pool.id,
            "dynamic_number_pool_pool_type": pool.pool_type,
        }
        if allocation is None:
            return fields
        params = allocation.params
        names = pool.param_names
        for index, param in enumerate(CUSTOM_PARAMS, start=1):
            if param in params:
                name = names[index - 1] if index <= len(names) and names[index - 1] else param
                fields[f"dynamic_number_pool_referrer_param{index}_name"] = name
                fields[f"dynamic_number_pool_referrer_param{index}_value"] = params[param]
        fields["dynamic_number_pool_referrer_search_engine"] = params.get("search_engine", "")
        fields["dynamic_number_pool_referrer_search_keywords"] = params.get("search_keywords", "")
        fields["dynamic_number_pool_referrer_search_type"] = params.get("search_type", "")
        return fields

    # ---- transactions API -----------------------------------------------------------------

    def _transactions(self, role: str, network_id: int, query: Mapping[str, Any], *,
                      advertiser_id: int | None = None,
                      affiliate_id: int | None = None) -> list[dict[str, Any]]:
        parsed = TransactionQuery.from_params(query)
        rows = self.transactions.select(parsed, network_id=network_id,
                                        advertiser_id=advertiser_id, affiliate_id=affiliate_id)
        columns = columns_for(role, parsed.include_columns, parsed.exclude_columns,
                              self.transactions.custom_names(network_id))
        return self.transactions.render(rows, columns)

    def transaction_columns(self, principal: Principal, role: str,
                            query: Mapping[str, Any]) -> list[str]:
        """The columns of a ``role`` transactions page for ``query`` (the header of a CSV page
        with no rows)."""
        with self._lock:
            parsed = TransactionQuery.from_params(query)
            network_id = principal.network_id
            custom = self.transactions.custom_names(network_id) if network_id is not None else []
            return columns_for(role, parsed.include_columns, parsed.exclude_columns, custom)

    def list_network_transactions(self, principal: Principal, network_id: int | str,
                                  query: Mapping[str, Any], *,
                                  version: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            network = self._network(principal, network_id)
            return self._transactions("network", network.id, query)

    def list_advertiser_transactions(self, principal: Principal, advertiser_id: int | str,
                                     query: Mapping[str, Any], *,
                                     version: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            advertiser = self._scoped_advertiser(principal, advertiser_id)
            if advertiser is None:
                TransactionQuery.from_params(query)  # bad parameters are still refused
                return []
            return self._transactions("advertiser", advertiser.network.id, query,
                                      advertiser_id=advertiser.id)

    def list_affiliate_transactions(self, principal: Principal, affiliate_id: int | str,
                                    query: Mapping[str, Any], *,
                                    version: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            found = self._scoped_affiliate(principal, affiliate_id)
            if found is None:
                TransactionQuery.from_params(query)
                return []
            network_id, internal_id = found
            return self._transactions("affiliate", network_id, query, affiliate_id=internal_id)

    def _scoped_advertiser(self, principal: Principal,
                           advertiser_id: int | str) -> Advertiser | None:
        try:
            advertiser = self.directory.advertisers_by_id.get(int(advertiser_id))
        except (TypeError, ValueError):
            advertiser = None
        if principal.role == "network":
            if advertiser is None:
                return None
            if advertiser.network.id != principal.network_id:
                raise Unauthorized(f"Not authorized for advertiser {advertiser_id}")
            return advertiser
        if (principal.role != "advertiser" or advertiser is None
                or advertiser.network.id != principal.network_id
                or advertiser.id_from_network != principal.advertiser_id_from_network):
            raise Unauthorized(f"Not authorized for advertiser {advertiser_id}")
        return advertiser

    def _scoped_affiliate(self, principal: Principal,
                          affiliate_id: int | str) -> tuple[int, int] | None:
        try:
            found = self.directory.affiliates_by_id.get(int(affiliate_id))
        except (TypeError, ValueError):
            found = None
        if principal.role == "network":
            if found is None:
                return None
            if found[0].id != principal.network_id:
                raise Unauthorized(f"Not authorized for affiliate {affiliate_id}")
            return found[0].id, found[1].id
        if (principal.role != "affiliate" or found is None
                or found[0].id != principal.network_id
                or found[1].id_from_network != principal.affiliate_id_from_network):
            raise Unauthorized(f"Not authorized for affiliate {affiliate_id}")
        return found[0].id, found[1].id

    # ---- conversions: Signal API and legacy Conversion Reporting ---------------------------

    def _signal_scope(self, principal: Principal, search: Any) -> CallScope:
        """The calls ``principal`` may report signals on; the search's network, advertiser
        and campaign filters must be ones it reaches (403 ``UnauthorizedAdvertiser``)."""
        if principal.role == "affiliate":
            raise UnauthorizedOperation(
                "You do not have permissions to perform the requested operation."
            )
        scope = CallScope(principal.network_id, principal.advertiser_id_from_network)
        if not isinstance(search, Mapping):
            return scope
        network = search.get("network_id")
        if network not in (None, "") and str(network) != str(principal.network_id):
            raise UnauthorizedAdvertiser("You do not have access to this network")
        network_obj = self.directory.networks.get(principal.network_id)
        advertisers = list(network_obj.advertisers.values()) if network_obj else []
        advertiser = search.get("advertiser_id_from_network")
        if advertiser not in (None, ""):
            # "only allowed when reporting as network user, and advertiser must be in same
            # network"
            if principal.role != "network" or str(advertiser) not in {
                a.id_from_network for a in advertisers
            }:
                raise UnauthorizedAdvertiser("You do not have access to this advertiser")
            advertisers = [a for a in advertisers if a.id_from_network == str(advertiser)]
        if principal.role == "advertiser":
            advertisers = [a for a in advertisers
                           if a.id_from_network == principal.advertiser_id_from_network]
        campaign = search.get("advertiser_campaign_id_from_network")
        if campaign not in (None, "") and not any(str(campaign) in a.campaigns
                                                  for a in advertisers):
            # "campaign must be in the organization accessed via API"
            raise UnauthorizedAdvertiser("You do not have access to this advertiser campaign")
        return scope

    def report_signals(self, principal: Principal, body: Mapping[str, Any], *,
                       version: str | None = None) -> dict[str, Any]:
        """Signal API (2018-02-01 shape): apply ``signals[]`` and ``custom_data[]`` to a call.

        Returns the documented body; ``{}`` when ``call_in_progress`` is true (the mock
        answers 201 then).
        """
        with self._lock:
            scope = self._signal_scope(principal, require_object(body).get("search"))
            return self.conversions.report_signals(self.now(), scope, body)

    update_signals = report_signals

    def report_signal(self, principal: Principal, body: Mapping[str, Any], *,
                      version: str | None = None) -> dict[str, Any]:
        """Signal API (2016-08-01 shape): one ``signal`` on the call ``search`` names."""
        with self._lock:
            scope = self._signal_scope(principal, require_object(body).get("search"))
            return self.conversions.report_signals(self.now(), scope, body, old_shape=True)

    update_signal = report_signal

    def report_transaction_signal(self, principal: Principal, transaction_id: str,
                                  body: Mapping[str, Any], *,
                                  version: str | None = None) -> dict[str, Any]:
        """Signal API (2016-08-01 shape) with the call's transaction id in the path."""
        with self._lock:
            scope = self._signal_scope(principal, None)
            require_object(body)
            return self.conversions.report_signals(self.now(), scope, body, old_shape=True,
                                                   transaction_id=str(transaction_id))

    update_transaction_signal = report_transaction_signal

    def report_conversion(self, principal: Principal, conversion_reporting_id: int | str,
                          body: Mapping[str, Any], *,
                          version: str | None = None) -> dict[str, Any]:
        """Legacy Conversion Reporting: a call sale, web conversion or add-on (the new row)."""
        with self._lock:
            if principal.role == "affiliate":
                raise UnauthorizedOperation(
                    "You do not have permissions to perform the requested operation."
                )
            try:
                advertiser = self.directory.advertisers_by_id.get(int(conversion_reporting_id))
            except (TypeError, ValueError):
                advertiser = None
            if (advertiser is None or advertiser.network.id != principal.network_id
                    or (principal.role == "advertiser" and advertiser.id_from_network
                        != principal.advertiser_id_from_network)):
                raise NotFound(
                    f"Couldn't find conversion reporting id {conversion_reporting_id}"
                )
            credited = advertiser

            def attribute(campaign_id: str, affiliate_id: str) -> dict[str, Any]:
                """The fields crediting a web conversion: "the publisher must be approved to
                the advertiser campaign specified"."""
                campaign = next((c for c in credited.campaigns.values()
                                 if str(c.id) == campaign_id), None)
                campaign = campaign or credited.campaigns.get(campaign_id)
                if campaign is None:
                    raise NotFound(f"Couldn't find advertiser campaign {campaign_id}")
                held = campaign.affiliate_campaigns.get(affiliate_id)
                if held is None or held.values.get("status") != "Approved":
                    raise RecordInvalid(field_errors={"affiliate_id_from_network": [
                        f"{affiliate_id} is not approved to advertiser campaign {campaign_id}"
                    ]})
                fields = blank_row()
                self._campaign_fields(fields, campaign, affiliate_id)
                return fields

            scope = CallScope(principal.network_id, advertiser.id_from_network)
            sale = self.conversions.report_conversion(self.now(), scope, advertiser.id,
                                                      require_object(body), attribute)
            return sale.to_dict()

    update_conversion = report_conversion

    # ---- exports ------------------------------------------------------------------------

    def export_state(self, links: Callable[[Link], Any] | None = None) -> dict[str, Any]:
        """The whole observable state as JSON-safe data (world, transactions, event log).

        ``links`` writes an object's pages (``object_url``, ``sample_api_url``) as the HTTP
        edge shows them; without it they are left out (the model knows no URLs)."""
        with self._lock:
            networks = export_networks(self.directory, links)
            return {
                "now": self.now().isoformat(),
                "seed": self.seed,
                "networks": networks,
                "transactions": [t.to_dict() for t in self.transactions.all()],
                "events": [{"seq": seq, **event.to_dict()} for seq, event in self.events],
                "replay": self._replay_state(),
            }


def _resource_operation(name: str, resource: Resource, action: str) -> Any:
    """The Platform method of one resource operation: ``(principal, network_id, *ids[, body],
    version=...)``, as every contract operation is called."""
    def operation(self: Platform, principal: Principal, network_id: int | str, *args: Any,
                  version: str | None = None) -> Any:
        return self._operate(resource, action, principal, network_id, args, version=version)

    operation.__name__ = operation.__qualname__ = name
    operation.__doc__ = f"{action} {resource.name} (see simulator.network)"
    return operation


for _name, (_resource, _action) in OPERATIONS.items():
    setattr(Platform, _name, _resource_operation(_name, _resource, _action))

def _journal_weight(op: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> int:
    """What a command costs of the journal's limit: a Bulk RingPool request one per row (its
    body is kept), anything else one."""
    if op != "bulk_allocate_numbers":
        return 1
    body = args[0] if args else kwargs.get("body")
    requests = body.get("requests", body.get("request")) if isinstance(body, Mapping) else body
    return max(1, len(requests)) if isinstance(requests, list | tuple) else 1


def _suffix_table(suffixes: Sequence[str]) -> tuple[str, Table] | None:
    """Bulk ``api_suffix`` strings ``HEAD?name=value&...`` (nothing to decode) as their one
    HEAD and a :class:`Table` of their queries, made column by column in C-level steps, when
    every suffix has the same HEAD and the same field names in the same order, each once and
    with a ``=``: the queries the row-by-row parsing gives. None otherwise."""
    size = suffixes[0].count("&") + 1  # fields per suffix
    if set(map(str.count, suffixes, repeat("&"))) != {size - 1}:
        return None
    fields = "&".join(suffixes).split("&")  # suffix i's field j is fields[i * size + j]
    names: list[str] = []
    columns: list[list[str]] = []
    for j, first in enumerate(fields[:size]):
        name, sep, _ = first.partition("=")
        prefix = name + "="  # (the first field's name starts with "HEAD?")
        column = fields[j::size]
        if not sep or not all(map(str.startswith, column, repeat(prefix))):
            return None
        names.append(name)
        columns.append(list(map(str.removeprefix, column, repeat(prefix))))
    # HEAD holds no "?"; with a "&" or "=" in it, the first name has no "?" either
    head, sep, names[0] = names[0].partition("?")
    if not sep or len(set(names)) != size:
        return None
    return head, Table(names, columns)


def _error_row(row: dict[str, Any], error: SandboxError) -> None:
    row["error_class"] = error.error_class
    row["message"] = error.message or str(error)


def _parse_query(text: str) -> dict[str, str]:
    """``dict(parse_qsl(text, keep_blank_values=True))`` (the last value of a name wins),
    without the decoding work when there is nothing to decode: then it is the same split
    (empty fields skipped; a name alone has an empty value)."""
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    return {name: value for name, _, value in map(_PARTITION_EQUALS, filter(None, text.split("&")))}


def _format_loose(number: str) -> str:
    """Format a 10-digit destination as ``866-555-1234``; leave anything else as given."""
    try:
        return formatted(parse_number(number))
    except SandboxError:
        return number


_CLOCK_OPS = ("advance_clock", "set_clock")
#: every command that changes state (journaled, and allowed in an imported journal)
journal_commands(
    Platform,
    prefixes=("create_", "update_", "delete_", "go_live_", "archive_", "unarchive_", "report_",
              "add_"),
    named=("allocate_number", "bulk_allocate_numbers", "simulate_call", "new_token",
           "new_error_handle"),
    clock=_CLOCK_OPS,
    weight=_journal_weight,
)
