"""Transactions: paging with the cursor, filters, role scoping, column selection, retention."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openapi.contract import load_spec
from simulator.clock import ManualClock
from simulator.errors import RecordInvalid, Unauthorized
from simulator.platform import Platform, PlatformSettings, Principal
from simulator.transaction_columns import (
    blank_row,
    columns_for,
    documented_columns,
    json_types,
    json_value,
)
from simulator.transactions import (
    CustomValue,
    Transaction,
    TransactionIds,
    TransactionLog,
    TransactionQuery,
    time_fields,
)
from simulator.world import World

V = "2016-10-01"
START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
#: the docs' DNPR columns (dynamic number pool referrer data), returned by default
DNPR_COLUMNS = (
    "dynamic_number_pool_id", "dynamic_number_pool_pool_type",
    *(f"dynamic_number_pool_referrer_param{n}_{part}" for n in range(1, 26)
      for part in ("name", "value")),
    "dynamic_number_pool_referrer_search_engine", "dynamic_number_pool_referrer_search_keywords",
    "dynamic_number_pool_referrer_search_type",
)
#: the network's columns the contract does not mark x-only-when-named
NETWORK_COLUMNS = tuple(
    column for column, schema in
    load_spec()["components"]["schemas"]["NetworkTransaction"]["properties"].items()
    if column != "custom_data" and not schema.get("x-only-when-named")
)


@pytest.fixture
def platform() -> Platform:
    return Platform(ManualClock(START), seed=9)


def call_row(ids: TransactionIds, start_at: datetime, **fields: Any) -> Transaction:
    row = blank_row()
    transaction_id = ids.next()
    row.update(time_fields(start_at))
    row.update({"transaction_id": transaction_id, "complete_call_id": transaction_id,
                "transaction_type": "Call", "advertiser_id": 1})
    row.update(fields)
    return Transaction(1, start_at, row)


def make_calls(platform: Platform, count: int, *, promo: str | None = None) -> list[str]:
    """``count`` calls one minute apart on a promo number; their transaction ids in order."""
    if promo is None:
        assert platform.world is not None
        admin = platform.authenticate(token=platform.world.api_token)
        promo = platform.create_promo_number(
            admin, 1, "adv-1", "camp-1", {"description": "d", "media_type": "Offline: TV"},
            version=V,
        )["promo_number"]
    ids = []
    for _ in range(count):
        platform.advance_clock(60)
        ids.append(platform.simulate_call(promo)["transaction_id"])
    return ids


def test_ids_look_like_docs_when_generated() -> None:
    ids = TransactionIds(random.Random(1))
    issued = [ids.next() for _ in range(200)]
    assert len(set(issued)) == 200
    assert all(len(i) == 17 and i[8] == "-" and i.replace("-", "").isalnum() for i in issued)
    assert issued == [TransactionIds(random.Random(1)).next() for _ in range(1)] + issued[1:]


def test_pages_follow_cursor_when_limit_is_small(platform: Platform, admin: Principal) -> None:
    ids = make_calls(platform, 5)
    pages: list[list[str]] = []
    cursor = ""
    while True:
        rows = platform.list_network_transactions(
            admin, 1, {"limit": "2", "start_after_transaction_id": cursor}, version=V
        )
        pages.append([r["transaction_id"] for r in rows])
        if not rows:
            break
        cursor = rows[-1]["transaction_id"]
    assert pages == [ids[0:2], ids[2:4], ids[4:5], []]


def test_limit_validated_when_parsed() -> None:
    assert TransactionQuery.from_params({}).limit == 1000
    for bad in ("0", "-3", "ten"):
        with pytest.raises(RecordInvalid) as caught:
            TransactionQuery.from_params({"limit": bad})
        assert caught.value.field_errors == {"limit": ["is not a number"]}
    with pytest.raises(RecordInvalid) as caught:
        TransactionQuery.from_params({"from": "2024-13-01", "to": "June", "transaction_type": "X"})
    assert caught.value.field_errors == {
        "from": ["is invalid"], "to": ["is invalid"],
        "transaction_type": ["is not included in the list"],
    }


def test_only_transaction_returned_when_transaction_id_given(
    platform: Platform, admin: Principal
) -> None:
    ids = make_calls(platform, 3)
    rows = platform.list_network_transactions(admin, 1, {"transaction_id": ids[1]}, version=V)
    assert [r["transaction_id"] for r in rows] == [ids[1]]
    assert platform.list_network_transactions(admin, 1, {"transaction_id": "NOPE"},
                                              version=V) == []
    by_call = platform.list_network_transactions(admin, 1, {"call_record_id": ids[2]}, version=V)
    assert [r["complete_call_id"] for r in by_call] == [ids[2]]


def test_rows_within_dates_when_from_and_to_given() -> None:
    log = TransactionLog()
    ids = TransactionIds(random.Random(2))
    days = [START + timedelta(days=d) for d in range(5)]
    made = [log.append(call_row(ids, day)) for day in days]
    query = TransactionQuery(from_date=date(2024, 3, 2), to_date=date(2024, 3, 3))
    assert log.select(query, network_id=1) == made[1:3]
    only_from = TransactionQuery(from_date=date(2024, 3, 2))
    assert log.select(only_from, network_id=1) == made  # both are needed, as documented


def test_only_requested_types_when_transaction_type_given() -> None:
    log = TransactionLog()
    ids = TransactionIds(random.Random(3))
    call = log.append(call_row(ids, START))
    signal = log.append(call_row(ids, START, transaction_type="Signal"))
    sale = log.append(call_row(ids, START, transaction_type="Reported Conversion"))
    pick = TransactionQuery.from_params({"transaction_type[]": ["Signal", "Sale"]})
    assert log.select(pick, network_id=1) == [signal, sale]
    assert log.select(TransactionQuery.from_params({"transaction_type": "Call"}),
                      network_id=1) == [call]


def test_cursor_still_seeks_when_retention_dropped_old_rows() -> None:
    log = TransactionLog(retention=3)
    ids = TransactionIds(random.Random(4))
    made = [log.append(call_row(ids, START)) for _ in range(6)]
    assert len(log) == 3
    assert log.select(TransactionQuery(), network_id=1) == made[3:]
    after = TransactionQuery(start_after_transaction_id=made[3].transaction_id)
    assert log.select(after, network_id=1) == made[4:]
    forgotten = TransactionQuery(start_after_transaction_id=made[0].transaction_id)
    assert log.select(forgotten, network_id=1) == []
    assert log.get(made[0].transaction_id) is None


def test_transaction_retention_applies_when_configured() -> None:
    platform = Platform(ManualClock(START), seed=9,
                        settings=PlatformSettings(transaction_retention=2))
    make_calls(platform, 4)
    assert len(platform.transactions) == 2


def test_advertiser_token_sees_only_its_rows_when_two_advertisers_have_calls(
    platform: Platform, world: World, admin: Principal
) -> None:
    platform.create_advertiser(admin, 1, {"id_from_network": "adv-2", "name": "Two"}, version=V)
    platform.create_advertiser_campaign(admin, 1, "adv-2", {"id_from_network": "c2",
                                                            "name": "C2"}, version=V)
    other = platform.create_promo_number(admin, 1, "adv-2", "c2",
                                         {"description": "d", "media_type": "Offline: TV"},
                                         version=V)["promo_number"]
    mine = make_calls(platform, 2)
    theirs = make_calls(platform, 2, promo=other)
    token = world.token_for("advertiser")
    assert token is not None
    advertiser = platform.authenticate(token=token)
    adv_1 = platform.get_advertiser(admin, 1, "adv-1", version=V)["id"]
    adv_2 = platform.get_advertiser(admin, 1, "adv-2", version=V)["id"]
    rows = platform.list_advertiser_transactions(advertiser, adv_1, {}, version=V)
    assert [r["transaction_id"] for r in rows] == mine
    assert "advertiser_name" not in rows[0]  # not an advertiser-role column
    with pytest.raises(Unauthorized):
        platform.list_advertiser_transactions(advertiser, adv_2, {}, version=V)
    with pytest.raises(Unauthorized):
        platform.list_network_transactions(advertiser, 1, {}, version=V)
    network_view = platform.list_advertiser_transactions(admin, adv_2, {}, version=V)
    assert [r["transaction_id"] for r in network_view] == theirs


def test_affiliate_token_sees_only_its_rows_when_calls_are_mixed(
    platform: Platform, world: World, admin: Principal
) -> None:
    credited = platform.create_affiliate_campaign_promo_number(
        admin, 1, "adv-1", "camp-1", "aff-1", {"description": "d", "media_type": "Offline: TV"},
        version=V,
    )["promo_number"]
    make_calls(platform, 2)  # campaign-level number: no affiliate
    own = make_calls(platform, 1, promo=credited)
    token = world.token_for("affiliate")
    assert token is not None
    affiliate = platform.authenticate(token=token)
    aff_id = platform.get_affiliate(admin, 1, "aff-1", version=V)["id"]
    rows = platform.list_affiliate_transactions(affiliate, aff_id, {}, version=V)
    assert [r["transaction_id"] for r in rows] == own
    assert "calling_phone_number" not in rows[0]
    with pytest.raises(Unauthorized):
        platform.list_affiliate_transactions(affiliate, aff_id + 1, {}, version=V)


def test_chosen_columns_when_include_and_exclude_given(
    platform: Platform, admin: Principal
) -> None:
    make_calls(platform, 1)
    rows = platform.list_network_transactions(
        admin, 1, {"include_columns": "transaction_id,duration,no_such_column"}, version=V
    )
    assert list(rows[0]) == ["duration", "transaction_id"]  # the documented order
    rows = platform.list_network_transactions(
        admin, 1, {"exclude_columns": "duration,calling_phone_number"}, version=V
    )
    assert "duration" not in rows[0] and "calling_phone_number" not in rows[0]
    assert set(DNPR_COLUMNS) <= set(rows[0])
    rows = platform.list_network_transactions(admin, 1, {
        "include_columns": "$invoca_default_columns,promo_line_description",
        "exclude_columns": "$invoca_default_columns",
    }, version=V)
    assert list(rows[0]) == ["promo_line_description"]
    full = platform.list_network_transactions(admin, 1, {}, version=V)[0]
    assert set(NETWORK_COLUMNS) <= set(full)
    assert list(full) == [c for c in documented_columns("network") if c in full]
    assert "custom_data" not in full


def test_custom_columns_when_constants_requested(platform: Platform, admin: Principal) -> None:
    promo = platform.create_promo_number(
        admin, 1, "adv-1", "camp-1",
        {"description": "d", "media_type": "Offline: TV", "custom_data": {"channel": "tv"}},
        version=V,
    )["promo_number"]
    make_calls(platform, 1, promo=promo)
    rows = platform.list_network_transactions(admin, 1, {
        "include_columns": "transaction_id,$invoca_custom_columns,"
                           "$invoca_custom_source_columns,custom_data",
    }, version=V)
    assert list(rows[0]) == ["transaction_id", "channel", "channel.source", "custom_data"]
    assert rows[0]["channel"] == "tv"
    assert rows[0]["channel.source"] == "VirtualLine"
    assert rows[0]["custom_data"] == [
        {"name": "channel", "data_type": "Short Text", "source": "VirtualLine", "value": "tv"}
    ]


def test_named_column_survives_a_constant_exclusion_when_both_are_given() -> None:
    docs_example_2 = columns_for("network", ["transaction_id", "$invoca_custom_columns"],
                                 ["$invoca_default_columns"], ["channel", "Quote"])
    assert docs_example_2 == ["transaction_id", "channel", "Quote"]
    assert columns_for("advertiser", ["duration", "city"], ["duration"]) == ["city"]
    assert columns_for("network", ["$invoca_custom_columns"], ["channel"],
                       ["channel", "Quote"]) == ["Quote"]
    assert "duration" not in columns_for("network", [], ["duration", "recording"])


@pytest.mark.parametrize("role", ["network", "advertiser", "affiliate"])
def test_call_record_id_names_complete_call_id_when_selecting_columns(role: str) -> None:
    assert columns_for(role, ["call_record_id", "transaction_id"]) == [
        "complete_call_id", "transaction_id"]
    assert "complete_call_id" not in columns_for(role, [], ["call_record_id"])
    assert columns_for(role, ["call_record_id"], ["$invoca_default_columns"]) == [
        "complete_call_id"]


@pytest.mark.parametrize(
    ("column", "stored", "served"),
    [("advertiser_id", 43838, "43838"), ("affiliate_id", None, None),
     ("affiliate_call_volume_ranking", "-1", "-1"), ("affiliate_commissions_ranking", "", None),
     ("duration", 60, 60), ("opt_in_SMS", "1", 1), ("opt_in_SMS", "", None),
     ("dynamic_number_pool_id", None, None), ("corrected_at", "", None),
     ("corrects_transaction_id", "", None), ("recording", "", None),
     ("start_time_xml", "2024-03-01T12:00:00+00:00", "2024-03-01T12:00:00+00:00"),
     ("sale_amount", "", None), ("sale_amount", "12.50", "12.50"), ("mobile", None, ""),
     ("mobile", "", ""), ("signal_name", "", ""), ("notes", 5, "5")],
)
def test_value_takes_its_json_type_when_served(column: str, stored: Any, served: Any) -> None:
    assert json_value(column, stored) == served
    assert type(json_value(column, stored)) is type(served)
    kinds = {"NoneType": "null", "str": "string", "int": "integer"}
    assert kinds[type(served).__name__] in json_types(column)


def test_every_row_columns_are_never_null_when_typed() -> None:
    assert json_types("duration") == {"integer"}
    assert json_types("advertiser_id") == {"string"}
    assert json_types("start_time_xml") == {"string"}
    assert json_types("opt_in_SMS") == {"integer", "null"}
    assert json_types("affiliate_id") == {"string", "null"}
    assert json_types("city") == {"string"}


def test_affiliates_get_no_custom_columns_when_requested() -> None:
    assert columns_for("affiliate", ["transaction_id", "$invoca_custom_columns"], (),
                       ["channel"]) == ["transaction_id"]
    assert columns_for("advertiser", ["$invoca_custom_columns"], (), ["channel"]) == ["channel"]


def test_signal_columns_flatten_to_one_zero_or_null_when_rendered() -> None:
    log = TransactionLog()
    ids = TransactionIds(random.Random(5))
    row = call_row(ids, START)
    flagged = Transaction(1, START, row.fields, {"sale": CustomValue(True, "Signal", "Api"),
                                                 "lost": CustomValue(False, "Signal", "Api"),
                                                 "utm": CustomValue(7, "Category", "Import")})
    log.append(flagged)
    rendered = log.render([flagged], ["sale", "lost", "quote", "utm", "utm.source",
                                      "quote.source"])
    assert rendered == [{"sale": 1, "lost": 0, "quote": None, "utm": "7",
                         "utm.source": "Import", "quote.source": None}]


def test_unknown_advertiser_gives_empty_list_when_network_asks(
    platform: Platform, admin: Principal
) -> None:
    assert platform.list_advertiser_transactions(admin, 999, {}, version=V) == []
    with pytest.raises(RecordInvalid):
        platform.list_advertiser_transactions(admin, 999, {"limit": "x"}, version=V)


@given(
    count=st.integers(min_value=0, max_value=40),
    limit=st.integers(min_value=1, max_value=7),
    retention=st.one_of(st.none(), st.integers(min_value=1, max_value=30)),
    advertisers=st.lists(st.integers(min_value=1, max_value=3), min_size=40, max_size=40),
)
def test_pages_rebuild_the_log_when_cursor_walks_any_log(
    count: int, limit: int, retention: int | None, advertisers: list[int]
) -> None:
    log = TransactionLog(retention=retention)
    ids = TransactionIds(random.Random(count))
    made = [log.append(call_row(ids, START, advertiser_id=advertisers[i]))
            for i in range(count)]
    kept = made[-retention:] if retention is not None and count else made
    for advertiser in (None, 2):
        expected = [t for t in kept
                    if advertiser is None or t.fields["advertiser_id"] == advertiser]
        walked: list[Transaction] = []
        cursor = ""
        while True:
            page = log.select(TransactionQuery(limit=limit, start_after_transaction_id=cursor),
                              network_id=1, advertiser_id=advertiser)
            assert len(page) <= limit
            walked += page
            if len(page) < limit:
                break
            cursor = page[-1].transaction_id
        assert walked == expected
