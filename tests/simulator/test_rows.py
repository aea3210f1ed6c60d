"""Rows as dicts built column by column: the same dicts as dict(zip()), row by row."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.rows import Table, dicts_from_columns, flat_rows_from_columns


def tables(*, unique: bool) -> st.SearchStrategy[tuple[list[str], list[list[int]]]]:
    """Names (distinct or not) and rows of one value per name."""
    return st.lists(st.text(max_size=3), min_size=1, max_size=6, unique=unique).flatmap(
        lambda names: st.tuples(st.just(names), st.lists(
            st.lists(st.integers(), min_size=len(names), max_size=len(names)), max_size=5)))


def columns_of(names: list[str], rows: list[list[int]]) -> list[list[int]]:
    return [list(column) for column in zip(*rows, strict=True)] or [[] for _ in names]


@given(tables(unique=True))
def test_same_dicts_in_the_same_key_order_as_dict_zip_when_any_names(
    table: tuple[list[str], list[list[int]]],
) -> None:
    names, rows = table
    built = dicts_from_columns(names, columns_of(names, rows))
    assert [list(row.items()) for row in built] == [
        list(zip(names, row, strict=True)) for row in rows]


@given(tables(unique=False))
def test_flat_rows_are_the_name_value_pairs_in_order_when_any_names(
    table: tuple[list[str], list[list[int]]],
) -> None:
    names, rows = table
    assert flat_rows_from_columns(names, columns_of(names, rows)) == [
        tuple(item for pair in zip(names, row, strict=True) for item in pair) for row in rows]


@pytest.mark.parametrize("build", [dicts_from_columns, flat_rows_from_columns])
@pytest.mark.parametrize("names", [[], ["a", "b"]])
def test_value_error_when_not_one_column_per_name(names: list[str], build: Any) -> None:
    with pytest.raises(ValueError, match="one column per name"):
        build(names, [[1]])


def test_table_reads_columns_whole_and_rows_as_dicts_when_asked() -> None:
    table = Table(["a", "b"], [["1", "2"], ["x", "y"]])
    assert (len(table), table.names, table.column("b"), table.column("c")) == (
        2, ("a", "b"), ["x", "y"], None)
    assert list(table) == [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}]
    assert (table[1], table[::-1][0]) == ({"a": "2", "b": "y"}, {"a": "2", "b": "y"})
    assert table[0] is table.rows()[0]  # built once


@pytest.mark.parametrize(("names", "columns", "message"), [
    (["a", "a"], [["1"], ["2"]], "distinct"),
    (["a", "b"], [["1"], ["2", "3"]], "as long as"),
    (["a"], [], "one column per name"),
])
def test_value_error_when_a_table_is_not_rows(names: list[str], columns: list[list[str]],
                                              message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Table(names, columns)
