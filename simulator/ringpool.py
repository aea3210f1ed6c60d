"""RingPool allocation: promo numbers handed to visitors for a guaranteed minimum hold.

Rules (from the seeds: RingPool allocation API, Network Integration RingPools):

* A pool has at most ``max_pool_size`` promo numbers. Each allocation holds its number for
  ``lifetime_seconds`` (the guaranteed minimum hold): from ``allocated_at`` up to, but not
  including, ``expires_at``. At ``expires_at`` the hold has ended and the number is free.
* A held number is never given to a second allocation before its hold ends.
* When every number is held, the visitor gets the pool's *overflow number* and the
  allocation says ``overflow=True`` (an :class:`OverflowServed` event). The API still succeeds.
  With ``allow_overflow=False`` there is no overflow number: the docs say the page keeps its
  original number, so :meth:`RingPool.allocate` raises :class:`RingPoolFull` (class
  ``RecordInvalid``, status hint 403; a sandbox choice) and nothing changes.
* A free number is reused starting with the one idle longest (whose hold ended earliest).
* Numbers are provisioned lazily, one at a time, from ``supply()``: when an allocation needs a
  number and fewer than ``max_pool_size`` exist, a new number is provisioned *before* any free
  number is reused. This is observably the same as "fill the pool at creation, then reuse the
  number idle longest": a never-used number has been idle since the pool was created, longer
  than any number whose hold has ended, so it goes first either way. It only avoids issuing
  numbers that are never used. The overflow number (when ``allow_overflow``) is reserved at
  creation (``overflow_number=`` or one call to ``supply()``).
* Local RingPools (``fill_at`` set): no number is provisioned before ``fill_at`` (visitors get
  the overflow number). On the first ``allocate``/``expire`` at or after ``fill_at`` the pool
  is filled to ``max_pool_size`` at once (one pass, as Invoca does ~10 minutes after
  creation) and a :class:`LocalNumbersFilled` event (``at=fill_at``) counts local and
  toll-free numbers. If ``supply()`` runs out during the fill, the pool keeps what it got.
* Every allocation records its instant, its parameters and its number, so a call to a number
  at instant t is attributed to the latest allocation of that number at or before t
  (:meth:`RingPool.attribute`): a number stays associated with its last visitor until it is
  reallocated, even after the minimum hold. Overflow numbers attribute to nobody.

Costs: ``allocate`` and ``expire`` are O(1) amortised whatever the pool size. Holds sit in
deques in expiry order (the lifetime is fixed, so expiry order is allocation order); free
numbers sit in a deque in the order their holds ended. A reconfigure that shortens the
lifetime starts a new expiry-ordered segment; sweeping takes the earliest front among the
(few) live segments. ``attribute`` is O(log k) by bisecting the number's own history.

Representation (the hot path): one private core, ``_allocate_locked``, applies the rules
above to a batch of visitors; :meth:`RingPool.allocate` (one visitor, answers an
:class:`Allocation`), :meth:`RingPool.allocate_many` (offline scenarios) and
:meth:`RingPool.allocate_rows` (the Bulk RingPool API) all call it. Inside, instants are
integer microseconds since the Unix epoch (exact; converted once at the API edge). Each
allocation is an :data:`AllocationRecord` tuple, kept once and shared by the log, the live
holds and the number's history; :class:`Allocation` values are built only when asked for
(``allocate``, ``allocations()``, ``attribute()``). Events are recorded as deferred tuples
(:meth:`simulator.events.EventLog.record`), or not at all for a pool built with
``events=None``. Normalizing a query is planned once per pool configuration and set of query
keys when no value matters (Custom pools without search or referrer keys). Retention: the log
is a ``deque(maxlen=retention)``; a number's history drops its forgotten records when the
number is allocated again, and compaction passes (after at least ``retention`` + pool size
new allocations: O(1) amortised, done a slice of numbers per allocation call so no call
waits for a whole pass) drop those of numbers idle since; an attribution that lands on a
forgotten record answers None, as if it were gone.

Sandbox choices (gaps in the docs; listed in docs/fidelity.md):

* ``retention`` bounds the allocation log *per pool* (None = unbounded); the oldest
  allocations are forgotten first, and a call to a number whose allocations were all
  forgotten is unattributed.
* Concurrent callers may pass slightly out-of-order ``now`` values (each thread read the
  clock before taking the lock): an instant earlier than the latest one the pool has seen is
  treated as that latest instant, so time inside a pool never goes backwards.
* ``allow_overflow`` cannot be changed by :meth:`RingPool.reconfigure` (Invoca: "must equal
  original or omitted, else request fails").
* Shrinking ``max_pool_size`` drops free numbers first (idle longest first); held numbers
  beyond the new size leave the pool when their hold ends (a :class:`NumberReleased` event
  and ``release(number)``). A live hold is never cut short.
* If ``supply()`` raises :class:`~simulator.errors.NumbersExhausted` the pool reuses a free
  number when it has one; otherwise the error propagates (nothing changed).
* Required parameters by pool type: ``Search`` needs ``search_engine`` and
  ``search_keywords``; ``SearchKeyword`` needs ``search_keyword_id``; ``ReferralDomain`` and
  ``ReferralDomainWithSearchTracking`` need ``referrer``; ``Custom`` and
  ``CustomWithSearchTracking`` need nothing. Missing ones raise ``RecordInvalid`` (message
  plus Rails-style ``field_errors``). A ``referrer`` from a known search engine fills in
  missing ``search_engine``/``search_keywords``/``search_type`` for every pool type (see
  :mod:`simulator.referrer`); for ``ReferralDomainWithSearchTracking`` a referrer that is not
  a search engine becomes the traffic source (``search_engine``), as the docs say.
* Parameter precedence: an explicit ``paramN`` key wins over the custom name mapped to it.
  Keys that are neither normalized names nor custom names are ignored (e.g. ``ring_pool_key``
  and the network's affiliate id parameter, which the caller passes separately).
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate, chain, compress, islice, repeat
from itertools import count as naturals
from operator import add, itemgetter, le, sub
from types import MappingProxyType
from typing import Any, cast

from simulator.clock import as_utc
from simulator.errors import NumbersExhausted, RecordInvalid, SandboxError
from simulator.events import (
    DeferredEvent,
    Event,
    EventLog,
    LocalNumbersFilled,
    NumberAllocated,
    NumberRecycled,
    NumberReleased,
    OverflowServed,
    from_micros,
    iso_utc,
    to_micros,
)
from simulator.numbers import is_toll_free
from simulator.referrer import parse_referrer, search_type_for
from simulator.rows import Table, flat_rows_from_columns

__all__ = [
    "CUSTOM_PARAMS",
    "NORMALIZED_PARAMS",
    "POOL_TYPES",
    "Allocation",
    "AllocationRecord",
    "RingPool",
    "RingPoolFull",
]

POOL_TYPES = (
    "Search",
    "SearchKeyword",
    "Custom",
    "CustomWithSearchTracking",
    "ReferralDomain",
    "ReferralDomainWithSearchTracking",
)

CUSTOM_PARAMS = tuple(f"param{n}" for n in range(1, 11))

#: the parameter names an allocation keeps, in this order
NORMALIZED_PARAMS = (
    *CUSTOM_PARAMS,
    "search_engine",
    "search_keywords",
    "search_keyword_id",
    "search_type",
    "referrer",
    "landing_page",
    "mobile_click_to_call",
)
_NORMALIZED = frozenset(NORMALIZED_PARAMS)
_PARAM_ORDER = {name: index for index, name in enumerate(NORMALIZED_PARAMS)}


class RingPoolFull(RecordInvalid):
    """Every number is held and the pool has no overflow number (``allow_overflow=False``).

    Invoca leaves the page's original number in place; the API response for this case is
    undocumented. Sandbox choice: class ``RecordInvalid``, status hint 403.
    """


@dataclass(frozen=True, slots=True)
class Allocation:
    """One visitor's promo number from a ring pool (or the overflow number)."""

    id: int
    ring_pool_id: int
    promo_number: str
    allocated_at: datetime
    expires_at: datetime
    overflow: bool
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    affiliate_id_from_network: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "ring_pool_id": self.ring_pool_id,
            "promo_number": self.promo_number,
            "allocated_at": iso_utc(self.allocated_at),
            "expires_at": iso_utc(self.expires_at),
            "overflow": self.overflow,
            "params": dict(self.params),
            "affiliate_id_from_network": self.affiliate_id_from_network,
        }


