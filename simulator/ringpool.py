"""RingPool allocation: promo numbers handed to visitors for a guaranteed minimum hold.

Rules (from the seeds: RingPool allocation API, Network Integration RingPools):

* A pool has at most ``max_pool_size`` promo numbers. Each allocation holds its number for
  ``lifetime_seconds`` (the guaranteed minimum hold): from ``allocated_at`` up to, but not
  including, ``expires_at``. At ``expires_at`` the hold has ended and the number is free.
* A held number is never given to a second allocation before its hold ends.
* A visitor arriving at ``now`` first recycles the holds that ended at or before ``now``
  (earliest end first), then takes a number (below).
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
* Every allocation is recorded (an :class:`AllocationRecord`: its instant, number, parameters,
  affiliate and ``overflow``), so a call to a number at instant t is attributed to the latest
  allocation of that number at or before t (:meth:`RingPool.attribute`): a number stays
  associated with its last visitor until it is reallocated, even after the minimum hold.
  Overflow numbers attribute to nobody.
* The visitor's query keeps the parameters its pool type allows and requires
  (:mod:`simulator.visit_params`): an invalid query raises ``RecordInvalid`` before anything
  changes.

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
  and ``release(number)``). A live hold is never cut short. A new lifetime applies to later
  allocations only.
* If ``supply()`` raises :class:`~simulator.errors.NumbersExhausted` the pool reuses a free
  number when it has one; otherwise the error propagates (nothing changed).

Representation. Instants inside a pool are integer microseconds since the Unix epoch (exact,
converted once at the API edge); an :class:`Allocation` with datetimes is built only when
asked for. Live holds sit in deques in expiry order: with one lifetime, expiry order is
allocation order; a reconfigure that shortens the lifetime starts a new deque (a *segment*),
and recycling takes the earliest front among the (few) live segments. Free numbers sit in a
deque in the order their holds ended. The log is a deque of the retained records; each number
keeps the retained records of its own allocations (its *history*, oldest first): a record
leaves its history when it leaves the log, so attribution is a bisection of exactly the
retained allocations. ``allocate`` and ``expire`` are O(1) amortised whatever the pool size,
except that forgetting drops the first entry of a history list (O(k) in that history, short
unless a pool has few numbers and a long retention); ``attribute`` is O(log k). Events
are deferred tuples (:meth:`simulator.events.EventLog.record`), or none for a pool built with
``events=None``.

One implementation: :meth:`RingPool._allocate_locked` applies the rules to visitors one at a
time, in arrival order. :meth:`RingPool.allocate` (one visitor), :meth:`RingPool.allocate_many`
(offline scenarios) and :meth:`RingPool.allocate_rows` (Bulk rows) all call it, under the
pool's lock. There is no batch path (bench/README.md says why).
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from itertools import count, repeat
from operator import attrgetter
from typing import Any, NamedTuple, cast

from simulator.clock import as_utc
from simulator.errors import NumbersExhausted, RecordInvalid, SandboxError
from simulator.events import (
    DeferredEvent,
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
from simulator.visit_params import (
    CUSTOM_PARAMS,
    NORMALIZED_PARAMS,
    POOL_TYPES,
    Params,
    VisitParams,
    as_mapping,
)

__all__ = [
    "CUSTOM_PARAMS",
    "NORMALIZED_PARAMS",
    "POOL_TYPES",
    "Allocation",
    "AllocationRecord",
    "RingPool",
    "RingPoolFull",
]

#: instants (us) compare below this forever: "never" (no fill pending, no hold live)
_NEVER = 1 << 62
_NO_QUERY: Mapping[str, str] = {}
_allocated_at = attrgetter("allocated_at_us")


class RingPoolFull(RecordInvalid):
    """Every number is held and the pool has no overflow number (``allow_overflow=False``).

    Invoca leaves the page's original number in place; the API response for this case is
    undocumented. Sandbox choice: class ``RecordInvalid``, status hint 403.
    """


class AllocationRecord(NamedTuple):
    """One allocation as the pool keeps it (instants in integer microseconds since the epoch).

    A NamedTuple: immutable and compared by value at a tuple's size and build cost (no
    per-instance dict, no frozen-dataclass ``__setattr__`` per field).
    """

    id: int
    promo_number: str
    allocated_at_us: int
    #: the end of the hold; equal to ``allocated_at_us`` for the overflow number (no hold)
    expires_at_us: int
    overflow: bool
    params: Params
    affiliate_id_from_network: str | None


#: a record from the tuple of its fields, built in C (a NamedTuple's own ``__new__`` is a
#: Python function: it would double the cost of an overflow visitor)
_new_record = partial(tuple.__new__, AllocationRecord)


@dataclass(frozen=True, slots=True)
class Allocation:
    """One visitor's promo number from a ring pool (or the overflow number)."""

    id: int
    ring_pool_id: int
    promo_number: str
    allocated_at: datetime
    expires_at: datetime
    overflow: bool
    params: Mapping[str, str] = field(default_factory=lambda: as_mapping(None))
    affiliate_id_from_network: str | None = None

    @classmethod
    def of(cls, record: AllocationRecord, ring_pool_id: int) -> Allocation:
        """The value of a pool's record."""
        return cls(
            id=record.id,
            ring_pool_id=ring_pool_id,
            promo_number=record.promo_number,
            allocated_at=from_micros(record.allocated_at_us),
            expires_at=from_micros(record.expires_at_us),
            overflow=record.overflow,
            params=as_mapping(record.params),
            affiliate_id_from_network=record.affiliate_id_from_network,
        )

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


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RecordInvalid(
            f"{name} must be a positive integer, got {value!r}",
            field_errors={name: ["must be greater than 0"]},
        )
    return value


