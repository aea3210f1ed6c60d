"""Rows as dicts, built column by column (the Bulk RingPool API's hot path).

A dict display (``{a: x, b: y}``) builds a small dict several times quicker than
``dict(zip(names, values))``: :func:`dicts_from_columns` uses displays for rows of up to three
names, ``dict(zip())`` beyond. A :class:`Table` keeps rows as columns and builds their dicts
only when someone reads them as dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, repeat
from typing import Any, overload


def dicts_from_columns(
    names: Sequence[str], columns: Sequence[Iterable[Any]]
) -> list[dict[str, Any]]:
    """One dict per row, ``{names[j]: columns[j][i]}`` in ``names`` order; the columns are
    as long as each other (``zip`` stops at the shortest) and the names distinct."""
    if not names or len(names) != len(columns):
        raise ValueError("give one column per name, at least one")
    if len(names) == 1:
        (a,) = names
        return [{a: x} for x in columns[0]]
    if len(names) == 2:
        a, b = names
        return [{a: x, b: y} for x, y in zip(*columns)]  # noqa: B905 - as long as each other
    if len(names) == 3:
        a, b, c = names
        return [{a: x, b: y, c: z} for x, y, z in zip(*columns)]  # noqa: B905
    return list(map(dict, map(zip, repeat(names), zip(*columns))))  # noqa: B905


class Table(Sequence[dict[str, Any]]):
    """Rows given column by column: row ``i`` is ``{names[j]: columns[j][i]}`` (names
    distinct, columns as long as each other). A read-only sequence of those row dicts, built
    once, when first asked for; until then a reader can take a :meth:`column` whole."""

    __slots__ = ("_columns", "_rows", "names")

    def __init__(self, names: Sequence[str], columns: Sequence[Sequence[Any]]) -> None:
        if not names or len(names) != len(columns):
            raise ValueError("give one column per name, at least one")
        if len(set(names)) != len(names):
            raise ValueError("give distinct names")
        if len(set(map(len, columns))) != 1:
            raise ValueError("give columns as long as each other")
        self.names: tuple[str, ...] = tuple(names)
        self._columns = dict(zip(self.names, columns, strict=True))
        self._rows: list[dict[str, Any]] | None = None

    def column(self, name: str) -> Sequence[Any] | None:
        """The values of ``name`` in row order (None: no such name)."""
        return self._columns.get(name)

    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = dicts_from_columns(self.names, list(self._columns.values()))
        return self._rows

    def __len__(self) -> int:
        return len(self._columns[self.names[0]])

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self.rows()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows())


def flat_rows_from_columns(
    names: Sequence[str], columns: Sequence[Iterable[Any]]
) -> list[tuple[Any, ...]]:
    """One flat tuple per row, ``(names[0], columns[0][i], names[1], columns[1][i], ...)``:
    the pairs of :func:`dicts_from_columns` without a dict (tuple displays up to two names)."""
    if not names or len(names) != len(columns):
        raise ValueError("give one column per name, at least one")
    if len(names) == 1:
        (a,) = names
        return [(a, x) for x in columns[0]]
    if len(names) == 2:
        a, b = names
        return [(a, x, b, y) for x, y in zip(*columns)]  # noqa: B905 - as long as each other
    return [tuple(chain.from_iterable(zip(names, values)))  # noqa: B905
            for values in zip(*columns)]  # noqa: B905
