"""The Platform facade: the one object the mock server (and scenarios) talk to.

Rules of this module:

* One method per contract operation, named after its ``operationId`` in snake_case
  (``createRingPool`` -> :meth:`Platform.create_ring_pool`). Methods take the path ids, the
  parsed body or query and the API ``version``; they return plain data and raise
  :class:`~simulator.errors.SandboxError` subclasses. No HTTP status codes here: the mock maps
  verbs and error status hints.
* Everything random is seeded from ``seed`` through *derived streams* (numbers, keys and
  tokens, transaction ids, callers, error handles): adding a draw in one area never shifts
  another. Time comes from the :class:`~simulator.clock.Clock` passed in.
* Concurrency: one re-entrant lock around the directory (every Network Integration call,
  calls and transactions). Allocation does not take it: it reads the pool from a dict and
  the :class:`~simulator.ringpool.RingPool` locks only itself, so allocations on different
  pools never contend (the hot path).
* Auth: :meth:`Platform.authenticate` turns a token or HTTP Basic credentials into a
  :class:`Principal` (network, advertiser or affiliate role); a principal reaches only its
  own network. Network Integration operations need the network role. Allocation is
  authorised by the pool's ``ring_pool_key`` alone.
* Every state-changing call is journaled (:mod:`simulator.journal`) with the instant it saw
  as ``now``; :meth:`Platform.export_state` carries the journal and
  :meth:`Platform.import_state` rebuilds the same state by replaying it from the seed.
  Refused commands are journaled too (they may have drawn from a seeded stream).
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

import functools
import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from simulator import allocation_api
from simulator.allocation_api import AllocationResult
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
from simulator.journal import DEFAULT_JOURNAL_LIMIT, Journal, JournalEntry
from simulator.network import (
    DEFAULT_BASE_URL,
    Advertiser,
    AdvertiserCampaign,
    AffiliateCampaign,
    Directory,
    Network,
    PromoNumber,
    formatted,
    require_object,
    validate_user,
)
from simulator.numbers import NumberInventory, parse_number
from simulator.ringpool import CUSTOM_PARAMS, Allocation, RingPool
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
from simulator.world import Principal, World, populate_demo_world, populate_world

__all__ = [
    "AllocationResult",
    "CallAttributed",
    "Platform",
    "PlatformSettings",
    "Principal",
]

_CALLER_NPAS = ("212", "213", "312", "415", "617", "702", "805", "303", "206", "404")


@dataclass(frozen=True, slots=True)
class PlatformSettings:
    """Knobs of a platform (all have documented defaults)."""

    base_url: str = DEFAULT_BASE_URL
    #: issue only NXX-555-01XX numbers (never a real phone)
    fictional_only: bool = True
    #: events kept in the event log
    event_retention: int | None = 100_000
    #: transactions kept (None = all)
    transaction_retention: int | None = None
    #: allocations kept per ring pool for attribution and /_sandbox/allocations (None = all:
    #: memory then grows with every allocation)
    allocation_retention: int | None = 100_000
    #: rows per Bulk RingPool request
    bulk_batch_limit: int = 1000
    #: build the demo world (when ``world`` is None)
    demo_world: bool = True
    #: a parsed world file (see simulator.world.load_world) instead of the demo world
    world: Mapping[str, Any] | None = None
    #: commands kept for export/import by replay (None = unbounded); a Bulk RingPool request
    #: counts one per row
    journal_limit: int | None = DEFAULT_JOURNAL_LIMIT


@dataclass(frozen=True, slots=True)
class CallAttributed(Event):
    """A simulated call became a transaction (attributed to an allocation, or not)."""

    kind = "CallAttributed"

    transaction_id: str
    promo_number: str
    ring_pool_id: int | None
    allocation_id: int | None
    attributed: bool


@dataclass
class _Streams:
    """Independent seeded random streams, one per concern."""

    seed: int
    numbers: random.Random = field(init=False)
    keys: random.Random = field(init=False)
    transactions: random.Random = field(init=False)
    callers: random.Random = field(init=False)
    errors: random.Random = field(init=False)

    def __post_init__(self) -> None:
        for name in ("numbers", "keys", "transactions", "callers", "errors"):
            setattr(self, name, random.Random(f"invoca-sandbox:{self.seed}:{name}"))


class Platform:
    """The Invoca platform model behind every API of the sandbox."""

    def __init__(self, clock: Clock, seed: int = 0, *,
                 settings: PlatformSettings | None = None) -> None:
        self.clock = clock
        self.seed = seed
        self.settings = settings or PlatformSettings()
        self._lock = threading.RLock()
        #: per-thread: the instant the running journaled command sees as ``now``
        self._pin = threading.local()
        self._quiet = False  # True while building a world or replaying: nothing is journaled
        self.world: World | None = None
        self._build()

    # ---- state --------------------------------------------------------------------------

    def _build(self) -> None:
        settings = self.settings
        self.built_at = self.now()
        self.journal = Journal(settings.journal_limit)
        self.streams = _Streams(self.seed)
        self.events = EventLog(settings.event_retention)
        self.inventory = NumberInventory(
            self.streams.numbers, fictional_only=settings.fictional_only
        )
        self.directory = Directory(
            inventory=self.inventory,
            key_rng=self.streams.keys,
            events=self.events,
            base_url=settings.base_url,
            retention=settings.allocation_retention,
        )
        self.transactions = TransactionLog(settings.transaction_retention)
        self.transaction_ids = TransactionIds(self.streams.transactions)
        self.conversions = ConversionBook(self.transactions, self.transaction_ids)
        self._tokens: dict[str, Principal] = {}
        self._basic: dict[tuple[str, str], Principal] = {}
        self.world = None
        quiet, self._quiet = self._quiet, True
        try:
            if settings.world is not None:
                self.world = populate_world(self, settings.world)
            elif settings.demo_world:
                self.world = populate_demo_world(self)
        finally:
            self._quiet = quiet

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

    def now(self) -> datetime:
        """The current instant (inside a journaled command: the instant it started at)."""
        pinned: datetime | None = getattr(self._pin, "now", None)
        if pinned is not None:
            return pinned
        return as_utc(self.clock.now(), name="now")

    # ---- journal: export and import by replay ---------------------------------------------

    def _journaled_call(self, op: str, method: Any, args: tuple[Any, ...],
                        kwargs: dict[str, Any]) -> Any:
        if self._quiet or getattr(self._pin, "now", None) is not None:
            return method(self, *args, **kwargs)  # nested, replaying or building
        now = self.now()
        self._pin.now = now
        try:
            result = method(self, *args, **kwargs)
        except SandboxError:
            # it may have drawn from the seed
            self.journal.record(op, now, args, kwargs, weight=_journal_weight(op, args, kwargs))
            raise
        finally:
            self._pin.now = None
        self.journal.record(op, now, args, kwargs, weight=_journal_weight(op, args, kwargs))
        return result

    def _clock_call(self, method: Any, args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> Any:
        result = method(self, *args, **kwargs)
        if not self._quiet:
            now = self.now()
            self.journal.record("set_clock", now, (now,), {})
        return result

    def import_state(self, state: Mapping[str, Any]) -> None:
        """Rebuild from an :meth:`export_state` document by replaying its journal.

        The seed, world and commands come from ``state``; settings other than the world are
        this platform's. The clock moves forward to the exported ``now`` when it is behind
        (never backwards). A state that cannot be replayed changes nothing
        (``RecordInvalid``).
        """
        replay = state.get("replay") if isinstance(state, Mapping) else None
        if not isinstance(replay, Mapping):
            raise RecordInvalid("state has no replay section (export it with export_state)")
        if replay.get("truncated"):
            raise RecordInvalid("state cannot be imported: its journal was truncated "
                                f"(journal_limit {self.settings.journal_limit})")
        try:
            seed = int(replay["seed"])
            built_at = as_utc(datetime.fromisoformat(str(replay["built_at"])))
            final = as_utc(datetime.fromisoformat(str(state["now"])))
        except (KeyError, TypeError, ValueError, SandboxError):
            raise RecordInvalid("state needs replay.seed, replay.built_at and now") from None
        raw_journal = replay.get("journal")
        if not isinstance(raw_journal, list):
            raise RecordInvalid("state's replay.journal must be an array")
        entries = [JournalEntry.from_dict(item, i) for i, item in enumerate(raw_journal)]
        world = replay.get("world")
        if world is not None and not isinstance(world, Mapping):
            raise RecordInvalid("state's replay.world must be an object or null")
        from simulator.clock import ManualClock  # noqa: PLC0415 - only for replays

        clock = ManualClock(built_at)
        settings = replace(self.settings, world=world,
                           demo_world=bool(replay.get("demo_world", True)))
        copy = Platform(clock, seed, settings=settings)
        copy._quiet = True
        for index, entry in enumerate(entries):
            method = getattr(copy, entry.op, None)
            if entry.op.startswith("_") or entry.op not in _JOURNALED_OPS or method is None:
                raise RecordInvalid(f"journal[{index}]: unknown operation {entry.op!r}")
            if entry.at > clock.now():
                clock.set(entry.at)
            if entry.op == "set_clock":
                copy.set_clock(entry.at)
                copy.journal.record("set_clock", entry.at, (entry.at,), {})
                continue
            copy._pin.now = entry.at
            try:
                method(*entry.args, **entry.kwargs)
            except SandboxError:
                pass  # it failed the first time too
            except (TypeError, ValueError) as error:
                raise RecordInvalid(f"journal[{index}]: {error}") from None
            finally:
                copy._pin.now = None
            copy.journal.record(entry.op, entry.at, entry.args, entry.kwargs,
                                weight=_journal_weight(entry.op, entry.args, entry.kwargs))
        with self._lock:
            setter = getattr(self.clock, "set", None)
            if setter is not None and final > self.now():
                setter(final)
            for name in _STATE_ATTRIBUTES:
                setattr(self, name, getattr(copy, name))
            self.seed = seed
            self.settings = copy.settings

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
            self._tokens[token] = principal

    def add_basic_credentials(self, username: str, password: str, principal: Principal) -> None:
        with self._lock:
            self._basic[(username, password)] = principal

    def authenticate(self, *, token: str | None = None,
                     basic: tuple[str, str] | None = None) -> Principal:
        """The principal of a token or Basic credentials; ``Unauthorized`` otherwise."""
        if token:
            principal = self._tokens.get(token)
            if principal is not None:
                return principal
        if basic is not None:
            principal = self._basic.get((basic[0], basic[1]))
            if principal is not None:
                return principal
        if not token and basic is None:
            raise Unauthorized("Authentication required: pass an API token or Basic credentials")
        raise Unauthorized("Invalid credentials")

    def _network(self, principal: Principal, network_id: int | str) -> Network:
        """The principal's network (network role), checked against the path's id."""
        if str(principal.network_id) != str(network_id):
            raise Unauthorized(f"Not authorized for network {network_id}")
        if principal.role != "network":
            raise Unauthorized("Network Integration needs a network API token")
        return self.directory.network(network_id)

    def _advertiser(self, principal: Principal, network_id: int | str,
                    advertiser_id: str) -> Advertiser:
        return self.directory.advertiser(self._network(principal, network_id), advertiser_id)

    def _campaign(self, principal: Principal, network_id: int | str, advertiser_id: str,
                  campaign_id: str) -> AdvertiserCampaign:
        advertiser = self._advertiser(principal, network_id, advertiser_id)
        return self.directory.campaign(advertiser, campaign_id)

    def _affiliate_campaign(self, principal: Principal, network_id: int | str,
                            advertiser_id: str, campaign_id: str,
                            affiliate_id: str) -> AffiliateCampaign:
        campaign = self._campaign(principal, network_id, advertiser_id, campaign_id)
        return self.directory.affiliate_campaign(campaign, affiliate_id)

    # ---- networks -----------------------------------------------------------------------

    def get_network(self, principal: Principal, network_id: int | str, *,
                    version: str | None = None) -> dict[str, Any]:
        with self._lock:
            return self.directory.render_network(self._network(principal, network_id))

    def update_network(self, principal: Principal, network_id: int | str,
                       body: Mapping[str, Any], *, version: str | None = None) -> dict[str, Any]:
        with self._lock:
            network = self._network(principal, network_id)
            return self.directory.render_network(
                self.directory.update_network(network, body, version=version)
            )

    create_network = update_network

    def add_prompt_recording(self, network_id: int | str, body: Mapping[str, Any]
                             ) -> dict[str, Any]:
        """A professional prompt recording (uploaded in Invoca's UI, not through the API):
        the network's, or an advertiser's when ``body`` names ``advertiser_id_from_network``."""
        with self._lock:
            network = self.directory.network(network_id)
            values = dict(require_object(body))
            advertiser_id = values.pop("advertiser_id_from_network", None)
            advertiser = None if advertiser_id is None else self.directory.advertiser(
                network, str(advertiser_id))
            return self.directory.add_prompt_recording(network, advertiser, values, self.now())

    # ---- advertisers --------------------------------------------------------------------

    def list_advertisers(self, principal: Principal, network_id: int | str, *,
                         version: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            network = self._network(principal, network_id)
            return [self.directory.render_advertiser(a) for a in network.advertisers.values()]

    def get_advertiser(self, principal: Principal, network_id: int | str, advertiser_id: str,
                       *, version: str | None = None) -> dict[str, Any]:
        with self._lock:
            return self.directory.render_advertiser(
                self._advertiser(principal, network_id, advertiser_id)
            )

    def create_advertiser(self, principal: Principal, network_id: int | str,
                          body: Mapping[str, Any], *,
                          version: str | None = None) -> dict[str, Any]:
        with self._lock:
            network = self._network(principal, network_id)
            advertiser, _ = self.directory.upsert_advertiser(self.now(), network, body,
                                                             version=version)
            return self.directory.render_advertiser(advertiser)

    def update_advertiser(self, principal: Principal, network_id: int | str,
                          advertiser_id: str, body: Mapping[str, Any], *,
                          version: str | None = None) -> dict[str, Any]:
        with self._lock:
            network = self._network(principal, network_id)
            advertiser, _ = self.directory.upsert_advertiser(
                self.now(), network, body, advertiser_id, version=version
            )
            return self.directory.render_advertiser(advertiser)

    def delete_advertiser(self, principal: Principal, network_id: int | str,
                          advertiser_id: str, *, version: str | None = None) -> dict[str, Any]:
        with self._lock:
            network = self._network(principal, network_id)
            self.directory.delete_advertiser(self.now(), network, advertiser_id)
            return {}

    # ---- advertiser users (embedded in the advertiser, keyed by id_from_network) ----------

    def _users(self, advertiser: Advertiser) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = advertiser.values.setdefault("users", [])
        return users

    def list_advertiser_users(self, principal: Principal, network_id: int | str,
                              advertiser_id: str, *,
                              version: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            advertiser = self._advertiser(principal, network_id, advertiser_id)
            return [dict(u) for u in self._users(advertiser)]

    def get_advertiser_user(self, principal: Principal, network_id: int | str,
                            advertiser_id: str, user_id: str, *,
                            version: str | None = None) -> dict[str, Any]:
        with self._lock:
            advertiser = self._advertiser(principal, network_id, advertiser_id)
            for user in self._users(advertiser):
                if str(user.get("id_from_network")) == str(user_id):
                    return dict(user)
            raise RecordNotFound(
                f"Could not find User {user_id} for advertiser {advertiser_id}"
            )

    def _upsert_user(self, principal: Principal, network_id: int | str, advertiser_id: str,
                     body: Mapping[str, Any], user_id: str | None, *,
                     version: str | None) -> dict[str, Any]:
        """Create or merge one advertiser user (the per-user path: the fields sent are merged
        over the stored user; the body's id_from_network, when given, wins over the path's)."""
        user = require_object(body).get("user", body)
        if not isinstance(user, Mapping):
            raise RecordInvalid(field_errors={"user": ["is invalid"]})
        if user_id is not None and user.get("id_from_network") in (None, ""):
            user = {**user, "id_from_network": str(user_id)}
        with self._lock:
            advertiser = self._advertiser(principal, network_id, advertiser_id)
            users = self._users(advertiser)
            key = str(user.get("id_from_network") or "")
            index = next((i for i, u in enumerate(users)
                          if key and str(u.get("id_from_network")) == key), None)
            record, problems = validate_user(
                user, users[index] if index is not None else None, version=version
            )
            if problems:
                raise RecordInvalid("Validation failed", field_errors={"users": [problems]})
            if index is not None:
                users[index] = record
            else:
                users.append(record)
            return dict(record)

    def create_advertiser_user(self, principal: Principal, network_id: int | str,
                               advertiser_id: str, body: Mapping[str, Any], *,
                               version: str | None = None) -> dict[str, Any]:
        return self._upsert_user(principal, network_id, advertiser_id, body, None, version=version)

    def update_advertiser_user(self, principal: Principal, network_id: int | str,
                               advertiser_id: str, user_id: str, body: Mapping[str, Any], *,
                               version: str | None = None) -> dict[str, Any]:
        return self._upsert_user(principal, network_id, advertiser_id, body, user_id,
                                 version=version)

    def delete_advertiser_user(self, principal: Principal, network_id: int | str,
                               advertiser_id: str, user_id: str, *,
                               version: str | None = None) -> dict[str, Any]:
        with self._lock:
            advertiser = self._advertiser(principal, network_id, advertiser_id)
            users = self._users(advertiser)
            users[:] = [u for u in users if str(u.get("id_from_network")) != str(user_id)]
            return {}

    # ---- advertiser campaigns -----------------------------------------------------------

    def list_advertiser_campaigns(self, principal: Principal, network_id: int | str,
                                  advertiser_id: str, *,
                                  version: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            advertiser = self._advertiser(principal, network_id, advertiser_id)
            return [self.directory.render_campaign(c) for c in advertiser.campaigns.values()]

    def get_advertiser_campaign(self, principal: Principal, network_id: int | str,
                                advertiser_id: str, advertiser_campaign_id: str, *,
                                version: str | None = None) -> dict[str, Any]:
        with self._lock:
            return self.directory.render_campaign(
                self._campaign(principal, network_id, advertiser_id, advertiser_campaign_id)
            )

    def create_advertiser_campaign(self, principal: Principal, network_id: int | str,
                                   advertiser_id: str, body: Mapping[str, Any], *,
                                   version: str | None = None) -> dict[str, Any]:
        with self._lock:
            advertiser = self._advertiser(principal, network_id, advertiser_id)
            campaign, _ = self.directory.upsert_campaign(self.now(), advertiser, body)
            return self.directory.render_campaign(campaign)

    def update_advertiser_campaign(self, principal: Principal, network_id: int | str,
                                   advertiser_id: str, advertiser_campaign_id: str,
                                   body: Mapping[str, Any], *,
                                   version: str | None = None) -> dict[str, Any]:
        with self._lock:
            advertiser = self._advertiser(principal, network_id, advertiser_id)
            campaign, _ = self.directory.upsert_campaign(
                self.now(), advertiser, body, advertiser_campaign_id
            )
            return self.directory.render_campaign(campaign)

    def delete_advertiser_campaign(self, principal: Principal, network_id: int | str,
                                   advertiser_id: str, advertiser_campaign_id: str, *,
                                   version: str | None = None) -> dict[str, Any]:
        """Refused, as documented: "You are not allowed to delete campaigns." """
        with self._lock:
            self._advertiser(principal, network_id, advertiser_id)
            raise RecordInvalid("You are not allowed to delete campaigns.")

    def go_live_advertiser_campaign(self, principal: Principal, network_id: int | str,
                                    advertiser_id: str, advertiser_campaign_id: str,
                                    body: Mapping[str, Any] | None = None, *,
                                    version: str | None = None) -> dict[str, Any]:
        """Make the campaign's terms live; ``timeout`` (2..60 s) is validated and ignored."""
        timeout = (body or {}).get("timeout")
        if timeout is not None:
            try:
                seconds = int(str(timeout))
            except ValueError:
                seconds = -1
            if not 2 <= seconds <= 60:
                raise RecordInvalid(field_errors={"timeout": ["must be between 2 and 60"]})
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            self.directory.go_live(self.now(), campaign)
            return self.directory.render_campaign(campaign)

    def archive_advertiser_campaign(self, principal: Principal, network_id: int | str,
                                    advertiser_id: str, advertiser_campaign_id: str,
                                    body: Mapping[str, Any] | None = None, *,
                                    version: str | None = None) -> dict[str, Any]:
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            self.directory.set_campaign_status(self.now(), campaign, "Archived")
            return {}

    def unarchive_advertiser_campaign(self, principal: Principal, network_id: int | str,
                                      advertiser_id: str, advertiser_campaign_id: str,
                                      body: Mapping[str, Any] | None = None, *,
                                      version: str | None = None) -> dict[str, Any]:
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            self.directory.set_campaign_status(self.now(), campaign, "Paused")
            return {}

    def get_advertiser_campaign_quick_stats(self, principal: Principal, network_id: int | str,
                                            advertiser_id: str, advertiser_campaign_id: str, *,
                                            version: str | None = None) -> dict[str, Any]:
        """Call counts and mean durations over 30 days, 7 days and today (UTC)."""
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            now = self.now()
            today = now.replace(hour=0, minute=0, second=0, microsecond=0)
            windows = {
                "last_30days": now - timedelta(days=30),
                "last_7days": now - timedelta(days=7),
                "today": today,
            }
            calls = [
                t for t in self.transactions.all()
                if t.fields["advertiser_campaign_id"] == campaign.id
                and t.fields["transaction_type"] == "Call"
            ]
            stats: dict[str, Any] = {}
            for name, since in windows.items():
                durations = [int(t.fields["duration"]) for t in calls
                             if since <= t.start_at <= now]
                stats[name] = {
                    "call_avg_total_duration": (
                        round(sum(durations) / len(durations), 2) if durations else 0.0
                    ),
                    "call_count": len(durations),
                }
            return {"stats": stats}

    # ---- affiliates ---------------------------------------------------------------------

    def list_affiliates(self, principal: Principal, network_id: int | str, *,
                        version: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            network = self._network(principal, network_id)
            return [self.directory.render_affiliate(a) for a in network.affiliates.values()]

    def get_affiliate(self, principal: Principal, network_id: int | str, affiliate_id: str, *,
                      version: str | None = None) -> dict[str, Any]:
        with self._lock:
            network = self._network(principal, network_id)
            return self.directory.render_affiliate(
                self.directory.affiliate(network, affiliate_id)
            )

    def create_affiliate(self, principal: Principal, network_id: int | str,
                         body: Mapping[str, Any], *,
                         version: str | None = None) -> dict[str, Any]:
        with self._lock:
            network = self._network(principal, network_id)
            affiliate, _ = self.directory.upsert_affiliate(self.now(), network, body,
                                                           version=version)
            return self.directory.render_affiliate(affiliate)

    def update_affiliate(self, principal: Principal, network_id: int | str, affiliate_id: str,
                         body: Mapping[str, Any], *,
                         version: str | None = None) -> dict[str, Any]:
        with self._lock:
            network = self._network(principal, network_id)
            affiliate, _ = self.directory.upsert_affiliate(
                self.now(), network, body, affiliate_id, version=version
            )
            return self.directory.render_affiliate(affiliate)

    def delete_affiliate(self, principal: Principal, network_id: int | str, affiliate_id: str,
                         *, version: str | None = None) -> dict[str, Any]:
        with self._lock:
            network = self._network(principal, network_id)
            self.directory.delete_affiliate(self.now(), network, affiliate_id)
            return {}

    # ---- advertiser-affiliate relationships ----------------------------------------------

    def list_advertiser_affiliates(self, principal: Principal, network_id: int | str,
                                   advertiser_id: str, *,
                                   version: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            advertiser = self._advertiser(principal, network_id, advertiser_id)
            return [self.directory.render_relationship(r)
                    for r in advertiser.relationships.values()]

    def get_advertiser_affiliate(self, principal: Principal, network_id: int | str,
                                 advertiser_id: str, affiliate_id: str, *,
                                 version: str | None = None) -> dict[str, Any]:
        with self._lock:
            advertiser = self._advertiser(principal, network_id, advertiser_id)
            return self.directory.render_relationship(
                self.directory.relationship(advertiser, affiliate_id)
            )

    def create_advertiser_affiliate(self, principal: Principal, network_id: int | str,
                                    advertiser_id: str, affiliate_id: str,
                                    body: Mapping[str, Any], *,
                                    version: str | None = None) -> dict[str, Any]:
        """Upsert the relationship; the docs answer ``{}`` (POST 201, PUT 200)."""
        with self._lock:
            advertiser = self._advertiser(principal, network_id, advertiser_id)
            self.directory.upsert_relationship(self.now(), advertiser, affiliate_id, body)
            return {}

    update_advertiser_affiliate = create_advertiser_affiliate

    def delete_advertiser_affiliate(self, principal: Principal, network_id: int | str,
                                    advertiser_id: str, affiliate_id: str, *,
                                    version: str | None = None) -> dict[str, Any]:
        with self._lock:
            advertiser = self._advertiser(principal, network_id, advertiser_id)
            self.directory.delete_relationship(self.now(), advertiser, affiliate_id)
            return {}

    # ---- affiliate campaigns ------------------------------------------------------------

    def list_affiliate_campaigns(self, principal: Principal, network_id: int | str,
                                 advertiser_id: str, advertiser_campaign_id: str, *,
                                 version: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            return [self.directory.render_affiliate_campaign(c)
                    for c in campaign.affiliate_campaigns.values()]

    def get_affiliate_campaign(self, principal: Principal, network_id: int | str,
                               advertiser_id: str, advertiser_campaign_id: str,
                               affiliate_id: str, *,
                               version: str | None = None) -> dict[str, Any]:
        with self._lock:
            return self.directory.render_affiliate_campaign(self._affiliate_campaign(
                principal, network_id, advertiser_id, advertiser_campaign_id, affiliate_id
            ))

    def create_affiliate_campaign(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str,
                                  advertiser_id: str, advertiser_campaign_id: str,
                                  affiliate_id: str, body: Mapping[str, Any], *,
                                  version: str | None = None) -> dict[str, Any]:
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            held, _ = self.directory.upsert_affiliate_campaign(
                self.now(), campaign, affiliate_id, body
            )
            return self.directory.render_affiliate_campaign(held)

    update_affiliate_campaign = create_affiliate_campaign

    def delete_affiliate_campaign(self, principal: Principal, network_id: int | str,
                                  advertiser_id: str, advertiser_campaign_id: str,
                                  affiliate_id: str, *,
                                  version: str | None = None) -> dict[str, Any]:
        """Refused, as documented: "You are not allowed to delete an Affiliate Campaign." """
        with self._lock:
            self._campaign(principal, network_id, advertiser_id, advertiser_campaign_id)
            raise RecordInvalid("You are not allowed to delete an Affiliate Campaign.")

    # ---- promo numbers ------------------------------------------------------------------

    def _promo_holder(self, principal: Principal, network_id: int | str, advertiser_id: str,
                      campaign_id: str, affiliate_id: str | None,
                      ) -> tuple[AdvertiserCampaign, AffiliateCampaign | None]:
        campaign = self._campaign(principal, network_id, advertiser_id, campaign_id)
        if affiliate_id is None:
            return campaign, None
        return campaign, self.directory.affiliate_campaign(campaign, affiliate_id)

    def _list_promo(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str, advertiser_id: str,
                    campaign_id: str, affiliate_id: str | None,
                    by_id: bool) -> list[dict[str, Any]]:
        with self._lock:
            campaign, held = self._promo_holder(principal, network_id, advertiser_id,
                                                campaign_id, affiliate_id)
            holder = held if held is not None else campaign
            source = holder.promo_numbers_by_id if by_id else holder.promo_numbers
            return [self.directory.render_promo_number(p) for p in source.values()]

    def _find_promo(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str, advertiser_id: str,
                    campaign_id: str, affiliate_id: str | None, key: str,
                    by_id: bool) -> PromoNumber:
        campaign, held = self._promo_holder(principal, network_id, advertiser_id,
                                            campaign_id, affiliate_id)
        if by_id:
            return self.directory.promo_number_by_id(campaign, held, key)
        return self.directory.promo_number(campaign, held, key)

    def _create_promo(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str, advertiser_id: str,
                      campaign_id: str, affiliate_id: str | None, body: Mapping[str, Any],
                      by_id: str | None) -> dict[str, Any]:
        with self._lock:
            campaign, held = self._promo_holder(principal, network_id, advertiser_id,
                                                campaign_id, affiliate_id)
            promo, _ = self.directory.create_promo_number(
                self.now(), campaign, held, body, by_id=by_id
            )
            return self.directory.render_promo_number(promo)

    def _update_promo(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str, advertiser_id: str,
                      campaign_id: str, affiliate_id: str | None, key: str,
                      body: Mapping[str, Any], by_id: bool) -> dict[str, Any]:
        if by_id:
            return self._create_promo(principal, network_id, advertiser_id, campaign_id,
                                      affiliate_id, body, str(key))
        with self._lock:
            promo = self._find_promo(principal, network_id, advertiser_id, campaign_id,
                                     affiliate_id, key, False)
            self.directory.update_promo_number(self.now(), promo, body)
            return self.directory.render_promo_number(promo)

    def _delete_promo(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str, advertiser_id: str,
                      campaign_id: str, affiliate_id: str | None, key: str,
                      by_id: bool) -> dict[str, Any]:
        with self._lock:
            try:
                promo = self._find_promo(principal, network_id, advertiser_id, campaign_id,
                                         affiliate_id, key, by_id)
            except RecordNotFound:
                # a missing promo number is a no-op, but missing parents are still 404
                self._promo_holder(principal, network_id, advertiser_id, campaign_id,
                                   affiliate_id)
                return {}
            self.directory.delete_promo_number(self.now(), promo)
            return {}

    # advertiser campaign level, by number
    def list_promo_numbers(self, principal: Principal, network_id: int | str,
                           advertiser_id: str, advertiser_campaign_id: str, *,
                           version: str | None = None) -> list[dict[str, Any]]:
        return self._list_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                None, False)

    def get_promo_number(self, principal: Principal, network_id: int | str,
                         advertiser_id: str, advertiser_campaign_id: str, promo_number: str,
                         *, version: str | None = None) -> dict[str, Any]:
        with self._lock:
            return self.directory.render_promo_number(self._find_promo(
                principal, network_id, advertiser_id, advertiser_campaign_id, None,
                promo_number, False,
            ))

    def create_promo_number(self, principal: Principal, network_id: int | str,
                            advertiser_id: str, advertiser_campaign_id: str,
                            body: Mapping[str, Any], *,
                            version: str | None = None) -> dict[str, Any]:
        return self._create_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                  None, body, None)

    def update_promo_number(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str,
                            advertiser_id: str, advertiser_campaign_id: str, promo_number: str,
                            body: Mapping[str, Any], *,
                            version: str | None = None) -> dict[str, Any]:
        return self._update_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                  None, promo_number, body, False)

    def delete_promo_number(self, principal: Principal, network_id: int | str,
                            advertiser_id: str, advertiser_campaign_id: str, promo_number: str,
                            *, version: str | None = None) -> dict[str, Any]:
        return self._delete_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                  None, promo_number, False)

    # advertiser campaign level, by id_from_network
    def list_promo_number_by_ids(self, principal: Principal, network_id: int | str,
                                 advertiser_id: str, advertiser_campaign_id: str, *,
                                 version: str | None = None) -> list[dict[str, Any]]:
        return self._list_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                None, True)

    list_promo_numbers_by_id = list_promo_number_by_ids

    def get_promo_number_by_id(self, principal: Principal, network_id: int | str,
                               advertiser_id: str, advertiser_campaign_id: str,
                               promo_number_id: str, *,
                               version: str | None = None) -> dict[str, Any]:
        with self._lock:
            return self.directory.render_promo_number(self._find_promo(
                principal, network_id, advertiser_id, advertiser_campaign_id, None,
                promo_number_id, True,
            ))

    def create_promo_number_by_id(self, principal: Principal, network_id: int | str,
                                  advertiser_id: str, advertiser_campaign_id: str,
                                  body: Mapping[str, Any], *,
                                  version: str | None = None) -> dict[str, Any]:
        key = body.get("id_from_network")
        if key is None or not str(key).strip():
            raise RecordInvalid(field_errors={"id_from_network": ["can't be blank"]})
        return self._create_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                  None, body, str(key))

    def update_promo_number_by_id(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str,
                                  advertiser_id: str, advertiser_campaign_id: str,
                                  promo_number_id: str, body: Mapping[str, Any], *,
                                  version: str | None = None) -> dict[str, Any]:
        return self._update_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                  None, promo_number_id, body, True)

    def delete_promo_number_by_id(self, principal: Principal, network_id: int | str,
                                  advertiser_id: str, advertiser_campaign_id: str,
                                  promo_number_id: str, *,
                                  version: str | None = None) -> dict[str, Any]:
        return self._delete_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                  None, promo_number_id, True)

    # affiliate campaign level, by number
    def list_affiliate_campaign_promo_numbers(
        self, principal: Principal, network_id: int | str, advertiser_id: str,
        advertiser_campaign_id: str, affiliate_id: str, *, version: str | None = None,
    ) -> list[dict[str, Any]]:
        return self._list_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                affiliate_id, False)

    def get_affiliate_campaign_promo_number(  # noqa: PLR0917
        self, principal: Principal, network_id: int | str, advertiser_id: str,
        advertiser_campaign_id: str, affiliate_id: str, promo_number: str, *,
        version: str | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            return self.directory.render_promo_number(self._find_promo(
                principal, network_id, advertiser_id, advertiser_campaign_id, affiliate_id,
                promo_number, False,
            ))

    def create_affiliate_campaign_promo_number(  # noqa: PLR0917
        self, principal: Principal, network_id: int | str, advertiser_id: str,
        advertiser_campaign_id: str, affiliate_id: str, body: Mapping[str, Any], *,
        version: str | None = None,
    ) -> dict[str, Any]:
        return self._create_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                  affiliate_id, body, None)

    def update_affiliate_campaign_promo_number(  # noqa: PLR0917
        self, principal: Principal, network_id: int | str, advertiser_id: str,
        advertiser_campaign_id: str, affiliate_id: str, promo_number: str,
        body: Mapping[str, Any], *, version: str | None = None,
    ) -> dict[str, Any]:
        return self._update_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                  affiliate_id, promo_number, body, False)

    def delete_affiliate_campaign_promo_number(  # noqa: PLR0917
        self, principal: Principal, network_id: int | str, advertiser_id: str,
        advertiser_campaign_id: str, affiliate_id: str, promo_number: str, *,
        version: str | None = None,
    ) -> dict[str, Any]:
        return self._delete_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                  affiliate_id, promo_number, False)

    # affiliate campaign level, by id_from_network
    def list_affiliate_campaign_promo_number_by_ids(
        self, principal: Principal, network_id: int | str, advertiser_id: str,
        advertiser_campaign_id: str, affiliate_id: str, *, version: str | None = None,
    ) -> list[dict[str, Any]]:
        return self._list_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                affiliate_id, True)

    list_affiliate_campaign_promo_numbers_by_id = list_affiliate_campaign_promo_number_by_ids

    def get_affiliate_campaign_promo_number_by_id(  # noqa: PLR0917
        self, principal: Principal, network_id: int | str, advertiser_id: str,
        advertiser_campaign_id: str, affiliate_id: str, promo_number_id: str, *,
        version: str | None = None,
    ) -> dict[str, Any]:
        with self._lock:
            return self.directory.render_promo_number(self._find_promo(
                principal, network_id, advertiser_id, advertiser_campaign_id, affiliate_id,
                promo_number_id, True,
            ))

    def create_affiliate_campaign_promo_number_by_id(  # noqa: PLR0917
        self, principal: Principal, network_id: int | str, advertiser_id: str,
        advertiser_campaign_id: str, affiliate_id: str, body: Mapping[str, Any], *,
        version: str | None = None,
    ) -> dict[str, Any]:
        key = body.get("id_from_network")
        if key is None or not str(key).strip():
            raise RecordInvalid(field_errors={"id_from_network": ["can't be blank"]})
        return self._create_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                  affiliate_id, body, str(key))

    def update_affiliate_campaign_promo_number_by_id(  # noqa: PLR0917
        self, principal: Principal, network_id: int | str, advertiser_id: str,
        advertiser_campaign_id: str, affiliate_id: str, promo_number_id: str,
        body: Mapping[str, Any], *, version: str | None = None,
    ) -> dict[str, Any]:
        return self._update_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                  affiliate_id, promo_number_id, body, True)

    def delete_affiliate_campaign_promo_number_by_id(  # noqa: PLR0917
        self, principal: Principal, network_id: int | str, advertiser_id: str,
        advertiser_campaign_id: str, affiliate_id: str, promo_number_id: str, *,
        version: str | None = None,
    ) -> dict[str, Any]:
        return self._delete_promo(principal, network_id, advertiser_id, advertiser_campaign_id,
                                  affiliate_id, promo_number_id, True)

    # ---- ring pools ---------------------------------------------------------------------

    def list_ring_pools(self, principal: Principal, network_id: int | str,
                        advertiser_id: str, advertiser_campaign_id: str, *,
                        version: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            return [self.directory.render_ring_pool(p, version=version)
                    for p in campaign.ring_pools.values()]

    def get_ring_pool(self, principal: Principal, network_id: int | str, advertiser_id: str,
                      advertiser_campaign_id: str, ring_pool_id: str, *,
                      version: str | None = None) -> dict[str, Any]:
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            return self.directory.render_ring_pool(
                self.directory.ring_pool(campaign, ring_pool_id), version=version
            )

    def create_ring_pool(self, principal: Principal, network_id: int | str,
                         advertiser_id: str, advertiser_campaign_id: str,
                         body: Mapping[str, Any], *,
                         version: str | None = None) -> dict[str, Any]:
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            pool, _ = self.directory.upsert_ring_pool(self.now(), campaign, body,
                                                      version=version)
            return self.directory.render_ring_pool(pool, version=version)

    def update_ring_pool(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str,
                         advertiser_id: str, advertiser_campaign_id: str, ring_pool_id: str,
                         body: Mapping[str, Any], *,
                         version: str | None = None) -> dict[str, Any]:
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            pool, _ = self.directory.upsert_ring_pool(self.now(), campaign, body, ring_pool_id,
                                                      version=version)
            return self.directory.render_ring_pool(pool, version=version)

    def delete_ring_pool(self, principal: Principal, network_id: int | str,
                         advertiser_id: str, advertiser_campaign_id: str, ring_pool_id: str, *,
                         version: str | None = None) -> dict[str, Any]:
        with self._lock:
            campaign = self._campaign(principal, network_id, advertiser_id,
                                      advertiser_campaign_id)
            self.directory.delete_ring_pool(self.now(), campaign, ring_pool_id)
            return {}

    # ---- affiliate campaign ring pools (documented until 2019) ------------------------------

    def list_affiliate_campaign_ring_pool(
            self, principal: Principal, network_id: int | str, advertiser_id: str,
            advertiser_campaign_id: str, affiliate_id: str, *,
            version: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            held = self._affiliate_campaign(principal, network_id, advertiser_id,
                                            advertiser_campaign_id, affiliate_id)
            return [self.directory.render_ring_pool(p, version=version)
                    for p in held.ring_pools.values()]

    def get_affiliate_campaign_ring_pool(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str, advertiser_id: str,
            advertiser_campaign_id: str, affiliate_id: str, ring_pool_id: str, *,
            version: str | None = None) -> dict[str, Any]:
        with self._lock:
            held = self._affiliate_campaign(principal, network_id, advertiser_id,
                                            advertiser_campaign_id, affiliate_id)
            pool = self.directory.ring_pool(held.campaign, ring_pool_id, held)
            return self.directory.render_ring_pool(pool, version=version)

    def create_affiliate_campaign_ring_pool(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str, advertiser_id: str,
            advertiser_campaign_id: str, affiliate_id: str, body: Mapping[str, Any], *,
            version: str | None = None) -> dict[str, Any]:
        with self._lock:
            held = self._affiliate_campaign(principal, network_id, advertiser_id,
                                            advertiser_campaign_id, affiliate_id)
            pool, _ = self.directory.upsert_ring_pool(self.now(), held.campaign, body,
                                                      version=version, affiliate_campaign=held)
            return self.directory.render_ring_pool(pool, version=version)

    def update_affiliate_campaign_ring_pool(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str, advertiser_id: str,
            advertiser_campaign_id: str, affiliate_id: str, ring_pool_id: str,
            body: Mapping[str, Any], *, version: str | None = None) -> dict[str, Any]:
        with self._lock:
            held = self._affiliate_campaign(principal, network_id, advertiser_id,
                                            advertiser_campaign_id, affiliate_id)
            pool, _ = self.directory.upsert_ring_pool(self.now(), held.campaign, body,
                                                      ring_pool_id, version=version,
                                                      affiliate_campaign=held)
            return self.directory.render_ring_pool(pool, version=version)

    def delete_affiliate_campaign_ring_pool(  # noqa: PLR0917
            self, principal: Principal, network_id: int | str, advertiser_id: str,
            advertiser_campaign_id: str, affiliate_id: str, ring_pool_id: str, *,
            version: str | None = None) -> dict[str, Any]:
        with self._lock:
            held = self._affiliate_campaign(principal, network_id, advertiser_id,
                                            advertiser_campaign_id, affiliate_id)
            self.directory.delete_ring_pool(self.now(), held.campaign, ring_pool_id, held)
            return {}

    # ---- the contract's operationIds that name the same operations ------------------------

    list_advertiser = list_advertisers
    list_advertiser_user = list_advertiser_users
    list_advertiser_campaign = list_advertiser_campaigns
    list_affiliate = list_affiliates
    list_advertiser_affiliate = list_advertiser_affiliates
    list_affiliate_campaign = list_affiliate_campaigns
    list_promo_number = list_promo_numbers
    list_promo_number_by_id = list_promo_number_by_ids
    list_affiliate_campaign_promo_number = list_affiliate_campaign_promo_numbers
    list_affiliate_campaign_promo_number_by_id = list_affiliate_campaign_promo_number_by_ids
    list_ring_pool = list_ring_pools
    create_network_user = update_network
    update_network_user = update_network
    create_advertiser_with_id = update_advertiser
    #: the campaign-feature pages POST to the campaign's item path: the same merging upsert
    create_advertiser_campaign_with_id = update_advertiser_campaign
    #: the GET forms of the campaign actions (2016 docs)
    go_live_advertiser_campaign_via_get = go_live_advertiser_campaign
    archive_advertiser_campaign_via_get = archive_advertiser_campaign
    unarchive_advertiser_campaign_via_get = unarchive_advertiser_campaign

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

    def export_state(self) -> dict[str, Any]:
        """The whole observable state as JSON-safe data (world, transactions, event log)."""
        with self._lock:
            networks = []
            for network in self.directory.networks.values():
                advertisers = []
                for advertiser in network.advertisers.values():
                    campaigns = []
                    for campaign in advertiser.campaigns.values():
                        campaigns.append({
                            **self.directory.render_campaign(campaign),
                            "promo_numbers": [self.directory.render_promo_number(p)
                                              for p in campaign.promo_numbers.values()],
                            "ring_pools": [
                                {**self.directory.render_ring_pool(p),
                                 "allocations": [a.to_dict() for a in p.allocations()]}
                                for p in campaign.ring_pools.values()
                            ],
                            "affiliate_campaigns": [
                                {**self.directory.render_affiliate_campaign(c),
                                 "promo_numbers": [self.directory.render_promo_number(p)
                                                   for p in c.promo_numbers.values()],
                                 "ring_pools": [
                                     {**self.directory.render_ring_pool(p),
                                      "allocations": [a.to_dict() for a in p.allocations()]}
                                     for p in c.ring_pools.values()
                                 ]}
                                for c in campaign.affiliate_campaigns.values()
                            ],
                        })
                    advertisers.append({
                        **self.directory.render_advertiser(advertiser),
                        "advertiser_campaigns": campaigns,
                        "affiliates": [self.directory.render_relationship(r)
                                       for r in advertiser.relationships.values()],
                    })
                networks.append({
                    **self.directory.render_network(network),
                    "affiliate_id_param": network.affiliate_id_param,
                    "advertisers": advertisers,
                    "affiliates": [self.directory.render_affiliate(a)
                                   for a in network.affiliates.values()],
                })
            return {
                "now": self.now().isoformat(),
                "seed": self.seed,
                "networks": networks,
                "transactions": [t.to_dict() for t in self.transactions.all()],
                "events": [{"seq": seq, **event.to_dict()} for seq, event in self.events],
                "replay": {
                    "seed": self.seed,
                    "built_at": self.built_at.isoformat(),
                    "world": _plain(self.settings.world),
                    "demo_world": self.settings.demo_world,
                    "truncated": self.journal.truncated,
                    "journal": self.journal.to_list(),
                },
            }


#: what import_state copies from the replayed platform
_STATE_ATTRIBUTES = (
    "built_at", "journal", "streams", "events", "inventory", "directory", "transactions",
    "transaction_ids", "conversions", "_tokens", "_basic", "world",
)
_CLOCK_OPS = ("advance_clock", "set_clock")
_MUTATING_PREFIXES = ("create_", "update_", "delete_", "go_live_", "archive_", "unarchive_",
                      "report_", "add_")
#: every command that changes state (journaled, and allowed in an imported journal)
_JOURNALED_OPS = frozenset(
    name for name in dir(Platform)
    if not name.startswith("_") and callable(getattr(Platform, name))
    and (name.startswith(_MUTATING_PREFIXES)
         or name in ("allocate_number", "bulk_allocate_numbers", "simulate_call", "new_token",
                     "new_error_handle", *_CLOCK_OPS))
)


def _journaled(op: str, method: Any) -> Any:
    @functools.wraps(method)
    def journaled(self: Platform, *args: Any, **kwargs: Any) -> Any:
        if op in _CLOCK_OPS:
            return self._clock_call(method, args, kwargs)
        return self._journaled_call(op, method, args, kwargs)

    return journaled


for _op in sorted(_JOURNALED_OPS):
    setattr(Platform, _op, _journaled(_op, getattr(Platform, _op)))


def _plain(value: Any) -> Any:
    """A world mapping as plain JSON data (TOML tables may be other Mapping types)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


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