def _micros(instant: datetime, name: str) -> int:
    if type(instant) is not datetime or instant.tzinfo is not UTC:
        instant = as_utc(instant, name=name)
    return to_micros(instant)


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
        self._max_pool_size = _positive_int("max_pool_size", max_pool_size)
        self._visit_params = VisitParams(pool_type, param_names)
        self._retention = None if retention is None else _positive_int("retention", retention)
        self._allow_overflow = bool(allow_overflow)
        self._fill_at = as_utc(fill_at, name="fill_at") if fill_at is not None else None
        self._supply = supply
        self._release = release
        #: None: the pool emits no events at all (offline scenarios that keep none)
        self._events = events
        #: the Network Integration fields of the pool (filled by simulator.network)
        self.properties: dict[str, Any] = properties if properties is not None else {}
        self._lock = threading.Lock()
        self._new_id = allocation_ids if allocation_ids is not None else count(1).__next__
        #: provisioned numbers, in provisioning order (dict = ordered set with O(1) removal)
        self._numbers: dict[str, None] = {}
        #: numbers whose hold ended, in the order the holds ended (idle longest first)
        self._free: deque[str] = deque()
        #: live holds by segment (module docstring), each in expiry order; the last is current
        self._segments: list[deque[AllocationRecord]] = [deque()]
        #: the retained allocations, oldest first, and each number's share of them
        self._log: deque[AllocationRecord] = deque()
        self._histories: dict[str, list[AllocationRecord]] = {}
        self._latest_us = -_NEVER
        self._fill_due_us = _NEVER if self._fill_at is None else to_micros(self._fill_at)
        self._filled = self._fill_at is None
        #: the next instant time changes the pool (a hold ends or a fill is due)
        self._wake_us = self._fill_due_us
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
        return self._visit_params.pool_type

    @property
    def param_names(self) -> tuple[str, ...]:
        return self._visit_params.param_names

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
            self._advance_to_locked(now)
            return sum(map(len, self._segments))

    def free_numbers(self, now: datetime) -> list[str]:
        """Free numbers at ``now``, idle longest first."""
        with self._lock:
            self._advance_to_locked(now)
            return list(self._free)

    def holds(self, now: datetime) -> list[Allocation]:
        """The holds live at ``now`` (ending after it), the one ending first first; a pure read:
        nothing is recycled (the overflow number is never held)."""
        at_us = _micros(now, "now")
        with self._lock:
            live = [record for segment in self._segments for record in segment
                    if record.expires_at_us > at_us]
        live.sort(key=lambda record: (record.expires_at_us, record.id))
        return [Allocation.of(record, self.id) for record in live]

    def allocations(self) -> list[Allocation]:
        """The retained allocation log, oldest first (overflow allocations included)."""
        with self._lock:
            records = list(self._log)
        return [Allocation.of(record, self.id) for record in records]

    def allocation(self, record: AllocationRecord) -> Allocation:
        """The :class:`Allocation` value of one of this pool's records."""
        return Allocation.of(record, self.id)

    def __repr__(self) -> str:
        return (
            f"RingPool(id={self.id}, pool_type={self.pool_type!r}, "
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
        record = self.allocate_record(_micros(now, "now"), query, affiliate_id_from_network)
        return Allocation.of(record, self.id)

    def allocate_record(
        self, at_us: int, query: Mapping[str, str], affiliate_id_from_network: str | None = None
    ) -> AllocationRecord:
        """:meth:`allocate` at an instant in microseconds, answering the record."""
        affiliate = None if affiliate_id_from_network is None else str(affiliate_id_from_network)
        pending: list[DeferredEvent] | None = [] if self._events is not None else None
        answers: list[AllocationRecord | None] = []
        with self._lock:
            try:
                visitor = (at_us, self._visit_params.params(query), affiliate)
                self._allocate_locked((visitor,), pending, answers)
            finally:
                self._emit(pending)
        record = answers[0]
        if record is None:
            raise self.full_error()
        return record

    def allocate_many(
        self,
        instants_us: Sequence[int],
        queries: Mapping[str, str] | Sequence[Mapping[str, str]] = _NO_QUERY,
        *,
        affiliate_id_from_network: str | None = None,
    ) -> list[AllocationRecord | None]:
        """Visitors arriving at ``instants_us`` (integer microseconds, in arrival order), with
        one query for all of them or one each: the one-visitor rule for each, in order, under
        one lock. Each result is the visitor's record, or None where the pool was full and
        overflow is off (the RingPoolFull case of :meth:`allocate`).

        Every query is validated before anything changes (RecordInvalid). If ``supply()``
        fails mid-way (NumbersExhausted with nothing free), the allocations before that
        visitor stand and the error propagates.
        """
        affiliate = None if affiliate_id_from_network is None else str(affiliate_id_from_network)
        visit_params = self._visit_params
        answers: list[AllocationRecord | None] = []
        pending: list[DeferredEvent] | None = [] if self._events is not None else None
        with self._lock:
            if isinstance(queries, Mapping):
                each: Iterable[Params] = repeat(visit_params.params(queries))
            else:
                if len(queries) != len(instants_us):
                    raise ValueError("give one query per instant, or one query for all")
                each = [visit_params.params(query) for query in queries]
            try:
                self._allocate_locked(zip(instants_us, each, repeat(affiliate)), pending, answers)
            finally:
                self._emit(pending)
        return answers

    def allocate_rows(
        self,
        now: datetime,
        queries: Sequence[Mapping[str, str]],
        affiliates: Sequence[str | None],
    ) -> list[AllocationRecord | SandboxError]:
        """Bulk RingPool API rows: one visitor per query, all at ``now``, each with its own
        affiliate id, in order, under one lock. Each answer is the row's record or the error
        that refused it, and only it: an invalid query (RecordInvalid), a full pool with
        overflow off (:class:`RingPoolFull`), ``supply()`` run out with nothing free
        (NumbersExhausted)."""
        if len(queries) != len(affiliates):
            raise ValueError("give one affiliate id (or None) per query")
        at_us = _micros(now, "now")
        visit_params = self._visit_params
        answers: list[AllocationRecord | SandboxError | None] = [None] * len(queries)
        places: list[int] = []  # the rows with a valid query, and what they allocate
        visitors: list[tuple[int, Params, str | None]] = []
        for place, (query, affiliate) in enumerate(zip(queries, affiliates, strict=True)):
            try:
                visitors.append((at_us, visit_params.params(query), affiliate))
            except RecordInvalid as error:
                answers[place] = error
            else:
                places.append(place)
        done: list[AllocationRecord | SandboxError | None] = []
        pending: list[DeferredEvent] | None = [] if self._events is not None else None
        with self._lock:
            try:
                while len(done) < len(visitors):
                    try:
                        self._allocate_locked(visitors[len(done):], pending, done)
                    except SandboxError as error:  # supply() ran out with nothing free:
                        done.append(error)  # this row's answer; the next rows try again
            finally:
                self._emit(pending)
        for place, outcome in zip(places, done, strict=True):
            answers[place] = self.full_error() if outcome is None else outcome
        return cast(list[AllocationRecord | SandboxError], answers)

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
            self._advance_to_locked(now, recycled)
        return [NumberRecycled(from_micros(at), pool_id, number)
                for _, at, pool_id, number in recycled]

    def attribute(self, promo_number: str, at: datetime) -> Allocation | None:
        """The allocation that held ``promo_number`` at ``at`` (see module docstring)."""
        record = self.attribute_record(promo_number, _micros(at, "at"))
        return None if record is None else Allocation.of(record, self.id)

    def attribute_record(self, promo_number: str, at_us: int) -> AllocationRecord | None:
        """:meth:`attribute` for an instant in microseconds, answering the record."""
        with self._lock:
            history = self._histories.get(promo_number)
            if history is None:
                return None
            index = bisect_right(history, at_us, key=_allocated_at)
            return history[index - 1] if index else None

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
        lifetime = (self._lifetime_seconds if lifetime_seconds is None
                    else _positive_int("lifetime_seconds", lifetime_seconds))
        size = (self._max_pool_size if max_pool_size is None
                else _positive_int("max_pool_size", max_pool_size))
        visit_params = VisitParams(
            self.pool_type if pool_type is None else pool_type,
            self.param_names if param_names is None else param_names,
        )
        if allow_overflow is not None and bool(allow_overflow) != self._allow_overflow:
            raise RecordInvalid(
                "allow_overflow cannot be changed after the RingPool is created",
                field_errors={"allow_overflow": ["cannot be changed"]},
            )
        pending: list[DeferredEvent] | None = [] if self._events is not None else None
        with self._lock:
            try:
                t = self._clamped(_micros(now, "now"))
                self._advance_locked(t, pending)
                if lifetime < self._lifetime_seconds and self._segments[-1]:
                    self._segments.append(deque())  # later holds may end before live ones
                self._lifetime_seconds = lifetime
                self._lifetime_us = lifetime * 1_000_000
                self._visit_params = visit_params
                self._max_pool_size = size
                while len(self._numbers) > size and self._free:
                    self._drop_locked(self._free.popleft(), t, pending)
            finally:
                self._emit(pending)

    # ------------------------------------------------------------------ the rules
    def _allocate_locked(
        self,
        visitors: Iterable[tuple[int, Params, str | None]],
        pending: list[DeferredEvent] | None,
        answers: list[Any],
    ) -> None:
        """THE allocation rule, for visitors ``(arriving at t in us, params, affiliate id)`` in
        arrival order, one at a time: the rules of the module docstring, in their order. Each
        visitor's answer goes to ``answers``: its record, or None when refused (the pool is
        full and has no overflow number: nothing recorded). An error (``supply()`` ran out
        with nothing free) stops the loop at that visitor, the answers before it in place."""
        free = self._free
        numbers = self._numbers
        holds = self._segments[-1]  # (recycling may drop older segments, never this one)
        histories = self._histories
        log = self._log
        retention = self._retention
        lifetime_us = self._lifetime_us
        overflow_number = self._overflow_number
        new_id = self._new_id
        for arrived_at, params, affiliate in visitors:
            # time inside a pool never goes backwards
            t = arrived_at
            if t < self._latest_us:
                t = self._latest_us
            else:
                self._latest_us = t
            # first what time did: a due Local fill, the holds ended at or before t
            if t >= self._wake_us:
                self._advance_locked(t, pending)
            # then a number: a never-used one while the pool has room, else the one idle
            # longest, else the overflow number, else none (refused)
            if self._filled and len(numbers) < self._max_pool_size:
                number = self._provision_locked()
                if number is None:  # supply() ran out, but a number is free
                    number = free.popleft()
            elif free:
                number = free.popleft()
            elif overflow_number is not None:
                number = None
            else:
                answers.append(None)
                continue
            # the allocation: a hold of the number, or the overflow number (no hold)
            if number is None:
                record = _new_record(
                    (new_id(), overflow_number, t, t, True, params, affiliate))
                if pending is not None:
                    pending.append((OverflowServed, t, self.id, record.id, overflow_number))
            else:
                expires = t + lifetime_us
                record = _new_record((new_id(), number, t, expires, False, params, affiliate))
                holds.append(record)
                if expires < self._wake_us:  # noqa: PLR1730 - min() is a call, per visitor
                    self._wake_us = expires
                history = histories.get(number)
                if history is None:
                    histories[number] = [record]
                else:
                    history.append(record)
                if pending is not None:
                    pending.append((NumberAllocated, t, self.id, record.id, number))
            # every allocation is logged; past retention the oldest is forgotten
            if len(log) == retention:
                forgotten = log.popleft()
                if not forgotten.overflow:
                    self._forget_locked(forgotten)
            log.append(record)
            answers.append(record)

    def _forget_locked(self, record: AllocationRecord) -> None:
        """A forgotten hold leaves its number's history (its oldest entry: histories are in
        log order), so attribution sees exactly the retained allocations."""
        history = self._histories[record.promo_number]
        del history[0]
        if not history:
            del self._histories[record.promo_number]

    def _advance_locked(
        self, t: int, pending: list[DeferredEvent] | None,
        recycled: list[DeferredEvent] | None = None,
    ) -> None:
        """What time did to the pool by ``t``: a due Local fill, then every hold ended at or
        before ``t`` frees its number, earliest end first (or, while the pool has more than
        ``max_pool_size`` numbers, the number leaves it). Ended holds go to ``recycled``."""
        if t >= self._fill_due_us:
            self._fill_locked(pending)
        segments = self._segments
        free = self._free
        numbers = self._numbers
        while True:
            holds = segments[0] if len(segments) == 1 else _earliest(segments)
            if not holds or holds[0].expires_at_us > t:
                break
            ended = holds.popleft()
            number, ended_at = ended.promo_number, ended.expires_at_us
            if pending is not None or recycled is not None:
                event = (NumberRecycled, ended_at, self.id, number)
                if pending is not None:
                    pending.append(event)
                if recycled is not None:
                    recycled.append(event)
            if len(numbers) > self._max_pool_size:
                self._drop_locked(number, ended_at, pending)
            else:
                free.append(number)
        if len(segments) > 1:
            segments[:-1] = [holds for holds in segments[:-1] if holds]
        wake = self._fill_due_us
        for holds in segments:
            if holds and holds[0].expires_at_us < wake:
                wake = holds[0].expires_at_us
        self._wake_us = wake

    def _advance_to_locked(self, now: datetime,
                           recycled: list[DeferredEvent] | None = None) -> None:
        """:meth:`_advance_locked` to ``now`` (clamped), its events emitted."""
        pending: list[DeferredEvent] | None = [] if self._events is not None else None
        try:
            self._advance_locked(self._clamped(_micros(now, "now")), pending, recycled)
        finally:
            self._emit(pending)

    def _fill_locked(self, pending: list[DeferredEvent] | None) -> None:
        """A Local RingPool's one fill to ``max_pool_size`` (as many as ``supply()`` gives)."""
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
        if pending is not None:
            assert self._fill_at is not None
            pending.append(
                (LocalNumbersFilled, to_micros(self._fill_at), self.id, local, toll_free))

    def _provision_locked(self) -> str | None:
        """A new number from ``supply()`` (None when it ran out but a number is free)."""
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

    def _drop_locked(self, number: str, at: int, pending: list[DeferredEvent] | None) -> None:
        """A number leaves the pool (it shrank)."""
        del self._numbers[number]
        if pending is not None:
            pending.append((NumberReleased, at, self.id, number))
        if self._release is not None:
            self._release(number)

    def _clamped(self, t: int) -> int:
        """``t``, or the latest instant the pool has seen if that is later (it becomes the
        latest)."""
        if t < self._latest_us:
            return self._latest_us
        self._latest_us = t
        return t

    def _emit(self, pending: list[DeferredEvent] | None) -> None:
        if pending and self._events is not None:
            self._events.record(pending)


def _earliest(segments: Iterable[deque[AllocationRecord]]) -> deque[AllocationRecord]:
    """The segment whose first hold ends first (ties: the earlier allocation; an empty deque
    when every segment is empty)."""
    best: deque[AllocationRecord] = deque()
    for holds in segments:
        if holds and (not best or (holds[0].expires_at_us, holds[0].id)
                      < (best[0].expires_at_us, best[0].id)):
            best = holds
    return best
