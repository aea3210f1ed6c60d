"""Suite 2, allocation semantics: the RingPool state machine over HTTP (contracts.allocation),
and a call's life from in progress to its transaction and transcript (contracts.calls)."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from contracts import calls
from contracts.allocation import build_machine
from contracts.profile import Profile
from contracts.report import FailureRecord, Report
from contracts.target import Target


@pytest.mark.changes_state
@pytest.mark.needs("world", "reset", "clock", "calls")
def test_allocations_follow_the_ringpool_rules_when_driven_at_random(
        contract_target: Target, contract_profile: Profile, contract_seed: int | None,
        contract_report: Report) -> None:
    machine = build_machine(contract_target, contract_report, pytest.skip)
    run_state_machine_as_test(machine, settings=contract_profile.settings(
        contract_seed, max_examples=contract_profile.stateful_examples,
        steps=contract_profile.stateful_steps))


@pytest.mark.changes_state
@pytest.mark.needs("world", "clock", "calls")
def test_live_call_becomes_its_transaction_when_it_ends(contract_target: Target,
                                                       contract_report: Report) -> None:
    flow = calls.run(contract_target)
    for label in flow.cases:
        contract_report.record_case(label)
    contract_report.checks.update(calls.CHECKS)
    for check, problem, reproduction in flow.problems:
        contract_report.record_failure(FailureRecord(
            check=check, operation="POST /_sandbox/calls", title=problem.splitlines()[0],
            message=problem, curl=reproduction.failing, suite="allocation",
            reproduction=reproduction))
    if flow.problems:
        pytest.fail("\n".join(f"{check}: {problem.splitlines()[0]}"
                              for check, problem, _ in flow.problems), pytrace=False)
