"""Injected faults and fault switches: one WSGI middleware, mounted only while one is on.

A fault (``POST /_sandbox/faults {"operation", "status", "count", "probability",
"latency_ms"}``) makes an operation answer a 5xx ``InternalServiceError`` in its family's
format, or only wait; a switch (``{"switch": NAME}``, :data:`SWITCHES`) is a deliberate
misbehaviour the contract suites must catch ("test the tests": ``tests/contracts`` proves each
one is caught). ``DELETE /_sandbox/faults`` ends them all.

Rules:
1. One :class:`FaultMiddleware` per app (:func:`fault_middleware`). It wraps ``app.wsgi_app``
   while a fault or a switch is on and unwraps itself when the last one ends (deleted, or a
   counted fault spent): a sandbox without faults runs none of this module.
2. Faults fire where the frame's order puts them, after validation and authentication and
   before the handler, through the frame's one hook (:data:`mock_server.state.INTERCEPT`),
   which the middleware puts in each request's environ. Which fault fires is drawn from a
   generator seeded by ``SEED``: the same requests fail the same way in every run.
3. Switches act on the exchange: on the request (``ignore_auth`` lends the world's
   credentials to a request that carries none), on the handler's result through the same
   hook (the allocation switches; renamed XML elements and CSV columns and the upsert status,
   rendered there with the frame's field filter and renderer), or on the answer
   (``wrong_error_shape`` and renamed XML messages on the errors the frame rendered,
   ``misattribute`` on ``POST /_sandbox/calls``).
"""

from __future__ import annotations

import base64
import dataclasses
import io
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from flask import Flask
from werkzeug.exceptions import HTTPException

from mock_server.auth import extract_credentials
from mock_server.binding import Handler, Operation
from mock_server.handlers import Call, Reply
from mock_server.rendering import json_body, render_success
from mock_server.state import INTERCEPT, SandboxState, sandbox_state
from mock_server.wsgi import Incoming, read_body
from simulator.errors import InternalServiceError, RecordInvalid, SandboxError

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
#: a rewrite of an answer's body: (status, body, content type) -> body
Rewrite = Callable[[int, bytes, str], bytes]

#: the key of an app's :class:`FaultMiddleware` in ``app.extensions``
EXTENSION = "invoca_sandbox.faults"

#: Fault switches: deliberate misbehaviour a contract suite must notice.
SWITCHES: dict[str, str] = {
    "reuse_held_number": "allocation hands every visitor the pool's first number, held or not",
    "skip_recycling": "once a pool served its overflow number it serves nothing else",
    "early_overflow": "allocation serves the overflow number even when numbers are free",
    "misattribute": "every call to an allocated number is answered as attributed to the "
                    "allocation the first such call went to",
    "wrong_error_shape": "error bodies lose the documented shape",
    "wrong_upsert_status": "POST answers 200 instead of 201 and PUT 201 instead of 200",
    "xml_element_renamed": "<PromoNumber> (else the first element) of XML bodies, and "
                           "<Message> of XML errors, are renamed",
    "csv_header_renamed": "the PromoNumber column (else the first) of CSV bodies is renamed",
    "ignore_auth": "requests without credentials act as the world's network user",
    "unbounded_input": "a contract request whose path, query or body holds a run of more "
                       "than 10 digits answers 500, as if no range were checked",
}
ALLOCATION_SWITCHES = frozenset({"reuse_held_number", "skip_recycling", "early_overflow"})
#: the switches that change error bodies after the frame rendered them
ERROR_SWITCHES = frozenset({"wrong_error_shape", "xml_element_renamed"})
#: the transaction field naming the allocation a call is attributed to (its ``param1``)
ATTRIBUTION_FIELD = "dynamic_number_pool_referrer_param1_value"
FAULT_KEYS = frozenset({"operation", "status", "count", "probability", "latency_ms"})


class InjectedFault(InternalServiceError):
    """A server error injected through ``POST /_sandbox/faults`` (any 5xx status)."""

    def __init__(self, handle: int, status: int) -> None:
        super().__init__(handle)
        self.status = status


