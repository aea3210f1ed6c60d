"""docs/world-file.md: every key the loaders declare is on the page, and its example loads."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from mock_server.app import WORLD_SETTINGS, create_app
from simulator import world

PAGE = Path(__file__).resolve().parents[1] / "docs" / "world-file.md"


@pytest.mark.parametrize("key", sorted({
    *world.WORLD_KEYS, *world.NETWORK_KEYS, *world.TOKEN_KEYS, *world.BASIC_AUTH_KEYS,
    *world.OBJECT_KEYS, *world.OBJECT_TYPES, *world.BODY_SCHEMAS.values(), *WORLD_SETTINGS,
}))
def test_key_documented_when_a_loader_declares_it(key: str) -> None:
    assert f"`{key}`" in PAGE.read_text(encoding="utf-8")


def test_example_world_served_when_copied_from_the_page() -> None:
    text = PAGE.read_text(encoding="utf-8")
    found = re.search(r"```toml\n(.*?)```", text, re.S)
    assert found is not None
    app = create_app({"SEED": 0, "CLOCK": "manual", "WORLD": tomllib.loads(found.group(1))})
    summary = app.test_client().get("/_sandbox/world").get_json()
    assert summary["network_id"] == 7
    assert summary["basic_auth"] == {"username": "acme", "password": "secret"}
    assert summary["ring_pool"]["id_from_network"] == "rp1"
