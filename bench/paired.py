"""Paired in-process comparison: one benchmark script run on two checkouts, alternating.

Usage::

    .venv/bin/python bench/paired.py --before /work/pre-i14 --rounds 7 \\
        --figure 'us/request=median: ([0-9.]+) us/request' -- bench/serve/bulk.py

Single runs on a shared VM swing by 30 % within minutes, so comparing two runs made one after
the other measures the machine, not the code. Each round runs the script once per checkout,
the order alternating from round to round: always this checkout's copy of ``bench/`` (copied
to a scratch directory, so neither side finds this checkout on its path), with each
checkout's own interpreter (``<root>/.venv/bin/python``, whose editable install is that
checkout) in its own working directory, so each side imports its own code and both are
measured alike. Each ``--figure NAME=REGEX`` is read from the script's output (the first
group of the last match). Prints, per figure, each side's median and the median of the
per-round ratios (after / before).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]


def run(root: Path, bench: Path, script: Sequence[str],
        figures: dict[str, re.Pattern[str]]) -> dict[str, float]:
    """One run of the script on the checkout at ``root``: its figures."""
    command = [str(root / ".venv" / "bin" / "python"), str(bench / script[0]), *script[1:]]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    found = {}
    for name, pattern in figures.items():
        matches = pattern.findall(result.stdout)
        if result.returncode != 0 or not matches:
            raise SystemExit(f"{root}: {' '.join(script)} gave no {name}:\n"
                             f"{result.stdout}\n{result.stderr}")
        found[name] = float(matches[-1].replace(",", ""))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", type=Path, required=True, help="the other checkout's root")
    p.add_argument("--after", type=Path, default=HERE, help="this checkout (default)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--figure", action="append", required=True, metavar="NAME=REGEX",
                   help="a figure to read (repeatable); the regex has one group")
    p.add_argument("script", nargs=argparse.REMAINDER, help="-- bench/SCRIPT [ARGS...]")
    args = p.parse_args(argv)
    script = args.script[1:] if args.script[:1] == ["--"] else args.script
    script = [str(Path(script[0]).relative_to("bench")), *script[1:]]
    figures = {name: re.compile(regex) for name, _, regex in
                   (spec.partition("=") for spec in args.figure)}
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    found: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory(prefix="paired-") as scratch:
        bench = Path(scratch) / "bench"
        shutil.copytree(HERE / "bench", bench, ignore=shutil.ignore_patterns(".tools", "results"))
        for round_number in range(args.rounds):
            order = list(sides) if round_number % 2 == 0 else list(sides)[::-1]
            for side in order:
                found[side].append(run(sides[side], bench, script, figures))
            print(f"round {round_number + 1}: " + "; ".join(
                f"{side} " + ", ".join(f"{name} {found[side][-1][name]:,.4g}" for name in figures)
                for side in sides), flush=True)
    for name in figures:
        before = [r[name] for r in found["before"]]
        after = [r[name] for r in found["after"]]
        ratios = [a / b for b, a in zip(before, after, strict=True)]
        print(f"{name}: before median {statistics.median(before):,.4g}, after median "
              f"{statistics.median(after):,.4g}; after / before, median of per-round ratios "
              f"{statistics.median(ratios):.3f} (min {min(ratios):.3f}, max {max(ratios):.3f}, "
              f"{args.rounds} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
