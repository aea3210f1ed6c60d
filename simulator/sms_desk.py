"""The SMS desk of the platform: the SMS Messaging API's operations (a part of
:class:`Platform`; the model is :mod:`simulator.sms`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from simulator import sms as sms_model
from simulator.errors import SandboxError
from simulator.principals import Principal
from simulator.resources.store import Store
from simulator.sms import SmsBook, SmsPage


class SmsDesk:
    """The SMS Messaging API of :class:`simulator.platform.Platform` (a mixin: the platform
    holds the state it uses)."""

    directory: Store
    sms: SmsBook
    _lock: Any
    #: the platform's clock (simulator.journal.Journaled)
    now: Callable[[], datetime]

    # ---- SMS Messaging API (simulator/sms.py) -----------------------------------------------

    def _sms_network(self, principal: Principal) -> int:
        """The network whose SMS numbers and messages ``principal`` reaches: network tokens
        only (anyone else is the documents' 403 ``Forbidden``)."""
        if principal.role != "network":
            raise sms_model.SmsForbidden()
        return int(principal.network_id)

    def _promo_number_id(self, network_id: int, phone_number: str) -> int | None:
        """The id (``virtual_line_id``) of the network's promo number ``phone_number``
        (E.164), or None when it is not one of the network's promo numbers."""
        try:
            network = self.directory.network(network_id)
        except SandboxError:
            return None
        for advertiser in network.advertisers.values():
            for campaign in advertiser.campaigns.values():
                holders: list[Any] = [campaign, *campaign.affiliate_campaigns.values()]
                for holder in holders:
                    for promo in holder.promo_numbers.values():
                        if sms_model.e164_of(promo.promo_number) == phone_number:
                            return int(promo.id)
        return None

    def _sms_page(self, rows: Any, query: Mapping[str, Any], listing: Any,
                  render: Callable[[Any], dict[str, Any]]) -> SmsPage:
        return sms_model.page_of(list(rows), query, listing, self.now(), render)

    def list_sms_phone_numbers(self, principal: Principal, query: Mapping[str, Any]) -> SmsPage:
        with self._lock:
            network_id = self._sms_network(principal)
            return self._sms_page(self.sms.numbers_of(network_id), query, sms_model.NUMBER_FIELDS,
                                  lambda number: number.summary())

    def get_sms_phone_number(self, principal: Principal, phone_number: str) -> dict[str, Any]:
        with self._lock:
            network_id = self._sms_network(principal)
            return {"phone_number": self.sms.number(network_id, phone_number).detail()}

    def create_sms_phone_number(self, principal: Principal,
                                phone_number: str) -> tuple[dict[str, Any], bool]:
        """Enable one of the network's promo numbers for SMS: (the number, True when new;
        False when a disabled one was enabled again)."""
        with self._lock:
            network_id = self._sms_network(principal)
            number, new = self.sms.enable(network_id, phone_number,
                                          self._promo_number_id(network_id, phone_number),
                                          self.now())
            return {"phone_number": number.detail()}, new

    def delete_sms_phone_number(self, principal: Principal,
                                phone_number: str) -> dict[str, Any]:
        with self._lock:
            network_id = self._sms_network(principal)
            return {"phone_number": self.sms.disable(network_id, phone_number,
                                                     self.now()).detail()}

    def create_sms_messages(self, principal: Principal, body: Any) -> SmsPage:
        """Send each request's text to each of its recipients (202: queued)."""
        with self._lock:
            network_id = self._sms_network(principal)
            made = self.sms.send(network_id, body, self.now())
            return SmsPage([message.summary() for message in made], 1, sms_model.DEFAULT_LIMIT,
                           len(made))

    def list_sms_messages(self, principal: Principal, query: Mapping[str, Any]) -> SmsPage:
        with self._lock:
            network_id = self._sms_network(principal)
            self.sms.settle(self.now())
            return self._sms_page(self.sms.messages_of(network_id), query, sms_model.MESSAGE_FIELDS,
                                  lambda message: message.summary())

    def list_sms_messages_by_phone_number(self, principal: Principal, phone_number: str,
                                          query: Mapping[str, Any]) -> SmsPage:
        with self._lock:
            network_id = self._sms_network(principal)
            self.sms.settle(self.now())
            rows = self.sms.messages_of(network_id, phone_number)
            if not rows:
                raise sms_model.SmsNotFound(sms_model.NO_MESSAGES_FOR_NUMBER)
            return self._sms_page(rows, query, sms_model.MESSAGE_FIELDS,
                                  lambda message: message.summary())

    def get_sms_phone_number_usage(self, principal: Principal,
                                   phone_number: str) -> dict[str, Any]:
        with self._lock:
            network_id = self._sms_network(principal)
            return self.sms.usage(network_id, phone_number)

    def get_sms_message(self, principal: Principal, message_uuid: str) -> dict[str, Any]:
        with self._lock:
            network_id = self._sms_network(principal)
            self.sms.settle(self.now())
            return {"message": self.sms.message(network_id, message_uuid).detail()}

    def delete_sms_message(self, principal: Principal, message_uuid: str) -> dict[str, Any]:
        """Soft-delete a message (``deleted_at``; a deleted one is answered as it is)."""
        with self._lock:
            network_id = self._sms_network(principal)
            self.sms.settle(self.now())
            return {"message": self.sms.delete(network_id, message_uuid, self.now()).detail()}

    def list_sms_delivery_reports(self, principal: Principal, message_uuid: str,
                                  query: Mapping[str, Any]) -> SmsPage:
        with self._lock:
            network_id = self._sms_network(principal)
            self.sms.settle(self.now())
            message = self.sms.message(network_id, message_uuid)
            return self._sms_page(message.reports, query, sms_model.REPORT_FIELDS,
                                  lambda report: report.summary())

    def get_sms_delivery_report(self, principal: Principal, message_uuid: str,
                                delivery_report_uuid: str) -> dict[str, Any]:
        with self._lock:
            network_id = self._sms_network(principal)
            self.sms.settle(self.now())
            return {"delivery_report": self.sms.report(network_id, message_uuid,
                                                       delivery_report_uuid).detail()}

    def add_incoming_sms(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /_sandbox/sms``: a message from ``from`` to the enabled SMS number ``to``."""
        with self._lock:
            if not isinstance(body, Mapping):
                raise sms_model.SmsBadRequest(
                    'Bad Request - send {"from": ..., "to": ..., "text": ...}')
            message = self.sms.receive(body.get("from"), body.get("to"), body.get("text"),
                                       self.now())
            return {"message": message.detail()}
