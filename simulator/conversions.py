"""Conversions: what the Signal API and the legacy Conversion Reporting API record on calls.

Both APIs first find *the call* (:mod:`simulator.call_search`) and record what they report
as transactions of the shared :class:`~simulator.transactions.TransactionLog`:

* :mod:`simulator.signals`: signals (``Signal`` rows) and custom data (a corrected ``Call``
  row);
* :mod:`simulator.conversion_reporting`: sales and web conversions (``Reported Conversion``
  rows);
* :mod:`simulator.reported_values`: how both read money, timestamps and flags.

:class:`ConversionBook` is what the platform holds: one book per platform, both APIs over one
log and one id stream.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from simulator.call_search import CallScope, CallSearch
from simulator.conversion_reporting import SaleBook
from simulator.signals import SignalBook
from simulator.transactions import Transaction, TransactionIds, TransactionLog

__all__ = ["CallScope", "ConversionBook"]


class ConversionBook:
    """The signals and sales reported on calls, recorded as transactions."""

    def __init__(self, log: TransactionLog, ids: TransactionIds) -> None:
        calls = CallSearch(log)
        self.signals = SignalBook(log, ids, calls)
        self.sales = SaleBook(log, ids, calls)

    def report_signals(self, now: datetime, scope: CallScope, body: Mapping[str, Any], *,
                       old_shape: bool = False,
                       transaction_id: str | None = None) -> dict[str, Any]:
        """Apply a Signal API request; returns the response body (``{}``: call in progress)."""
        return self.signals.report_signals(now, scope, body, old_shape=old_shape,
                                           transaction_id=transaction_id)

    def report_conversion(
        self, now: datetime, scope: CallScope, advertiser_id: int,
        form: Mapping[str, Any], attribute: Callable[[str, str], Mapping[str, Any]],
    ) -> Transaction:
        """Record a call sale, a web conversion or an add-on to one; returns the row."""
        return self.sales.report_conversion(now, scope, advertiser_id, form, attribute)

    def report_pixel(self, now: datetime, network_id: int, advertiser_id: int,
                     form: Mapping[str, Any], credit: Mapping[str, Any] | None, *,
                     tied: bool = True) -> Transaction:
        """A Conversion Reporting Pixel hit (:meth:`SaleBook.report_pixel`)."""
        return self.sales.report_pixel(now, network_id, advertiser_id, form, credit, tied=tied)
