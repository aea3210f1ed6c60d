"""A call's life over HTTP: the stateful link from a live call to its transaction and transcript.

One scripted flow (any target with the ``world``, ``clock`` and ``calls`` capabilities; the
calls it makes are its own, so it needs no reset):

1. ``POST /_sandbox/calls`` with phases (ringing :data:`RING_SECONDS`, then talking
   :data:`TALK_SECONDS`) and marketing data, to a promo number it creates on the world's
   campaign;
2. ``calls.not_live_before_transfer``: while it rings, Calls In Progress does not list it;
3. ``calls.live_after_transfer``: after the transfer it is listed (``call_status`` bridged,
   its ``call_record_id``, the marketing data with value and source), found by its
   ``transaction_id``;
4. ``calls.update_while_live``: ``PUT calls_in_progress.json`` sets an external unique id and a
   custom data value: 202, the answer names the new id, and the call is then found by it;
5. ``calls.gone_when_ended``: after its end it is no longer listed and an update is 404;
6. ``calls.transaction_carries_values``: the Transactions API row of its transaction carries
   the external unique id (named in ``include_columns``) and the custom data set during the
   call and given when it was made;
7. ``calls.transcript_formats``: ``GET /call/transcript/<complete_call_id>`` answers each of
   the four ``transcript_format`` values with its documented shape (``caller``/``agent``: one
   object; ``caller_agent_block``: the agent's block then the caller's; the conversation: one
   object per utterance, whose texts make the blocks); an unknown call record is 404.

Every departure is a problem (check name, text, reproduction), reported by the suite.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import requests

from contracts.errors import NETWORK_VERSION, Request
from contracts.reproduction import Reproduction, answer_text
from contracts.target import Target, TargetError

CALLS_IN_PROGRESS_VERSION = "2022-08-01"
TRANSACTIONS_VERSION = "2021-08-09"
RING_SECONDS = 30
TALK_SECONDS = 300
FORMATS = ("caller", "agent", "caller_agent_block", "caller_agent_conversation")
#: the checks of the flow (the report lists them)
CHECKS = ("calls.not_live_before_transfer", "calls.live_after_transfer",
          "calls.update_while_live", "calls.gone_when_ended",
          "calls.transaction_carries_values", "calls.transcript_formats")
#: operationId -> label, for the report
OPERATIONS = {
    "listCurrentCalls": "GET /api/{version}/calls_in_progress/current_calls.json",
    "updateCallInProgress": "PUT /api/{version}/calls_in_progress.json",
    "listNetworkTransactions": "GET /api/{version}/networks/transactions/{network_id}.{format}",
    "getCallTranscript": "GET /call/transcript/{call_record_id}",
}

_runs = itertools.count(1)


@dataclass
class Flow:
    """The flow's requests and the problems found."""

    target: Target
    #: (check, message, reproduction: the flow's requests up to the failing answer)
    problems: list[tuple[str, str, Reproduction]] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)

    def send(self, request: Request, operation_id: str) -> requests.Response:
        self.cases.append(OPERATIONS.get(operation_id, operation_id))
        response = request.send(self.target)
        response.request_curl = request.curl(self.target)  # type: ignore[attr-defined]
        return response

    def expect(self, ok: bool, check: str, problem: str, response: requests.Response | None
               ) -> bool:
        if not ok:
            message = problem if response is None else f"{problem}\n{answer_text(response)}"
            self.problems.append((check, message, self.target.reproduction(response)))
        return ok

    # ---------------------------------------------------------------- requests

    def _organization(self) -> dict[str, str]:
        return {"id": str(self.target.network_id), "organization_type": "Network"}

    def current(self, **filters: str) -> requests.Response:
        return self.send(Request(
            "GET", f"/api/{CALLS_IN_PROGRESS_VERSION}/calls_in_progress/current_calls.json",
            headers=self.target.auth_headers(), params={**self._organization(), **filters}),
            "listCurrentCalls")

    def update(self, body: Any, **lookup: str) -> requests.Response:
        return self.send(Request(
            "PUT", f"/api/{CALLS_IN_PROGRESS_VERSION}/calls_in_progress.json",
            headers=self.target.auth_headers(), params={**self._organization(), **lookup},
            json_body=body), "updateCallInProgress")

    def listed(self, response: requests.Response) -> list[dict[str, Any]]:
        try:
            body = response.json()
        except ValueError:
            return []
        calls = body.get("current_calls") if isinstance(body, dict) else None
        return [call for call in calls or [] if isinstance(call, dict)]

    def promo_number(self) -> str:
        world = self.target.world
        advertiser = world.get("advertiser_id_from_network")
        campaign = world.get("advertiser_campaign_id_from_network")
        path = (f"/api/{NETWORK_VERSION}/{self.target.network_id}/advertisers/{advertiser}/"
                f"advertiser_campaigns/{campaign}/promo_numbers.json")
        answer = self.target.request("POST", path, headers=self.target.auth_headers(),
                                     json={"description": "Contract live call",
                                           "media_type": "Online: Display"})
        if answer.status_code >= 300:
            raise TargetError(f"creating a promo number answered {answer.status_code}: "
                              f"{answer.text[:200]}")
        return str(answer.json()["promo_number"])


