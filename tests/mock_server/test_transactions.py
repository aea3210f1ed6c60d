"""The Transactions API as typed clients read it (real contract, demo world, every answer
checked against the contract by the ``sandbox`` client).

The most used typed client, the Singer tap Matatika/tap-invoca, validates every record
against its stream schema: :data:`TAP_SCHEMA` restates that schema as JSON Schema (Singer
makes every property nullable) and the first test below replays the tap's requests.
"""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
from flask.testing import FlaskClient

from contracts.checks import csv_problems
from openapi.contract import load_spec

VERSION = "2020-10-01"  # a date the contract publishes
CALLER = "8055550100"

# ---- tap-invoca's stream schema (tap_invoca/streams.py), as Singer validates it ----------

TAP_STRINGS = (
    "transaction_id", "corrects_transaction_id", "transaction_type", "original_order_id",
    "advertiser_id", "advertiser_id_from_network", "advertiser_name", "advertiser_campaign_id",
    "advertiser_campaign_id_from_network", "advertiser_campaign_name", "affiliate_id",
    "affiliate_id_from_network", "affiliate_name", "affiliate_commissions_ranking",
    "affiliate_call_volume_ranking", "affiliate_conversion_rate_ranking", "media_type",
    "call_source_description", "virtual_line_id", "call_result_description_detail",
    "advertiser_payin_localized", "affiliate_payout_localized", "margin_localized",
    "call_fee_localized", "advertiser_call_fee_localized", "matching_advertiser_payin_policies",
    "matching_affiliate_payout_policies", "payout_conditions", "payin_conditions", "city",
    "region", "qualified_regions", "repeat_calling_phone_number", "calling_phone_number",
    "mobile",
)
TAP_REFERRER = (
    "dynamic_number_pool_referrer_search_engine",
    "dynamic_number_pool_referrer_search_keywords_id",
    "dynamic_number_pool_referrer_search_keywords", "dynamic_number_pool_referrer_ad",
    "dynamic_number_pool_referrer_ad_id", "dynamic_number_pool_referrer_ad_group",
    "dynamic_number_pool_referrer_ad_group_id", "dynamic_number_pool_referrer_referrer_campaign",
    "dynamic_number_pool_referrer_referrer_campaign_id",
    "dynamic_number_pool_referrer_keyword_match_type",
    *(f"dynamic_number_pool_referrer_param{n}_{part}" for n in range(1, 26)
      for part in ("name", "value")),
    "dynamic_number_pool_referrer_search_type", "dynamic_number_pool_pool_type",
)
TAP_LATER_STRINGS = (
    "start_time_local", "start_time_network_timezone", "corrected_at", "complete_call_id",
    "transfer_from_type", "notes", "verified_zip", "hangup_cause", "signal_name",
    "signal_partner_unique_id", "signal_occurred_at", "signal_source", "revenue", "sale_amount",
    "destination_phone_number",
)
TAP_INTEGERS = ("duration", "connect_duration", "ivr_duration", "dynamic_number_pool_id",
                "start_time_utc", "opt_in_SMS")
TAP_KEYS = ("keypresses", "keypress_1", "keypress_2", "keypress_3", "keypress_4")


def _nullable(kind: str, **extra: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], **extra}


TAP_PROPERTIES: dict[str, Any] = {
    **{name: _nullable("string") for name in (*TAP_STRINGS, *TAP_KEYS, *TAP_REFERRER,
                                              *TAP_LATER_STRINGS)},
    **{name: _nullable("integer") for name in TAP_INTEGERS},
    "start_time_xml": _nullable("string", format="date-time"),
    "start_time_network_timezone_xml": _nullable("string", format="date-time"),
    "recording": _nullable("string", format="uri"),
    "custom_data": _nullable("array", items=_nullable("object", properties={
        "name": _nullable("string"),
        "data_type": _nullable("string"),
        "source": _nullable("string"),
        "value": {"oneOf": [{"type": "string"}, {"type": "boolean"}, {"type": "null"}]},
    })),
}
TAP_SCHEMA: dict[str, Any] = {"type": "object", "properties": TAP_PROPERTIES}

FORMATS = jsonschema.FormatChecker(["date-time"])


@FORMATS.checks("uri")
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


TAP_VALIDATOR = jsonschema.Draft7Validator(TAP_SCHEMA, format_checker=FORMATS)


# ---- a network with calls of every kind ---------------------------------------------------


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


