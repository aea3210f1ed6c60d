"""The ``invoca-sandbox`` command: one entry point, one subcommand per job.

Subcommands are registered by name and imported only when run, so ``invoca-sandbox serve``
does not pay for the contract suites and ``simulate`` does not load Flask. A command whose
optional extra is not installed (``contract`` needs ``invoca-sandbox[contract]``) says which
``pip install`` brings it, read from the installed package's own extras (its metadata), and
exits 2 instead of a traceback.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import sys
from collections.abc import Sequence

DISTRIBUTION = "invoca-sandbox"
#: ``name...; extra == "contract"`` in the package's requirements
_EXTRA_REQUIREMENT = re.compile(
    r"""^\s*([A-Za-z0-9][A-Za-z0-9._-]*).*;.*extra\s*==\s*["']([^"']+)["']""")
#: this package's own modules: one of them missing is a bug, not a missing extra
OWN_PACKAGES = frozenset({"mock_server", "simulator", "client", "contracts", "openapi", "bench"})

#: subcommand -> (module, function, one-line help). The function takes argv and returns
#: the exit status.
SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "serve": ("mock_server.serve", "main", "run the sandbox HTTP server"),
    "simulate": ("client.simulate", "main", "run a traffic scenario (offline or --against)"),
    "contract": ("contracts.cli", "main", "run the contract suites against a base URL"),
    "spec": ("openapi.cli", "main", "print or validate the OpenAPI contract"),
    "world": ("client.world_pull", "main", "world pull: a network read into a world file"),
}


def _top(module: str) -> str:
    return module.partition(".")[0]


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def extra_for(module: str) -> str | None:
    """The optional extra of this package that installs ``module`` (its top-level name read as
    a distribution name), the first one listing it; None when no extra does."""
    wanted = _normal(_top(module))
    try:
        requirements = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for line in requirements:
        found = _EXTRA_REQUIREMENT.match(line)
        if found and _normal(found.group(1)) == wanted:
            return found.group(2)
    return None


def missing_message(command: str, module: str) -> str:
    """What to say when ``command`` cannot import ``module``."""
    extra, top = extra_for(module), _top(module)
    if extra is None:
        return (f"invoca-sandbox {command}: needs the Python package {top!r}, which is not "
                f"installed: pip install {top}")
    return (f"invoca-sandbox {command}: needs {top!r} from the {extra!r} extra, which is not "
            f"installed: pip install '{DISTRIBUTION}[{extra}]'")


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
        if exc.name == module_name:
            print(f"invoca-sandbox: the {name!r} command is not available yet", file=sys.stderr)
            return 2
        if not exc.name or _top(exc.name) in OWN_PACKAGES:
            raise  # a bug of this package, not a missing extra
        print(missing_message(name, exc.name), file=sys.stderr)
        return 2
    try:
        result: int = getattr(module, function_name)(rest)
    except ModuleNotFoundError as exc:  # an extra a command imports only when asked for it
        if not exc.name or _top(exc.name) in OWN_PACKAGES:
            raise
        print(missing_message(name, exc.name), file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
