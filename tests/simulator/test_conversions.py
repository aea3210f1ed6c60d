"""Conversions: the Signal API (both shapes) and legacy Conversion Reporting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from simulator.clock import ManualClock
from simulator.errors import (
    InvalidInput,
    NotFound,
    RecordInvalid,
    RecordNotFound,
    UnauthorizedAdvertiser,
    UnauthorizedOperation,
)
from simulator.platform import Platform, Principal
from simulator.reported_values import parse_money, parse_timestamp, render_money
from simulator.world import World

V = "2018-02-01"
START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def platform() -> Platform:
    return Platform(ManualClock(START), seed=13)


@pytest.fixture
def call(platform: Platform, admin: Principal) -> dict[str, Any]:
    """One 120 s call from 805-555-0150, made ten minutes after START."""
    promo = platform.create_promo_number(admin, 1, "adv-1", "camp-1",
                                         {"description": "d", "media_type": "Offline: TV"},
                                         version="2016-10-01")["promo_number"]
    platform.advance_clock(600)
    row = platform.simulate_call(promo, duration_seconds=120, calling_phone_number="8055550150")
    platform.advance_clock(600)
    return row


@pytest.mark.parametrize(("text", "expected"), [
    ("1460404800", datetime(2016, 4, 11, 20, 0, tzinfo=UTC)),
    ("1460404800000", datetime(2016, 4, 11, 20, 0, tzinfo=UTC)),
    ("20160411200000000", datetime(2016, 4, 11, 20, 0, tzinfo=UTC)),
    ("2016/04/11T23:00:00.000+03:00", datetime(2016, 4, 11, 20, 0, tzinfo=UTC)),
    ("2016/04/11T13:00:00-07:00", datetime(2016, 4, 11, 20, 0, tzinfo=UTC)),
    ("2016/04/11T20:00:00.000Z", datetime(2016, 4, 11, 20, 0, tzinfo=UTC)),
    ("2016/04/11 08:00:00 PM", datetime(2016, 4, 11, 20, 0, tzinfo=UTC)),
    ("yesterday", None),
])
def test_docs_formats_parse_when_timestamp_given(text: str, expected: datetime | None) -> None:
    assert parse_timestamp(text) == expected


def test_signal_transaction_when_reported_by_transaction_id(
    platform: Platform, admin: Principal, call: dict[str, Any]
) -> None:
    answer = platform.report_signals(admin, {
        "search": {"transaction_id": call["transaction_id"]},
        "signals": [{"name": "Sale", "partner_unique_id": "1", "occurred_at_time": "1709294400",
                     "revenue": "100.00", "value": "true"}],
    }, version=V)
    signal = answer["signals"][0]
    assert signal["name"] == "Sale"
    assert signal["corrects_transaction_id"] is None
    assert signal["occurred_at_time_t"] == "1709294400"
    assert signal["occurred_at_time"] == "2024-03-01T12:00:00Z"
    assert (signal["revenue"], signal["value"]) == ("100.0", "true")  # as the docs show it
    assert answer["call"] == {
        "transaction_id": call["transaction_id"], "corrects_transaction_id": None,
        "start_time_t": str(call["start_time_utc"] // 1000),
        "call_start_time": "2024-03-01T12:10:00Z",
    }
    rows = platform.list_network_transactions(admin, 1, {"transaction_type": "Signal"},
                                              version=V)
    assert [r["transaction_id"] for r in rows] == [signal["transaction_id"]]
    assert rows[0]["complete_call_id"] == call["complete_call_id"]
    assert rows[0]["signal_name"] == "Sale"


def test_update_with_correction_when_signal_reported_again_with_new_values(
    platform: Platform, admin: Principal, call: dict[str, Any]
) -> None:
    body = {"search": {"call_record_id": call["complete_call_id"]},
            "signals": [{"name": "Quote", "partner_unique_id": "1"}]}
    first = platform.report_signals(admin, body, version=V)["signals"][0]
    same = platform.report_signals(admin, body, version=V)["signals"][0]
    assert same == first  # the same params: nothing new
    changed = platform.report_signals(admin, {
        **body, "signals": [{"name": "QUOTE", "partner_unique_id": "1", "value": "no"}]
    }, version=V)["signals"][0]
    assert changed["transaction_id"] != first["transaction_id"]
    assert changed["corrects_transaction_id"] == first["transaction_id"]
    assert changed["name"] == "Quote"  # the first casing is kept
    assert changed["value"] == "false"
    second = platform.report_signals(admin, {
        **body, "signals": [{"name": "Quote", "partner_unique_id": "2"}]
    }, version=V)["signals"][0]
    assert second["corrects_transaction_id"] is None
    signals = platform.list_network_transactions(admin, 1, {"transaction_type": "Signal"},
                                                 version=V)
    assert len(signals) == 3


def test_call_correction_when_custom_data_reported(
    platform: Platform, admin: Principal, call: dict[str, Any]
) -> None:
    answer = platform.report_signals(admin, {
        "search": {"transaction_id": call["transaction_id"]},
        "custom_data": [{"name": "channel", "value": "Paid Search"}],
    }, version=V)
    assert answer["signals"] == []
    assert answer["call"]["corrects_transaction_id"] == call["transaction_id"]
    assert answer["call"]["transaction_id"] != call["transaction_id"]
    rows = platform.list_network_transactions(
        admin, 1, {"include_columns": "transaction_id,corrects_transaction_id,channel"},
        version=V,
    )
    assert rows[-1] == {"transaction_id": answer["call"]["transaction_id"],
                        "corrects_transaction_id": call["transaction_id"],
                        "channel": "Paid Search"}


def test_closest_call_when_searching_by_start_time(
    platform: Platform, admin: Principal, call: dict[str, Any]
) -> None:
    answer = platform.report_signals(admin, {
        "search": {"call_start_time": "2024/03/01T12:10:30Z",
                   "calling_phone_number": "+18055550150", "duration_in_seconds": "118"},
        "signals": [{"name": "Sale"}],
    }, version=V)
    assert answer["call"]["transaction_id"] == call["transaction_id"]
    with pytest.raises(RecordNotFound) as caught:
        platform.report_signals(admin, {
            "search": {"call_start_time": "2024/03/01T12:10:30Z",
                       "calling_phone_number": "+12125550100"},
            "signals": [{"name": "Sale"}],
        }, version=V)
    assert caught.value.to_dict() == {"errors": {
        "class": "RecordNotFound",
        "invalid_data": "No call found. Please refer to the documentation.",
    }}


def test_all_problems_in_one_message_when_request_is_bad(
    platform: Platform, admin: Principal, call: dict[str, Any]
) -> None:
    before = len(platform.transactions)
    with pytest.raises(InvalidInput) as caught:
        platform.report_signals(admin, {
            "search": {"transaction_id": call["transaction_id"]},
            "signals": [{"name": "sale", "custom_parameter_1": "12345"},
                        {"revenue": "1,000", "value": "true"},
                        {"name": "sale", "description": "duplicate"}],
            "custom_data": [{"value": "no_name"}, {"name": "no_value"}],
        }, version=V)
    assert caught.value.message == (
        "The following params in 'signals' are not supported in this version: "
        "custom_parameter_1, description; signals[1] 'name' is required; "
        "'name' for signals[0] and signals[2] must be unique; "
        "'name' for custom_data[0] is required; 'value' for custom_data[1] is required"
    )
    with pytest.raises(InvalidInput, match="must not be empty"):
        platform.report_signals(admin, {"signals": [{"name": "x"}]}, version=V)
    with pytest.raises(RecordInvalid, match="Signals are limited to 100"):
        platform.report_signals(admin, {"search": {"transaction_id": call["transaction_id"]},
                                        "signals": [{"name": f"s{i}"} for i in range(101)]},
                                version=V)
    with pytest.raises(RecordInvalid, match="Revenue must be specified on each Signal"):
        platform.report_signals(admin, {"search": {"transaction_id": call["transaction_id"]},
                                        "revenue": "10"}, version=V)
    assert len(platform.transactions) == before


def test_permission_errors_when_role_or_advertiser_is_wrong(
    platform: Platform, world: World, call: dict[str, Any]
) -> None:
    affiliate_token = world.token_for("affiliate")
    advertiser_token = world.token_for("advertiser")
    assert affiliate_token is not None and advertiser_token is not None
    body = {"search": {"transaction_id": call["transaction_id"]}, "signals": [{"name": "Sale"}]}
    with pytest.raises(UnauthorizedOperation):
        platform.report_signals(platform.authenticate(token=affiliate_token), body, version=V)
    advertiser = platform.authenticate(token=advertiser_token)
    assert platform.report_signals(advertiser, body, version=V)["signals"][0]["name"] == "Sale"
    with pytest.raises(UnauthorizedAdvertiser, match="You do not have access to this advertiser"):
        platform.report_signals(advertiser, {
            "search": {"call_start_time": "1709295000", "advertiser_id_from_network": "adv-1"},
            "signals": [{"name": "Sale"}],
        }, version=V)


def test_old_shape_answer_when_signal_posted_to_transaction_path(
    platform: Platform, admin: Principal, call: dict[str, Any]
) -> None:
    answer = platform.report_transaction_signal(admin, call["transaction_id"], {
        "signal": {"name": "sale", "partner_unique_id": "1", "description": "1 year contract",
                   "occurred_at_time": "1440607313", "sale_amount": "100.00", "value": "true",
                   "custom_parameter_1": "12345"},
    }, version="2016-08-01")
    assert answer["signal"]["description"] == "1 year contract"
    assert answer["signal"]["sale_amount"] == "100.0"
    assert answer["signal"]["custom_parameter_1"] == "12345"
    assert answer["signal"]["occurred_at_time"] == "2015-08-26T16:41:53Z"
    assert set(answer["call"]) == {"transaction_id", "start_time_t", "call_start_time"}


def test_empty_answer_when_call_in_progress(
    platform: Platform, admin: Principal, call: dict[str, Any]
) -> None:
    answer = platform.report_signals(admin, {
        "search": {"transaction_id": call["transaction_id"]}, "signals": [{"name": "Sale"}],
        "call_in_progress": True,
    }, version=V)
    assert answer == {}
    assert len(platform.list_network_transactions(admin, 1, {"transaction_type": "Signal"},
                                                  version=V)) == 1


def test_sale_transaction_when_conversion_matches_call(
    platform: Platform, admin: Principal, call: dict[str, Any]
) -> None:
    advertiser_id = platform.get_advertiser(admin, 1, "adv-1", version="2016-10-01")["id"]
    start = str(call["start_time_utc"] // 1000 + 15)
    sale = platform.report_conversion(admin, advertiser_id, {
        "start_time_t": start, "calling_phone_number": "+18055550150", "reference_id": "ord-1",
        "sale_amount": "49.99", "sku_list[]": ["A", "B"], "quantity_list[]": ["1", "2"],
        "email_address": "buyer@example.com",
    }, version="2014-04-15")
    assert sale["transaction_type"] == "Reported Conversion"
    assert sale["complete_call_id"] == call["complete_call_id"]
    assert (sale["sku_list"], sale["quantity_list"], sale["sale_amount"]) == ("A,B", "1,2", "49.99")
    assert sale["original_order_id"] == "ord-1"
    assert sale["email_address"] == "buyer@example.com"
    again = platform.report_conversion(admin, advertiser_id, {
        "start_time_t": start, "reference_id": "ord-1", "sale_amount": "59.99",
    }, version="2014-04-15")
    assert again["corrects_transaction_id"] == sale["transaction_id"]
    rows = platform.list_network_transactions(admin, 1, {"transaction_type": "Sale"},
                                              version=V)
    assert [r["sale_amount"] for r in rows] == ["49.99", "59.99"]


def test_not_found_when_no_call_near_reported_time(
    platform: Platform, admin: Principal, call: dict[str, Any]
) -> None:
    advertiser_id = platform.get_advertiser(admin, 1, "adv-1", version="2016-10-01")["id"]
    far = int((START + timedelta(days=3)).timestamp())
    with pytest.raises(NotFound, match="Couldn't find call around time"):
        platform.report_conversion(admin, advertiser_id, {"start_time_t": str(far)},
                                   version="2014-04-15")
    with pytest.raises(RecordInvalid) as caught:
        platform.report_conversion(admin, advertiser_id, {"start_time_t": "soon",
                                                          "sku_list[]": ["A"],
                                                          "quantity_list[]": ["1", "2"]},
                                   version="2014-04-15")
    assert caught.value.field_errors == {"start_time_t": ["must be a 10 digit time_t"],
                                         "quantity_list": ["must have one quantity per sku"]}
    with pytest.raises(NotFound):  # an unknown conversion reporting id: the docs' class
        platform.report_conversion(admin, 999, {"start_time_t": str(far)}, version="2014-04-15")


@pytest.mark.parametrize(("value", "expected"), [
    ("100.00", (Decimal("100.00"), True)),
    ("1,000.00", (Decimal("1000.00"), True)),  # the docs' example request
    ("1,000", (Decimal("1000"), True)),  # the docs' "Example Bad Request" does not refuse it
    ("1000.5", (Decimal("1000.5"), True)),
    (100, (Decimal("100"), True)),
    (None, (None, True)),
    ("", (None, True)),
    ("1.234", (None, False)),  # "up to 2 decimal places"
    ("10,00", (None, False)),  # "period separated"
    ("1,0000", (None, False)),
    ("$100", (None, False)),
    ("-5", (None, False)),
    (True, (None, False)),
])
def test_money_is_read_as_the_docs_allow_when_revenue_is_given(
    value: Any, expected: tuple[Decimal | None, bool]
) -> None:
    assert parse_money(value) == expected


@pytest.mark.parametrize(("amount", "shown"), [
    (Decimal("100.00"), "100.0"),
    (Decimal("1000.00"), "1,000.0"),
    (Decimal("1000.5"), "1,000.5"),
    (Decimal("0.05"), "0.05"),
    (Decimal("1234567.89"), "1,234,567.89"),
])
def test_money_is_shown_as_the_docs_answers_show_it_when_rendered(
    amount: Decimal, shown: str
) -> None:
    assert render_money(amount) == shown


def test_nothing_is_applied_when_a_call_in_progress_request_has_other_problems(
    platform: Platform, admin: Principal, call: dict[str, Any]
) -> None:
    before = len(platform.transactions)
    answer = platform.report_signals(admin, {
        "search": {"transaction_id": call["transaction_id"]}, "call_in_progress": "true",
        "signals": [{"name": "Sale", "revenue": "12.345"}],
    }, version=V)
    assert answer == {}
    assert len(platform.transactions) == before
    with pytest.raises(InvalidInput, match=r"^signals\[0\] 'name' is required$"):
        platform.report_signals(admin, {
            "search": {"transaction_id": call["transaction_id"]}, "call_in_progress": True,
            "signals": [{"revenue": "12.345"}]}, version=V)


def test_unauthorized_advertiser_when_the_campaign_is_outside_the_organization(
    platform: Platform, admin: Principal, call: dict[str, Any]
) -> None:
    body = {"search": {"call_start_time": str(call["start_time_utc"] // 1000),
                       "advertiser_campaign_id_from_network": "camp-1"},
            "signals": [{"name": "Sale"}]}
    assert platform.report_signals(admin, body, version=V)["call"]["transaction_id"] == (
        call["transaction_id"])
    body["search"]["advertiser_campaign_id_from_network"] = "camp-elsewhere"
    with pytest.raises(UnauthorizedAdvertiser,
                       match="You do not have access to this advertiser campaign"):
        platform.report_signals(admin, body, version=V)


def test_sale_is_not_duplicated_when_the_same_values_are_reported_again(
    platform: Platform, admin: Principal, call: dict[str, Any]
) -> None:
    advertiser_id = platform.get_advertiser(admin, 1, "adv-1", version="2016-10-01")["id"]
    form = {"start_time_t": str(call["start_time_utc"] // 1000), "reason_code": "S",
            "sku_list[]": ["A"], "sale_amount": "5.00"}
    first = platform.report_conversion(admin, advertiser_id, form, version="2014-04-15")
    again = platform.report_conversion(admin, advertiser_id, dict(form), version="2014-04-15")
    assert again["transaction_id"] == first["transaction_id"]
    other_sku = platform.report_conversion(admin, advertiser_id, {**form, "sku_list[]": ["B"]},
                                           version="2014-04-15")
    assert other_sku["corrects_transaction_id"] is None
    changed = platform.report_conversion(admin, advertiser_id, {**form, "sale_amount": "6.00"},
                                         version="2014-04-15")
    assert changed["corrects_transaction_id"] == first["transaction_id"]
