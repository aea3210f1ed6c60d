"""The call a Signal or Conversion Reporting request reports on.

* Only original ``Call`` transactions are candidates (not their corrections, not signals or
  sales), and only those of the caller's scope: a network, optionally one advertiser.
* Closest match: the call nearest the given start time, within 24 hours of it (a sandbox
  choice), optionally narrowed by calling number, advertiser and campaign; with a duration,
  20 s of start time weigh as much as 1 s of duration. Ties go to the older call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from simulator.reported_values import phone_digits
from simulator.transactions import Transaction, TransactionLog

__all__ = ["MATCH_WINDOW", "CallScope", "CallSearch"]

MATCH_WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class CallScope:
    """Which calls a caller may report on: a network, optionally one advertiser."""

    network_id: int
    advertiser_id_from_network: str | None = None


class CallSearch:
    """Finds calls in a transaction log."""

    def __init__(self, log: TransactionLog) -> None:
        self.log = log

    @staticmethod
    def in_scope(row: Transaction, scope: CallScope) -> bool:
        if row.network_id != scope.network_id:
            return False
        return (scope.advertiser_id_from_network is None
                or row.fields["advertiser_id_from_network"] == scope.advertiser_id_from_network)

    def original_call(self, call_record_id: str) -> Transaction | None:
        """The call's first ``Call`` row (not a correction), or None."""
        for row in self.log.for_call(call_record_id):
            fields = row.fields
            if fields["transaction_type"] == "Call" and not fields["corrects_transaction_id"]:
                return row
        return None

    def closest(self, at: datetime, scope: CallScope, seconds: int | None, caller: str, *,
                advertiser: str = "", campaign: str = "") -> Transaction | None:
        """The call nearest ``at``; ``caller`` digits, ``advertiser`` and ``campaign``
        (ids_from_network) narrow it when given ("" = any)."""
        best: tuple[float, int] | None = None
        chosen: Transaction | None = None
        for index, row in enumerate(self.log.all()):
            fields = row.fields
            if fields["transaction_type"] != "Call" or fields["corrects_transaction_id"]:
                continue
            if not self.in_scope(row, scope) or abs(row.start_at - at) > MATCH_WINDOW:
                continue
            if caller and phone_digits(fields["calling_phone_number"]) != caller:
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
