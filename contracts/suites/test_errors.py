"""Suite 3, error shapes: every documented error, in every format (see contracts.errors)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from contracts.conformance import STATEFUL_GETS, default_spec
from contracts.errors import ErrorExample, examples, operation_label, problems
from contracts.report import FailureRecord, Report
from contracts.reproduction import answer_text
from contracts.target import Target


def _stateful_operations() -> frozenset[str]:
    """Operations that change state (any method but GET, and allocateNumber)."""
    document = yaml.safe_load(default_spec().read_text(encoding="utf-8"))
    found = set(STATEFUL_GETS)
    for item in document["paths"].values():
        for method, operation in item.items():
            if isinstance(operation, dict) and "operationId" in operation and method != "get":
                found.add(operation["operationId"])
    return frozenset(found)


#: a request to one of these is skipped under --read-only even when it should fail
STATEFUL_OPERATIONS = _stateful_operations()


def _param(example: ErrorExample) -> Any:
    marks: list[Any] = [pytest.mark.needs(*example.needs)] if example.needs else []
    if example.changes_state or example.operation_id in STATEFUL_OPERATIONS:
        marks.append(pytest.mark.changes_state)
    return pytest.param(example, id=example.name, marks=marks)


@pytest.mark.parametrize("example", [_param(example) for example in examples()])
def test_error_has_documented_shape_when_provoked(example: ErrorExample, contract_target: Target,
                                                  contract_schema: Any, contract_report: Report,
                                                  request: pytest.FixtureRequest) -> None:
    if example.known_deviation and contract_target.has("sandbox"):
        request.applymarker(pytest.mark.xfail(
            reason=f"known sandbox deviation: {example.known_deviation}", strict=True))
    sent = example.build(contract_target)
    if example.status == 500:
        contract_target.control("faults", {"operation": example.operation_id, "status": 500,
                                           "count": 1})
    try:
        response = sent.send(contract_target)
    finally:
        if example.status == 500:
            contract_target.clear_faults()
    contract_report.checks.add("error_shape")
    contract_report.record_case(operation_label(contract_schema.raw_schema,
                                                example.operation_id))
    found = problems(contract_schema.raw_schema, example, response)
    if found:
        for problem in found:
            contract_report.record_failure(FailureRecord(
                check="error_shape", operation=f"{example.api} {example.operation_id}",
                title=f"{example.name}: {problem}", message=answer_text(response),
                curl=sent.curl(contract_target), suite="errors"), answer=response)
        pytest.fail(f"{example.name}: " + "; ".join(found), pytrace=False)
