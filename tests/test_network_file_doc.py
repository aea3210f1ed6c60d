"""docs/network-file.md: every key the network loader declares is on the page, and its
example loads."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from simulator import network_file

PAGE = Path(__file__).resolve().parents[1] / "docs" / "network-file.md"


@pytest.mark.parametrize("key", sorted({
    *network_file.NETWORK_KEYS, *network_file.POOL_KEYS, *network_file.TARGET_KEYS,
    *network_file.PROFILE_KEYS, "profile",
}))
def test_key_documented_when_the_network_loader_declares_it(key: str) -> None:
    assert f"`{key}`" in PAGE.read_text(encoding="utf-8")


def test_example_network_loads_when_copied_from_the_page() -> None:
    found = re.search(r"```toml\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    assert found is not None
    loaded = network_file.parse_network(tomllib.loads(found.group(1)))
    assert [pool.name for pool in loaded.pools] == ["dallas", "houston", "tv"]
    assert loaded.budget == 40
    houston = loaded.pools[1]
    assert houston.targets is not None and houston.targets.overflow_rate == pytest.approx(0.005)
    assert houston.scenario.pools[0].call_value == 60
    assert len(loaded.pools[2].scenario.traffic.bursts) == 1
    assert loaded.pools[2].scenario.calls.probability == pytest.approx(0.10)
