"""Suite 1, conformance: every operation, every schemathesis check, plus the stateful phase."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis.stateful import run_state_machine_as_test

from contracts.conformance import run_case, state_machine
from contracts.plugin import session_schema
from contracts.profile import Profile
from contracts.report import Report
from contracts.target import Target

schema = session_schema()


@pytest.fixture(scope="module", autouse=True)
def reset_before_conformance(contract_target: Target) -> None:
    if contract_target.has("reset"):
        contract_target.reset()


@schema.parametrize()
def test_operation_conforms_when_fuzzed(case: Any, contract_target: Target,
                                        contract_report: Report) -> None:
    run_case(case, contract_target, contract_report)


@pytest.mark.changes_state
def test_links_conform_when_followed_statefully(
        contract_schema: Any, contract_target: Target, contract_profile: Profile,
        contract_seed: int | None, contract_report: Report) -> None:
    machine = state_machine(contract_schema, contract_target, contract_report)
    run_state_machine_as_test(machine, settings=contract_profile.settings(
        contract_seed, max_examples=contract_profile.stateful_examples,
        steps=contract_profile.stateful_steps))
