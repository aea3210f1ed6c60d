"""XML, CSV and text bodies are decoded and checked: a body that breaks the contract IS reported."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import schemathesis
from schemathesis import Response
from schemathesis.core.failures import FailureGroup

from contracts.checks import check_name, csv_problems
from contracts.conformance import default_spec
from contracts.deserializers import decode_xml, response_schema

ALLOCATE = "/api/{version}/ring_pools/{ring_pool_id}/allocate_number.{format}"
TRANSACTIONS = "/api/{version}/networks/transactions/{network_id}.{format}"

GOOD_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <PromoNumberFormatted>866-555-0174</PromoNumberFormatted>
  <PromoNumber>8665550174</PromoNumber>
  <TrackingUrl>http://127.0.0.1/c/1</TrackingUrl>
</Response>
"""
GOOD_CSV = (b"PromoNumberFormatted,PromoNumber,TrackingUrl\r\n"
            b"866-555-0174,8665550174,http://127.0.0.1/c/1\r\n")


@pytest.fixture(scope="module")
def contract_schema() -> Any:
    return schemathesis.openapi.from_path(default_spec())


def response(status: int, media_type: str, content: bytes, url: str) -> Response:
    prepared = requests.Request("GET", url).prepare()
    return Response(status_code=status, headers={"Content-Type": [media_type]}, content=content,
                    request=prepared, elapsed=0.01, verify=True)


def allocate_case(contract_schema: Any, fmt: str) -> Any:
    operation = contract_schema[ALLOCATE]["GET"]
    return operation.Case(path_parameters={"version": "2015-12-09", "ring_pool_id": 1,
                                           "format": fmt},
                          query={"ring_pool_key": "755215A60A37A6"})


def failed_checks(case: Any, answer: Response) -> set[str]:
    try:
        case.validate_response(answer)
    except FailureGroup as group:
        return {check_name(failure) for failure in group.exceptions}
    return set()


def test_xml_allocation_passes_when_it_matches_the_contract(contract_schema: Any) -> None:
    case = allocate_case(contract_schema, "xml")
    answer = response(200, "application/xml", GOOD_XML, "http://127.0.0.1/a.xml")
    assert failed_checks(case, answer) == set()


def test_xml_violation_is_reported_when_an_element_is_renamed(contract_schema: Any) -> None:
    case = allocate_case(contract_schema, "xml")
    body = GOOD_XML.replace(b"<PromoNumber>8665550174</PromoNumber>",
                            b"<Number>8665550174</Number>")
    answer = response(200, "application/xml", body, "http://127.0.0.1/a.xml")
    assert "response_schema_conformance" in failed_checks(case, answer)


def test_xml_violation_is_reported_when_the_root_is_renamed(contract_schema: Any) -> None:
    case = allocate_case(contract_schema, "xml")
    body = GOOD_XML.replace(b"Response>", b"Allocation>")
    answer = response(200, "application/xml", body, "http://127.0.0.1/a.xml")
    assert "response_schema_conformance" in failed_checks(case, answer)


def test_xml_violation_is_reported_when_a_value_breaks_its_pattern(contract_schema: Any) -> None:
    case = allocate_case(contract_schema, "xml")
    body = GOOD_XML.replace(b"<PromoNumber>8665550174<", b"<PromoNumber>86655<")
    answer = response(200, "application/xml", body, "http://127.0.0.1/a.xml")
    assert "response_schema_conformance" in failed_checks(case, answer)


def test_csv_allocation_passes_when_it_matches_the_contract(contract_schema: Any) -> None:
    case = allocate_case(contract_schema, "csv")
    answer = response(200, "text/csv", GOOD_CSV, "http://127.0.0.1/a.csv")
    assert failed_checks(case, answer) == set()


def test_csv_violation_is_reported_when_a_header_is_renamed(contract_schema: Any) -> None:
    case = allocate_case(contract_schema, "csv")
    body = GOOD_CSV.replace(b",PromoNumber,", b",Number,")
    answer = response(200, "text/csv", body, "http://127.0.0.1/a.csv")
    assert {"response_schema_conformance", "csv_body_conformance"} <= failed_checks(case, answer)


