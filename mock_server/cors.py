"""CORS, on by default (as Prism's mock server): a browser front-end on another origin can
call the sandbox, contract routes and control API alike.

Rules:
1. A WSGI middleware around the whole app (both dispatchers, the control API, errors): every
   answer carries ``Access-Control-Allow-Origin`` and ``Access-Control-Expose-Headers`` (the
   sandbox's own headers, e.g. ``X-Sandbox-Api-Version``, readable by scripts).
2. A preflight (``OPTIONS`` with ``Access-Control-Request-Method``) is answered here, for
   every path, before the app sees it: 204 with the methods, the requested headers echoed
   (``Authorization``, ``X-Sandbox-Admin-Token``, ``Content-Type``...) and a max age. The
   admin token is not asked of a preflight (browsers never send credentials on one); the
   real request still needs it. A plain ``OPTIONS`` goes to the app as before.
3. Config ``CORS`` (default true; ``serve --no-cors``) turns it off; ``CORS_ORIGIN`` (default
   ``*``; ``serve --cors-origin``) is ``*`` or a comma-separated list of origins: a listed
   request ``Origin`` is echoed (with ``Vary: Origin``) and an unlisted one gets no CORS
   headers. With ``*`` no credentials mode is offered (``Access-Control-Allow-Credentials``
   is sent only with a listed origin).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

__all__ = ["ALLOWED_METHODS", "EXPOSED_HEADERS", "CorsMiddleware", "cors_origins"]

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD"
#: answer headers a script may read (besides the CORS-safelisted ones)
EXPOSED_HEADERS = ("X-Sandbox-Api-Version, X-Sandbox-Journal-Dropped, processing-time, "
                   "Location, Content-Disposition")
DEFAULT_ALLOWED_HEADERS = "Authorization, Content-Type, X-Sandbox-Admin-Token"
MAX_AGE = "86400"

StartResponse = Callable[..., Any]
App = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def cors_origins(config: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The origins ``config`` allows: ``("*",)``, a list, or None when CORS is off."""
    if not config.get("CORS", True):
        return None
    text = str(config.get("CORS_ORIGIN") or "*")
    origins = tuple(part.strip().rstrip("/") for part in text.split(",") if part.strip())
    return ("*",) if not origins or "*" in origins else origins


class CorsMiddleware:
    """Rules 1-3 around ``app``."""

    def __init__(self, app: App, origins: tuple[str, ...]) -> None:
        self.app = app
        self.any_origin = origins == ("*",)
        self.origins = frozenset(origins)

    def _headers(self, environ: Mapping[str, Any]) -> list[tuple[str, str]] | None:
        if self.any_origin:
            return [("Access-Control-Allow-Origin", "*")]
        origin = str(environ.get("HTTP_ORIGIN") or "")
        if origin.rstrip("/") not in self.origins:
            return None
        return [("Access-Control-Allow-Origin", origin), ("Vary", "Origin"),
                ("Access-Control-Allow-Credentials", "true")]

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        headers = self._headers(environ)
        if headers is None:
            return self.app(environ, start_response)
        if (environ.get("REQUEST_METHOD") == "OPTIONS"
                and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD")):
            requested = str(environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS") or "").strip()
            start_response("204 NO CONTENT", [
                *headers,
                ("Access-Control-Allow-Methods", ALLOWED_METHODS),
                ("Access-Control-Allow-Headers", requested or DEFAULT_ALLOWED_HEADERS),
                ("Access-Control-Max-Age", MAX_AGE),
                ("Content-Length", "0"),
            ])
            return [b""]
        extra = [*headers, ("Access-Control-Expose-Headers", EXPOSED_HEADERS)]

        def start(status: str, response_headers: list[tuple[str, str]],
                  exc_info: Any = None) -> Any:
            names = {name.lower() for name, _ in response_headers}
            added = [pair for pair in extra if pair[0].lower() not in names]
            return start_response(status, [*response_headers, *added], exc_info)

        return self.app(environ, start)