#: One allocation as the pool stores it (a compact tuple; :class:`Allocation` is built from it
#: on demand): ``(seq, id, promo number, allocated_at us, expires_at us, params, affiliate id)``.
#: ``seq`` counts the pool's logged allocations (for retention); instants are integer
#: microseconds since the Unix epoch; an overflow allocation has ``expires == allocated``
#: (a real hold always lasts ``lifetime_seconds >= 1``); params are :data:`Params`.
AllocationRecord = tuple[int, int, str, int, int, "Params", str | None]
#: A record's normalized parameters, flat: ``(name, value, name, value, ...)`` in the
#: documented order, or None for none: smaller and quicker to build than a dict. Strings
#: only, so the cyclic garbage collector stops tracking a record after the passes that first
#: look at it (:class:`Allocation` shows them as a read-only mapping).
Params = tuple[str, ...] | None
RECORD_ID = 1
RECORD_NUMBER = 2
RECORD_AT = 3
RECORD_EXPIRES = 4

# A live hold is its allocation's record (expires at RECORD_EXPIRES); holds order by expiry,
# then allocation id.
_Hold = AllocationRecord
_record_number = itemgetter(2)
_record_expires = itemgetter(4)
_popleft = deque.popleft
#: run an iterator of calls for their effect, in C (the itertools "consume" recipe)
_consume: Callable[[Iterable[object]], None] = deque[object](maxlen=0).extend

#: instants (us) compare below this forever: "no Local RingPool fill pending"
_NEVER = 1 << 62
#: numbers a compaction pass visits per allocation call, besides two per visitor of the call
_COMPACTION_SLICE = 256
#: history entries a compaction pass waits for, besides retention + numbers with a history
_COMPACTION_MARGIN = 1024
#: normalization plans cached per pool configuration (cleared when full)
_PLAN_CACHE_SIZE = 256
#: query keys that need the full normalization (referrer parsing, search type, validation)
_SPECIAL = frozenset(
    {"referrer", "search_engine", "search_keywords", "search_keyword_id", "search_type"}
)
_NO_PARAMS: Mapping[str, str] = MappingProxyType({})


_record_seq = itemgetter(0)
_record_at = itemgetter(3)
_oldest, _newest = itemgetter(0), itemgetter(-1)


def _mapping(params: Params) -> Mapping[str, str]:
    """The read-only mapping of a record's :data:`Params`."""
    if params is None:
        return _NO_PARAMS
    return MappingProxyType(dict(zip(params[::2], params[1::2], strict=True)))


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RecordInvalid(
            f"{name} must be a positive integer, got {value!r}",
            field_errors={name: ["must be greater than 0"]},
        )
    return value


def _pool_type(value: object) -> str:
    if value not in POOL_TYPES:
        raise RecordInvalid(
            f"pool_type must be one of {', '.join(POOL_TYPES)}, got {value!r}",
            field_errors={"pool_type": ["is not included in the list"]},
        )
    return str(value)


def _param_names(names: Sequence[str]) -> tuple[str, ...]:
    if isinstance(names, str) or len(names) > len(CUSTOM_PARAMS):
        raise RecordInvalid(
            f"param_names must be a sequence of at most 10 names, got {names!r}",
            field_errors={"param_names": ["is invalid"]},
        )
    return tuple("" if name is None else str(name) for name in names)


