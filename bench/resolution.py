"""Benchmark: the scenario runner's cost of a finer report (``resolution_minutes``).

Run from the project root::

    .venv/bin/python bench/resolution.py                      # retail-replay, 14 days
    .venv/bin/python bench/resolution.py --scenario tv-spot --repeat 5

Runs one scenario (a bundled name or a TOML path) at each resolution (60, 15, 10, 5, 1
minutes) ``--repeat`` times, alternating, and prints the median CPU seconds of
:func:`simulator.runner.run_scenario` (``time.process_time``) and the visitors per CPU-second.
Each pool's totals must not depend on the resolution; the script checks it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import time

from simulator.cli import load_scenario
from simulator.runner import run_scenario

RESOLUTIONS = (60, 15, 10, 5, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="retail-replay")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    times: dict[int, list[float]] = {r: [] for r in RESOLUTIONS}
    totals = set()
    visitors = 0
    for _ in range(args.repeat):
        for resolution in RESOLUTIONS:
            run = dataclasses.replace(scenario, resolution_minutes=resolution)
            started = time.process_time()
            report = run_scenario(run)
            times[resolution].append(time.process_time() - started)
            totals.add(str([pool.to_dict() for pool in report.pools]))
            visitors = report.total.visitors
    if len(totals) != 1:
        raise SystemExit("a pool's totals changed with the resolution")
    print(f"{scenario.name}: {scenario.days:g} days, {len(scenario.pools)} pools, "
          f"{visitors:,} visitors; load average {os.getloadavg()[0]:.1f}")
    for resolution in RESOLUTIONS:
        median = statistics.median(times[resolution])
        print(f"resolution {resolution:>2} min: {median:6.3f} CPU-s = "
              f"{visitors / median:>10,.0f} visitors/CPU-s")


if __name__ == "__main__":
    main()
