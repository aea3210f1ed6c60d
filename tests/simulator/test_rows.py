"""Rows as dicts built column by column: the same dicts as dict(zip()), row by row."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.rows import dicts_from_columns, flat_rows_from_columns


@given(st.lists(st.text(max_size=3), min_size=1, max_size=6, unique=True).flatmap(
    lambda names: st.tuples(st.just(names), st.lists(
        st.lists(st.integers(), min_size=len(names), max_size=len(names)), max_size=5))))
def test_same_dicts_in_the_same_key_order_as_dict_zip_when_any_names(
    table: tuple[list[str], list[list[int]]],
) -> None:
    names, rows = table
    columns = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in names]
    built = dicts_from_columns(names, columns)
    assert [list(row.items()) for row in built] == [
        list(zip(names, row, strict=True)) for row in rows]


@given(st.lists(st.text(max_size=3), min_size=1, max_size=5).flatmap(
    lambda names: st.tuples(st.just(names), st.lists(
        st.lists(st.integers(), min_size=len(names), max_size=len(names)), max_size=5))))
def test_flat_rows_are_the_name_value_pairs_in_order_when_any_names(
    table: tuple[list[str], list[list[int]]],
) -> None:
    names, rows = table
    columns = [list(column) for column in zip(*rows, strict=True)] or [[] for _ in names]
    assert flat_rows_from_columns(names, columns) == [
        tuple(item for pair in zip(names, row, strict=True) for item in pair) for row in rows]


@pytest.mark.parametrize("build", [dicts_from_columns, flat_rows_from_columns])
@pytest.mark.parametrize("names", [[], ["a", "b"]])
def test_value_error_when_not_one_column_per_name(names: list[str], build: Any) -> None:
    with pytest.raises(ValueError, match="one column per name"):
        build(names, [[1]])
