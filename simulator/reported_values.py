"""How the Signal and Conversion Reporting APIs read and show the values reported.

* Timestamps (Signal API ``call_start_time``/``occurred_at_time``): 10-digit epoch seconds,
  13-digit epoch milliseconds, 17-digit ``YYYYMMDDHHMMSSsss``, ``YYYY/MM/DDTHH:MM:SS(.sss)``
  with ``Z`` or an offset (``-`` separators accepted too), or Excel's ``YYYY/MM/DD HH:MM:SS
  AM/PM``, parsed in UTC (the token's network time zone is UTC in the sandbox).
* Money (``revenue``, ``sale_amount``): up to 2 decimal places, period separated; thousands
  commas are accepted (the docs' examples send ``"1,000.00"`` and ``"1,000"``). Answers show
  it as the docs' responses do: ``"100.00"`` -> ``"100.0"``, ``"1,000.00"`` -> ``"1,000.0"``.
* Booleans: true/false, 1/0, yes/no, t/f in any case.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

__all__ = [
    "caller_shown",
    "epoch_text",
    "given",
    "iso_text",
    "parse_boolean",
    "parse_money",
    "parse_timestamp",
    "phone_digits",
    "render_money",
    "scalar_text",
]

_TRUE = frozenset({"true", "1", "yes", "t"})
_FALSE = frozenset({"false", "0", "no", "f"})
#: "Money with up to 2 decimal places (period separated)", thousands commas tolerated
_MONEY = re.compile(r"^(\d+|\d{1,3}(,\d{3})+)(\.\d{1,2})?$")
_ISO = re.compile(
    r"^(\d{4})[/-](\d{2})[/-](\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"
)
_EXCEL = re.compile(
    r"^(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})? ?(AM|PM)$", re.IGNORECASE
)


def parse_timestamp(value: Any) -> datetime | None:
    """A Signal API timestamp (epoch s/ms, compressed, ISO-like, Excel) as UTC, or None."""
    if isinstance(value, bool) or value is None:
        return None
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{10}", text):
            return datetime.fromtimestamp(int(text), UTC)
        if re.fullmatch(r"\d{13}", text):
            return datetime.fromtimestamp(int(text) / 1000, UTC)
        if re.fullmatch(r"\d{17}", text):
            return datetime.strptime(text, "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
        match = _ISO.match(text)
        if match:
            y, mo, d, h, mi, s, frac, zone = match.groups()
            micro = int((frac or ".0")[1:].ljust(6, "0"))
            instant = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s), micro, UTC)
            if zone != "Z":
                sign = 1 if zone[0] == "+" else -1
                offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
                instant -= sign * offset
            return instant
        match = _EXCEL.match(text)
        if match:
            y, mo, d, h, mi, s, frac, half = match.groups()
            hour = int(h)
            if hour <= 12 and half.upper() == "PM" and hour != 12:
                hour += 12
            elif half.upper() == "AM" and hour == 12:
                hour = 0
            micro = int((frac or ".0")[1:].ljust(6, "0"))
            return datetime(int(y), int(mo), int(d), hour, int(mi), int(s), micro, UTC)
    except (ValueError, OverflowError):
        return None
    return None


def parse_money(value: Any) -> tuple[Decimal | None, bool]:
    """``(amount, valid)``: an amount of money as the docs allow it; ``(None, True)`` when
    not given (``null`` or ``""``)."""
    if value is None:
        return None, True
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None, False
    text = str(value).strip()
    if not text:
        return None, True
    if not _MONEY.match(text):
        return None, False
    return Decimal(text.replace(",", "")), True


def render_money(amount: Decimal) -> str:
    """As the docs' responses show money: thousands commas, trailing zeros dropped but one
    (``100.00`` -> ``"100.0"``, ``1000.5`` -> ``"1,000.5"``)."""
    whole, cents = f"{amount:,.2f}".split(".")
    return f"{whole}.{cents.rstrip('0') or '0'}"


def parse_boolean(value: Any) -> bool | None:
    """A reported flag, or None when it is not one."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def scalar_text(value: Any) -> str | None:
    """A scalar as text (``None`` for ``null``, objects and arrays)."""
    if value is None or isinstance(value, Mapping | list | tuple):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def given(value: Any) -> bool:
    """Whether a request value was given (not ``null``, not ``""``)."""
    return value is not None and value != ""


def epoch_text(instant: datetime) -> str:
    """Epoch seconds as the answers write them (``"1460404800"``)."""
    return str(int(instant.timestamp()))


def iso_text(instant: datetime) -> str:
    """An instant as the answers write it (``"2016-04-11T20:00:00Z"``)."""
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def phone_digits(number: Any) -> str:
    """A phone number's digits, without the North American ``1`` prefix."""
    digits = re.sub(r"\D", "", str(number or ""))
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def caller_shown(number: Any) -> str:
    """A calling number the way the docs' NotFound message shows it: ``+1 8053825533``."""
    digits = re.sub(r"\D", "", str(number))
    if len(digits) == 10:
        return f"+1 {digits}"
    if len(digits) == 11 and digits.startswith("1"):
        return f"+1 {digits[1:]}"
    return f"+{digits}"
