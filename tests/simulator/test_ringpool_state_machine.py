"""A RingPool driven by random allocations, clock advances and lifetime changes, checked
after every step against a deliberately naive model (plain lists, linear scans)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from simulator.events import EventLog, OverflowServed
from simulator.ringpool import Allocation, RingPool

START_AT = datetime(2016, 10, 1, 12, 0, tzinfo=UTC)


@dataclass
class ModelHold:
    """One allocation as the model remembers it."""

    allocation_id: int
    number: str
    allocated_at: datetime
    expires_at: datetime


class RingPoolMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = START_AT
        self.issued: list[str] = []
        #: the model: every non-overflow allocation, in allocation order
        self.holds: list[ModelHold] = []
        self.overflow_count = 0
        self.events = EventLog(maxlen=None)
        self.lifetime = 1
        self.size = 1

    def supply(self) -> str:
        number = f"800555{100 + len(self.issued):04d}"
        self.issued.append(number)
        return number

    @initialize(lifetime=st.integers(1, 120), size=st.integers(1, 5))
    def create_pool(self, lifetime: int, size: int) -> None:
        self.lifetime, self.size = lifetime, size
        self.pool = RingPool(
            id=9, lifetime_seconds=lifetime, max_pool_size=size, supply=self.supply,
            events=self.events, param_names=["visit"],
        )

    # ---------------------------------------------------------------- the naive model
    def live_holds(self, instant: datetime) -> list[ModelHold]:
        return [h for h in self.holds if h.allocated_at <= instant < h.expires_at]

    def model_numbers(self) -> list[str]:
        numbers: list[str] = []
        for hold in self.holds:
            if hold.number not in numbers:
                numbers.append(hold.number)
        return numbers

    def expected_reuse(self) -> str | None:
        """The free number idle longest: the one whose last hold ended earliest."""
        best: tuple[datetime, int, str] | None = None
        for number in self.model_numbers():
            last = [h for h in self.holds if h.number == number][-1]
            if last.expires_at <= self.now:
                candidate = (last.expires_at, last.allocation_id, number)
                if best is None or candidate < best:
                    best = candidate
        return None if best is None else best[2]

    def model_attribution(self, number: str, instant: datetime) -> ModelHold | None:
        found = None
        for hold in self.holds:
            if hold.number == number and hold.allocated_at <= instant:
                found = hold
        return found

    # ---------------------------------------------------------------- rules
    @rule(visit=st.text(alphabet="abc123", max_size=5))
    def allocate(self, visit: str) -> None:
        held_before = len(self.live_holds(self.now))
        provisioned_before = len(self.model_numbers())
        reuse = self.expected_reuse()
        allocation = self.pool.allocate(self.now, {"visit": visit, "junk": "x"})
        assert allocation.allocated_at == self.now
        assert dict(allocation.params) == {"param1": visit}
        if allocation.overflow:
            # overflow only when max_pool_size numbers are held
            assert held_before == self.size
            assert allocation.promo_number == self.pool.overflow_number
            assert allocation.expires_at == self.now
            assert isinstance(self.events.events()[-1], OverflowServed)
            self.overflow_count += 1
            return
        assert held_before < self.size
        number = allocation.promo_number
        if provisioned_before < self.size:
            assert number not in self.model_numbers(), "a never-used number goes first"
        else:
            assert number == reuse, "reuse takes the number idle longest"
        # a number is reallocated only after its previous hold ended
        previous = [h for h in self.holds if h.number == number]
        if previous:
            assert previous[-1].expires_at <= self.now
        assert allocation.expires_at == self.now + timedelta(seconds=self.lifetime)
        self.holds.append(ModelHold(allocation.id, number, self.now, allocation.expires_at))

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
        self.pool.reconfigure(self.now, lifetime_seconds=lifetime)
        self.lifetime = lifetime

    @precondition(lambda self: bool(self.holds))
    @rule(data=st.data())
    def attribute_a_past_call(self, data: st.DataObject) -> None:
        overflow_number = self.pool.overflow_number
        assert overflow_number is not None
        number = data.draw(st.sampled_from([*self.model_numbers(), overflow_number]))
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
        recycled = self.pool.expire(self.now)
        assert all(event.at <= self.now for event in recycled)
        assert [e.at for e in recycled] == sorted(e.at for e in recycled)

    # ---------------------------------------------------------------- invariants
    @invariant()
    def held_count_matches_model(self) -> None:
        if hasattr(self, "pool"):
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
            assert self.pool.numbers == self.model_numbers()
            assert len(self.pool.numbers) <= self.size
            assert self.pool.overflow_number not in self.pool.numbers

    @invariant()
    def allocation_log_matches_model(self) -> None:
        if hasattr(self, "pool"):
            log = self.pool.allocations()
            assert [a.id for a in log if not a.overflow] == [h.allocation_id for h in self.holds]
            assert sum(a.overflow for a in log) == self.overflow_count


RingPoolMachine.TestCase.settings = settings(stateful_step_count=30)
TestRingPoolStateMachine = RingPoolMachine.TestCase
