"""The conversions desk of the platform: the Signal API, the legacy Conversion Reporting API and
the deprecated conversion pixel (a part of :class:`Platform`; the rules are
:mod:`simulator.conversions`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from simulator.conversions import CallScope, ConversionBook
from simulator.errors import NotFound, RecordInvalid, UnauthorizedAdvertiser, UnauthorizedOperation
from simulator.principals import Principal
from simulator.resources.store import Store, require_object
from simulator.transactions import (
    TransactionLog,
    blank_row,
)


class ConversionDesk:
    """The conversion operations of :class:`simulator.platform.Platform` (a mixin: the platform
    holds the state they use)."""

    directory: Store
    conversions: ConversionBook
    transactions: TransactionLog
    _lock: Any
    #: the platform's clock, settle step and row fields (simulator.journal, simulator.call_desk)
    now: Callable[[], datetime]
    _settle_calls: Callable[[], None]
    _campaign_fields: Callable[..., None]

    # ---- conversions: Signal API and legacy Conversion Reporting ---------------------------

    def _signal_scope(self, principal: Principal, search: Any) -> CallScope:
        """The calls ``principal`` may report signals on; the search's network, advertiser
        and campaign filters must be ones it reaches (403 ``UnauthorizedAdvertiser``)."""
        if principal.role == "affiliate":
            raise UnauthorizedOperation(
                "You do not have permissions to perform the requested operation."
            )
        scope = CallScope(principal.network_id, principal.advertiser_id_from_network)
        if not isinstance(search, Mapping):
            return scope
        network = search.get("network_id")
        if network not in (None, "") and str(network) != str(principal.network_id):
            raise UnauthorizedAdvertiser("You do not have access to this network")
        network_obj = self.directory.networks.get(principal.network_id)
        advertisers = list(network_obj.advertisers.values()) if network_obj else []
        advertiser = search.get("advertiser_id_from_network")
        if advertiser not in (None, ""):
            # "only allowed when reporting as network user, and advertiser must be in same
            # network"
            if principal.role != "network" or str(advertiser) not in {
                a.id_from_network for a in advertisers
            }:
                raise UnauthorizedAdvertiser("You do not have access to this advertiser")
            advertisers = [a for a in advertisers if a.id_from_network == str(advertiser)]
        if principal.role == "advertiser":
            advertisers = [a for a in advertisers
                           if a.id_from_network == principal.advertiser_id_from_network]
        campaign = search.get("advertiser_campaign_id_from_network")
        if campaign not in (None, "") and not any(str(campaign) in a.campaigns
                                                  for a in advertisers):
            # "campaign must be in the organization accessed via API"
            raise UnauthorizedAdvertiser("You do not have access to this advertiser campaign")
        return scope

    def report_signals(self, principal: Principal, body: Mapping[str, Any], *,
                       version: str | None = None) -> dict[str, Any]:
        """Signal API (2018-02-01 shape): apply ``signals[]`` and ``custom_data[]`` to a call.

        Returns the documented body; ``{}`` when ``call_in_progress`` is true (the mock
        answers 201 then).
        """
        with self._lock:
            self._settle_calls()
            scope = self._signal_scope(principal, require_object(body).get("search"))
            return self.conversions.report_signals(self.now(), scope, body)

    update_signals = report_signals

    def report_signal(self, principal: Principal, body: Mapping[str, Any], *,
                      version: str | None = None) -> dict[str, Any]:
        """Signal API (2016-08-01 shape): one ``signal`` on the call ``search`` names."""
        with self._lock:
            self._settle_calls()
            scope = self._signal_scope(principal, require_object(body).get("search"))
            return self.conversions.report_signals(self.now(), scope, body, old_shape=True)

    update_signal = report_signal

    def report_transaction_signal(self, principal: Principal, transaction_id: str,
                                  body: Mapping[str, Any], *,
                                  version: str | None = None) -> dict[str, Any]:
        """Signal API (2016-08-01 shape) with the call's transaction id in the path."""
        with self._lock:
            self._settle_calls()
            scope = self._signal_scope(principal, None)
            require_object(body)
            return self.conversions.report_signals(self.now(), scope, body, old_shape=True,
                                                   transaction_id=str(transaction_id))

    update_transaction_signal = report_transaction_signal

    def report_conversion(self, principal: Principal, conversion_reporting_id: int | str,
                          body: Mapping[str, Any], *,
                          version: str | None = None) -> dict[str, Any]:
        """Legacy Conversion Reporting: a call sale, web conversion or add-on (the new row)."""
        with self._lock:
            self._settle_calls()
            if principal.role == "affiliate":
                raise UnauthorizedOperation(
                    "You do not have permissions to perform the requested operation."
                )
            try:
                advertiser = self.directory.advertisers_by_id.get(int(conversion_reporting_id))
            except (TypeError, ValueError):
                advertiser = None
            if (advertiser is None or advertiser.network.id != principal.network_id
                    or (principal.role == "advertiser" and advertiser.id_from_network
                        != principal.advertiser_id_from_network)):
                raise NotFound(
                    f"Couldn't find conversion reporting id {conversion_reporting_id}"
                )
            credited = advertiser

            def attribute(campaign_id: str, affiliate_id: str) -> dict[str, Any]:
                """The fields crediting a web conversion: "the publisher must be approved to
                the advertiser campaign specified"."""
                campaign = next((c for c in credited.campaigns.values()
                                 if str(c.id) == campaign_id), None)
                campaign = campaign or credited.campaigns.get(campaign_id)
                if campaign is None:
                    raise NotFound(f"Couldn't find advertiser campaign {campaign_id}")
                held = campaign.affiliate_campaigns.get(affiliate_id)
                if held is None or held.values.get("status") != "Approved":
                    raise RecordInvalid(field_errors={"affiliate_id_from_network": [
                        f"{affiliate_id} is not approved to advertiser campaign {campaign_id}"
                    ]})
                fields = blank_row()
                self._campaign_fields(fields, campaign, affiliate_id)
                return fields

            scope = CallScope(principal.network_id, advertiser.id_from_network)
            sale = self.conversions.report_conversion(self.now(), scope, advertiser.id,
                                                      require_object(body), attribute)
            return sale.to_dict()

    update_conversion = report_conversion

    def _visit_credit(self, advertiser: Any) -> dict[str, Any] | None:
        """The row fields of the latest tracking-link visit to ``advertiser``: its latest
        RingPool allocation at or before now (campaign and affiliate), or None."""
        now = self.now()
        best: tuple[Any, Any] | None = None
        for campaign in advertiser.campaigns.values():
            pools = [*campaign.ring_pools.values(),
                     *(pool for held in campaign.affiliate_campaigns.values()
                       for pool in held.ring_pools.values())]
            for pool in pools:
                for allocation in pool.allocations():
                    if allocation.allocated_at <= now and (
                            best is None or allocation.allocated_at >= best[0].allocated_at):
                        best = (allocation, campaign)
        if best is None:
            return None
        fields = blank_row()
        self._campaign_fields(fields, best[1], best[0].affiliate_id_from_network)
        return fields

    def _pixel(self, advertiser_id: int | str, form: Mapping[str, Any], *,
               tied: bool) -> dict[str, Any]:
        with self._lock:
            self._settle_calls()
            try:
                advertiser = self.directory.advertisers_by_id.get(int(advertiser_id))
            except (TypeError, ValueError):
                advertiser = None
            if advertiser is None:
                raise NotFound(f"Couldn't find advertiser {advertiser_id}")
            sale = self.conversions.report_pixel(
                self.now(), advertiser.network.id, advertiser.id, form,
                self._visit_credit(advertiser), tied=tied)
            return {"transaction_id": sale.fields["transaction_id"]}

    def report_pixel_conversion(self, advertiser_id: int | str,
                                query: Mapping[str, Any]) -> dict[str, Any]:
        """Conversion Reporting Pixel (deprecated): a web conversion credited to the visit
        the tracking link drove (the latest allocation of the advertiser's pools)."""
        return self._pixel(advertiser_id, query, tied=True)

    def report_web_sale(self, advertiser_id: int | str,
                        query: Mapping[str, Any]) -> dict[str, Any]:
        """The old web sale pixel (before December 2012): ``amount``, ``currency``; never tied
        to a ``reference_id``."""
        form = {"sale_amount": query.get("amount"), "sale_currency": query.get("currency")}
        return self._pixel(advertiser_id, {k: v for k, v in form.items() if v is not None},
                           tied=False)