@dataclass
class Fault:
    """An injected fault: ``status`` (5xx, or None for latency only) on ``operation``."""

    operation: str = "*"
    status: int | None = 500
    count: int | None = None
    probability: float = 1.0
    latency_ms: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"operation": self.operation, "status": self.status, "count": self.count,
                "probability": self.probability, "latency_ms": self.latency_ms}


def fault_from(data: Mapping[str, Any], operations: Mapping[str, Operation]) -> Fault:
    """The fault a ``POST /_sandbox/faults`` body describes; ``RecordInvalid`` otherwise."""
    unknown = sorted(set(data) - FAULT_KEYS)
    if unknown:
        raise RecordInvalid(f"unknown fault keys: {', '.join(unknown)}")
    operation = data.get("operation", "*")
    if not isinstance(operation, str) or (operation != "*" and operation not in operations):
        raise RecordInvalid(f"operation must be an operationId of the contract or '*': "
                            f"{operation!r}"[:200])
    status = data.get("status", 500)
    if status is not None and (isinstance(status, bool) or not isinstance(status, int)
                               or not 500 <= status <= 599):
        raise RecordInvalid("status must be a 5xx integer or null (latency only)")
    count = data.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                              or count < 1):
        raise RecordInvalid("count must be an integer >= 1 or null (until deleted)")
    probability = data.get("probability", 1.0)
    if isinstance(probability, bool) or not isinstance(probability, int | float) or not (
        0 < probability <= 1
    ):
        raise RecordInvalid("probability must be a number in (0, 1]")
    latency = data.get("latency_ms", 0)
    if isinstance(latency, bool) or not isinstance(latency, int) or not 0 <= latency <= 60_000:
        raise RecordInvalid("latency_ms must be an integer in [0, 60000]")
    if status is None and latency == 0:
        raise RecordInvalid("a fault needs a status or a latency_ms")
    return Fault(str(operation), status, count, float(probability), latency)


#: more digits in a row than any 32-bit integer has
LONG_DIGIT_RUN = re.compile(rb"[0-9]{11}")


def _long_digit_run(environ: dict[str, Any]) -> bool:
    """``unbounded_input``: whether the request's path, query or body holds a long digit run
    (the body is read and put back for the frame)."""
    incoming = Incoming(environ)
    body = incoming.get_data()
    environ["wsgi.input"] = io.BytesIO(body)
    text = (str(environ.get("PATH_INFO", "")) + str(environ.get("QUERY_STRING", ""))).encode(
        "utf-8", "replace")
    return bool(LONG_DIGIT_RUN.search(text) or LONG_DIGIT_RUN.search(body))


def _unbounded_answer(state: SandboxState, start_response: Callable[..., Any]
                      ) -> Iterable[bytes]:
    """The 500 an unchecked range ends in (``unbounded_input``)."""
    payload = json_body(InternalServiceError(state.next_handle()).to_dict())
    start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "application/json"),
                                                 ("Content-Length", str(len(payload)))])
    return [payload]


def fault_middleware(app: Flask) -> FaultMiddleware:
    """The app's fault middleware (made on first use, mounted only while something is on)."""
    middleware: FaultMiddleware | None = app.extensions.get(EXTENSION)
    if middleware is None:
        middleware = app.extensions.setdefault(EXTENSION,
                                               FaultMiddleware(app, sandbox_state(app)))
    return middleware


