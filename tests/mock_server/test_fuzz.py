"""Hostile input over every operation of the contract and every control endpoint: no answer is
a 5xx, and a refused (4xx) request leaves the state export byte for byte as it was.

The input classes (issue 15): huge and non-finite numbers (``1e20``, ``2**64``, ``1e308``,
``"inf"``/``"nan"`` and bare ``NaN``/``Infinity`` tokens), long digit strings (25 and 5,000
digits), deep nesting (1,000-deep arrays), very long strings (1 MB in a body, 64 KiB in a URL:
servers cap the request line well below that), control characters and digits of other
scripts. Each goes into a path parameter, a query parameter, a top-level body
property or the whole body. The sweep gives every operation every input class (in its first
position) and every position some input class (the classes taking turns); the property test
mixes them under Hypothesis, with a second poisoned property at times. Both go through the
Flask test client on one app (reset after anything it accepts, so the state stays small).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mock_server.app import create_app
from openapi.contract import Operation, load_spec, operations, resolve, version_in_range

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

#: the control API's endpoints that take input: (method, path, the body's known keys)
CONTROL: list[tuple[str, str, tuple[str, ...]]] = [
    ("POST", "/_sandbox/clock", ("advance_seconds", "now")),
    ("POST", "/_sandbox/calls", ("promo_number", "start_time", "duration_seconds",
                                 "calling_phone_number")),
    ("POST", "/_sandbox/prompt_recordings", ("network_id", "id_from_network", "prompt_text",
                                             "prompt_url", "advertiser_id_from_network")),
    ("POST", "/_sandbox/faults", ("operation", "status", "count", "probability", "latency_ms",
                                  "switch")),
    ("PUT", "/_sandbox/state", ("now", "replay", "seed")),
]


@dataclass
class Fuzzer:
    """One app on the demo world, and what it has seen."""

    client: FlaskClient
    world: dict[str, Any]
    sent: int = 0
    refused: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    def export(self) -> bytes:
        response = self.client.get("/_sandbox/state")
        assert response.status_code == 200, response.data[:300]
        return response.data

    def send(self, label: str, method: str, path: str, *, query: str = "",
             body: bytes | None = None, form: dict[str, str] | None = None) -> None:
        """Send one request: never a 5xx; a 4xx changes nothing."""
        before = self.export()
        headers = {"Authorization": str(self.world["api_token"])}
        url = path + (f"?{query}" if query else "")
        if form is not None:
            response = self.client.open(url, method=method, data=form, headers=headers)
        elif body is not None:
            response = self.client.open(url, method=method, data=body, headers=headers,
                                        content_type="application/json")
        else:
            response = self.client.open(url, method=method, headers=headers)
        status = response.status_code
        self.sent += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        assert status < 500, f"{label}: {method} {url[:200]} -> {status} {response.data[:300]!r}"
        if status >= 400:
            self.refused += 1
            assert self.export() == before, f"{label}: {method} {url[:200]} changed the state"
        else:  # accepted: start over, so the state (and each export) stays small
            self.client.delete("/_sandbox/faults")
            self.client.post("/_sandbox/reset")


def known_values(world: dict[str, Any]) -> dict[str, str]:
    """A valid value for each path parameter of the contract (the demo world's objects)."""
    return {
        "network_id": str(world["network_id"]),
        "advertiser_id_from_network": world["advertiser_id_from_network"],
        "advertiser_campaign_id_from_network": world["advertiser_campaign_id_from_network"],
        "affiliate_id_from_network": world["affiliate_id_from_network"],
        "ring_pool_id_from_network": world["ring_pool"]["id_from_network"],
        "ring_pool_id": str(world["ring_pool"]["id"]),
        "advertiser_id": "1", "affiliate_id": "1", "conversion_reporting_id": "1",
        "promo_number": "8005550100", "promo_number_id_from_network": "pn-1",
        "user_id_from_network": "user-1", "transaction_id": "C624DA2C-CF3367C3",
        "format": "json",
    }


def served_version(operation: Operation) -> str:
    """The latest version in the operation's enum that it serves."""
    for parameter in operation.parameters:
        if parameter.get("name") == "version" and parameter.get("in") == "path":
            enum = sorted((parameter.get("schema") or {}).get("enum") or ())
            served = [v for v in enum if version_in_range(v, operation.x_versions)]
            return served[-1] if served else enum[-1]
    return ""


def body_properties(operation: Operation) -> tuple[str | None, list[str]]:
    """The request body's media type (``json``/``form``, None without a body) and its
    top-level properties."""
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
        if isinstance(schema, dict):
            names += [n for n in schema.get("properties") or {} if n not in names]
            for key in ("allOf", "anyOf", "oneOf"):
                pending += schema.get(key) or []
    return ("json" if "json" in media else "form"), names


def query_names(operation: Operation) -> list[str]:
    return [str(p["name"]) for p in operation.parameters if p.get("in") == "query"]


def path_of(operation: Operation, values: dict[str, str], poisoned: str | None = None,
            text: str = "") -> str:
    path = operation.path.replace("{version}", served_version(operation))
    for name in operation.path_parameter_names:
        if name == "version":
            continue
        value = text if name == poisoned else values.get(name, "x")
        path = path.replace("{" + name + "}", quote(value, safe=""))
    return path


def base_query(operation: Operation, world: dict[str, Any]) -> str:
    if operation.operation_id == "allocateNumber":
        return f"ring_pool_key={world['ring_pool']['api_key']}&param1=x"
    return ""


def cases(operation: Operation, world: dict[str, Any], input_class: str
          ) -> Iterator[tuple[str, str, str, bytes | None, dict[str, str] | None]]:
    """(position, path, query, JSON body, form) of each way to send ``input_class`` to an
    operation: in each path parameter, each query parameter, each top-level body property
    and as the whole body."""
    values = known_values(world)
    text = TEXT_VALUES.get(input_class)
    raw = JSON_VALUES.get(input_class)
    query = base_query(operation, world)
    joined = (query + "&") if query else ""
    if text is not None:
        for name in operation.path_parameter_names:
            if name not in {"version", "format"}:
                yield f"path {name}", path_of(operation, values, name, text), query, None, None
        for name in query_names(operation):
            yield (f"query {name}", path_of(operation, values), joined
                   + f"{quote(name)}={quote(text, safe='')}", None, None)
    media, names = body_properties(operation)
    if media == "form" and text is not None:
        for name in names:
            yield f"form {name}", path_of(operation, values), query, None, {name: text}
    elif media == "json" and raw is not None:
        yield "body", path_of(operation, values), query, raw, None
        for name in names:
            yield (f"body {name}", path_of(operation, values), query,
                   b'{"%s": %s}' % (name.encode(), raw), None)


def control_cases(input_class: str) -> Iterator[tuple[str, str, str, bytes]]:
    raw = JSON_VALUES.get(input_class)
    if raw is None:
        return
    for method, path, keys in CONTROL:
        yield method, path, "body", raw
        for key in keys:
            yield method, path, key, b'{"%s": %s}' % (key.encode(), raw)


OPERATIONS = sorted(operations(), key=lambda op: op.operation_id)


@pytest.fixture(scope="module")
def fuzzer() -> Iterator[Fuzzer]:
    app = create_app({"SEED": 0, "CLOCK": "manual"})
    client = app.test_client()
    world = client.get("/_sandbox/world").get_json()
    yield Fuzzer(client, world)


def sweep(operation: Operation, world: dict[str, Any], turn: int
          ) -> Iterator[tuple[str, str, str, bytes | None, dict[str, str] | None]]:
    """Every input class in the operation's first position for it, then every position with
    the input class whose turn it is, as ``(label, path, query, body, form)``."""
    by_class = {input_class: {case[0]: case for case in cases(operation, world, input_class)}
                for input_class in CLASSES}
    positions: dict[str, None] = {}
    for input_class, found in by_class.items():
        positions.update(dict.fromkeys(found))
        if found:
            position, *request = next(iter(found.values()))
            yield (f"{position} {input_class}", *request)  # type: ignore[misc]
    for index, name in enumerate(positions):
        for step in range(len(CLASSES)):
            input_class = CLASSES[(turn + index + step) % len(CLASSES)]
            case = by_class[input_class].get(name)
            if case is not None:
                yield (f"{name} {input_class}", *case[1:])
                break


def test_no_5xx_and_refusals_change_nothing_when_every_operation_gets_every_input_class(
    fuzzer: Fuzzer,
) -> None:
    for turn, operation in enumerate(OPERATIONS):
        for label, path, query, body, form in sweep(operation, fuzzer.world, turn):
            fuzzer.send(f"{operation.operation_id} {label}", operation.method.upper(), path,
                        query=query, body=body, form=form)
    for turn, input_class in enumerate(CLASSES):
        for index, (method, path, key, body) in enumerate(control_cases(input_class)):
            if key == "body" or (index + turn) % 3 == 0:
                fuzzer.send(f"{path} {key} {input_class}", method, path, body=body)
        text = TEXT_VALUES.get(input_class)
        if text is not None:
            fuzzer.send(f"allocations {input_class}", "GET", "/_sandbox/allocations",
                        query=f"ring_pool_id={quote(text, safe='')}")
    bulk = fuzzer.world["bulk_ring_pool"]
    for digits in (25, 5000):
        fuzzer.send(f"bulk api_suffix {digits} digits", "POST", "/api/2013-07-01/bulk.json",
                    body=b'{"requests": [{"api_suffix": "%s/allocate_number.json?ring_pool_key'
                         b'=%s&param1=x"}]}' % (b"9" * digits, bulk["api_key"].encode()))
    print(f"\nfuzz sweep: {fuzzer.sent} requests over {len(OPERATIONS)} operations and "
          f"{len(CONTROL) + 1} control endpoints, {fuzzer.refused} refused; statuses "
          f"{dict(sorted(fuzzer.statuses.items()))}")
    assert fuzzer.sent > 2000


@st.composite
def mixed_requests(draw: st.DrawFn, world: dict[str, Any]
                   ) -> tuple[str, str, str, str, bytes | None, dict[str, str] | None]:
    """A request with one or two poisoned places: an operation, an input class, a position."""
    operation = draw(st.sampled_from(OPERATIONS))
    input_class = draw(st.sampled_from(CLASSES))
    found = list(cases(operation, world, input_class))
    if not found:
        return operation.operation_id, operation.method.upper(), path_of(
            operation, known_values(world)), base_query(operation, world), None, None
    position, path, query, body, form = draw(st.sampled_from(found))
    if body is not None and body.startswith(b"{") and draw(st.booleans()):
        _, names = body_properties(operation)
        extra = draw(st.sampled_from(names)) if names else "x"
        second = JSON_VALUES[draw(st.sampled_from(sorted(JSON_VALUES)))]
        body = body[:-1] + b', "%s": %s}' % (extra.encode(), second)
    return f"{operation.operation_id} {position} {input_class}", \
        operation.method.upper(), path, query, body, form


#: examples of the property test (the whole file stays well under a minute on CI)
MIXED_EXAMPLES = 500


@settings(max_examples=MIXED_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_no_5xx_and_refusals_change_nothing_when_hostile_inputs_are_mixed(
    fuzzer: Fuzzer, data: st.DataObject
) -> None:
    label, method, path, query, body, form = data.draw(mixed_requests(fuzzer.world))
    fuzzer.send(label, method, path, query=query, body=body, form=form)


def test_export_imports_back_the_same_when_the_fuzzed_app_is_exported(
    fuzzer: Fuzzer,
) -> None:
    state = fuzzer.export()
    copy = create_app({"SEED": 7, "CLOCK": "manual"}).test_client()
    assert copy.put("/_sandbox/state", data=state,
                    content_type="application/json").status_code == 200
    assert copy.get("/_sandbox/state").data == state
    print(f"\nfuzz total: {fuzzer.sent} requests, {fuzzer.refused} refused")
