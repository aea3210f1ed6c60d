"""Numbers: formatting, parsing, the inventory, local area codes."""

from __future__ import annotations

import random

import pytest

from simulator.errors import NumbersExhausted, RecordInvalid
from simulator.numbers import (
    TOLL_FREE_NPAS,
    NumberInventory,
    area_codes_for,
    format_number,
    geographic_npas,
    is_toll_free,
    parse_number,
)


@pytest.fixture
def inventory() -> NumberInventory:
    return NumberInventory(random.Random(7))


@pytest.fixture
def full_range_inventory() -> NumberInventory:
    return NumberInventory(random.Random(7), fictional_only=False)


def test_formatted_like_the_docs_when_given_ten_digits() -> None:
    assert format_number("8883906665") == "888-390-6665"


@pytest.mark.parametrize(
    "text", ["888-390-6665", "(888) 390-6665", "+18883906665", "18883906665", "888.390.6665"]
)
def test_ten_digits_when_parsing_a_common_us_form(text: str) -> None:
    assert parse_number(text) == "8883906665"


@pytest.mark.parametrize("text", ["", "12345", "455-555-0100", "+44 20 7946 0958", "banana"])
def test_record_invalid_when_parsing_an_invalid_number(text: str) -> None:
    with pytest.raises(RecordInvalid):
        parse_number(text)


@pytest.mark.parametrize("npa", sorted(TOLL_FREE_NPAS))
def test_toll_free_when_npa_is_a_toll_free_code(npa: str) -> None:
    assert is_toll_free(f"{npa}5550100")


@pytest.mark.parametrize("number", ["8055550100", "2125550199", "805-555-0100", "123"])
def test_not_toll_free_when_npa_is_geographic_or_malformed(number: str) -> None:
    assert not is_toll_free(number)


def test_geographic_npas_exclude_toll_free_when_derived_from_zip_data() -> None:
    npas = geographic_npas()
    assert {"805", "212", "907", "808"} <= npas
    assert not npas & TOLL_FREE_NPAS
    assert len(npas) > 300


def test_toll_free_fictional_numbers_when_issued_by_default(inventory: NumberInventory) -> None:
    numbers = [inventory.issue_toll_free() for _ in range(50)]
    assert len(set(numbers)) == 50
    for number in numbers:
        assert number[:3] in TOLL_FREE_NPAS
        assert number[3:6] == "555"
        assert 100 <= int(number[6:]) <= 199
        assert parse_number(number) == number


def test_same_numbers_when_seed_is_the_same() -> None:
    first = NumberInventory(random.Random(3))
    second = NumberInventory(random.Random(3))
    assert [first.issue_toll_free() for _ in range(20)] == [
        second.issue_toll_free() for _ in range(20)
    ]
    assert first.issue_local(["805"]) == second.issue_local(["805"])


def test_numbers_exhausted_with_advice_when_fictional_toll_free_all_issued(
    inventory: NumberInventory,
) -> None:
    numbers = {inventory.issue_toll_free() for _ in range(700)}
    assert len(numbers) == 700
    with pytest.raises(NumbersExhausted, match="full number range"):
        inventory.issue_toll_free()


def test_local_number_in_first_npa_with_stock_when_issued(inventory: NumberInventory) -> None:
    first = [inventory.issue_local(["805", "212"]) for _ in range(100)]
    assert all(n is not None and n.startswith("805555") for n in first)
    spill = inventory.issue_local(["805", "212"])
    assert spill is not None
    assert spill.startswith("212555")


def test_none_when_no_local_number_left_in_those_npas(inventory: NumberInventory) -> None:
    for _ in range(100):
        inventory.issue_local(["907"])
    assert inventory.issue_local(["907"]) is None
    assert inventory.issue_local([]) is None
    assert inventory.issue_local(["800"]) is None  # toll-free NPAs are not local
    assert inventory.issue_local(["455", "8O5"]) is None  # unassigned, malformed


def test_number_issued_again_when_released(inventory: NumberInventory) -> None:
    for _ in range(100):
        inventory.issue_local(["907"])
    assert inventory.release("9075550150")
    assert inventory.issue_local(["907"]) == "9075550150"
    assert not inventory.release("9075559999")


def test_valid_unique_numbers_when_full_range_allowed(
    full_range_inventory: NumberInventory,
) -> None:
    numbers = [full_range_inventory.issue_toll_free() for _ in range(1500)]
    numbers += [full_range_inventory.issue_local(["805"]) or "" for _ in range(200)]
    assert len(set(numbers)) == 1700
    for number in numbers[::50]:
        assert parse_number(number) == number
    assert all(n.startswith("805") for n in numbers[1500:])


def test_zip_own_area_code_first_when_center_is_a_zipcode() -> None:
    codes = area_codes_for({"zipcode": "93101"})
    assert codes[0] == "805"
    assert "661" in codes  # a neighbouring California NPA
    assert "212" not in codes


def test_npa_first_then_neighbours_when_center_is_tn_prefix() -> None:
    codes = area_codes_for({"tn_prefix": "212"})
    assert codes[0] == "212"
    assert {"646", "718"} <= set(codes)
    assert all(code in geographic_npas() for code in codes)


def test_nearest_npa_first_when_center_is_latitude_longitude() -> None:
    codes = area_codes_for({"latitude": 34.42, "longitude": -119.70})  # Santa Barbara
    assert codes[0] == "805"


def test_only_whitelisted_npas_when_whitelist_given() -> None:
    codes = area_codes_for({"zipcode": "93101"}, ["212", "661", "805"])
    assert codes == ["805", "661"]


def test_no_candidates_when_center_is_far_from_the_us() -> None:
    # the docs' own example: latitude 45, longitude 45 with whitelist ["455"]
    assert area_codes_for({"latitude": 45, "longitude": 45}, ["455"]) == []


def test_other_states_included_when_state_restriction_off() -> None:
    in_state = area_codes_for({"zipcode": "10001"}, search_radius_miles=60)
    anywhere = area_codes_for(
        {"zipcode": "10001"}, search_radius_miles=60, restrict_search_to_state=False
    )
    assert set(in_state) < set(anywhere)
    assert "203" in anywhere  # Connecticut


@pytest.mark.parametrize(
    "center",
    [{"bad_key": ""}, {}, {"zipcode": "93101", "color": "red"}, {"city": "Goleta", "state": "CA"}],
)
def test_invalid_key_message_when_local_center_has_an_unknown_key(center: dict[str, str]) -> None:
    with pytest.raises(RecordInvalid) as caught:
        area_codes_for(center)
    assert caught.value.to_dict() == {
        "errors": {"class": "RecordInvalid", "invalid_data": "Invalid Key in Local Center."}
    }


@pytest.mark.parametrize(
    "center",
    [
        {"latitude": 34.4},
        {"zipcode": "93101", "tn_prefix": "805"},
        {"latitude": 95, "longitude": 0},
        {"zipcode": "00000"},
        {"zipcode": "abc"},
        {"tn_prefix": "0AB"},
    ],
)
def test_record_invalid_when_local_center_is_incomplete_or_wrong(center: dict[str, object]) -> None:
    with pytest.raises(RecordInvalid):
        area_codes_for(center)


def test_city_state_resolved_when_allowed_for_promo_numbers() -> None:
    codes = area_codes_for({"city": "Santa Barbara", "state": "CA"}, allow_city_state=True)
    assert codes[0] == "805"
