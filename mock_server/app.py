"""The application factory: ``create_app(config=None, *, platform=None) -> Flask``.

Rules:
1. State lives in ``app.extensions["invoca_sandbox"]`` (a
   :class:`~mock_server.state.SandboxState`), never in module globals: two apps in one process
   share nothing.
2. Every contract operation gets one URL rule whose endpoint is its ``operationId``
   (:mod:`mock_server.binding`). Per request the frame does, in order: path parameters
   (404 for a version or format the route does not have), a missing ``ring_pool_key``
   (403 ``InvalidKey``), query parameters (403), credentials (401), body validation (403), the
   handler under the state lock (one platform call), rendering.
3. Errors raised anywhere on that path are :class:`~simulator.errors.SandboxError`s rendered by
   :func:`mock_server.rendering.render_error` in the family's shape; any other exception is a
   500 ``InternalServiceError`` whose 10-digit handle comes from a seeded generator (the same
   seed gives the same handles in the same order).
4. One ``threading.RLock`` per app serialises handler calls (config ``SERIALIZE_HANDLERS``,
   default true), so concurrent requests never interleave half-made objects whatever the
   model's own locking; set it false to rely on the Platform's locks alone.
5. The frame has one hook, after validation and authentication and before the handler
   (:mod:`mock_server.state`, rule 2): injected faults and fault switches
   (:mod:`mock_server.faults`, a WSGI middleware mounted only while one is on) use it. The
   request journal keeps the last ``REQUEST_JOURNAL`` (default 1000; 0 = off) requests, their
   credentials redacted (:mod:`mock_server.redaction`).
6. Every answer of a request whose version stands for a published one (success or error,
   both dispatchers; also a route that version does not serve) carries
   ``X-Sandbox-Api-Version: <the resolved date>`` (:data:`VERSION_HEADER`): a client calling
   ``2023-10-09`` sees it is served as ``2021-08-09``.

Config keys (all optional):

* ``SEED`` (int, 0): the platform's seed, and the seed of error handles and faults.
* ``CLOCK`` (``manual`` | ``system``; ``manual``) and ``START`` (ISO-8601 start instant; a
  manual clock defaults to ``2016-10-01T00:00:00Z``).
* ``WORLD``: a parsed world file (see ``simulator.world``); without it the seeded demo world.
* ``BASE_URL``: the public base URL of the links in answers (``object_url``, ``sample_api_url``,
  ``test_click_url``, tracking URLs; ``serve`` sets it to its own address).
* ``NUMBERS`` (``fictional`` | ``valid``; ``fictional``): the number range, only fictional
  NXX-555-01XX numbers (700 toll-free in all, split between the world's networks) or every
  valid-looking NANP number. ``NUMBER_QUARANTINE_SECONDS`` (86,400): sandbox seconds before a
  released number (deleted pool or promo number, shrunk pool) is issued again.
  ``NUMBERS_PER_NETWORK`` (100,000): the most numbers a network holds at once. A world
  file's ``[settings]`` table (``numbers``, ``number_quarantine_seconds``,
  ``numbers_per_network``) sets them too; the config wins (:func:`number_options`).
* ``ALLOCATION_RETENTION``, ``EVENT_RETENTION``, ``TRANSACTION_RETENTION``, ``JOURNAL_LIMIT``
  (:data:`BOUNDS`): the platform's bounds of the same names (``simulator.settings``; a positive
  integer, or None for unbounded); absent, the platform's defaults.
* ``CALL_INGESTION_DELAY_SECONDS`` (900): seconds on the sandbox clock between a Call
  Ingestion request and the call's transaction (0..86400; ``serve --call-ingestion-delay``).
* ``SMS_SEND_DELAY_SECONDS`` (1), ``SMS_DELIVERY_DELAY_SECONDS`` (5), ``SMS_FAILURE_RATE`` (0):
  the SMS Messaging API's delivery reports on the sandbox clock (``sent`` after the first
  delay, then ``delivered`` or ``failed`` after the second; the share the carrier fails,
  drawn from the seeded ``sms`` stream). A world file's ``[settings]`` sets them too (a
  failure rate per world); the config wins (:func:`sms_options`).
* ``SERIALIZE_HANDLERS`` (true) and ``REQUEST_JOURNAL`` (1000): see rules 4 and 5;
  ``REQUEST_JOURNAL_BODY_BYTES`` (4096): the body bytes a journal entry keeps
  (:mod:`mock_server.request_journal`).
* ``CORS`` (true) and ``CORS_ORIGIN`` (``*``, or a comma-separated list of origins): CORS
  headers and preflight answers on every route (:mod:`mock_server.cors`).
* ``ADMIN_TOKEN`` (unset): the token every ``/_sandbox/`` request must then carry in the
  ``X-Sandbox-Admin-Token`` header (:mod:`mock_server.admin`).
* ``FAST_DISPATCH`` (true): contract routes are answered by a thin WSGI dispatcher over the
  same URL map and handlers, skipping Flask's per-request contexts and hooks and werkzeug's
  ``Request``/``Response`` objects (it remembers the last 4,096 matched method/path pairs,
  reads the environ through :class:`Incoming` and starts the response itself); false sends
  every request through Flask. Both give the same responses (the tests run both).
* ``SPEC_CACHE`` (true): read the contract through :func:`openapi.contract.load_spec` (a
  parsed copy kept in the user's cache directory, keyed by the YAML's SHA-256); false parses
  the YAML.
* ``STRICT`` (false): the docs-literal reading of the contract: only published version dates,
  a Transactions ``limit`` above 4000 refused instead of clamped, unknown body keys refused
  instead of dropped. ``STRICT_VERSIONS`` (false): only the version part. A world file's
  ``[settings]`` table (``strict = true``, ``strict_versions = true``) turns them on too
  (:func:`strictness_of`); ``/_sandbox/health`` reports the strictness in effect.
* ``MAX_BODY_BYTES`` (1 MiB, :data:`~mock_server.wsgi.DEFAULT_MAX_BODY_BYTES`; 0 = no
  limit): the longest request body read; a longer one is 413 ``RequestEntityTooLarge`` in the
  family's error shape, refused by its ``Content-Length`` before it is read (a chunked one
  while it is read). ``MAX_STATE_BYTES`` (64 MiB; 0 = no limit): the same for ``PUT
  /_sandbox/state``, whose documents grow with the command journal.
* For tests: ``SPEC`` (a contract mapping instead of ``openapi.contract.load_spec()``) and
  ``HANDLERS`` (handler name -> function, instead of the handlers package).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from typing import Any, NamedTuple

from flask import Flask, Response
from flask import request as flask_request
from werkzeug.exceptions import HTTPException

from mock_server.auth import authenticate, extract_credentials
from mock_server.binding import FieldFilter, Operation, bind_operations
from mock_server.control import control, parse_instant
from mock_server.cors import CorsMiddleware, cors_origins
from mock_server.handlers import Call, Reply
from mock_server.links import links
from mock_server.rendering import JSON_TYPE, json_body, render_error, render_success
from mock_server.request_journal import DEFAULT_BODY_BYTES, RequestJournal
from mock_server.state import EXTENSION, INTERCEPT, SandboxState, sandbox_state
from mock_server.validation import Strictness, is_refusal
from mock_server.wsgi import (
    DEFAULT_MAX_BODY_BYTES,
    STATUS_LINES,
    Incoming,
    read_body,
    status_line,
)
from openapi import SPEC_PATH
from openapi.contract import load_spec, parse_spec
from simulator.clock import ManualClock, SystemClock
from simulator.errors import InternalServiceError, InvalidKey, RecordInvalid, SandboxError
from simulator.number_shares import (
    DEFAULT_NUMBERS_PER_NETWORK,
    DEFAULT_QUARANTINE_SECONDS,
    check_number_settings,
)
from simulator.platform import Platform, PlatformSettings
from simulator.shares import parse_share

__all__ = ["BOUNDS", "VERSION_HEADER", "Answer", "body_limit", "build_platform", "create_app",
           "number_options", "sandbox_state", "strictness_of", "world_settings"]

DEFAULT_START = "2016-10-01T00:00:00Z"
#: the response header naming the version a request was served as (resolved, published)
VERSION_HEADER = "X-Sandbox-Api-Version"
#: the keys a world file's ``[settings]`` table may hold
WORLD_SETTINGS = ("strict", "strict_versions", "numbers", "number_quarantine_seconds",
                  "numbers_per_network", "sms_send_delay_seconds", "sms_delivery_delay_seconds",
                  "sms_failure_rate")
#: the PlatformSettings bounds a config sets under their names in capitals
BOUNDS = ("allocation_retention", "event_retention", "transaction_retention", "journal_limit")
log = logging.getLogger("invoca_sandbox")


def _load_spec(config: Mapping[str, Any]) -> Mapping[str, Any]:
    spec = config.get("SPEC")
    if spec is not None:
        return spec
    if config.get("SPEC_CACHE", True):
        return load_spec()
    return parse_spec(SPEC_PATH)


def build_platform(config: Mapping[str, Any]) -> Any:
    """The model's Platform for ``config``, holding its world (the seeded demo or ``WORLD``)."""
    seed = int(config.get("SEED", 0))
    clock: Any
    if config.get("CLOCK", "manual") == "system":
        clock = SystemClock()
        if config.get("START"):
            clock.set(parse_instant(str(config["START"])))
    else:
        clock = ManualClock(parse_instant(str(config.get("START") or DEFAULT_START)))
    options: dict[str, Any] = {"world": config.get("WORLD"), **number_options(config)}
    if config.get("BASE_URL"):
        options["base_url"] = str(config["BASE_URL"]).rstrip("/")
    options.update({name: config[name.upper()] for name in BOUNDS if name.upper() in config})
    if config.get("CALL_INGESTION_DELAY_SECONDS") is not None:
        options["call_ingestion_delay_seconds"] = float(config["CALL_INGESTION_DELAY_SECONDS"])
    options.update(sms_options(config))
    return Platform(clock, seed=seed, settings=PlatformSettings(**options))


