"""Conversion handlers: the Signal API (both shapes) and legacy Conversion Reporting.

Thin adapters, one platform call each; only the status and body framing are decided here:

* ``reportSignals``/``updateSignals`` (2018-02-01 ``signals[]`` shape): 200 with the
  documented body; 201 with an empty body when ``call_in_progress`` was true (the platform
  answers ``{}`` then).
* ``reportSignal``/``updateSignal``/``reportTransactionSignal``/``updateTransactionSignal``
  (``signal`` shape, versions up to 2017-02-01): 201 when a new signal was created, 200 when an
  existing one was updated (its ``corrects_transaction_id`` is set); empty 201 for
  ``call_in_progress``.

The request bodies reach the platform as sent (the contract marks their schemas
``x-validated-by-model``): the model answers the documents' own error messages.
* ``reportConversion`` (POST, 201) / ``updateConversion`` (PUT, 200): the body is a single
  space, ``application/xml``, as the contract says. ``use_http_status=0`` (always 200/201,
  errors included, the error body kept) is applied by the frame (:mod:`mock_server.app`).
* ``reportPixelConversion`` / ``reportWebSale`` (the deprecated pixels, no credentials): always
  200 with a 1x1 transparent GIF, as an ``<img>`` tag needs; what the hit did is the sandbox
  header ``X-Sandbox-Conversion`` ("recorded <transaction id>", or "ignored: <class>:
  <message>" when the platform refused it: no tracking-link visit, a bad sale amount, an
  unknown advertiser or parent reference). A refused hit changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from mock_server.handlers import Call, Reply, body_of
from mock_server.rendering import JSON_TYPE, XML_TYPE
from simulator.errors import SandboxError

__all__ = [
    "report_conversion",
    "report_pixel_conversion",
    "report_signal",
    "report_signals",
    "report_transaction_signal",
    "report_web_sale",
    "update_conversion",
    "update_signal",
    "update_signals",
    "update_transaction_signal",
]


def _signals_reply(result: Any) -> Reply:
    if not result:
        return Reply(b"", status=201, content_type=JSON_TYPE)
    return Reply(result, status=200)


def _signal_reply(result: Any) -> Reply:
    if not result:
        return Reply(b"", status=201, content_type=JSON_TYPE)
    signal = result.get("signal") or {}
    return Reply(result, status=200 if signal.get("corrects_transaction_id") else 201)


def report_signals(call: Call) -> Any:
    """POST: report signals and custom data on a call (2018-02-01 shape)."""
    return _signals_reply(call.platform.report_signals(call.principal, body_of(call),
                                                       version=call.version))


def update_signals(call: Call) -> Any:
    """PUT: same as POST (2018-02-01 shape)."""
    return _signals_reply(call.platform.update_signals(call.principal, body_of(call),
                                                       version=call.version))


def report_signal(call: Call) -> Any:
    """POST: report one signal on the call ``search`` names (2016-08-01 shape)."""
    return _signal_reply(call.platform.report_signal(call.principal, body_of(call),
                                                     version=call.version))


def update_signal(call: Call) -> Any:
    """PUT: same as POST (2016-08-01 shape)."""
    return _signal_reply(call.platform.update_signal(call.principal, body_of(call),
                                                     version=call.version))


def report_transaction_signal(call: Call) -> Any:
    """POST: report one signal on the call whose transaction id is in the path."""
    return _signal_reply(call.platform.report_transaction_signal(
        call.principal, *call.ids, body_of(call), version=call.version))


def update_transaction_signal(call: Call) -> Any:
    """PUT: same as POST, with the transaction id in the path."""
    return _signal_reply(call.platform.update_transaction_signal(
        call.principal, *call.ids, body_of(call), version=call.version))


def report_conversion(call: Call) -> Any:
    """POST: report a call sale, a web conversion or an add-on to one (legacy Conversion
    Reporting, 201, body " ")."""
    call.platform.report_conversion(call.principal, *call.ids, body_of(call),
                                    version=call.version)
    return Reply(b" ", content_type=XML_TYPE)


def update_conversion(call: Call) -> Any:
    """PUT: same as POST (200)."""
    call.platform.update_conversion(call.principal, *call.ids, body_of(call),
                                    version=call.version)
    return Reply(b" ", content_type=XML_TYPE)


#: the 1x1 transparent GIF a conversion pixel answers
PIXEL_GIF = (b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01"
             b"\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")


def _pixel(record: Any) -> Reply:
    try:
        outcome = f"recorded {record()['transaction_id']}"
    except SandboxError as error:
        problems = getattr(error, "field_errors", None)
        detail = json.dumps(problems) if problems else str(error)
        outcome = f"ignored: {error.error_class}: {detail}"
    return Reply(PIXEL_GIF, status=200, content_type="image/gif", headers={
        "X-Sandbox-Conversion": " ".join(outcome.split()).encode(
            "ascii", "backslashreplace").decode()[:500],
        "Cache-Control": "no-cache, no-store"})


def report_pixel_conversion(call: Call) -> Any:
    """GET /pixels/conversion/<advertiser id>.gif?SALES_PARAMS (deprecated pixel)."""
    return _pixel(lambda: call.platform.report_pixel_conversion(*call.ids, dict(call.query)))


def report_web_sale(call: Call) -> Any:
    """GET /tracked_actions/web_sale/<advertiser id>?amount=&currency= (old pixel)."""
    return _pixel(lambda: call.platform.report_web_sale(*call.ids, dict(call.query)))
