"""The Platform's plain data has the shapes openapi/invoca.yaml promises (JSON bodies), once the
HTTP edge wrote its objects' pages as URLs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from mock_server.objects import represent
from openapi.contract import load_spec
from simulator.clock import ManualClock
from simulator.platform import Platform, Principal
from simulator.transaction_columns import blank_row, columns_for, documented_columns
from simulator.transactions import Transaction, TransactionLog, time_fields

START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
PROMO = {"description": "Radio", "media_type": "Offline: Radio", "custom_data": {"k": "v"}}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return load_spec()


@pytest.fixture(scope="module")
def platform() -> Platform:
    """A platform with one attributed call, a signal and a static promo number."""
    platform = Platform(ManualClock(START), seed=17)
    world = platform.world
    assert world is not None and world.ring_pool is not None
    admin = platform.authenticate(token=world.api_token)
    result = platform.allocate_number(world.ring_pool["id"], {
        "ring_pool_key": world.ring_pool["api_key"], "utm_source": "google", "pid": "aff-1",
    })
    platform.advance_clock(30)
    row = platform.simulate_call(result.promo_number, duration_seconds=42)
    platform.report_signals(admin, {"search": {"transaction_id": row["transaction_id"]},
                                    "signals": [{"name": "Sale", "revenue": "10.50"}]})
    platform.create_promo_number(admin, 1, "adv-1", "camp-1", PROMO, version="2016-10-01")
    return platform


def admin_of(platform: Platform) -> Principal:
    assert platform.world is not None
    return platform.authenticate(token=platform.world.api_token)


def token_of(platform: Platform, role: str) -> Principal:
    assert platform.world is not None
    token = platform.world.token_for(role)
    assert token is not None
    return platform.authenticate(token=token)


CASES: dict[str, tuple[str, Callable[[Platform], Any]]] = {
    "network": ("Network", lambda p: p.get_network(admin_of(p), 1)),
    "advertiser": ("Advertiser", lambda p: p.get_advertiser(admin_of(p), 1, "adv-1")),
    "affiliate": ("Affiliate", lambda p: p.get_affiliate(admin_of(p), 1, "aff-1")),
    "advertiser_campaign": ("AdvertiserCampaign",
                            lambda p: p.get_advertiser_campaign(admin_of(p), 1, "adv-1",
                                                                "camp-1")),
    "affiliate_campaign": ("AffiliateCampaign",
                           lambda p: p.get_affiliate_campaign(admin_of(p), 1, "adv-1", "camp-1",
                                                              "aff-1")),
    "promo_number": ("PromoNumber",
                     lambda p: p.list_promo_numbers(admin_of(p), 1, "adv-1", "camp-1")[0]),
    "ring_pool_2016": ("RingPool",
                       lambda p: p.get_ring_pool(admin_of(p), 1, "adv-1", "camp-1", "rp-1",
                                                 version="2016-10-01")),
    "ring_pool_2022": ("RingPool",
                       lambda p: p.get_ring_pool(admin_of(p), 1, "adv-1", "camp-1", "rp-1",
                                                 version="2022-08-01")),
    "quick_stats": ("QuickStats",
                    lambda p: p.get_advertiser_campaign_quick_stats(admin_of(p), 1, "adv-1",
                                                                    "camp-1")),
    "network_transactions": ("NetworkTransaction",
                             lambda p: p.list_network_transactions(
                                 admin_of(p), 1, {"include_columns":
                                                  "$invoca_default_columns,custom_data"})),
    "advertiser_transactions": ("AdvertiserTransaction",
                                lambda p: p.list_advertiser_transactions(
                                    token_of(p, "advertiser"), 1, {})),
    "affiliate_transactions": ("AffiliateTransaction",
                               lambda p: p.list_affiliate_transactions(
                                   token_of(p, "affiliate"), 1, {})),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_output_matches_contract_schema_when_rendered(
    case: str, platform: Platform, spec: dict[str, Any]
) -> None:
    schema_name, produce = CASES[case]
    value = represent(produce(platform), platform.settings.base_url)  # as HTTP shows it
    items = value if isinstance(value, list) else [value]
    assert items, f"{case} produced nothing to check"
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    for item in items:
        problems = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(item)]
        assert problems == []


def test_bulk_and_signal_bodies_match_contract_when_rendered(
    platform: Platform, spec: dict[str, Any]
) -> None:
    world = platform.world
    assert world is not None and world.bulk_ring_pool is not None
    bulk = world.bulk_ring_pool
    rows = platform.bulk_allocate_numbers({"requests": [
        {"api_suffix": f"{bulk['id']}/allocate_number.json?ring_pool_key={bulk['api_key']}"
                       "&utm_source=x", "request_id": "1"},
        {"api_suffix": f"{bulk['id']}/allocate_number.json?ring_pool_key=BAD&utm_source=x"},
    ]})
    call = platform.list_network_transactions(admin_of(platform), 1,
                                              {"transaction_type": "Call"})[0]
    signals = platform.report_signals(admin_of(platform), {
        "search": {"transaction_id": call["transaction_id"]}, "signals": [{"name": "Lead"}],
    })
    for schema_name, value in (("BulkResponse", {"responses": rows}),
                               ("SignalsResponse", signals)):
        schema = {"$ref": f"#/components/schemas/{schema_name}",
                  "components": spec["components"]}
        problems = [e.message for e in
                    jsonschema.Draft202012Validator(schema).iter_errors(value)]
        assert problems == []


@pytest.mark.parametrize(
    ("schema", "role"),
    [("NetworkTransactionsCsv", "network"), ("AdvertiserTransactionsCsv", "advertiser"),
     ("AffiliateTransactionsCsv", "affiliate")],
)
def test_transaction_columns_follow_x_csv_columns_when_every_column_is_named(
    spec: dict[str, Any], schema: str, role: str
) -> None:
    documented = spec["components"]["schemas"][schema]["x-csv-columns"]
    assert columns_for(role, list(reversed(documented))) == documented


ROLES = ("network", "advertiser", "affiliate")


@pytest.fixture(scope="module")
def reported() -> Platform:
    """A platform with a row of every kind and a value in every column the model fills: an
    affiliate's pool call with referrer data, a static promo number's call with marketing data,
    signals of both shapes with custom data, a call sale and a web conversion with an add-on."""
    platform = Platform(ManualClock(START), seed=23)
    world = platform.world
    assert world is not None and world.ring_pool is not None
    admin = admin_of(platform)
    pool = world.ring_pool
    credited = platform.allocate_number(pool["id"], {
        "ring_pool_key": pool["api_key"], "pid": "aff-1", "utm_source": "google",
        "param1": "spring", "search_keywords": "plumber"})
    platform.advance_clock(30)
    first = platform.simulate_call(credited.promo_number, duration_seconds=95,
                                   calling_phone_number="8055550100")
    static = platform.create_promo_number(admin, 1, "adv-1", "camp-1", PROMO,
                                          version="2016-10-01")["promo_number"]
    second = platform.simulate_call(static, duration_seconds=30)
    platform.report_signals(admin, {
        "search": {"transaction_id": first["transaction_id"]},
        "signals": [{"name": "Quote", "revenue": "10.50", "value": "false"}],
        "custom_data": [{"name": "gclid", "value": "abc"}]}, version="2018-02-01")
    platform.report_signal(admin, {
        "search": {"transaction_id": second["transaction_id"]},
        "signal": {"name": "Old", "description": "d", "sale_amount": "5",
                   "custom_parameter_1": "c1", "custom_parameter_2": "c2",
                   "custom_parameter_3": "c3"}}, version="2017-02-01")
    platform.advance_clock(300)
    platform.report_conversion(admin, 1, {
        "start_time_t": str(first["start_time_utc"] // 1000), "reference_id": "ORDER-7",
        "sale_amount": "60.50", "opt_in_SMS": "1", "sku_list[]": ["a", "b"],
        "quantity_list[]": ["1", "2"], "reason_code": "R", "email_address": "a@example.com",
        "name": "N", "address1": "1 Main St", "address2": "Apt 2", "order_city": "Goleta",
        "state_or_province": "CA", "country": "US", "zip_code": "93117",
        "home_phone_number": "8055550101", "cell_phone_number": "8055550102"},
        version="2014-04-15")
    platform.update_affiliate_campaign(admin, 1, "adv-1", "camp-1", "aff-1",
                                       {"status": "Approved"}, version="2016-10-01")
    web = {"web_conversion": "1", "reference_id": "W-1", "advertiser_campaign_id": "camp-1",
           "affiliate_id_from_network": "aff-1", "sale_amount": "9.99"}
    platform.report_conversion(admin, 1, web, version="2014-04-15")
    platform.report_conversion(admin, 1, {"web_conversion": "1", "parent_reference_id": "W-1",
                                          "sale_amount": "1.00"}, version="2014-04-15")
    return platform


#: typed columns the rows of ``reported`` carry values in (so the schemas check values too)
FILLED = frozenset({
    "duration", "start_time_utc", "start_time_xml", "advertiser_id", "affiliate_id",
    "affiliate_call_volume_ranking", "dynamic_number_pool_id", "virtual_line_id", "opt_in_SMS",
    "original_order_id", "corrected_at", "corrects_transaction_id", "sale_amount", "revenue",
    "signal_occurred_at", "signal_value", "signal_name", "custom_data",
})


@pytest.mark.parametrize("role", ROLES)
def test_every_column_matches_the_row_schema_when_every_kind_of_row_is_listed(
    reported: Platform, spec: dict[str, Any], role: str
) -> None:
    principal = admin_of(reported) if role == "network" else token_of(reported, role)
    listing = getattr(reported, f"list_{role}_transactions")
    columns = [*documented_columns(role), "custom_data"]
    rows = listing(principal, 1, {"include_columns": ",".join(columns)})
    assert {row["transaction_type"] for row in rows} == {"Call", "Signal", "Reported Conversion"}
    assert all(list(row) == columns for row in rows)
    filled = {column for row in rows for column, value in row.items() if value not in (None, "")}
    # the static promo number's call is no affiliate's: an affiliate's rows have no line id
    assert FILLED & set(columns) - ({"virtual_line_id"} if role == "affiliate" else set()) <= (
        filled)
    schema = {"$ref": f"#/components/schemas/{role.title()}Transaction",
              "components": spec["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    problems = [f"{row['transaction_type']} {list(e.path)}: {e.message}"
                for row in rows for e in validator.iter_errors(row)]
    assert problems == []


@pytest.mark.parametrize("role", ROLES)
def test_row_without_optional_values_matches_the_contract_when_rendered(
    spec: dict[str, Any], role: str
) -> None:
    fields = blank_row()  # what the model stores for a row with no value but its own
    fields.update(time_fields(START))
    fields.update(transaction_id="C624DA2C-CF3367C3", complete_call_id="C624DA2C-CF3367C3",
                  transaction_type="Call", duration=0, connect_duration=0, ivr_duration=0,
                  advertiser_id=1, advertiser_campaign_id=2)
    log = TransactionLog()
    row = log.append(Transaction(1, START, fields))
    (rendered,) = log.render([row], columns_for(role, [*documented_columns(role), "custom_data"]))
    assert rendered["advertiser_campaign_id"] == "2" and rendered["corrected_at"] is None
    schema = {"$ref": f"#/components/schemas/{role.title()}Transaction",
              "components": spec["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    assert [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(rendered)] == []
    assert not validator.is_valid({**rendered, "corrected_at": ""})
