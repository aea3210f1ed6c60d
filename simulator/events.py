"""Events: every state change of the platform model, as a value.

Rules:

* Commands in, events out. Each state change (number allocated, overflow served, number
  recycled, local numbers filled, ...) is a frozen :class:`Event`. Callers and tests observe
  the model through events, never through private state.
* An event's ``to_dict()`` is JSON-safe and deterministic: ``"event"`` (the kind), ``"at"``
  (ISO-8601 UTC with ``Z``), then the event's own fields in declaration order.
* :class:`EventLog` is bounded (the oldest entries are dropped first), thread-safe, and gives
  each entry a monotonically increasing sequence number ``seq`` (starting at 1) that keeps
  increasing even after old entries are dropped, so ``since(seq)`` works as a cursor.
* Hot paths (ring pool allocation) record *deferred* events with :meth:`EventLog.record`: a
  tuple ``(event class, at in integer microseconds since the Unix epoch, *other fields)``.
  The event value is built when someone reads the log, so an event nobody reads costs one
  tuple. Readers see the same :class:`Event` values either way. The log keeps a deferred
  event as its fields ``(at, *other fields)`` (ints and strings only) beside a deque of kind
  codes, its ``seq`` implied by its place: the cyclic garbage collector stops tracking such a
  tuple at its first pass instead of scanning it in every full pass while it is retained (an
  event class inside, or a wrapper tuple, would keep it tracked).
* Instants inside hot paths are integer microseconds since the Unix epoch
  (:func:`to_micros`/:func:`from_micros`): exact, cheap to compare and add.

Other modules define their own :class:`Event` subclasses next to the code that emits them.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from itertools import islice
from operator import itemgetter
from typing import Any, ClassVar

__all__ = [
    "DeferredEvent",
    "Event",
    "EventLog",
    "LocalNumbersFilled",
    "NumberAllocated",
    "NumberRecycled",
    "NumberReleased",
    "OverflowServed",
    "from_micros",
    "iso_utc",
    "json_safe",
    "to_micros",
]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def to_micros(instant: datetime) -> int:
    """A tz-aware instant as integer microseconds since the Unix epoch (exact)."""
    return (instant - EPOCH) // _MICROSECOND


def from_micros(micros: int) -> datetime:
    """The inverse of :func:`to_micros`: a UTC datetime."""
    return EPOCH + timedelta(microseconds=micros)


def iso_utc(instant: datetime) -> str:
    """``2016-10-01T12:00:00Z`` (microseconds kept when non-zero)."""
    if instant.tzinfo is None:
        raise ValueError(f"naive datetime {instant.isoformat()} has no UTC rendering")
    text = instant.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def json_safe(value: Any) -> Any:
    """``value`` with datetimes, enums, tuples, mappings and dataclasses made JSON-safe."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, Sequence | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [json_safe(v) for v in items]
    if hasattr(value, "to_dict"):
        return json_safe(value.to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_safe(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"{type(value).__name__} is not JSON-safe")


@dataclass(frozen=True, slots=True)
class Event:
    """Base of every event: something that happened ``at`` an instant."""

    kind: ClassVar[str] = "Event"

    at: datetime

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"event": self.kind, "at": iso_utc(self.at)}
        for field in dataclasses.fields(self):
            if field.name != "at":
                body[field.name] = json_safe(getattr(self, field.name))
        return body


@dataclass(frozen=True, slots=True)
class NumberAllocated(Event):
    """A visitor got a promo number of a ring pool (not the overflow number)."""

    kind: ClassVar[str] = "NumberAllocated"

    ring_pool_id: int
    allocation_id: int
    promo_number: str


@dataclass(frozen=True, slots=True)
class OverflowServed(Event):
    """Every number of the pool was held: the visitor got the pool's overflow number."""

    kind: ClassVar[str] = "OverflowServed"

    ring_pool_id: int
    allocation_id: int
    promo_number: str


@dataclass(frozen=True, slots=True)
class NumberRecycled(Event):
    """A promo number's hold ended (``at`` = that instant); it is free for reuse."""

    kind: ClassVar[str] = "NumberRecycled"

    ring_pool_id: int
    promo_number: str


@dataclass(frozen=True, slots=True)
class NumberReleased(Event):
    """A promo number left its ring pool (the pool shrank); it no longer belongs to it."""

    kind: ClassVar[str] = "NumberReleased"

    ring_pool_id: int
    promo_number: str


@dataclass(frozen=True, slots=True)
class LocalNumbersFilled(Event):
    """A Local RingPool's numbers became available (about 10 minutes after creation)."""

    kind: ClassVar[str] = "LocalNumbersFilled"

    ring_pool_id: int
    local_count: int
    toll_free_count: int


#: a deferred event: (event class, at in microseconds since the epoch, *other fields)
DeferredEvent = tuple[Any, ...]


#: kind codes of deferred events (process-local, never shown): class -> code, code -> class
_KIND_CODES: dict[type, int] = {}
_KINDS: list[type[Event]] = []
_KINDS_LOCK = threading.Lock()
#: the code of an entry that is a built :class:`Event` (appended, not deferred)
_BUILT = -1
_KIND = itemgetter(0)
_FIELDS = itemgetter(slice(1, None))


