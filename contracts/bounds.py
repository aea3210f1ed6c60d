"""Suite 6, bounds: hostile input to every operation is refused in the API's own way.

The input classes (issue 15): huge and non-finite numbers (``1e20``, ``2**64``, ``1e308``,
``"inf"``/``"nan"`` and bare ``NaN``/``Infinity`` tokens), long digit strings (25 and 5,000
digits), deep nesting (1,000-deep arrays, 600-deep objects), very long strings (1 MB in a
body, 64 KiB in a URL: servers cap the request line well below that), control characters and
digits of other scripts. Each goes into a path parameter, a query parameter, a top-level body
property (a form field) or the whole body (:func:`cases`).

The checks: no answer is a 5xx; and on a target whose control API exports its state
(``GET /_sandbox/state``), a refused (4xx) request leaves the export byte for byte as it was.

Choices: :func:`sweep` gives an operation every input class in its first position and every
position one input class (the classes taking turns), so a run stays in minutes; the ``dev``
profile sends only the first part. The valid parts of a request are the target's own ids and
credentials (its world), else ids no deployment uses. The same classes and cases drive the
sandbox's own fuzz test (``tests/mock_server/test_fuzz.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

from contracts.reproduction import answer_text
from contracts.target import Target
from openapi.contract import Operation, load_spec, resolve, version_in_range

#: input class -> the raw JSON text of its value (a body property or the whole body)
JSON_VALUES: dict[str, bytes] = {
    "1e20": b"1e20",
    "2**64": b"18446744073709551616",
    "-2**64": b"-18446744073709551616",
    "1e308": b"1e308",
    "-1e308": b"-1e308",
    "nan-token": b"NaN",
    "infinity-token": b"Infinity",
    "inf-string": b'"inf"',
    "nan-string": b'"nan"',
    "digits-25": b'"' + b"9" * 25 + b'"',
    "digits-5000": b'"' + b"9" * 5000 + b'"',
    "integer-5000": b"9" * 5000,
    "deep-1000": b"[" * 1000 + b"]" * 1000,
    "deep-objects-600": b'{"a":' * 600 + b"1" + b"}" * 600,
    "long-string": b'"' + b"x" * 1_000_000 + b'"',
    "control": b'"\\u0000\\u0001\\u0007\\u001b\\u007f\\u2028"',
    "other-digits": '"\u0661\u0662\u0663\uff11\uff12"'.encode(),
}
#: input class -> its text in a path segment, a query value or a form field
TEXT_VALUES: dict[str, str] = {
    "1e20": "1e20",
    "2**64": str(2**64),
    "-2**64": str(-(2**64)),
    "1e308": "1e308",
    "inf-string": "inf",
    "nan-string": "nan",
    "digits-25": "9" * 25,
    "digits-5000": "9" * 5000,
    "long-string": "x" * 65_536,
    "control": "\x00\x01\x07\x1b\x7f",
    "other-digits": "\u0661\u0662\u0663",
    "deep-1000": "[" * 1000 + "]" * 1000,
}
CLASSES = sorted(set(JSON_VALUES) | set(TEXT_VALUES))

#: the control API's endpoints that take a JSON body: (method, path, the body's known keys)
CONTROL: list[tuple[str, str, tuple[str, ...]]] = [
    ("POST", "/_sandbox/clock", ("advance_seconds", "now")),
    ("POST", "/_sandbox/calls", ("promo_number", "start_time", "duration_seconds",
                                 "calling_phone_number")),
    ("POST", "/_sandbox/prompt_recordings", ("network_id", "id_from_network", "prompt_text",
                                             "prompt_url", "advertiser_id_from_network")),
    ("POST", "/_sandbox/sms", ("from", "to", "text")),
    ("POST", "/_sandbox/faults", ("operation", "status", "count", "probability", "latency_ms",
                                  "switch")),
    ("PUT", "/_sandbox/state", ("now", "replay", "seed")),
]
#: an id no deployment uses, for a path parameter the target's world does not name
MISSING_ID = "contract-missing-0"


@dataclass(frozen=True)
class HostileRequest:
    """One request with a hostile value in one place."""

    label: str
    method: str
    path: str
    query: str = ""
    body: bytes | None = None
    form: Mapping[str, str] | None = None

    def send(self, target: Target, headers: Mapping[str, str] | None = None
             ) -> requests.Response:
        url = target.url(self.path) + (f"?{self.query}" if self.query else "")
        extra = dict(headers if headers is not None else target.auth_headers())
        if self.body is not None:
            extra["Content-Type"] = "application/json"
        return target.session.request(self.method, url, headers=extra, timeout=60,
                                      data=self.body if self.body is not None else self.form)

    def curl(self, target: Target) -> str:
        url = target.url(self.path) + (f"?{self.query}" if self.query else "")
        shown = self.body if self.body is None or len(self.body) < 200 else (
            self.body[:100] + b"..." + self.body[-20:])
        return f"curl -s -i -X {self.method} '{url[:300]}'" + (
            f" -H 'Content-Type: application/json' -d '{shown!r}'" if shown else "")


def known_values(world: Mapping[str, Any], network_id: int | None = None) -> dict[str, str]:
    """A valid value for each path parameter of the contract: the target's world's objects,
    else an id no deployment uses."""
    pool = world.get("ring_pool") or {}
    values = {
        "network_id": str(network_id if network_id is not None else world.get("network_id", 1)),
        "advertiser_id_from_network": world.get("advertiser_id_from_network"),
        "advertiser_campaign_id_from_network": world.get("advertiser_campaign_id_from_network"),
        "affiliate_id_from_network": world.get("affiliate_id_from_network"),
        "ring_pool_id_from_network": pool.get("id_from_network"),
        "ring_pool_id": str(pool["id"]) if "id" in pool else "1",
        "advertiser_id": "1", "affiliate_id": "1", "conversion_reporting_id": "1",
        "promo_number": "8005550100", "transaction_id": "C624DA2C-CF3367C3",
        "format": "json",
    }
    return {name: str(value) if value is not None else MISSING_ID
            for name, value in values.items()}


def served_version(operation: Operation) -> str:
    """The latest version in the operation's enum that it serves."""
    for parameter in operation.parameters:
        if parameter.get("name") == "version" and parameter.get("in") == "path":
            enum = sorted((parameter.get("schema") or {}).get("enum") or ())
            served = [v for v in enum if version_in_range(v, operation.x_versions)]
            return served[-1] if served else enum[-1]
    return ""


