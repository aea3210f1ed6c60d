"""Benchmark: simulated visitors per second, the sandbox's scenario runner against SimPy.

Run from the project root (SimPy is a bench-only dependency: ``pip install simpy``)::

    .venv/bin/python bench/scenario.py                         # 30 days, issue 7's setting
    .venv/bin/python bench/scenario.py --overflow-target 0.004  # the low-overflow setting
    .venv/bin/python bench/scenario.py --days 3 --repeat 3     # a quicker look

Both models run in this one process, alternating, on the same traffic definition: one pool
(500 numbers by default: issue 7's setting, ~76 % of visitors overflow; ``--overflow-target
0.004`` sizes it by Erlang B for 0.4 % instead: 2,144 numbers), 100,000 visitors a day,
Poisson arrivals (flat profile), holds of ``--lifetime`` seconds, 10 % of visitors calling
after an exponential delay (mean 10 minutes), every call attributed. The sandbox side is
:func:`simulator.runner.run_scenario` (the real RingPool through ``RingPool.allocate_many``,
a ManualClock, hourly metrics); the SimPy side is ``bench/simpy_model.py``, the model as a
SimPy user would write it. The script prints both throughputs, their ratio, and the two
overflow rates (they must agree: same model, different seeds' noise only).

Timing: CPU seconds of this process (``time.process_time``), because the machine is shared and
wall-clock rates swing with other jobs; wall-clock seconds are printed too. With
``--repeat N`` both models run N times, alternating, and the medians are compared. Each run
starts from a full garbage collection; both run with the collector on, as their users would
(``--gc-off`` pauses it for both: for the runner it makes no measurable difference,
bench/README.md).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from simpy_model import run_simpy  # bench/ is not a package

from simulator.erlang import offered_load, servers_for
from simulator.scenario import CallSpec, PoolSpec, Scenario

try:
    from simulator.shares import share_argument
except ImportError:  # the code before issue 19: shares were plain fractions
    share_argument = float  # type: ignore[assignment]
try:
    from simulator.runner import run_scenario
except ImportError:  # the code before issue 14 (paired runs): the runner lived in scenario.py
    from simulator.scenario import run_scenario  # type: ignore[attr-defined,no-redef]
from simulator.traffic import Distribution, TrafficProfile, rate_segments

START_AT = datetime(2026, 1, 5, tzinfo=UTC)


def bench_scenario(args: argparse.Namespace) -> Scenario:
    return Scenario(
        name="bench",
        pools=(PoolSpec("main", max_pool_size=args.pool_size, lifetime_seconds=args.lifetime),),
        traffic=TrafficProfile(visitors_per_day=args.visitors_per_day),
        calls=CallSpec(args.call_probability, Distribution("exponential", 600.0)),
        days=args.days,
        start_at=START_AT,
        seed=args.seed,
    )


Timed = tuple[int, float, float, float, int]  # visitors, CPU s, wall s, overflow, misattributed


def timed_sandbox(scenario: Scenario) -> Timed:
    gc.collect()
    started_cpu, started = time.process_time(), time.perf_counter()
    report = run_scenario(scenario)
    cpu, elapsed = time.process_time() - started_cpu, time.perf_counter() - started
    total = report.total
    return total.visitors, cpu, elapsed, total.overflow_rate, total.misattributed


def timed_simpy(scenario: Scenario) -> Timed:
    segments = rate_segments(scenario.traffic, scenario.start_at, scenario.duration_seconds)
    gc.collect()
    started_cpu, started = time.process_time(), time.perf_counter()
    result = run_simpy(
        segments,
        max_pool_size=scenario.pools[0].max_pool_size,
        lifetime_seconds=scenario.pools[0].lifetime_seconds,
        call_probability=scenario.calls.probability,
        call_delay=scenario.calls.delay,
        seed=scenario.seed,
    )
    cpu, elapsed = time.process_time() - started_cpu, time.perf_counter() - started
    return (result.visitors, cpu, elapsed, result.overflows / result.visitors,
            result.misattributed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--visitors-per-day", type=float, default=100_000.0)
    parser.add_argument("--pool-size", type=int, default=500)
    parser.add_argument("--lifetime", type=int, default=1800)
    parser.add_argument("--call-probability", type=share_argument, default=0.1,
                        help="share of visitors who call: 10%% or 0.1 (default 0.1)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--overflow-target", type=share_argument, metavar="P",
        help="size the pool for this Erlang B blocking instead of --pool-size (0.4%% or 0.004)",
    )
    parser.add_argument("--skip-simpy", action="store_true")
    parser.add_argument("--gc-off", action="store_true",
                        help="pause the cyclic garbage collector for both models' runs")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each model (median)")
    parser.add_argument(
        "--profile", action="store_true",
        help="profile the sandbox runner (cProfile) and print the costliest functions",
    )
    args = parser.parse_args(argv)
    if args.overflow_target is not None:
        args.pool_size = servers_for(args.overflow_target, offered_load(
            args.visitors_per_day / 86_400, args.lifetime))
    scenario = bench_scenario(args)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(run_scenario, scenario)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
        return 0
    load = args.visitors_per_day / 86_400 * args.lifetime
    print(
        f"{args.days:g} days x {args.visitors_per_day:,.0f} visitors/day, one pool of "
        f"{args.pool_size} numbers, lifetime {args.lifetime} s ({load:,.0f} erlangs), "
        f"{100 * args.call_probability:g} % call"
    )
    print(f"Python {platform.python_version()} on {platform.machine()}, "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    runs: dict[str, list[Timed]] = {"sandbox runner": []}
    if not args.skip_simpy:
        runs["SimPy"] = []
    if args.gc_off:
        gc.disable()
    for _ in range(args.repeat):
        runs["sandbox runner"].append(timed_sandbox(scenario))
        if not args.skip_simpy:
            runs["SimPy"].append(timed_simpy(scenario))
    gc.enable()
    rates = {}
    for name, timings in runs.items():
        visitors, _, _, overflow, misattributed = timings[0]
        cpu = statistics.median(t[1] for t in timings)
        wall = statistics.median(t[2] for t in timings)
        rates[name] = visitors / cpu
        print(
            f"{name:>15}: {visitors:>10,} visitors in {cpu:8.2f} CPU-s = "
            f"{visitors / cpu:>10,.0f} visitors/CPU-s ({visitors / wall:>10,.0f}/wall-s); "
            f"overflow {100 * overflow:6.2f} %, misattributed calls {misattributed:,}"
        )
    if len(rates) == 2:
        print(f"ratio (sandbox / SimPy), per CPU-second: "
              f"{rates['sandbox runner'] / rates['SimPy']:.2f}x"
              + (f" (medians of {args.repeat} runs)" if args.repeat > 1 else ""))
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