def allocate(sandbox: FlaskClient, world: dict[str, Any], query: str) -> str:
    pool = world["ring_pool"]
    body = sandbox.get(f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
                       f"?ring_pool_key={pool['api_key']}&{query}").get_json()
    number: str = body["promo_number"]
    return number


def simulate(sandbox: FlaskClient, number: str, **extra: Any) -> dict[str, Any]:
    response = sandbox.post("/_sandbox/calls", json={"promo_number": number, **extra})
    assert response.status_code == 201
    made: dict[str, Any] = response.get_json()
    return made


@pytest.fixture
def calls(sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> dict[str, Any]:
    """A pool call credited to an affiliate, a pool call with none, a call to a static promo
    number with marketing data, a signal with custom data on the first call (a Signal row
    and a correction) and a reported sale on the second (a Reported Conversion row)."""
    credited = allocate(sandbox, world, "pid=aff-1&utm_source=google")
    sandbox.post("/_sandbox/clock", json={"advance_seconds": 30})
    first = simulate(sandbox, credited, duration_seconds=95)
    plain = allocate(sandbox, world, "param1=demo")
    sandbox.post("/_sandbox/clock", json={"advance_seconds": 30})
    second = simulate(sandbox, plain, duration_seconds=120, calling_phone_number=CALLER)
    promo = sandbox.post(
        f"/api/2019-05-01/{world['network_id']}/advertisers/"
        f"{world['advertiser_id_from_network']}/advertiser_campaigns/"
        f"{world['advertiser_campaign_id_from_network']}/promo_numbers.json",
        headers=auth, json={"description": "Radio", "media_type": "Offline: Radio",
                            "custom_data": {"channel": "radio", "visits": 3}})
    assert promo.status_code == 201
    static = simulate(sandbox, promo.get_json()["promo_number"])
    signal = sandbox.post("/api/2018-02-01/transactions.json", headers=auth, json={
        "search": {"transaction_id": first["transaction_id"]},
        "signals": [{"name": "Quote", "revenue": "10.50"}],
        "custom_data": [{"name": "gclid", "value": "abc"}]})
    assert signal.status_code == 200
    sandbox.post("/_sandbox/clock", json={"advance_seconds": 300})
    advertiser = sandbox.get(f"/api/2016-10-01/{world['network_id']}/advertisers/"
                             f"{world['advertiser_id_from_network']}.json",
                             headers=auth).get_json()
    basic = (world["basic_auth"]["username"], world["basic_auth"]["password"])
    sale = sandbox.post(f"/api/2014-04-15/calls/{advertiser['id']}.xml", auth=basic, data={
        "start_time_t": str(second["start_time_utc"] // 1000),
        "calling_phone_number": f"+1{CALLER}", "sale_amount": "60.50",
        "reference_id": "ORDER-7", "opt_in_SMS": "1"})
    assert sale.status_code == 201
    return {"first": first, "second": second, "static": static, "advertiser": advertiser}


Read = Callable[..., Any]


@pytest.fixture
def read(sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> Read:
    """``read(query, fmt="json", role="networks", owner=None)``: one page's rows (CSV and XML
    rows as dicts of text)."""

    def page(query: str, fmt: str = "json", role: str = "networks", owner: Any = None) -> Any:
        owner = world["network_id"] if owner is None else owner
        response = sandbox.get(f"/api/{VERSION}/{role}/transactions/{owner}.{fmt}?{query}",
                               headers=auth)
        assert response.status_code == 200, response.data[:300]
        if fmt == "json":
            return response.get_json()
        if fmt == "csv":
            return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        return [{child.tag: child.text or "" for child in row}
                for row in ET.fromstring(response.data)]

    return page


# ---- the tap, end to end --------------------------------------------------------------------


def test_tap_invoca_reads_every_row_when_replaying_its_requests(
    sandbox: FlaskClient, world: dict[str, Any], calls: dict[str, Any]
) -> None:
    headers = {"Authorization": world["api_token"]}  # the tap's header: the bare token
    params: dict[str, Any] = {"limit": 4000, "include_columns": ",".join(TAP_PROPERTIES)}
    records: list[dict[str, Any]] = []
    pages = 0
    while True:
        response = sandbox.get(f"/api/{VERSION}/networks/transactions/{world['network_id']}.json",
                               query_string=params, headers=headers)
        assert response.status_code == 200
        rows = response.get_json()
        pages += 1
        if not rows:
            break
        records += rows
        params["start_after_transaction_id"] = rows[-1]["transaction_id"]
    problems = [f"{record['transaction_id']} {list(error.path)}: {error.message}"
                for record in records for error in TAP_VALIDATOR.iter_errors(record)]
    assert problems == []
    assert pages == 2
    kinds = sorted(record["transaction_type"] for record in records)
    assert kinds == ["Call", "Call", "Call", "Call", "Reported Conversion", "Signal"]
    assert all(set(record) == set(TAP_PROPERTIES) for record in records)
    by_id = {record["transaction_id"]: record for record in records}
    credited = by_id[calls["first"]["transaction_id"]]
    assert credited["affiliate_id"].isdigit() and credited["advertiser_id"].isdigit()
    assert credited["affiliate_call_volume_ranking"] == "-1"
    sale = next(r for r in records if r["transaction_type"] == "Reported Conversion")
    assert (sale["opt_in_SMS"], sale["sale_amount"], sale["original_order_id"]) == (
        1, "60.50", "ORDER-7")
    correction = next(r for r in records if r["corrects_transaction_id"] == credited[
        "transaction_id"])
    assert correction["corrected_at"] and {"name": "gclid", "data_type": "Short Text",
                                           "source": "Api", "value": "abc"} in (
        correction["custom_data"])


def test_tap_schema_refuses_records_when_typed_the_old_way() -> None:
    old = [{"advertiser_id": 1}, {"corrected_at": 5}, {"opt_in_SMS": ""}, {"recording": ""},
           {"start_time_xml": ""}, {"start_time_xml": "2024-03-01 12:00:00 +00:00"}]
    assert [TAP_VALIDATOR.is_valid(record) for record in old] == [False] * len(old)
    assert TAP_VALIDATOR.is_valid({"recording": "https://mynetwork.invoca.net/r/1.mp3",
                                   "start_time_xml": "2024-03-01T12:00:00+00:00"})


# ---- JSON value types ------------------------------------------------------------------------


def test_invoca_ids_are_strings_of_digits_when_served_as_json(
    read: Read, calls: dict[str, Any]
) -> None:
    rows = read("transaction_type=Call&include_columns=advertiser_id,"
                "advertiser_campaign_id,affiliate_id,virtual_line_id,dynamic_number_pool_id,"
                "duration,start_time_utc")
    credited, plain, static = rows[:3]  # then the correction of the first call
    assert credited["advertiser_id"] == str(calls["advertiser"]["id"])
    assert isinstance(credited["advertiser_campaign_id"], str)
    assert credited["affiliate_id"].isdigit()
    assert isinstance(credited["dynamic_number_pool_id"], int)
    assert isinstance(credited["duration"], int) and isinstance(credited["start_time_utc"], int)
    assert plain["affiliate_id"] is None and plain["virtual_line_id"] is None
    assert static["virtual_line_id"].isdigit() and static["dynamic_number_pool_id"] is None


NULL_WHEN_EMPTY = ("affiliate_id", "affiliate_call_volume_ranking", "corrected_at",
                   "corrects_transaction_id", "original_order_id", "opt_in_SMS", "recording",
                   "recording_download_url", "advertiser_payin_localized", "sale_amount",
                   "revenue", "signal_occurred_at", "signal_value", "virtual_line_id")
EMPTY_TEXT = ("affiliate_name", "affiliate_id_from_network", "mobile", "notes", "keypresses",
              "signal_name", "dynamic_number_pool_referrer_search_engine")


def test_typed_columns_are_null_and_text_empty_when_a_call_has_no_value(
    read: Read, calls: dict[str, Any]
) -> None:
    query = (f"transaction_id={calls['second']['transaction_id']}"
             f"&include_columns={','.join(NULL_WHEN_EMPTY + EMPTY_TEXT)}")
    (row,) = read(query)
    assert {name: row[name] for name in NULL_WHEN_EMPTY} == dict.fromkeys(NULL_WHEN_EMPTY)
    assert {name: row[name] for name in EMPTY_TEXT} == dict.fromkeys(EMPTY_TEXT, "")
    for fmt in ("csv", "xml"):
        (cells,) = read(query, fmt)
        assert cells == dict.fromkeys(NULL_WHEN_EMPTY + EMPTY_TEXT, ""), fmt


def test_sale_and_signal_columns_are_typed_when_reported(
    read: Read, calls: dict[str, Any]
) -> None:
    columns = ("include_columns=transaction_type,opt_in_SMS,sale_amount,original_order_id,"
               "signal_name,signal_occurred_at,signal_value,revenue")
    signal, sale = read(f"transaction_type[]=Sale&transaction_type[]=Signal&{columns}")
    assert sale == {"original_order_id": "ORDER-7", "opt_in_SMS": 1, "transaction_type":
                    "Reported Conversion", "sale_amount": "60.50", "signal_name": "",
                    "signal_occurred_at": None, "signal_value": None, "revenue": None}
    assert (signal["signal_name"], signal["signal_value"], signal["revenue"]) == (
        "Quote", "true", "10.50")
    assert signal["signal_occurred_at"].isdigit() and len(signal["signal_occurred_at"]) == 10
    assert signal["opt_in_SMS"] is None and signal["sale_amount"] is None
    as_csv = read(f"transaction_type=Sale&{columns}", "csv")
    assert as_csv[0]["opt_in_SMS"] == "1" and as_csv[0]["signal_value"] == ""


def test_marketing_data_is_text_or_null_when_flattened(
    read: Read, calls: dict[str, Any]
) -> None:
    rows = read("transaction_type=Call&include_columns=transaction_id,"
                "$invoca_custom_columns,$invoca_custom_source_columns,custom_data")
    static = next(r for r in rows if r["transaction_id"] == calls["static"]["transaction_id"])
    assert (static["channel"], static["visits"], static["visits.source"]) == (
        "radio", "3", "VirtualLine")
    assert static["gclid"] is None and static["gclid.source"] is None
    assert {"name": "visits", "data_type": "Short Text", "source": "VirtualLine",
            "value": "3"} in static["custom_data"]


# ---- column names and selection ----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "csv", "xml"])
def test_call_record_id_serves_complete_call_id_when_named_in_include_columns(
    read: Read, calls: dict[str, Any], fmt: str
) -> None:
    first = calls["first"]["transaction_id"]
    rows = read(f"transaction_id={first}&include_columns=call_record_id,duration", fmt)
    assert [list(row) for row in rows] == [["complete_call_id", "duration"]]
    assert rows[0]["complete_call_id"] == first
    rows = read(f"transaction_id={first}&exclude_columns=call_record_id", fmt)
    assert "complete_call_id" not in rows[0] and "transaction_id" in rows[0]


@pytest.mark.parametrize(("fmt", "role"), [("csv", "networks"), ("json", "networks"),
                                           ("xml", "networks"), ("csv", "advertisers")])
def test_transaction_id_and_custom_columns_remain_when_default_columns_are_excluded(
    read: Read, calls: dict[str, Any], fmt: str, role: str
) -> None:
    owner = calls["advertiser"]["id"] if role == "advertisers" else None
    rows = read("limit=50&include_columns=transaction_id,$invoca_custom_columns"
                "&exclude_columns=$invoca_default_columns", fmt, role, owner)
    assert len(rows) == 6
    assert {tuple(row) for row in rows} == {("transaction_id", "channel", "visits", "Quote",
                                             "gclid")}


def test_named_exclusion_wins_when_a_column_is_also_included(
    read: Read, calls: dict[str, Any]
) -> None:
    rows = read("include_columns=transaction_id,duration,city&exclude_columns=duration")
    assert {tuple(row) for row in rows} == {("city", "transaction_id")}
    rows = read("include_columns=$invoca_default_columns"
                "&exclude_columns=calling_phone_number,recording")
    assert not {"calling_phone_number", "recording"} & set(rows[0])
    assert "transaction_id" in rows[0]


DOCS_EXAMPLES = {  # each role's examples 1 to 6 (2022-08-01 docs, .csv) -> rows answered
    "networks": [
        ("limit=20&start_after_transaction_id={first}", 5),
        ("limit=50&include_columns=transaction_id,$invoca_custom_columns"
         "&exclude_columns=$invoca_default_columns&from={day}&to={day}", 6),
        ("limit=50&exclude_columns=calling_phone_number,recording"
         "&start_after_transaction_id={first}", 5),
        ("transaction_type=Signal&from={day}&to={day}", 1),
        ("transaction_type=PostCallEvent&from={day}&to={day}", 0),
        ("transaction_type[]=Call&transaction_type[]=Signal&from={day}&to={day}", 5),
    ],
    "affiliates": [  # the affiliate's rows: its call, the signal and the correction
        ("limit=20&start_after_transaction_id={first}", 2),
        ("limit=50&include_columns=transaction_id,duration&from={day}&to={day}", 3),
        ("limit=50&exclude_columns=city,region&start_after_transaction_id={first}", 2),
        ("transaction_type=Signal&from={day}&to={day}", 1),
        ("transaction_type=PostCallEvent&from={day}&to={day}", 0),
        ("transaction_type[]=Call&transaction_type[]=Signal&from={day}&to={day}", 3),
    ],
}
DOCS_EXAMPLES["advertisers"] = DOCS_EXAMPLES["networks"]  # the same queries and rows


@pytest.mark.parametrize(("role", "number"), [(role, n) for role in sorted(DOCS_EXAMPLES)
                                              for n in range(1, 7)])
def test_docs_example_answers_its_rows_when_requested(
    read: Read, calls: dict[str, Any], owners: dict[str, Any], role: str, number: int
) -> None:
    query, expected = DOCS_EXAMPLES[role][number - 1]
    day = calls["first"]["start_time_local"][:10]
    rows = read(query.format(first=calls["first"]["transaction_id"], day=day), "csv", role,
                owners[role])
    assert len(rows) == expected
    header = list(rows[0]) if rows else []
    if number == 2:
        assert header == (["duration", "transaction_id"] if role == "affiliates" else
                          ["transaction_id", "channel", "visits", "Quote", "gclid"])
    if number == 3:
        excluded = query.split("exclude_columns=")[1].split("&")[0].split(",")
        assert "transaction_id" in header and not set(excluded) & set(header)


def test_marketing_data_docs_examples_answer_their_shapes_when_requested(
    read: Read, calls: dict[str, Any]
) -> None:
    # the columns in the documented order (C14), marketing data in the order named
    nested = read("include_columns=transaction_id,start_time_local,custom_data")
    assert {tuple(row) for row in nested} == {("start_time_local", "transaction_id",
                                               "custom_data")}
    named = read("include_columns=transaction_id,start_time_local,channel,gclid,Quote")
    signal = next(row for row in named if row["Quote"] is not None)
    assert list(signal) == ["start_time_local", "transaction_id", "channel", "gclid", "Quote"]
    assert signal["Quote"] == 1 and [row["Quote"] for row in named].count(None) == 5
    sources = read("include_columns=transaction_id,$invoca_custom_columns,"
                   "$invoca_custom_source_columns")
    assert list(sources[0])[1:] == ["channel", "visits", "Quote", "gclid", "channel.source",
                                    "visits.source", "Quote.source", "gclid.source"]


# ---- CSV and XML rows against the contract's row schemas ---------------------------------

ROLE_SCHEMAS = {"networks": "Network", "advertisers": "Advertiser", "affiliates": "Affiliate"}


@pytest.fixture
def owners(sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
           calls: dict[str, Any]) -> dict[str, Any]:
    """The path id of each role's transactions (after the calls are made)."""
    affiliate = sandbox.get(f"/api/2016-10-01/{world['network_id']}/affiliates/"
                            f"{world['affiliate_id_from_network']}.json", headers=auth)
    return {"networks": world["network_id"], "advertisers": calls["advertiser"]["id"],
            "affiliates": affiliate.get_json()["id"]}


@pytest.mark.parametrize("role", sorted(ROLE_SCHEMAS))
def test_csv_and_xml_rows_match_the_row_schemas_when_every_column_is_named(
    sandbox: FlaskClient, auth: dict[str, str], owners: dict[str, Any], role: str
) -> None:
    spec = load_spec()
    csv_schema = spec["components"]["schemas"][f"{ROLE_SCHEMAS[role]}TransactionsCsv"]
    query = {"include_columns": ",".join(csv_schema["x-csv-columns"])}
    url = f"/api/{VERSION}/{role}/transactions/{owners[role]}"
    text = sandbox.get(f"{url}.csv", query_string=query, headers=auth).get_data(as_text=True)
    assert len(text.splitlines()) > 1
    assert csv_problems(spec, csv_schema, text, query) == []
    row_schema = {"$ref": csv_schema["x-csv-row-schema"], "components": spec["components"]}
    validator = jsonschema.Draft202012Validator(row_schema)
    rows = ET.fromstring(sandbox.get(f"{url}.xml", query_string=query, headers=auth).data)
    decoded = [{child.tag: child.text or "" for child in row} for row in rows]
    assert len(decoded) == len(text.splitlines()) - 1
    assert [e.message for row in decoded for e in validator.iter_errors(row)] == []
    assert not validator.is_valid({**decoded[0], "duration": ""})
