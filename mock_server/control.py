"""The control API under ``/_sandbox/`` (not part of Invoca's contract), and the contract itself.

Endpoints:

* ``GET /_sandbox/health`` -> ``{"status": "ok", "version": ..., "now": ISO, "strict": bool,
  "strict_versions": bool}`` (the strictness in effect: ``STRICT``, ``STRICT_VERSIONS``)
* ``GET /_sandbox/world`` -> the world's credentials and ids (``World.summary()``)
* ``POST /_sandbox/reset`` -> back to the world the server started with (seed, ``--world``,
  settings), whatever was imported since, the request journal emptied; answers ``status``,
  ``now`` and ``"world"``
* ``GET /_sandbox/clock`` -> ``{"now": ISO}``
* ``POST /_sandbox/clock`` with ``{"advance_seconds": n}`` or ``{"now": ISO}`` -> ``{"now":
  ISO, "events": [...]}``; moving backwards -> 403 (``ClockError``), a malformed body -> 403
  ``RecordInvalid``. Errors have the JSON ``{"errors": {...}}`` shape.
* ``POST /_sandbox/calls`` with ``{"promo_number", "start_time" (ISO, default now, never in
  the future), "duration_seconds" (60), "calling_phone_number"}`` -> 201 and the call's
  transaction (attributed to the allocation that held the number then), plus ``call_status``,
  ``start_time``, ``bridge_start_time`` and ``end_time``. Optional phases: ``ring_seconds``
  (before the transfer, default 0) and ``talk_seconds`` (default ``duration_seconds`` minus
  the ring, or 60): the call is then in progress (Calls In Progress API) from its transfer to
  its end on the sandbox clock and becomes its transaction when the clock reaches the end
  (``call_status`` ``ringing``/``bridged`` until then). Also optional:
  ``destination_phone_number``, ``custom_data`` (``{"name": "value"}`` or ``{"name":
  {"value": v, "source": s}}``, source default ``DynamicAttribution``) and ``transcript``
  (``[{"speaker": "agent"|"caller", "text": ..., "start_offset_seconds": s,
  "end_offset_seconds": s}]``, offsets from the transfer; a fake one, deterministic per seed,
  when none is given).
* ``POST /_sandbox/sms`` with ``{"from": E.164, "to": an SMS-enabled number, "text"}`` -> 201
  ``{"message": ...}``: an incoming SMS at the clock's now (SMS Messaging API listings and
  usage); ``to`` not enabled -> 404, invalid input -> 400.
* ``GET /_sandbox/allocations?ring_pool_id=N``: the pool's allocation log (each with the
  ``clicks`` its tracking link got, :mod:`mock_server.links`).
* ``GET /_sandbox/requests``: the last requests the contract routes answered (bounded,
  ``REQUEST_JOURNAL``; :mod:`mock_server.request_journal`): method, path, query, path
  parameters, headers, body (capped), status, operationId, the instant, credentials redacted
  (:mod:`mock_server.redaction`); query parameters filter them (``operationId=...``,
  ``status=201``, ``path_params.ring_pool_id=16``, ``query.param1=x``, ``since=ISO``...;
  ``limit=N``: the last N).
  ``X-Sandbox-Journal-Dropped`` says how many the bound dropped since the last clear.
  ``POST /_sandbox/requests/count`` with a matcher (the same keys as JSON, the maps as
  objects), or ``GET`` with the filters, -> ``{"count": n, "retained": n, "dropped": n}``.
  ``DELETE /_sandbox/requests`` empties it (``{"cleared": n}``); so does a reset.
* ``GET /_sandbox/state`` exports the whole state; ``PUT /_sandbox/state`` imports one.
* ``POST /_sandbox/faults`` ``{"operation": operationId or "*", "status": 500 (any 5xx, or
  null for latency only), "count": n (null: until deleted), "probability": p (1.0),
  "latency_ms": n (0)}``; ``GET`` lists them, ``DELETE`` removes them all. An injected error
  is an ``InternalServiceError`` with a handle, in the API family's own format.
  ``{"switch": NAME}`` turns on a fault switch (:data:`mock_server.faults.SWITCHES`):
  deliberate misbehaviour that the contract suites must catch. Both are applied by the fault
  middleware (:mod:`mock_server.faults`), mounted only while one is on.
* ``GET /openapi.yaml``, ``GET /openapi.json``: the contract the server is bound to.
* ``GET /_sandbox/docs``: Swagger UI, from the files of the ``swagger-ui-bundle`` package
  (no CDN; works offline).

Instants are rendered as ISO-8601 UTC with a ``Z`` suffix. With an admin token (config
``ADMIN_TOKEN``) every ``/_sandbox/`` endpoint but the docs needs it (:mod:`mock_server.admin`).
Every input is checked for its type and range before anything changes: a wrong one is 403
``RecordInvalid`` (the clock range, 2000-01-01 .. 2100-01-01, is :mod:`simulator.clock`'s: 403
``InvalidInput``).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import orjson
import yaml
from flask import Blueprint, Response, current_app, request

import openapi
from mock_server.admin import ADMIN_HEADER, require_admin_token
from mock_server.faults import SWITCHES, FaultMiddleware, fault_from, fault_middleware
from mock_server.objects import url_writer
from mock_server.pages import pages
from mock_server.rendering import JSON_TYPE, json_body, render_error
from mock_server.request_journal import compile_matcher, matcher_from_args
from mock_server.state import SandboxState, sandbox_state
from mock_server.validation import MAX_BODY_DEPTH, deeper_than
from mock_server.wsgi import complete_body
from simulator.clock import ManualClock
from simulator.errors import RecordInvalid, SandboxError
from simulator.platform import MAX_CALL_SECONDS

control = Blueprint("sandbox", __name__)
control.register_blueprint(pages)  # the docs and the dashboard, under the same admin rule

#: an integer id as the control API takes it: 1 to 10 ASCII digits (``str.isdigit`` and
#: ``int`` also read other scripts' digits)
ASCII_ID = re.compile(r"[0-9]{1,10}")

def iso(instant: datetime) -> str:
    """``2016-10-01T00:00:00Z`` (microseconds kept when present)."""
    return instant.isoformat().replace("+00:00", "Z")


def parse_instant(text: str) -> datetime:
    """An ISO-8601 instant (``Z`` accepted) as a tz-aware UTC datetime (naive means UTC)."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def package_version() -> str:
    try:
        return metadata.version("invoca-sandbox")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


