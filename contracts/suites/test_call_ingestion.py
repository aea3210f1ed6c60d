"""Suite 7, Call Ingestion: a submitted call, its repeats, and the transaction it becomes.

The stateful link of the Call Ingestion API (2022-03-01): ``POST /calls.json`` answers 201 and
the new call's ``cuid``; the same call again is 202 (the same ``cuid``), its
``external_call_unique_id`` with other call parameters is 409; once the documented processing
time has passed ("Requests may take up to 24 hours to process": the suite moves the target's
clock 24 hours on, the ``clock`` capability) the call is a ``Call`` row of the Transactions API
whose ``transaction_id`` and ``complete_call_id`` are the ``cuid``.

The call is submitted to the target's ExternalOnly campaign (``external_campaign_id_from_network``
of ``GET /_sandbox/world``); a target without one gets one, created through the Network
Integration API under the world's advertiser. The campaign checks are provoked with the
world's other campaign (not ExternalOnly) and, on a sandbox, a campaign whose sandbox field
``transcription_enabled`` is false.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import requests

from contracts.errors import (
    CALL_INGESTION_VERSION,
    NETWORK_VERSION,
    TRANSACTIONS_VERSION,
    Request,
    error_class,
    ingestion_call,
    operation_label,
)
from contracts.probe import Probe as BaseProbe
from contracts.report import Report
from contracts.target import Target

#: the documented longest processing time
PROCESSING_SECONDS = 24 * 3600
_ids = itertools.count(1)


class Probe(BaseProbe):
    """Sends the suite's requests and turns departures into recorded failures."""

    CHECK = "call_ingestion"
    SUITE = "call_ingestion"

    def send(self, request: Request, operation_id: str) -> requests.Response:
        self.report.record_case(operation_label(self.document, operation_id))
        response = request.send(self.target)
        response.request_curl = request.curl(self.target)  # type: ignore[attr-defined]
        return response


def _unique(target: Target) -> str:
    """An external_call_unique_id this run has not used (the target's instant keeps ids of
    runs against a target that was not reset apart)."""
    return f"contract-{(target.now() or '').replace(':', '')}-{next(_ids)}"


def _submit(probe: Probe, call: dict[str, Any], *, method: str = "POST",
            extra: dict[str, Any] | None = None) -> requests.Response:
    operation = "createIngestedCall" if method == "POST" else "updateIngestedCall"
    request = Request(method, f"/api/{CALL_INGESTION_VERSION}/calls.json",
                      headers=probe.target.auth_headers(),
                      json_body={"call": call, **(extra or {})})
    return probe.send(request, operation)


def _campaign(probe: Probe, *, transcription: bool = True) -> str:
    """The target's ExternalOnly campaign (created when the world names none, or when one
    with transcription off is asked for)."""
    target = probe.target
    world = target.world.get("external_campaign_id_from_network")
    if world and transcription:
        return str(world)
    advertiser = target.world.get("advertiser_id_from_network")
    if not advertiser or target.network_id is None:
        pytest.skip("the target names no ExternalOnly campaign and no advertiser to create one")
    ident = f"contract-external-{'on' if transcription else 'off'}"
    body: dict[str, Any] = {"id_from_network": ident, "name": f"Contract {ident}",
                            "campaign_type": "ExternalOnly"}
    if not transcription:
        body["transcription_enabled"] = False
    path = (f"/api/{NETWORK_VERSION}/{target.network_id}/advertisers/{advertiser}/"
            f"advertiser_campaigns/{ident}.json")
    answer = probe.send(Request("PUT", path, headers=target.auth_headers(), json_body=body),
                        "updateAdvertiserCampaign")
    if answer.status_code >= 300:
        pytest.fail(f"creating the ExternalOnly campaign answered {answer.status_code}: "
                    f"{answer.text[:300]}", pytrace=False)
    return ident


def _rows(probe: Probe, cuid: str) -> tuple[requests.Response, list[Any]]:
    target = probe.target
    answer = probe.send(Request(
        "GET", f"/api/{TRANSACTIONS_VERSION}/networks/transactions/{target.network_id}.json",
        headers=target.auth_headers(), params={"transaction_id": cuid}),
        "listNetworkTransactions")
    rows = answer.json() if answer.status_code == 200 else []
    return answer, rows if isinstance(rows, list) else []


