"""Memory of the served app over millions of allocations: RSS must stay flat (within 10%).

Usage::

    .venv/bin/python bench/serve/rss.py                      # 10,000,000 allocations
    .venv/bin/python bench/serve/rss.py --total 2000000      # a shorter run

Drives the sandbox's WSGI app in-process (the same callable the servers run, fast dispatch
included) with the demo world of seed 0 on a manual clock: Bulk requests of 100 rows to the
bulk pool (resized to 30,000 numbers, lifetime 1 s, full number range) make up the bulk of
the allocations, and every tenth request is a legacy ``allocate_number.json`` (so the request
journal, the allocation log, the event log and the platform's journal all fill). The clock
moves 10 ms per request, so holds end and numbers are recycled all along.

Prints VmRSS every 10 % of the way. Flat means: after the retention limits are reached (the
first mark), later marks stay within 10 % of it. What bounds memory (all configurable):
``PlatformSettings.allocation_retention`` (100,000 allocations per pool),
``event_retention`` (100,000 events), ``journal_limit`` (the platform's command journal) and
the app's ``REQUEST_JOURNAL`` (1,000 requests).
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parents[2]
BULK_ROWS = 100


def rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def environ(method: str, path: str, query: str = "", body: bytes = b"") -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080", "HTTP_HOST": "127.0.0.1:8080",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)) if body else "",
        "CONTENT_TYPE": "application/json" if body else "",
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--total", type=int, default=10_000_000, help="allocations (10,000,000)")
    args = p.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from mock_server.app import create_app, sandbox_state  # noqa: PLC0415

    app: Any = create_app({"SEED": 0, "CLOCK": "manual", "NUMBERS": "valid",
                           "NUMBERS_PER_NETWORK": 1_000_000})
    platform = sandbox_state(app).platform
    world = platform.world_summary()
    client = app.test_client()
    campaign = "/api/2016-10-01/1/advertisers/adv-1/advertiser_campaigns/camp-1/ring_pools"
    for pool in ("rp-1", "rp-bulk-1"):
        resized = client.put(f"{campaign}/{pool}.json", headers={
            "Authorization": world["api_token"]}, json={
            "pool_type": "Custom", "destination_type": "Advertiser", "max_pool_size": 30_000,
            "lifetime_seconds": 1})
        if resized.status_code != 200:
            raise SystemExit(f"resizing {pool}: {resized.status_code} {resized.data[:200]!r}")
    bulk_key = world["bulk_ring_pool"]["api_key"]
    body = orjson.dumps({"requests": [
        {"api_suffix": f"2/allocate_number.json?ring_pool_key={bulk_key}&utm_source=r{n}",
         "request_id": f"r{n}"} for n in range(BULK_ROWS)]})
    legacy_path = f"/api/2015-12-09/ring_pools/{world['ring_pool']['id']}/allocate_number.json"
    legacy_query = f"ring_pool_key={world['ring_pool']['api_key']}&utm_source=rss"
    statuses: dict[str, int] = {}

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        statuses[status] = statuses.get(status, 0) + 1
        return None

    print(f"{'allocations':>12} | {'RSS MiB':>8} | {'alloc/s':>8} | statuses")
    allocations, requests, mark = 0, 0, 0
    step = max(1, args.total // 10)
    marks: list[float] = []
    started = time.perf_counter()
    while allocations < args.total:
        requests += 1
        if requests % 10 == 0:
            b"".join(app(environ("GET", legacy_path, legacy_query), start_response))
            allocations += 1
        else:
            b"".join(app(environ("POST", "/api/2013-07-01/bulk.json", body=body),
                         start_response))
            allocations += BULK_ROWS
        platform.advance_clock(0.01)
        if allocations >= mark + step:
            mark += step
            marks.append(rss_mib())
            rate = allocations / (time.perf_counter() - started)
            print(f"{allocations:>12,} | {marks[-1]:>8.1f} | {rate:>8,.0f} | {statuses}",
                  flush=True)
    first, last, peak = marks[0], marks[-1], max(marks)
    growth = (peak - first) / first
    print(f"RSS at 10 %: {first:.1f} MiB; at the end: {last:.1f} MiB; peak {peak:.1f} MiB; "
          f"growth after the first mark {growth:+.1%} ({'flat' if growth <= 0.10 else 'GROWS'})")
    return 0 if growth <= 0.10 else 1


if __name__ == "__main__":
    sys.exit(main())