def body_properties(operation: Operation) -> tuple[str | None, list[str]]:
    """The request body's kind (``json``/``form``; None without a body) and its top-level
    properties."""
    spec = load_spec()
    body = resolve(spec, operation.definition.get("requestBody")) or {}
    content = body.get("content") or {}
    media = next((m for m in content if "json" in m), next(iter(content), None))
    if media is None:
        return None, []
    names: list[str] = []
    pending = [content[media].get("schema") or {}]
    while pending:
        schema = resolve(spec, pending.pop())
        if isinstance(schema, Mapping):
            names += [n for n in schema.get("properties") or {} if n not in names]
            for key in ("allOf", "anyOf", "oneOf"):
                pending += schema.get(key) or []
    return ("json" if "json" in media else "form"), names


def _path(operation: Operation, values: Mapping[str, str], poisoned: str | None = None,
          text: str = "") -> str:
    path = operation.path.replace("{version}", served_version(operation))
    for name in operation.path_parameter_names:
        if name != "version":
            value = text if name == poisoned else values.get(name, MISSING_ID)
            path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def base_query(operation: Operation, target: Target) -> str:
    """The query every request of ``operation`` carries (a legacy allocation's key)."""
    if operation.operation_id == "allocateNumber" and target.ring_pool is not None:
        return f"ring_pool_key={quote(target.ring_pool.key)}&param1=x"
    return ""


