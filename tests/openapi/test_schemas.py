"""Particular schemas of the contract: leniency, strictness, formats, documented limits."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from openapi.contract import load_spec, operation_by_id, operations

SPEC_URI = "urn:invoca-sandbox:contract"


@pytest.fixture(scope="module")
def registry() -> Registry[Any]:
    return Registry().with_resource(
        SPEC_URI, Resource.from_contents(load_spec(), default_specification=DRAFT202012)
    )


def is_valid(registry: Registry[Any], schema_name: str, instance: Any) -> bool:
    schema = {"$ref": f"{SPEC_URI}#/components/schemas/{schema_name}"}
    return Draft202012Validator(schema, registry=registry).is_valid(instance)


@pytest.mark.parametrize(
    "body",
    [
        {"id_from_network": "395", "max_pool_size": "3", "preferred": "true"},
        {"id_from_network": "395", "max_pool_size": 3, "preferred": True},
        {"id_from_network": "395", "lifetime_seconds": "1800", "allow_overflow": "false"},
    ],
)
def test_ring_pool_request_is_accepted_when_numbers_and_booleans_are_strings(
    registry: Registry[Any], body: dict[str, Any]
) -> None:
    assert is_valid(registry, "RingPoolWrite", body)


@pytest.mark.parametrize(
    "body",
    [
        {"max_pool_size": "three"},
        {"max_pool_size": 0},
        {"preferred": "yes"},
        {"pool_type": "Dynamic"},
        {"no_such_field": 1},
        {"tn_prefix_whitelist": ["055"]},
    ],
)
def test_ring_pool_request_is_refused_when_a_value_is_not_valid(
    registry: Registry[Any], body: dict[str, Any]
) -> None:
    assert not is_valid(registry, "RingPoolWrite", body)


def test_ring_pool_response_is_refused_when_it_echoes_strings(registry: Registry[Any]) -> None:
    ring_pool = load_spec()["components"]["examples"]["RingPoolGet"]["value"]
    assert is_valid(registry, "RingPool", ring_pool)
    assert not is_valid(registry, "RingPool", {**ring_pool, "max_pool_size": "15"})
    assert not is_valid(registry, "RingPool", {**ring_pool, "preferred": "true"})
    assert not is_valid(
        registry, "RingPool", {k: v for k, v in ring_pool.items() if k != "api_key"}
    )


def test_allocation_is_refused_when_promo_number_is_not_ten_digits(
    registry: Registry[Any],
) -> None:
    allocation = {
        "promo_number_formatted": "888-390-6665",
        "promo_number": "8883906665",
        "tracking_url": "https://invoca.net/c/1",
    }
    assert is_valid(registry, "Allocation", allocation)
    assert not is_valid(registry, "Allocation", {**allocation, "promo_number": "+18883906665"})
    assert not is_valid(registry, "Allocation", {**allocation, "overflow": True})


def test_bulk_row_is_valid_when_it_is_a_success_or_an_error(registry: Registry[Any]) -> None:
    success = {
        "request_id": "E3901B",
        "promo_number_formatted": "866-971-5703",
        "promo_number": "8669715703",
        "tracking_url": "http://ringrevenue.com/c/1/38-240-19",
        "overflow": True,
    }
    error = {"request_id": "58CD4F", "error_class": "InvalidKey", "message": "bad key"}
    assert is_valid(registry, "BulkResponse", {"responses": [success, error]})
    assert not is_valid(registry, "BulkResponse", {"responses": [{**success, "overflow": False}]})
    assert not is_valid(registry, "BulkRequest", {"requests": []})


@pytest.mark.parametrize(
    ("body", "valid"),
    [
        (
            {"errors": {"class": "RecordInvalid", "invalid_data": "Invalid Key in Local Center."}},
            True,
        ),
        ({"errors": {"pool_type": ["can't be blank"]}}, True),
        ({"errors": {"users": [{"email_settings": [{"email_address": ["is invalid"]}]}]}}, True),
        ({"errors": {"class": "RecordInvalid"}}, False),
        ({"error": "RecordInvalid"}, False),
    ],
)
def test_forbidden_body_matches_one_shape_when_rendered(
    registry: Registry[Any], body: dict[str, Any], valid: bool
) -> None:
    schema = {
        "oneOf": [
            {"$ref": f"{SPEC_URI}#/components/schemas/ErrorClassBody"},
            {"$ref": f"{SPEC_URI}#/components/schemas/FieldErrorsBody"},
        ]
    }
    assert Draft202012Validator(schema, registry=registry).is_valid(body) is valid


def test_internal_service_error_carries_a_handle_when_rendered(registry: Registry[Any]) -> None:
    good = {
        "errors": {
            "class": "InternalServiceError",
            "invalid_data": "refer to error handle 1234567890",
        }
    }
    assert is_valid(registry, "InternalServiceErrorBody", good)
    good["errors"]["invalid_data"] = "something broke"
    assert not is_valid(registry, "InternalServiceErrorBody", good)


def test_transactions_limit_is_bounded_when_declared() -> None:
    for op in operations():
        if op.family != "Transactions":
            continue
        params = {p["name"]: p for p in op.parameters}
        assert params["limit"]["schema"] == {
            "type": "integer",
            "minimum": 1,
            "maximum": 4000,
            "default": 1000,
            "x-lenient": "clamp",
        }
        assert {
            "from",
            "to",
            "start_after_transaction_id",
            "transaction_id",
            "call_record_id",
            "include_columns",
            "exclude_columns",
            "column_separator",
            "row_separator",
            "include_header",
            "force_quotes",
            "transaction_type",
            "transaction_type[]",
        } <= set(params)


def test_formats_map_to_documented_media_types_when_path_has_a_format() -> None:
    for op in operations():
        if "{format}" not in op.path:
            continue
        by_format = op.definition["x-media-type-by-format"]
        format_param = next(p for p in op.parameters if p["name"] == "format")
        assert set(by_format) == set(format_param["schema"]["enum"]) == {"xml", "json", "csv"}
        assert set(by_format.values()) == set(op.definition["responses"]["200"]["content"])


def test_transaction_csv_names_a_row_schema_when_declared(registry: Registry[Any]) -> None:
    schemas = load_spec()["components"]["schemas"]
    for role in ("Network", "Advertiser", "Affiliate"):
        csv_schema = schemas[f"{role}TransactionsCsv"]
        row_name = csv_schema["x-csv-row-schema"].rsplit("/", 1)[-1]
        row = dict.fromkeys(csv_schema["x-csv-columns"], "")
        row.update(  # the columns every transaction has a value of
            transaction_id="C624DA2C-CF3367C3",
            transaction_type="Call",
            complete_call_id="C624DA2C-CF3367C3",
            start_time_utc="1548337395000",
            start_time_xml="2019-01-24T06:43:15-07:00",
            start_time_network_timezone_xml="2019-01-24T05:43:15-08:00",
            duration="185",
            connect_duration="170",
            ivr_duration="15",
            advertiser_campaign_id="11",
        )
        if "advertiser_id" in row:
            row["advertiser_id"] = "43838"
        assert is_valid(registry, row_name, row)
        assert not is_valid(registry, row_name, {**row, "duration": ""})
        assert "transaction_id" in csv_schema["x-csv-columns"]
        assert "custom_data" not in csv_schema["x-csv-columns"]


def test_signal_request_reaches_the_model_when_it_uses_old_signal_fields(
    registry: Registry[Any],
) -> None:
    # the model answers the docs' own message ("The following params in 'signals' are not
    # supported in this version: ..."), so the contract lets the body through to it
    request = operation_by_id("reportSignals").definition["requestBody"]
    assert request["content"]["application/json"]["schema"]["$ref"].endswith("/SignalsRequest")
    signal: dict[str, str] = {"name": "sale", "value": "Yes", "custom_parameter_1": "12345"}
    body = {"search": {"transaction_id": "00000000-0000000A"}, "signals": [signal]}
    assert is_valid(registry, "SignalsRequest", body)
    assert not is_valid(registry, "SignalsRequest", {**body, "signals": "sale"})
    schemas = load_spec()["components"]["schemas"]
    assert "not supported in this version" in schemas["SignalWrite"]["description"]


@pytest.mark.parametrize("name", [
    "SignalSearch", "SignalWrite", "SignalCustomDataWrite", "SignalsRequest",
    "SignalLegacyWrite", "SignalLegacyRequest", "TransactionSignalLegacyRequest",
    "ConversionRequest",
])
def test_request_schema_says_the_model_validates_when_the_docs_word_its_errors(
    name: str,
) -> None:
    schema = load_spec()["components"]["schemas"][name]
    assert schema["x-validated-by-model"] is True
    assert schema["properties"]  # the documented shape is still described
    assert "additionalProperties" not in schema


def test_local_center_is_refused_with_docs_message_when_key_is_unknown(
    registry: Registry[Any],
) -> None:
    local_center = load_spec()["components"]["schemas"]["RingPoolLocalCenterWrite"]
    assert local_center["x-invalid-data"] == "Invalid Key in Local Center."
    assert is_valid(registry, "RingPoolWrite", {"local_center": {"latitude": 45, "longitude": 45}})
    assert not is_valid(registry, "RingPoolWrite", {"local_center": {"bad_key": ""}})
    assert not is_valid(registry, "RingPoolWrite", {"local_center": {"latitude": 45}})


@pytest.mark.parametrize("form", [
    {"start_time_t": "1273589993", "sale_amount": "60.50"},
    {"web_conversion": "1", "reference_id": "2935812450", "advertiser_campaign_id": "1",
     "affiliate_id_from_network": "aff-1"},
    {"web_conversion": "1", "parent_reference_id": "2935812450"},
    {"start_time_t": "1339289018", "call_center_call_id": "1", "sale_currency": "x"},
])
def test_conversion_form_reaches_the_model_when_reported(
    registry: Registry[Any], form: dict[str, str]
) -> None:
    # the required fields per kind of report are the model's (XML RecordInvalid)
    assert is_valid(registry, "ConversionRequest", form)
    assert not is_valid(registry, "ConversionRequest", {**form, "use_http_status": "2"})
    assert not is_valid(registry, "ConversionRequest", {**form, "start_time_t": "127358999"})


def test_legacy_404_is_only_a_missing_route_when_the_ring_pool_id_is_unknown() -> None:
    # An unknown RingPool id is the 403 InvalidKey ("not valid for resource 'N'"), as the
    # model answers (docs/fidelity.md C7, N9); 404 is left for a version without the route.
    not_found = load_spec()["components"]["responses"]["LegacyNotFound"]
    for media in not_found["content"].values():
        assert "does not support this route" in media["example"]
        assert "RingPool" not in media["example"]
    forbidden = load_spec()["components"]["responses"]["LegacyForbidden"]
    assert "not valid for resource" in forbidden["content"]["text/plain"]["example"]
