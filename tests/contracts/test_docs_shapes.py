"""The shape comparison of suite 5 (contracts.docs_shapes) and the walk's pure helpers."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.docs_shapes import (
    body_problems,
    csv_shape_problems,
    shape_problems,
    status_problems,
    xml_shape_problems,
)
from contracts.docs_walk import DEFAULT_CALLER, caller_number

DOCUMENTED = {"id": 43838, "name": "NFL", "users": [{"role": "Manager", "phone": "805"}],
              "terms": {"go_live_date": None, "hours": {"monday_open": 32400}}}


def answered(**changes: Any) -> dict[str, Any]:
    body = {"id": 2, "name": "Docs", "users": [{"role": "Observer", "phone": "212"}],
            "terms": {"go_live_date": "2016-10-01", "hours": {"monday_open": 0}}, "extra": 1}
    body.update(changes)
    return body


def test_shape_is_met_when_every_documented_key_has_a_compatible_type() -> None:
    assert shape_problems(DOCUMENTED, answered()) == []


def test_missing_key_is_reported_with_its_path_when_a_nested_object_lacks_it() -> None:
    body = answered(terms={"go_live_date": None, "hours": {}})
    assert shape_problems(DOCUMENTED, body) == ["$.terms.hours.monday_open: missing"]


def test_type_is_reported_when_a_documented_number_comes_back_as_a_string() -> None:
    assert shape_problems(DOCUMENTED, answered(id="2")) == [
        "$.id: documented number, answered string"]


def test_arrays_are_compared_by_first_element_when_both_have_one() -> None:
    body = answered(users=[{"role": "Observer"}, {"nothing": True}])
    assert shape_problems(DOCUMENTED, body) == ["$.users[0].phone: missing"]


def test_empty_array_is_compatible_when_the_answer_has_no_element() -> None:
    assert shape_problems(DOCUMENTED, answered(users=[])) == []


def test_null_is_compatible_when_either_side_has_it() -> None:
    assert shape_problems(DOCUMENTED, answered(name=None)) == []
    assert shape_problems({"go_live_date": None}, {"go_live_date": {"a": 1}}) == []


def test_custom_data_keys_are_not_checked_when_they_are_the_account_s_fields() -> None:
    documented = {"custom_data": {"channel": "Online lead"}}
    assert shape_problems(documented, {"custom_data": {}}) == []
    assert shape_problems(documented, {"custom_data": []}) == [
        "$.custom_data: documented object, answered array"]


def test_top_level_array_is_reported_when_an_object_comes_back() -> None:
    assert shape_problems([{"id": 1}], {"id": 1}) == ["$: documented array, answered object"]


XML = "<?xml version='1.0'?><Response><PromoNumber>1</PromoNumber><Url>u</Url></Response>"


def test_xml_shape_is_met_when_every_documented_element_is_there() -> None:
    answer = "<Response><Url>x</Url><PromoNumber>2</PromoNumber><More/></Response>"
    assert xml_shape_problems(XML, answer) == []


def test_xml_root_is_reported_when_it_is_renamed() -> None:
    assert xml_shape_problems(XML, "<Reply/>") == [
        "root element: documented <Response>, answered <Reply>"]


def test_xml_child_is_reported_when_it_is_missing() -> None:
    assert xml_shape_problems(XML, "<Response><Url/></Response>") == [
        "Response/PromoNumber: missing"]


def test_xml_answer_is_reported_when_it_is_not_xml() -> None:
    assert xml_shape_problems(XML, "InvalidKey: no")[0].startswith("the answer is not XML")


def test_csv_column_is_reported_when_the_header_lacks_it() -> None:
    documented = "PromoNumberFormatted,PromoNumber,TrackingUrl\n888,8883906665,x\n"
    assert csv_shape_problems(documented, "PromoNumber,TrackingUrl\n1,2\n") == [
        "column PromoNumberFormatted: missing"]
    assert csv_shape_problems(documented, documented) == []


def test_body_is_reported_when_json_was_documented_and_text_came_back() -> None:
    problems = body_problems({"format": "json", "body": {"a": 1}}, "Oops: text")
    assert problems == ["documented a JSON body, answered 'Oops: text'"]


def test_body_shape_is_checked_when_the_answer_is_json() -> None:
    assert body_problems({"format": "json", "body": {"a": 1}}, '{"b": 2}') == ["$.a: missing"]


def test_body_is_not_checked_when_nothing_is_documented() -> None:
    assert body_problems(None, "anything") == []


@pytest.mark.parametrize(("example", "status", "problems"), [
    ({"status": 403, "status_documented": True}, 403, 0),
    ({"status": 403, "status_documented": True}, 200, 1),
    ({"status": 201, "status_documented": False}, 200, 0),
    ({"status": 201, "status_documented": False}, 201, 0),
    ({"status": 200, "status_documented": False}, 404, 1),
])
def test_status_is_checked_exactly_when_documented_and_as_a_success_when_not(
        example: dict[str, Any], status: int, problems: int) -> None:
    assert len(status_problems(example, status)) == problems


def test_caller_is_the_default_when_the_documented_number_is_made_up() -> None:
    assert caller_number("1234567890") == DEFAULT_CALLER
    assert caller_number(None) == DEFAULT_CALLER
    assert caller_number("+12143283408") == "+12143283408"
    assert caller_number("805-555-0199") == "+18055550199"