def cases(operation: Operation, values: Mapping[str, str], input_class: str,
          query: str = "") -> Iterator[HostileRequest]:
    """Each way to send ``input_class`` to ``operation``: in each path parameter, each query
    parameter, each top-level body property (form field) and as the whole JSON body."""
    text = TEXT_VALUES.get(input_class)
    raw = JSON_VALUES.get(input_class)
    method = operation.method.upper()
    path = _path(operation, values)
    joined = (query + "&") if query else ""
    if text is not None:
        for name in operation.path_parameter_names:
            if name not in {"version", "format"}:
                yield HostileRequest(f"path {name} {input_class}", method,
                                     _path(operation, values, name, text), query)
        for parameter in operation.parameters:
            if parameter.get("in") == "query":
                name = str(parameter["name"])
                yield HostileRequest(f"query {name} {input_class}", method, path,
                                     joined + f"{quote(name)}={quote(text, safe='')}")
    media, names = body_properties(operation)
    if media == "form" and text is not None:
        for name in names:
            yield HostileRequest(f"form {name} {input_class}", method, path, query,
                                 form={name: text})
    elif media == "json" and raw is not None:
        yield HostileRequest(f"body {input_class}", method, path, query, body=raw)
        for name in names:
            yield HostileRequest(f"body {name} {input_class}", method, path, query,
                                 body=b'{"%s": %s}' % (name.encode(), raw))


def sweep(operation: Operation, values: Mapping[str, str], turn: int, query: str = "", *,
          every_position: bool = True) -> Iterator[HostileRequest]:
    """Every input class in the operation's first position for it, then (``every_position``)
    every position with the input class whose turn it is."""
    by_class = {input_class: {case.label.rsplit(" ", 1)[0]: case
                              for case in cases(operation, values, input_class, query)}
                for input_class in CLASSES}
    positions: dict[str, None] = {}
    for found in by_class.values():
        positions.update(dict.fromkeys(found))
        if found:
            yield next(iter(found.values()))
    if not every_position:
        return
    for index, name in enumerate(positions):
        for step in range(len(CLASSES)):
            case = by_class[CLASSES[(turn + index + step) % len(CLASSES)]].get(name)
            if case is not None:
                yield case
                break


def control_cases(input_class: str) -> Iterator[HostileRequest]:
    """``input_class`` as each control endpoint's whole body and as each of its keys."""
    raw = JSON_VALUES.get(input_class)
    if raw is None:
        return
    for method, path, keys in CONTROL:
        yield HostileRequest(f"{path} body {input_class}", method, path, body=raw)
        for key in keys:
            yield HostileRequest(f"{path} {key} {input_class}", method, path,
                                 body=b'{"%s": %s}' % (key.encode(), raw))
    text = TEXT_VALUES.get(input_class)
    if text is not None:
        yield HostileRequest(f"allocations {input_class}", "GET", "/_sandbox/allocations",
                             f"ring_pool_id={quote(text, safe='')}")


def exported_state(target: Target) -> bytes | None:
    """The target's state export (``GET /_sandbox/state``), or None when it has none."""
    if not target.has("sandbox"):
        return None
    response = target.session.get(target.url("/_sandbox/state"), timeout=60)
    return response.content if response.status_code == 200 else None


def problems(target: Target, request: HostileRequest) -> tuple[list[str], int]:
    """What is wrong with ``target``'s answer to ``request`` (no 5xx; a refusal changes no
    exported state), and its status. After an accepted request a target that can be reset is
    reset (the next request starts from its world)."""
    before = exported_state(target)
    response = request.send(target)
    status = response.status_code
    found: list[str] = []
    if status >= 500:
        found.append(f"{request.label}: answered {status}\n{answer_text(response)}")
    elif status >= 400 and before is not None and exported_state(target) != before:
        found.append(f"{request.label}: refused with {status} and changed the state")
    if status < 400 and not target.read_only:
        if request.path == "/_sandbox/faults" and target.has("faults"):
            target.clear_faults()
        if target.has("reset"):
            target.reset()
    return found, status
