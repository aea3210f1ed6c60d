"""Legacy Conversion Reporting: sales and web conversions reported on calls.

Rules of this module (docs: conversion_reporting.rst):

* A call sale needs ``start_time_t``; a new web conversion ``web_conversion=1``,
  ``reference_id``, ``advertiser_campaign_id`` and ``affiliate_id_from_network``; an add-on
  ``web_conversion=1`` and ``parent_reference_id``. Each becomes a ``Reported Conversion``
  transaction recording the form fields the contract marks ``x-transaction-column``.
* A call sale is matched by ``reference_id`` (a repeat updates the earlier sale), else by
  calling number, else by the nearest start time and duration
  (:meth:`simulator.call_search.CallSearch.closest`).
* Sales are unique per (call, ``sku_list``, ``reason_code``): a repeat with other values
  updates (a new row correcting the previous one), with the same values changes nothing.
* Every problem of a form is one ``RecordInvalid`` naming each field; the value rules the
  contract holds (``start_time_t``'s pattern, ``x-model-checks``) come from it.

Sandbox choices (for docs/fidelity.md):

* The legacy ``conversion_reporting_id`` is the advertiser's internal id; the matching window
  is 24 hours; ``call_center_call_id`` (the docs' former name) is read as ``reference_id``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openapi.contract import load_spec, resolve
from simulator.call_search import CallScope, CallSearch
from simulator.errors import NotFound, RecordInvalid
from simulator.reported_values import (
    caller_shown,
    given,
    parse_boolean,
    parse_money,
    phone_digits,
    scalar_text,
)
from simulator.transactions import Transaction, TransactionIds, TransactionLog, time_fields

__all__ = ["SALE_COLUMNS", "SaleBook"]


def _form_fields() -> dict[str, Any]:
    spec = load_spec()
    fields: dict[str, Any] = resolve(spec, spec["components"]["schemas"]["ConversionRequest"])[
        "properties"]
    return fields


_FORM = _form_fields()
#: the transaction columns a sale records from its form (``sku_list[]`` in ``sku_list``)
SALE_COLUMNS = tuple(name.removesuffix("[]") for name, schema in _FORM.items()
                     if schema.get("x-transaction-column"))
_START_TIME_T = re.compile(_FORM["start_time_t"]["pattern"])
_CURRENCY = re.compile(_FORM["sale_currency"]["x-model-checks"]["pattern"])
_OPT_IN = frozenset(_FORM["opt_in_SMS"]["x-model-checks"]["enum"])
#: a web conversion is "not tied to a call": no call time
WEB_DURATIONS = {"duration": 0, "connect_duration": 0, "ivr_duration": 0}


@dataclass
class _Sale:
    transaction_id: str
    call_record_id: str
    values: dict[str, str]


class SaleBook:
    """The sales and web conversions reported, recorded as transactions."""

    def __init__(self, log: TransactionLog, ids: TransactionIds, calls: CallSearch) -> None:
        self.log = log
        self.ids = ids
        self.calls = calls
        #: (advertiser id, reference id) -> the call sale it names
        self._sales: dict[tuple[int, str], _Sale] = {}
        #: (advertiser id, reference id) -> the web conversion it names
        self._web: dict[tuple[int, str], _Sale] = {}
        #: (advertiser id, what it is on, sku list, reason code) -> latest sale: "Sales are
        #: considered unique using a combination of start_time_t + SKU_list + reason code"
        self._sale_keys: dict[tuple[int, str, str, str], _Sale] = {}
        #: how many new conversions the pixels recorded (names those without a reference_id)
        self.pixel_conversions = 0

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
        call = self.calls.original_call(known.call_record_id) if known is not None else None
        if call is None:
            known = None
            call = self.calls.closest(read.start, scope, read.seconds, phone_digits(read.caller))
        if call is None:
            where = f" from caller {caller_shown(read.caller)}" if read.caller else ""
            raise NotFound(f"Couldn't find call around time {read.start_time_t}{where}")
        key = (advertiser_id, call.call_record_id, *read.dedupe)
        sale = self._record_sale(now, call, known or self._sale_keys.get(key), read.values,
                                 reference=read.reference, key=key)
        if read.reference:
            self._sales[(advertiser_id, read.reference)] = self._sale_keys[key]
        return sale

    def report_pixel(self, now: datetime, network_id: int, advertiser_id: int,
                     form: Mapping[str, Any], credit: Mapping[str, Any] | None, *,
                     tied: bool = True) -> Transaction:
        """A Conversion Reporting Pixel hit (docs: conversion_reporting_pixel.rst): a web
        conversion credited by ``credit`` (the fields of the visit the tracking link drove;
        ``None``: no visit, :class:`NotFound`), or with ``parent_reference_id`` an update of
        an earlier one. Its reference is the form's ``reference_id`` (unless not ``tied``:
        the old web sale pixel), else ``pixel-<n>`` (n counts the pixel conversions)."""
        read = _ConversionForm({**form, "web_conversion": "1"}, pixel=True)
        if read.problems:
            raise RecordInvalid("Validation failed", field_errors=read.problems)
        if read.parent and tied:
            return self.report_conversion(now, CallScope(network_id), advertiser_id,
                                          {**form, "web_conversion": "1"}, _no_attribution)
        if credit is None:
            raise NotFound("No tracking-link visit to credit: the pixel needs a visitor who "
                           "came through an Invoca tracking link")
        self.pixel_conversions += 1
        reference = read.reference if tied and read.reference else (
            f"pixel-{self.pixel_conversions}")
        key = (advertiser_id, f"web {reference}", "", "")
        base = Transaction(network_id, now, {**credit, **time_fields(now), **WEB_DURATIONS}, {})
        previous = self._web.get((advertiser_id, reference))
        if previous is not None and self.log.get(previous.transaction_id) is None:
            previous = None
        if previous is not None:
            found = self.log.get(previous.transaction_id)
            assert found is not None
            base = found
        sale = self._record_sale(now, base, previous, read.values, reference=reference, key=key)
        self._web[(advertiser_id, reference)] = self._sale_keys[key]
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
        row = dict(base.fields)  # no signal columns set; the sale's are all in ``values``
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



def _no_attribution(campaign: str, affiliate: str) -> Mapping[str, Any]:
    raise NotFound("An update names its parent_reference_id")  # pragma: no cover


class _ConversionForm:
    """A Conversion Reporting request, read and checked (docs: conversion_reporting.rst)."""

    def __init__(self, form: Mapping[str, Any], *, pixel: bool = False) -> None:
        self.problems: dict[str, list[str]] = {}
        web = scalar_text(form.get("web_conversion"))
        flag = parse_boolean(web) if given(web) else False
        if flag is None:
            self._problem("web_conversion", "is not included in the list")
        self.web = bool(flag)
        self.reference = (scalar_text(form.get("reference_id", form.get("call_center_call_id")))
                          or "").strip()
        self.parent = (scalar_text(form.get("parent_reference_id")) or "").strip()
        self.campaign = (scalar_text(form.get("advertiser_campaign_id")) or "").strip()
        self.affiliate = (scalar_text(form.get("affiliate_id_from_network")) or "").strip()
        self.caller = (scalar_text(form.get("calling_phone_number")) or "").strip()
        self.start_time_t = (scalar_text(form.get("start_time_t")) or "").strip()
        self.start: datetime | None = None
        if self.web and not self.parent and not pixel:
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
            elif not _START_TIME_T.search(self.start_time_t):
                self._problem("start_time_t", "must be a 10 digit time_t")
            else:
                self.start = datetime.fromtimestamp(int(self.start_time_t), UTC)
        duration = (scalar_text(form.get("duration_in_seconds")) or "").strip()
        self.seconds = int(duration) if duration.isdigit() else None
        if duration and self.seconds is None:
            self._problem("duration_in_seconds", "is not a number")
        amount, valid = parse_money(scalar_text(form.get("sale_amount")))
        if not valid:
            self._problem("sale_amount", "is not a number")
        currency = (scalar_text(form.get("sale_currency")) or "").strip()
        if currency and not _CURRENCY.search(currency):
            # the words of Invoca's own client library spec (call_center_api-ruby)
            self._problem("money", f'is invalid ["Currency {currency} is not supported"]')
        skus = _list(form, "sku_list")
        quantities = _list(form, "quantity_list")
        if quantities and len(quantities) != len(skus):
            self._problem("quantity_list", "must have one quantity per sku")
        if any(not q.strip().isdigit() or int(q) < 1 for q in quantities):
            self._problem("quantity_list", "must be 1 or greater")
        opt_in = (scalar_text(form.get("opt_in_SMS")) or "").strip()
        if opt_in not in _OPT_IN:
            self._problem("opt_in_SMS", "is not included in the list")
        self.dedupe = (",".join(skus), (scalar_text(form.get("reason_code")) or "").strip())
        #: the columns the report sets (compared to tell an update from a repeat)
        read = {
            "sku_list": ",".join(skus),
            "quantity_list": ",".join(quantities),
            "sale_amount": "" if amount is None else f"{amount:.2f}",
            "opt_in_SMS": opt_in,
        }
        self.values = {column: read[column] if column in read
                       else (scalar_text(form.get(column)) or "").strip()
                       for column in SALE_COLUMNS}

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
