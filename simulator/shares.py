"""Shares written the way people write them: ``1%`` and ``0.01`` alike.

Rules: a number ending in ``%`` is a percentage (``"1%"`` -> 0.01, ``"99.5 %"`` -> 0.995), a
bare number a fraction from 0 to 1 (``"0.01"`` -> 0.01); anything else, or outside 0..1
(``"150%"``, ``"2"``, ``"nan"``), is refused with :class:`RecordInvalid` naming the argument.
Every command-line argument and setting that is a rate or share reads it through here.
"""

from __future__ import annotations

import argparse
import math

from simulator.errors import RecordInvalid

__all__ = ["parse_share", "share_argument"]


def parse_share(text: str | float, *, name: str) -> float:
    """``"1%"`` -> 0.01; ``"0.01"`` -> 0.01 (a bare number is a fraction from 0 to 1)."""
    if isinstance(text, bool):
        raise RecordInvalid(f"{name} must be a percentage like 1% or a fraction like 0.01",
                            field_errors={name: ["must be a percentage like 1% or a fraction "
                                                 "like 0.01"]})
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100.0 if raw.endswith("%") else float(raw)
    except ValueError:
        raise RecordInvalid(
            f"{name} must be a percentage like 1% or a fraction like 0.01, got {text!r}",
            field_errors={name: ["must be a percentage like 1% or a fraction like 0.01"]},
        ) from None
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise RecordInvalid(
            f"{name} must be from 0% to 100%, got {text!r}",
            field_errors={name: ["must be from 0% to 100%"]},
        )
    return value


def share_argument(text: str) -> float:
    """An argparse ``type`` for a share: ``1%`` and ``0.01`` alike."""
    try:
        return parse_share(text, name="value")
    except RecordInvalid:
        raise argparse.ArgumentTypeError(
            f"must be a percentage like 1% or a fraction like 0.01, got {text!r}") from None
