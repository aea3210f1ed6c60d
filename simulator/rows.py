"""Rows as dicts, built column by column (the Bulk RingPool API's hot path).

A dict display (``{a: x, b: y}``) builds a small dict several times quicker than
``dict(zip(names, values))``: :func:`dicts_from_columns` uses displays for rows of up to three
names, ``dict(zip())`` beyond.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat
from typing import Any


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
