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
  caller number (NXX-555-01XX). A call with phases (``ring_seconds``, ``talk_seconds``) is in
  progress on the clock and recorded when it ends (docs/fidelity.md CL1-CL9: Calls In
  Progress, the Call API's transcripts).
* Transactions read through an advertiser/affiliate path by a network principal use that
  path's role's columns; unknown ids in the network's own paths return ``[]``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from simulator import allocation_api
from simulator import sms as sms_model
from simulator.allocation_api import AllocationResult
from simulator.call_ingestion import CallIngestion, Receipt, processed_event
from simulator.calls import (
    API_SOURCE,
    DEFAULT_CALL_SOURCE,
    CallBook,
    LiveCall,
    parse_custom_data,
    parse_transcript,
    timeline,
    transcript_body,
)
from simulator.clock import Clock, as_utc
from simulator.conversions import CallScope, ConversionBook
from simulator.errors import (
    NotFound,
    RecordInvalid,
    RecordNotFound,
    SandboxError,
    Unauthorized,
    UnauthorizedAdvertiser,
    UnauthorizedOperation,
)
from simulator.events import Event, EventLog
from simulator.journal import STATE_FORMAT, Journal, Journaled, journal_commands
from simulator.network import ADVERTISERS, CAMPAIGNS, OPERATIONS, export_networks, formatted
from simulator.number_shares import NumberShares
from simulator.numbers import parse_number
from simulator.principals import Keyring, Principal
from simulator.resources.campaigns import check_timeout, go_live, quick_stats, set_status
from simulator.resources.parties import add_prompt_recording
from simulator.resources.records import (
    Advertiser,
    AdvertiserCampaign,
    Link,
    Network,
)
from simulator.resources.store import Resource, Store, require_object
from simulator.ringpool import CUSTOM_PARAMS, Allocation, RingPool
from simulator.settings import PlatformSettings, Streams
from simulator.sms import SmsBook, SmsPage
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

_CALLER_NPAS = ("212", "213", "312", "415", "617", "702", "805", "303", "206", "404")
#: the longest simulated call: a 32-bit count of seconds, like every count of the contract
MAX_CALL_SECONDS = 2**31 - 1




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
             "transactions", "transaction_ids", "conversions", "calls", "keyring", "world",
             "call_ingestion", "sms")
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
            self._settle_calls()
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
        return allocation_api.allocate_number(self.directory, self.now(), ring_pool_id, query,
                                              bulk=bulk)

    def bulk_allocate_numbers(self, body: Mapping[str, Any] | Sequence[Mapping[str, Any]], *,
                              version: str | None = None) -> list[dict[str, Any]]:
        """Rows of the Bulk RingPool API's ``responses``, in request order, at ``now``."""
        return allocation_api.bulk_allocate_numbers(
            self.directory, self.now(), body, limit=self.settings.bulk_batch_limit)

    def allocations(self, ring_pool_id: int | str) -> list[dict[str, Any]]:
        """The retained allocation log of a pool (for ``/_sandbox/allocations``)."""
        return [a.to_dict() for a in self.ring_pool_by_id(ring_pool_id).allocations()]

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

    # ---- calls --------------------------------------------------------------------------

    def _caller_number(self) -> str:
        npa = self.streams.callers.choice(_CALLER_NPAS)
        return f"{npa}555{self.streams.callers.randrange(100, 200):04d}"

    def simulate_call(
        self,
        promo_number: str,
        start_at: datetime | None = None,
        duration_seconds: int | None = 60,
        calling_phone_number: str | None = None,
        *,
        ring_seconds: int | None = None,
        talk_seconds: int | None = None,
        destination_phone_number: str | None = None,
        custom_data: Any = None,
        transcript: Any = None,
    ) -> dict[str, Any]:
        """An inbound call to ``promo_number``: its transaction-to-be (returned, with the
        call's ``call_status``, ``bridge_start_time`` and ``end_time``).

        Attributed when it starts (``start_at``, never in the future) to the allocation that
        held the number then (ring pool numbers) or to the static promo number's campaign; the
        overflow number or a never-allocated pool number gives an unattributed transaction of
        the pool's campaign.

        Without phases (no ``ring_seconds`` nor ``talk_seconds``) the call is over when it is
        made: its transaction is recorded at once (``duration_seconds``, default 60, all
        talk). With phases it rings ``ring_seconds`` (default 0), is transferred to its
        destination, talks ``talk_seconds`` (default ``duration_seconds`` - ``ring_seconds``,
        or 60) and ends on the sandbox clock: in progress (Calls In Progress API) from the
        transfer to its end, recorded as its transaction when the clock reaches the end.
        ``destination_phone_number`` overrides the campaign's; ``custom_data`` (the marketing
        data the call arrives with) and ``transcript`` (utterances) are optional: a call
        without a transcript gets a fake one, deterministic per seed.
        """
        digits = parse_number(str(promo_number))
        ring, talk, phases = _phases(duration_seconds, ring_seconds, talk_seconds)
        caller = parse_number(calling_phone_number) if calling_phone_number else None
        destination = (_format_loose(str(destination_phone_number))
                       if destination_phone_number not in (None, "") else None)
        custom_given = parse_custom_data(custom_data, DEFAULT_CALL_SOURCE)
        utterances = parse_transcript(transcript, talk)
        with self._lock:
            self._settle_calls()
            now = self.now()
            at = now if start_at is None else as_utc(start_at, name="start_time")
            if at > now:
                raise RecordInvalid(field_errors={"start_time": ["can't be in the future"]})
            received = self._receive_call(digits, at, caller, destination)
            fields, custom, campaign = received.fields, received.custom, received.campaign
            custom.update(custom_given)
            fields.update({
                "duration": ring + talk,
                "connect_duration": talk,
                "ivr_duration": ring,
            })
            bridged_at, ends_at = timeline(at, ring, talk)
            live = LiveCall(
                sequence=self.calls.next_sequence(),
                network_id=campaign.advertiser.network.id,
                advertiser_id=campaign.advertiser.id,
                affiliate_id=fields.get("affiliate_id") or None,
                started_at=at, bridged_at=bridged_at, ends_at=ends_at,
                fields=fields, custom=custom, called_phone_number=digits,
                attribution=received.attribution,
                transcript=utterances,
                names=(str(fields.get("advertiser_name") or ""),
                       str(fields.get("advertiser_campaign_name") or "")),
            )
            if phases and ends_at > now:
                self.calls.add(live)
                answer = Transaction(live.network_id, at, fields, custom).to_dict()
                status = live.status(now)
            else:
                answer, status = self._record_call(live, now).to_dict(), "ended"
            return {**answer, "call_status": status, "start_time": at,
                    "bridge_start_time": bridged_at, "end_time": ends_at}

    def _receive_call(self, digits: str, at: datetime, caller: str | None,
                      destination: str | None) -> _ReceivedCall:
        """The transaction row of a call to ``digits`` starting ``at`` (attributed then), its
        custom data and campaign: what the platform knows when a call arrives."""
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
        if destination is None:
            found = ""
            if pool is not None:
                found = pool.properties["values"].get("destination_phone_number") or ""
            if not found:
                found = campaign.advertiser.values.get("web_integration_phone_number") or ""
            destination = _format_loose(str(found))
        fields.update({
            "transaction_id": transaction_id,
            "complete_call_id": transaction_id,
            "transaction_type": "Call",
            "calling_phone_number": formatted(caller or self._caller_number()),
            "destination_phone_number": destination,
            "call_source_description": fields["media_type"],
            "call_result_description_detail": "Connected",
            "hangup_cause": "Caller: Hang-up",
            "transfer_from_type": "N/A",
        })
        attribution = (digits, pool.id if pool is not None else None,
                       allocation.id if allocation is not None else None,
                       allocation is not None or pool is None)
        return _ReceivedCall(fields, custom, campaign, attribution)

    def _record_call(self, call: LiveCall, at: datetime) -> Transaction:
        """An ended call becomes its transaction (with what was set while it was in
        progress); its transcript can be read from then on."""
        fields = dict(call.fields)
        if call.external_unique_id is not None:
            fields["external_unique_id"] = call.external_unique_id
        transaction = self.transactions.append(Transaction(
            call.network_id, call.started_at, fields, {**call.custom, **call.set_custom}
        ))
        self.calls.keep_transcript(
            call.call_record_id, call.transcript, int(fields.get("connect_duration") or 0),
            call.names, scope=(call.network_id, str(fields.get("advertiser_id_from_network")),
                               str(fields.get("affiliate_id_from_network") or "")))
        digits, pool_id, allocation_id, attributed = call.attribution
        self.events.append(CallAttributed(at, call.transaction_id, digits, pool_id,
                                          allocation_id, attributed))
        return transaction

    def _settle_calls(self) -> None:
        """Record every call the clock has seen end (in end order), then every ingested call
        whose processing is over, before anything reads or adds transactions: the same state
        whenever it is looked at."""
        for call in self.calls.ended(self.now()):
            self._record_call(call, call.ends_at)
        self._ingested_calls_due()

    # ---- Calls In Progress API --------------------------------------------------------------

    def _organization(self, principal: Principal, query: Mapping[str, Any]
                      ) -> tuple[int, int | None] | None:
        """The (network id, advertiser id or None) ``organization_type`` and ``id`` name, as
        ``principal`` may reach it; None for an advertiser its network does not have."""
        kind = str(query.get("organization_type") or "")
        ident = str(query.get("id") or "")
        if kind not in ("Network", "Advertiser"):
            raise RecordInvalid(field_errors={"organization_type": [
                "is not included in the list"]})
        if not ident.isdigit():
            raise RecordInvalid(field_errors={"id": ["is not a number"]})
        if kind == "Network":
            if principal.role != "network" or str(principal.network_id) != ident:
                raise Unauthorized(f"Not authorized for network {ident}")
            return int(ident), None
        advertiser = self._scoped_advertiser(principal, ident)
        if advertiser is None:
            return None
        return advertiser.network.id, advertiser.id

    def _calls_of(self, organization: tuple[int, int | None] | None) -> list[LiveCall]:
        if organization is None:
            return []
        network_id, advertiser_id = organization
        return [call for call in self.calls.in_progress(self.now())
                if call.network_id == network_id
                and (advertiser_id is None or call.advertiser_id == advertiser_id)]

    def list_current_calls(self, principal: Principal, query: Mapping[str, Any], *,
                           version: str | None = None) -> dict[str, Any]:
        """The calls in progress of an organization, most recently bridged first; filtered by
        ``transaction_id``, ``external_unique_id``, and ``calling_phone_number`` with
        ``destination_phone_number`` (both or neither)."""
        with self._lock:
            self._settle_calls()
            organization = self._organization(principal, query)
            wanted = _call_filters(query)
            calls = [call for call in self._calls_of(organization) if _matches(call, wanted)]
            return {"current_calls": [self._current_call(call) for call in calls]}

    def update_call_in_progress(self, principal: Principal, query: Mapping[str, Any],
                                body: Mapping[str, Any], *,
                                version: str | None = None) -> dict[str, Any]:
        """Set ``external_unique_id`` and ``custom_data`` values of the call in progress that
        ``transaction_id`` or ``external_unique_id`` names; the values show in its transaction
        when it ends. An ended, ringing or unknown call is ``NotFound``."""
        with self._lock:
            self._settle_calls()
            organization = self._organization(principal, query)
            transaction_id = _one(query, "transaction_id")
            external_id = _one(query, "external_unique_id")
            if not transaction_id and not external_id:
                raise RecordInvalid(field_errors={"transaction_id": [
                    "can't be blank (or give external_unique_id)"]})
            payload = require_object(body).get("call_in_progress")
            if not isinstance(payload, Mapping):
                raise RecordInvalid(field_errors={"call_in_progress": ["can't be blank"]})
            new_id = payload.get("external_unique_id")
            if new_id is not None and (not isinstance(new_id, str | int)
                                       or isinstance(new_id, bool) or not str(new_id).strip()):
                raise RecordInvalid(field_errors={"external_unique_id": ["is invalid"]})
            values = parse_custom_data(payload.get("custom_data"), API_SOURCE)
            calls = self._calls_of(organization)
            found = next((call for call in calls
                          if (not transaction_id or call.transaction_id == transaction_id)
                          and (not external_id or call.external_unique_id == external_id)),
                         None)
            if found is None:
                raise RecordNotFound("The call specified via transaction_id or external_unique_id "
                               "was not found")
            if new_id is not None:
                new_id = str(new_id)
                if any(call.external_unique_id == new_id and call is not found
                       for call in self.calls.all_live() if call.network_id == found.network_id):
                    raise RecordInvalid(field_errors={"external_unique_id": [
                        "has already been taken"]})
                found.external_unique_id = new_id
            found.set_custom.update(values)
            return {"current_calls": [self._current_call(found)]}

    #: the POST form of the update ("we will also accept POST requests")
    update_call_in_progress_via_post = update_call_in_progress

    def _current_call(self, call: LiveCall) -> dict[str, Any]:
        """A call in progress as the Calls In Progress API shows it (the fields of its page)."""
        f = call.fields

        def text(name: str) -> str:
            value = f.get(name)
            return "" if value is None else str(value)

        custom: dict[str, Any] = {
            name: {"value": value.value, "source": value.source}
            for name, value in call.custom.items() if value.value is not None
        }
        custom["demographics_data"] = {}  # no Enhanced Caller Profiles in the sandbox
        return {
            "transaction_id": call.transaction_id,
            "call_status": "bridged",
            "external_unique_id": call.external_unique_id,
            "calling_phone_number": _e164(text("calling_phone_number")),
            "destination_phone_number": _e164(text("destination_phone_number")),
            "called_phone_number": _e164(call.called_phone_number),
            "bridge_start_time": call.bridged_at.isoformat(timespec="seconds"),
            "call_record_id": call.call_record_id,
            "phone_type": text("mobile"),
            "advertiser_campaign_country": text("advertiser_campaign_country"),
            "advertiser_campaign_id": text("advertiser_campaign_id"),
            "advertiser_campaign_id_from_network": text("advertiser_campaign_id_from_network"),
            "advertiser_campaign_name": text("advertiser_campaign_name"),
            "advertiser_id": text("advertiser_id"),
            "advertiser_id_from_network": text("advertiser_id_from_network"),
            "advertiser_name": text("advertiser_name"),
            "affiliate_campaign_id_from_network": text("affiliate_campaign_id_from_network"),
            "affiliate_commissions_ranking": text("affiliate_commissions_ranking"),
            "affiliate_conversion_rate_ranking": text("affiliate_conversion_rate_ranking"),
            "affiliate_id": text("affiliate_id"),
            "affiliate_id_from_network": text("affiliate_id_from_network"),
            "affiliate_name": text("affiliate_name"),
            "affiliate_volume_ranking": text("affiliate_call_volume_ranking"),
            "city": text("city"),
            "keypress_1": text("keypress_1"),
            "keypress_2": text("keypress_2"),
            "keypress_3": text("keypress_3"),
            "keypress_4": text("keypress_4"),
            "keypresses": "",
            "media_type": text("media_type"),
            "promo_number_description": text("promo_line_description"),
            "promo_number_id": text("virtual_line_id"),
            "qualified_regions": text("qualified_regions"),
            "region": text("region"),
            "repeat_calling_phone_number": text("repeat_calling_phone_number"),
            "source": text("call_source_description"),
            "start_time": call.started_at.isoformat(timespec="seconds"),
            "verified_zip_code": "",
            "zip_code": "",
            "custom_data": custom,
        }

    # ---- Call API: transcripts ------------------------------------------------------------

    def get_call_transcript(self, principal: Principal, call_record_id: str,
                            query: Mapping[str, Any], *,
                            version: str | None = None) -> list[dict[str, str]]:
        """The transcript of an ended call in ``transcript_format`` (the four documented
        shapes); a call the principal cannot see is as unknown (``NotFound``)."""
        with self._lock:
            self._settle_calls()
            found = self.calls.transcript(str(call_record_id))
            if found is None or not _sees(principal, found[1]):
                raise RecordNotFound(f"Could not find call record {call_record_id}")
            return transcript_body(found[0], str(query.get("transcript_format") or ""))

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
            self._settle_calls()
            scope = self._signal_scope(principal, require_object(body).get("search"))
            return self.conversions.report_signals(self.now(), scope, body)

    update_signals = report_signals

    def report_signal(self, principal: Principal, body: Mapping[str, Any], *,
                      version: str | None = None) -> dict[str, Any]:
        """Signal API (2016-08-01 shape): one ``signal`` on the call ``search`` names."""
        with self._lock:
            self._settle_calls()
            scope = self._signal_scope(principal, require_object(body).get("search"))
            return self.conversions.report_signals(self.now(), scope, body, old_shape=True)

    update_signal = report_signal

    def report_transaction_signal(self, principal: Principal, transaction_id: str,
                                  body: Mapping[str, Any], *,
                                  version: str | None = None) -> dict[str, Any]:
        """Signal API (2016-08-01 shape) with the call's transaction id in the path."""
        with self._lock:
            self._settle_calls()
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
            self._settle_calls()
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

    # ---- Call Ingestion API ---------------------------------------------------------------

    def create_ingested_call(self, principal: Principal, body: Mapping[str, Any], *,
                             version: str | None = None) -> Receipt:
        """Call Ingestion API: receive a call of another telephony system; it becomes a
        transaction after the processing delay (:mod:`simulator.call_ingestion`)."""
        with self._lock:
            network = self.directory.network(principal.network_id)
            receipt = self.call_ingestion.receive(
                self.now(), network, principal, body,
                lambda fields, campaign: self._campaign_fields(fields, campaign, None))
            self._settle_calls()  # no delay: processed at once
            return receipt

    #: PUT: "we will also accept PUT requests with the same request format"
    update_ingested_call = create_ingested_call

    def _ingested_calls_due(self) -> None:
        """Record the ingested calls whose processing is over as transactions (on every
        clock move and Transactions API read; nothing random is drawn here)."""
        now = self.now()
        for ingested in self.call_ingestion.due(now):
            self.transactions.append(ingested.transaction)
            self.events.append(processed_event(now, ingested))

    # ---- SMS Messaging API (simulator/sms.py) -----------------------------------------------

    def _sms_network(self, principal: Principal) -> int:
        """The network whose SMS numbers and messages ``principal`` reaches: network tokens
        only (anyone else is the documents' 403 ``Forbidden``)."""
        if principal.role != "network":
            raise sms_model.SmsForbidden()
        return int(principal.network_id)

    def _promo_number_id(self, network_id: int, phone_number: str) -> int | None:
        """The id (``virtual_line_id``) of the network's promo number ``phone_number``
        (E.164), or None when it is not one of the network's promo numbers."""
        try:
            network = self.directory.network(network_id)
        except SandboxError:
            return None
        for advertiser in network.advertisers.values():
            for campaign in advertiser.campaigns.values():
                holders: list[Any] = [campaign, *campaign.affiliate_campaigns.values()]
                for holder in holders:
                    for promo in holder.promo_numbers.values():
                        if sms_model.e164_of(promo.promo_number) == phone_number:
                            return int(promo.id)
        return None

    def _sms_page(self, rows: Any, query: Mapping[str, Any], listing: Any,
                  render: Callable[[Any], dict[str, Any]]) -> SmsPage:
        return sms_model.page_of(list(rows), query, listing, self.now(), render)

    def list_sms_phone_numbers(self, principal: Principal, query: Mapping[str, Any]) -> SmsPage:
        with self._lock:
            network_id = self._sms_network(principal)
            return self._sms_page(self.sms.numbers_of(network_id), query, sms_model.NUMBER_FIELDS,
                                  lambda number: number.summary())

    def get_sms_phone_number(self, principal: Principal, phone_number: str) -> dict[str, Any]:
        with self._lock:
            network_id = self._sms_network(principal)
            return {"phone_number": self.sms.number(network_id, phone_number).detail()}

    def create_sms_phone_number(self, principal: Principal,
                                phone_number: str) -> tuple[dict[str, Any], bool]:
        """Enable one of the network's promo numbers for SMS: (the number, True when new;
        False when a disabled one was enabled again)."""
        with self._lock:
            network_id = self._sms_network(principal)
            number, new = self.sms.enable(network_id, phone_number,
                                          self._promo_number_id(network_id, phone_number),
                                          self.now())
            return {"phone_number": number.detail()}, new

    def delete_sms_phone_number(self, principal: Principal,
                                phone_number: str) -> dict[str, Any]:
        with self._lock:
            network_id = self._sms_network(principal)
            return {"phone_number": self.sms.disable(network_id, phone_number,
                                                     self.now()).detail()}

    def create_sms_messages(self, principal: Principal, body: Any) -> SmsPage:
        """Send each request's text to each of its recipients (202: queued)."""
        with self._lock:
            network_id = self._sms_network(principal)
            made = self.sms.send(network_id, body, self.now())
            return SmsPage([message.summary() for message in made], 1, sms_model.DEFAULT_LIMIT,
                           len(made))

    def list_sms_messages(self, principal: Principal, query: Mapping[str, Any]) -> SmsPage:
        with self._lock:
            network_id = self._sms_network(principal)
            self.sms.settle(self.now())
            return self._sms_page(self.sms.messages_of(network_id), query, sms_model.MESSAGE_FIELDS,
                                  lambda message: message.summary())

    def list_sms_messages_by_phone_number(self, principal: Principal, phone_number: str,
                                          query: Mapping[str, Any]) -> SmsPage:
        with self._lock:
            network_id = self._sms_network(principal)
            self.sms.settle(self.now())
            rows = self.sms.messages_of(network_id, phone_number)
            if not rows:
                raise sms_model.SmsNotFound(sms_model.NO_MESSAGES_FOR_NUMBER)
            return self._sms_page(rows, query, sms_model.MESSAGE_FIELDS,
                                  lambda message: message.summary())

    def get_sms_phone_number_usage(self, principal: Principal,
                                   phone_number: str) -> dict[str, Any]:
        with self._lock:
            network_id = self._sms_network(principal)
            return self.sms.usage(network_id, phone_number)

    def get_sms_message(self, principal: Principal, message_uuid: str) -> dict[str, Any]:
        with self._lock:
            network_id = self._sms_network(principal)
            self.sms.settle(self.now())
            return {"message": self.sms.message(network_id, message_uuid).detail()}

    def delete_sms_message(self, principal: Principal, message_uuid: str) -> dict[str, Any]:
        """Soft-delete a message (``deleted_at``; a deleted one is answered as it is)."""
        with self._lock:
            network_id = self._sms_network(principal)
            self.sms.settle(self.now())
            return {"message": self.sms.delete(network_id, message_uuid, self.now()).detail()}

    def list_sms_delivery_reports(self, principal: Principal, message_uuid: str,
                                  query: Mapping[str, Any]) -> SmsPage:
        with self._lock:
            network_id = self._sms_network(principal)
            self.sms.settle(self.now())
            message = self.sms.message(network_id, message_uuid)
            return self._sms_page(message.reports, query, sms_model.REPORT_FIELDS,
                                  lambda report: report.summary())

    def get_sms_delivery_report(self, principal: Principal, message_uuid: str,
                                delivery_report_uuid: str) -> dict[str, Any]:
        with self._lock:
            network_id = self._sms_network(principal)
            self.sms.settle(self.now())
            return {"delivery_report": self.sms.report(network_id, message_uuid,
                                                       delivery_report_uuid).detail()}

    def add_incoming_sms(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /_sandbox/sms``: a message from ``from`` to the enabled SMS number ``to``."""
        with self._lock:
            if not isinstance(body, Mapping):
                raise sms_model.SmsBadRequest(
                    'Bad Request - send {"from": ..., "to": ..., "text": ...}')
            message = self.sms.receive(body.get("from"), body.get("to"), body.get("text"),
                                       self.now())
            return {"message": message.detail()}

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

def _journal_weight(op: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> int:
    """What a command costs of the journal's limit: a Bulk RingPool request one per row (its
    body is kept), anything else one."""
    if op != "bulk_allocate_numbers":
        return 1
    body = args[0] if args else kwargs.get("body")
    requests = body.get("requests", body.get("request")) if isinstance(body, Mapping) else body
    return max(1, len(requests)) if isinstance(requests, list | tuple) else 1


def _format_loose(number: str) -> str:
    """Format a 10-digit destination as ``866-555-1234``; leave anything else as given."""
    try:
        return formatted(parse_number(number))
    except SandboxError:
        return number


@dataclass(frozen=True, slots=True)
class _ReceivedCall:
    """What the platform knows of a call when it arrives."""

    fields: dict[str, Any]
    custom: dict[str, CustomValue]
    campaign: AdvertiserCampaign
    #: (promo number, ring pool id, allocation id, attributed) for ``CallAttributed``
    attribution: tuple[str, int | None, int | None, bool]


def _whole(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not (
            0 <= value <= MAX_CALL_SECONDS):
        raise RecordInvalid(field_errors={name: [f"must be an integer in 0..{MAX_CALL_SECONDS}"]})
    return value


def _phases(duration: Any, ring: Any, talk: Any) -> tuple[int, int, bool]:
    """(ring seconds, talk seconds, whether the call has phases) of a simulated call."""
    if duration is not None:
        duration = _whole("duration_seconds", duration)
    if ring is None and talk is None:
        return 0, 60 if duration is None else duration, False
    ring = 0 if ring is None else _whole("ring_seconds", ring)
    if talk is None:
        talk = 60 if duration is None else duration - ring
        if talk < 0:
            raise RecordInvalid(field_errors={"duration_seconds": [
                "must not be shorter than ring_seconds"]})
    talk = _whole("talk_seconds", talk)
    if duration is not None and duration != ring + talk:
        raise RecordInvalid(field_errors={"duration_seconds": [
            "must be ring_seconds + talk_seconds (or left out)"]})
    return ring, talk, True


def _one(query: Mapping[str, Any], name: str) -> str:
    value = query.get(name)
    if isinstance(value, list | tuple):
        value = value[-1] if value else None
    return "" if value is None else str(value).strip()


_NOT_DIGITS = re.compile(r"\D+")


def _phone_digits(text: str) -> str:
    """The national digits of a North American number in any common form (800-555-1234,
    8005551234, +18005551234, 18005551234); other text: its digits."""
    digits = _NOT_DIGITS.sub("", text)
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def _e164(number: str) -> str:
    """``805-555-0123`` -> ``+18055550123``; anything but 10 digits as given."""
    digits = _phone_digits(number)
    return f"+1{digits}" if len(digits) == 10 else number


def _call_filters(query: Mapping[str, Any]) -> dict[str, str]:
    """The Calls In Progress filters of ``query`` (phone numbers as national digits)."""
    wanted = {name: _one(query, name) for name in (
        "transaction_id", "external_unique_id", "calling_phone_number",
        "destination_phone_number")}
    calling, destination = wanted["calling_phone_number"], wanted["destination_phone_number"]
    if bool(calling) != bool(destination):
        missing = "destination_phone_number" if calling else "calling_phone_number"
        other = "calling_phone_number" if calling else "destination_phone_number"
        raise RecordInvalid(field_errors={missing: [f"is required with {other}"]})
    for name in ("calling_phone_number", "destination_phone_number"):
        if wanted[name]:
            digits = _phone_digits(wanted[name])
            if len(digits) != 10:
                raise RecordInvalid(field_errors={name: ["is not a phone number"]})
            wanted[name] = digits
    return {name: value for name, value in wanted.items() if value}


def _matches(call: LiveCall, wanted: Mapping[str, str]) -> bool:
    for name, value in wanted.items():
        if name == "transaction_id" and call.transaction_id != value:
            return False
        if name == "external_unique_id" and call.external_unique_id != value:
            return False
        if name in ("calling_phone_number", "destination_phone_number") and _phone_digits(
                str(call.fields.get(name) or "")) != value:
            return False
    return True


def _sees(principal: Principal, scope: tuple[int, str, str]) -> bool:
    """Whether ``principal`` may read a call of (network id, advertiser id from network,
    affiliate id from network): its network, advertiser or affiliate."""
    network_id, advertiser, affiliate = scope
    if principal.network_id != network_id:
        return False
    if principal.role == "advertiser":
        return principal.advertiser_id_from_network == advertiser
    if principal.role == "affiliate":
        return bool(affiliate) and principal.affiliate_id_from_network == affiliate
    return principal.role == "network"
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
              "add_"),
    named=("allocate_number", "bulk_allocate_numbers", "simulate_call", "new_token",
           "new_error_handle"),
    clock=_CLOCK_OPS,
    weight=_journal_weight,
    changed=_journal_changed,
)