class FaultMiddleware:
    """The faults and switches of one app, and the WSGI middleware that applies them."""

    def __init__(self, app: Flask, state: SandboxState) -> None:
        self.app = app
        self.state = state
        self.faults: list[Fault] = []
        self.switches: set[str] = set()
        #: what the allocation and attribution switches remember
        self.memory: dict[str, Any] = {}
        self.random = random.Random(f"invoca-sandbox:{state.seed}:faults")
        self.lock = threading.RLock()
        self.inner: WSGIApp | None = None

    # ------------------------------------------------------------------ control API

    def add(self, fault: Fault) -> None:
        with self.lock:
            self.faults.append(fault)
            self._mount()

    def switch_on(self, name: str) -> None:
        if name not in SWITCHES:
            raise RecordInvalid(f"switch must be one of {', '.join(sorted(SWITCHES))} "
                                "(and alone in the body)")
        with self.lock:
            self.switches.add(name)
            self._mount()

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()
            self.switches.clear()
            self.memory.clear()
            self._unmount()

    def listing(self) -> list[dict[str, Any]]:
        """The faults, then the switches that are on (``GET /_sandbox/faults``)."""
        with self.lock:
            return [fault.to_dict() for fault in self.faults] + [
                {"switch": name, "description": SWITCHES[name]} for name in sorted(self.switches)
            ]

    def _mount(self) -> None:
        if self.inner is None:
            self.inner = self.app.wsgi_app
            self.app.wsgi_app = self  # type: ignore[method-assign]

    def _unmount(self) -> None:
        if self.inner is not None and not (self.faults or self.switches) and (
                self.app.wsgi_app is self):
            self.app.wsgi_app = self.inner  # type: ignore[method-assign, assignment]
            self.inner = None

    def draw(self, operation_id: str) -> Fault | None:
        """The first fault that fires for ``operation_id`` now (seeded), spending its count."""
        with self.lock:
            for fault in self.faults:
                if fault.operation not in ("*", operation_id):
                    continue
                if fault.probability < 1.0 and self.random.random() >= fault.probability:
                    continue
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count <= 0:
                        self.faults.remove(fault)
                        self._unmount()
                return fault
        return None

    # ------------------------------------------------------------------ WSGI

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        inner = self.inner or self.app.wsgi_app
        exchange = _Exchange(self)
        environ[INTERCEPT] = exchange.intercept
        operation = self._operation(environ)
        if operation is not None and "unbounded_input" in self.switches and _long_digit_run(
                environ):
            return _unbounded_answer(self.state, start_response)
        if operation is not None and "ignore_auth" in self.switches and (
                operation.security == "token"):
            self._lend_credentials(environ, operation)
        rewrite: Rewrite | None = None
        if environ.get("REQUEST_METHOD") != "HEAD" and operation is not None and (
                self.switches & ERROR_SWITCHES):
            rewrite = self._error_rewrite(exchange)
        elif (environ.get("PATH_INFO") == "/_sandbox/calls" and "misattribute" in self.switches
              and environ.get("REQUEST_METHOD") == "POST"):
            rewrite = self._misattributed
        if rewrite is None:
            return inner(environ, start_response)
        return _rewritten(inner, environ, start_response, rewrite)

    def _operation(self, environ: dict[str, Any]) -> Operation | None:
        """The contract operation the frame answers this request with, if any (Flask answers
        OPTIONS itself, and a path or method no operation has)."""
        if environ.get("REQUEST_METHOD") == "OPTIONS":
            return None
        try:
            endpoint, _ = self.app.url_map.bind_to_environ(environ).match()
        except HTTPException:
            return None
        return self.state.operations.get(str(endpoint))

    def _error_rewrite(self, exchange: _Exchange) -> Rewrite:
        """The rewrite of an operation's answer when it is an error the frame rendered: not a
        success (the handler returned) nor a 500 that was not injected (an unexpected
        exception). HEAD answers carry no body: they are left alone."""
        switches = self.switches

        def rewrite(status: int, payload: bytes, content_type: str) -> bytes:
            if exchange.handled or (status == 500 and not exchange.injected):
                return payload
            return _broken_error(switches, payload, content_type)

        return rewrite

    # ------------------------------------------------------------------ switch effects

    def _lend_credentials(self, environ: dict[str, Any], operation: Operation) -> None:
        """``ignore_auth``: a request carrying no credentials its operation reads gets the
        world's (its API token, or its Basic pair where the operation takes only Basic)."""
        incoming = Incoming(environ)
        try:
            _, data = read_body(incoming, operation.validator)
            carried = extract_credentials(environ.get("HTTP_AUTHORIZATION"), incoming.args,
                                          data, operation.ways)
        except Exception:  # refused before its credentials are read: nothing to lend
            return
        finally:  # the frame reads the body again
            environ["wsgi.input"] = io.BytesIO(incoming.get_data())
        if carried.present:
            return
        world = self.state.platform.world_summary()
        basic = world.get("basic_auth") or {}
        if "header" in operation.ways and world.get("api_token"):
            environ["HTTP_AUTHORIZATION"] = str(world["api_token"])
        elif "basic" in operation.ways and basic:
            pair = f"{basic['username']}:{basic['password']}".encode()
            environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(pair).decode()

    def sabotaged(self, call: Call, result: Any) -> Any:
        """A handler's result as the switched-on sandbox answers it: the allocation switches
        change the result; a renaming or the upsert status switch renders it here, with the
        frame's field filter and renderer (the frame sends a rendered body as it is)."""
        switches = self.switches
        if switches & ALLOCATION_SWITCHES:
            result = self._sabotaged_allocation(call, result)
        rename = (("xml_element_renamed" in switches and call.format == "xml")
                  or ("csv_header_renamed" in switches and call.format == "csv"))
        if not rename and "wrong_upsert_status" not in switches:
            return result
        reply = result if isinstance(result, Reply) else Reply(result)
        operation = self.state.operations[call.operation_id]
        status = reply.status or operation.status
        upsert = _upsert_status(operation.method, status) if (
            "wrong_upsert_status" in switches) else status
        if reply.content_type is not None:
            return result if upsert == status else dataclasses.replace(reply, status=upsert)
        if not rename and upsert == status:
            return result
        value = reply.value
        field_filter = self.state.field_filter
        if field_filter is not None and call.version is not None:
            value = field_filter.apply(call.operation_id, status, call.version, value)
        if rename:
            value = [_rename(item) for item in value] if isinstance(value, list) else (
                _rename(value))
        payload, content_type = render_success(
            value, call.format, xml_root=reply.xml_root, xml_item=reply.xml_item,
            csv_options=reply.csv_options)
        return Reply(payload, status=upsert, headers=reply.headers, content_type=content_type)

    def _sabotaged_number(self, pool_id: int, number: str) -> str:
        """The number a switched-on sandbox serves instead of ``number`` (often ``number``)."""
        try:
            overflow = self.state.platform.ring_pool_by_id(pool_id).overflow_number
        except SandboxError:
            return number
        with self.lock:
            if "early_overflow" in self.switches and overflow:
                return str(overflow)
            if "skip_recycling" in self.switches and overflow:
                exhausted = self.memory.setdefault("exhausted", set())
                if number == overflow:
                    exhausted.add(pool_id)
                elif pool_id in exhausted:
                    return str(overflow)
            if "reuse_held_number" in self.switches and number != overflow:
                first = self.memory.setdefault("first_number", {})
                return str(first.setdefault(pool_id, number))
        return number

    def _sabotaged_allocation(self, call: Call, result: Any) -> Any:
        if call.operation_id == "allocateNumber" and isinstance(result, dict):
            number = str(result.get("promo_number") or result.get("PromoNumber") or "")
            served = self._sabotaged_number(int(call.path["ring_pool_id"]), number)
            return result if served == number else _swap_number(result, number, served)
        if call.operation_id == "bulkAllocateNumbers" and isinstance(result, Reply):
            requests = (call.body or {}).get("requests") or []
            rows = result.value.get("responses", [])
            for index, (asked, row) in enumerate(zip(requests, rows, strict=False)):
                number = row.get("promo_number")
                head = str(asked.get("api_suffix", "")).lstrip("/").split("/", 1)[0]
                if not number or not head.isdigit():
                    continue
                served = self._sabotaged_number(int(head), number)
                if served != number:
                    swapped = _swap_number(row, number, served)
                    swapped.pop("overflow", None)
                    if served == self.state.platform.ring_pool_by_id(int(head)).overflow_number:
                        swapped["overflow"] = True
                    rows[index] = swapped
        return result

    def _misattributed(self, status: int, payload: bytes, content_type: str) -> bytes:
        """``misattribute``: a simulated call's transaction, attributed to the allocation the
        first attributed call went to."""
        if status != 201:
            return payload
        transaction = orjson.loads(payload)
        attributed = transaction.get(ATTRIBUTION_FIELD)
        if not attributed:
            return payload
        with self.lock:
            first = self.memory.setdefault("first_attribution", attributed)
        if first == attributed:
            return payload
        return json_body({**transaction, ATTRIBUTION_FIELD: first})


