"""The Signal API: signals and custom data reported on a call.

Rules of this module:

* A request names *the call* with its ``search`` (:mod:`simulator.call_search`): by
  ``transaction_id`` (any transaction of the call), ``call_record_id``, or ``call_start_time``
  (closest match, optionally narrowed by calling number, duration, advertiser and campaign).
* The whole request is read before anything changes, and answered with the documents' own
  errors: top-level ``revenue`` (RecordInvalid); every input problem of a 2018-02-01 request
  packed into one ``InvalidInput`` message joined with ``"; "`` (the docs' "Example Bad
  Request"); every problem of an old-shape request (up to 2017-02-01) in one ``RecordInvalid``
  "Validation failed: ..." joined with ``", "`` (Rails' wording, the old docs' class); no
  call: ``RecordNotFound``; more signals than the contract's ``maxItems``: ``RecordInvalid``.
* ``call_in_progress`` true: only required fields are checked (search, signal names, custom
  data names and values); other problems are not returned and the answer is empty.
* Signals are unique by (``name`` case-insensitively, ``partner_unique_id``) within a call.
  A new one is a ``Signal`` transaction; reporting it again with other values is an update:
  a new transaction whose ``corrects_transaction_id`` names the one it replaces; reporting it
  again with the same values changes nothing and answers the existing transaction. A signal
  name keeps the casing it was first reported with (per network).
* Custom data makes a correction of the call: a new ``Call`` row with the custom values
  applied and ``corrects_transaction_id`` = the call's latest row.
* The 2018-02-01 signal keys are the contract's ``SignalWrite`` properties; the bounds the
  model words itself are the contract's ``x-model-checks``.

Sandbox choices (for docs/fidelity.md):

* Custom Data Field names need not be configured first (the sandbox has no data dictionary);
  their data type is ``Short Text`` and source ``Api``.
* ``call_in_progress: true`` applies the signals at once when the request is valid and a call
  matches (simulated calls have already ended), and answers an empty body, which the mock
  sends with 201; otherwise nothing is applied.
* Top-level ``partner_unique_id`` and ``occurred_at_time`` (documented with the Signal
  Transactions Rollup feature) are the defaults of signals that do not give their own; the
  rollup grouping into ``Post Call Event`` transactions is not modelled.
* Problems the docs do not word are worded in the style of the ones they do.
* Old-shape requests (up to 2017-02-01): keys the shape does not know are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from openapi.contract import load_spec, resolve
from simulator.call_search import CallScope, CallSearch
from simulator.errors import InvalidInput, RecordInvalid, RecordNotFound
from simulator.reported_values import (
    epoch_text,
    given,
    iso_text,
    parse_boolean,
    parse_money,
    parse_timestamp,
    phone_digits,
    render_money,
    scalar_text,
)
from simulator.transactions import CustomValue, Transaction, TransactionIds, TransactionLog

__all__ = ["MAX_SIGNALS", "SignalBook"]


def _properties(schema: str) -> dict[str, Any]:
    spec = load_spec()
    properties: dict[str, Any] = resolve(spec, spec["components"]["schemas"][schema])[
        "properties"]
    return properties


#: the 2018-02-01 signal keys (any other is "not supported in this version")
SIGNAL_FIELDS = tuple(_properties("SignalWrite"))
MAX_SIGNALS: int = _properties("SignalsRequest")["signals"]["x-model-checks"]["maxItems"]
#: "Up to 255 character string": the old shape's custom parameters, by number
CUSTOM_PARAMETER_LENGTH: dict[int, int] = {
    n: _properties("SignalLegacyWrite")[f"custom_parameter_{n}"]["x-model-checks"]["maxLength"]
    for n in (1, 2, 3)
}
#: the old shape's free-text signal fields (2016-10-01 branch; dropped in 2018-02-01)
OLD_TEXT_FIELDS = ("description", "custom_parameter_1", "custom_parameter_2",
                   "custom_parameter_3")

# ---- the documents' own words (signal_api/index.rst, branches 2022-08-01 and 2016-10-01) ----
NO_CALL = "No call found. Please refer to the documentation."
SEARCH_EMPTY = "transaction_id, call_record_id, or call_start_time must not be empty"
#: the same problem in the old shape (2016-10-01 branch, versions up to 2017-02-01)
SEARCH_ABSENT = "transaction_id or call_start_time must be present"
TOP_LEVEL_REVENUE = ("Revenue must be specified on each Signal instead of at the top level "
                     "header of the request")
SIGNALS_LIMITED = f"Validation failed: Signals are limited to {MAX_SIGNALS}"
UNSUPPORTED = "The following params in 'signals' are not supported in this version: "


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


class SignalBook:
    """The signals and custom data reported on calls, recorded as transactions."""

    def __init__(self, log: TransactionLog, ids: TransactionIds, calls: CallSearch) -> None:
        self.log = log
        self.ids = ids
        self.calls = calls
        #: call record id -> (name.lower(), partner_unique_id) -> latest signal
        self._signals: dict[str, dict[tuple[str, str], _Signal]] = {}
        #: network id -> lower-case signal name -> first casing seen
        self._names: dict[int, dict[str, str]] = {}
        #: call record id -> latest Call row's transaction id
        self._latest_call: dict[str, str] = {}

    def latest_call(self, call_record_id: str) -> Transaction | None:
        latest = self._latest_call.get(call_record_id)
        if latest is not None:
            found = self.log.get(latest)
            if found is not None:
                return found
        return self.calls.original_call(call_record_id)

    @staticmethod
    def _search_problems(search: Mapping[str, Any], words: _Words) -> list[_Problem]:
        """What is wrong with a Signal API ``search`` (empty: the one required problem)."""
        named = [search.get(key) for key in ("transaction_id", "call_record_id",
                                             "call_start_time")]
        if not any(given(scalar_text(value)) for value in named):
            return [_Problem(words.search_empty(), required=True)]
        if any(given(scalar_text(value)) for value in named[:2]):
            return []  # "The optional parameters are ignored when using the transaction_id"
        problems: list[_Problem] = []
        if parse_timestamp(search.get("call_start_time")) is None:
            problems.append(_Problem("call_start_time is not a supported timestamp"))
        duration = scalar_text(search.get("duration_in_seconds"))
        if given(duration) and not str(duration).strip().isdigit():
            problems.append(_Problem("duration_in_seconds must be an integer"))
        return problems

    def find_call(self, search: Mapping[str, Any], scope: CallScope) -> Transaction | None:
        """The call a (valid) Signal API ``search`` names, or None."""
        transaction_id = (scalar_text(search.get("transaction_id")) or "").strip()
        call_record_id = (scalar_text(search.get("call_record_id")) or "").strip()
        if transaction_id or call_record_id:
            if transaction_id:
                row = self.log.get(transaction_id)
                record = row.call_record_id if row is not None else ""
                if call_record_id and record != call_record_id:
                    record = ""
            else:
                record = call_record_id
            call = self.calls.original_call(record) if record else None
            return call if call is not None and self.calls.in_scope(call, scope) else None
        at = parse_timestamp(search.get("call_start_time"))
        if at is None:
            return None
        duration = (scalar_text(search.get("duration_in_seconds")) or "").strip()
        return self.calls.closest(
            at, scope, int(duration) if duration else None,
            phone_digits(scalar_text(search.get("calling_phone_number"))),
            advertiser=scalar_text(search.get("advertiser_id_from_network")) or "",
            campaign=scalar_text(search.get("advertiser_campaign_id_from_network")) or "",
        )

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
            "start_time_t": epoch_text(call.start_at),
            "call_start_time": iso_text(call.start_at),
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
            if given(body.get(key))
        }
        signals = self._parse_signals(now, raw, defaults, words, problems)
        custom: dict[str, Any] = {}
        if not words.old:
            custom = self._parse_custom(body.get("custom_data"), problems)
        in_progress = False
        if given(body.get("call_in_progress")):
            flag = parse_boolean(body["call_in_progress"])
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
            values = {**defaults, **{k: v for k, v in item.items() if v is not None}}
            name = (scalar_text(values.get("name")) or "").strip()
            if not name:
                found.append(_Problem(words.name_required(index), required=True))
            puid = scalar_text(values.get("partner_unique_id")) or ""
            key = (name.lower(), puid)
            if name and key in seen and not words.old:
                found.append(_Problem(
                    f"'name' for signals[{seen[key]}] and signals[{index}] must be unique"))
            seen.setdefault(key, index)
            occurred = now
            occurred_given = given(values.get("occurred_at_time"))
            if occurred_given:
                parsed = parse_timestamp(values["occurred_at_time"])
                if parsed is None:
                    found.append(_Problem(words.timestamp(index)))
                else:
                    occurred = parsed
            revenue, valid = parse_money(values.get("sale_amount" if words.old else "revenue"))
            if not valid:
                found.append(_Problem(words.money(index)))
            value = True if not given(values.get("value")) else parse_boolean(values["value"])
            if value is None:
                found.append(_Problem(words.value(index)))
                value = True
            extra: dict[str, str] = {}
            if words.old:
                extra = {k: scalar_text(item[k]) or "" for k in OLD_TEXT_FIELDS if k in item}
                for n in (1, 2, 3):
                    limit = CUSTOM_PARAMETER_LENGTH[n]
                    if len(extra.get(f"custom_parameter_{n}", "")) > limit:
                        found.append(_Problem(f"Custom parameter {n} is too long (maximum is "
                                              f"{limit} characters)"))
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
            name = (scalar_text(item.get("name")) or "").strip()
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
        row = dict(call.fields)  # a Call row: no sale, no signal columns set
        row.update({
            "transaction_id": signal.transaction_id,
            "transaction_type": "Signal",
            "corrects_transaction_id": signal.corrects_transaction_id or "",
            "corrected_at": (now.strftime("%Y-%m-%d %H:%M:%S +00:00")
                             if signal.corrects_transaction_id else ""),
            "signal_name": signal.name,
            "signal_description": signal.extra.get("description", ""),
            "signal_partner_unique_id": signal.partner_unique_id,
            "signal_occurred_at": epoch_text(signal.occurred_at),
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
        body["occurred_at_time_t"] = epoch_text(signal.occurred_at)
        body["occurred_at_time"] = iso_text(signal.occurred_at)
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

