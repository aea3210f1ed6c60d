"""Suite 9, SMS Messaging: an SMS-enabled number, a message sent, read, reported and deleted.

The stateful links of the SMS Messaging API (2022-08-01, ``/sms/2022-08-01``, ``Authorization:
Bearer <token>`` only): a promo number of the target's network (created through the Network
Integration API under the world's campaign) is enabled (201; again 409), a message with an
emoji and more than 70 UTF-16 units is sent to it (202, two UCS-2 segments), read by uuid, in
the listings and by phone number; on a target with a clock its delivery reports arrive
(``sent``, then ``delivered`` or ``failed``); on a sandbox an inbound reply
(``POST /_sandbox/sms``) counts in the usage; the message is deleted (soft: ``deleted_at``)
and the number disabled. Every answer must match the contract's schema of its status; a raw
token (no ``Bearer``) must be 401 in the family's ``{"message": ...}`` shape.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from contracts.errors import NETWORK_VERSION, Request, operation_label
from contracts.probe import Probe as BaseProbe
from contracts.report import Report
from contracts.target import Target

SMS = "/sms/2022-08-01"
#: two UCS-2 segments: an emoji (two UTF-16 units) and 79 units in all
TEXT = "Your table is ready 😀 " + "Please come to the front desk now." * 2
RECIPIENT = "+12125550123"


class Probe(BaseProbe):
    """Sends the suite's requests and turns departures into recorded failures."""

    CHECK = "sms_messaging"
    SUITE = "sms"

    def headers(self) -> dict[str, str]:
        if self.target.token is None:
            pytest.skip("the SMS Messaging API needs an API token (Bearer)")
        return {"Authorization": f"Bearer {self.target.token}"}

    def send(self, method: str, path: str, operation_id: str, **kwargs: Any) -> requests.Response:
        request = Request(method, path, headers=kwargs.pop("headers", self.headers()), **kwargs)
        self.report.record_case(operation_label(self.document, operation_id))
        response = request.send(self.target)
        response.request_curl = request.curl(self.target)  # type: ignore[attr-defined]
        self.expect(self.conforms(response, operation_id),
                    f"the {response.status_code} body does not match the contract",
                    response, operation_id)
        return response


def _promo_number(probe: Probe) -> str:
    """A new promo number of the world's campaign, in E.164."""
    target = probe.target
    advertiser = target.world.get("advertiser_id_from_network")
    campaign = target.world.get("advertiser_campaign_id_from_network")
    if not advertiser or not campaign or target.network_id is None:
        pytest.skip("the target names no advertiser campaign to hold a promo number")
    path = (f"/api/{NETWORK_VERSION}/{target.network_id}/advertisers/{advertiser}/"
            f"advertiser_campaigns/{campaign}/promo_numbers.json")
    answer = Request("POST", path, headers=target.auth_headers(),
                     json_body={"description": "Contract SMS line",
                                "media_type": "Online: Search"}).send(target)
    if answer.status_code != 201:
        pytest.fail(f"creating a promo number answered {answer.status_code}: "
                    f"{answer.text[:300]}", pytrace=False)
    digits = "".join(ch for ch in str(answer.json().get("promo_number")) if ch.isdigit())
    return "+" + (digits if len(digits) > 10 else "1" + digits)