def run(target: Target) -> Flow:
    """The flow against ``target`` (its problems are in the returned :class:`Flow`)."""
    flow = Flow(target)
    run_id = next(_runs)
    external = f"contract-call-{run_id}"
    made = target.control("calls", {
        "promo_number": flow.promo_number(), "ring_seconds": RING_SECONDS,
        "talk_seconds": TALK_SECONDS, "custom_data": {"channel": "Contract"}})
    transaction_id = str(made["transaction_id"])
    record_id = str(made.get("complete_call_id") or transaction_id)

    ringing = flow.current(transaction_id=transaction_id)
    flow.expect(ringing.status_code == 200 and not flow.listed(ringing),
                "calls.not_live_before_transfer",
                f"while ringing the call is listed ({ringing.status_code} "
                f"{ringing.text[:160]!r}); documented: available once transferred", ringing)

    target.advance_clock(RING_SECONDS)
    live = flow.current(transaction_id=transaction_id)
    calls = flow.listed(live)
    if flow.expect(live.status_code == 200 and len(calls) == 1,
                   "calls.live_after_transfer",
                   f"after the transfer, current_calls by transaction_id answered "
                   f"{live.status_code} with {len(calls)} calls", live):
        call = calls[0]
        custom = call.get("custom_data") or {}
        flow.expect(call.get("transaction_id") == transaction_id
                    and call.get("call_status") == "bridged"
                    and call.get("call_record_id") == record_id
                    and (custom.get("channel") or {}).get("value") == "Contract"
                    and bool((custom.get("channel") or {}).get("source")),
                    "calls.live_after_transfer",
                    f"the live call is listed as {str(call)[:300]}", live)

    updated = flow.update({"call_in_progress": {
        "external_unique_id": external,
        "custom_data": [{"name": "lead_type", "value": "Contract lead"}]}},
        transaction_id=transaction_id)
    answered = flow.listed(updated)
    flow.expect(updated.status_code == 202 and len(answered) == 1
                and answered[0].get("external_unique_id") == external,
                "calls.update_while_live",
                f"the update answered {updated.status_code} {updated.text[:200]!r}; documented "
                f"202 and the call with its external_unique_id", updated)
    by_external = flow.current(external_unique_id=external)
    flow.expect([c.get("transaction_id") for c in flow.listed(by_external)] == [transaction_id],
                "calls.update_while_live",
                f"current_calls by the external_unique_id just set answered "
                f"{by_external.status_code} {by_external.text[:200]!r}", by_external)
    early = flow.send(Request("GET", f"/call/transcript/{record_id}",
                              headers=target.auth_headers(),
                              params={"transcript_format": "caller"}), "getCallTranscript")
    flow.expect(early.status_code == 404, "calls.transcript_formats",
                f"the transcript of a call in progress answered {early.status_code}; "
                "the sandbox serves transcripts of ended calls (404 before)", early)

    target.advance_clock(TALK_SECONDS)
    ended = flow.current(transaction_id=transaction_id)
    flow.expect(ended.status_code == 200 and not flow.listed(ended), "calls.gone_when_ended",
                f"after its end the call is still listed ({ended.text[:160]!r})", ended)
    late = flow.update({"call_in_progress": {"external_unique_id": f"{external}-late"}},
                       transaction_id=transaction_id)
    flow.expect(late.status_code == 404, "calls.gone_when_ended",
                f"an update after the end answered {late.status_code}; documented 404", late)

    columns = "transaction_id,complete_call_id,external_unique_id,custom_data"
    rows_answer = flow.send(Request(
        "GET", f"/api/{TRANSACTIONS_VERSION}/networks/transactions/{target.network_id}.json",
        headers=target.auth_headers(),
        params={"transaction_id": transaction_id, "include_columns": columns}),
        "listNetworkTransactions")
    rows = rows_answer.json() if rows_answer.status_code == 200 else []
    if flow.expect(isinstance(rows, list) and len(rows) == 1,
                   "calls.transaction_carries_values",
                   f"the ended call's transaction is not listed: {rows_answer.status_code} "
                   f"{rows_answer.text[:200]!r}", rows_answer):
        row = rows[0]
        values = {item.get("name"): item.get("value") for item in row.get("custom_data") or []
                  if isinstance(item, dict)}
        flow.expect(row.get("external_unique_id") == external
                    and values.get("lead_type") == "Contract lead"
                    and values.get("channel") == "Contract"
                    and row.get("complete_call_id") == record_id,
                    "calls.transaction_carries_values",
                    f"the transaction row lacks what was set during the call: {str(row)[:300]}",
                    rows_answer)

    blocks: dict[str, list[dict[str, Any]]] = {}
    for transcript_format in FORMATS:
        answer = flow.send(Request("GET", f"/call/transcript/{record_id}",
                                   headers=target.auth_headers(),
                                   params={"transcript_format": transcript_format}),
                           "getCallTranscript")
        body: Any = answer.json() if answer.status_code == 200 else None
        shaped = isinstance(body, list) and all(
            isinstance(item, dict) and len(item) == 1 and set(item) <= {"agent", "caller"}
            and isinstance(next(iter(item.values())), str) for item in body)
        if flow.expect(shaped, "calls.transcript_formats",
                       f"transcript_format={transcript_format} answered {answer.status_code} "
                       f"{answer.text[:200]!r}", answer):
            blocks[transcript_format] = body
    if len(blocks) == len(FORMATS):
        conversation = blocks["caller_agent_conversation"]

        def said(speaker: str) -> str:
            return ", ".join(item[speaker] for item in conversation if speaker in item)

        flow.expect(blocks["caller"] == [{"caller": said("caller")}]
                    and blocks["agent"] == [{"agent": said("agent")}]
                    and blocks["caller_agent_block"] == [{"agent": said("agent")},
                                                         {"caller": said("caller")}]
                    and len(conversation) > 0,
                    "calls.transcript_formats",
                    "the four formats do not tell the same conversation", None)
    unknown = flow.send(Request("GET", "/call/transcript/NO-SUCH-CALL",
                                headers=target.auth_headers(),
                                params={"transcript_format": "agent"}), "getCallTranscript")
    flow.expect(unknown.status_code == 404, "calls.transcript_formats",
                f"an unknown call record answered {unknown.status_code}; expected 404", unknown)
    return flow
