"""Bulk RingPool API in-process: CPU cost per request and per row, optionally profiled.

Usage::

    .venv/bin/python bench/serve/bulk.py                    # 2,000 requests of 100 rows
    .venv/bin/python bench/serve/bulk.py --requests 500 --profile 25

Drives the sandbox's WSGI app in-process (the callable the servers run, fast dispatch
included), built as ``bench/serve/run.py`` builds it (demo world of seed 0, full number range,
the garbage collector settled as ``serve`` settles it) but on a manual clock:
the bulk pool is resized through the Network Integration API (``--pool-size`` numbers,
lifetime 1 s), every number is provisioned first, then each request sends 100 rows (the body
``run.py`` sends; no row overflows) and the clock moves ``--step`` seconds per request (1 ms:
100,000 allocations per simulated second), so holds end and numbers recycle as they do when
served at that rate. Reports ``time.process_time`` per request and per row (median of
``--repeat`` passes) with the garbage collector's share, and, with ``--profile N``, the N top
functions of a cProfile run.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
BULK_ROWS = 100


def environ(method: str, path: str, body: bytes = b"") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "HTTP_HOST": "127.0.0.1:8080",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)) if body else "",
        "CONTENT_TYPE": "application/json" if body else "", "HTTP_ACCEPT": "application/json",
    }


def build(pool_size: int) -> tuple[Any, Any, bytes]:
    """The app, its platform and the 100-row body (after provisioning the bulk pool)."""
    sys.path.insert(0, str(ROOT))
    from mock_server.app import create_app, sandbox_state  # noqa: PLC0415
    from mock_server.tuning import settle_collector  # noqa: PLC0415

    app: Any = create_app({"SEED": 0, "CLOCK": "manual", "NUMBERS": "valid",
                           "NUMBERS_PER_NETWORK": 1_000_000})
    platform = sandbox_state(app).platform
    settle_collector(app)  # as ``serve`` does before serving
    world = platform.world_summary()
    client = app.test_client()
    campaign = "/api/2016-10-01/1/advertisers/adv-1/advertiser_campaigns/camp-1/ring_pools"
    resized = client.put(f"{campaign}/rp-bulk-1.json", headers={
        "Authorization": world["api_token"]}, json={
        "pool_type": "Custom", "destination_type": "Advertiser", "max_pool_size": pool_size,
        "lifetime_seconds": 1})
    if resized.status_code != 200:
        raise SystemExit(f"resizing: {resized.status_code} {resized.data[:200]!r}")
    key = world["bulk_ring_pool"]["api_key"]
    provision = orjson.dumps({"requests": [
        {"api_suffix": f"2/allocate_number.json?ring_pool_key={key}&utm_source=provision"}
    ] * 1000})
    for _ in range(-(-pool_size // 1000)):
        client.post("/api/2013-07-01/bulk.json", data=provision,
                    content_type="application/json")
    platform.advance_clock(1.0)  # the provisioning holds end: from here on no overflow
    body = orjson.dumps({"requests": [
        {"api_suffix": f"2/allocate_number.json?ring_pool_key={key}&utm_source=row{n}",
         "request_id": f"r{n}"} for n in range(BULK_ROWS)]})
    return app, platform, body


#: seconds the cyclic garbage collector took, per generation (gc.callbacks)
GC_SECONDS = [0.0, 0.0, 0.0]
_gc_started = [0.0]


def _gc_timer(phase: str, info: dict[str, int]) -> None:
    if phase == "start":
        _gc_started[0] = time.process_time()
    else:
        GC_SECONDS[info["generation"]] += time.process_time() - _gc_started[0]


def run(app: Any, platform: Any, body: bytes, requests: int,
        step: float) -> tuple[float, dict[str, int]]:
    statuses: dict[str, int] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses[status] = statuses.get(status, 0) + 1
        return None

    path = "/api/2013-07-01/bulk.json"
    clock = platform.clock
    started = time.process_time()
    for _ in range(requests):
        b"".join(app(environ("POST", path, body), start_response))
        clock.advance(step)  # the pool recycles ended holds itself, as when served
    return time.process_time() - started, statuses


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=2000, help="requests per pass (2,000)")
    p.add_argument("--repeat", type=int, default=3, help="passes (median; 3)")
    p.add_argument("--pool-size", type=int, default=150_000, help="bulk pool size (150,000)")
    p.add_argument("--step", type=float, default=0.001, help="clock step per request (0.001 s)")
    p.add_argument("--gc-threshold", default=None,
                   help="gc.set_threshold for the measured passes, e.g. 700,10,10")
    p.add_argument("--profile", type=int, default=0, help="print the N top functions")
    p.add_argument("--sort", default="tottime", help="profile sort key (tottime)")
    args = p.parse_args(argv)
    app, platform, body = build(args.pool_size)
    run(app, platform, body, 200, args.step)  # warm up
    if args.gc_threshold:
        gc.set_threshold(*(int(n) for n in args.gc_threshold.split(",")))
    times = []
    gc.callbacks.append(_gc_timer)
    for _ in range(args.repeat):
        GC_SECONDS[:] = [0.0, 0.0, 0.0]
        spent, statuses = run(app, platform, body, args.requests, args.step)
        times.append(spent)
        per = spent / args.requests
        collector = " ".join(f"{s / args.requests * 1e6:.0f}" for s in GC_SECONDS)
        print(f"{args.requests} requests: {per * 1e6:8.1f} us/request, "
              f"{per / BULK_ROWS * 1e6:6.2f} us/row, "
              f"{args.requests * BULK_ROWS / spent:10,.0f} alloc/s CPU; gc us/request by "
              f"generation {collector}; {statuses}", flush=True)
    gc.callbacks.remove(_gc_timer)
    best = statistics.median(times) / args.requests
    print(f"median: {best * 1e6:.1f} us/request, {best / BULK_ROWS * 1e6:.2f} us/row")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        run(app, platform, body, args.requests, args.step)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
