"""The one-way import rules of docs/ARCHITECTURE.md, checked by parsing imports with ``ast``:
no forbidden edge, no import circle among the modules of our packages, the collector tuned in
one place."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: package -> top-level modules it must never import
FORBIDDEN = {
    "simulator": {
        "flask", "werkzeug", "requests", "httpx", "urllib3", "http", "socket", "aiohttp",
        "granian", "mock_server", "contracts", "schemathesis", "client", "dask", "distributed",
    },
    "mock_server": {"contracts", "client"},
    "client": {"mock_server", "contracts", "flask", "werkzeug", "granian"},
    "contracts": {"simulator", "mock_server", "client"},
    "openapi": {"simulator", "mock_server", "contracts", "client", "flask"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value.split(".")[0])
    return names


def violations(package: str) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_modules(path) & FORBIDDEN[package]
        found += [f"{path.relative_to(ROOT)} imports {name}" for name in sorted(bad)]
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_forbidden_imports_when_scanning_package(package: str) -> None:
    assert (ROOT / package / "__init__.py").exists()
    assert violations(package) == []


def test_checker_flags_an_import_when_one_is_present(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import flask\nfrom werkzeug.wrappers import Request\n", encoding="utf-8")
    assert imported_modules(sample) >= {"flask", "werkzeug"}


# ---------------------------------------------------------------------------- import circles

#: our packages: no module of them may import (directly or through others) one that imports it
PACKAGES = ("simulator", "mock_server", "contracts", "openapi", "client", "bench")


def module_files(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the ``packages`` present under
    ``root`` (a package is a folder with an ``__init__.py``)."""
    found: dict[str, Path] = {}
    for package in packages:
        if not (root / package / "__init__.py").exists():
            continue
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _imported_names(path: Path, module: str) -> set[str]:
    """The dotted names ``path`` (module ``module``) imports, relative imports resolved: for
    ``from a import b`` both ``a.b`` (it may be a module) and ``a``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the modules of our packages it imports (anywhere in it, functions included)."""
    files = module_files(root, packages)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        targets = set()
        for name in _imported_names(path, module):
            target = name
            while target and target not in files:  # ``a.b.attr`` -> the module ``a.b``
                target = target.rpartition(".")[0]
            if target and target != module:
                targets.add(target)
        graph[module] = targets
    return graph


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The import circles of ``graph``: its strongly connected components of more than one
    module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == module:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return sorted(found)


def circle_report(root: Path, package: str) -> list[str]:
    """Each circle through a module of ``package``, as its files."""
    files = module_files(root, PACKAGES)
    return [" <-> ".join(str(files[module].relative_to(root)) for module in circle)
            for circle in circles(import_graph(root))
            if any(module.split(".")[0] == package for module in circle)]


@pytest.mark.parametrize("package", [
    package for package in PACKAGES if (ROOT / package / "__init__.py").exists()
])
def test_no_import_circle_when_scanning_package(package: str) -> None:
    assert circle_report(ROOT, package) == []


def test_circle_checker_flags_a_circle_when_two_modules_import_each_other(
        tmp_path: Path) -> None:
    package = tmp_path / "simulator"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "inner" / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("from simulator.inner import b\n", encoding="utf-8")
    (package / "inner" / "b.py").write_text("def f():\n    from .. import c\n",
                                            encoding="utf-8")
    (package / "c.py").write_text("import simulator.a\n", encoding="utf-8")
    (package / "d.py").write_text("from simulator.a import thing\n", encoding="utf-8")
    assert circles(import_graph(tmp_path)) == [
        ["simulator.a", "simulator.c", "simulator.inner.b"]]
    assert circle_report(tmp_path, "simulator") == [
        "simulator/a.py <-> simulator/c.py <-> simulator/inner/b.py"]


# ---------------------------------------------------------------------------- the collector

#: the one module that may touch Python's garbage collector: serving tuning, applied by serve
COLLECTOR_TUNING = "mock_server/tuning.py"


@pytest.mark.parametrize("package", ["simulator", "mock_server", "contracts", "openapi", "client"])
def test_only_the_serving_tuning_touches_the_collector_when_scanning_package(
        package: str) -> None:
    users = [str(path.relative_to(ROOT)) for path in sorted((ROOT / package).rglob("*.py"))
             if "gc" in imported_modules(path)]
    assert [user for user in users if user != COLLECTOR_TUNING] == []
