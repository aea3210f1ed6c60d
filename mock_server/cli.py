"""The ``invoca-sandbox`` command: one entry point, one subcommand per job.

Subcommands are registered by name and imported only when run, so ``invoca-sandbox serve``
does not pay for the contract suites and ``simulate`` does not load Flask.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

#: subcommand -> (module, function, one-line help). The function takes argv and returns
#: the exit status.
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "serve": ("mock_server.serve", "main", "run the sandbox HTTP server"),
    "simulate": ("client.simulate", "main", "run a traffic scenario (offline or --against)"),
    "contract": ("contracts.cli", "main", "run the contract suites against a base URL"),
    "spec": ("openapi.cli", "main", "print or validate the OpenAPI contract"),
}


def usage() -> str:
    lines = ["usage: invoca-sandbox <command> [options]", "", "commands:"]
    lines += [f"  {name:<10} {entry[2]}" for name, entry in SUBCOMMANDS.items()]
    lines += ["", "Run 'invoca-sandbox <command> --help' for the options of a command."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    entry = SUBCOMMANDS.get(name)
    if entry is None:
        print(f"invoca-sandbox: unknown command {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    module_name, function_name, _ = entry
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        print(f"invoca-sandbox: the {name!r} command is not available yet", file=sys.stderr)
        return 2
    result: int = getattr(module, function_name)(rest)
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
