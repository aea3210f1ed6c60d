"""A RingPool driven by random allocations (one visitor, several in one call, Bulk rows),
clock advances, lifetime changes and resizes, checked after every step against a deliberately
naive model (plain lists, linear scans) of the rules in simulator/ringpool.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from simulator.events import EventLog, OverflowServed, to_micros
from simulator.ringpool import Allocation, RingPool, RingPoolFull

START_AT = datetime(2016, 10, 1, 12, 0, tzinfo=UTC)


@dataclass
class ModelHold:
    """One allocation of a pool number as the model remembers it."""

    allocation_id: int
    number: str
    allocated_at: datetime
    expires_at: datetime
    end_seen: bool = False


class RingPoolMachine(RuleBasedStateMachine):
    """The model: every allocation in a list, the pool's numbers in a list.

    Its only bookkeeping rule is the one the pool documents for shrinking: while the pool has
    more numbers than ``max_pool_size``, a number whose hold ends leaves the pool; at a resize,
    free numbers leave first, idle longest first.
    """

    def __init__(self) -> None:
        super().__init__()
        self.now = START_AT
        self.issued: list[str] = []
        self.holds: list[ModelHold] = []
        self.log: list[int] = []  # every allocation id, in order (overflow ones included)
        self.numbers: list[str] = []  # the pool's numbers, in provisioning order
        self.dropped: list[str] = []
        self.released: list[str] = []
        self.overflow_count = 0
        self.events = EventLog(maxlen=None)
        self.lifetime = 1
        self.size = 1
        self.allow_overflow = True
        self.retention: int | None = None

    def supply(self) -> str:
        number = f"800555{100 + len(self.issued):04d}"
        self.issued.append(number)
        return number

    @initialize(lifetime=st.integers(1, 120), size=st.integers(1, 5),
                allow_overflow=st.booleans(), retention=st.none() | st.integers(1, 8))
    def create_pool(self, lifetime: int, size: int, allow_overflow: bool,
                    retention: int | None) -> None:
        self.lifetime, self.size = lifetime, size
        self.allow_overflow, self.retention = allow_overflow, retention
        self.pool = RingPool(
            id=9, lifetime_seconds=lifetime, max_pool_size=size, supply=self.supply,
            events=self.events, param_names=["visit"], release=self.released.append,
            allow_overflow=allow_overflow, retention=retention,
        )

    # ---------------------------------------------------------------- the naive model
    def live_holds(self, instant: datetime) -> list[ModelHold]:
        return [h for h in self.holds if h.allocated_at <= instant < h.expires_at]

    def last_hold(self, number: str) -> ModelHold | None:
        found = None
        for hold in self.holds:
            if hold.number == number:
                found = hold
        return found

    def free_numbers(self) -> list[str]:
        """The pool's numbers not held now, idle longest (earliest hold end) first."""
        free = []
        for number in self.numbers:
            last = self.last_hold(number)
            assert last is not None
            if last.expires_at <= self.now:
                free.append((last.expires_at, last.allocation_id, number))
        return [number for _, _, number in sorted(free)]

    def sync(self) -> None:
        """Hold ends up to now, in order: each leaves the pool while it is too big."""
        ended = sorted(
            (h for h in self.holds if h.expires_at <= self.now and not h.end_seen),
            key=lambda h: (h.expires_at, h.allocation_id),
        )
        for hold in ended:
            hold.end_seen = True
            if len(self.numbers) > self.size:
                self.numbers.remove(hold.number)
                self.dropped.append(hold.number)

    def model_attribution(self, number: str, instant: datetime) -> ModelHold | None:
        """The latest allocation of the number at or before the instant, unless forgotten."""
        found = None
        for hold in self.holds:
            if hold.number == number and hold.allocated_at <= instant:
                found = hold
        retained = self.log if self.retention is None else self.log[-self.retention:]
        return found if found is not None and found.allocation_id in retained else None

    def expect_visitor(self) -> tuple[bool, list[str], bool]:
        """Before a visitor at ``now``: (a new number is due, the free numbers, refused)."""
        self.sync()
        expect_new = len(self.numbers) < self.size
        free = self.free_numbers()
        refused = not expect_new and not free and not self.allow_overflow
        return expect_new, free, refused

    def check_allocation(self, allocation: Allocation, expect_new: bool, free: list[str],
                         visit: str) -> None:
        """A visitor's allocation, against the model (which then records it)."""
        assert allocation.allocated_at == self.now
        assert dict(allocation.params) == {"param1": visit}
        self.log.append(allocation.id)
        if allocation.overflow:
            # overflow only when max_pool_size numbers (or more, after a shrink) are held
            assert self.allow_overflow
            assert not expect_new
            assert not free
            assert len(self.live_holds(self.now)) >= self.size
            assert allocation.promo_number == self.pool.overflow_number
            assert allocation.expires_at == self.now
            self.overflow_count += 1
            return
        number = allocation.promo_number
        if expect_new:
            assert number not in self.numbers, "a never-used number goes first"
            assert number not in self.dropped
            self.numbers.append(number)
        else:
            assert free, "a number was handed out although every number is held"
            assert number == free[0], "reuse takes the number idle longest"
        # a number is reallocated only after its previous hold ended
        previous = self.last_hold(number)
        if previous is not None:
            assert previous.expires_at <= self.now
        assert allocation.expires_at == self.now + timedelta(seconds=self.lifetime)
        self.holds.append(ModelHold(allocation.id, number, self.now, allocation.expires_at))

    # ---------------------------------------------------------------- rules
    @rule(visit=st.text(alphabet="abc123", max_size=5))
    def allocate(self, visit: str) -> None:
        expect_new, free, refused = self.expect_visitor()
        logged = len(self.pool.allocations())
        if refused:
            with pytest.raises(RingPoolFull):
                self.pool.allocate(self.now, {"visit": visit, "junk": "x"})
            assert len(self.pool.allocations()) == logged  # nothing recorded
            return
        allocation = self.pool.allocate(self.now, {"visit": visit, "junk": "x"})
        self.check_allocation(allocation, expect_new, free, visit)
        if allocation.overflow:
            assert isinstance(self.events.events()[-1], OverflowServed)

    @rule(steps=st.lists(st.integers(0, 40_000), min_size=1, max_size=6),
          rows=st.booleans())
    def allocate_several(self, steps: list[int], rows: bool) -> None:
        """Several visitors in one call: at increasing instants (allocate_many), or Bulk rows
        at one instant (allocate_rows); each follows the rules as if it came alone."""
        if rows:
            visits = [f"r{n}" for n in range(len(steps))]
            answers = self.pool.allocate_rows(self.now, [{"visit": v} for v in visits],
                                              [None] * len(visits))
            instants = [self.now] * len(visits)
        else:
            instants, at = [], self.now
            for step in steps:
                at += timedelta(milliseconds=step)
                instants.append(at)
            visits = [f"m{n}" for n in range(len(steps))]
            records = self.pool.allocate_many([to_micros(at) for at in instants],
                                              [{"visit": v} for v in visits])
        for index, (instant, visit) in enumerate(zip(instants, visits, strict=True)):
            self.now = instant
            expect_new, free, refused = self.expect_visitor()
            if rows:
                answer = answers[index]
                if refused:
                    assert isinstance(answer, RingPoolFull)
                    continue
                assert not isinstance(answer, Exception)
                allocation = self.pool.allocation(answer)
            else:
                record = records[index]
                if refused:
                    assert record is None
                    continue
                assert record is not None
                allocation = self.pool.allocation(record)
            self.check_allocation(allocation, expect_new, free, visit)

    @rule(milliseconds=st.integers(0, 150_000))
    def advance(self, milliseconds: int) -> None:
        self.now += timedelta(milliseconds=milliseconds)

    @rule(hold_end=st.booleans())
    def advance_to_a_hold_end(self, hold_end: bool) -> None:
        """Jump exactly to the next hold end (the boundary instant), or just before it."""
        upcoming = sorted(h.expires_at for h in self.holds if h.expires_at > self.now)
        if upcoming:
            target = upcoming[0] if hold_end else upcoming[0] - timedelta(microseconds=1)
            self.now = max(self.now, target)

    @rule(lifetime=st.integers(1, 120))
    def change_lifetime(self, lifetime: int) -> None:
        self.sync()
        self.pool.reconfigure(self.now, lifetime_seconds=lifetime)
        self.lifetime = lifetime

    @rule(size=st.integers(1, 5))
    def resize(self, size: int) -> None:
        self.sync()
        for number in self.free_numbers():
            if len(self.numbers) <= size:
                break
            self.numbers.remove(number)
            self.dropped.append(number)
        self.pool.reconfigure(self.now, max_pool_size=size)
        self.size = size

    @precondition(lambda self: bool(self.holds))
    @rule(data=st.data())
    def attribute_a_past_call(self, data: st.DataObject) -> None:
        numbers = sorted({h.number for h in self.holds})
        if self.pool.overflow_number is not None:
            numbers.append(self.pool.overflow_number)
        number = data.draw(st.sampled_from(numbers))
        span = int((self.now - START_AT).total_seconds() * 1000)
        instant = START_AT + timedelta(milliseconds=data.draw(st.integers(-1000, span + 1000)))
        found = self.pool.attribute(number, instant)
        expected = self.model_attribution(number, instant)
        if expected is None:
            assert found is None
        else:
            assert isinstance(found, Allocation)
            assert (found.id, found.allocated_at) == (expected.allocation_id, expected.allocated_at)

    @rule()
    def expire(self) -> None:
        self.sync()
        recycled = self.pool.expire(self.now)
        assert all(event.at <= self.now for event in recycled)
        assert [e.at for e in recycled] == sorted(e.at for e in recycled)

    # ---------------------------------------------------------------- invariants
    @invariant()
    def held_count_matches_model(self) -> None:
        if hasattr(self, "pool"):
            self.sync()
            assert self.pool.held_count(self.now) == len(self.live_holds(self.now))

    @invariant()
    def no_number_held_twice(self) -> None:
        live = [h.number for h in self.live_holds(self.now)]
        assert len(live) == len(set(live))
        for number in {h.number for h in self.holds}:
            holds = [h for h in self.holds if h.number == number]
            for earlier, later in pairwise(holds):
                assert earlier.expires_at <= later.allocated_at

    @invariant()
    def numbers_match_model(self) -> None:
        if hasattr(self, "pool"):
            self.sync()
            assert self.pool.numbers == self.numbers
            assert self.pool.free_numbers(self.now) == self.free_numbers()
            assert self.released == self.dropped
            assert self.pool.overflow_number not in self.pool.numbers
            # more numbers than max_pool_size only while the extra ones are held
            if len(self.numbers) > self.size:
                assert not self.free_numbers()

    @invariant()
    def allocation_log_matches_model(self) -> None:
        if hasattr(self, "pool"):
            retained = self.log if self.retention is None else self.log[-self.retention:]
            assert [a.id for a in self.pool.allocations()] == retained


RingPoolMachine.TestCase.settings = settings(stateful_step_count=30, deadline=None)
TestRingPoolStateMachine = RingPoolMachine.TestCase