@pytest.mark.changes_state
@pytest.mark.needs("clock")
def test_ingested_call_becomes_transaction_when_processed(
        contract_target: Target, contract_schema: Any, contract_report: Report) -> None:
    probe = Probe(contract_target, contract_report, contract_schema.raw_schema)
    campaign = _campaign(probe)
    call = ingestion_call(contract_target, _unique(contract_target), campaign=campaign)
    created = _submit(probe, call, extra={
        "signals": [{"name": "sale", "value": "true"}],
        "custom_data": [{"name": "channel", "value": "Contract"}]})
    probe.expect(created.status_code == 201, f"a new call answered {created.status_code}, "
                 "documented 201", created, "createIngestedCall")
    if created.status_code != 201:
        probe.finish()
    probe.expect(probe.conforms(created, "createIngestedCall"),
                 "the 201 body does not match CallIngestionResponse", created,
                 "createIngestedCall")
    cuid = str(created.json().get("cuid"))

    again = _submit(probe, call)
    probe.expect(again.status_code == 202, f"the same call again answered {again.status_code}, "
                 "documented 202 (already received)", again, "createIngestedCall")
    probe.expect(again.status_code != 202 or again.json().get("cuid") == cuid,
                 "the repeat's cuid is not the first answer's", again, "createIngestedCall")
    put = _submit(probe, call, method="PUT")
    probe.expect(put.status_code == 202, f"the same call by PUT answered {put.status_code}, "
                 "documented 202", put, "updateIngestedCall")
    reused = _submit(probe, {**call, "call_direction": "outbound"})
    probe.expect(reused.status_code == 409, f"a reused external_call_unique_id answered "
                 f"{reused.status_code}, documented 409", reused, "createIngestedCall")
    probe.expect(reused.status_code != 409 or probe.conforms(reused, "createIngestedCall"),
                 "the 409 body does not match the contract", reused, "createIngestedCall")

    contract_target.advance_clock(PROCESSING_SECONDS)
    answer, rows = _rows(probe, cuid)
    probe.expect(len(rows) == 1, f"{PROCESSING_SECONDS} s after it was submitted the call has "
                 f"{len(rows)} transaction rows by its cuid, expected 1", answer,
                 "listNetworkTransactions")
    if len(rows) == 1:
        row = rows[0]
        expected = {"transaction_id": cuid, "complete_call_id": cuid,
                    "transaction_type": "Call",
                    "advertiser_campaign_id_from_network": campaign}
        wrong = {key: row.get(key) for key, value in expected.items() if row.get(key) != value}
        probe.expect(not wrong, f"the ingested call's row differs: {wrong}", answer,
                     "listNetworkTransactions")
        digits = "".join(ch for ch in str(row.get("calling_phone_number")) if ch.isdigit())
        probe.expect(digits.endswith("8055550100"), "the row's calling_phone_number is not the "
                     "submitted one", answer, "listNetworkTransactions")
    probe.finish()


@pytest.mark.changes_state
def test_call_refused_as_documented_when_invalid(
        contract_target: Target, contract_schema: Any, contract_report: Report) -> None:
    probe = Probe(contract_target, contract_report, contract_schema.raw_schema)
    campaign = _campaign(probe)
    refusals: list[tuple[str, dict[str, Any], str, str | None]] = [
        ("no call parameters", {}, "RecordInvalid", "'start_time' is required"),
        ("a start_time in no documented format",
         ingestion_call(contract_target, _unique(contract_target), campaign=campaign,
                        start_time="11 April 2016"), "call.start_time", None),
        ("a destination outside the US, the UK and Spain",
         ingestion_call(contract_target, _unique(contract_target), campaign=campaign,
                        destination_phone_number="+33142685300"),
         "call.destination_phone_number", None),
        ("an unknown call_direction",
         ingestion_call(contract_target, _unique(contract_target), campaign=campaign,
                        call_direction="sideways"), "call.call_direction", None),
        ("a language_code not in the documented list",
         ingestion_call(contract_target, _unique(contract_target), campaign=campaign,
                        language_code="de-DE"), "call.language_code", None),
    ]
    other = contract_target.world.get("advertiser_campaign_id_from_network")
    if other:
        refusals.append(("a campaign that is not ExternalOnly",
                         ingestion_call(contract_target, _unique(contract_target),
                                        campaign=str(other)),
                         "call.advertiser_campaign_id_from_network",
                         "campaign must be for external calls only"))
    if contract_target.has("sandbox"):
        refusals.append(("a campaign without transcription",
                         ingestion_call(contract_target, _unique(contract_target),
                                        campaign=_campaign(probe, transcription=False)),
                         "call.advertiser_campaign_id_from_network",
                         "campaign must have transcription enabled"))
    for what, call, documented_class, words in refusals:
        answer = _submit(probe, call)
        body = answer.json() if answer.headers.get("Content-Type", "").startswith(
            "application/json") else None
        got = error_class("application/json", body)
        message = str(((body or {}).get("errors") or {}).get("invalid_data", ""))
        probe.expect(answer.status_code == 403 and got == documented_class
                     and (words is None or words in message),
                     f"{what}: answered {answer.status_code} {got!r}, documented 403 "
                     f"{documented_class!r}" + (f" saying {words!r}" if words else ""),
                     answer, "createIngestedCall")
        probe.expect(answer.status_code != 403 or probe.conforms(answer, "createIngestedCall"),
                     f"{what}: the 403 body does not match the contract", answer,
                     "createIngestedCall")
    probe.finish()