#: the SMS Messaging settings: (config key and world ``[settings]`` key, the lowest, the highest)
SMS_SETTINGS = {"sms_send_delay_seconds": (0.0, 86_400.0),
                "sms_delivery_delay_seconds": (0.0, 86_400.0),
                "sms_failure_rate": (0.0, 1.0)}


def sms_options(config: Mapping[str, Any]) -> dict[str, float]:
    """The SMS delays and failure rate ``config`` asks for (``SMS_SEND_DELAY_SECONDS``,
    ``SMS_DELIVERY_DELAY_SECONDS``, ``SMS_FAILURE_RATE``), else the world's ``[settings]``
    (a failure rate per world), else the platform's defaults; out of range -> RecordInvalid."""
    table = world_settings(config)
    options: dict[str, float] = {}
    for name, (low, high) in SMS_SETTINGS.items():
        value = config.get(name.upper())
        if value is None:
            value = table.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise RecordInvalid(f"{name} must be a number in {low:g}..{high:g}")
        if name.endswith("_rate"):  # a share: "2%" and 0.02 alike
            options[name] = parse_share(value, name=name)
            continue
        try:
            number = float(value)
        except ValueError:
            raise RecordInvalid(f"{name} must be a number in {low:g}..{high:g}") from None
        if not low <= number <= high:
            raise RecordInvalid(f"{name} must be a number in {low:g}..{high:g}")
        options[name] = number
    return options


