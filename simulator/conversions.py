"""Conversions: the Signal API and the legacy Conversion Reporting API.

Rules of this module:

* Both APIs first find *the call*: by ``transaction_id`` (any transaction of the call),
  ``call_record_id``, or ``call_start_time`` (closest match, optionally narrowed by calling
  number, duration, advertiser and campaign). Only ``Call`` transactions are candidates.
* The Signal API reads the whole request before it changes anything and answers with the
  documents' own errors: top-level ``revenue`` (RecordInvalid); every input problem of a
  2018-02-01 request packed into one ``InvalidInput`` message joined with ``"; "`` (the docs'
  "Example Bad Request"); every problem of an old-shape request (up to 2017-02-01) in one
  ``RecordInvalid`` "Validation failed: ..." joined with ``", "`` (Rails' wording, the old
  docs' class); no call: ``RecordNotFound``; more than 100 signals: ``RecordInvalid``.
* ``call_in_progress`` true: only required fields are checked (search, signal names,
  custom data names and values); other problems are not returned and the answer is empty.
* ``revenue`` / ``sale_amount``: money with up to 2 decimal places, period separated;
  thousands commas are accepted (the docs' examples send ``"1,000.00"`` and ``"1,000"``).
  The answer shows it as the docs' responses do: ``"100.00"`` -> ``"100.0"``,
  ``"1,000.00"`` -> ``"1,000.0"``.
* Signals are unique by (``name`` case-insensitively, ``partner_unique_id``) within a call.
  A new one is a ``Signal`` transaction; reporting it again with other values is an update:
  a new transaction whose ``corrects_transaction_id`` names the one it replaces; reporting it
  again with the same values changes nothing and answers the existing transaction. A signal
  name keeps the casing it was first reported with (per network).
* Custom data in a Signal API request makes a correction of the call: a new ``Call`` row with
  the custom values applied and ``corrects_transaction_id`` = the call's latest row.
* Legacy Conversion Reporting: a call sale needs ``start_time_t``; a new web conversion
  ``web_conversion=1``, ``reference_id``, ``advertiser_campaign_id`` and
  ``affiliate_id_from_network``; an add-on ``web_conversion=1`` and ``parent_reference_id``.
  Each becomes a ``Reported Conversion`` transaction. A call sale is matched by
  ``reference_id`` (a repeat updates the earlier sale), else by calling number, else by the
  nearest start time and duration (20 s of start time weigh as much as 1 s of duration).
  Sales are unique per (call, ``sku_list``, ``reason_code``): a repeat with other values
  updates, with the same values changes nothing.

Sandbox choices (for docs/fidelity.md):

* Custom Data Field names need not be configured first (the sandbox has no data dictionary);
  their data type is ``Short Text`` and source ``Api``.
* ``call_in_progress: true`` applies the signals at once when the request is valid and a call
  matches (simulated calls have already ended), and answers an empty body, which the mock
  sends with 201; otherwise nothing is applied.
* Top-level ``partner_unique_id`` and ``occurred_at_time`` (documented with the Signal
  Transactions Rollup feature) are the defaults of signals that do not give their own; the
  rollup grouping into ``Post Call Event`` transactions is not modelled.
* The Excel timestamp format is parsed in UTC (the token's network time zone is UTC here).
* ``call_start_time`` matching considers calls within 24 hours of the given time.
* Problems the docs do not word are worded in the style of the ones they do.
* Old-shape requests (up to 2017-02-01): keys the shape does not know are ignored.
* The legacy ``conversion_reporting_id`` is the advertiser's internal id; the matching window
  is 24 hours; ``call_center_call_id`` (the docs' former name) is read as ``reference_id``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from simulator.errors import InvalidInput, NotFound, RecordInvalid, RecordNotFound
from simulator.transactions import (
    CONVERSION_COLUMNS,
    SIGNAL_COLUMNS,
    CustomValue,
    Transaction,
    TransactionIds,
    TransactionLog,
    time_fields,
)

__all__ = [
    "MATCH_WINDOW",
    "MAX_SIGNALS",
    "CallScope",
    "ConversionBook",
    "parse_money",
    "parse_timestamp",
    "render_money",
]

MAX_SIGNALS = 100
MATCH_WINDOW = timedelta(hours=24)

# ---- the documents' own words (signal_api/index.rst, branches 2022-08-01 and 2016-10-01) ----
NO_CALL = "No call found. Please refer to the documentation."
SEARCH_EMPTY = "transaction_id, call_record_id, or call_start_time must not be empty"
#: the same problem in the old shape (2016-10-01 branch, versions up to 2017-02-01)
SEARCH_ABSENT = "transaction_id or call_start_time must be present"
TOP_LEVEL_REVENUE = ("Revenue must be specified on each Signal instead of at the top level "
                     "header of the request")
SIGNALS_LIMITED = f"Validation failed: Signals are limited to {MAX_SIGNALS}"
UNSUPPORTED = "The following params in 'signals' are not supported in this version: "

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
#: the 2018-02-01 signal fields
SIGNAL_FIELDS = ("name", "partner_unique_id", "occurred_at_time", "revenue", "value")
#: the old shape's free-text signal fields (2016-10-01 branch; dropped in 2018-02-01)
OLD_TEXT_FIELDS = ("description", "custom_parameter_1", "custom_parameter_2",
                   "custom_parameter_3")
#: a web conversion is "not tied to a call": no call time
WEB_DURATIONS = {"duration": 0, "connect_duration": 0, "ivr_duration": 0}
#: "Up to 255 character string" (custom parameters)
CUSTOM_PARAMETER_LENGTH = 255


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


def _epoch(instant: datetime) -> str:
    return str(int(instant.timestamp()))


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digits(number: Any) -> str:
    digits = re.sub(r"\D", "", str(number or ""))
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def _caller_shown(number: Any) -> str:
    """A calling number the way the docs' NotFound message shows it: ``+1 8053825533``."""
    digits = re.sub(r"\D", "", str(number))
    if len(digits) == 10:
        return f"+1 {digits}"
    if len(digits) == 11 and digits.startswith("1"):
        return f"+1 {digits[1:]}"
    return f"+{digits}"


