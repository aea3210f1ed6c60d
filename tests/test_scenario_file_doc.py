"""docs/scenario-file.md: every key the scenario loader declares is on the page, and its
example loads."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from simulator import scenario
from simulator.traffic import DISTRIBUTION_KINDS, FAKER_KINDS

PAGE = Path(__file__).resolve().parents[1] / "docs" / "scenario-file.md"


@pytest.mark.parametrize("key", sorted({
    *scenario.SCENARIO_KEYS, *scenario.TRAFFIC_KEYS, *scenario.BURST_KEYS, *scenario.CALL_KEYS,
    *scenario.POOL_KEYS, *scenario.PARAM_KEYS, *DISTRIBUTION_KINDS, *FAKER_KINDS,
    "kind", "mean_seconds", "mean_minutes", "sigma",
}))
def test_key_documented_when_the_scenario_loader_declares_it(key: str) -> None:
    assert f"`{key}`" in PAGE.read_text(encoding="utf-8")


def test_example_scenario_loads_when_copied_from_the_page() -> None:
    found = re.search(r"```toml\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    assert found is not None
    loaded = scenario.Scenario.from_dict(tomllib.loads(found.group(1)))
    assert (loaded.name, loaded.calls.probability, len(loaded.traffic.bursts)) == (
        "small-business", pytest.approx(0.06), 1)