def body_limit(config: Mapping[str, Any], key: str = "MAX_BODY_BYTES",
               default: int = DEFAULT_MAX_BODY_BYTES) -> int | None:
    """The body limit ``config`` sets under ``key`` in bytes (None: no limit, from 0)."""
    return int(config.get(key, default)) or None


def world_settings(config: Mapping[str, Any]) -> Mapping[str, Any]:
    """The ``[settings]`` table of ``config``'s ``WORLD`` (``{}`` without one), checked: other
    keys, strictness that is not a boolean or a number setting out of range are refused
    (``RecordInvalid``)."""
    world = config.get("WORLD")
    table = world.get("settings") if isinstance(world, Mapping) else None
    table = {} if table is None else table
    if not isinstance(table, Mapping):
        raise RecordInvalid("settings must be a table")
    for key, value in table.items():
        if key not in WORLD_SETTINGS:
            raise RecordInvalid(f"settings.{key} is not a setting (known: "
                                f"{', '.join(WORLD_SETTINGS)})")
        if key in ("strict", "strict_versions") and not isinstance(value, bool):
            raise RecordInvalid(f"settings.{key} must be true or false")
    check_number_settings(table.get("numbers", "fictional"),
                          table.get("number_quarantine_seconds", DEFAULT_QUARANTINE_SECONDS),
                          table.get("numbers_per_network", DEFAULT_NUMBERS_PER_NETWORK))
    return table


