"""Call Ingestion handlers: calls from other telephony systems (2022-03-01).

Thin adapters, one platform call each; only the status is decided here: 201 with the new
call's ``cuid``, 202 (the same body) when the platform says the call was already received.
The request body reaches the platform as sent (the contract marks its schema
``x-validated-by-model``): the model answers the documents' own errors.
"""

from __future__ import annotations

from typing import Any

from mock_server.handlers import Call, Reply, body_of

__all__ = ["create_ingested_call", "update_ingested_call"]


def _reply(receipt: Any) -> Reply:
    return Reply(receipt.to_dict(), status=202 if receipt.already_received else 201)


def create_ingested_call(call: Call) -> Any:
    """POST: submit a call (201 new, 202 already received)."""
    return _reply(call.platform.create_ingested_call(call.principal, body_of(call),
                                                     version=call.version))


def update_ingested_call(call: Call) -> Any:
    """PUT: the same as POST ("we will also accept PUT requests with the same request
    format"): 201 for a new call, 202 for one already received."""
    return _reply(call.platform.update_ingested_call(call.principal, body_of(call),
                                                     version=call.version))
