"""RingPool allocation handlers: the legacy RingPool API and the Bulk RingPool API.

Thin adapters: one platform call each. The legacy API's three success shapes are the seed's:
JSON ``{"promo_number_formatted", "tracking_url", "promo_number"}``; XML ``<Response>`` with
``PromoNumberFormatted``, ``PromoNumber``, ``TrackingUrl``; CSV with that header and one row.
The Bulk API answers ``{"responses": [...]}`` in request order with a ``processing-time``
header (milliseconds, measured around the platform call).
"""

from __future__ import annotations

import time
from typing import Any

from mock_server.handlers import Call, Reply, body_of

__all__ = ["allocate_number", "bulk_allocate_numbers"]

ALLOCATION_COLUMNS = ("PromoNumberFormatted", "PromoNumber", "TrackingUrl")


def allocate_number(call: Call) -> Any:
    """GET: allocate a promo number (or the overflow number) from a RingPool."""
    result = call.platform.allocate_number(call.path["ring_pool_id"], call.query,
                                           version=call.version)
    if call.format == "json":
        return result.to_dict()
    return {
        "PromoNumberFormatted": result.promo_number_formatted,
        "PromoNumber": result.promo_number,
        "TrackingUrl": result.tracking_url,
    }


def bulk_allocate_numbers(call: Call) -> Any:
    """POST: allocate numbers for many visitors at once (Bulk RingPool API)."""
    started = time.perf_counter()
    rows = call.platform.bulk_allocate_numbers(body_of(call), version=call.version)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return Reply({"responses": rows}, headers={"processing-time": f"{elapsed_ms:.3f}"})
