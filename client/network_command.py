"""``invoca-sandbox simulate network FILE``: size every pool of a network, or share a budget.

Usage::

    invoca-sandbox simulate network FILE [--budget N] [--seed N] [--days D]
        [--workers N | --scheduler ADDRESS | --serial] [--json PATH] [--plot PATH] [--quiet]
    invoca-sandbox simulate network --traffic SESSIONS.csv [--world WORLD.json|toml]
        [--transactions EXPORT.csv|json] [--mode fit|replay] [--timezone TZ]
        [--number-monthly-cost X] [--call-value X] [--call-probability SHARE]
        [--target-overflow SHARE] [the flags above]
    invoca-sandbox simulate network --list

``FILE`` is a network TOML file (docs/network-file.md) or the name of a bundled one
(``simulator/networks/``). A pool's ``scenario = "..."`` is read relative to the file.
With ``--traffic`` instead of ``FILE``, the network is the world's ring pools (``--world``: a
world file; default the demo world) and their traffic the CSV's (:mod:`simulator.world_network`).

Rules:

* The I/O shell of :mod:`simulator.network_sizing`: reads the file, fans the runs out
  (:mod:`client.fanout`: a local Dask cluster of this machine's cores by default), prints the
  table, writes the JSON and the plot (:mod:`client.network_plot`).
* The printed table and the JSON hold no timings: the same file and seed give the same
  bytes, serial or on any cluster. A progress bar (rich, on stderr) follows the fan-out when
  stderr is a terminal, never with ``--quiet``.
* Errors: bad input prints ``{"errors": {...}}`` on stderr and exits with status 2; a pool
  whose targets no size within the search cap meets exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from client.fanout import fanout
from client.network_plot import plot_network
from simulator import cli as offline
from simulator.errors import RecordInvalid, SandboxError
from simulator.network_file import Network, parse_network
from simulator.network_sizing import NetworkReport, size_network
from simulator.scenario import Scenario
from simulator.world_network import WorldNetwork, network_from_world, world_ring_pools

__all__ = ["bundled_networks", "load_network", "load_world_network", "main"]


def bundled_networks() -> dict[str, str]:
    """Example network name -> its first comment line (``simulator/networks/*.toml``)."""
    return offline.bundled_examples("network")


def load_network(source: str) -> Network:
    """Read a network from a TOML path, or a bundled example by name."""
    data, folder = offline.read_example(source, "network")

    def load_scenario(name: str) -> Scenario:
        candidate = folder / name
        return offline.load_scenario(str(candidate) if candidate.is_file() else name)

    return parse_network(data, load_scenario=load_scenario)


def _read(path: Path, field: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RecordInvalid(f"{field}: cannot read {path}: {exc.strerror}",
                            field_errors={field: [f"cannot read {path}: {exc.strerror}"]}) from None


def _read_world(path: Path) -> dict[str, Any]:
    """A world file: JSON (``.json``) or TOML (anything else), as ``serve --world`` reads it."""
    text = _read(path, "world")
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise RecordInvalid(f"world: {path} cannot be parsed: {exc}",
                            field_errors={"world": [f"cannot be parsed: {exc}"]}) from None
    if not isinstance(data, dict):
        raise RecordInvalid("world: a world file holds one object at the top level",
                            field_errors={"world": ["must be an object"]})
    return data


def load_world_network(args: argparse.Namespace) -> WorldNetwork:
    """The network of a world file's ring pools and the traffic of ``--traffic``."""
    world = None if args.world is None else _read_world(args.world)
    transactions = (None if args.transactions is None
                    else _read(args.transactions, "transactions"))
    costs = {key: value for key, value in (("number_monthly_cost", args.number_monthly_cost),
                                            ("call_value", args.call_value)) if value is not None}
    targets = {} if args.target_overflow is None else {"overflow": args.target_overflow}
    calls = {} if args.call_probability is None else {"probability": args.call_probability}
    return network_from_world(
        world_ring_pools(world), _read(args.traffic, "traffic"), transactions,
        mode=args.mode or "fit", timezone=args.timezone or "UTC",
        seed=0 if args.seed is None else args.seed,
        name=args.world.stem if args.world is not None else "demo-world",
        costs=costs, targets=targets, calls=calls,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invoca-sandbox simulate network",
        description="Size every ring pool of a network, or share a budget of numbers.",
    )
    parser.add_argument("network", nargs="?", help="network TOML file or bundled example name")
    parser.add_argument("--list", action="store_true", help="list the bundled networks")
    parser.add_argument("--budget", type=int, metavar="N",
                        help="numbers to share across the pools (default: the file's budget; "
                        "none: each pool sized to its targets)")
    parser.add_argument("--seed", type=int, help="network seed (default: the file's)")
    parser.add_argument("--days", type=float, help="override the network's days")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="local Dask worker processes (default: this machine's cores)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="a Dask scheduler to run on (e.g. tcp://10.0.0.5:8786)")
    where.add_argument("--serial", action="store_true", help="no Dask: one run after another")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the report as JSON")
    parser.add_argument("--plot", type=Path, metavar="PATH", help="write a PNG plot")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    world = parser.add_argument_group("a network from a world file and your traffic")
    world.add_argument("--traffic", type=Path, metavar="SESSIONS.csv",
                       help="analytics CSV (timestamp,pool,sessions): size the world's ring "
                       "pools from it (instead of FILE)")
    world.add_argument("--world", type=Path, metavar="WORLD",
                       help="world file, JSON or TOML (default: the demo world)")
    world.add_argument("--transactions", type=Path, metavar="EXPORT",
                       help="Transactions export (CSV or JSON): the calls fitted from it")
    world.add_argument("--mode", choices=("fit", "replay"),
                       help="fit a profile to the CSV (default) or replay it")
    world.add_argument("--timezone", help="the CSV's zone (default UTC)")
    world.add_argument("--number-monthly-cost", type=float, metavar="X",
                       help="one number's monthly cost (default 0)")
    world.add_argument("--call-value", type=float, metavar="X",
                       help="what one call is worth (default 0)")
    world.add_argument("--call-probability", metavar="SHARE",
                       help="share of visitors who call, e.g. 5%% (default 0: an export shows "
                            "only the visitors who called)")
    world.add_argument("--target-overflow", metavar="SHARE",
                       help="highest acceptable overflow rate, e.g. 1%% (targets mode)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0)
    console = Console(file=sys.stdout, highlight=False,
                      width=None if sys.stdout.isatty() else 150)
    if args.list:
        table = Table("network", "description", title="Bundled example networks")
        for name, summary in bundled_networks().items():
            table.add_row(name, summary)
        console.print(table)
        return 0
    if bool(args.network) == (args.traffic is not None):
        print("invoca-sandbox simulate network: error: give a network FILE or --traffic "
              "(one of the two)", file=sys.stderr)
        return 2
    world_only = ("world", "transactions", "mode", "timezone", "number_monthly_cost",
                  "call_value", "call_probability", "target_overflow")
    stray = [f"--{key.replace('_', '-')}" for key in world_only
             if args.traffic is None and getattr(args, key) is not None]
    if stray:
        print(f"invoca-sandbox simulate network: error: {', '.join(stray)} needs --traffic",
              file=sys.stderr)
        return 2
    if args.workers is not None and args.workers < 1:
        print(json.dumps({"errors": {"workers": ["must be at least 1"]}}), file=sys.stderr)
        return 2
    show = sys.stderr.isatty() and not args.quiet
    skipped: tuple[str, ...] = ()
    try:
        if args.traffic is not None:
            from_world = load_world_network(args)
            network, skipped = from_world.network, from_world.skipped
        else:
            network = load_network(args.network)
        if args.seed is not None:
            network = network.with_seed(args.seed)
        if args.days is not None:
            network = _with_days(network, args.days)
        with _bar(show) as progress, fanout(
            serial=args.serial, workers=args.workers, scheduler=args.scheduler,
            progress=progress,
        ) as map_tasks:
            report = size_network(network, budget=args.budget, map_tasks=map_tasks)
    except SandboxError as exc:
        print(json.dumps(exc.to_dict(), sort_keys=True), file=sys.stderr)
        return 2
    print_network(console, report)
    if skipped:
        console.print(f"Not sized (no rows in {args.traffic}): ring pools "
                      f"{', '.join(skipped)}")
    if args.json is not None:
        args.json.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
        console.print(f"JSON report written to {args.json}")
    if args.plot is not None:
        plot_network(report, args.plot)
        console.print(f"Plot written to {args.plot}")
    return 0 if all(row.numbers is not None for row in report.rows) else 1


def _with_days(network: Network, days: float) -> Network:
    if days <= 0:
        raise RecordInvalid("days must be a number greater than 0",
                            field_errors={"days": ["must be a number greater than 0"]})
    pools = tuple(replace(pool, scenario=replace(pool.scenario, days=days))
                  for pool in network.pools)
    return replace(network, pools=pools, days=days)


@contextmanager
def _bar(enabled: bool) -> Iterator[Callable[[int, int], None] | None]:
    """``progress(done, total)`` of each map (a round of runs), on stderr; None when off."""
    if not enabled:
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=Console(file=sys.stderr), transient=True) as bar:
        current: list[TaskID] = []  # the bar of the running round
        rounds = iter(range(1, 1_000_000))

        def progress(done: int, total: int) -> None:
            if done == 1 or not current:  # a new round of runs
                if current:
                    bar.remove_task(current.pop())
                label = f"Round {next(rounds)}: tasks of simulated sizes"
                current.append(bar.add_task(label, total=total))
            bar.update(current[0], completed=done)

        yield progress


def _money(value: float | None) -> str:
    return "" if value is None else f"{value:,.2f}"


def print_network(console: Console, report: NetworkReport) -> None:
    """The table of pools (the most numbers first) and the totals."""
    if report.mode == "budget":
        title = (f"Network {report.network} (seed {report.seed}, {report.days:g} days): "
                 f"{report.spent:,} of a budget of {report.budget:,} numbers placed")
    else:
        title = (f"Network {report.network} (seed {report.seed}, {report.days:g} days): "
                 "each pool sized to its targets")
    table = Table(title=title)
    # the pools' numbers today beside the answer, when the network knows them (a world's)
    now = any(row.current_numbers is not None for row in report.rows)
    for name in ("pool", "visitors/day", *(("numbers now",) if now else ()), "numbers",
                 "overflow", "lost calls", "numbers' cost", "lost value", "last number saved",
                 "next would save"):
        table.add_column(name, justify="left" if name == "pool" else "right")
    rows = sorted(report.rows, key=lambda row: (-(row.numbers or 0), row.name))
    for row in rows:
        outcome = row.outcome
        current = (("" if row.current_numbers is None else f"{row.current_numbers:,}",)
                   if now else ())
        if outcome is None:
            table.add_row(row.name, f"{row.visitors_per_day:,.0f}", *current,
                          "none meets the targets", *[""] * 6)
            continue
        table.add_row(
            row.name, f"{row.visitors_per_day:,.0f}", *current, f"{outcome.size:,}",
            f"{100 * outcome.metrics.overflow_rate:.2f} %", f"{outcome.costs.lost_calls:,}",
            _money(outcome.costs.number_cost), _money(outcome.costs.lost_value),
            _money(row.last_number_saves), _money(row.next_number_saves),
        )
    total = report.total
    current_total = (
        (f"{sum(row.current_numbers or 0 for row in report.rows):,}",) if now else ())
    table.add_row("all pools", "", *current_total, f"{total.numbers:,}", "",
                  f"{total.lost_calls:,}", _money(total.number_cost),
                  _money(total.lost_value), "", "", end_section=True)
    console.print(table)
    console.print(
        f"Total cost over {report.days:g} days: {total.total_cost:,.2f} "
        f"(numbers {total.number_cost:,.2f} + lost calls {total.lost_value:,.2f}: "
        f"{total.lost_to_overflow:,} to overflow, {total.lost_to_misattribution:,} "
        "misattributed)"
    )
    if report.mode == "budget" and report.threshold is not None:
        console.print(
            f"Why: each number went where it saved the most; the last one placed saved "
            f"{report.threshold:,.2f} net of its cost (a number, on average over its run). "
            "No pool's next numbers would save more than that, on average over any run the "
            "budget could still buy, so they went elsewhere."
        )
    if report.mode == "budget" and report.spent < (report.budget or 0):
        console.print(f"{(report.budget or 0) - report.spent:,} numbers left unplaced: no "
                      "pool's next number saved more than it costs.")