def number_options(config: Mapping[str, Any]) -> dict[str, Any]:
    """The number range, quarantine and per-network bound ``config`` asks for (``NUMBERS``,
    ``NUMBER_QUARANTINE_SECONDS``, ``NUMBERS_PER_NETWORK``), else the world's
    ``[settings]``, else the defaults."""
    table = world_settings(config)
    defaults = {"numbers": "fictional", "number_quarantine_seconds": DEFAULT_QUARANTINE_SECONDS,
                "numbers_per_network": DEFAULT_NUMBERS_PER_NETWORK}
    options = {name: config[name.upper()] if config.get(name.upper()) is not None
               else table.get(name, default) for name, default in defaults.items()}
    check_number_settings(*options.values())
    return options


def strictness_of(config: Mapping[str, Any]) -> Strictness:
    """The strictness ``config`` asks for: ``STRICT``/``STRICT_VERSIONS``, or the ``[settings]``
    table of its ``WORLD`` (either turns a part on; :func:`world_settings` checks it)."""
    table = world_settings(config)
    strict = bool(config.get("STRICT")) or bool(table.get("strict"))
    versions = strict or bool(config.get("STRICT_VERSIONS")) or bool(table.get("strict_versions"))
    return Strictness(versions=versions, inputs=strict)


def create_app(config: Mapping[str, Any] | None = None, *, platform: Any = None) -> Flask:
    """A sandbox app for ``config`` (see the module docstring), over ``platform`` if given."""
    settings = dict(config or {})
    app = Flask("mock_server")
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = body_limit(settings)
    strictness = strictness_of(settings)
    spec = _load_spec(settings)
    handlers = settings.get("HANDLERS")
    operations = bind_operations(spec, handlers, strictness)
    if platform is None:
        platform = build_platform(settings)
    seed = int(settings.get("SEED", 0))
    state = SandboxState(
        platform=platform,
        spec=spec,
        operations={op.operation_id: op for op in operations},
        config=settings,
        handle_random=random.Random(f"invoca-sandbox:{seed}:handles"),
        field_filter=FieldFilter(spec),
        journal=RequestJournal(int(settings.get("REQUEST_JOURNAL", 1000)),
                               int(settings.get("REQUEST_JOURNAL_BODY_BYTES",
                                                DEFAULT_BODY_BYTES))),
        strictness=strictness,
    )
    app.extensions[EXTENSION] = state
    handles: dict[str, tuple[str, Callable[..., Answer]]] = {}
    for operation in operations:
        handle = _handler(state, operation)
        handles[operation.operation_id] = (operation.method.upper(), handle)
        app.add_url_rule(
            operation.rule,
            endpoint=operation.operation_id,
            view_func=_view(handle, operation.handler_name),
            methods=[operation.method.upper()],
        )
    app.register_blueprint(control)
    app.register_blueprint(links)
    _register_error_pages(app)
    if settings.get("FAST_DISPATCH", True):
        _fast_dispatch(app, handles)
    origins = cors_origins(settings)
    if origins is not None:
        app.wsgi_app = CorsMiddleware(app.wsgi_app, origins)  # type: ignore[method-assign]
    return app


class Answer(NamedTuple):
    """What the frame answers: status, body, content type and extra headers (both dispatchers
    turn it into a response: Flask as a ``Response``, the fast path straight to WSGI)."""

    status: int
    payload: bytes
    content_type: str
    headers: Any = None