def _boolean(value: Any) -> bool | None:
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


def _text(value: Any) -> str | None:
    """A scalar as text (``None`` for ``null``, objects and arrays)."""
    if value is None or isinstance(value, Mapping | list | tuple):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _given(value: Any) -> bool:
    return value is not None and value != ""


@dataclass(frozen=True, slots=True)
class CallScope:
    """Which calls a caller may report on: a network, optionally one advertiser."""

    network_id: int
    advertiser_id_from_network: str | None = None


@dataclass
class _Signal:
    transaction_id: str
    name: str
    partner_unique_id: str
    occurred_at: datetime
    revenue: Decimal | None
    value: bool
    extra: dict[str, str] = field(default_factory=dict)
    corrects_transaction_id: str | None = None
    #: whether the request gave occurred_at_time (else it defaulted to the request's time)
    occurred_given: bool = True


@dataclass(frozen=True, slots=True)
class _Problem:
    text: str
    #: a required field is missing (checked even with ``call_in_progress``)
    required: bool = False


@dataclass
class _SignalRequest:
    """A Signal API request as read: what it asks for and what is wrong with it."""

    search: Mapping[str, Any]
    signals: list[_Signal]
    custom: dict[str, Any]
    in_progress: bool
    top_level_revenue: bool
    problems: list[_Problem]


class _Words:
    """How each shape of the Signal API words a problem (2018-02-01: the docs' "Example Bad
    Request"; up to 2017-02-01: Rails' full messages, the class the old docs show)."""

    def __init__(self, old_shape: bool) -> None:
        self.old = old_shape

    def search_empty(self) -> str:
        return SEARCH_ABSENT if self.old else SEARCH_EMPTY

    def name_required(self, index: int) -> str:
        return "Name can't be blank" if self.old else f"signals[{index}] 'name' is required"

    def timestamp(self, index: int) -> str:
        return ("Occurred at time is not a supported timestamp" if self.old
                else f"signals[{index}] 'occurred_at_time' is not a supported timestamp")

    def money(self, index: int) -> str:
        return ("Sale amount must be a number with up to 2 decimal places" if self.old
                else f"signals[{index}] 'revenue' must be a number with up to 2 decimal places")

    def value(self, index: int) -> str:
        return ("Value must be true or false" if self.old
                else f"signals[{index}] 'value' must be true or false")

    def error(self, problems: Sequence[_Problem]) -> InvalidInput | RecordInvalid:
        if self.old:
            return RecordInvalid("Validation failed: " + ", ".join(p.text for p in problems))
        return InvalidInput("; ".join(p.text for p in problems))


