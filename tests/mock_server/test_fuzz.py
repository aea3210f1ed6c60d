"""Hostile input over every operation of the contract and every control endpoint: no answer is
a 5xx, and a refused (4xx) request leaves the state export byte for byte as it was.

The input classes and the requests carrying them are the bounds suite's
(:mod:`contracts.bounds`: huge and non-finite numbers, long digit strings, deep nesting, very
long strings, control characters, other scripts' digits, in each path parameter, query
parameter, top-level body property or the whole body). The sweep gives every operation every
input class and every position one; the property test mixes them under Hypothesis, with a
second poisoned property at times. Both go through the Flask test client on one app (reset
after anything it accepts, so the state stays small); the app's export then imports back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts.bounds import (
    CLASSES,
    CONTROL,
    JSON_VALUES,
    HostileRequest,
    body_properties,
    cases,
    control_cases,
    known_values,
    sweep,
)
from mock_server.app import create_app
from openapi.contract import operations


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

    def send(self, request: HostileRequest) -> None:
        """Send one request: never a 5xx; a 4xx changes nothing."""
        before = self.export()
        headers = {"Authorization": str(self.world["api_token"])}
        url = request.path + (f"?{request.query}" if request.query else "")
        if request.form is not None:
            response = self.client.open(url, method=request.method, data=dict(request.form),
                                        headers=headers)
        elif request.body is not None:
            response = self.client.open(url, method=request.method, data=request.body,
                                        headers=headers, content_type="application/json")
        else:
            response = self.client.open(url, method=request.method, headers=headers)
        status = response.status_code
        self.sent += 1
        self.statuses[status] = self.statuses.get(status, 0) + 1
        where = f"{request.label}: {request.method} {url[:200]}"
        assert status < 500, f"{where} -> {status} {response.data[:300]!r}"
        if status >= 400:
            self.refused += 1
            assert self.export() == before, f"{where} changed the state"
        else:  # accepted: start over, so the state (and each export) stays small
            self.client.delete("/_sandbox/faults")
            self.client.post("/_sandbox/reset")


OPERATIONS = sorted(operations(), key=lambda op: op.operation_id)


def allocation_query(world: dict[str, Any]) -> str:
    return f"ring_pool_key={world['ring_pool']['api_key']}&param1=x"


def query_of(operation_id: str, world: dict[str, Any]) -> str:
    return allocation_query(world) if operation_id == "allocateNumber" else ""


@pytest.fixture(scope="module")
def fuzzer() -> Iterator[Fuzzer]:
    app = create_app({"SEED": 0, "CLOCK": "manual"})
    client = app.test_client()
    world = client.get("/_sandbox/world").get_json()
    yield Fuzzer(client, world)


def test_no_5xx_and_refusals_change_nothing_when_every_operation_gets_every_input_class(
    fuzzer: Fuzzer,
) -> None:
    values = known_values(fuzzer.world)
    for turn, operation in enumerate(OPERATIONS):
        for request in sweep(operation, values, turn,
                             query_of(operation.operation_id, fuzzer.world)):
            fuzzer.send(HostileRequest(f"{operation.operation_id} {request.label}",
                                       request.method, request.path, request.query,
                                       request.body, request.form))
    for turn, input_class in enumerate(CLASSES):
        for index, request in enumerate(control_cases(input_class)):
            if " body " in request.label or (index + turn) % 3 == 0:
                fuzzer.send(request)
    bulk = fuzzer.world["bulk_ring_pool"]
    for digits in (25, 5000):
        fuzzer.send(HostileRequest(
            f"bulk api_suffix {digits} digits", "POST", "/api/2013-07-01/bulk.json",
            body=b'{"requests": [{"api_suffix": "%s/allocate_number.json?ring_pool_key'
                 b'=%s&param1=x"}]}' % (b"9" * digits, bulk["api_key"].encode())))
    print(f"\nfuzz sweep: {fuzzer.sent} requests over {len(OPERATIONS)} operations and "
          f"{len(CONTROL) + 1} control endpoints, {fuzzer.refused} refused; statuses "
          f"{dict(sorted(fuzzer.statuses.items()))}")
    assert fuzzer.sent > 2000


@st.composite
def mixed_requests(draw: st.DrawFn, world: dict[str, Any]) -> HostileRequest:
    """A request with one or two poisoned places: an operation, an input class, a position."""
    operation = draw(st.sampled_from(OPERATIONS))
    input_class = draw(st.sampled_from(CLASSES))
    found = list(cases(operation, known_values(world), input_class,
                       query_of(operation.operation_id, world)))
    if not found:
        return next(sweep(operation, known_values(world), 0,
                          query_of(operation.operation_id, world)))
    request: HostileRequest = draw(st.sampled_from(found))
    body = request.body
    if body is not None and body.startswith(b"{") and draw(st.booleans()):
        _, names = body_properties(operation)
        extra = draw(st.sampled_from(names)) if names else "x"
        second = JSON_VALUES[draw(st.sampled_from(sorted(JSON_VALUES)))]
        body = body[:-1] + b', "%s": %s}' % (extra.encode(), second)
    return HostileRequest(f"{operation.operation_id} {request.label}", request.method,
                          request.path, request.query, body, request.form)


#: examples of the property test (the whole file stays well under a minute on CI)
MIXED_EXAMPLES = 500


@settings(max_examples=MIXED_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(data=st.data())
def test_no_5xx_and_refusals_change_nothing_when_hostile_inputs_are_mixed(
    fuzzer: Fuzzer, data: st.DataObject
) -> None:
    fuzzer.send(data.draw(mixed_requests(fuzzer.world)))


def test_export_imports_back_the_same_when_the_fuzzed_app_is_exported(
    fuzzer: Fuzzer,
) -> None:
    state = fuzzer.export()
    copy = create_app({"SEED": 7, "CLOCK": "manual"}).test_client()
    assert copy.put("/_sandbox/state", data=state,
                    content_type="application/json").status_code == 200
    assert copy.get("/_sandbox/state").data == state
    print(f"\nfuzz total: {fuzzer.sent} requests, {fuzzer.refused} refused")
