"""Paired in-process comparison: one benchmark script run on two checkouts, alternating.

Usage::

    .venv/bin/python bench/paired.py --before /work/pre-i14 --rounds 7 \\
        --figure 'median: ([0-9.]+) us/request' -- bench/serve/bulk.py --requests 1000

Single runs on a shared VM swing by 30 % within minutes, so comparing two runs made one after
the other measures the machine, not the code. Each round runs the script (always this
checkout's copy of ``bench/``, copied to a scratch directory so no side finds this checkout
on its path) once with each checkout's own interpreter (``<root>/.venv/bin/python``, whose
editable install is that checkout) and working directory, so each side imports its own code;
the order alternates from round to round. The figure is the first group of ``--figure`` in the
script's output (the last match). Prints each side's median and the median of the per-round
ratios (after / before).
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


def figure(root: Path, bench: Path, script: Sequence[str], pattern: re.Pattern[str]) -> float:
    command = [str(root / ".venv" / "bin" / "python"), str(bench / script[0]), *script[1:]]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    found = pattern.findall(result.stdout)
    if result.returncode != 0 or not found:
        raise SystemExit(f"{root}: {' '.join(script)} failed:\n{result.stdout}\n{result.stderr}")
    value = found[-1]
    return float((value[0] if isinstance(value, tuple) else value).replace(",", ""))


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--before", type=Path, required=True, help="the other checkout's root")
    p.add_argument("--after", type=Path, default=HERE, help="this checkout (default)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--figure", required=True, help="regular expression, one group: the figure")
    p.add_argument("script", nargs=argparse.REMAINDER, help="-- bench/SCRIPT [ARGS...]")
    args = p.parse_args(argv)
    script = args.script[1:] if args.script[:1] == ["--"] else args.script
    script = [str(Path(script[0]).relative_to("bench")), *script[1:]]
    scratch = Path(tempfile.mkdtemp(prefix="paired-"))
    bench = scratch / "bench"
    shutil.copytree(HERE / "bench", bench, ignore=shutil.ignore_patterns(".tools", "results"))
    pattern = re.compile(args.figure)
    sides = {"before": args.before.resolve(), "after": args.after.resolve()}
    figures: dict[str, list[float]] = {name: [] for name in sides}
    for round_number in range(args.rounds):
        order = list(sides) if round_number % 2 == 0 else list(sides)[::-1]
        for name in order:
            figures[name].append(figure(sides[name], bench, script, pattern))
        print(f"round {round_number + 1}: " + ", ".join(
            f"{name} {figures[name][-1]:,.4g}" for name in sides), flush=True)
    shutil.rmtree(scratch)
    ratios = [after / before for before, after in zip(figures["before"], figures["after"],
                                                        strict=True)]
    for name in sides:
        print(f"{name}: median {statistics.median(figures[name]):,.4g}")
    print(f"after / before: median of per-round ratios {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f}, {args.rounds} rounds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