def _register_error_pages(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        status = error.code or 500
        name = "RecordNotFound" if status == 404 else (error.name or "Error").replace(" ", "")
        body = {"errors": {"class": name, "invalid_data": error.description or name}}
        headers = [(key, value) for key, value in error.get_headers()
                   if key.lower() not in {"content-type", "content-length"}]
        return Response(json_body(body), status=status, content_type=JSON_TYPE,
                        headers=headers)


def _request_base_url(environ: Mapping[str, Any]) -> str:
    """``scheme://host[:port]`` of a request, straight from the WSGI environ (cheap)."""
    host = environ.get("HTTP_HOST") or (
        f"{environ.get('SERVER_NAME', 'localhost')}:{environ.get('SERVER_PORT', '80')}"
    )
    return f"{environ.get('wsgi.url_scheme', 'http')}://{host}"


def _format_of(operation: Operation, path_values: Mapping[str, Any]) -> str:
    if operation.fixed_format is not None:
        return operation.fixed_format
    fmt = path_values.get("format")
    return fmt if fmt in {"json", "xml", "csv"} else "json"


def _form_value(request: Any, name: str) -> str | None:
    """A form field of ``request``, or None (never raises)."""
    try:
        value = request.form.get(name)
    except Exception:  # a body that is not a form
        return None
    return None if value is None else str(value).strip()


def _not_implemented(operation: Operation) -> Answer:
    body = {
        "errors": {
            "class": "NotImplemented",
            "invalid_data": (
                f"The sandbox does not implement {operation.operation_id} "
                f"({operation.method.upper()} {operation.path}) yet"
            ),
        }
    }
    return Answer(501, json_body(body), JSON_TYPE)


def _handler(state: SandboxState, operation: Operation) -> Callable[[Any, dict[str, str]],
                                                                   Answer]:
    """The request-explicit function that answers one operation (used by both dispatchers)."""
    needs_token = operation.security == "token"
    needs_key = operation.security == "ring_pool_key"
    id_names = operation.id_names
    base_url = str(state.config.get("BASE_URL") or "").rstrip("/")
    handler = operation.handler
    family = operation.family
    operation_id = operation.operation_id
    ways = operation.ways
    lock: Any = state.lock if state.config.get("SERIALIZE_HANDLERS", True) else nullcontext()
    journal = state.journal
    limit = body_limit(state.config)

    def answer(request: Any, path: dict[str, Any], fmt: str, seen: list[bytes]) -> Answer:
        validator = operation.validator  # compiled on first use, then an attribute
        if needs_key and not request.args.get("ring_pool_key"):
            raise InvalidKey(
                f"API Key '' is not valid for resource '{path.get('ring_pool_id', '')}'"
            )
        version = path.get("version")
        query = validator.query(request.args, None if version is None else str(version))
        environ = request.environ
        raw, data = read_body(request, validator, limit)
        seen.append(raw)
        principal = None
        if needs_token:
            credentials = extract_credentials(
                environ.get("HTTP_AUTHORIZATION"), request.args, data, ways
            )
            with lock:
                principal = authenticate(state.platform, credentials, ways)
        body = validator.body(data, None if version is None else str(version),
                              present=bool(raw))
        call = Call(
            operation_id=operation_id,
            platform=state.platform,
            principal=principal,
            version=None if version is None else str(version),
            format=fmt,
            path=path,
            query=query,
            body=body,
            base_url=base_url or _request_base_url(environ),
            ids=tuple(path[name] for name in id_names),
            headers=request.headers,
        )
        run = handler
        intercept = environ.get(INTERCEPT)
        if intercept is not None:  # the frame's hook (mock_server.state, rule 2)
            run = intercept(call, handler)
        if run is None:
            return _not_implemented(operation)
        with lock:
            result = run(call)
        return _render(state, operation, call, result)

    def handle(request: Any, path_values: dict[str, str]) -> Answer:
        fmt = _format_of(operation, path_values)
        version: str | None = None
        seen: list[bytes] = []
        try:
            validator = operation.validator
            version = validator.served_version(path_values.get("version"))
            path = validator.path(path_values)  # the version resolves here
            response = answer(request, path, fmt, seen)
        except SandboxError as error:
            status, payload, content_type = render_error(error, family, fmt)
            if (family == "conversion" and status != 401 and not is_refusal(error)
                    and _form_value(request, "use_http_status") == "0"):
                # "0 = always 200/201", as documented (credentials still answer 401, and a
                # request that does not match the contract its own status)
                status = operation.status
            response = Answer(status, payload, content_type)
        except Exception:
            handle = state.next_handle()
            log.exception("InternalServiceError %s in %s", handle, operation_id)
            status, payload, content_type = render_error(
                InternalServiceError(handle), family, fmt
            )
            response = Answer(status, payload, content_type)
        if version is not None:
            response = response._replace(
                headers={**(response.headers or {}), VERSION_HEADER: str(version)})
        if journal.maxlen:
            journal.record(at=state.platform.now(), method=request.method, path=request.path,
                           query=request.query_string.decode("latin-1"),
                           path_params=path_values, environ=request.environ,
                           body=seen[0] if seen else None, operation_id=operation_id,
                           status=response.status)
        return response

    return handle


def _view(handle: Callable[[Any, dict[str, str]], Answer],
          name: str) -> Callable[..., Response]:
    """The Flask view of an operation: Flask's request, handed to ``handle``."""

    def view(**path_values: str) -> Response:
        answer = handle(flask_request._get_current_object(), path_values)  # type: ignore[attr-defined]
        return Response(answer.payload, status=answer.status, content_type=answer.content_type,
                        headers=answer.headers)

    view.__name__ = name
    return view


_UNMATCHED: Any = object()
#: matched (method, path) pairs remembered by the fast dispatcher before it starts over
MATCH_CACHE_SIZE = 4096


def _fast_dispatch(app: Flask, handles: dict[str, tuple[str, Callable[..., Answer]]]) -> None:
    """Answer contract routes without Flask's per-request machinery (contexts, signals,
    before/after hooks, ``Request``/``Response`` objects): match the URL map (remembering the
    last :data:`MATCH_CACHE_SIZE` matches: the map never changes after start-up), read the
    environ through :class:`Incoming`, call the handler, start the response.
    Anything else (control API, 404, 405, HEAD, OPTIONS) goes to Flask unchanged."""
    url_map = app.url_map
    flask_wsgi = app.wsgi_app
    matches: dict[tuple[str, str], tuple[Callable[..., Answer], Mapping[str, Any]] | None] = {}
    status_lines = STATUS_LINES

    def route(environ: dict[str, Any], method: str,
              path: str) -> tuple[Callable[..., Answer], Mapping[str, Any]] | None:
        try:
            endpoint, values = url_map.bind_to_environ(environ).match()
        except HTTPException:
            found = None
        else:
            entry = handles.get(endpoint)
            found = None if entry is None or method != entry[0] else (entry[1], values)
        if len(matches) >= MATCH_CACHE_SIZE:
            matches.clear()
        matches[method, path] = found
        return found

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        found = matches.get((method, path), _UNMATCHED)
        if found is _UNMATCHED:
            found = route(environ, method, path)
        if found is None:
            return flask_wsgi(environ, start_response)
        answer = found[0](Incoming(environ), dict(found[1]))
        payload = answer.payload
        headers = [("Content-Type", answer.content_type),
                   ("Content-Length", str(len(payload)))]
        if answer.headers:
            headers += list(answer.headers.items())
        start_response(status_lines.get(answer.status) or status_line(answer.status), headers)
        return [payload]

    app.wsgi_app = wsgi  # type: ignore[method-assign]


def _render(state: SandboxState, operation: Operation, call: Call, result: Any) -> Answer:
    reply = result if isinstance(result, Reply) else Reply(result)
    status = reply.status or operation.status
    if reply.content_type is not None:
        payload = reply.value if isinstance(reply.value, bytes) else str(reply.value).encode()
        return Answer(status, payload, reply.content_type, reply.headers or None)
    value = reply.value
    if state.field_filter is not None and call.version is not None:
        value = state.field_filter.apply(operation.operation_id, reply.status or operation.status,
                                         call.version, value)
    payload, content_type = render_success(
        value, call.format, xml_root=reply.xml_root, xml_item=reply.xml_item,
        csv_options=reply.csv_options,
    )
    return Answer(status, payload, content_type, reply.headers or None)
