"""``invoca-sandbox simulate``: run an offline traffic scenario, or size a ring pool.

Usage::

    invoca-sandbox simulate SCENARIO [--seed N] [--days D] [--resolution MINUTES]
        [--plot out.png] [--json out.json]
    invoca-sandbox simulate --recommend SCENARIO --target-overflow 1% [--target-attribution 99%]
        [--minimise-cost] [--pool NAME] [--search-lifetime [--lifetimes 300,600,1800]]
        [--plot ...] [--json ...]
    invoca-sandbox simulate --list

``SCENARIO`` is a TOML file, or the name of a bundled example (``simulate --list``).

Rules:

* One of the two simulator modules allowed to do I/O (with :mod:`simulator.plot`): it reads
  the TOML file (``tomllib``), writes the JSON and PNG files asked for, prints the report
  (``rich`` tables) and a progress bar (``rich.progress``, shown when stdout is a terminal or
  with ``--progress``; never with ``--no-progress``). Everything else is the sans-IO model.
* Deterministic output: the printed report and the JSON hold no timings or wall-clock
  instants; the same scenario and seed print the same text and write the same JSON.
* Errors: bad input prints the model's error body (``{"errors": {...}}``, the Network
  Integration shape) on stderr and exits with status 2, writing nothing. Exit status 1 means
  the recommendation search found no size within its cap.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tomllib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, tzinfo
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from simulator.erlang_gap import ErlangGap, explain_gap
from simulator.errors import RecordInvalid, SandboxError
from simulator.plot import plot_recommendation, plot_report
from simulator.recommend import (
    DEFAULT_LIFETIMES,
    Recommendation,
    SizePoint,
    Targets,
    recommend,
)
from simulator.report import PoolMetrics, Report
from simulator.runner import run_scenario
from simulator.scenario import Scenario
from simulator.shares import parse_share

__all__ = ["bundled_scenarios", "load_scenario", "main", "parse_share"]


def bundled_examples(kind: str) -> dict[str, str]:
    """Example name -> its first comment line (``simulator/{kind}s/*.toml``)."""
    found: dict[str, str] = {}
    folder = resources.files("simulator") / f"{kind}s"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            first = entry.read_text(encoding="utf-8").splitlines()[:1]
            found[entry.name.removesuffix(".toml")] = (
                first[0].lstrip("# ").strip() if first else ""
            )
    return found


def bundled_scenarios() -> dict[str, str]:
    """Example scenario name -> its first comment line (``simulator/scenarios/*.toml``)."""
    return bundled_examples("scenario")


def read_example(source: str, kind: str) -> tuple[Any, Traversable]:
    """The TOML table of a ``kind`` file (``scenario``, ``network``) at path ``source``, or of
    the bundled example of that name, and the folder its relative paths start from."""
    path = Path(source)
    folder: Traversable
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        folder = path.parent
    else:
        folder = resources.files("simulator") / f"{kind}s"
        bundled = folder / f"{source}.toml"
        if not bundled.is_file():
            names = ", ".join(bundled_examples(kind))
            raise RecordInvalid(
                f"no {kind} file {source!r} (bundled examples: {names})",
                field_errors={kind: [f"file not found: {source} (bundled: {names})"]},
            )
        text = bundled.read_text(encoding="utf-8")
    try:
        return tomllib.loads(text), folder
    except tomllib.TOMLDecodeError as exc:
        raise RecordInvalid(
            f"{source} is not valid TOML: {exc}",
            field_errors={kind: [f"is not valid TOML: {exc}"]},
        ) from None


def load_scenario(source: str) -> Scenario:
    """Read a scenario from a TOML path, or a bundled example by name; the data files it
    names (``[traffic] csv``, ``[calls] fit_from``) are read relative to the scenario file."""
    data, folder = read_example(source, "scenario")
    return Scenario.from_dict(data, files=_data_files(data, folder))


def _data_files(data: Any, folder: Traversable) -> dict[str, str]:
    """The texts of the data files a scenario names, by the path it gives (relative paths
    from the scenario file's folder)."""
    named: list[tuple[str, Any]] = []
    if isinstance(data, dict):
        for table, key in (("traffic", "csv"), ("calls", "fit_from")):
            if isinstance(data.get(table), dict) and key in data[table]:
                named.append((f"{table}.{key}", data[table][key]))
    files: dict[str, str] = {}
    for label, name in named:
        if not isinstance(name, str) or not name:
            raise RecordInvalid(f"{label} must be a file path", field_errors={label: [
                "must be a file path"]})
        target: Traversable = Path(name) if Path(name).is_absolute() else folder / name
        if not target.is_file():
            raise RecordInvalid(
                f"{label}: no file {name!r} (paths are relative to the scenario file)",
                field_errors={label: [f"file not found: {name}"]},
            )
        try:
            files[name] = target.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise RecordInvalid(
                f"{label}: {name!r} can't be read: {exc}",
                field_errors={label: [f"can't be read: {exc}"]},
            ) from None
    return files


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invoca-sandbox simulate",
        description="Run an offline ring pool scenario, or recommend a pool size.",
    )
    parser.add_argument("scenario", nargs="?", help="scenario TOML file or bundled example name")
    parser.add_argument("--list", action="store_true", help="list the bundled example scenarios")
    parser.add_argument("--seed", type=int, help="random seed (default: the scenario's seed)")
    parser.add_argument("--days", type=float, help="override the scenario's duration in days")
    parser.add_argument("--resolution", type=int, metavar="MINUTES",
                        help="the report's and plot's interval in minutes, 1 to 60 dividing an "
                        "hour (default: the scenario's resolution_minutes, else 60)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the report as JSON")
    parser.add_argument("--plot", type=Path, metavar="PATH", help="write a PNG plot")
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true", default=None,
                          help="show a progress bar even when stdout is not a terminal")
    progress.add_argument("--no-progress", dest="progress", action="store_false",
                          help="never show a progress bar")
    sizing = parser.add_argument_group("pool sizing")
    sizing.add_argument("--recommend", action="store_true",
                        help="search the smallest max_pool_size meeting the targets")
    sizing.add_argument("--target-overflow", metavar="PCT",
                        help="highest acceptable overflow rate, e.g. 1%%")
    sizing.add_argument("--target-attribution", metavar="PCT",
                        help="lowest acceptable share of correctly attributed calls, e.g. 99%%")
    sizing.add_argument("--minimise-cost", "--minimize-cost", dest="minimise_cost",
                        action="store_true",
                        help="search the size with the lowest total cost (numbers' cost + "
                        "value of lost calls; the scenario's [costs])")
    sizing.add_argument("--pool", help="the pool to size (default: the first)")
    sizing.add_argument("--search-lifetime", action="store_true",
                        help="also search lifetime_seconds among --lifetimes")
    sizing.add_argument(
        "--lifetimes", metavar="LIST",
        help="comma-separated candidate lifetimes in seconds "
        f"(default {','.join(map(str, DEFAULT_LIFETIMES))})",
    )
    sizing.add_argument("--curve-points", type=int, default=None, metavar="N",
                        help="extra sizes simulated for the plot's curve (default 8 with --plot)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
        return int(exc.code or 0)
    # a fixed width off-terminal, so piped and captured reports do not depend on $COLUMNS
    console = Console(
        file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 100
    )
    if args.list:
        table = Table("scenario", "description", title="Bundled example scenarios")
        for name, summary in bundled_scenarios().items():
            table.add_row(name, summary)
        console.print(table)
        return 0
    if not args.scenario:
        parser.print_usage(sys.stderr)
        print("invoca-sandbox simulate: error: a SCENARIO is required", file=sys.stderr)
        return 2
    show_progress = sys.stdout.isatty() if args.progress is None else args.progress
    try:
        scenario = load_scenario(args.scenario)
        if args.seed is not None:
            scenario = scenario.with_seed(args.seed)
        if args.days is not None:
            scenario = dataclasses.replace(scenario, days=args.days)
        if args.resolution is not None:
            scenario = dataclasses.replace(scenario, resolution_minutes=args.resolution)
        if args.recommend:
            return _recommend(args, scenario, console, show_progress)
        if (args.target_overflow or args.target_attribution or args.search_lifetime
                or args.minimise_cost):
            raise RecordInvalid(
                "--target-overflow, --target-attribution, --minimise-cost and "
                "--search-lifetime need --recommend",
                field_errors={"recommend": ["is required by the sizing options"]},
            )
        with _progress_bar(console, show_progress, f"Simulating {scenario.name}") as tick:
            report = run_scenario(scenario, progress=lambda done: tick(done, None))
    except SandboxError as exc:
        print(json.dumps(exc.to_dict(), sort_keys=True), file=sys.stderr)
        return 2
    _print_report(console, report, scenario.zone)
    _write_outputs(console, args, report.to_dict(),
                   lambda path: plot_report(report, path, scenario.zone))
    return 0


def _recommend(
    args: argparse.Namespace, scenario: Scenario, console: Console, show_progress: bool
) -> int:
    if not args.target_overflow and not args.minimise_cost:
        raise RecordInvalid(
            "--recommend needs --target-overflow (e.g. 1%) or --minimise-cost",
            field_errors={"target_overflow": ["can't be blank"]},
        )
    if args.target_attribution and not args.target_overflow:
        raise RecordInvalid(
            "--target-attribution needs --target-overflow too",
            field_errors={"target_overflow": ["can't be blank with --target-attribution"]},
        )
    targets = None
    if args.target_overflow:
        targets = Targets(
            overflow_rate=parse_share(args.target_overflow, name="target_overflow"),
            attribution_rate=(
                parse_share(args.target_attribution, name="target_attribution")
                if args.target_attribution
                else None
            ),
        )
    lifetimes: tuple[int, ...] | None = None
    if args.search_lifetime or args.lifetimes:
        lifetimes = DEFAULT_LIFETIMES if not args.lifetimes else _lifetimes(args.lifetimes)
    curve_points = args.curve_points if args.curve_points is not None else (8 if args.plot else 0)
    with _progress_bar(console, show_progress, "Sizing") as tick:
        result = recommend(
            scenario,
            targets,
            pool=args.pool,
            lifetimes=lifetimes,
            curve_points=curve_points,
            minimise_cost=args.minimise_cost,
            progress=tick,
        )
    with _progress_bar(console, show_progress, "Explaining the gap to Erlang B") as tick:
        gap = explain_gap(scenario, result, progress=tick)
    report = result.report
    _print_recommendation(console, result)
    _print_gap(console, gap)
    body: dict[str, Any] = {
        "recommendation": result.to_dict(),
        "erlang_gap": None if gap is None else gap.to_dict(),
        "report": None if report is None else report.to_dict(),
    }
    _write_outputs(
        console, args, body, lambda path: _plot_recommendation(result, report, path, scenario.zone)
    )
    return 0 if result.max_pool_size is not None else 1


def _lifetimes(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        values = ()
    if not values or any(v < 1 for v in values):
        raise RecordInvalid(
            f"--lifetimes must be comma-separated seconds, got {text!r}",
            field_errors={"lifetimes": ["must be comma-separated integers greater than 0"]},
        )
    return values


def _plot_recommendation(
    result: Recommendation, report: Report | None, path: Path, zone: tzinfo
) -> Path:
    if report is None:
        raise RecordInvalid(
            "no pool size met the targets: nothing to plot",
            field_errors={"plot": ["needs a recommended size"]},
        )
    return plot_recommendation(result, report, path, zone)


def _write_outputs(
    console: Console,
    args: argparse.Namespace,
    body: dict[str, Any],
    plot: Callable[[Path], Path],
) -> None:
    if args.json is not None:
        args.json.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
        console.print(f"JSON report written to {args.json}")
    if args.plot is not None:
        plot(args.plot)
        console.print(f"Plot written to {args.plot}")


@contextmanager
def _progress_bar(
    console: Console, enabled: bool, title: str
) -> Iterator[Callable[[float | None, str | None], None]]:
    """Yields ``tick(fraction, message)``; a no-op when the bar is disabled."""
    if not enabled:
        yield lambda fraction, message: None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(title, total=1.0)

        def tick(fraction: float | None, message: str | None) -> None:
            if message is not None:
                progress.update(task, description=f"{title}: {message}")
            if fraction is not None:
                progress.update(task, completed=fraction)

        yield tick


def _pct(value: float) -> str:
    return f"{100.0 * value:.2f} %"


def _metric_rows(metrics: PoolMetrics) -> list[tuple[str, str]]:
    return [
        ("visitors", f"{metrics.visitors:,}"),
        ("overflow rate", _pct(metrics.overflow_rate)),
        ("overflowed visitors", f"{metrics.overflows:,}"),
        ("peak held / max_pool_size", f"{metrics.peak_held:,} / {metrics.max_pool_size:,}"),
        ("mean held", f"{metrics.mean_held:,.1f}"),
        ("utilisation", _pct(metrics.utilisation)),
        ("calls", f"{metrics.calls:,}"),
        ("attributed", f"{metrics.attributed:,}"),
        ("misattributed", f"{metrics.misattributed:,}"),
        ("unattributed (overflow)", f"{metrics.unattributed:,}"),
        ("attribution rate", _pct(metrics.attribution_rate)),
        ("call minutes", f"{metrics.call_minutes:,.0f}"),
    ]


def _print_report(console: Console, report: Report, zone: tzinfo = UTC) -> None:
    """The report's tables; instants in the scenario's time zone (``zone``), as its profiles."""
    columns = list(report.pools) + ([report.total] if len(report.pools) > 1 else [])
    table = Table(
        title=(
            f"Scenario {report.scenario} (seed {report.seed}): {report.days:g} days from "
            f"{report.start_at.astimezone(zone):%Y-%m-%d %H:%M %Z}"
        )
    )
    table.add_column("metric")
    for metrics in columns:
        label = "all pools" if metrics is report.total else f"pool {metrics.name}"
        table.add_column(label, justify="right")
    rows = [_metric_rows(metrics) for metrics in columns]
    for index, (label, _) in enumerate(rows[0]):
        table.add_row(label, *(row[index][1] for row in rows))
    console.print(table)
    _print_costs(console, report)
    busiest = sorted(
        (hour for hour in report.timeline if hour.overflows),
        key=lambda hour: (-hour.overflows, hour.interval_at),
    )[:5]
    if busiest:
        hours = Table(title=f"{report.resolution_minutes}-minute intervals with the most overflow")
        for name in ("interval", "visitors", "overflowed", "overflow rate", "peak held"):
            hours.add_column(name, justify="right")
        for hour in busiest:
            hours.add_row(
                f"{hour.interval_at.astimezone(zone):%Y-%m-%d %H:%M %Z}",
                f"{hour.visitors:,}",
                f"{hour.overflows:,}",
                _pct(hour.overflow_rate),
                f"{hour.peak_held:,}",
            )
        console.print(hours)
    else:
        console.print("No visitor was served the overflow number.")
    if report.allocations_forgotten:
        console.print(
            f"[yellow]{report.allocations_forgotten} calls came after their allocation was "
            "forgotten (counted as unattributed).[/yellow]"
        )


def _print_costs(console: Console, report: Report) -> None:
    """Numbers' cost and lost calls per pool (shown when the scenario prices anything)."""
    spec = report.scenario_spec.get("costs", {})
    priced = any(spec.values()) or any(
        pool.get(key) for pool in report.scenario_spec.get("pools", ())
        for key in ("number_monthly_cost", "call_value")
    )
    if not priced or report.total_costs is None:
        return
    columns = list(report.costs) + ([report.total_costs] if len(report.costs) > 1 else [])
    table = Table(title=f"Cost and lost calls over {report.days:g} days")
    table.add_column("")
    for cost in columns:
        table.add_column("all pools" if cost.name == "all" else f"pool {cost.name}",
                         justify="right")
    rows = [
        ("numbers", lambda c: f"{c.numbers:,}"),
        ("numbers' cost", lambda c: f"{c.number_cost:,.2f}"),
        ("calls lost to overflow", lambda c: f"{c.lost_to_overflow:,}"),
        ("calls lost to misattribution", lambda c: f"{c.lost_to_misattribution:,}"),
        ("value of lost calls", lambda c: f"{c.lost_value:,.2f}"),
        ("total cost", lambda c: f"{c.total_cost:,.2f}"),
    ]
    for label, cell in rows:
        table.add_row(label, *(cell(cost) for cost in columns))
    console.print(table)


def _print_recommendation(console: Console, result: Recommendation) -> None:
    asked = []
    if result.targets is not None:
        asked.append(f"overflow <= {_pct(result.targets.overflow_rate)}")
        if result.targets.attribution_rate is not None:
            asked.append(f"attribution >= {_pct(result.targets.attribution_rate)}")
    if result.minimise_cost:
        asked.append("lowest total cost")
    console.print(
        f"Scenario {result.scenario}, pool {result.pool} (seed {result.seed}): {', '.join(asked)}"
    )
    console.print(
        f"Erlang B estimate at the peak hour ({result.peak_arrivals_per_hour:,.1f} visitors/hour "
        f"x {result.lifetime_seconds} s = {result.offered_load:,.1f} erlangs): "
        + (f"{result.erlang_estimate:,} numbers" if result.targets is not None else "")
        + (" for the target; " if result.targets is not None
           and result.erlang_cost_estimate is not None else "")
        + (f"{result.erlang_cost_estimate:,} numbers for the lowest cost"
           if result.erlang_cost_estimate is not None else "")
    )
    if result.max_pool_size is None or result.at_size is None:
        console.print("[red]No pool size up to the search cap meets the targets.[/red]")
        return
    console.print(
        f"Recommended: max_pool_size = {result.max_pool_size:,}, "
        f"lifetime_seconds = {result.lifetime_seconds} "
        f"({len(result.evaluated)} sizes simulated)"
    )
    table = Table(title="At the recommended size and one below")
    table.add_column("metric")
    points = [result.at_size] + ([result.below] if result.below is not None else [])
    for point in points:
        verdict = "meets targets" if point.meets_targets else "misses targets"
        table.add_column(f"{point.max_pool_size:,} numbers\n({verdict})", justify="right")
    rows = [_metric_rows(point.metrics) for point in points]
    for index, (label, _) in enumerate(rows[0]):
        table.add_row(label, *(row[index][1] for row in rows))
    table.add_row("Erlang B (peak hour)", *(_pct(point.erlang_b) for point in points))
    if result.minimise_cost:
        for label, cell in _cost_rows():
            table.add_row(label, *(cell(point) for point in points))
    console.print(table)
    if result.minimise_cost:
        if result.target_size is not None and result.cheapest_size is not None:
            console.print(
                f"Cheapest size: {result.cheapest_size:,}; smallest meeting the targets: "
                f"{result.target_size:,}; recommended: the larger."
            )
        _print_cost_curve(console, result)


def _cost_rows() -> list[tuple[str, Callable[[SizePoint], str]]]:
    def cell(attribute: str, money: bool) -> Callable[[SizePoint], str]:
        def show(point: SizePoint) -> str:
            value = getattr(point.costs, attribute, 0)
            return f"{value:,.2f}" if money else f"{value:,}"
        return show
    return [
        ("numbers' cost", cell("number_cost", True)),
        ("calls lost (overflow + misattributed)", cell("lost_calls", False)),
        ("value of lost calls", cell("lost_value", True)),
        ("total cost", cell("total_cost", True)),
    ]


def _print_cost_curve(console: Console, result: Recommendation) -> None:
    """What each extra number buys: total cost at every size simulated."""
    points = [p for p in result.evaluated
              if p.lifetime_seconds == result.lifetime_seconds and p.costs is not None]
    table = Table(title="What each number buys (sizes simulated)")
    for name in ("numbers", "numbers' cost", "lost calls", "value of lost calls",
                 "total cost", "next number saves"):
        table.add_column(name, justify="right")
    by_size = {p.max_pool_size: p for p in points}
    for point in points:
        assert point.costs is not None
        following = by_size.get(point.max_pool_size + 1)
        saves = "" if following is None or following.costs is None else (
            f"{point.costs.lost_value - following.costs.lost_value:,.2f}")
        table.add_row(f"{point.max_pool_size:,}", f"{point.costs.number_cost:,.2f}",
                      f"{point.costs.lost_calls:,}", f"{point.costs.lost_value:,.2f}",
                      f"{point.costs.total_cost:,.2f}", saves)
    console.print(table)


def _print_gap(console: Console, gap: ErlangGap | None) -> None:
    if gap is None:
        return
    table = Table(title=(f"From Erlang B's answer ({gap.erlang:,}) to the simulated one "
                         f"({gap.simulated:,})"))
    for name in ("step", "numbers", "change", "why"):
        table.add_column(name, justify="left" if name in {"step", "why"} else "right")
    table.add_row("Erlang B at the peak hour", f"{gap.erlang:,}", "", "")
    for step in gap.steps:
        table.add_row(
            step.label,
            "-" if step.size is None else f"{step.size:,}",
            "" if step.change is None else f"{step.change:+,}",
            step.why,
        )
    console.print(table)
