"""Suite 6, bounds: hostile input to every operation and control endpoint (see
contracts.bounds): never a 5xx; a refusal changes no exported state."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.bounds import (
    CLASSES,
    HostileRequest,
    base_query,
    control_cases,
    known_values,
    problems,
    sweep,
)
from contracts.errors import operation_label
from contracts.profile import Profile
from contracts.report import FailureRecord, Report
from contracts.target import Target
from openapi.contract import Operation, operations

OPERATIONS = sorted(operations(), key=lambda op: op.operation_id)


def _param(operation: Operation) -> Any:
    marks = [] if operation.method == "get" and operation.operation_id != "allocateNumber" else [
        pytest.mark.changes_state]
    return pytest.param(operation, id=operation.operation_id, marks=marks)


def _run(target: Target, report: Report, document: Any, operation_id: str,
         requests: list[HostileRequest]) -> None:
    report.checks.add("bounds")
    failed: list[str] = []
    for request in requests:
        report.record_case(operation_label(document, operation_id) if operation_id else
                           request.path)
        target.recorder.start(since="the hostile request")  # each one stands alone
        found, _ = problems(target, request)
        for problem in found:
            report.record_failure(FailureRecord(
                check="bounds", operation=operation_id or request.path,
                title=problem.splitlines()[0], message=problem, curl=request.curl(target),
                suite="bounds"))
            failed.append(problem.splitlines()[0])
    if failed:
        pytest.fail(f"{len(failed)} of {len(requests)} hostile requests:\n"
                    + "\n".join(failed), pytrace=False)


@pytest.mark.parametrize("operation", [_param(operation) for operation in OPERATIONS])
def test_no_5xx_and_refusals_change_nothing_when_an_operation_gets_hostile_input(
        operation: Operation, contract_target: Target, contract_schema: Any,
        contract_report: Report, contract_profile: Profile) -> None:
    values = known_values(contract_target.world, contract_target.network_id)
    turn = OPERATIONS.index(operation)  # the input classes take turns over the operations
    requests = list(sweep(operation, values, turn, base_query(operation, contract_target),
                          every_position=contract_profile.name != "dev"))
    _run(contract_target, contract_report, contract_schema.raw_schema, operation.operation_id,
         requests)


@pytest.mark.needs("sandbox")
@pytest.mark.changes_state
def test_no_5xx_and_refusals_change_nothing_when_the_control_api_gets_hostile_input(
        contract_target: Target, contract_report: Report, contract_schema: Any) -> None:
    requests = [request for input_class in CLASSES for request in control_cases(input_class)]
    _run(contract_target, contract_report, contract_schema.raw_schema, "", requests)
