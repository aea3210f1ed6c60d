"""The Bulk RingPool API's parsing of a row: ``api_suffix`` and its query, read as the
reference reads them (a regular expression, ``parse_qsl``)."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from simulator.allocation_api import parse_query, parse_suffix
from simulator.errors import InvalidInput

#: the reference reading of a Bulk row's api_suffix
SUFFIX = re.compile(r"^/?(?P<id>\d+)/allocate_number\.(?P<format>json|xml|csv)\?(?P<query>.*)$")

HEADS = st.sampled_from([
    "2/allocate_number.json", "/17/allocate_number.csv", "\u0662/allocate_number.xml",
    "2/allocate_number.JSON", "2/allocate_numbers.json", "x/allocate_number.json",
    "2\n/allocate_number.json", "2/allocate_number.json\n", "",
])
TEXT = st.text(alphabet="ab=&+%2\n?", max_size=12)


@given(HEADS, st.sampled_from(["?", "", "\n?"]), TEXT)
@example("2/allocate_number.json", "?", "a=1\n")  # one newline may end it
@example("2/allocate_number.json", "?", "a=1\n\n")
@example("2/allocate_number.json", "?", "a\n=1")
def test_pool_id_and_query_are_the_references_when_suffix_is_anything(
    head: str, question: str, text: str
) -> None:
    suffix = head + question + text
    match = SUFFIX.match(suffix)
    if match is None:
        with pytest.raises(InvalidInput, match="Invalid api_suffix"):
            parse_suffix(suffix)
        return
    assert parse_suffix(suffix) == (match["id"],
                                    dict(parse_qsl(match["query"], keep_blank_values=True)))


@given(st.lists(st.tuples(st.text("ab=&+%2 ", max_size=4), st.text("xy=&+%2 ", max_size=4)),
                max_size=4))
def test_query_is_parse_qsl_when_text_is_any_query(pairs: list[tuple[str, str]]) -> None:
    text = "&".join(f"{name}={value}" if value else name for name, value in pairs)
    assert parse_query(text) == dict(parse_qsl(text, keep_blank_values=True))
