"""Clocks: where the platform model gets ``now`` from.

Rules:

* The model never reads the wall clock itself; it is handed a :class:`Clock`.
* Every instant is a timezone-aware UTC :class:`~datetime.datetime`. Naive datetimes are
  refused (:class:`~simulator.errors.ClockError`); aware ones in another zone are converted.
* A clock never goes backwards: ``advance`` by a negative amount, or ``set`` to an instant
  before ``now``, raises :class:`~simulator.errors.ClockError` and changes nothing.
* A clock stays in :data:`EARLIEST` .. :data:`LATEST` (2000-01-01 .. 2100-01-01 UTC): a start,
  ``set`` or ``advance`` outside raises :class:`~simulator.errors.ClockError` and changes
  nothing (every instant the model derives, a hold's end or an export, stays representable).
* Both clocks are thread-safe (one lock each): a server reads them from several threads.

:class:`ManualClock` moves only when told to (like trio's ``MockClock`` with rate 0): tests and
offline scenarios. :class:`SystemClock` is the wall clock (UTC) plus an offset that can be
advanced, so a running sandbox server can be moved forward in time.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from simulator.errors import ClockError

__all__ = ["EARLIEST", "LATEST", "Clock", "ManualClock", "SystemClock", "as_utc", "in_range"]

#: the first and last instants a sandbox clock may show
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@runtime_checkable
class Clock(Protocol):
    """Anything that can tell the current instant (tz-aware UTC)."""

    def now(self) -> datetime: ...


def as_utc(instant: datetime, *, name: str = "instant") -> datetime:
    """``instant`` converted to UTC; a naive datetime raises :class:`ClockError`."""
    if not isinstance(instant, datetime):
        raise ClockError(f"{name} must be a datetime, got {type(instant).__name__}")
    if instant.tzinfo is None or instant.tzinfo.utcoffset(instant) is None:
        raise ClockError(f"{name} must be timezone-aware (UTC), got naive {instant.isoformat()}")
    return instant.astimezone(UTC)


def in_range(instant: datetime, *, name: str = "instant") -> datetime:
    """``instant`` in UTC when it lies in :data:`EARLIEST` .. :data:`LATEST`; ClockError
    otherwise."""
    instant = as_utc(instant, name=name)
    if not EARLIEST <= instant <= LATEST:
        raise ClockError(f"{name} {_iso(instant)} is outside the sandbox clock's range "
                         f"{_iso(EARLIEST)} .. {_iso(LATEST)}")
    return instant


def _advanced(now: datetime, by: float | timedelta) -> datetime:
    """``now`` moved forward by ``by``, in range (ClockError otherwise)."""
    duration = _as_duration(by)
    if duration > LATEST - now:
        raise ClockError(f"cannot advance the clock by {duration.total_seconds():.0f} s: "
                         f"it would pass {_iso(LATEST)}")
    return now + duration


def _as_duration(by: float | timedelta) -> timedelta:
    if isinstance(by, timedelta):
        duration = by
    elif isinstance(by, bool) or not isinstance(by, int | float):
        raise ClockError(f"advance takes seconds or a timedelta, got {type(by).__name__}")
    elif not math.isfinite(by):
        raise ClockError(f"cannot advance the clock by {by!r} seconds")
    else:
        try:
            duration = timedelta(seconds=by)
        except OverflowError:
            raise ClockError(f"cannot advance the clock by {by!r} seconds: it would pass "
                             f"{_iso(LATEST)}") from None
    if duration < timedelta(0):
        raise ClockError(
            f"the clock never goes backwards: cannot advance by {duration.total_seconds()} s"
        )
    return duration


class ManualClock:
    """A clock that moves only when told to; never backwards."""

    def __init__(self, start: datetime) -> None:
        self._now = in_range(start, name="start")
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, by: float | timedelta) -> datetime:
        """Move forward by ``by`` (seconds or timedelta); returns the new ``now``."""
        with self._lock:
            self._now = _advanced(self._now, by)
            return self._now

    def set(self, instant: datetime) -> datetime:
        """Move to ``instant`` (at or after ``now``); returns the new ``now``."""
        target = in_range(instant, name="now")
        with self._lock:
            if target < self._now:
                raise ClockError(
                    "the clock never goes backwards: "
                    f"{_iso(target)} is before now ({_iso(self._now)})"
                )
            self._now = target
            return self._now

    def __repr__(self) -> str:
        return f"ManualClock({_iso(self.now())})"


def _system_wall() -> datetime:
    return datetime.now(UTC)


class SystemClock:
    """The wall clock (UTC) plus an adjustable, never-decreasing offset.

    ``now()`` is also kept monotonic: should the wall clock step back (NTP), ``now()`` repeats
    the latest instant it returned rather than going backwards.
    """

    def __init__(
        self,
        offset: timedelta = timedelta(0),
        *,
        wall: Callable[[], datetime] | None = None,
    ) -> None:
        if not isinstance(offset, timedelta):
            raise ClockError(f"offset must be a timedelta, got {type(offset).__name__}")
        self._offset = offset
        self._wall = wall or _system_wall
        self._lock = threading.Lock()
        self._latest: datetime | None = None

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return self._offset

    def _now_locked(self) -> datetime:
        instant = as_utc(self._wall(), name="wall clock") + self._offset
        if self._latest is not None and instant < self._latest:
            instant = self._latest
        self._latest = instant
        return instant

    def now(self) -> datetime:
        with self._lock:
            return self._now_locked()

    def advance(self, by: float | timedelta) -> datetime:
        """Add ``by`` (seconds or timedelta) to the offset; returns the new ``now``."""
        with self._lock:
            current = self._now_locked()
            self._offset += _advanced(current, by) - current
            return self._now_locked()

    def set(self, instant: datetime) -> datetime:
        """Shift the offset so that ``now()`` is ``instant``; before ``now`` -> ClockError."""
        target = in_range(instant, name="now")
        with self._lock:
            current = self._now_locked()
            if target < current:
                raise ClockError(
                    "the clock never goes backwards: "
                    f"{_iso(target)} is before now ({_iso(current)})"
                )
            self._offset += target - current
            return self._now_locked()

    def __repr__(self) -> str:
        return f"SystemClock(offset={self.offset!r})"


def _iso(instant: datetime) -> str:
    return instant.isoformat().replace("+00:00", "Z")
