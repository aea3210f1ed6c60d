"""RingPool allocation: holds, overflow, reuse order, parameters, attribution, reconfigure."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from simulator.errors import NumbersExhausted, RecordInvalid
from simulator.events import (
    EventLog,
    LocalNumbersFilled,
    NumberAllocated,
    NumberRecycled,
    NumberReleased,
    OverflowServed,
    to_micros,
)
from simulator.numbers import NumberInventory
from simulator.referrer import parse_referrer, search_type_for
from simulator.ringpool import Allocation, AllocationRecord, RingPool, RingPoolFull

START_AT = datetime(2016, 10, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return START_AT + timedelta(seconds=seconds)


class Counter:
    """A supply of distinct fake numbers: 8005550100, 8005550101, ..."""

    def __init__(self) -> None:
        self.issued: list[str] = []

    def __call__(self) -> str:
        number = f"800555{100 + len(self.issued):04d}"
        self.issued.append(number)
        return number


@pytest.fixture
def event_log() -> EventLog:
    return EventLog(maxlen=None)


@pytest.fixture
def supply() -> Counter:
    return Counter()


@pytest.fixture
def make_pool(event_log: EventLog, supply: Counter) -> Callable[..., RingPool]:
    def make(**overrides: object) -> RingPool:
        settings: dict[str, object] = {
            "id": 16, "lifetime_seconds": 60, "max_pool_size": 3,
            "supply": supply, "events": event_log,
        }
        settings.update(overrides)
        return RingPool(**settings)  # type: ignore[arg-type]

    return make


@pytest.fixture
def ring_pool(make_pool: Callable[..., RingPool]) -> RingPool:
    return make_pool()


def test_overflow_number_reserved_when_pool_created(ring_pool: RingPool, supply: Counter) -> None:
    assert ring_pool.overflow_number == "8005550100"
    assert ring_pool.numbers == []
    assert supply.issued == ["8005550100"]


def test_given_overflow_number_used_when_passed(make_pool: Callable[..., RingPool]) -> None:
    pool = make_pool(overflow_number="8885550150")
    assert pool.overflow_number == "8885550150"


def test_numbers_provisioned_one_at_a_time_when_allocations_need_them(
    ring_pool: RingPool,
) -> None:
    first = ring_pool.allocate(at(0), {})
    assert ring_pool.numbers == [first.promo_number]
    second = ring_pool.allocate(at(1), {})
    assert second.promo_number != first.promo_number
    assert len(ring_pool.numbers) == 2


def test_allocation_holds_for_lifetime_when_allocated(ring_pool: RingPool) -> None:
    allocation = ring_pool.allocate(at(5), {}, affiliate_id_from_network="5567")
    assert allocation.allocated_at == at(5)
    assert allocation.expires_at == at(65)
    assert not allocation.overflow
    assert allocation.affiliate_id_from_network == "5567"
    assert allocation.ring_pool_id == 16


def test_overflow_number_served_when_every_number_is_held(
    ring_pool: RingPool, event_log: EventLog
) -> None:
    held = [ring_pool.allocate(at(n), {}) for n in range(3)]
    extra = ring_pool.allocate(at(10), {"param1": "x"})
    assert extra.overflow
    assert extra.promo_number == ring_pool.overflow_number
    assert extra.expires_at == extra.allocated_at
    assert extra.promo_number not in {a.promo_number for a in held}
    assert ring_pool.held_count(at(10)) == 3
    last = event_log.events()[-1]
    assert isinstance(last, OverflowServed)
    assert last.allocation_id == extra.id


def test_number_not_reused_when_hold_has_not_ended(ring_pool: RingPool) -> None:
    numbers = {ring_pool.allocate(at(0), {}).promo_number for _ in range(3)}
    assert ring_pool.allocate(at(59.999), {}).overflow
    reused = ring_pool.allocate(at(60), {})
    assert not reused.overflow
    assert reused.promo_number in numbers


def test_idle_longest_number_reused_first_when_several_are_free(ring_pool: RingPool) -> None:
    a = ring_pool.allocate(at(0), {})
    b = ring_pool.allocate(at(10), {})
    c = ring_pool.allocate(at(20), {})
    # at t=100 all three holds have ended: a at 60, b at 70, c at 80
    order = [ring_pool.allocate(at(100), {}).promo_number for _ in range(3)]
    assert order == [a.promo_number, b.promo_number, c.promo_number]


def test_new_number_provisioned_before_reuse_when_pool_not_full(ring_pool: RingPool) -> None:
    first = ring_pool.allocate(at(0), {})
    second = ring_pool.allocate(at(100), {})  # first is free, but a never-used number goes first
    assert second.promo_number != first.promo_number
    assert len(ring_pool.numbers) == 2


def test_recycled_events_at_hold_end_when_expired(
    ring_pool: RingPool, event_log: EventLog
) -> None:
    a = ring_pool.allocate(at(0), {})
    b = ring_pool.allocate(at(30), {})
    recycled = ring_pool.expire(at(200))
    assert recycled == [
        NumberRecycled(at(60), 16, a.promo_number),
        NumberRecycled(at(90), 16, b.promo_number),
    ]
    assert event_log.events()[-2:] == recycled
    assert ring_pool.expire(at(300)) == []
    assert ring_pool.free_numbers(at(300)) == [a.promo_number, b.promo_number]


def test_allocated_event_logged_when_number_allocated(
    ring_pool: RingPool, event_log: EventLog
) -> None:
    allocation = ring_pool.allocate(at(0), {})
    expected = NumberAllocated(at(0), 16, allocation.id, allocation.promo_number)
    assert event_log.events() == [expected]


def test_custom_names_mapped_to_param_n_when_query_uses_them(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(param_names=["gclid", "", "site"])
    allocation = pool.allocate(
        at(0),
        {"gclid": "abc", "site": "s1", "param2": "two", "ring_pool_key": "K", "pid": "55",
         "landing_page": "https://x.test/", "color": "red"},
    )
    assert dict(allocation.params) == {
        "param1": "abc", "param2": "two", "param3": "s1", "landing_page": "https://x.test/",
    }


def test_explicit_param_n_wins_when_custom_name_also_given(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(param_names=["gclid"])
    allocation = pool.allocate(at(0), {"gclid": "by-name", "param1": "by-number"})
    assert allocation.params["param1"] == "by-number"


def test_record_invalid_and_nothing_changes_when_search_params_missing(
    make_pool: Callable[..., RingPool], event_log: EventLog
) -> None:
    pool = make_pool(pool_type="Search")
    with pytest.raises(RecordInvalid, match="search_engine and search_keywords"):
        pool.allocate(at(0), {})
    with pytest.raises(RecordInvalid, match="search_keywords"):
        pool.allocate(at(0), {"search_engine": "google"})
    assert len(event_log) == 0
    assert pool.numbers == []
    assert pool.allocations() == []


def test_search_fields_parsed_when_referrer_is_a_search_engine(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(pool_type="Search")
    allocation = pool.allocate(
        at(0), {"referrer": "https://www.google.com/search?q=home+loans&gclid=9"}
    )
    assert allocation.params["search_engine"] == "google"
    assert allocation.params["search_keywords"] == "home loans"
    assert allocation.params["search_type"] == "Paid"


def test_record_invalid_when_search_pool_referrer_is_not_a_search_engine(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(pool_type="Search")
    with pytest.raises(RecordInvalid):
        pool.allocate(at(0), {"referrer": "https://news.example.com/a"})


def test_record_invalid_when_keyword_id_pool_lacks_search_keyword_id(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(pool_type="SearchKeyword")
    with pytest.raises(RecordInvalid, match="search_keyword_id"):
        pool.allocate(at(0), {"search_engine": "bing", "search_keywords": "x"})
    assert pool.allocate(at(0), {"search_keyword_id": "k-1"}).params["search_keyword_id"] == "k-1"


@pytest.mark.parametrize("pool_type", ["ReferralDomain", "ReferralDomainWithSearchTracking"])
def test_record_invalid_when_referral_pool_lacks_referrer(
    make_pool: Callable[..., RingPool], pool_type: str
) -> None:
    pool = make_pool(pool_type=pool_type)
    with pytest.raises(RecordInvalid, match="referrer"):
        pool.allocate(at(0), {"landing_page": "https://x.test/"})


def test_referrer_is_traffic_source_when_referral_search_pool_gets_non_search_referrer(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(pool_type="ReferralDomainWithSearchTracking")
    allocation = pool.allocate(at(0), {"referrer": "https://partner.example.com/deals"})
    assert allocation.params["search_engine"] == "https://partner.example.com/deals"
    assert allocation.params["referrer"] == "https://partner.example.com/deals"


def test_ring_pool_full_and_nothing_changes_when_no_overflow_allowed(
    make_pool: Callable[..., RingPool], event_log: EventLog, supply: Counter
) -> None:
    pool = make_pool(allow_overflow=False, max_pool_size=1)
    assert pool.overflow_number is None
    pool.allocate(at(0), {})
    logged = len(event_log)
    with pytest.raises(RingPoolFull) as caught:
        pool.allocate(at(1), {})
    assert caught.value.error_class == "RecordInvalid"
    assert caught.value.status_hint == 403
    assert len(event_log) == logged
    assert len(pool.allocations()) == 1
    assert len(supply.issued) == 1


def test_overflow_before_fill_then_numbers_when_local_pool_fills(
    make_pool: Callable[..., RingPool], event_log: EventLog
) -> None:
    pool = make_pool(fill_at=at(600), max_pool_size=2)
    early = pool.allocate(at(0), {})
    assert early.overflow
    assert pool.numbers == []
    late = pool.allocate(at(601), {})
    assert not late.overflow
    assert len(pool.numbers) == 2
    fills = [e for e in event_log.events() if isinstance(e, LocalNumbersFilled)]
    assert fills == [LocalNumbersFilled(at(600), 16, local_count=0, toll_free_count=2)]


def test_fill_counts_local_and_keeps_partial_when_supply_runs_out(
    event_log: EventLog,
) -> None:
    stock = ["8055550100", "8005550101", "8005550102"]

    def local_then_exhausted() -> str:
        if not stock:
            raise NumbersExhausted("none left")
        return stock.pop(0)

    pool = RingPool(
        id=2, lifetime_seconds=60, max_pool_size=5, supply=local_then_exhausted,
        events=event_log, fill_at=at(600),
    )
    pool.expire(at(600))
    assert pool.numbers == ["8005550101", "8005550102"]
    assert event_log.events()[-1] == LocalNumbersFilled(at(600), 2, 0, 2)


def test_overflow_when_supply_exhausted_and_nothing_free(
    event_log: EventLog,
) -> None:
    issued = iter(["8005550100", "8005550101"])

    def two_numbers() -> str:
        try:
            return next(issued)
        except StopIteration:
            raise NumbersExhausted("none left") from None

    pool = RingPool(id=3, lifetime_seconds=60, max_pool_size=5, supply=two_numbers,
                    events=event_log)
    first = pool.allocate(at(0), {})
    with pytest.raises(NumbersExhausted):
        pool.allocate(at(1), {})
    reused = pool.allocate(at(100), {})
    assert reused.promo_number == first.promo_number


def test_allocation_attributed_when_call_during_or_after_hold(ring_pool: RingPool) -> None:
    first = ring_pool.allocate(at(0), {})
    assert ring_pool.attribute(first.promo_number, at(-1)) is None
    assert ring_pool.attribute(first.promo_number, at(0)) == first
    assert ring_pool.attribute(first.promo_number, at(3000)) == first  # still its last visitor


def test_later_allocation_attributed_when_number_reallocated(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(max_pool_size=1)
    first = pool.allocate(at(0), {})
    second = pool.allocate(at(100), {})
    assert second.promo_number == first.promo_number
    assert pool.attribute(first.promo_number, at(99)) == first
    assert pool.attribute(first.promo_number, at(100)) == second


def test_nobody_attributed_when_call_is_on_overflow_or_unknown_number(
    ring_pool: RingPool,
) -> None:
    for n in range(4):
        ring_pool.allocate(at(n), {})
    assert ring_pool.overflow_number is not None
    assert ring_pool.attribute(ring_pool.overflow_number, at(5)) is None
    assert ring_pool.attribute("8665550100", at(5)) is None


def test_oldest_allocations_forgotten_when_retention_exceeded(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(max_pool_size=1, retention=3)
    allocations = [pool.allocate(at(100 * n), {}) for n in range(5)]
    assert pool.allocations() == allocations[2:]
    number = allocations[0].promo_number
    assert pool.attribute(number, at(50)) is None
    assert pool.attribute(number, at(250)) == allocations[2]


def test_allocation_ids_from_callable_when_given(make_pool: Callable[..., RingPool]) -> None:
    ids = iter([101, 205])
    pool = make_pool(allocation_ids=lambda: next(ids))
    assert [pool.allocate(at(0), {}).id for _ in range(2)] == [101, 205]


def test_instant_clamped_when_now_goes_backwards_between_callers(ring_pool: RingPool) -> None:
    ring_pool.allocate(at(10), {})
    late = ring_pool.allocate(at(5), {})
    assert late.allocated_at == at(10)


def test_free_numbers_dropped_first_when_pool_shrinks(
    make_pool: Callable[..., RingPool], event_log: EventLog
) -> None:
    released: list[str] = []
    pool = make_pool(max_pool_size=3, release=released.append)
    a = pool.allocate(at(0), {})
    b = pool.allocate(at(10), {})
    c = pool.allocate(at(100), {})  # a and b are free now (ended at 60, 70)
    pool.reconfigure(at(100), max_pool_size=1)
    assert released == [a.promo_number, b.promo_number]
    assert pool.numbers == [c.promo_number]
    assert [e for e in event_log.events() if isinstance(e, NumberReleased)] == [
        NumberReleased(at(100), 16, a.promo_number),
        NumberReleased(at(100), 16, b.promo_number),
    ]


def test_live_hold_kept_when_pool_shrinks_below_held_count(
    make_pool: Callable[..., RingPool],
) -> None:
    released: list[str] = []
    pool = make_pool(max_pool_size=3, release=released.append)
    held = [pool.allocate(at(n), {}) for n in range(3)]
    pool.reconfigure(at(5), max_pool_size=1)
    assert pool.held_count(at(5)) == 3
    assert pool.attribute(held[2].promo_number, at(30)) == held[2]
    assert pool.allocate(at(30), {}).overflow
    pool.expire(at(61))  # holds of held[0], held[1] ended; pool is back to one number
    assert released == [held[0].promo_number, held[1].promo_number]
    assert pool.numbers == [held[2].promo_number]


def test_more_numbers_provisioned_when_pool_grows(make_pool: Callable[..., RingPool]) -> None:
    pool = make_pool(max_pool_size=1)
    pool.allocate(at(0), {})
    assert pool.allocate(at(1), {}).overflow
    pool.reconfigure(at(2), max_pool_size=2)
    assert not pool.allocate(at(2), {}).overflow


def test_existing_holds_kept_and_order_right_when_lifetime_shortened(
    make_pool: Callable[..., RingPool], event_log: EventLog
) -> None:
    pool = make_pool(lifetime_seconds=100, max_pool_size=3)
    long_hold = pool.allocate(at(0), {})
    pool.reconfigure(at(10), lifetime_seconds=20)
    short_hold = pool.allocate(at(10), {})
    assert short_hold.expires_at == at(30)
    recycled = pool.expire(at(200))
    assert [e.promo_number for e in recycled] == [short_hold.promo_number, long_hold.promo_number]
    assert [e.at for e in recycled] == [at(30), at(100)]
    assert pool.free_numbers(at(200)) == [short_hold.promo_number, long_hold.promo_number]
    assert len([e for e in event_log.events() if isinstance(e, NumberRecycled)]) == 2


def test_record_invalid_and_nothing_changes_when_reconfigure_is_invalid(
    ring_pool: RingPool,
) -> None:
    with pytest.raises(RecordInvalid):
        ring_pool.reconfigure(at(0), lifetime_seconds=30, max_pool_size=0)
    with pytest.raises(RecordInvalid, match="allow_overflow"):
        ring_pool.reconfigure(at(0), allow_overflow=False)
    with pytest.raises(RecordInvalid):
        ring_pool.reconfigure(at(0), pool_type="Bogus")
    assert (ring_pool.lifetime_seconds, ring_pool.max_pool_size) == (60, 3)
    assert ring_pool.allow_overflow


def test_new_rules_apply_when_pool_type_and_names_reconfigured(ring_pool: RingPool) -> None:
    ring_pool.reconfigure(at(0), pool_type="SearchKeyword", param_names=["q"])
    assert ring_pool.pool_type == "SearchKeyword"
    allocation = ring_pool.allocate(at(0), {"search_keyword_id": "7", "q": "shoes"})
    assert allocation.params["param1"] == "shoes"


@pytest.mark.parametrize(
    "overrides",
    [
        {"lifetime_seconds": 0}, {"max_pool_size": -1}, {"pool_type": "Nope"},
        {"param_names": ["p"] * 11}, {"retention": 0}, {"lifetime_seconds": True},
    ],
)
def test_record_invalid_when_pool_created_with_bad_settings(
    make_pool: Callable[..., RingPool], overrides: dict[str, object]
) -> None:
    with pytest.raises(RecordInvalid):
        make_pool(**overrides)


def test_json_safe_dict_when_allocation_rendered(ring_pool: RingPool) -> None:
    allocation = ring_pool.allocate(at(0), {"param1": "a"})
    assert allocation.to_dict() == {
        "id": 1, "ring_pool_id": 16, "promo_number": allocation.promo_number,
        "allocated_at": "2016-10-01T12:00:00Z", "expires_at": "2016-10-01T12:01:00Z",
        "overflow": False, "params": {"param1": "a"}, "affiliate_id_from_network": None,
    }
    assert isinstance(allocation, Allocation)


def test_no_number_held_twice_when_allocating_from_many_threads(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(max_pool_size=50, lifetime_seconds=3600)
    results: list[Allocation] = []
    lock = threading.Lock()

    def allocate_many() -> None:
        for _ in range(20):
            allocation = pool.allocate(at(0), {})
            with lock:
                results.append(allocation)

    threads = [threading.Thread(target=allocate_many) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    held = [a.promo_number for a in results if not a.overflow]
    assert len(held) == 50
    assert len(set(held)) == 50
    assert sum(a.overflow for a in results) == 30
    assert len({a.id for a in results}) == 80


def run_commands(seed: int) -> str:
    """A fixed command script against a fresh pool fed by a seeded inventory."""
    log = EventLog()
    inventory = NumberInventory(random.Random(seed))
    pool = RingPool(id=1, lifetime_seconds=90, max_pool_size=4, supply=inventory.issue_toll_free,
                    events=log, param_names=["gclid"])
    script = random.Random(seed + 1)
    instant = 0.0
    for _ in range(200):
        instant += script.uniform(0, 40)
        pool.allocate(at(instant), {"gclid": str(script.randrange(1000))})
    pool.expire(at(instant + 1000))
    return log.to_jsonl()


def test_byte_identical_event_log_when_same_seed_and_commands() -> None:
    first = run_commands(11)
    assert first == run_commands(11)
    assert first != run_commands(12)
    assert first.count("\n") > 200


@pytest.mark.parametrize(
    ("referrer", "engine", "keywords"),
    [
        ("https://www.google.com/search?q=home+loans", "google", "home loans"),
        ("https://www.google.co.uk/search?q=flat%20rent", "google", "flat rent"),
        ("http://search.yahoo.com/search?p=car+insurance", "yahoo", "car insurance"),
        ("https://www.bing.com/search?q=plumber&form=QBLH", "bing", "plumber"),
        ("https://duckduckgo.com/?q=dentist", "duckduckgo", "dentist"),
        ("https://www.baidu.com/s?wd=hotel", "baidu", "hotel"),
        ("https://yandex.ru/search/?text=taxi", "yandex", "taxi"),
        ("https://www.google.com/", "google", ""),
    ],
)
def test_engine_and_keywords_when_referrer_is_a_search_engine(
    referrer: str, engine: str, keywords: str
) -> None:
    parsed = parse_referrer(referrer)
    assert parsed is not None
    assert (parsed.search_engine, parsed.search_keywords) == (engine, keywords)


@pytest.mark.parametrize(
    "referrer", ["", "   ", "https://news.example.com/?q=x", "not a url", "https://googled.example/"]
)
def test_none_when_referrer_is_not_a_search_engine(referrer: str) -> None:
    assert parse_referrer(referrer) is None


def test_paid_when_referrer_or_landing_page_carries_an_ad_click_id() -> None:
    organic = parse_referrer("https://www.bing.com/search?q=a")
    paid = parse_referrer("https://www.bing.com/search?q=a", "https://x.test/?msclkid=1")
    assert organic is not None
    assert paid is not None
    assert (organic.search_type, paid.search_type) == ("Organic", "Paid")
    assert search_type_for("https://www.google.com/aclk?sa=l") == "Paid"


# ---- batches: allocate_many and allocate_rows share allocate's core -------------------------


def twin_pools(**overrides: object) -> tuple[RingPool, EventLog, RingPool, EventLog]:
    """Two identical pools, each with its own supply and event log."""
    pools = []
    for _ in range(2):
        events = EventLog(maxlen=None)
        settings: dict[str, object] = {
            "id": 7, "lifetime_seconds": 60, "max_pool_size": 3, "supply": Counter(),
            "events": events, "param_names": ["gclid"],
        }
        settings.update(overrides)
        pools.append((RingPool(**settings), events))  # type: ignore[arg-type]
    (first, first_events), (second, second_events) = pools
    return first, first_events, second, second_events


@pytest.mark.parametrize("allow_overflow", [True, False])
def test_same_allocations_and_events_when_allocate_many_replaces_allocate(
    allow_overflow: bool,
) -> None:
    one, one_events, many, many_events = twin_pools(allow_overflow=allow_overflow)
    # bursts that fill the pool, holds ending exactly at an arrival, an instant out of order
    seconds = [0, 1, 1, 2, 3, 30, 60, 61, 61, 62, 120, 119, 200, 200, 200, 200, 260.5]
    expected: list[Allocation | None] = []
    for second in seconds:
        try:
            expected.append(one.allocate(at(second), {"gclid": "g"}))
        except RingPoolFull:
            expected.append(None)
    records = many.allocate_many(
        [to_micros(at(second)) for second in seconds], {"gclid": "g"}
    )
    got = [None if record is None else many.allocation(record) for record in records]
    assert got == expected
    assert (None in got) is not allow_overflow
    assert many_events.to_jsonl() == one_events.to_jsonl()
    assert many.allocations() == one.allocations()
    assert many.free_numbers(at(400)) == one.free_numbers(at(400))


def test_record_invalid_and_nothing_changes_when_allocate_many_gets_a_bad_query(
    make_pool: Callable[..., RingPool], event_log: EventLog,
) -> None:
    pool = make_pool(pool_type="Search")
    good = {"search_engine": "google", "search_keywords": "shoes"}
    with pytest.raises(RecordInvalid):
        pool.allocate_many([to_micros(at(0)), to_micros(at(1))], [good, {"param1": "x"}])
    assert pool.allocations() == []
    assert event_log.events() == []
    with pytest.raises(ValueError, match="one query per instant"):
        pool.allocate_many([to_micros(at(0))], [good, good])


def test_bad_rows_answer_errors_and_others_allocate_when_rows_are_allocated(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(pool_type="SearchKeyword", max_pool_size=1, allow_overflow=False)
    answers = pool.allocate_rows(
        at(0),
        [{"search_keyword_id": "k1"}, {}, {"search_keyword_id": "k2"}],
        ["aff-1", None, "aff-2"],
    )
    first, bad, refused = answers
    assert isinstance(first, AllocationRecord)
    allocation = pool.allocation(first)
    assert allocation.affiliate_id_from_network == "aff-1"
    assert dict(allocation.params) == {"search_keyword_id": "k1"}
    assert isinstance(bad, RecordInvalid)
    assert isinstance(refused, RingPoolFull)  # the pool's one number is held, no overflow
    assert pool.allocations() == [allocation]


def test_old_calls_unattributed_and_recent_attributed_when_histories_are_compacted(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(max_pool_size=4, lifetime_seconds=1, retention=10, events=None)
    instants = [to_micros(at(n)) for n in range(5_000)]  # enough to compact several times
    records = pool.allocate_many(instants)
    assert len(pool.allocations()) == 10
    oldest = pool.allocation(records[0])  # type: ignore[arg-type]
    assert pool.attribute(oldest.promo_number, at(0.5)) is None
    for record in records[-4:]:
        latest = pool.allocation(record)  # type: ignore[arg-type]
        assert pool.attribute(latest.promo_number, at(4_999.5)) == latest
    forgotten = pool.allocation(records[-20])  # type: ignore[arg-type]
    assert pool.attribute(forgotten.promo_number, forgotten.allocated_at) is None


@pytest.mark.parametrize("step", [1, 7])
def test_retained_allocations_attributed_and_forgotten_ones_not_when_retention_is_exceeded(
    make_pool: Callable[..., RingPool], step: int
) -> None:
    # 100 numbers overloaded ~3.5x for ~70 s, allocated `step` visitors per call; a number's
    # allocations are ~100 to 300 apart, so several are retained: attribution at each of
    # their instants answers the allocation while it is retained, nobody once forgotten
    retention = 300
    pool = make_pool(max_pool_size=100, lifetime_seconds=1, retention=retention, events=None)
    rng = random.Random(5)
    instants, t = [], to_micros(at(0))
    for _ in range(20_000):
        t += rng.randrange(1, 7_000)
        instants.append(t)
    made: list[AllocationRecord] = []
    by_number: dict[str, list[int]] = {}  # number -> indices in made of its allocations
    for index in range(0, len(instants), step):
        for record in pool.allocate_many(instants[index:index + step]):
            assert record is not None
            if not record.overflow:
                by_number.setdefault(record.promo_number, []).append(len(made))
            made.append(record)
        for number in {record.promo_number for record in made[-step:] if not record.overflow}:
            for position in by_number[number][-4:]:
                record = made[position]
                answer = pool.attribute_record(number, record.allocated_at_us)
                assert answer == (record if position >= len(made) - retention else None)
    assert len(pool.allocations()) == retention


def test_empty_read_only_params_when_query_names_no_pool_parameter(ring_pool: RingPool) -> None:
    allocation = ring_pool.allocate(at(0), {"ring_pool_key": "K"})
    assert dict(allocation.params) == {}
    with pytest.raises(TypeError):
        allocation.params["param1"] = "x"  # type: ignore[index]


def test_no_events_and_same_allocations_when_pool_has_no_event_log(
    make_pool: Callable[..., RingPool], event_log: EventLog,
) -> None:
    silent = make_pool(events=None)
    allocation = silent.allocate(at(0), {})
    assert silent.expire(at(61)) == [NumberRecycled(at(60), 16, allocation.promo_number)]
    assert event_log.events() == []


def test_overflow_records_in_order_when_a_full_pool_gets_a_burst(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(max_pool_size=2, events=None)
    instants = [to_micros(at(second)) for second in (0, 1, 2, 3, 4, 5, 60, 61)]
    records = pool.allocate_many(instants, {}, affiliate_id_from_network="aff")
    assert [r.overflow for r in records if r] == [False, False, True, True, True, True,
                                                  False, False]
    assert {r.promo_number for r in records if r and r.overflow} == {pool.overflow_number}
    assert [r.id for r in records if r] == list(range(1, 9))  # one log entry per visitor
    assert all(r.allocated_at_us == i and r.affiliate_id_from_network == "aff"
               for r, i in zip(records, instants, strict=True) if r)
    assert [a.id for a in pool.allocations()] == list(range(1, 9))


def test_params_read_back_when_allocated_one_by_one_or_in_rows(
    make_pool: Callable[..., RingPool],
) -> None:
    pool = make_pool(max_pool_size=50, param_names=["gclid"])
    one = pool.allocate(at(0), {"gclid": "g", "utm_source": "ad", "other": "x"})
    rows = pool.allocate_rows(at(1), [{"gclid": f"g{n}", "ring_pool_key": "K"} for n in range(5)],
                              [None] * 5)
    search = pool.allocate(at(2), {"referrer": "https://www.google.com/search?q=red+shoes"})
    assert len(pool.allocations()) == 7
    assert dict(one.params) == {"param1": "g"}
    assert [dict(pool.allocation(r).params) for r in rows] == [  # type: ignore[arg-type]
        {"param1": f"g{n}"} for n in range(5)]
    assert dict(search.params)["search_keywords"] == "red shoes"
    assert pool.allocations()[0] == one
