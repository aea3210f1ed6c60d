"""The control API's admin token, and where the sandbox may be served without one.

Rules:
1. Config ``ADMIN_TOKEN`` (``serve --admin-token TOKEN`` or the environment variable
   :data:`ADMIN_ENV`): when set, every request under ``/_sandbox/`` but the pages' static files
   (the API docs and Swagger UI's files; the dashboard's page and files: no state, and the
   dashboard's data calls need the token) must carry it in the :data:`ADMIN_HEADER` header,
   compared in constant time (:func:`simulator.principals.same_secret`); otherwise 401
   ``Unauthorized`` in the control API's error shape, and nothing happens. Unset, the control
   API is open, as on loopback by default.
2. ``serve --host`` off loopback (anything but 127.0.0.0/8, ``::1`` and ``localhost``) needs an
   admin token: without one it refuses to start (exit status 2), before binding anything.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
from collections.abc import Mapping
from typing import Any

from simulator.errors import Unauthorized
from simulator.principals import same_secret

__all__ = ["ADMIN_ENV", "ADMIN_HEADER", "add_admin_flags", "admin_config", "admin_problem",
           "is_loopback", "is_open", "require_admin_token"]

#: the request header carrying the admin token
ADMIN_HEADER = "X-Sandbox-Admin-Token"
#: the environment variable ``serve`` reads the admin token from (``--admin-token`` wins)
ADMIN_ENV = "INVOCA_SANDBOX_ADMIN_TOKEN"
#: the control paths
CONTROL_PREFIX = "/_sandbox/"
#: the ones open without the token: the pages' static files, which hold no state (the API
#: docs and Swagger UI's files; the dashboard's page and files, whose data calls need it)
OPEN_PATHS = frozenset({"/_sandbox/", "/_sandbox/docs"})
OPEN_PREFIXES = ("/_sandbox/docs/", "/_sandbox/dashboard/")


def is_open(path: str) -> bool:
    """Whether ``path`` is served without the admin token (rule 1)."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def require_admin_token(config: Mapping[str, Any], path: str, sent: str | None) -> None:
    """Rule 1: ``Unauthorized`` unless the request may reach ``path`` with ``sent``."""
    expected = config.get("ADMIN_TOKEN")
    if not expected or not path.startswith(CONTROL_PREFIX) or is_open(path):
        return
    if sent is None:
        raise Unauthorized(f"The control API needs the admin token in the {ADMIN_HEADER} header")
    if not same_secret(sent, str(expected)):
        raise Unauthorized(f"The {ADMIN_HEADER} header does not hold the admin token")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (as given to ``--host``) is a loopback address."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def add_admin_flags(parser: argparse.ArgumentParser) -> None:
    """``serve``'s ``--admin-token``."""
    parser.add_argument("--admin-token", default=os.environ.get(ADMIN_ENV) or None,
                        metavar="TOKEN",
                        help=f"require the {ADMIN_HEADER} header on the control API "
                             f"(/_sandbox/*); default ${ADMIN_ENV}; needed off loopback")


def admin_problem(args: argparse.Namespace) -> str | None:
    """Why ``serve`` must not start with these arguments (rule 2), or None."""
    if args.admin_token is not None and not args.admin_token.strip():
        return "--admin-token must not be empty"
    if args.admin_token is None and not is_loopback(args.host):
        return (f"--host {args.host} is not a loopback address: anyone who reaches it could "
                f"read the world's credentials and import their own; give --admin-token TOKEN "
                f"(or {ADMIN_ENV}) to require it on the control API, or bind 127.0.0.1")
    return None


def admin_config(args: argparse.Namespace) -> dict[str, Any]:
    """The config keys of ``serve``'s admin flags."""
    return {"ADMIN_TOKEN": args.admin_token} if args.admin_token else {}
