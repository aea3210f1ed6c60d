"""Calls handlers: the Calls In Progress API and the Call API's transcripts.

Thin adapters, one platform call each:

* ``listCurrentCalls`` (GET, 200): ``{"current_calls": [...]}``.
* ``updateCallInProgress`` (PUT) / ``updateCallInProgressViaPost`` (POST): 202 with the
  call as the examples show it (the page's Response Codes: "202 Accepted: Only applicable for
  update requests").
* ``getCallTranscript`` (GET ``/call/transcript/{call_record_id}``, no version): the JSON
  array of the requested ``transcript_format``.
"""

from __future__ import annotations

from typing import Any

from mock_server.handlers import Call, Reply, body_of

__all__ = [
    "get_call_transcript",
    "list_current_calls",
    "update_call_in_progress",
    "update_call_in_progress_via_post",
]


def list_current_calls(call: Call) -> Any:
    """GET: the calls in progress of the organization the query names."""
    return call.platform.list_current_calls(call.principal, call.query, version=call.version)


def update_call_in_progress(call: Call) -> Any:
    """PUT: set custom data and the external unique id of a call in progress (202)."""
    return Reply(call.platform.update_call_in_progress(
        call.principal, call.query, body_of(call), version=call.version), status=202)


def update_call_in_progress_via_post(call: Call) -> Any:
    """POST: the same as PUT (202)."""
    return Reply(call.platform.update_call_in_progress_via_post(
        call.principal, call.query, body_of(call), version=call.version), status=202)


def get_call_transcript(call: Call) -> Any:
    """GET: the transcript of the call record in the path, in ``transcript_format``."""
    return call.platform.get_call_transcript(call.principal, *call.ids, call.query,
                                             version=call.version)
