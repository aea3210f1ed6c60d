"""The sandbox's pages for people (not Invoca's contract): the API docs and the dashboard.

* ``GET /_sandbox/docs``: Swagger UI 5 on ``/openapi.json`` (whose first server is the
  address the page was loaded from, so "Try it out" calls this sandbox), the world's demo
  credentials prefilled when the control API lets the page read them. Swagger UI's files are
  the ``flask-swagger-ui`` package's (no CDN: works offline), served under
  ``/_sandbox/docs/``; the page's own files are in :mod:`mock_server.browser`.
* ``GET /_sandbox/``: the dashboard, a static page polling the control API (``/_sandbox/pools``,
  ``/_sandbox/requests``, ``/_sandbox/transactions``) and moving the clock
  (``POST /_sandbox/clock``); its files under ``/_sandbox/dashboard/``.

A blueprint nested in the control API's (:data:`mock_server.control.control`): its admin-token
check covers these routes; :mod:`mock_server.admin` lets the pages' files through without the
token (they hold no state: docs/fidelity.md UI1) and the data calls need it.
"""

from __future__ import annotations

import mimetypes
from functools import cache
from importlib import resources
from pathlib import Path

from flask import Blueprint, Response

from simulator.errors import RecordNotFound

__all__ = ["BROWSER_FILES", "pages", "swagger_ui_directory"]

pages = Blueprint("pages", __name__)

#: the pages' own files (HTML, CSS, JS), shipped in the package
BROWSER_FILES = Path(__file__).parent / "browser"
#: the docs page's own files, served before Swagger UI's under ``/_sandbox/docs/``
DOCS_FILES = frozenset({"docs.js"})
DASHBOARD_FILES = frozenset({"dashboard.css", "dashboard.js"})


@cache
def _read(path: Path) -> bytes:
    """A file's bytes, read once (a few small files, and Swagger UI's ~2.5 MB)."""
    return path.read_bytes()


def _file(path: Path) -> Response:
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind.endswith(("javascript", "json")):
        kind += "; charset=utf-8"
    response = Response(_read(path), content_type=kind)
    response.headers["Cache-Control"] = "no-cache"  # a new release shows at once
    return response


def swagger_ui_directory() -> Path | None:
    """Where the ``flask-swagger-ui`` package keeps Swagger UI's files (None if missing)."""
    try:
        directory = Path(str(resources.files("flask_swagger_ui") / "dist"))
    except ModuleNotFoundError:
        return None
    return directory if (directory / "swagger-ui-bundle.js").is_file() else None


@cache
def _swagger_ui_files(directory: Path) -> frozenset[str]:
    """The names of Swagger UI's files (only these are served: no path is joined)."""
    return frozenset(entry.name for entry in directory.iterdir() if entry.is_file())


@pages.get("/_sandbox/docs")
@pages.get("/_sandbox/docs/")
def docs() -> Response:
    return _file(BROWSER_FILES / "docs.html")


@pages.get("/_sandbox/docs/<path:filename>")
def docs_file(filename: str) -> Response:
    if filename in DOCS_FILES:
        return _file(BROWSER_FILES / filename)
    directory = swagger_ui_directory()
    if directory is None:
        raise RecordNotFound("The API docs need the flask-swagger-ui package: "
                             "pip install flask-swagger-ui")
    if filename not in _swagger_ui_files(directory):
        raise RecordNotFound(f"No API docs file {filename!r}"[:200])
    return _file(directory / filename)


@pages.get("/_sandbox/")
def dashboard() -> Response:
    return _file(BROWSER_FILES / "dashboard.html")


@pages.get("/_sandbox/dashboard/<filename>")
def dashboard_file(filename: str) -> Response:
    if filename not in DASHBOARD_FILES:
        raise RecordNotFound(f"No dashboard file {filename!r}"[:200])
    return _file(BROWSER_FILES / filename)
