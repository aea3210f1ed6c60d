"""Suite 2, allocation semantics: the RingPool state machine over HTTP (contracts.allocation)."""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from contracts.allocation import build_machine
from contracts.profile import Profile
from contracts.report import Report
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
