"""``RingPool.holds``: the live holds at an instant, ending first first, a pure read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from simulator.events import EventLog
from simulator.ringpool import RingPool

START_AT = datetime(2016, 10, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return START_AT + timedelta(seconds=seconds)


def pool(events: EventLog, size: int = 3, lifetime: int = 600) -> RingPool:
    issued = iter(f"800555{n:04d}" for n in range(100, 200))
    return RingPool(id=1, lifetime_seconds=lifetime, max_pool_size=size,
                    supply=issued.__next__, events=events)


def test_holds_are_the_live_ones_ending_first_first_when_the_lifetime_was_shortened() -> None:
    ring = pool(EventLog(maxlen=None))
    long_hold = ring.allocate(at(0), {})
    ring.reconfigure(at(10), lifetime_seconds=60)
    short_hold = ring.allocate(at(20), {})
    assert [hold.id for hold in ring.holds(at(30))] == [short_hold.id, long_hold.id]
    assert [hold.id for hold in ring.holds(at(80))] == [long_hold.id]
    assert ring.holds(at(600)) == []


def test_holds_recycle_nothing_and_emit_nothing_when_read() -> None:
    events = EventLog(maxlen=None)
    ring = pool(events, size=1, lifetime=60)
    ring.allocate(at(0), {})
    recorded = len(events)
    assert ring.holds(at(120)) == []
    assert len(events) == recorded
    assert ring.held_count(at(0)) == 1  # still held as of the pool's own time
    assert ring.allocate(at(1), {}).overflow