def _state() -> SandboxState:
    return sandbox_state(current_app)


def _faults() -> FaultMiddleware:
    return fault_middleware(current_app._get_current_object())  # type: ignore[attr-defined]


def _now() -> datetime:
    now: datetime = _state().platform.now()
    return now


def clock_mode(clock: Any) -> str:
    """``manual`` (moves only when told) or ``system`` (real time plus an offset)."""
    return "manual" if isinstance(clock, ManualClock) else "system"


def _json(value: Any, status: int = 200) -> Response:
    return Response(json_body(value), status=status, content_type=JSON_TYPE)


@control.before_request
def admin_only() -> None:
    """The admin token, when the app has one (:mod:`mock_server.admin`)."""
    require_admin_token(_state().config, request.path, request.headers.get(ADMIN_HEADER))


@control.errorhandler(SandboxError)
def sandbox_error(error: SandboxError) -> Response:
    status, body, content_type = render_error(error, "network", "json")
    return Response(body, status=status, content_type=content_type)


@control.get("/_sandbox/health")
def health() -> Response:
    strictness = _state().strictness
    return _json({"status": "ok", "version": package_version(), "now": iso(_now()),
                  "strict": strictness.inputs, "strict_versions": strictness.versions})


@control.get("/_sandbox/world")
def world() -> Response:
    state = _state()
    with state.lock:
        return _json(state.platform.world_summary())


@control.post("/_sandbox/reset")
def reset() -> Response:
    state = _state()
    with state.lock:
        state.platform.reset()
        state.journal.clear()
        summary = state.platform.world_summary()
    return _json({"status": "ok", "now": iso(_now()), "world": summary})


@control.get("/_sandbox/clock")
def clock() -> Response:
    return _json({"now": iso(_now())})