def _kind_code(kind: Any) -> int:
    """The code of an event class (registered on first use); TypeError for anything else."""
    code = _KIND_CODES.get(kind) if isinstance(kind, type) else None
    if code is not None:
        return code
    if not (isinstance(kind, type) and issubclass(kind, Event)):
        raise TypeError(f"a deferred event starts with an Event class, got {kind!r}")
    with _KINDS_LOCK:
        code = _KIND_CODES.get(kind)
        if code is None:
            code = _KIND_CODES[kind] = len(_KINDS)
            _KINDS.append(kind)
    return code


def _built(code: int, payload: Any) -> Event:
    """The event of a log entry: ``payload`` itself (code ``_BUILT``), else the fields of a
    deferred event of kind ``code``."""
    if code == _BUILT:
        event: Event = payload
        return event
    at_micros, *fields = payload
    built: Event = _KINDS[code](from_micros(at_micros), *fields)
    return built


class EventLog:
    """A bounded, thread-safe, append-only log of events with increasing ``seq`` numbers.

    Two deques of the same bound, always appended together: kind codes and entries (a built
    event, or a deferred event's fields). The ``seq`` of an entry follows from its place
    (numbers are consecutive): the last one's is ``last_seq``.
    """

    def __init__(self, maxlen: int | None = 100_000) -> None:
        if maxlen is not None and (isinstance(maxlen, bool) or maxlen < 1):
            raise ValueError(f"maxlen must be a positive integer or None, got {maxlen!r}")
        self._codes: deque[int] = deque(maxlen=maxlen)
        self._entries: deque[Any] = deque(maxlen=maxlen)
        self._last_seq = 0
        self._lock = threading.Lock()

    @property
    def maxlen(self) -> int | None:
        return self._entries.maxlen

    @property
    def last_seq(self) -> int:
        """The ``seq`` of the latest appended event (0 when none yet)."""
        with self._lock:
            return self._last_seq

    def append(self, event: Event) -> int:
        """Record ``event``; returns its ``seq``."""
        if not isinstance(event, Event):
            raise TypeError(f"EventLog holds Event values, got {type(event).__name__}")
        with self._lock:
            self._codes.append(_BUILT)
            self._entries.append(event)
            self._last_seq += 1
            return self._last_seq

    def extend(self, events: Sequence[Event]) -> int:
        """Record several events in order; returns the last ``seq``."""
        with self._lock:
            for event in events:
                if not isinstance(event, Event):
                    raise TypeError(f"EventLog holds Event values, got {type(event).__name__}")
            for event in events:
                self._codes.append(_BUILT)
                self._entries.append(event)
                self._last_seq += 1
            return self._last_seq

    def record(self, deferred: Sequence[DeferredEvent]) -> int:
        """Record deferred events in order (see the module rules); returns the last ``seq``.

        Each is ``(event class, at in microseconds since the epoch, *other fields)``; the
        class must be an :class:`Event` subclass (TypeError otherwise, nothing recorded).
        Kept as a kind code and ``(at, *other fields)`` (see the module rules), in C-level
        steps: no Python loop turn per event.
        """
        try:
            codes = list(map(_KIND_CODES.__getitem__, map(_KIND, deferred)))
        except (KeyError, TypeError):  # a kind seen for the first time (or not a kind)
            codes = [_kind_code(item[0]) for item in deferred]
        with self._lock:
            self._codes.extend(codes)
            self._entries.extend(map(_FIELDS, deferred))
            self._last_seq += len(codes)
            return self._last_seq

    def _retained(self, seq: int = 0) -> tuple[int, list[int], list[Any]]:
        """(seq of the first, codes, entries) of the retained entries after ``seq``."""
        with self._lock:
            newer = self._last_seq - seq
            if newer <= 0:
                return self._last_seq + 1, [], []
            if newer >= len(self._entries):
                codes, entries = list(self._codes), list(self._entries)
            else:
                codes = list(islice(reversed(self._codes), newer))
                entries = list(islice(reversed(self._entries), newer))
                codes.reverse()
                entries.reverse()
            return self._last_seq - len(entries) + 1, codes, entries

    def since(self, seq: int) -> list[tuple[int, Event]]:
        """Entries with a ``seq`` greater than ``seq`` still retained, oldest first."""
        first, codes, entries = self._retained(seq)
        return [(first + n, _built(code, payload))
                for n, (code, payload) in enumerate(zip(codes, entries, strict=True))]

    def events(self) -> list[Event]:
        _, codes, entries = self._retained()
        return list(map(_built, codes, entries))

    def clear(self) -> None:
        """Forget retained entries (``seq`` keeps counting)."""
        with self._lock:
            self._codes.clear()
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[tuple[int, Event]]:
        first, codes, entries = self._retained()
        return iter([(first + n, _built(code, payload))
                     for n, (code, payload) in enumerate(zip(codes, entries, strict=True))])

    def to_jsonl(self) -> str:
        """One JSON object per line (``seq`` included), sorted keys, compact separators."""
        lines = [
            json.dumps({"seq": seq, **event.to_dict()}, sort_keys=True, separators=(",", ":"))
            for seq, event in self
        ]
        return "".join(line + "\n" for line in lines)
