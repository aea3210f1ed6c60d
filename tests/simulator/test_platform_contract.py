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
from simulator.transactions import (
    Transaction,
    TransactionLog,
    blank_row,
    columns_for,
    documented_columns,
    json_types,
    time_fields,
)

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
    assert list(documented_columns(role)) == documented
    assert columns_for(role, list(reversed(documented))) == documented


ROLES = ("network", "advertiser", "affiliate")


@pytest.mark.parametrize("role", ROLES)
def test_transaction_json_types_match_the_contract_when_compared_column_by_column(
    spec: dict[str, Any], role: str
) -> None:
    properties = spec["components"]["schemas"][f"{role.title()}Transaction"]["properties"]
    declared = {}
    for column in documented_columns(role):
        kind = properties[column]["type"]
        declared[column] = frozenset([kind] if isinstance(kind, str) else kind)
    assert declared == {column: json_types(column) for column in documented_columns(role)}


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