def test_text_error_violation_is_reported_when_not_class_colon_message(
        contract_schema: Any) -> None:
    case = allocate_case(contract_schema, "json")
    answer = response(403, "text/plain", b"the key is wrong", "http://127.0.0.1/a.json")
    assert "response_schema_conformance" in failed_checks(case, answer)


def test_error_media_type_is_reported_when_json_format_answers_xml(contract_schema: Any) -> None:
    case = allocate_case(contract_schema, "json")
    body = b"<Error><Class>InvalidKey</Class><Message>no</Message></Error>"
    answer = response(403, "application/xml", body, "http://127.0.0.1/a.json")
    assert "format_media_type_conformance" in failed_checks(case, answer)


def transactions_schema(contract_schema: Any) -> Any:
    document = contract_schema.raw_schema
    operation = document["paths"][TRANSACTIONS]["get"]
    return document, response_schema(document, operation, 200, "text/csv")


def test_transactions_csv_passes_when_columns_follow_the_contract(contract_schema: Any) -> None:
    document, schema = transactions_schema(contract_schema)
    text = ("complete_call_id,duration,start_time_utc,transaction_id,transaction_type,"
            "my_marketing_column\r\nT1,60,1475280000000,T1,Call,x\r\n")
    assert csv_problems(document, schema, text, {}) == []


def test_transactions_csv_is_reported_when_a_documented_column_is_renamed(
        contract_schema: Any) -> None:
    # no column is required (include_columns may leave any out), but a renamed documented
    # column is an undocumented one standing among the documented columns
    document, schema = transactions_schema(contract_schema)
    text = ("complete_call_id,duration,start_time_utc,transactionId,transaction_type\r\n"
            "T1,60,1475280000000,T1,Call\r\n")
    found = csv_problems(document, schema, text, {})
    assert any("transactionId" in problem for problem in found)


def test_transactions_csv_is_reported_when_columns_are_out_of_order(contract_schema: Any) -> None:
    document, schema = transactions_schema(contract_schema)
    text = ("duration,complete_call_id,start_time_utc,transaction_id,transaction_type\r\n"
            "60,T1,1475280000000,T1,Call\r\n")
    assert any("order" in problem for problem in csv_problems(document, schema, text, {}))


def test_transactions_csv_is_accepted_when_the_page_is_empty(contract_schema: Any) -> None:
    document, schema = transactions_schema(contract_schema)
    assert csv_problems(document, schema, "", {}) == []


def test_xml_transactions_decode_to_rows_when_wrapped(contract_schema: Any) -> None:
    document = contract_schema.raw_schema
    operation = document["paths"][TRANSACTIONS]["get"]
    schema = response_schema(document, operation, 200, "application/xml")
    body = (b"<Transactions><Transaction><transaction_id>T1</transaction_id>"
            b"<duration>60</duration></Transaction></Transactions>")
    assert decode_xml(document, body, schema) == [{"transaction_id": "T1", "duration": "60"}]


def test_xml_transactions_fail_to_decode_when_an_item_is_renamed(contract_schema: Any) -> None:
    document = contract_schema.raw_schema
    operation = document["paths"][TRANSACTIONS]["get"]
    schema = response_schema(document, operation, 200, "application/xml")
    with pytest.raises(ValueError, match="Transaction"):
        decode_xml(document, b"<Transactions><Row/></Transactions>", schema)


def test_blank_xml_body_decodes_to_its_text_when_conversion_reporting_succeeds(
        contract_schema: Any) -> None:
    document = contract_schema.raw_schema
    assert decode_xml(document, b" ", {"type": "string", "maxLength": 1}) == " "
    with pytest.raises(ValueError, match="not well-formed"):
        decode_xml(document, b" <Error>", {"type": "string"})
