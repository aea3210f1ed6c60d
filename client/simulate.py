"""``invoca-sandbox simulate``: the offline command, plus ``--against URL`` to drive a sandbox.

Usage::

    invoca-sandbox simulate SCENARIO --against http://127.0.0.1:8080 [--seed N] [--days D]
        [--json out.json] [--plot out.png] [--log out.jsonl] [--admin-token TOKEN]
        [--reset-target]

Without ``--against`` every argument goes to :func:`simulator.cli.main` unchanged. With it, the
scenario is driven through the running sandbox (:func:`client.drive.drive_scenario`) and
the same report is printed (and written with ``--json``/``--plot``). ``--log`` writes the
allocation log as the server answered it, one JSON array ``[allocated_at, promo number,
overflow]`` a line. The target must run ``serve --clock manual --start <start_at or before>``.
It is checked before anything is changed (:func:`client.drive.check_target`: reachable, clock
not past ``start_at``, a world with a token and a campaign, the pools' ids free) and reset
(``POST /_sandbox/reset``) only with ``--reset-target``. ``--admin-token`` (default
``$INVOCA_SANDBOX_ADMIN_TOKEN``) is the target's admin token, for its control API.
``--recommend`` is offline only. ``simulate network FILE ...`` is
:mod:`client.network_command` (a network of pools, sized on Dask or serially).

Errors: bad input or a target that misbehaves prints ``{"errors": {...}}`` on stderr and exits
with status 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from client import network_command
from client.drive import drive_scenario
from simulator import cli as offline
from simulator.errors import RecordInvalid, SandboxError
from simulator.plot import plot_report

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invoca-sandbox simulate",
        description="Drive a scenario through a running sandbox over HTTP.",
    )
    parser.add_argument("scenario", help="scenario TOML file or bundled example name")
    parser.add_argument("--against", required=True, metavar="URL",
                        help="base URL of a running sandbox (serve --clock manual)")
    parser.add_argument("--seed", type=int, help="random seed (default: the scenario's seed)")
    parser.add_argument("--days", type=float, help="override the scenario's duration in days")
    parser.add_argument("--resolution", type=int, metavar="MINUTES",
                        help="the report's interval in minutes (1 to 60, dividing an hour)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="write the report as JSON")
    parser.add_argument("--plot", type=Path, metavar="PATH", help="write a PNG plot")
    parser.add_argument("--log", type=Path, metavar="PATH",
                        help="write the allocation log (JSON lines)")
    parser.add_argument("--no-progress", action="store_true", help="accepted; no bar is shown")
    parser.add_argument("--reset-target", action="store_true",
                        help="reset the target (POST /_sandbox/reset) after checking it, "
                             "before the run (default: leave its state alone)")
    parser.add_argument("--admin-token", metavar="TOKEN",
                        default=os.environ.get("INVOCA_SANDBOX_ADMIN_TOKEN") or None,
                        help="the target's admin token, for its control API "
                             "(default: $INVOCA_SANDBOX_ADMIN_TOKEN)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["network"]:  # simulate network FILE: client/network_command.py
        return network_command.main(args_list[1:])
    if not any(arg == "--against" or arg.startswith("--against=") for arg in args_list):
        return offline.main(args_list)
    try:
        args = _parser().parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0)
    console = Console(
        file=sys.stdout, highlight=False, width=None if sys.stdout.isatty() else 100
    )
    try:
        scenario = offline.load_scenario(args.scenario)
        if args.seed is not None:
            scenario = scenario.with_seed(args.seed)
        if args.days is not None:
            if args.days <= 0:
                raise RecordInvalid("days must be a number greater than 0",
                                    field_errors={"days": ["must be a number greater than 0"]})
            scenario = dataclasses.replace(scenario, days=args.days)
        if args.resolution is not None:
            scenario = dataclasses.replace(scenario, resolution_minutes=args.resolution)
        report, log = drive_scenario(scenario, args.against, admin_token=args.admin_token,
                                     reset=args.reset_target)
    except SandboxError as exc:
        print(json.dumps(exc.to_dict(), sort_keys=True), file=sys.stderr)
        return 2
    offline._print_report(console, report, scenario.zone)
    if args.json is not None:
        args.json.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
        console.print(f"JSON report written to {args.json}")
    if args.log is not None:
        args.log.write_text("".join(json.dumps(list(entry)) + "\n" for entry in log),
                            encoding="utf-8")
        console.print(f"Allocation log written to {args.log}")
    if args.plot is not None:
        plot_report(report, args.plot, scenario.zone)
        console.print(f"Plot written to {args.plot}")
    return 0