class _Exchange:
    """One request through the middleware: what the frame's hook saw of it."""

    __slots__ = ("handled", "injected", "middleware")

    def __init__(self, middleware: FaultMiddleware) -> None:
        self.middleware = middleware
        #: the handler returned (the answer is a success the frame rendered)
        self.handled = False
        #: a fault was injected (the answer is its 5xx)
        self.injected = False

    def intercept(self, call: Call, handler: Handler | None) -> Handler | None:
        """The frame's hook: a fault fires, or the handler runs with the switches applied."""
        middleware = self.middleware
        fault = middleware.draw(call.operation_id)
        if fault is not None:
            if fault.latency_ms:
                time.sleep(fault.latency_ms / 1000)
            if fault.status is not None:
                self.injected = True
                raise InjectedFault(middleware.state.next_handle(), fault.status)
        if handler is None:
            self.handled = True
            return None
        run = handler

        def sabotaged(call: Call) -> Any:
            result = middleware.sabotaged(call, run(call))
            self.handled = True
            return result

        return sabotaged


def _rewritten(inner: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any],
               rewrite: Rewrite) -> Iterable[bytes]:
    """``inner``'s answer, its body buffered and passed through ``rewrite``."""
    started: list[Any] = []
    chunks: list[bytes] = []

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return chunks.append

    body = inner(environ, capture)
    try:
        chunks.extend(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    status, headers = started
    payload = b"".join(chunks)
    content_type = next((value for key, value in headers if key.lower() == "content-type"), "")
    changed = rewrite(int(status[:3]), payload, content_type)
    if changed != payload:
        headers = [(key, str(len(changed)) if key.lower() == "content-length" else value)
                   for key, value in headers]
    start_response(status, headers)
    return [changed]


def _formatted(number: str) -> str:
    return f"{number[:3]}-{number[3:6]}-{number[6:]}" if len(number) == 10 else number


def _swap_number(value: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """``value`` with the promo number ``old`` replaced by ``new`` everywhere it shows."""
    return {
        key: item.replace(old, new).replace(_formatted(old), _formatted(new))
        if isinstance(item, str) else item
        for key, item in value.items()
    }


def _upsert_status(method: str, status: int) -> int:
    """``wrong_upsert_status``: POST 201 -> 200, PUT 200 -> 201."""
    if method == "post" and status == 201:
        return 200
    if method == "put" and status == 200:
        return 201
    return status


def _rename(item: Any) -> Any:
    if isinstance(item, dict) and item:
        target = "PromoNumber" if "PromoNumber" in item else next(iter(item))
        return {(f"Renamed{target}" if key == target else key): v for key, v in item.items()}
    return item


def _broken_error(switches: set[str], payload: bytes, content_type: str) -> bytes:
    """``wrong_error_shape`` and ``xml_element_renamed`` applied to a rendered error body."""
    if "wrong_error_shape" in switches:
        if content_type.startswith("application/json"):
            errors = orjson.loads(payload).get("errors", {})
            return json_body({"error": errors.get("invalid_data") or errors})
        if content_type.startswith("application/xml"):
            return payload.replace(b"<Error>", b"<Failure>").replace(b"</Error>", b"</Failure>")
        return payload.replace(b": ", b" - ", 1)
    if "xml_element_renamed" in switches and content_type.startswith("application/xml"):
        return payload.replace(b"<Message>", b"<Text>").replace(b"</Message>", b"</Text>")
    return payload
