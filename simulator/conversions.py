"""Conversions: the Signal API and the legacy Conversion Reporting API.

Rules of this module:

* Both APIs first find *the call*: by ``transaction_id`` (any transaction of the call),
  ``call_record_id``, or ``call_start_time`` (closest match, optionally narrowed by calling
  number, duration, advertiser and campaign). Only ``Call`` transactions are candidates.
* Signals are unique by (``name`` case-insensitively, ``partner_unique_id``) within a call.
  A new one is a ``Signal`` transaction; reporting it again with other values is an update:
  a new transaction whose ``corrects_transaction_id`` names the one it replaces; reporting it
  again with the same values changes nothing and answers the existing transaction. A signal
  name keeps the casing it was first reported with (per network).
* Custom data in a Signal API request makes a correction of the call: a new ``Call`` row with
  the custom values applied and ``corrects_transaction_id`` = the call's latest row.
* Legacy Conversion Reporting reports a sale: a ``Reported Conversion`` transaction, matched
  by ``reference_id`` (a repeat updates the earlier sale), else by calling number, else by the
  nearest start time and duration (20 s of start time weigh as much as 1 s of duration).
* Everything is validated before anything is recorded; the Signal API packs every input
  problem into one ``InvalidInput`` message joined with ``"; "`` (as the docs show).

Sandbox choices (for docs/fidelity.md):

* Custom Data Field names need not be configured first (the sandbox has no data dictionary);
  their data type is ``Short Text`` and source ``Api``.
* ``call_in_progress: true`` applies the signals at once (simulated calls have already ended)
  and answers an empty body, which the mock sends with 201.
* The Excel timestamp format is parsed in UTC (the token's network time zone is UTC here).
* ``call_start_time`` matching considers calls within 24 hours of the given time.
* The legacy ``conversion_reporting_id`` is the advertiser's internal id; the matching window
  is 24 hours; a sale with the same ``start_time_t``, ``sku_list`` and ``reason_code`` as an
  earlier one (and no ``reference_id``) updates that sale.
* The Signal Transactions Rollup feature (``Post Call Event`` grouping) is not modelled.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from simulator.errors import InvalidInput, NotFound, RecordInvalid, RecordNotFound
from simulator.transactions import (
    CONVERSION_COLUMNS,
    SIGNAL_COLUMNS,
    CustomValue,
    Transaction,
    TransactionIds,
    TransactionLog,
)

__all__ = [
    "MATCH_WINDOW",
    "MAX_SIGNALS",
    "CallScope",
    "ConversionBook",
    "parse_timestamp",
]

MAX_SIGNALS = 100
MATCH_WINDOW = timedelta(hours=24)
NO_CALL = "No call found. Please refer to the documentation."
_TRUE = frozenset({"true", "1", "yes", "t"})
_FALSE = frozenset({"false", "0", "no", "f"})
_REVENUE = re.compile(r"^\d+(\.\d{1,2})?$")
_ISO = re.compile(
    r"^(\d{4})[/-](\d{2})[/-](\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$"
)
_EXCEL = re.compile(
    r"^(\d{4})/(\d{2})/(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})? ?(AM|PM)$", re.IGNORECASE
)
#: 2016-08-01 signal fields that 2018-02-01 no longer accepts
OLD_SIGNAL_FIELDS = ("description", "sale_amount", "custom_parameter_1", "custom_parameter_2",
                     "custom_parameter_3")
SIGNAL_FIELDS = ("name", "partner_unique_id", "occurred_at_time", "revenue", "value")


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


def _epoch(instant: datetime) -> str:
    return str(int(instant.timestamp()))


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _digits(number: Any) -> str:
    digits = re.sub(r"\D", "", str(number or ""))
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


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
    revenue: str
    value: bool
    extra: dict[str, str] = field(default_factory=dict)
    corrects_transaction_id: str | None = None
    #: whether the request gave occurred_at_time (else it defaulted to the request's time)
    occurred_given: bool = True


@dataclass
class _Sale:
    transaction_id: str
    call_record_id: str
    key: tuple[str, str, str]


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
        #: (advertiser id, reference id) or dedupe key -> sale
        self._sales: dict[tuple[int, str], _Sale] = {}
        self._sale_keys: dict[tuple[int, tuple[str, str, str]], _Sale] = {}

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

    def find_call(self, search: Mapping[str, Any], scope: CallScope,
                  problems: list[str]) -> Transaction | None:
        """The call a Signal API ``search`` names (problems are appended, not raised)."""
        transaction_id = str(search.get("transaction_id") or "").strip()
        call_record_id = str(search.get("call_record_id") or "").strip()
        start = search.get("call_start_time")
        if not transaction_id and not call_record_id and (start is None or str(start) == ""):
            problems.append("transaction_id, call_record_id, or call_start_time must not be empty")
            return None
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
        at = parse_timestamp(start)
        if at is None:
            problems.append("call_start_time is not a supported timestamp")
            return None
        duration = search.get("duration_in_seconds")
        seconds: int | None = None
        if duration not in (None, ""):
            try:
                seconds = int(str(duration))
            except ValueError:
                problems.append("duration_in_seconds must be an integer")
                return None
        return self._closest(
            at, scope, seconds, _digits(search.get("calling_phone_number")),
            str(search.get("advertiser_id_from_network") or ""),
            str(search.get("advertiser_campaign_id_from_network") or ""),
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
        """Apply a Signal API request; returns the response body."""
        problems: list[str] = []
        if "revenue" in body:
            raise RecordInvalid("Revenue must be specified on each Signal instead of at the top "
                                "level header of the request")
        search = body.get("search") or {}
        if transaction_id is not None:
            search = {"transaction_id": transaction_id}
        if not isinstance(search, Mapping):
            problems.append("search must be an object")
            search = {}
        if old_shape:
            signal = body.get("signal")
            raw_signals: Any = [signal] if signal is not None else []
            if not isinstance(signal, Mapping):
                problems.append("signal must be an object")
                raw_signals = []
        else:
            raw_signals = body.get("signals") or []
        raw_custom = body.get("custom_data") or []
        if not isinstance(raw_signals, list):
            problems.append("signals must be an array")
            raw_signals = []
        if not isinstance(raw_custom, list):
            problems.append("custom_data must be an array")
            raw_custom = []
        if len(raw_signals) > MAX_SIGNALS:
            raise RecordInvalid(f"Validation failed: Signals are limited to {MAX_SIGNALS}")
        parsed = self._parse_signals(now, raw_signals, old_shape, problems)
        custom = self._parse_custom(raw_custom, problems)
        call = self.find_call(search, scope, problems)
        if problems:
            raise InvalidInput("; ".join(problems))
        if call is None:
            raise RecordNotFound(NO_CALL)
        if body.get("call_in_progress") is not None and _boolean(body["call_in_progress"]):
            self._apply(now, call, parsed, custom)
            return {}
        signals, call_row = self._apply(now, call, parsed, custom)
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

    def _parse_signals(self, now: datetime, raw: Sequence[Any], old_shape: bool,
                       problems: list[str]) -> list[_Signal]:
        out: list[_Signal] = []
        unsupported: list[str] = []
        seen: dict[tuple[str, str], int] = {}
        allowed = SIGNAL_FIELDS + (OLD_SIGNAL_FIELDS if old_shape else ())
        for index, item in enumerate(raw):
            if not isinstance(item, Mapping):
                problems.append(f"signals[{index}] must be an object")
                continue
            unsupported += [k for k in item if k not in allowed and k not in unsupported]
            name = str(item.get("name") or "").strip()
            if not name:
                problems.append(f"signals[{index}] 'name' is required")
            puid = str(item.get("partner_unique_id") or "")
            key = (name.lower(), puid)
            if name and key in seen:
                problems.append(
                    f"'name' for signals[{seen[key]}] and signals[{index}] must be unique"
                )
            seen.setdefault(key, index)
            occurred = now
            given = item.get("occurred_at_time") not in (None, "")
            if given:
                parsed = parse_timestamp(item["occurred_at_time"])
                if parsed is None:
                    problems.append(f"signals[{index}] 'occurred_at_time' is not a supported "
                                    "timestamp")
                else:
                    occurred = parsed
            money_key = "sale_amount" if old_shape and "sale_amount" in item else "revenue"
            revenue = "" if item.get(money_key) is None else str(item.get(money_key)).strip()
            if revenue and not _REVENUE.match(revenue):
                problems.append(f"signals[{index}] '{money_key}' must be a number with up to 2 "
                                "decimal places")
            value = True if item.get("value") in (None, "") else _boolean(item.get("value"))
            if value is None:
                problems.append(f"signals[{index}] 'value' must be true or false")
                value = True
            extra = {k: str(item.get(k) or "") for k in OLD_SIGNAL_FIELDS
                     if old_shape and k != "sale_amount" and k in item}
            out.append(_Signal("", name, puid, occurred, revenue, value, extra,
                               occurred_given=given))
        if unsupported:
            problems.insert(0, "The following params in 'signals' are not supported in this "
                               f"version: {', '.join(unsupported)}")
        return out

    @staticmethod
    def _parse_custom(raw: Sequence[Any], problems: list[str]) -> dict[str, Any]:
        custom: dict[str, Any] = {}
        for index, item in enumerate(raw):
            if not isinstance(item, Mapping):
                problems.append(f"custom_data[{index}] must be an object")
                continue
            name = str(item.get("name") or "").strip()
            if not name:
                problems.append(f"'name' for custom_data[{index}] is required")
            if "value" not in item or item.get("value") is None:
                problems.append(f"'value' for custom_data[{index}] is required")
            if name:
                custom[name] = item.get("value")
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
            "revenue": signal.revenue,
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
            "occurred_at_time_t": _epoch(signal.occurred_at),
            "occurred_at_time": _iso(signal.occurred_at),
        }
        if old_shape:
            body["description"] = signal.extra.get("description", "")
            body["sale_amount"] = signal.revenue
            body["value"] = "true" if signal.value else "false"
            for n in (1, 2, 3):
                if f"custom_parameter_{n}" in signal.extra:
                    body[f"custom_parameter_{n}"] = signal.extra[f"custom_parameter_{n}"]
        else:
            body["revenue"] = signal.revenue
            body["value"] = "true" if signal.value else "false"
        return body

    # ---- legacy Conversion Reporting ------------------------------------------------------

    def report_conversion(
        self, now: datetime, scope: CallScope, advertiser_id: int,
        form: Mapping[str, Any],
    ) -> Transaction:
        """Record a sale on the call it matches; returns the ``Reported Conversion`` row."""
        problems: dict[str, list[str]] = {}
        start = parse_timestamp(form.get("start_time_t"))
        if form.get("start_time_t") in (None, "") or start is None or not re.fullmatch(
            r"\d{10}", str(form.get("start_time_t")).strip()
        ):
            problems["start_time_t"] = ["is invalid"]
        seconds: int | None = None
        if form.get("duration_in_seconds") not in (None, ""):
            try:
                seconds = int(str(form["duration_in_seconds"]))
            except ValueError:
                problems["duration_in_seconds"] = ["is not a number"]
        amount = str(form.get("sale_amount") or "").strip()
        if amount:
            try:
                Decimal(amount)
            except InvalidOperation:
                problems["sale_amount"] = ["is not a number"]
        skus = _list(form, "sku_list")
        quantities = _list(form, "quantity_list")
        if quantities and len(quantities) != len(skus):
            problems["quantity_list"] = ["must have one quantity per sku"]
        if problems:
            raise RecordInvalid("Validation failed", field_errors=problems)
        assert start is not None
        reference = str(form.get("reference_id") or "").strip()
        caller = _digits(form.get("calling_phone_number"))
        dedupe = (str(int(start.timestamp())), ",".join(skus), str(form.get("reason_code") or ""))
        previous = (self._sales.get((advertiser_id, reference)) if reference
                    else self._sale_keys.get((advertiser_id, dedupe)))
        if previous is not None:
            call = self._original_call(previous.call_record_id)
        else:
            call = self._closest(start, scope, seconds, caller, "", "")
        if call is None or call.fields["advertiser_id"] != advertiser_id:
            where = f" from caller {caller}" if caller else ""
            raise NotFound(f"Couldn't find call around time {_iso(start)}{where}")
        row = dict(call.fields)
        for column in (*SIGNAL_COLUMNS, *CONVERSION_COLUMNS):
            row[column] = ""
        transaction_id = self.ids.next()
        row.update({
            "transaction_id": transaction_id,
            "transaction_type": "Reported Conversion",
            "corrects_transaction_id": previous.transaction_id if previous else "",
            "corrected_at": now.strftime("%Y-%m-%d %H:%M:%S +00:00") if previous else "",
            "original_order_id": reference,
            "sku_list": ",".join(skus),
            "quantity_list": ",".join(quantities),
            "sale_amount": amount,
            "opt_in_SMS": str(form.get("opt_in_SMS") or ""),
        })
        for column in CONVERSION_COLUMNS:
            if column not in ("sku_list", "quantity_list", "sale_amount") and column in form:
                row[column] = str(form.get(column) or "")
        sale = self.log.append(Transaction(call.network_id, call.start_at, row, {}))
        record = _Sale(transaction_id, call.call_record_id, dedupe)
        if reference:
            self._sales[(advertiser_id, reference)] = record
        self._sale_keys[(advertiser_id, dedupe)] = record
        return sale


def _list(form: Mapping[str, Any], name: str) -> list[str]:
    value = form.get(f"{name}[]", form.get(name))
    if value is None or value == "":
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]
