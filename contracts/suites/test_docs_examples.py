"""Suite 5, Invoca's documented examples: each sent as written (see contracts.docs_walk)."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.docs_shapes import body_problems, status_problems
from contracts.docs_walk import Case, Walk, WalkError, WalkSkip, cases, documented_creates
from contracts.errors import operation_label
from contracts.report import FailureRecord, Report
from contracts.reproduction import answer_text
from contracts.target import Target
from openapi.docs_expectations import OWNERS, expected_failures

CASES = cases()
EXPECTED = expected_failures()


#: why the whole suite is skipped on a read-only target (one line in the summary, not 367)
READ_ONLY = "--read-only: the documented examples create, change and delete objects"


def _param(case: Case) -> Any:
    marks = [pytest.mark.skip(reason=case.skip)] if case.skip else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.fixture(scope="session")
def docs_walk(contract_target: Target, contract_report: Report) -> Walk:
    if contract_target.read_only:
        contract_report.skipped.append(READ_ONLY)
        pytest.skip(READ_ONLY)
    return Walk(contract_target, documented_creates(CASES))


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_example_is_answered_as_documented_when_sent(case: Case, docs_walk: Walk,
                                                     contract_report: Report,
                                                     contract_schema: Any,
                                                     request: pytest.FixtureRequest) -> None:
    target = docs_walk.target
    expected = EXPECTED.get(case.id)
    if expected is not None and target.has("sandbox"):
        request.applymarker(pytest.mark.xfail(
            reason=f"{expected.owner} ({OWNERS[expected.owner]}): {expected.cause}", strict=True))
    contract_report.checks.add("docs_example")
    docs_walk.start_page(case.page)
    try:
        sent = docs_walk.request(case.example, case.match, case.response)
    except WalkSkip as exc:
        contract_report.skipped.append(f"{case.id}: {exc}")
        pytest.skip(str(exc))
    except WalkError as exc:
        pytest.fail(f"{case.id}: {exc}", pytrace=False)
    response = sent.send(target)
    operation = case.match.operation
    label = (operation_label(contract_schema.raw_schema, operation.operation_id) if operation
             else f"{case.example['method']} {case.match.path}")
    contract_report.record_case(label)
    found = status_problems(case.example, response.status_code)
    if not found:
        found = body_problems(case.response, response.text)
    if found:
        contract_report.record_failure(FailureRecord(
            check="docs_example", operation=label, title=f"{case.id}: {found[0]}",
            message="\n".join([*found[1:], answer_text(response)]), curl=sent.curl(target),
            suite="docs"), answer=response)
        pytest.fail(f"{case.id} ({case.example['title']}):\n  " + "\n  ".join(found),
                    pytrace=False)
