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
  written out here, and so are the tag transitions; the calls operations live in
  :mod:`simulator.call_desk`, the conversion operations in :mod:`simulator.conversion_desk`,
  the SMS Messaging API in :mod:`simulator.sms_desk` (mixins).
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
  caller number (NXX-555-01XX). A call with phases (``ring_seconds``, ``talk_seconds``) is in
  progress on the clock and recorded when it ends (docs/fidelity.md CL1-CL9: Calls In
  Progress, the Call API's transcripts).
* Transactions read through an advertiser/affiliate path by a network principal use that
  path's role's columns; unknown ids in the network's own paths return ``[]``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from simulator import allocation_api, links, pool_overview
from simulator.access_tokens import AccessTokens
from simulator.allocation_api import AllocationResult
from simulator.call_desk import MAX_CALL_SECONDS, CallAttributed, CallDesk
from simulator.call_ingestion import CallIngestion
from simulator.calls import (
    CallBook,
)
from simulator.clock import Clock
from simulator.conversion_desk import ConversionDesk
from simulator.conversions import ConversionBook
from simulator.errors import (
    RecordInvalid,
    RecordNotFound,
    Unauthorized,
)
from simulator.events import Event, EventLog, from_micros, iso_utc
from simulator.journal import STATE_FORMAT, Journal, Journaled, journal_commands
from simulator.network import (
    ADVERTISERS,
    AFFILIATES,
    CAMPAIGNS,
    DESTINATIONS,
    JS_TAGS,
    OPERATIONS,
    RING_POOLS,
    export_networks,
)
from simulator.number_shares import NumberShares
from simulator.principals import Keyring, Principal
from simulator.resources import js_tags
from simulator.resources.campaigns import check_timeout, go_live, quick_stats, set_status
from simulator.resources.destinations import DestinationQuery, drop_pool
from simulator.resources.parties import add_prompt_recording
from simulator.resources.records import (
    Advertiser,
    AdvertiserCampaign,
    Link,
    Network,
)
from simulator.resources.store import Resource, Store
from simulator.ringpool import RingPool
from simulator.settings import PlatformSettings, Streams
from simulator.sms import SmsBook
from simulator.sms_desk import SmsDesk
from simulator.transactions import (
    TransactionIds,
    TransactionLog,
    TransactionQuery,
    columns_for,
)
from simulator.world import World, populate_demo_world, populate_world

__all__ = [
    "MAX_CALL_SECONDS",
    "AllocationResult",
    "CallAttributed",
    "Platform",
    "PlatformSettings",
    "Principal",
]

class Platform(CallDesk, ConversionDesk, SmsDesk, Journaled):
    """The Invoca platform model behind every API of the sandbox."""

    #: what import_state takes from the replayed copy
    STATE = ("built_at", "journal", "streams", "events", "inventory", "directory",
             "transactions", "transaction_ids", "conversions", "calls", "keyring", "world",
             "call_ingestion", "access_tokens", "sms")
    #: the number range is part of a state: its replay issues the same numbers
    STATE_SETTINGS = ("numbers", "number_quarantine_seconds", "numbers_per_network")

    def __init__(self, clock: Clock, seed: int = 0, *,
                 settings: PlatformSettings | None = None) -> None:
        self.clock = clock
        self.seed = seed
        self.settings = settings or PlatformSettings()
        self._lock = threading.RLock()
        self._start_journal()
        self.world: World | None = None
        #: what reset rebuilds: the seed and settings the platform started with
        self._start = (seed, self.settings)
        self._build()

    # ---- state --------------------------------------------------------------------------

    def _build(self) -> None:
        settings = self.settings
        self.built_at = self.now()
        self.journal = Journal(settings.journal_limit)
        self.streams = Streams(self.seed)
        self.events = EventLog(settings.event_retention)
        self.inventory = NumberShares(
            self.seed, self.now, numbers=settings.numbers,
            quarantine_seconds=settings.number_quarantine_seconds,
            limit=settings.numbers_per_network,
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
        self.calls = CallBook(self.seed, settings.transaction_retention)
        self.call_ingestion = CallIngestion(self.transaction_ids,
                                            settings.call_ingestion_delay_seconds)
        self.sms = SmsBook(self.seed, send_delay_seconds=settings.sms_send_delay_seconds,
                           delivery_delay_seconds=settings.sms_delivery_delay_seconds,
                           failure_rate=settings.sms_failure_rate)
        self.keyring = Keyring()
        self.access_tokens = AccessTokens()
        self.world = None
        with self._unjournaled():
            if settings.world is not None:
                self.world = populate_world(self, settings.world)
            elif settings.demo_world:
                self.world = populate_demo_world(self)
        self._changed()

    def _took_state(self) -> None:
        self.inventory.clock = self.now  # the replayed copy's clock stopped at its end

    def reset(self) -> None:
        """Back to the world the platform started with (its seed and settings, or the last
        :meth:`use_world`), whatever was imported since; the clock keeps its time (it never
        goes backwards)."""
        with self._lock:
            self.seed, self.settings = self._start
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
            self._start = (self.seed, self.settings)

    def _draws(self) -> int:
        return self.streams.draws

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
            self.keyring.add_token(token, principal)

    def add_basic_credentials(self, username: str, password: str, principal: Principal) -> None:
        with self._lock:
            self.keyring.add_basic(username, password, principal)

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
                return resource.listing([resource.show(store, obj, version)
                                         for obj in store.list(resource, network, ids)])
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
            self._settle_calls()
            return quick_stats(self.transactions.all(), campaign.id, self.now())

    # ---- Invoca Tags: the transitions; Destinations: the list ------------------------------

    def _js_tag_action(self, action: Callable[..., None], principal: Principal,
                       network_id: int | str, js_tag_id: str, *args: Any,
                       version: str | None) -> dict[str, Any]:
        with self._lock:
            network = self._network(principal, network_id)
            tag = self.directory.locate(JS_TAGS, network, (js_tag_id,))
            action(self.directory, self.now(), network, tag, *args)
            self.directory.emit(self.now(), network, JS_TAGS, "updated", tag)
            return JS_TAGS.show(self.directory, tag, version)

    def go_live_js_tag(self, principal: Principal, network_id: int | str, js_tag_id: str, *,
                       version: str | None = None) -> dict[str, Any]:
        """Publish the tag's draft revision (simulator.resources.js_tags)."""
        return self._js_tag_action(js_tags.go_live, principal, network_id, js_tag_id,
                                   version=version)

    def pause_js_tag(self, principal: Principal, network_id: int | str, js_tag_id: str, *,
                     version: str | None = None) -> dict[str, Any]:
        return self._js_tag_action(js_tags.pause, principal, network_id, js_tag_id,
                                   version=version)

    def unpause_js_tag(self, principal: Principal, network_id: int | str, js_tag_id: str, *,
                       version: str | None = None) -> dict[str, Any]:
        return self._js_tag_action(js_tags.unpause, principal, network_id, js_tag_id,
                                   version=version)

    def revert_js_tag(self, principal: Principal, network_id: int | str, js_tag_id: str,
                      body: Mapping[str, Any] | None = None, *,
                      version: str | None = None) -> dict[str, Any]:
        return self._js_tag_action(js_tags.revert, principal, network_id, js_tag_id,
                                   body if body is not None else {}, version=version)

    def list_customer_phone_numbers(self, principal: Principal, network_id: int | str, *,
                                    version: str | None = None,
                                    **query: Any) -> dict[str, Any]:
        """The network's Destinations: ``limit``, ``start``, ``query``, ``status``,
        ``sort_by``, ``sort_dir`` (simulator.resources.destinations)."""
        wanted = DestinationQuery(**query)
        with self._lock:
            network = self._network(principal, network_id)
            page, total = wanted.select(network.destinations.values())
            return {"data": [DESTINATIONS.show(self.directory, d, version) for d in page],
                    "requestId": None, "recordsTotal": total}

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
        return allocation_api.allocate_number(self.directory, self.now(), ring_pool_id, query,
                                              bulk=bulk)

    def bulk_allocate_numbers(self, body: Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
                              version: str | None = None) -> list[dict[str, Any]]:
        """Rows of the Bulk RingPool API's ``responses``, in request order, at ``now``."""
        return allocation_api.bulk_allocate_numbers(
            self.directory, self.now(), body, limit=self.settings.bulk_batch_limit)

    def allocations(self, ring_pool_id: int | str) -> list[dict[str, Any]]:
        """The retained allocation log of a pool (for ``/_sandbox/allocations``)."""
        pool = self.ring_pool_by_id(ring_pool_id)
        return [{**a.to_dict(),
                 "clicks": [iso_utc(from_micros(t)) for t in links.clicks_of(pool, a.id)]}
                for a in pool.allocations()]

    def ring_pools_overview(self) -> list[dict[str, Any]]:
        """Every ring pool's figures and live holds now (``/_sandbox/pools``;
        :mod:`simulator.pool_overview`)."""
        with self._lock:
            return pool_overview.pools_overview(
                list(self.directory.ring_pools_by_id.values()), self.now())

    def latest_transactions(self, limit: int) -> list[dict[str, Any]]:
        """The last ``limit`` transactions recorded, oldest first, every column (ended calls
        settled first; ``/_sandbox/transactions``)."""
        with self._lock:
            self._settle_calls()
            rows = self.transactions.all()
        return [row.to_dict() for row in rows[-limit:]] if limit > 0 else []

    def follow_tracking_link(self, network_id: int | str, triple: str,
                             query: Mapping[str, str]) -> links.Followed:  # journaled
        """A visitor follows a tracking link ``/c/<network>/<advertiser>-<campaign>-<pool>``
        at ``now`` (:mod:`simulator.links`): where it goes; the click recorded."""
        return links.follow_tracking_link(self.directory, self.now(), network_id, triple,
                                          query)

    def object_page(self, page: str, ids: Sequence[str]) -> dict[str, Any]:
        """The title and fields of the object an ``object_url`` names (:mod:`simulator.links`)."""
        return links.object_page(self.directory, page, ids)

    # ---- clock control --------------------------------------------------------------------

    def _sweep(self, since_seq: int) -> list[Event]:
        now = self.now()
        self._settle_calls()
        self.sms.settle(now)
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

    # ---- transactions API -----------------------------------------------------------------

    def _transactions(self, role: str, network_id: int, query: Mapping[str, Any], *,
                      advertiser_id: int | None = None,
                      affiliate_id: int | None = None) -> list[dict[str, Any]]:
        parsed = TransactionQuery.from_params(query)
        self._settle_calls()
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
            self._settle_calls()
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

    # ---- PPC Platform access tokens (2014-01-01) --------------------------------------------

    def _access_token(self, principal: Principal, email: str, kind: str, organization: Any,
                      owner: str) -> dict[str, Any]:
        token = self.access_tokens.issue(
            self.now(), self.streams.keys, network_id=int(principal.network_id),
            organization_type=kind,
            organization_id=None if kind == "Network" else organization.id_from_network,
            users=organization.values.get("users"), email=email, owner=owner)
        return token.to_dict()

    def create_network_access_token(self, principal: Principal, network_id: int | str,
                                    email: str, *, version: str | None = None) -> dict[str, Any]:
        """A one-time-use PPC access token for a network user (:mod:`simulator.access_tokens`)."""
        with self._lock:
            network = self._network(principal, network_id)
            return self._access_token(principal, email, "Network", network,
                                      f"network {network.id}")

    def create_advertiser_access_token(self, principal: Principal, network_id: int | str,
                                       advertiser_id: str, email: str, *,
                                       version: str | None = None) -> dict[str, Any]:
        """A one-time-use PPC access token for a user of one of the network's advertisers."""
        with self._lock:
            advertiser = self.directory.locate(ADVERTISERS, self._network(principal, network_id),
                                               (advertiser_id,))
            return self._access_token(principal, email, "Advertiser", advertiser,
                                      f"advertiser {advertiser_id}")

    def create_affiliate_access_token(self, principal: Principal, network_id: int | str,
                                      affiliate_id: str, email: str, *,
                                      version: str | None = None) -> dict[str, Any]:
        """A one-time-use PPC access token for a user of one of the network's affiliates."""
        with self._lock:
            affiliate = self.directory.locate(AFFILIATES, self._network(principal, network_id),
                                              (affiliate_id,))
            return self._access_token(principal, email, "Affiliate", affiliate,
                                      f"affiliate {affiliate_id}")

    def use_ppc_access_token(self, token: str | None, destination: str) -> dict[str, Any]:
        """The PPC Platform login flow: a destination URL with ``access_token`` (one use)."""
        with self._lock:
            return self.access_tokens.use(self.now(), token, destination)

    #: the affiliate page of the docs' example (``/affiliates/1?access_token=...``)
    use_ppc_access_token_at_affiliate_page = use_ppc_access_token

    # ---- exports ------------------------------------------------------------------------

    def export_state(self, links: Callable[[Link], Any] | None = None) -> dict[str, Any]:
        """The whole observable state as JSON-safe data (world, transactions, event log).

        ``links`` writes an object's pages (``object_url``, ``sample_api_url``) as the HTTP
        edge shows them; without it they are left out (the model knows no URLs)."""
        with self._lock:
            self._settle_calls()
            networks = export_networks(self.directory, links)
            return {
                "format": STATE_FORMAT,
                "now": self.now().isoformat(),
                "seed": self.seed,
                "networks": networks,
                "transactions": [t.to_dict() for t in self.transactions.all()],
                "events": [{"seq": seq, **event.to_dict()} for seq, event in self.events],
                "numbers": self.inventory.summary(),
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


def _delete_ring_pool(self: Platform, principal: Principal, network_id: int | str, *ids: Any,
                      version: str | None = None,
                      delete_detected_phone_number: Any = None) -> dict[str, Any]:
    """Delete a RingPool; with ``delete_detected_phone_number`` (true) its Destinations go
    with it, else they stay, discovered (simulator.resources.destinations)."""
    wanted = str(delete_detected_phone_number).strip().lower() in ("true", "1")
    with self._lock:
        network = self._network(principal, network_id)
        pool = None
        if wanted and len(ids) == RING_POOLS.depth:
            parent = self.directory.locate(CAMPAIGNS, network, ids[:-1])
            pool = RING_POOLS.find(parent, ids[-1])
        if pool is not None:  # found: the delete cannot be refused now
            drop_pool(network, pool, delete=True, now=self.now())
        return self._operate(RING_POOLS, "delete", principal, network_id, ids,
                             version=version)


_delete_ring_pool.__name__ = _delete_ring_pool.__qualname__ = "delete_ring_pool"
setattr(Platform, "delete_ring_pool", _delete_ring_pool)  # noqa: B010 - after the loop above

def _journal_weight(op: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> int:
    """What a command costs of the journal's limit: a Bulk RingPool request one per row (its
    body is kept), anything else one."""
    if op != "bulk_allocate_numbers":
        return 1
    body = args[0] if args else kwargs.get("body")
    requests = body.get("requests", body.get("request")) if isinstance(body, Mapping) else body
    return max(1, len(requests)) if isinstance(requests, list | tuple) else 1


def _journal_changed(op: str, result: Any) -> bool:
    """Whether a command that succeeded changed anything: a Bulk RingPool request whose every
    row was refused did not (a refused row changes nothing)."""
    if op != "bulk_allocate_numbers" or not isinstance(result, list):
        return True
    return not all(isinstance(row, Mapping) and "error_class" in row for row in result)


_CLOCK_OPS = ("advance_clock", "set_clock")
#: every command that changes state (journaled, and allowed in an imported journal)
journal_commands(
    Platform,
    prefixes=("create_", "update_", "delete_", "go_live_", "archive_", "unarchive_", "report_",
              "add_", "pause_", "unpause_", "revert_"),
    named=("allocate_number", "bulk_allocate_numbers", "simulate_call", "new_token",
           "follow_tracking_link",
           "new_error_handle", "use_ppc_access_token",
           "use_ppc_access_token_at_affiliate_page"),
    clock=_CLOCK_OPS,
    weight=_journal_weight,
    changed=_journal_changed,
)
