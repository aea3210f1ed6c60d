"""Benchmark: a network of 200 pools of mixed sizes, 30 days each, serial vs local Dask workers.

Usage::

    .venv/bin/python bench/network.py [--pools 200] [--days 30] [--setting loaded|quiet|both]
        [--workers 2] [--json out.json]

Two settings (bench/README.md, "Issue 20: a whole network"):

* ``loaded``: busy pools (40 to 4,000 visitors a day, log-uniform), a budget of about 80 % of
  what Erlang B at 1 % overflow would give each pool: most curves are long (many sizes).
* ``quiet``: small pools (5 to 150 visitors a day), a budget of 4 numbers a pool: short
  curves, short runs (the runner's fixed cost per simulated hour dominates).

Each setting runs budget mode (:func:`simulator.network_sizing.size_network`) serially in
this process, then on a ``LocalCluster`` of ``--workers`` processes (``client/fanout.py``;
the cluster's start is timed apart), checks the two JSON reports are byte-identical, and
prints wall times, the speedup, CPU time of this process, the load average before and after,
and a projection for 10,000 pools at 1, 2, 8 and 32 workers (Amdahl's law with the serial
fraction the measured speedup implies; per-pool time scaled linearly with the pool count), and
an ideal one (the cluster's CPU seconds per pool, split evenly over the workers: what a
quiet machine with that many free cores would give). ``cluster_cpu_s`` is the CPU time of the
cluster's processes (start-up included), read once they are reaped.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from client.fanout import fanout
from simulator.erlang import servers_for
from simulator.network_file import Network, parse_network
from simulator.network_sizing import serial_map, size_network

OFFICE = [4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 4, 6, 9, 10, 10, 12, 12, 10, 9, 8, 7, 5]
EVENING = [10, 11, 10, 8, 5, 3, 2, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5, 6, 8]


def build(setting: str, pools: int, days: float, seed: int = 20) -> Network:
    """A deterministic network of ``pools`` pools for ``setting``."""
    rng = random.Random(seed)
    low, high = (40.0, 4000.0) if setting == "loaded" else (5.0, 150.0)
    raw = []
    erlang_total = 0
    for index in range(pools):
        visitors = math.exp(rng.uniform(math.log(low), math.log(high)))
        lifetime = rng.choice([600, 900, 1800])
        profile = rng.choice(["office", "evening", "flat"])
        raw.append({
            "name": f"pool-{index:05d}",
            "traffic": {"visitors_per_day": round(visitors, 1), "profile": profile},
            "lifetime_seconds": lifetime,
            "call_value": rng.choice([20, 35, 50, 80, 120]),
        })
        peak = visitors * (max(OFFICE) / sum(OFFICE) if profile == "office" else
                           max(EVENING) / sum(EVENING) if profile == "evening" else 1 / 24)
        erlang_total += servers_for(0.01, peak / 3600.0 * lifetime) if visitors else 1
    budget = (max(pools, round(0.8 * erlang_total)) if setting == "loaded" else 4 * pools)
    data: dict[str, Any] = {
        "name": f"bench-{setting}", "seed": seed, "days": days, "budget": budget,
        "costs": {"number_monthly_cost": 1.5, "call_value": 45},
        "calls": {"probability": "6%",
                  "delay": {"kind": "lognormal", "mean_minutes": 12, "sigma": 1.0}},
        "profiles": {"office": {"daily": OFFICE}, "evening": {"daily": EVENING},
                     "flat": {"daily": [1] * 24}},
        "pools": raw,
    }
    return parse_network(data)


def _load() -> float:
    return os.getloadavg()[0]


def measure(setting: str, pools: int, days: float, workers: int) -> dict[str, Any]:
    network = build(setting, pools, days)
    print(f"[{setting}] {pools} pools, {days:g} days, budget {network.budget}", flush=True)
    load_before = _load()
    cpu, wall = time.process_time(), time.perf_counter()
    serial = size_network(network, map_tasks=serial_map)
    serial_wall = time.perf_counter() - wall
    serial_cpu = time.process_time() - cpu
    serial_json = json.dumps(serial.to_dict(), indent=2)
    print(f"[{setting}] serial: {serial_wall:.1f} s wall ({serial.runs} runs, "
          f"{serial.rounds} rounds)", flush=True)
    load_middle = _load()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with fanout(workers=workers) as map_tasks:
        cluster_start = time.perf_counter() - started
        wall = time.perf_counter()
        parallel = size_network(network, map_tasks=map_tasks)
        parallel_wall = time.perf_counter() - wall
    load_after = _load()
    # the cluster's processes, once reaped: CPU of the workers (start-up included)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cluster_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    identical = json.dumps(parallel.to_dict(), indent=2) == serial_json
    speedup = serial_wall / parallel_wall
    print(f"[{setting}] {workers} workers: {parallel_wall:.1f} s wall (+{cluster_start:.1f} s "
          f"cluster start), speedup {speedup:.2f}x, identical JSON: {identical}", flush=True)
    # Amdahl: S(n) = 1 / (f + (1 - f) / n); f from the measured S(workers)
    fraction = min(1.0, max(0.0, (1 / speedup - 1 / workers) / (1 - 1 / workers)))
    per_pool = serial_wall / pools
    projection = {
        str(n): round(10_000 * per_pool * (fraction + (1 - fraction) / n), 1)
        for n in (1, 2, 8, 32)
    }
    # ideal: each worker as fast as the serial run, per CPU-second of work done on the cluster
    per_pool_cluster = cluster_cpu / pools
    ideal = {str(n): round(10_000 * per_pool_cluster / n, 1) for n in (1, 2, 8, 32)}
    return {
        "setting": setting, "pools": pools, "days": days, "budget": network.budget,
        "runs": serial.runs, "rounds": serial.rounds,
        "serial_wall_s": round(serial_wall, 2), "serial_cpu_s": round(serial_cpu, 2),
        "workers": workers, "parallel_wall_s": round(parallel_wall, 2),
        "cluster_start_s": round(cluster_start, 2), "speedup": round(speedup, 3),
        "identical": identical, "serial_fraction": round(fraction, 3),
        "projected_10000_pools_s": projection,
        "cluster_cpu_s": round(cluster_cpu, 2),
        "projected_10000_pools_ideal_s": ideal,
        "load_average": [round(load_before, 2), round(load_middle, 2), round(load_after, 2)],
        "nproc": os.cpu_count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pools", type=int, default=200)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--quiet-days", type=float, default=None,
                        help="days for the quiet setting (default: --days)")
    parser.add_argument("--setting", choices=("loaded", "quiet", "both"), default="both")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    settings = ("loaded", "quiet") if args.setting == "both" else (args.setting,)
    results = []
    for setting in settings:
        days = args.quiet_days if setting == "quiet" and args.quiet_days else args.days
        results.append(measure(setting, args.pools, days, args.workers))
        print(json.dumps(results[-1]), flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if all(result["identical"] for result in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