def _control_body(usage: str = 'Send {"advance_seconds": n} or {"now": "ISO-8601"}',
                  ) -> dict[str, Any]:
    raw = complete_body(request)
    try:
        data = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        raise RecordInvalid("The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise RecordInvalid(usage)
    if deeper_than(data):
        raise RecordInvalid(f"The request body nests deeper than {MAX_BODY_DEPTH} levels")
    return data


def _instant(data: dict[str, Any], name: str) -> datetime:
    """The ISO-8601 instant ``data[name]`` (RecordInvalid when it is not one)."""
    value = data[name]
    try:
        if not isinstance(value, str):
            raise ValueError(value)
        return parse_instant(value)
    except ValueError:
        raise RecordInvalid(f"{name} is not an ISO-8601 instant: {value!r}"[:200]) from None


@control.post("/_sandbox/clock")
def move_clock() -> Response:
    data = _control_body()
    state = _state()
    if ("advance_seconds" in data) == ("now" in data):
        raise RecordInvalid('Send exactly one of {"advance_seconds": n} or {"now": "ISO-8601"}')
    if "advance_seconds" in data:
        seconds = data["advance_seconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not (
            math.isfinite(seconds) and seconds >= 0
        ):
            raise RecordInvalid("advance_seconds must be a number of seconds >= 0")
        with state.lock:
            events = state.platform.advance_clock(seconds)
            now = _now()
    else:
        target = _instant(data, "now")
        with state.lock:
            events = state.platform.set_clock(target)
            now = _now()
    return _json({"now": iso(now), "events": [event.to_dict() for event in events or ()]})


@control.post("/_sandbox/calls")
def simulate_call() -> Response:
    """An inbound call to a promo number: attributed when it starts; without phases recorded
    at once and returned as its transaction; with phases (``ring_seconds``, ``talk_seconds``)
    in progress on the sandbox clock from its transfer to its end, then its transaction."""
    data = _control_body(
        'Send {"promo_number": "8005550123", "start_time": ISO (default now), '
        '"duration_seconds": n, "calling_phone_number": "...", "ring_seconds": n, '
        '"talk_seconds": n, "destination_phone_number": "...", "custom_data": {...}, '
        '"transcript": [{"speaker": "agent"|"caller", "text": "..."}]}'
    )
    number = data.get("promo_number")
    if not isinstance(number, str) or not number:
        raise RecordInvalid("promo_number is required (a string of digits)")
    start_at = None
    if data.get("start_time") is not None:
        start_at = _instant(data, "start_time")
    duration = data.get("duration_seconds")
    for name in ("duration_seconds", "ring_seconds", "talk_seconds"):
        value = data.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or not 0 <= value <= MAX_CALL_SECONDS):
            raise RecordInvalid(f"{name} must be an integer in 0..{MAX_CALL_SECONDS}")
    for name in ("calling_phone_number", "destination_phone_number"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise RecordInvalid(f"{name} must be a string")
    phases = {name: data[name] for name in (
        "ring_seconds", "talk_seconds", "destination_phone_number", "custom_data", "transcript")
        if data.get(name) is not None}
    state = _state()
    with state.lock:
        call = state.platform.simulate_call(number, start_at, duration,
                                            data.get("calling_phone_number"), **phases)
    return _json(call, status=201)


@control.post("/_sandbox/sms")
def add_incoming_sms() -> Response:
    """An incoming SMS (``{"from": E.164, "to": an enabled SMS number, "text": ...}``): the
    message at the clock's now, in the SMS Messaging API's listings and usage; 201."""
    data = _control_body('Send {"from": "+15555550123", "to": "+18885550100", "text": "..."}')
    state = _state()
    with state.lock:
        message = state.platform.add_incoming_sms(data)
    return _json(message, status=201)


@control.post("/_sandbox/prompt_recordings")
def add_prompt_recording() -> Response:
    """A professional prompt recording, as Invoca's UI uploads them (the API only lists them
    and assigns them to IVR nodes): the network's, or an advertiser's."""
    data = _control_body(
        'Send {"network_id": n, "id_from_network": "rec34", "prompt_text": "...", '
        '"prompt_url": URL, "prompt_received": "2015-08-02 08:49:28 -0700", '
        '"advertiser_id_from_network": "..." (optional)}'
    )
    state = _state()
    network_id = data.pop("network_id", None)
    if network_id is not None and not (isinstance(network_id, int | str)
                                       and ASCII_ID.fullmatch(str(network_id))):
        raise RecordInvalid("network_id must be the network's integer id")
    with state.lock:
        if network_id is None:
            network_id = state.platform.world_summary().get("network_id")
        recording = state.platform.add_prompt_recording(network_id, data)
    return _json(recording, status=201)


@control.get("/_sandbox/allocations")
def allocations() -> Response:
    """The retained allocation log of one ring pool (``?ring_pool_id=N``)."""
    ring_pool_id = request.args.get("ring_pool_id", "")
    if not ASCII_ID.fullmatch(ring_pool_id):
        raise RecordInvalid("ring_pool_id is required (the ring pool's integer id)")
    state = _state()
    with state.lock:
        return _json(state.platform.allocations(int(ring_pool_id)))


@control.get("/_sandbox/pools")
def pools() -> Response:
    """Every ring pool's numbers, holds (who holds them, the time left) and overflow, now
    (:mod:`simulator.pool_overview`), with the clock: ``{"now", "clock", "pools"}``."""
    state = _state()
    with state.lock:
        overview = state.platform.ring_pools_overview()
        now, mode = _now(), clock_mode(state.platform.clock)
    return _json({"now": iso(now), "clock": mode, "pools": overview})


#: how many transactions ``GET /_sandbox/transactions`` answers without ``limit``
DEFAULT_TRANSACTIONS = 20


@control.get("/_sandbox/transactions")
def transactions() -> Response:
    """The last transactions recorded (``limit=N``, default :data:`DEFAULT_TRANSACTIONS`),
    oldest first, every column."""
    limit = request.args.get("limit", str(DEFAULT_TRANSACTIONS))
    if not (ASCII_ID.fullmatch(limit) and int(limit) > 0):
        raise RecordInvalid("limit must be a positive integer")
    state = _state()
    with state.lock:
        return _json(state.platform.latest_transactions(int(limit)))


@control.get("/_sandbox/requests")
def requests_journal() -> Response:
    """The last requests the contract routes answered (bounded: config REQUEST_JOURNAL),
    oldest first, those matching the query's filters (:func:`matcher_from_args`); ``limit=N``
    keeps the last N of them."""
    args = [(name, value) for name, value in request.args.items(multi=True) if name != "limit"]
    limit = request.args.get("limit")
    if limit is not None and not (ASCII_ID.fullmatch(limit) and int(limit) > 0):
        raise RecordInvalid("limit must be a positive integer")
    matcher = compile_matcher(matcher_from_args(args))
    state = _state()
    with state.lock:
        entries = state.journal.select(matcher)
        dropped = state.journal.dropped
    response = _json(entries[-int(limit):] if limit is not None else entries)
    response.headers["X-Sandbox-Journal-Dropped"] = str(dropped)
    return response


def _count(matcher: dict[str, Any]) -> Response:
    test = compile_matcher(matcher)
    state = _state()
    with state.lock:
        count = len(state.journal.select(test))
        retained, dropped = len(state.journal), state.journal.dropped
    return _json({"count": count, "retained": retained, "dropped": dropped})


@control.post("/_sandbox/requests/count")
def count_requests() -> Response:
    """How many retained requests match a matcher (``{"operationId": "allocateNumber",
    "path_params": {"ring_pool_id": 16}, "status": 200}``; an empty body matches all)."""
    raw = complete_body(request)
    return _count(_control_body('Send a matcher: {"operationId": "allocateNumber", '
                                '"path_params": {"ring_pool_id": 16}, "status": 200}')
                  if raw.strip() else {})


@control.get("/_sandbox/requests/count")
def count_requests_by_query() -> Response:
    return _count(matcher_from_args(request.args.items(multi=True)))


@control.delete("/_sandbox/requests")
def clear_requests() -> Response:
    state = _state()
    with state.lock:
        cleared = state.journal.clear()
    return _json({"cleared": cleared})


@control.get("/_sandbox/state")
def export_state() -> Response:
    state = _state()
    with state.lock:
        return _json(state.platform.export_state(
            links=url_writer(state.platform.settings.base_url)))


#: the default body limit of ``PUT /_sandbox/state`` (config ``MAX_STATE_BYTES``)
DEFAULT_MAX_STATE_BYTES = 64 * 1024 * 1024


@control.put("/_sandbox/state")
def import_state() -> Response:
    limit = _state().config.get("MAX_STATE_BYTES", DEFAULT_MAX_STATE_BYTES)
    request.max_content_length = int(limit) or None
    data = _control_body("Send a document exported by GET /_sandbox/state")
    state = _state()
    with state.lock:
        state.platform.import_state(data)
    return _json({"status": "ok", "now": iso(_now())})


@control.post("/_sandbox/faults")
def add_fault() -> Response:
    """Inject a fault: ``{"operation": id or "*", "status": 500, "count": n,
    "probability": p, "latency_ms": n}``, or turn a switch on: ``{"switch": NAME}``;
    answers the list of active faults and switches."""
    data = _control_body('Send {"operation": "allocateNumber", "status": 500} '
                         'or {"switch": "early_overflow"}')
    faults = _faults()
    if "switch" in data:
        if len(data) != 1 or not isinstance(data["switch"], str):
            raise RecordInvalid(f"switch must be one of {', '.join(sorted(SWITCHES))} "
                                "(and alone in the body)")
        faults.switch_on(data["switch"])
    else:
        faults.add(fault_from(data, _state().operations))
    return _json(faults.listing(), status=201)


@control.get("/_sandbox/faults")
def list_faults() -> Response:
    return _json(_faults().listing())


@control.delete("/_sandbox/faults")
def clear_faults() -> Response:
    _faults().clear()
    return _json([])


# ---------------------------------------------------------------------------- the contract


#: how many hosts' copies of the contract are kept (the Host header is the client's to choose)
DOCUMENT_CACHE_SIZE = 16
#: the description of the first server of a served contract
SERVED_HERE = "This sandbox (the address this document was served from)"
#: a top-level ``servers:`` block list, and the indentation of its items
_SERVERS_BLOCK = re.compile(rb"^servers:[ \t]*(?:#[^\n]*)?\n(?=([ \t]*)- )", re.MULTILINE)


def _sources() -> dict[str, Any]:
    """The contract's YAML text (the file as written, when the app serves the bundled one)."""
    state = _state()
    cached: dict[str, Any] | None = state.config.get("_documents")
    if cached is None:
        source: Path | None = None
        if state.config.get("SPEC") is None:
            candidate = Path(openapi.__file__).parent / "invoca.yaml"
            source = candidate if candidate.exists() else None
        yaml_text = (source.read_bytes() if source is not None
                     else yaml.safe_dump(dict(state.spec), sort_keys=False).encode())
        cached = {"yaml": yaml_text, "by_host": {}}
        state.config["_documents"] = cached
    return cached


def _yaml_with_server(yaml_text: bytes, spec: dict[str, Any], server: dict[str, str]) -> bytes:
    """The YAML text with ``server`` first in its top-level ``servers`` (the rest as written)."""
    entry = "".join(f"{'- ' if i == 0 else '  '}{key}: {orjson.dumps(value).decode()}\n"
                    for i, (key, value) in enumerate(server.items()))
    found = _SERVERS_BLOCK.search(yaml_text)
    if found is not None:
        indent = found.group(1).decode()
        lines = "".join(indent + line + "\n" for line in entry.splitlines())
        return yaml_text[:found.end()] + lines.encode() + yaml_text[found.end():]
    if re.search(rb"^servers:", yaml_text, re.MULTILINE) is None:
        return yaml_text.rstrip(b"\n") + b"\nservers:\n" + entry.encode()
    return yaml.safe_dump(spec, sort_keys=False).encode()  # an unusual servers value: re-dumped


def _documents() -> dict[str, bytes]:
    """The contract as served to this request: the address it reached first in ``servers``
    (where Swagger UI's "Try it out" sends its calls), the documented servers after it."""
    state = _state()
    sources = _sources()
    here = request.host_url.rstrip("/")
    by_host: dict[str, dict[str, bytes]] = sources["by_host"]
    documents = by_host.get(here)
    if documents is None:
        server = {"url": here, "description": SERVED_HERE}
        spec = dict(state.spec)
        spec["servers"] = [server, *(spec.get("servers") or [])]
        documents = {"json": orjson.dumps(spec),
                     "yaml": _yaml_with_server(sources["yaml"], spec, server)}
        if len(by_host) >= DOCUMENT_CACHE_SIZE:
            by_host.clear()
        by_host[here] = documents
    return documents


@control.get("/openapi.yaml")
def openapi_yaml() -> Response:
    return Response(_documents()["yaml"], content_type="application/yaml; charset=utf-8")


@control.get("/openapi.json")
def openapi_json() -> Response:
    return Response(_documents()["json"], content_type=JSON_TYPE)
