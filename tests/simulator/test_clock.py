"""Clocks: ManualClock and SystemClock move forward only, in UTC."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from simulator.clock import EARLIEST, LATEST, Clock, ManualClock, SystemClock
from simulator.errors import ClockError

START_AT = datetime(2016, 10, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def manual_clock() -> ManualClock:
    return ManualClock(START_AT)


class FakeWall:
    """A wall clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def __call__(self) -> datetime:
        return self.current


@pytest.fixture
def fake_wall() -> FakeWall:
    return FakeWall(START_AT)


@pytest.fixture
def system_clock(fake_wall: FakeWall) -> SystemClock:
    return SystemClock(wall=fake_wall)


def test_now_is_start_when_manual_clock_never_advanced(manual_clock: ManualClock) -> None:
    assert manual_clock.now() == START_AT
    assert manual_clock.now().tzinfo is UTC


def test_now_moves_forward_when_advanced_by_seconds(manual_clock: ManualClock) -> None:
    assert manual_clock.advance(90) == START_AT + timedelta(seconds=90)
    assert manual_clock.advance(0.5) == START_AT + timedelta(seconds=90.5)
    assert manual_clock.now() == START_AT + timedelta(seconds=90.5)


def test_now_moves_forward_when_advanced_by_timedelta(manual_clock: ManualClock) -> None:
    manual_clock.advance(timedelta(days=30))
    assert manual_clock.now() == START_AT + timedelta(days=30)


@pytest.mark.parametrize("by", [-1, -0.001, timedelta(seconds=-1), float("nan"), float("inf")])
def test_clock_error_and_no_change_when_advanced_backwards_or_by_nonsense(
    manual_clock: ManualClock, by: float | timedelta
) -> None:
    with pytest.raises(ClockError):
        manual_clock.advance(by)
    assert manual_clock.now() == START_AT


def test_clock_error_when_advanced_by_a_string(manual_clock: ManualClock) -> None:
    with pytest.raises(ClockError, match="seconds or a timedelta"):
        manual_clock.advance("5")  # type: ignore[arg-type]


def test_now_is_the_instant_when_set_forward(manual_clock: ManualClock) -> None:
    later_at = START_AT + timedelta(hours=3)
    assert manual_clock.set(later_at) == later_at
    assert manual_clock.set(later_at) == later_at  # setting to now is allowed


def test_clock_error_and_no_change_when_set_backwards(manual_clock: ManualClock) -> None:
    with pytest.raises(ClockError, match="never goes backwards"):
        manual_clock.set(START_AT - timedelta(microseconds=1))
    assert manual_clock.now() == START_AT


def test_clock_error_when_start_is_naive() -> None:
    with pytest.raises(ClockError, match="timezone-aware"):
        ManualClock(datetime(2016, 10, 1, 12, 0))


def test_clock_error_when_set_to_naive_instant(manual_clock: ManualClock) -> None:
    with pytest.raises(ClockError, match="timezone-aware"):
        manual_clock.set(datetime(2020, 1, 1))


def test_instant_converted_to_utc_when_given_in_another_zone() -> None:
    pacific = timezone(timedelta(hours=-7))
    clock = ManualClock(datetime(2016, 10, 1, 5, 0, tzinfo=pacific))
    assert clock.now() == START_AT
    assert clock.now().utcoffset() == timedelta(0)
    assert clock.now().tzinfo is UTC


def test_both_clocks_satisfy_protocol_when_checked(
    manual_clock: ManualClock, system_clock: SystemClock
) -> None:
    assert isinstance(manual_clock, Clock)
    assert isinstance(system_clock, Clock)


def test_no_update_lost_when_advanced_from_many_threads(manual_clock: ManualClock) -> None:
    def advance_many() -> None:
        for _ in range(1000):
            manual_clock.advance(1)

    threads = [threading.Thread(target=advance_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert manual_clock.now() == START_AT + timedelta(seconds=4000)


def test_system_now_follows_wall_when_offset_is_zero(
    system_clock: SystemClock, fake_wall: FakeWall
) -> None:
    assert system_clock.now() == START_AT
    fake_wall.current = START_AT + timedelta(seconds=7)
    assert system_clock.now() == START_AT + timedelta(seconds=7)


def test_system_now_includes_offset_when_advanced(
    system_clock: SystemClock, fake_wall: FakeWall
) -> None:
    assert system_clock.advance(3600) == START_AT + timedelta(hours=1)
    fake_wall.current = START_AT + timedelta(seconds=5)
    assert system_clock.now() == START_AT + timedelta(hours=1, seconds=5)
    assert system_clock.offset == timedelta(hours=1)


def test_system_now_is_the_instant_when_set_forward(
    system_clock: SystemClock, fake_wall: FakeWall
) -> None:
    target_at = START_AT + timedelta(days=2)
    assert system_clock.set(target_at) == target_at
    fake_wall.current = START_AT + timedelta(seconds=10)
    assert system_clock.now() == target_at + timedelta(seconds=10)


def test_clock_error_and_no_change_when_system_clock_set_backwards(
    system_clock: SystemClock,
) -> None:
    system_clock.advance(60)
    with pytest.raises(ClockError, match="never goes backwards"):
        system_clock.set(START_AT)
    assert system_clock.offset == timedelta(seconds=60)


def test_clock_error_when_system_clock_advanced_backwards(system_clock: SystemClock) -> None:
    with pytest.raises(ClockError):
        system_clock.advance(timedelta(seconds=-5))
    assert system_clock.offset == timedelta(0)


def test_system_now_never_decreases_when_wall_steps_back(
    system_clock: SystemClock, fake_wall: FakeWall
) -> None:
    fake_wall.current = START_AT + timedelta(seconds=30)
    assert system_clock.now() == START_AT + timedelta(seconds=30)
    fake_wall.current = START_AT + timedelta(seconds=10)
    assert system_clock.now() == START_AT + timedelta(seconds=30)


def test_system_now_is_utc_aware_when_using_real_wall() -> None:
    assert SystemClock().now().tzinfo is UTC


def test_system_offset_starts_at_given_value_when_constructed(fake_wall: FakeWall) -> None:
    clock = SystemClock(timedelta(minutes=5), wall=fake_wall)
    assert clock.now() == START_AT + timedelta(minutes=5)


@pytest.mark.parametrize("clock_type", ["manual", "system"])
def test_clock_refuses_and_stays_when_moved_outside_its_range(clock_type: str) -> None:
    clock: ManualClock | SystemClock = (
        ManualClock(datetime(2099, 12, 31, tzinfo=UTC)) if clock_type == "manual"
        else SystemClock(wall=lambda: datetime(2099, 12, 31, tzinfo=UTC)))
    before = clock.now()
    for move in (lambda: clock.set(datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
                 lambda: clock.set(LATEST + timedelta(microseconds=1)),
                 lambda: clock.advance(86_400 * 2), lambda: clock.advance(1e12),
                 lambda: clock.advance(1e300)):
        with pytest.raises(ClockError, match="2100-01-01"):
            move()
        assert clock.now() == before
    assert clock.set(LATEST) == LATEST


def test_manual_clock_refuses_when_started_before_2000() -> None:
    with pytest.raises(ClockError, match="outside the sandbox clock's range"):
        ManualClock(EARLIEST - timedelta(seconds=1))
