"""Events and the EventLog: JSON-safe values, bounded log, seq cursor, deterministic JSONL."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

from simulator.events import (
    Event,
    EventLog,
    LocalNumbersFilled,
    NumberAllocated,
    NumberRecycled,
    OverflowServed,
    from_micros,
    iso_utc,
    json_safe,
    to_micros,
)

AT = datetime(2016, 10, 1, 12, 0, tzinfo=UTC)


def allocated(n: int) -> NumberAllocated:
    return NumberAllocated(
        at=AT + timedelta(seconds=n), ring_pool_id=1, allocation_id=n, promo_number="8885550100"
    )


@pytest.fixture
def event_log() -> EventLog:
    return EventLog(maxlen=5)


def test_dict_has_kind_at_and_fields_when_number_allocated() -> None:
    assert allocated(3).to_dict() == {
        "event": "NumberAllocated",
        "at": "2016-10-01T12:00:03Z",
        "ring_pool_id": 1,
        "allocation_id": 3,
        "promo_number": "8885550100",
    }


def test_each_event_kind_named_after_its_class_when_serialised() -> None:
    events: list[Event] = [
        OverflowServed(AT, 1, 2, "8005550100"),
        NumberRecycled(AT, 1, "8005550100"),
        LocalNumbersFilled(AT, 1, local_count=3, toll_free_count=1),
    ]
    assert [e.to_dict()["event"] for e in events] == [
        "OverflowServed", "NumberRecycled", "LocalNumbersFilled",
    ]
    assert events[2].to_dict()["toll_free_count"] == 1


def test_event_is_immutable_when_assigned() -> None:
    event = allocated(1)
    with pytest.raises(AttributeError):
        event.promo_number = "x"  # type: ignore[misc]


def test_seq_increases_from_one_when_appended(event_log: EventLog) -> None:
    assert [event_log.append(allocated(n)) for n in range(3)] == [1, 2, 3]
    assert len(event_log) == 3
    assert [seq for seq, _ in event_log] == [1, 2, 3]


def test_oldest_dropped_and_seq_kept_when_log_is_full(event_log: EventLog) -> None:
    for n in range(8):
        event_log.append(allocated(n))
    assert len(event_log) == 5
    assert [seq for seq, _ in event_log] == [4, 5, 6, 7, 8]
    assert event_log.last_seq == 8


def test_since_returns_only_newer_entries_when_given_a_cursor(event_log: EventLog) -> None:
    for n in range(8):
        event_log.append(allocated(n))
    assert [seq for seq, _ in event_log.since(6)] == [7, 8]
    assert event_log.since(8) == []
    assert [seq for seq, _ in event_log.since(0)] == [4, 5, 6, 7, 8]  # older ones were dropped


def test_type_error_and_no_change_when_appending_a_non_event(event_log: EventLog) -> None:
    with pytest.raises(TypeError):
        event_log.append({"event": "x"})  # type: ignore[arg-type]
    assert len(event_log) == 0
    assert event_log.last_seq == 0


def test_value_error_when_maxlen_not_positive() -> None:
    with pytest.raises(ValueError, match="maxlen"):
        EventLog(maxlen=0)


def test_unbounded_log_keeps_everything_when_maxlen_none() -> None:
    log = EventLog(maxlen=None)
    for n in range(1000):
        log.append(allocated(n))
    assert len(log) == 1000


def test_jsonl_is_sorted_compact_lines_when_rendered(event_log: EventLog) -> None:
    event_log.append(allocated(0))
    event_log.append(NumberRecycled(AT, 1, "8885550100"))
    text = event_log.to_jsonl()
    lines = text.splitlines()
    assert text.endswith("\n")
    assert lines[0] == (
        '{"allocation_id":0,"at":"2016-10-01T12:00:00Z","event":"NumberAllocated",'
        '"promo_number":"8885550100","ring_pool_id":1,"seq":1}'
    )
    assert json.loads(lines[1])["event"] == "NumberRecycled"


def test_jsonl_is_empty_when_log_is_empty(event_log: EventLog) -> None:
    assert event_log.to_jsonl() == ""


def test_seqs_unique_when_appended_from_many_threads() -> None:
    log = EventLog(maxlen=None)

    def append_many() -> None:
        for n in range(500):
            log.append(allocated(n))

    threads = [threading.Thread(target=append_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [seq for seq, _ in log] == list(range(1, 2001))


def test_all_or_nothing_when_extending_with_a_bad_entry(event_log: EventLog) -> None:
    with pytest.raises(TypeError):
        event_log.extend([allocated(1), "not an event"])  # type: ignore[list-item]
    assert len(event_log) == 0
    assert event_log.extend([allocated(1), allocated(2)]) == 2
    assert [e.allocation_id for e in event_log.events()] == [1, 2]  # type: ignore[attr-defined]


def test_seq_keeps_counting_when_log_cleared(event_log: EventLog) -> None:
    event_log.append(allocated(1))
    event_log.clear()
    assert len(event_log) == 0
    assert event_log.append(allocated(2)) == 2


def test_iso_utc_with_z_when_instant_in_another_zone() -> None:
    eastern = timezone(timedelta(hours=-4))
    assert iso_utc(datetime(2016, 10, 1, 8, 0, tzinfo=eastern)) == "2016-10-01T12:00:00Z"
    assert iso_utc(AT + timedelta(microseconds=5)) == "2016-10-01T12:00:00.000005Z"
    with pytest.raises(ValueError, match="naive"):
        iso_utc(datetime(2016, 10, 1))


def test_json_safe_values_when_fields_hold_containers() -> None:
    value = {"when": AT, "tags": ("a", "b"), "ids": frozenset({2, 1}), "span": timedelta(1)}
    assert json_safe(value) == {
        "when": "2016-10-01T12:00:00Z", "tags": ["a", "b"], "ids": [1, 2], "span": 86400.0,
    }
    with pytest.raises(TypeError):
        json_safe(object())


def test_deferred_events_read_as_event_values_when_recorded(event_log: EventLog) -> None:
    event_log.append(allocated(0))
    last = event_log.record([
        (NumberAllocated, to_micros(AT + timedelta(seconds=n)), 1, n, "8885550100")
        for n in (1, 2)
    ])
    assert last == 3
    assert event_log.events() == [allocated(0), allocated(1), allocated(2)]
    assert event_log.since(2) == [(3, allocated(2))]
    assert event_log.since(3) == []
    recycled = NumberRecycled(AT + timedelta(seconds=9), 1, "8885550100")
    assert event_log.record([(NumberRecycled, to_micros(recycled.at), 1, "8885550100")] * 3) == 6
    assert event_log.since(0) == [(2, allocated(1)), (3, allocated(2)), (4, recycled),
                                  (5, recycled), (6, recycled)]  # the bound (5) dropped seq 1


def test_type_error_and_nothing_recorded_when_deferred_event_is_not_an_event(
    event_log: EventLog,
) -> None:
    with pytest.raises(TypeError):
        event_log.record([(NumberAllocated, 0, 1, 1, "8885550100"), (dict, 0)])
    with pytest.raises(TypeError):
        event_log.record([("NumberAllocated", 0, 1, 1, "8885550100")])
    assert len(event_log) == 0
    assert event_log.last_seq == 0


def test_same_instant_when_converted_to_micros_and_back() -> None:
    instant = datetime(2016, 10, 1, 12, 0, 0, 123456, tzinfo=timezone(timedelta(hours=-7)))
    assert from_micros(to_micros(instant)) == instant
    assert from_micros(to_micros(instant)).tzinfo == UTC
    assert to_micros(datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)) == 1_000_000
