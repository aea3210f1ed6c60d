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
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from simulator.clock import as_utc
from simulator.errors import NumbersExhausted, RecordInvalid
from simulator.events import (
    EventLog,
    LocalNumbersFilled,
    NumberAllocated,
    NumberRecycled,
    NumberReleased,
    OverflowServed,
    iso_utc,
)
from simulator.numbers import is_toll_free
from simulator.referrer import parse_referrer, search_type_for

__all__ = [
    "CUSTOM_PARAMS",
    "NORMALIZED_PARAMS",
    "POOL_TYPES",
    "Allocation",
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


# A hold: (expires_at, allocation id, promo number). Tuples order by expiry, then allocation.
_Hold = tuple[datetime, int, str]


class _History:
    """The allocations of one number, oldest first, with O(1) amortised drop-oldest."""

    __slots__ = ("allocations", "head", "times")

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.allocations: list[Allocation] = []
        self.head = 0

    def append(self, allocation: Allocation) -> None:
        self.times.append(allocation.allocated_at)
        self.allocations.append(allocation)

    def drop_oldest(self) -> None:
        self.head += 1
        if self.head > 16 and self.head * 2 > len(self.times):
            del self.times[: self.head]
            del self.allocations[: self.head]
            self.head = 0

    def __len__(self) -> int:
        return len(self.times) - self.head

    def at(self, instant: datetime) -> Allocation | None:
        index = bisect_right(self.times, instant, lo=self.head) - 1
        return self.allocations[index] if index >= self.head else None


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
        events: EventLog,
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
        self._lifetime = timedelta(seconds=self._lifetime_seconds)
        self._max_pool_size = _positive_int("max_pool_size", max_pool_size)
        self._pool_type = _pool_type(pool_type)
        self._param_names = _param_names(param_names)
        self._custom_map = self._build_custom_map(self._param_names)
        if retention is not None:
            retention = _positive_int("retention", retention)
        self._retention = retention
        self._allow_overflow = bool(allow_overflow)
        self._fill_at = as_utc(fill_at, name="fill_at") if fill_at is not None else None
        self._supply = supply
        self._release = release
        self._events = events
        self.properties: dict[str, Any] = properties if properties is not None else {}
        self._lock = threading.Lock()
        self._next_allocation_id = 0
        self._allocation_ids = allocation_ids or self._own_allocation_id
        #: provisioned numbers, in provisioning order (dict = ordered set with O(1) removal)
        self._numbers: dict[str, None] = {}
        #: numbers whose hold ended, in the order the holds ended (idle longest first)
        self._free: deque[str] = deque()
        #: live holds; each segment is sorted by expiry (see module docstring)
        self._segments: list[deque[_Hold]] = []
        self._held = 0
        self._log: deque[Allocation] = deque()
        self._histories: dict[str, _History] = {}
        self._latest_at: datetime | None = None
        self._filled = self._fill_at is None
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
            self._advance_locked(as_utc(now, name="now"))
            return self._held

    def free_numbers(self, now: datetime) -> list[str]:
        """Free numbers at ``now``, idle longest first."""
        with self._lock:
            self._advance_locked(as_utc(now, name="now"))
            return list(self._free)

    def allocations(self) -> list[Allocation]:
        """The retained allocation log, oldest first (overflow allocations included)."""
        with self._lock:
            return list(self._log)

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
        instant = as_utc(now, name="now")
        affiliate = None if affiliate_id_from_network is None else str(affiliate_id_from_network)
        with self._lock:
            params = self._normalize(query)  # validates before touching any state
            now = self._advance_locked(instant)[0]
            number = self._take_number_locked()
            if number is None:
                if self._overflow_number is None:
                    raise RingPoolFull(
                        f"RingPool {self.id} has no free number and allow_overflow is false: "
                        "the page keeps its original number"
                    )
                allocation = Allocation(
                    id=self._allocation_ids(),
                    ring_pool_id=self.id,
                    promo_number=self._overflow_number,
                    allocated_at=now,
                    expires_at=now,
                    overflow=True,
                    params=params,
                    affiliate_id_from_network=affiliate,
                )
                self._record_locked(allocation)
                self._events.append(
                    OverflowServed(now, self.id, allocation.id, allocation.promo_number)
                )
                return allocation
            allocation = Allocation(
                id=self._allocation_ids(),
                ring_pool_id=self.id,
                promo_number=number,
                allocated_at=now,
                expires_at=now + self._lifetime,
                overflow=False,
                params=params,
                affiliate_id_from_network=affiliate,
            )
            self._hold_locked(allocation)
            self._record_locked(allocation)
            self._events.append(NumberAllocated(now, self.id, allocation.id, number))
            return allocation

    def expire(self, now: datetime) -> list[NumberRecycled]:
        """Recycle every number whose hold ended at or before ``now``; returns those events.

        Also performs a due Local RingPool fill (its event is in the log, not in the result).
        """
        with self._lock:
            return self._advance_locked(as_utc(now, name="now"))[1]

    def attribute(self, promo_number: str, at: datetime) -> Allocation | None:
        """The allocation that held ``promo_number`` at ``at`` (see module docstring)."""
        instant = as_utc(at, name="at")
        with self._lock:
            history = self._histories.get(promo_number)
            return history.at(instant) if history is not None else None

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
            now = self._advance_locked(as_utc(now, name="now"))[0]
            self._lifetime_seconds = new_lifetime
            self._lifetime = timedelta(seconds=new_lifetime)
            self._pool_type = new_type
            self._param_names = new_names
            self._custom_map = self._build_custom_map(new_names)
            self._max_pool_size = new_size
            while len(self._numbers) > new_size and self._free:
                self._drop_locked(self._free.popleft(), now)

    # ------------------------------------------------------------------ internals
    def _own_allocation_id(self) -> int:
        self._next_allocation_id += 1
        return self._next_allocation_id

    @staticmethod
    def _build_custom_map(names: Sequence[str]) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for index, name in enumerate(names):
            if name and name not in _NORMALIZED and name not in mapping:
                mapping[name] = CUSTOM_PARAMS[index]
        return mapping

    def _normalize(self, query: Mapping[str, str]) -> MappingProxyType[str, str]:
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
        ordered = {name: params[name] for name in sorted(params, key=_PARAM_ORDER.__getitem__)}
        return MappingProxyType(ordered)

    def _advance_locked(self, now: datetime) -> tuple[datetime, list[NumberRecycled]]:
        """Clamp ``now`` to the pool's latest instant, fill if due, recycle ended holds."""
        latest = self._latest_at
        if latest is not None and now < latest:
            now = latest
        self._latest_at = now
        if not self._filled and self._fill_at is not None and now >= self._fill_at:
            self._fill_locked(self._fill_at)
        return now, self._sweep_locked(now)

    def _fill_locked(self, fill_at: datetime) -> None:
        self._filled = True
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
        self._events.append(LocalNumbersFilled(fill_at, self.id, local, toll_free))

    def _sweep_locked(self, now: datetime) -> list[NumberRecycled]:
        segments = self._segments
        recycled: list[NumberRecycled] = []
        while segments:
            # the earliest-ending hold among the segment fronts (usually one segment)
            best = 0
            if len(segments) > 1:
                for index in range(1, len(segments)):
                    if segments[index][0] < segments[best][0]:
                        best = index
            segment = segments[best]
            expires_at, _, number = segment[0]
            if expires_at > now:
                break
            segment.popleft()
            if not segment:
                del segments[best]
            self._held -= 1
            event = NumberRecycled(expires_at, self.id, number)
            self._events.append(event)
            recycled.append(event)
            if len(self._numbers) > self._max_pool_size:
                self._drop_locked(number, expires_at)
            else:
                self._free.append(number)
        return recycled

    def _drop_locked(self, number: str, at: datetime) -> None:
        del self._numbers[number]
        self._events.append(NumberReleased(at, self.id, number))
        if self._release is not None:
            self._release(number)

    def _take_number_locked(self) -> str | None:
        """A number for a new allocation: provision one if room (and filled), else reuse."""
        if self._filled and len(self._numbers) < self._max_pool_size:
            try:
                number = self._supply()
            except NumbersExhausted:
                if not self._free:
                    raise
            else:
                if number in self._numbers or number == self._overflow_number:
                    raise RuntimeError(f"supply() issued {number} twice to RingPool {self.id}")
                self._numbers[number] = None
                return number
        if self._free:
            return self._free.popleft()
        return None

    def _hold_locked(self, allocation: Allocation) -> None:
        hold: _Hold = (allocation.expires_at, allocation.id, allocation.promo_number)
        segments = self._segments
        if segments and segments[-1][-1] <= hold:
            segments[-1].append(hold)
        else:
            segments.append(deque([hold]))
        self._held += 1

    def _record_locked(self, allocation: Allocation) -> None:
        self._log.append(allocation)
        if not allocation.overflow:
            history = self._histories.get(allocation.promo_number)
            if history is None:
                history = self._histories[allocation.promo_number] = _History()
            history.append(allocation)
        if self._retention is not None and len(self._log) > self._retention:
            oldest = self._log.popleft()
            if not oldest.overflow:
                old_history = self._histories[oldest.promo_number]
                old_history.drop_oldest()
                if not old_history:
                    del self._histories[oldest.promo_number]