class RingPool:
    """One ring pool: its promo numbers, its holds, its allocation history."""

    def __init__(
        self,
        *,
        id: int,
        lifetime_seconds: int,
        max_pool_size: int,
        supply: Callable[[], str],
        events: EventLog | None,
        pool_type: str = "Custom",
        param_names: Sequence[str] = (),
        allow_overflow: bool = True,
        overflow_number: str | None = None,
        fill_at: datetime | None = None,
        allocation_ids: Callable[[], int] | None = None,
        retention: int | None = None,
        properties: dict[str, Any] | None = None,
        release: Callable[[str], None] | None = None,
    ) -> None:
        self.id = id
        self._lifetime_seconds = _positive_int("lifetime_seconds", lifetime_seconds)
        self._lifetime_us = self._lifetime_seconds * 1_000_000
        self._lifetime = timedelta(seconds=self._lifetime_seconds)
        self._max_pool_size = _positive_int("max_pool_size", max_pool_size)
        self._pool_type = _pool_type(pool_type)
        self._param_names = _param_names(param_names)
        self._custom_map = self._build_custom_map(self._param_names)
        self._plans: dict[tuple[str, ...], tuple[tuple[str, str], ...] | None] = {}
        if retention is not None:
            retention = _positive_int("retention", retention)
        self._retention = retention
        self._allow_overflow = bool(allow_overflow)
        self._fill_at = as_utc(fill_at, name="fill_at") if fill_at is not None else None
        self._supply = supply
        self._release = release
        #: None: the pool emits no events at all (offline scenarios that keep none)
        self._events = events
        self.properties: dict[str, Any] = properties if properties is not None else {}
        self._lock = threading.Lock()
        #: allocation ids from the caller, or None: the pool's own ids, 1, 2, 3, ... which are
        #: exactly the log's ``seq`` (both count logged allocations), so they cost nothing
        self._allocation_ids = allocation_ids
        #: provisioned numbers, in provisioning order (dict = ordered set with O(1) removal)
        self._numbers: dict[str, None] = {}
        #: numbers whose hold ended, in the order the holds ended (idle longest first)
        self._free: deque[str] = deque()
        #: live holds, sorted by expiry: the newest segment (see module docstring) ...
        self._holds: deque[_Hold] = deque()
        #: ... and older segments still live (only after a reconfigure shortened the lifetime)
        self._older: list[deque[_Hold]] = []
        #: the retained allocation log (retention = maxlen: the oldest go first, in C)
        self._log: deque[AllocationRecord] = deque(maxlen=retention)
        self._logged = 0  # allocations ever logged; seq of the latest
        #: per number, its allocation records oldest first (may hold forgotten ones: see
        #: _forgotten_before; trimmed by _compact_locked, O(1) amortised)
        self._histories: dict[str, list[AllocationRecord]] = {}
        self._history_entries = 0
        self._compact_at = self._next_compaction(0)
        #: a compaction pass under way: the numbers it visits, and how many it has visited
        self._compact_numbers: list[str] | None = None
        self._compact_done = 0
        self._latest_us = -_NEVER
        self._filled = self._fill_at is None
        self._fill_due_us = _NEVER if self._fill_at is None else to_micros(self._fill_at)
        self._overflow_number: str | None = None
        if self._allow_overflow:
            self._overflow_number = overflow_number if overflow_number else supply()

    # ------------------------------------------------------------------ introspection
    @property
    def lifetime_seconds(self) -> int:
        return self._lifetime_seconds

    @property
    def max_pool_size(self) -> int:
        return self._max_pool_size

    @property
    def pool_type(self) -> str:
        return self._pool_type

    @property
    def param_names(self) -> tuple[str, ...]:
        return self._param_names

    @property
    def allow_overflow(self) -> bool:
        return self._allow_overflow

    @property
    def overflow_number(self) -> str | None:
        return self._overflow_number

    @property
    def fill_at(self) -> datetime | None:
        return self._fill_at

    @property
    def retention(self) -> int | None:
        return self._retention

    @property
    def numbers(self) -> list[str]:
        """Provisioned promo numbers (excluding the overflow number), oldest first."""
        with self._lock:
            return list(self._numbers)

    def held_count(self, now: datetime) -> int:
        """Numbers held at ``now`` (recycles holds that ended at or before ``now`` first)."""
        with self._lock:
            self._advance_locked(to_micros(as_utc(now, name="now")))
            return self._held_locked()

    def free_numbers(self, now: datetime) -> list[str]:
        """Free numbers at ``now``, idle longest first."""
        with self._lock:
            self._advance_locked(to_micros(as_utc(now, name="now")))
            return list(self._free)

    def allocations(self) -> list[Allocation]:
        """The retained allocation log, oldest first (overflow allocations included)."""
        with self._lock:
            records = list(self._log)
        return [self.allocation(record) for record in records]

    def allocation(self, record: AllocationRecord) -> Allocation:
        """The :class:`Allocation` value of one of this pool's records."""
        _, allocation_id, number, at_us, expires_us, params, affiliate = record
        return Allocation(
            id=allocation_id,
            ring_pool_id=self.id,
            promo_number=number,
            allocated_at=from_micros(at_us),
            expires_at=from_micros(expires_us),
            overflow=at_us == expires_us,
            params=_mapping(params),
            affiliate_id_from_network=affiliate,
        )

    def __repr__(self) -> str:
        return (
            f"RingPool(id={self.id}, pool_type={self._pool_type!r}, "
            f"max_pool_size={self._max_pool_size}, lifetime_seconds={self._lifetime_seconds})"
        )

    # ------------------------------------------------------------------ commands
    def allocate(
        self,
        now: datetime,
        query: Mapping[str, str],
        *,
        affiliate_id_from_network: str | None = None,
    ) -> Allocation:
        """Hand a visitor a promo number (or the overflow number) at ``now``.

        Raises :class:`~simulator.errors.RecordInvalid` when the pool type's parameters are
        missing and :class:`RingPoolFull` when every number is held and overflow is off; in
        both cases nothing changes. (With RingPoolFull, holds that ended at or before ``now``
        have been recycled first: a fact about time, not about this request.)
        """
        instant = now if type(now) is datetime and now.tzinfo is UTC else as_utc(now, name="now")
        t = to_micros(instant)
        affiliate = None if affiliate_id_from_network is None else str(affiliate_id_from_network)
        with self._lock:
            params = self._params(query)  # validates before touching any state
            record = self._allocate_locked((t,), None, params, (affiliate,))[0]
            lifetime = self._lifetime
        if record is None:
            raise self.full_error()
        _, allocation_id, number, at_us, expires_us, kept, _ = record
        if at_us != t:  # clamped to the pool's latest instant
            instant = from_micros(at_us)
        # datetime arithmetic from the instant in hand (building one from micros costs more)
        return Allocation(
            id=allocation_id,
            ring_pool_id=self.id,
            promo_number=number,
            allocated_at=instant,
            expires_at=instant if expires_us == at_us else instant + lifetime,
            overflow=expires_us == at_us,
            params=_mapping(kept),
            affiliate_id_from_network=affiliate,
        )

    def allocate_many(
        self,
        instants_us: Sequence[int],
        queries: Mapping[str, str] | Sequence[Mapping[str, str]] = _NO_PARAMS,
        *,
        affiliate_id_from_network: str | None = None,
    ) -> list[AllocationRecord | None]:
        """Allocate for several visitors at once (bulk and offline scenarios).

        ``instants_us`` are integer microseconds since the Unix epoch (see
        :func:`simulator.events.to_micros`), in the order the visitors arrive (an instant
        earlier than the pool's latest is clamped to it, as in :meth:`allocate`); ``queries`` is
        one mapping for all of them or one per visitor. The same rules and code as
        :meth:`allocate` (one private core runs both), without building an
        :class:`Allocation` per visitor: each result is an :data:`AllocationRecord` (turn it
        into an Allocation with :meth:`allocation`), or None where the pool was full and
        overflow is off (the RingPoolFull case of :meth:`allocate`).

        Every query is validated before anything changes (RecordInvalid). If ``supply()``
        fails mid-way (NumbersExhausted with nothing free), the allocations before that
        visitor stand and the error propagates.
        """
        affiliate = None if affiliate_id_from_network is None else str(affiliate_id_from_network)
        with self._lock:
            if isinstance(queries, Mapping):
                return self._allocate_locked(instants_us, None, self._params(queries),
                                             repeat(affiliate), one_affiliate=(affiliate,))
            if len(queries) != len(instants_us):
                raise ValueError("give one query per instant, or one query for all")
            params = [self._params(query) for query in queries]
            return self._allocate_locked(instants_us, params, None, repeat(affiliate))

    def allocate_rows(
        self,
        now: datetime,
        queries: Sequence[Mapping[str, str]],
        affiliates: Sequence[str | None],
    ) -> list[AllocationRecord | SandboxError | None]:
        """Bulk RingPool API rows: one visitor per query, all at ``now``, each with its own
        affiliate id; a row whose query is invalid answers its :class:`RecordInvalid` (and
        allocates nothing) instead of failing the others; None is a refusal (pool full,
        overflow off: see :meth:`full_error`); if ``supply()`` runs out with nothing free, that
        row and the rest answer its NumbersExhausted. Otherwise as :meth:`allocate_many`.
        """
        if len(queries) != len(affiliates):
            raise ValueError("give one affiliate id (or None) per query")
        t = to_micros(as_utc(now, name="now"))
        answers: list[AllocationRecord | SandboxError | None] = []
        with self._lock:
            valid = self._uniform_params(queries)
            if valid is not None:  # every row valid
                kept = affiliates if isinstance(affiliates, list) else list(affiliates)
                answers = [None] * len(valid)
            else:
                valid, kept = [], []
                for query, affiliate in zip(queries, affiliates, strict=True):
                    try:
                        valid.append(self._params(query))
                    except RecordInvalid as error:
                        answers.append(error)
                        continue
                    kept.append(affiliate)
                    answers.append(None)  # a place for the record
            done: list[AllocationRecord | None] = []
            failure: SandboxError | None = None
            try:
                self._allocate_locked([t] * len(valid), valid, None, kept, done, at_once=True)
            except SandboxError as error:  # supply() ran out with nothing free: the rows
                failure = error  # from here on fail alike (same instant, nothing frees up)
        if failure is None and len(done) == len(answers):
            return done  # type: ignore[return-value]  # every row valid and allocated
        records = iter(done)
        return [
            answer if answer is not None else next(records, failure)
            for answer in answers
        ]

    def full_error(self) -> RingPoolFull:
        """The error of a visitor refused because the pool is full and overflow is off."""
        return RingPoolFull(
            f"RingPool {self.id} has no free number and allow_overflow is false: "
            "the page keeps its original number"
        )

    def expire(self, now: datetime) -> list[NumberRecycled]:
        """Recycle every number whose hold ended at or before ``now``; returns those events.

        Also performs a due Local RingPool fill (its event is in the log, not in the result).
        """
        recycled: list[DeferredEvent] = []
        with self._lock:
            self._advance_locked(to_micros(as_utc(now, name="now")), recycled)
        return [NumberRecycled(from_micros(at), pool_id, number)
                for _, at, pool_id, number in recycled]

    def attribute(self, promo_number: str, at: datetime) -> Allocation | None:
        """The allocation that held ``promo_number`` at ``at`` (see module docstring)."""
        record = self.attribute_record(promo_number, to_micros(as_utc(at, name="at")))
        return None if record is None else self.allocation(record)

    def attribute_record(self, promo_number: str, at_us: int) -> AllocationRecord | None:
        """:meth:`attribute` for an instant in microseconds, answering the record."""
        with self._lock:
            history = self._histories.get(promo_number)
            if not history:
                return None
            index = bisect_right(history, at_us, key=_record_at) - 1
            if index < 0:
                return None
            record = history[index]
            if record[0] <= self._forgotten_before():
                return None
            return record

    def reconfigure(
        self,
        now: datetime,
        *,
        lifetime_seconds: int | None = None,
        max_pool_size: int | None = None,
        pool_type: str | None = None,
        param_names: Sequence[str] | None = None,
        allow_overflow: bool | None = None,
    ) -> None:
        """Apply an update from the Network Integration API (None = keep the current value).

        Validates everything first (RecordInvalid, nothing changes). Existing holds keep their
        ``expires_at``; a new lifetime applies to later allocations. Shrinking drops free
        numbers first and never cuts a live hold short.
        """
        new_lifetime = (
            self._lifetime_seconds
            if lifetime_seconds is None
            else _positive_int("lifetime_seconds", lifetime_seconds)
        )
        new_size = (
            self._max_pool_size if max_pool_size is None
            else _positive_int("max_pool_size", max_pool_size)
        )
        new_type = self._pool_type if pool_type is None else _pool_type(pool_type)
        new_names = self._param_names if param_names is None else _param_names(param_names)
        if allow_overflow is not None and bool(allow_overflow) != self._allow_overflow:
            raise RecordInvalid(
                "allow_overflow cannot be changed after the RingPool is created",
                field_errors={"allow_overflow": ["cannot be changed"]},
            )
        with self._lock:
            events: list[DeferredEvent] = []
            try:
                t = self._advance_locked(to_micros(as_utc(now, name="now")), events=events)
                self._lifetime_seconds = new_lifetime
                self._lifetime_us = new_lifetime * 1_000_000
                self._lifetime = timedelta(seconds=new_lifetime)
                self._pool_type = new_type
                self._param_names = new_names
                self._custom_map = self._build_custom_map(new_names)
                self._plans = {}
                self._max_pool_size = new_size
                while len(self._numbers) > new_size and self._free:
                    self._drop_locked(self._free.popleft(), t, events)
            finally:
                self._emit(events)

    # ------------------------------------------------------------------ internals
    def _emit(self, events: list[DeferredEvent]) -> None:
        if events and self._events is not None:
            self._events.record(events)

    def _emit_run(self, events: list[DeferredEvent], kind: type[Event],
                  fields: Iterable[tuple[Any, ...]]) -> None:
        """Record the pending ``events`` (the list is emptied), then a run of events of one
        kind given as their fields ``(at, *other fields)``: no deferred tuple per event."""
        log = self._events
        if log is not None:
            if events:
                log.record(events)
                events.clear()
            log.record_fields(kind, fields)

    def _held_locked(self) -> int:
        return len(self._holds) + sum(len(segment) for segment in self._older)

    def _forgotten_before(self) -> int:
        """Records with a ``seq`` at or below this have been forgotten (retention)."""
        retention = self._retention
        return 0 if retention is None else self._logged - retention

    def _next_compaction(self, entries: int) -> int:
        if self._retention is None:
            return _NEVER
        # entries left after a compaction <= retention; the next one waits for at least
        # retention + histories more, so its cost (histories + entries) is O(1) amortised
        return entries + self._retention + len(self._histories) + _COMPACTION_MARGIN

    def _compact_locked(self, budget: int) -> None:
        """Drop forgotten records from the per-number histories, a slice at a time.

        A pass starts when the histories hold enough entries (:meth:`_next_compaction`): it
        takes the numbers as they are then and visits at most ``budget`` of them per call,
        so no allocation waits for a whole pass over a big pool (a number allocated since is
        visited all the same; one gone since is skipped). The next pass is planned when
        this one ends. Forgotten records cost nothing but memory until then: attribution
        ignores them.
        """
        numbers = self._compact_numbers
        if numbers is None:
            numbers = self._compact_numbers = list(self._histories)
            self._compact_done = 0
        cutoff = self._forgotten_before()
        histories = self._histories
        start = self._compact_done
        stop = min(len(numbers), start + budget)
        removed = 0
        for number in islice(numbers, start, stop):
            history = histories.get(number)
            if history is None:
                continue
            index = bisect_right(history, cutoff, key=_record_seq)
            if index == len(history):
                del histories[number]
            elif index:
                del history[:index]
            removed += index
        self._history_entries -= removed
        self._compact_done = stop
        if stop == len(numbers):
            self._compact_numbers = None
            self._compact_at = self._next_compaction(self._history_entries)

    @staticmethod
    def _build_custom_map(names: Sequence[str]) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for index, name in enumerate(names):
            if name and name not in _NORMALIZED and name not in mapping:
                mapping[name] = CUSTOM_PARAMS[index]
        return mapping

    def _plan(self, keys: tuple[str, ...]) -> tuple[tuple[str, str], ...] | None:
        """How a query with these keys normalizes when no value matters (None: it does).

        Values matter for referrers and search fields (parsing, search type, required
        fields) and for every pool type other than Custom: those take :meth:`_normalize`.
        """
        if self._pool_type not in ("Custom", "CustomWithSearchTracking") or _SPECIAL & set(keys):
            return None
        sources: dict[str, str] = {}  # normalized name -> query key it comes from
        custom_map = self._custom_map
        for key in keys:
            if key in custom_map:
                sources.setdefault(custom_map[key], key)
        for key in keys:
            if key in _NORMALIZED:
                sources[key] = key  # explicit names win over custom names
        return tuple(
            (sources[name], name) for name in sorted(sources, key=_PARAM_ORDER.__getitem__)
        )

    def _params(self, query: Mapping[str, str]) -> Params:
        """The normalized parameters of ``query`` as :data:`Params` (RecordInvalid when the
        type needs more)."""
        plan = self._planned(tuple(query))
        if plan is None:
            return self._normalize(query)
        if not plan:
            return None
        flat: list[str] = []
        for key, name in plan:
            flat += (name, str(query[key]))
        return tuple(flat)

    def _planned(self, keys: tuple[str, ...]) -> tuple[tuple[str, str], ...] | None:
        """:meth:`_plan` of ``keys``, cached."""
        plans = self._plans
        try:
            return plans[keys]
        except KeyError:
            if len(plans) >= _PLAN_CACHE_SIZE:
                plans.clear()
            plan = plans[keys] = self._plan(keys)
            return plan

    def _uniform_params(
        self, queries: Sequence[Mapping[str, str]]
    ) -> list[Params] | None:
        """:meth:`_params` of every query in C-level steps when all have the same keys (a
        :class:`Table`, or dicts alike) and those keys normalize without looking at values
        (a plan: no query can be invalid); None (nothing done) otherwise."""
        if not queries:
            return None
        if isinstance(queries, Table):
            keys = queries.names
            column: Callable[[str], Iterable[Any]] = queries.column  # type: ignore[assignment]
        else:
            shapes = set(map(tuple, queries))
            if len(shapes) != 1:
                return None
            keys = shapes.pop()

            def column(key: str) -> Iterable[Any]:
                return map(itemgetter(key), queries)

        plan = self._planned(keys)
        if plan is None:  # values matter
            return None
        if not plan:
            return [None] * len(queries)
        params = flat_rows_from_columns([name for _, name in plan],
                                        [map(str, column(key)) for key, _ in plan])
        return cast(list[Params], params)

    def _normalize(self, query: Mapping[str, str]) -> Params:
        custom_map = self._custom_map
        pool_type = self._pool_type
        params: dict[str, str] = {}
        for key, value in query.items():
            if key in custom_map:
                params.setdefault(custom_map[key], str(value))
        for key, value in query.items():
            if key in _NORMALIZED:
                params[key] = str(value)  # explicit names win over custom names
        referrer = params.get("referrer")
        if referrer and ("search_engine" not in params or "search_keywords" not in params):
            parsed = parse_referrer(referrer, params.get("landing_page"))
            if parsed is not None:
                params.setdefault("search_engine", parsed.search_engine)
                params.setdefault("search_keywords", parsed.search_keywords)
                params.setdefault("search_type", parsed.search_type)
        if "search_engine" in params and "search_type" not in params:
            params["search_type"] = search_type_for(referrer, params.get("landing_page"))
        missing: list[str] = []
        if pool_type == "Search":
            missing = [n for n in ("search_engine", "search_keywords") if n not in params]
            if missing:
                raise RecordInvalid(
                    f"A Search RingPool needs {' and '.join(missing)} "
                    "(or a referrer from a known search engine)",
                    field_errors={name: ["can't be blank"] for name in missing},
                )
        elif pool_type == "SearchKeyword":
            if not params.get("search_keyword_id"):
                raise RecordInvalid(
                    "A SearchKeyword RingPool needs search_keyword_id",
                    field_errors={"search_keyword_id": ["can't be blank"]},
                )
        elif pool_type in ("ReferralDomain", "ReferralDomainWithSearchTracking") and not referrer:
            raise RecordInvalid(
                f"A {pool_type} RingPool needs referrer",
                field_errors={"referrer": ["can't be blank"]},
            )
        if (
            pool_type == "ReferralDomainWithSearchTracking"
            and referrer
            and "search_engine" not in params
        ):
            # "will use referrer as the Traffic Source if either ... are omitted"
            params["search_engine"] = referrer
            params.setdefault("search_keywords", "")
            params.setdefault("search_type", search_type_for(referrer, params.get("landing_page")))
        if not params:
            return None
        return tuple(chain.from_iterable(
            (name, params[name]) for name in sorted(params, key=_PARAM_ORDER.__getitem__)))

    def _allocate_locked(
        self,
        instants_us: Sequence[int],
        each: Sequence[Params] | None,
        shared: Params,
        affiliates: Iterable[str | None],
        results: list[AllocationRecord | None] | None = None,
        *,
        one_affiliate: tuple[str | None] | None = None,
        at_once: bool = False,
    ) -> list[AllocationRecord | None]:
        """THE allocation rules (module docstring), for visitors arriving at ``instants_us``
        with parameters ``each[i]`` (or ``shared`` for all when ``each`` is None) and
        affiliate ids from ``affiliates`` (one per visitor, or ``repeat()``). Results go to
        ``results`` when given (so a caller still has them if an error stops the loop).

        The one core behind :meth:`allocate` and :meth:`allocate_many`. Hot loop: locals
        only; the rare cases (a due Local fill, several hold segments, provisioning) call out.

        Runs of an overloaded pool (offline scenarios): when the pool is full, nothing is
        free and nothing can be provisioned, every visitor arriving before the next hold ends
        gets the overflow number, and the first visitor at or after that instant gets the
        number whose hold ended (then the pool is full again). When the instants are a list
        or tuple, every visitor shares one query (``shared``) and one affiliate id
        (``one_affiliate``, the value ``affiliates`` repeats), no events are kept and ids are
        the log's ``seq``, :meth:`_saturated_run_locked` records such a stretch in a few C-level
        steps instead of a loop turn per visitor: the same records, holds and histories the
        loop would build. Instants out of order turn it off for the call (checked once, in
        C); a clamped instant takes the loop.

        Visitors at one instant (``at_once``: the caller's promise that every instant is the
        same, and ``each`` and ``affiliates`` are lists; Bulk rows): the ended holds are
        recycled and, when enough numbers are free and none is to be provisioned, every
        visitor is recorded by :meth:`_at_once_locked` in C-level steps: the same records,
        holds, histories and events the loop would make.
        """
        events: list[DeferredEvent] | None = [] if self._events is not None else None
        if results is None:
            results = []
        append_result = results.append
        pool_id = self.id
        latest = self._latest_us
        seq = self._logged
        lifetime = self._lifetime_us
        max_size = self._max_pool_size
        numbers = self._numbers
        free = self._free
        holds = self._holds
        fill_due = self._fill_due_us
        #: the next instant something happens besides allocating: a hold ends, a Local fill
        #: is due, or always (-_NEVER) while there are several hold segments
        wake = self._wake(fill_due)
        can_provision = self._filled and len(numbers) < max_size
        histories = self._histories
        #: records with a seq at or below seq - keep are forgotten (retention)
        keep = _NEVER if self._retention is None else self._retention
        overflow_number = self._overflow_number
        next_id = self._allocation_ids  # None: allocation id = seq
        entries = self._history_entries
        queries: Iterable[Params] = repeat(shared) if each is None else each
        #: overflow runs in one step (see the docstring): instants indexable, nothing per visitor
        runs = (
            events is None
            and next_id is None
            and each is None
            and one_affiliate is not None
            and overflow_number is not None
            and isinstance(instants_us, list | tuple)
            and all(map(le, instants_us, islice(instants_us, 1, None)))  # in order (in C)
        )
        run_affiliate = None if one_affiliate is None else one_affiliate[0]
        first = len(results)  # results[first + i] answers instants_us[i]
        count = len(instants_us)
        arrivals = iter(instants_us)
        try:
            # queries and affiliates may be repeat(): endless
            for instant, query, affiliate in zip(arrivals, queries, affiliates, strict=False):
                if instant > latest:  # noqa: PLR1730 - max() is a call, in the hot loop
                    latest = instant
                t = latest  # time inside a pool never goes backwards (module docstring)
                if t >= wake:
                    if t >= fill_due:
                        self._fill_locked(events)
                        fill_due = _NEVER
                        can_provision = len(numbers) < max_size
                    if self._older:
                        self._sweep_locked(t, events)
                        wake = self._wake(fill_due)
                    elif at_once and len(numbers) <= max_size and holds and holds[0][4] <= t:
                        self._recycle_at_once_locked(t, events)
                        wake = holds[0][4] if holds else _NEVER
                        if fill_due < wake:  # noqa: PLR1730
                            wake = fill_due
                    else:
                        while holds and holds[0][4] <= t:
                            _, _, number, _, ended, _, _ = holds.popleft()
                            if events is not None:
                                events.append((NumberRecycled, ended, pool_id, number))
                            if len(numbers) > max_size:
                                self._drop_locked(number, ended, events)
                            else:
                                free.append(number)
                        wake = holds[0][4] if holds else _NEVER
                        if fill_due < wake:  # noqa: PLR1730 - min() is a call, in the hot loop
                            wake = fill_due
                if can_provision:
                    taken = self._provision_locked()
                    can_provision = len(numbers) < max_size
                    if taken is None:  # supply ran out, but a number is free
                        taken = free.popleft()
                elif free:
                    if at_once and not self._older and (
                        not holds or holds[-1][4] <= t + lifetime
                    ):
                        done = len(results) - first  # visitors recorded so far
                        if len(free) >= count - done > 1:
                            entries += self._at_once_locked(
                                results, t, each[done:], affiliates[done:],  # type: ignore[index]
                                seq, keep, events,
                            )
                            seq += count - done
                            latest = t
                            break
                    taken = free.popleft()
                elif overflow_number is None:
                    append_result(None)  # RingPoolFull: nothing recorded
                    continue
                else:
                    if runs and instant == t:  # this visitor and those after it (docstring)
                        size, taken_count = self._saturated_run_locked(
                            results, instants_us, start=len(results) - first, count=count,
                            wake=wake, seq=seq, query=query, affiliate=run_affiliate,
                        )
                        if size > 1:
                            seq += size
                            entries += taken_count
                            latest = results[-1][3]  # type: ignore[index]
                            if taken_count:
                                wake = holds[0][4]  # (fill_due is _NEVER)
                            next(islice(arrivals, size - 1, size - 1), None)
                            continue
                    seq += 1
                    allocation_id = seq if next_id is None else next_id()
                    record = (seq, allocation_id, overflow_number, t, t, query, affiliate)
                    if events is not None:
                        events.append((OverflowServed, t, pool_id, allocation_id,
                                       overflow_number))
                    append_result(record)
                    continue
                seq += 1
                allocation_id = seq if next_id is None else next_id()
                expires = t + lifetime
                record = (seq, allocation_id, taken, t, expires, query, affiliate)
                if holds and holds[-1][4] > expires:
                    # a shorter lifetime than the live holds': a new expiry segment
                    self._older.append(holds)
                    holds = self._holds = deque()
                    wake = -_NEVER
                elif expires < wake:
                    wake = expires
                holds.append(record)
                history = histories.get(taken)
                if history is None:
                    histories[taken] = [record]
                else:
                    if history[0][0] <= seq - keep:  # its oldest are forgotten: drop them
                        forgotten = bisect_right(history, seq - keep, key=_record_seq)
                        del history[:forgotten]
                        entries -= forgotten
                    history.append(record)
                entries += 1
                if events is not None:
                    events.append((NumberAllocated, t, pool_id, allocation_id, taken))
                append_result(record)
        finally:
            # the log gets every record, in order (a None is a refusal: nothing recorded)
            self._log.extend(filter(None, results))
            self._latest_us = latest
            self._logged = seq
            self._history_entries = entries
            if events:
                self._emit(events)
        if entries > self._compact_at or self._compact_numbers is not None:
            self._compact_locked(_COMPACTION_SLICE + 2 * count)
        return results

    def _saturated_run_locked(
        self,
        results: list[AllocationRecord | None],
        instants_us: Sequence[int],
        *,
        start: int,
        count: int,
        wake: int,
        seq: int,
        query: Params,
        affiliate: str | None,
    ) -> tuple[int, int]:
        """Record, from visitor ``start`` on, a stretch of a full pool (for
        :meth:`_allocate_locked`, which checked the conditions: visitor ``start`` found
        nothing free and nothing to provision, the instants are in order from it on and not
        clamped, one shared query and affiliate, ids equal to ``seq``, no events; ``wake`` is
        the next instant anything but allocating happens).

        In a plain full pool (no Local fill due, one segment of holds, no numbers to drop),
        the live holds end one by one, in expiry order; the hold that ends j-th frees its
        number for the first visitor arriving at or after its end and after the one who took
        the number freed before (``bisect_left`` from there): the loop's rules, in the loop's
        order (free numbers idle longest first). Every other visitor gets the overflow
        number. The stretch stops before the first new hold can end (the first taker's
        instant plus the lifetime), so no new hold frees anything inside it; and it is taken
        only when every live hold ends by the first visitor's instant plus the lifetime (not
        so just after the lifetime was shortened), so the new holds end after the live ones
        and the holds stay in expiry order. Otherwise the stretch is the visitors before
        ``wake``, all overflow.

        Returns (visitors recorded, of them holding a number); for fewer than 2 visitors
        nothing is recorded (the loop is as quick for one).
        """
        holds = self._holds
        lifetime_us = self._lifetime_us
        overflow_number = self._overflow_number
        taken_at: list[int] = []  # indices (from start) of the visitors who take a number
        if (
            holds
            and self._fill_due_us == _NEVER
            and not self._older
            and len(self._numbers) <= self._max_pool_size
            and lifetime_us > 0
            and holds[-1][4] <= instants_us[start] + lifetime_us
        ):
            # the visitor taking the j-th hold's number: the first at or after its end and
            # after the one before, h[j] = max(first[j], h[j-1] + 1), i.e. h[j] - j is the
            # running max of first[j] - j: C-level maps over blocks of holds (doubling, so
            # the holds looked at beyond the stretch cost at most as much as those in it)
            end = count
            done = 0  # holds looked at
            after = start  # the next taker comes at or after this visitor
            block = 32
            while done < len(holds) and after < end:
                ends = map(_record_expires, islice(holds, done, done + block))
                firsts = map(bisect_left, repeat(instants_us), ends, repeat(after), repeat(end))
                takers = list(map(add, accumulate(map(sub, firsts, naturals()), max), naturals()))
                if not done and takers[0] < end:
                    # the stretch ends when the first new hold ends: at the first taker's
                    # instant plus the lifetime
                    end = bisect_left(instants_us, instants_us[takers[0]] + lifetime_us,
                                      takers[0] + 1, count)
                kept = bisect_left(takers, end)
                taken_at.extend(map(sub, islice(takers, kept), repeat(start)))
                if kept < len(takers):
                    break
                done += len(takers)
                after = takers[-1] + 1
                block *= 2
        else:
            end = bisect_left(instants_us, wake, start, count)
        size = end - start
        if size < 2:
            return 0, 0
        run = instants_us[start:end]
        ids = list(range(seq + 1, seq + 1 + size))  # seq = id: one int object for both
        taken = len(taken_at)
        if not taken:
            results.extend(
                zip(ids, ids, repeat(overflow_number), run, run, repeat(query), repeat(affiliate))
            )
            return size, 0
        # the same records as the loop, built by C-level maps (no Python turn per visitor)
        taken_numbers = list(map(_record_number, islice(holds, taken)))
        numbers = [overflow_number] * size
        _consume(map(numbers.__setitem__, taken_at, taken_numbers))
        expires = list(run)
        _consume(map(expires.__setitem__, taken_at,
                     map(add, map(run.__getitem__, taken_at), repeat(lifetime_us))))
        first = len(results)
        results.extend(zip(ids, ids, numbers, run, expires, repeat(query), repeat(affiliate)))
        held = cast(list[_Hold], list(map(results.__getitem__, map(add, taken_at, repeat(first)))))
        if taken == len(holds):
            holds.clear()
        else:
            _consume(map(_popleft, repeat(holds, taken)))
        holds.extend(held)
        histories = self._histories
        if all(map(histories.__contains__, taken_numbers)):
            _consume(map(list.append, map(histories.__getitem__, taken_numbers), held))
        else:
            for number, record in zip(taken_numbers, held, strict=True):
                history = histories.get(number)
                if history is None:
                    histories[number] = [record]
                else:
                    history.append(record)
        return size, taken

    def _recycle_at_once_locked(self, t: int, events: list[DeferredEvent] | None) -> None:
        """Recycle the holds ended at or before ``t`` (at least the first) in C-level steps,
        as the loop of :meth:`_allocate_locked` does one by one (one segment of holds, no
        number to drop): free in the order the holds ended, one NumberRecycled each."""
        holds = self._holds
        size = len(holds)
        ended, step = 1, 1  # holds[:ended] have ended; gallop, then bisect
        while True:
            probe = ended + step - 1
            if probe >= size:
                ended = bisect_right(holds, t, ended, size, key=_record_expires)
                break
            if holds[probe][4] > t:
                ended = bisect_right(holds, t, ended, probe, key=_record_expires)
                break
            ended, step = probe + 1, step * 2
        gone = list(islice(holds, ended))
        if ended == size:
            holds.clear()
        else:
            _consume(map(_popleft, repeat(holds, ended)))
        freed = list(map(_record_number, gone))
        if events is not None:
            self._emit_run(events, NumberRecycled,
                           zip(map(_record_expires, gone), repeat(self.id), freed))
        self._free.extend(freed)

    def _at_once_locked(  # noqa: PLR0917
        self,
        results: list[AllocationRecord | None],
        t: int,
        params: Sequence[Params],
        affiliates: Sequence[str | None],
        seq: int,
        keep: int,
        events: list[DeferredEvent] | None,
    ) -> int:
        """Record visitors arriving at ``t``, one per ``params``, from the free numbers (for
        :meth:`_allocate_locked`, which checked the conditions: at least as many numbers
        free, none to provision, one segment of holds all ending by ``t`` plus the lifetime,
        ids equal to the seqs after ``seq``). The loop's records, holds, histories (trimmed
        of records forgotten as of each visitor's seq, ``keep`` = retention) and events, in
        C-level maps instead of a loop turn per visitor. Returns the change in history
        entries."""
        size = len(params)
        free = self._free
        taken = list(islice(free, size))
        if size == len(free):
            free.clear()
        else:
            _consume(map(_popleft, repeat(free, size)))
        ids = list(range(seq + 1, seq + 1 + size))  # seq = id: one int object for both
        records = list(zip(ids, ids, taken, repeat(t), repeat(t + self._lifetime_us),
                           params, affiliates))
        self._holds.extend(records)
        results.extend(records)
        if events is not None:
            self._emit_run(events, NumberAllocated, zip(repeat(t), repeat(self.id), ids, taken))
        histories = self._histories
        found: list[Any] = list(map(histories.get, taken))  # (None: no history yet)
        entries = size
        odd = None in found  # a number without a history (new, or dropped by compaction)
        if not odd and keep != _NEVER:
            # records at or below a visitor's seq - keep are forgotten: a history whose
            # newest is forgotten is emptied in C; one forgotten only in part, in the loop
            limits = list(map(sub, ids, repeat(keep)))
            stale = list(map(le, map(_record_seq, map(_oldest, found)), limits))
            if True in stale:
                gone = list(map(le, map(_record_seq, map(_newest, found)), limits))
                emptied = list(compress(found, gone))
                entries -= sum(map(len, emptied))
                _consume(map(list.clear, emptied))
                odd = stale != gone
        if odd:
            for index, number in enumerate(taken):
                history = found[index]
                if history is None:
                    found[index] = histories[number] = []
                elif history and history[0][0] <= ids[index] - keep:
                    forgotten = bisect_right(history, ids[index] - keep, key=_record_seq)
                    del history[:forgotten]
                    entries -= forgotten
        _consume(map(list.append, found, records))
        return entries

    def _wake(self, fill_due: int) -> int:
        """The next instant the allocation loop must look beyond allocating (see there)."""
        if self._older:
            return -_NEVER
        holds = self._holds
        if holds and holds[0][4] < fill_due:
            return holds[0][4]
        return fill_due

    def _advance_locked(
        self,
        t: int,
        recycled: list[DeferredEvent] | None = None,
        events: list[DeferredEvent] | None = None,
    ) -> int:
        """Clamp ``t`` to the pool's latest instant, fill if due, recycle ended holds.

        Events go to ``events`` when given (the caller emits them), else straight out.
        """
        own = events is None
        pending: list[DeferredEvent] = [] if events is None else events
        try:
            t = max(t, self._latest_us)
            self._latest_us = t
            if t >= self._fill_due_us:
                self._fill_locked(pending)
            self._sweep_locked(t, pending, recycled)
        finally:
            if own:
                self._emit(pending)
        return t

    def _fill_locked(self, events: list[DeferredEvent] | None) -> None:
        self._filled = True
        self._fill_due_us = _NEVER
        local = toll_free = 0
        while len(self._numbers) < self._max_pool_size:
            try:
                number = self._supply()
            except NumbersExhausted:
                break
            self._numbers[number] = None
            self._free.append(number)
            if is_toll_free(number):
                toll_free += 1
            else:
                local += 1
        if events is not None:
            assert self._fill_at is not None
            events.append(
                (LocalNumbersFilled, to_micros(self._fill_at), self.id, local, toll_free)
            )

    def _sweep_locked(
        self,
        t: int,
        events: list[DeferredEvent] | None,
        recycled: list[DeferredEvent] | None = None,
    ) -> None:
        """Recycle holds ended at or before ``t``, earliest first, across all segments."""
        segments = [*self._older, self._holds]
        while True:
            # the earliest-ending hold among the segment fronts (usually one segment)
            best: deque[_Hold] | None = None
            for segment in segments:
                if segment and (
                    best is None or (segment[0][4], segment[0][1]) < (best[0][4], best[0][1])
                ):
                    best = segment
            if best is None or best[0][4] > t:
                break
            _, _, number, _, ended, _, _ = best.popleft()
            event = (NumberRecycled, ended, self.id, number)
            if events is not None:
                events.append(event)
            if recycled is not None:
                recycled.append(event)
            if len(self._numbers) > self._max_pool_size:
                self._drop_locked(number, ended, events)
            else:
                self._free.append(number)
        self._older = [segment for segment in self._older if segment]

    def _drop_locked(self, number: str, at: int, events: list[DeferredEvent] | None) -> None:
        del self._numbers[number]
        if events is not None:
            events.append((NumberReleased, at, self.id, number))
        if self._release is not None:
            self._release(number)

    def _provision_locked(self) -> str | None:
        """A new number from ``supply()`` (None when it ran out but a free number exists)."""
        try:
            number = self._supply()
        except NumbersExhausted:
            if not self._free:
                raise
            return None
        if number in self._numbers or number == self._overflow_number:
            raise RuntimeError(f"supply() issued {number} twice to RingPool {self.id}")
        self._numbers[number] = None
        return number
