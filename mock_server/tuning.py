"""Serving tuning: what ``invoca-sandbox serve`` does to its process for speed, and nothing
else does (an app built by ``create_app`` elsewhere runs with Python's defaults).

The cyclic garbage collector, settled for a long-lived server (:func:`settle_collector`):

1. What start-up built (the contract, compiled routes, the world) lives as long as the process:
   it is frozen out of the collector's passes (shorter pauses, and the pages a forked granian
   worker shares with its parent stay shared).
2. Full passes are rare (:data:`GC_THRESHOLDS`): one scans every retained allocation record
   (~100 ms with a pool at its retention of 100,000), and what the app keeps (records, events,
   journal entries) holds no reference cycles: reference counting frees it.
3. Young passes run every :data:`GC_PACE` requests (:func:`pace_collector`): Python starts one
   when allocations outnumber deallocations, which a pool at its retention never does under
   steady load (it frees a record for each it keeps), so without pacing the young generation
   grew until one long pass. Measurements: bench/README.md, "Paced collector".
"""

from __future__ import annotations

import gc
import itertools
from typing import Any

from flask import Flask

#: the collector's thresholds while serving: young passes as Python's default (700
#: allocations, 10), a full pass at most every 1,000 middle passes instead of every 10
GC_THRESHOLDS = (700, 10, 1000)
#: requests between the young passes :func:`pace_collector` runs (every tenth of them,
#: ``GC_THRESHOLDS[1]``, also collects the middle generation)
GC_PACE = 64


def settle_collector(app: Flask) -> None:
    """Set this process's collector up for serving ``app`` (rules 1 to 3 above): call it in the
    process that serves, once the app is built."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    pace_collector(app)


def pace_collector(app: Flask, every: int = GC_PACE) -> None:
    """Run a young pass of the collector before every ``every``-th request ``app`` answers
    (every ``GC_THRESHOLDS[1]``-th of them a middle-generation pass)."""
    inner = app.wsgi_app
    served = itertools.count(1)
    middle = every * GC_THRESHOLDS[1]

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        number = next(served)  # (one C call: atomic under the GIL)
        if not number % every:
            gc.collect(0 if number % middle else 1)
        return inner(environ, start_response)

    app.wsgi_app = wsgi  # type: ignore[method-assign]
