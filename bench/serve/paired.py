"""Paired serving comparison: sandboxes of several checkouts (or thread counts) side by side.

Usage::

    .venv/bin/python bench/serve/paired.py --endpoint bulk_100 --rounds 6 \\
        /path/to/old-checkout:5 .:5          # ROOT:THREADS[:SERVER], ROOT a checkout

Single runs on a shared VM swing by 30 % within minutes, so comparing two runs made one after
the other measures the machine, not the code. This script starts every configuration at once
(each with its own ``bench/serve/run.py``, so each checkout serves its own code; all pinned to
core 0 like ``run.py``, only one loaded at a time), prepares each as ``run.py`` does, warms
each up, then runs wrk (core 1) on one endpoint in ``--rounds`` rounds, alternating the order
of the configurations from round to round, and prints per configuration the median req/s,
the median p99 and the median of its per-round ratios to the first configuration. It stops
every process it started (``run.py``'s ``started``).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType
from typing import Any


def bench_module(root: Path, name: str) -> ModuleType:
    """``bench/serve/run.py`` of the checkout at ``root``."""
    spec = importlib.util.spec_from_file_location(name, root / "bench" / "serve" / "run.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"{root}: no bench/serve/run.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # (dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("configs", nargs="+", help="ROOT:THREADS[:SERVER] (server: granian)")
    p.add_argument("--endpoint", default="bulk_100",
                   help="legacy_json, legacy_xml, legacy_csv, ni_ring_pool or bulk_100")
    p.add_argument("--rounds", type=int, default=6, help="wrk runs per configuration (6)")
    p.add_argument("--duration", type=float, default=3.0, help="seconds per wrk run (3)")
    p.add_argument("--connections", type=int, default=32, help="wrk connections (32)")
    args = p.parse_args(argv)
    modules: dict[Path, ModuleType] = {}
    servers: list[tuple[str, Any, str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="serve-paired-") as scratch_name, ExitStack() as stack:
        scratch = Path(scratch_name)
        for index, config in enumerate(args.configs):
            root_text, threads, *rest = config.split(":")
            root = Path(root_text).resolve()
            if root not in modules:
                modules[root] = bench_module(root, f"_paired_run_{len(modules)}")
            bench = modules[root]
            port = bench.free_port()
            argv_for = bench.sandbox_argv(rest[0] if rest else "granian", int(threads))
            stack.enter_context(bench.started(f"paired-{index}", argv_for(port), port,
                                              "/_sandbox/health"))
            base = f"http://127.0.0.1:{port}"
            keys = bench.prepare_sandbox(base)
            endpoint = bench.endpoints(keys["pool_key"], keys["bulk_key"],
                                       keys["token"])[args.endpoint]
            servers.append((config, bench, base, endpoint))
        for _, bench, base, endpoint in servers:
            bench.wrk(base, endpoint, 2, args.connections, scratch)  # warm-up
        rates: dict[str, list[float]] = {config: [] for config, *_ in servers}
        p99s: dict[str, list[float]] = {config: [] for config, *_ in servers}
        for round_number in range(args.rounds):
            for config, bench, base, endpoint in (
                    servers if round_number % 2 == 0 else servers[::-1]):
                run = bench.wrk(base, endpoint, args.duration, args.connections, scratch)
                rates[config].append(run.rate)
                p99s[config].append(run.p99_ms)
    first = servers[0][0]
    for config, *_ in servers:
        paired = statistics.median(
            mine / theirs for mine, theirs in zip(rates[config], rates[first], strict=True))
        print(f"{config}: median {statistics.median(rates[config]):,.0f} req/s, "
              f"p99 median {statistics.median(p99s[config]):.1f} ms, "
              f"paired ratio to {first} {paired:.3f}; runs "
              f"{', '.join(f'{rate:,.0f}' for rate in rates[config])}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