@dataclass
class _Sale:
    transaction_id: str
    call_record_id: str
    values: dict[str, str]


class ConversionBook:
    """The signals and sales reported on calls, recorded as transactions."""

    def __init__(self, log: TransactionLog, ids: TransactionIds) -> None:
        self.log = log
        self.ids = ids
        #: call record id -> (name.lower(), partner_unique_id) -> latest signal
        self._signals: dict[str, dict[tuple[str, str], _Signal]] = {}
        #: network id -> lower-case signal name -> first casing seen
        self._names: dict[int, dict[str, str]] = {}
        #: call record id -> latest Call row's transaction id
        self._latest_call: dict[str, str] = {}
        #: (advertiser id, reference id) -> the call sale it names
        self._sales: dict[tuple[int, str], _Sale] = {}
        #: (advertiser id, reference id) -> the web conversion it names
        self._web: dict[tuple[int, str], _Sale] = {}
        #: (advertiser id, what it is on, sku list, reason code) -> latest sale: "Sales are
        #: considered unique using a combination of start_time_t + SKU_list + reason code"
        self._sale_keys: dict[tuple[int, str, str, str], _Sale] = {}

    # ---- finding the call -----------------------------------------------------------------

    def _in_scope(self, row: Transaction, scope: CallScope) -> bool:
        if row.network_id != scope.network_id:
            return False
        return (scope.advertiser_id_from_network is None
                or row.fields["advertiser_id_from_network"] == scope.advertiser_id_from_network)

    def _original_call(self, call_record_id: str) -> Transaction | None:
        for row in self.log.for_call(call_record_id):
            fields = row.fields
            if fields["transaction_type"] == "Call" and not fields["corrects_transaction_id"]:
                return row
        return None

    def latest_call(self, call_record_id: str) -> Transaction | None:
        latest = self._latest_call.get(call_record_id)
        if latest is not None:
            found = self.log.get(latest)
            if found is not None:
                return found
        return self._original_call(call_record_id)

    @staticmethod
    def _search_problems(search: Mapping[str, Any], words: _Words) -> list[_Problem]:
        """What is wrong with a Signal API ``search`` (empty: the one required problem)."""
        named = [search.get(key) for key in ("transaction_id", "call_record_id",
                                             "call_start_time")]
        if not any(_given(_text(value)) for value in named):
            return [_Problem(words.search_empty(), required=True)]
        if any(_given(_text(value)) for value in named[:2]):
            return []  # "The optional parameters are ignored when using the transaction_id"
        problems: list[_Problem] = []
        if parse_timestamp(search.get("call_start_time")) is None:
            problems.append(_Problem("call_start_time is not a supported timestamp"))
        duration = _text(search.get("duration_in_seconds"))
        if _given(duration) and not str(duration).strip().isdigit():
            problems.append(_Problem("duration_in_seconds must be an integer"))
        return problems

    def find_call(self, search: Mapping[str, Any], scope: CallScope) -> Transaction | None:
        """The call a (valid) Signal API ``search`` names, or None."""
        transaction_id = (_text(search.get("transaction_id")) or "").strip()
        call_record_id = (_text(search.get("call_record_id")) or "").strip()
        if transaction_id or call_record_id:
            if transaction_id:
                row = self.log.get(transaction_id)
                record = row.call_record_id if row is not None else ""
                if call_record_id and record != call_record_id:
                    record = ""
            else:
                record = call_record_id
            call = self._original_call(record) if record else None
            return call if call is not None and self._in_scope(call, scope) else None
        at = parse_timestamp(search.get("call_start_time"))
        if at is None:
            return None
        duration = (_text(search.get("duration_in_seconds")) or "").strip()
        return self._closest(
            at, scope, int(duration) if duration else None,
            _digits(_text(search.get("calling_phone_number"))),
            _text(search.get("advertiser_id_from_network")) or "",
            _text(search.get("advertiser_campaign_id_from_network")) or "",
        )

    def _closest(self, at: datetime, scope: CallScope, seconds: int | None, caller: str,
                 *filters: str) -> Transaction | None:
        """The call nearest ``at`` (20 s of start time weigh as 1 s of duration).

        ``filters`` are the advertiser and campaign ids_from_network ("" = any).
        """
        advertiser, campaign = (*filters, "", "")[:2]
        best: tuple[float, int] | None = None
        chosen: Transaction | None = None
        for index, row in enumerate(self.log.all()):
            fields = row.fields
            if fields["transaction_type"] != "Call" or fields["corrects_transaction_id"]:
                continue
            if not self._in_scope(row, scope) or abs(row.start_at - at) > MATCH_WINDOW:
                continue
            if caller and _digits(fields["calling_phone_number"]) != caller:
                continue
            if advertiser and fields["advertiser_id_from_network"] != advertiser:
                continue
            if campaign and fields["advertiser_campaign_id_from_network"] != campaign:
                continue
            score = abs((row.start_at - at).total_seconds())
            if seconds is not None:
                score += 20 * abs(int(fields["duration"] or 0) - seconds)
            if best is None or (score, index) < best:
                best, chosen = (score, index), row
        return chosen

    # ---- the Signal API -------------------------------------------------------------------

    def report_signals(self, now: datetime, scope: CallScope, body: Mapping[str, Any], *,
                       old_shape: bool = False,
                       transaction_id: str | None = None) -> dict[str, Any]:
        """Apply a Signal API request; returns the response body (``{}``: call in progress)."""
        words = _Words(old_shape)
        request = self._read_request(now, body, words, transaction_id)
        if request.in_progress:
            # "Invoca will only check for required fields and all other errors will not be
            # returned": the answer is empty whatever else is wrong
            required = [p for p in request.problems if p.required]
            if required:
                raise words.error(required)
            call = self.find_call(request.search, scope)
            if (call is not None and not request.problems and not request.top_level_revenue
                    and len(request.signals) <= MAX_SIGNALS):
                self._apply(now, call, request.signals, request.custom)
            return {}
        if request.top_level_revenue:
            raise RecordInvalid(TOP_LEVEL_REVENUE)
        if request.problems:
            raise words.error(request.problems)
        call = self.find_call(request.search, scope)
        if call is None:
            raise RecordNotFound(NO_CALL)
        if len(request.signals) > MAX_SIGNALS:
            raise RecordInvalid(SIGNALS_LIMITED)
        signals, call_row = self._apply(now, call, request.signals, request.custom)
        call_part = {
            "transaction_id": call_row.transaction_id,
            "corrects_transaction_id": call_row.fields["corrects_transaction_id"] or None,
            "start_time_t": _epoch(call.start_at),
            "call_start_time": _iso(call.start_at),
        }
        if old_shape:
            call_part.pop("corrects_transaction_id")
            return {"signal": self._render(signals[0], old_shape=True) if signals else None,
                    "call": call_part}
        return {"signals": [self._render(s) for s in signals], "call": call_part}

    def _read_request(self, now: datetime, body: Mapping[str, Any], words: _Words,
                      transaction_id: str | None) -> _SignalRequest:
        """Everything a Signal API request asks for, and every problem, in the docs' order."""
        problems: list[_Problem] = []
        search: Any = body.get("search")
        if transaction_id is not None:
            search = {"transaction_id": transaction_id}
        if not isinstance(search, Mapping):
            search = {}
        problems += self._search_problems(search, words)
        if words.old:
            raw: Any = [body["signal"]] if body.get("signal") is not None else [{}]
        else:
            raw = body.get("signals")
            if raw is None:
                raw = []
            elif not isinstance(raw, list):
                problems.append(_Problem("signals must be an array"))
                raw = []
        defaults = {} if words.old else {
            key: body[key] for key in ("partner_unique_id", "occurred_at_time")
            if _given(body.get(key))
        }
        signals = self._parse_signals(now, raw, defaults, words, problems)
        custom: dict[str, Any] = {}
        if not words.old:
            custom = self._parse_custom(body.get("custom_data"), problems)
        in_progress = False
        if _given(body.get("call_in_progress")):
            flag = _boolean(body["call_in_progress"])
            if flag is None:
                problems.append(_Problem("call_in_progress must be true or false"))
            in_progress = bool(flag)
        return _SignalRequest(search, signals, custom, in_progress,
                              not words.old and "revenue" in body, problems)

    def _parse_signals(self, now: datetime, raw: Sequence[Any], defaults: Mapping[str, Any],
                       words: _Words, problems: list[_Problem]) -> list[_Signal]:
        out: list[_Signal] = []
        unsupported: list[str] = []
        found: list[_Problem] = []
        seen: dict[tuple[str, str], int] = {}
        for index, item in enumerate(raw):
            if not isinstance(item, Mapping):
                found.append(_Problem(words.name_required(index), required=True)
                             if words.old else _Problem(f"signals[{index}] must be an object"))
                continue
            if not words.old:
                unsupported += [str(k) for k in item
                                if k not in SIGNAL_FIELDS and k not in unsupported]
            given = {**defaults, **{k: v for k, v in item.items() if v is not None}}
            name = (_text(given.get("name")) or "").strip()
            if not name:
                found.append(_Problem(words.name_required(index), required=True))
            puid = _text(given.get("partner_unique_id")) or ""
            key = (name.lower(), puid)
            if name and key in seen and not words.old:
                found.append(_Problem(
                    f"'name' for signals[{seen[key]}] and signals[{index}] must be unique"))
            seen.setdefault(key, index)
            occurred = now
            occurred_given = _given(given.get("occurred_at_time"))
            if occurred_given:
                parsed = parse_timestamp(given["occurred_at_time"])
                if parsed is None:
                    found.append(_Problem(words.timestamp(index)))
                else:
                    occurred = parsed
            revenue, valid = parse_money(given.get("sale_amount" if words.old else "revenue"))
            if not valid:
                found.append(_Problem(words.money(index)))
            value = True if not _given(given.get("value")) else _boolean(given["value"])
            if value is None:
                found.append(_Problem(words.value(index)))
                value = True
            extra: dict[str, str] = {}
            if words.old:
                extra = {k: _text(item[k]) or "" for k in OLD_TEXT_FIELDS if k in item}
                for n in (1, 2, 3):
                    if len(extra.get(f"custom_parameter_{n}", "")) > CUSTOM_PARAMETER_LENGTH:
                        found.append(_Problem(f"Custom parameter {n} is too long (maximum is "
                                              f"{CUSTOM_PARAMETER_LENGTH} characters)"))
            out.append(_Signal("", name, puid, occurred, revenue, value, extra,
                               occurred_given=occurred_given))
        if unsupported:
            problems.append(_Problem(UNSUPPORTED + ", ".join(unsupported)))
        problems += found
        return out

    @staticmethod
    def _parse_custom(raw: Any, problems: list[_Problem]) -> dict[str, Any]:
        if raw is None:
            return {}
        if not isinstance(raw, list):
            problems.append(_Problem("custom_data must be an array"))
            return {}
        custom: dict[str, Any] = {}
        for index, item in enumerate(raw):
            if not isinstance(item, Mapping):
                problems.append(_Problem(f"custom_data[{index}] must be an object"))
                continue
            name = (_text(item.get("name")) or "").strip()
            if not name:
                problems.append(_Problem(f"'name' for custom_data[{index}] is required",
                                         required=True))
            value = item.get("value")
            if value is None:
                problems.append(_Problem(f"'value' for custom_data[{index}] is required",
                                         required=True))
            elif isinstance(value, Mapping | list):
                problems.append(_Problem(f"'value' for custom_data[{index}] must be text"))
            if name:
                custom[name] = value
        return custom

    def _apply(self, now: datetime, call: Transaction, signals: list[_Signal],
               custom: Mapping[str, Any]) -> tuple[list[_Signal], Transaction]:
        record = call.call_record_id
        book = self._signals.setdefault(record, {})
        names = self._names.setdefault(call.network_id, {})
        results: list[_Signal] = []
        latest = self.latest_call(record) or call
        for signal in signals:
            signal.name = names.setdefault(signal.name.lower(), signal.name)
            key = (signal.name.lower(), signal.partner_unique_id)
            previous = book.get(key)
            if previous is not None and (previous.revenue, previous.value, previous.extra) == (
                signal.revenue, signal.value, signal.extra
            ) and (not signal.occurred_given or signal.occurred_at == previous.occurred_at):
                results.append(previous)  # the same signal again: nothing changes
                continue
            if previous is not None and not signal.occurred_given:
                signal.occurred_at = previous.occurred_at  # not given: keep the first instant
            signal.transaction_id = self.ids.next()
            signal.corrects_transaction_id = previous.transaction_id if previous else None
            self.log.append(self._signal_row(now, latest, signal))
            book[key] = signal
            results.append(signal)
        if custom:
            merged = dict(latest.custom)
            for name, value in custom.items():
                merged[name] = CustomValue(value, "Short Text", "Api")
            row = dict(latest.fields)
            transaction_id = self.ids.next()
            row.update({
                "transaction_id": transaction_id,
                "corrects_transaction_id": latest.transaction_id,
                "corrected_at": now.strftime("%Y-%m-%d %H:%M:%S +00:00"),
            })
            latest = self.log.append(Transaction(call.network_id, call.start_at, row, merged))
            self._latest_call[record] = transaction_id
        return results, latest

    def _signal_row(self, now: datetime, call: Transaction, signal: _Signal) -> Transaction:
        row = dict(call.fields)
        for column in (*SIGNAL_COLUMNS, *CONVERSION_COLUMNS):
            row[column] = ""
        row.update({
            "transaction_id": signal.transaction_id,
            "transaction_type": "Signal",
            "corrects_transaction_id": signal.corrects_transaction_id or "",
            "corrected_at": (now.strftime("%Y-%m-%d %H:%M:%S +00:00")
                             if signal.corrects_transaction_id else ""),
            "signal_name": signal.name,
            "signal_description": signal.extra.get("description", ""),
            "signal_partner_unique_id": signal.partner_unique_id,
            "signal_occurred_at": _epoch(signal.occurred_at),
            "signal_source": ":Api",
            "signal_value": "true" if signal.value else "false",
            "revenue": "" if signal.revenue is None else f"{signal.revenue:.2f}",
            "signal_custom_parameter_1": signal.extra.get("custom_parameter_1", ""),
            "signal_custom_parameter_2": signal.extra.get("custom_parameter_2", ""),
            "signal_custom_parameter_3": signal.extra.get("custom_parameter_3", ""),
        })
        custom = {signal.name: CustomValue(signal.value, "Signal", "Api")}
        return Transaction(call.network_id, call.start_at, row, custom)

    @staticmethod
    def _render(signal: _Signal, *, old_shape: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {
            "transaction_id": signal.transaction_id,
            "corrects_transaction_id": signal.corrects_transaction_id,
            "name": signal.name,
            "partner_unique_id": signal.partner_unique_id,
        }
        money = "" if signal.revenue is None else render_money(signal.revenue)
        if old_shape:
            # as the old docs' answers show them: description and the custom parameters
            # always ("" when not given: 6 of the docs' 8 answers list them), sale_amount
            # when there is one
            body["description"] = signal.extra.get("description", "")
        body["occurred_at_time_t"] = _epoch(signal.occurred_at)
        body["occurred_at_time"] = _iso(signal.occurred_at)
        if old_shape:
            if money:
                body["sale_amount"] = money
            body["value"] = "true" if signal.value else "false"
            for n in (1, 2, 3):
                body[f"custom_parameter_{n}"] = signal.extra.get(f"custom_parameter_{n}", "")
        else:
            body["revenue"] = money
            body["value"] = "true" if signal.value else "false"
        return body

    # ---- legacy Conversion Reporting ------------------------------------------------------

    def report_conversion(
        self, now: datetime, scope: CallScope, advertiser_id: int,
        form: Mapping[str, Any], attribute: Callable[[str, str], Mapping[str, Any]],
    ) -> Transaction:
        """Record a call sale, a web conversion or an add-on to one; returns the row.

        ``attribute(advertiser_campaign_id, affiliate_id_from_network)`` gives the row fields
        that credit a new web conversion (it raises when the campaign or affiliate is not
        known or not approved).
        """
        read = _ConversionForm(form)
        if read.problems:
            raise RecordInvalid("Validation failed", field_errors=read.problems)
        if read.web and read.parent:
            parent = self._web.get((advertiser_id, read.parent))
            found = self.log.get(parent.transaction_id) if parent is not None else None
            if found is None:
                raise NotFound(f"Couldn't find web conversion with reference_id {read.parent}")
            key = (advertiser_id, f"{found.call_record_id} add-on", *read.dedupe)
            return self._record_sale(now, found, self._sale_keys.get(key), read.values,
                                     reference=read.parent, key=key)
        if read.web:
            key = (advertiser_id, f"web {read.reference}", "", "")
            previous = self._web.get((advertiser_id, read.reference))
            base = self.log.get(previous.transaction_id) if previous is not None else None
            if base is None:
                previous = None
                fields = {**attribute(read.campaign, read.affiliate), **time_fields(now),
                          **WEB_DURATIONS}
                base = Transaction(scope.network_id, now, fields, {})
            sale = self._record_sale(now, base, previous, read.values,
                                     reference=read.reference, key=key)
            self._web[(advertiser_id, read.reference)] = self._sale_keys[key]
            return sale
        assert read.start is not None
        known = self._sales.get((advertiser_id, read.reference)) if read.reference else None
        call = self._original_call(known.call_record_id) if known is not None else None
        if call is None:
            known = None
            call = self._closest(read.start, scope, read.seconds, _digits(read.caller))
        if call is None:
            where = f" from caller {_caller_shown(read.caller)}" if read.caller else ""
            raise NotFound(f"Couldn't find call around time {read.start_time_t}{where}")
        key = (advertiser_id, call.call_record_id, *read.dedupe)
        sale = self._record_sale(now, call, known or self._sale_keys.get(key), read.values,
                                 reference=read.reference, key=key)
        if read.reference:
            self._sales[(advertiser_id, read.reference)] = self._sale_keys[key]
        return sale

    def _record_sale(self, now: datetime, base: Transaction, previous: _Sale | None,
                     values: Mapping[str, str], *, reference: str,
                     key: tuple[int, str, str, str]) -> Transaction:
        """A ``Reported Conversion`` row on ``base`` (a call, a web conversion, or the fields
        crediting a new one), correcting ``previous``; or ``previous`` itself when the same
        values are reported again ("the reported conversion remains unchanged")."""
        values = {**values, "original_order_id": reference}
        if previous is not None and previous.values == values:
            found = self.log.get(previous.transaction_id)
            if found is not None:
                self._sale_keys[key] = previous
                return found
        row = dict(base.fields)
        for column in (*SIGNAL_COLUMNS, *CONVERSION_COLUMNS):
            row[column] = ""
        transaction_id = self.ids.next()
        row.update(values)
        row.update({
            "transaction_id": transaction_id,
            "transaction_type": "Reported Conversion",
            "corrects_transaction_id": previous.transaction_id if previous else "",
            "corrected_at": now.strftime("%Y-%m-%d %H:%M:%S +00:00") if previous else "",
        })
        if not row.get("complete_call_id"):  # a new web conversion is a record of its own
            row["complete_call_id"] = transaction_id
        sale = self.log.append(Transaction(base.network_id, base.start_at, row, {}))
        self._sale_keys[key] = _Sale(transaction_id, sale.call_record_id, values)
        return sale


class _ConversionForm:
    """A Conversion Reporting request, read and checked (docs: conversion_reporting.rst)."""

    def __init__(self, form: Mapping[str, Any]) -> None:
        self.problems: dict[str, list[str]] = {}
        web = _text(form.get("web_conversion"))
        flag = _boolean(web) if _given(web) else False
        if flag is None:
            self._problem("web_conversion", "is not included in the list")
        self.web = bool(flag)
        self.reference = (_text(form.get("reference_id", form.get("call_center_call_id")))
                          or "").strip()
        self.parent = (_text(form.get("parent_reference_id")) or "").strip()
        self.campaign = (_text(form.get("advertiser_campaign_id")) or "").strip()
        self.affiliate = (_text(form.get("affiliate_id_from_network")) or "").strip()
        self.caller = (_text(form.get("calling_phone_number")) or "").strip()
        self.start_time_t = (_text(form.get("start_time_t")) or "").strip()
        self.start: datetime | None = None
        if self.web and not self.parent:
            # "Report a new web conversion": Required
            for name, value in (("reference_id", self.reference),
                                ("advertiser_campaign_id", self.campaign),
                                ("affiliate_id_from_network", self.affiliate)):
                if not value:
                    self._problem(name, "can't be blank")
        elif not self.web:
            # "Report a sale/conversion on a call": start_time_t Required, 10 digits
            if not self.start_time_t:
                self._problem("start_time_t", "can't be blank")
            elif not re.fullmatch(r"\d{10}", self.start_time_t):
                self._problem("start_time_t", "must be a 10 digit time_t")
            else:
                self.start = datetime.fromtimestamp(int(self.start_time_t), UTC)
        duration = (_text(form.get("duration_in_seconds")) or "").strip()
        self.seconds = int(duration) if duration.isdigit() else None
        if duration and self.seconds is None:
            self._problem("duration_in_seconds", "is not a number")
        amount, valid = parse_money(_text(form.get("sale_amount")))
        if not valid:
            self._problem("sale_amount", "is not a number")
        currency = (_text(form.get("sale_currency")) or "").strip()
        if currency and not re.fullmatch(r"[A-Za-z]{3}", currency):
            # the words of Invoca's own client library spec (call_center_api-ruby)
            self._problem("money", f'is invalid ["Currency {currency} is not supported"]')
        skus = _list(form, "sku_list")
        quantities = _list(form, "quantity_list")
        if quantities and len(quantities) != len(skus):
            self._problem("quantity_list", "must have one quantity per sku")
        if any(not q.strip().isdigit() or int(q) < 1 for q in quantities):
            self._problem("quantity_list", "must be 1 or greater")
        opt_in = (_text(form.get("opt_in_SMS")) or "").strip()
        if opt_in not in ("", "0", "1"):
            self._problem("opt_in_SMS", "is not included in the list")
        self.dedupe = (",".join(skus), (_text(form.get("reason_code")) or "").strip())
        #: the columns the report sets (compared to tell an update from a repeat)
        self.values = dict.fromkeys(CONVERSION_COLUMNS, "")
        for column in CONVERSION_COLUMNS:
            if column not in ("sku_list", "quantity_list", "sale_amount"):
                self.values[column] = (_text(form.get(column)) or "").strip()
        self.values.update({
            "sku_list": ",".join(skus),
            "quantity_list": ",".join(quantities),
            "sale_amount": "" if amount is None else f"{amount:.2f}",
            "opt_in_SMS": opt_in,
        })

    def _problem(self, name: str, message: str) -> None:
        self.problems.setdefault(name, []).append(message)


def _list(form: Mapping[str, Any], name: str) -> list[str]:
    """A repeated form field: ``name[]=a&name[]=b``, ``name=a``, or ``name[0]=a&name[1]=b``
    (how PHP's ``http_build_query`` sends arrays)."""
    value = form.get(f"{name}[]", form.get(name))
    if value is None or value == "":
        indexed = sorted((int(key[len(name) + 1:-1]), item) for key, item in form.items()
                         if re.fullmatch(rf"{re.escape(name)}\[\d+\]", str(key)))
        value = [item for _, item in indexed]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [] if value is None or value == "" else [str(value)]