@pytest.mark.changes_state
def test_message_is_sent_read_and_deleted_when_number_is_enabled(
        contract_target: Target, contract_schema: Any, contract_report: Report) -> None:
    probe = Probe(contract_target, contract_report, contract_schema.raw_schema)
    number = _promo_number(probe)
    enabled = probe.send("POST", f"{SMS}/phone_numbers/{number}", "createSmsPhoneNumber")
    probe.expect(enabled.status_code == 201, f"enabling a promo number answered "
                 f"{enabled.status_code}, documented 201", enabled, "createSmsPhoneNumber")
    again = probe.send("POST", f"{SMS}/phone_numbers/{number}", "createSmsPhoneNumber")
    probe.expect(again.status_code == 409, f"enabling it again answered {again.status_code}, "
                 "documented 409", again, "createSmsPhoneNumber")
    read = probe.send("GET", f"{SMS}/phone_numbers/{number}", "getSmsPhoneNumber")
    probe.expect(read.status_code == 200, f"reading the number answered {read.status_code}",
                 read, "getSmsPhoneNumber")
    listed = probe.send("GET", f"{SMS}/phone_numbers", "listSmsPhoneNumbers",
                        params={"phone_number[eq]": number})
    probe.expect(listed.status_code == 200 and len(listed.json().get("phone_numbers", [])) == 1,
                 "the number is not listed once by phone_number[eq]", listed,
                 "listSmsPhoneNumbers")

    sent = probe.send("POST", f"{SMS}/messages", "createSmsMessages",
                      json_body=[{"from": number, "to": [RECIPIENT], "text": TEXT}])
    probe.expect(sent.status_code == 202, f"sending answered {sent.status_code}, documented "
                 "202", sent, "createSmsMessages")
    if sent.status_code != 202:
        probe.finish()
    uuid = str(sent.json()["messages"][0]["uuid"])
    message = probe.send("GET", f"{SMS}/messages/uuid/{uuid}", "getSmsMessage")
    probe.expect(message.status_code == 200 and message.json()["message"]["segments"] == 2,
                 "the message is not two (UCS-2) segments", message, "getSmsMessage")
    mine = probe.send("GET", f"{SMS}/messages/phone_number/{number}",
                      "listSmsMessagesByPhoneNumber", params={"sort": "created_at:desc"})
    probe.expect(mine.status_code == 200
                 and [m["uuid"] for m in mine.json()["messages"]][:1] == [uuid],
                 "the message is not the newest of its number", mine,
                 "listSmsMessagesByPhoneNumber")
    everything = probe.send("GET", f"{SMS}/messages", "listSmsMessages",
                            params={"from[eq]": number, "limit": 1})
    probe.expect(everything.status_code == 200
                 and everything.json()["pagination"]["items"] == 1,
                 "the listing's pagination does not say items 1", everything, "listSmsMessages")

    if contract_target.has("clock"):
        contract_target.advance_clock(3600)
        reports = probe.send("GET", f"{SMS}/messages/uuid/{uuid}/delivery_reports",
                             "listSmsDeliveryReports")
        found = reports.json().get("delivery_reports", []) if reports.status_code == 200 else []
        probe.expect(len(found) == 2, f"an hour on, the message has {len(found)} delivery "
                     "reports, expected sent and then delivered or failed", reports,
                     "listSmsDeliveryReports")
        if found:
            one = probe.send("GET", f"{SMS}/messages/uuid/{uuid}/delivery_reports/uuid/"
                             f"{found[-1]['uuid']}", "getSmsDeliveryReport")
            probe.expect(one.status_code == 200, f"reading a delivery report answered "
                         f"{one.status_code}", one, "getSmsDeliveryReport")
    inbound = 0
    if contract_target.has("sms"):
        contract_target.control("sms", {"from": RECIPIENT, "to": number, "text": "On my way"})
        inbound = 1
    usage = probe.send("GET", f"{SMS}/messages/phone_number/{number}/usage",
                       "getSmsPhoneNumberUsage")
    counts = usage.json().get("messages", {}) if usage.status_code == 200 else {}
    probe.expect(counts.get("outgoing") == {"segments": 2, "messages": 1}
                 and (counts.get("incoming") or {}).get("messages") == inbound,
                 f"the usage does not count 1 outgoing message (2 segments) and {inbound} "
                 "incoming", usage, "getSmsPhoneNumberUsage")

    deleted = probe.send("DELETE", f"{SMS}/messages/uuid/{uuid}", "deleteSmsMessage")
    probe.expect(deleted.status_code == 200
                 and deleted.json()["message"]["deleted_at"] is not None,
                 "the deleted message has no deleted_at", deleted, "deleteSmsMessage")
    disabled = probe.send("DELETE", f"{SMS}/phone_numbers/{number}", "deleteSmsPhoneNumber")
    probe.expect(disabled.status_code == 200
                 and disabled.json()["phone_number"]["deleted_at"] is not None,
                 "the disabled number has no deleted_at", disabled, "deleteSmsPhoneNumber")
    probe.finish()


def test_request_is_refused_as_documented_when_invalid(
        contract_target: Target, contract_schema: Any, contract_report: Report) -> None:
    probe = Probe(contract_target, contract_report, contract_schema.raw_schema)
    if contract_target.token is None:
        pytest.skip("the SMS Messaging API needs an API token")
    raw = probe.send("GET", f"{SMS}/phone_numbers", "listSmsPhoneNumbers",
                     headers={"Authorization": contract_target.token})
    probe.expect(raw.status_code == 401, f"a raw token (no Bearer) answered {raw.status_code}, "
                 "expected 401", raw, "listSmsPhoneNumbers")
    invalid = probe.send("GET", f"{SMS}/phone_numbers/not-a-number", "getSmsPhoneNumber")
    probe.expect(invalid.status_code == 422, f"a number that is not E.164 answered "
                 f"{invalid.status_code}, documented 422", invalid, "getSmsPhoneNumber")
    missing = probe.send("GET", f"{SMS}/messages/uuid/contract-missing-0", "getSmsMessage")
    probe.expect(missing.status_code == 404, f"an unknown message answered "
                 f"{missing.status_code}, documented 404", missing, "getSmsMessage")
    sort = probe.send("GET", f"{SMS}/messages", "listSmsMessages",
                      params={"sort": "destination"})
    probe.expect(sort.status_code == 422, f"an unsupported sort column answered "
                 f"{sort.status_code}, documented 422", sort, "listSmsMessages")
    probe.finish()
