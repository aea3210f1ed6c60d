"""Fixtures shared by the model's tests: the demo world of the module's ``platform`` fixture
(each module picks its own seed) and a network principal authenticated in it."""

from __future__ import annotations

import pytest

from simulator.platform import Platform, Principal
from simulator.world import World


@pytest.fixture
def world(platform: Platform) -> World:
    assert platform.world is not None
    return platform.world


@pytest.fixture
def admin(platform: Platform, world: World) -> Principal:
    return platform.authenticate(token=world.api_token)
