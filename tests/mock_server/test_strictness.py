"""The one strictness switch: config ``STRICT``/``STRICT_VERSIONS``, a world file's
``[settings]`` table, and ``serve --strict``/``--strict-versions``; health reports it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from mock_server.app import VERSION_HEADER, create_app
from mock_server.serve import banner, config_from, parser
from simulator.errors import RecordInvalid

TOKEN = "TOKENTOKENTOKENTOKENTOKENTOKEN12"
WORLD: dict[str, Any] = {
    "networks": [{"id": 7, "name": "Acme Network"}],
    "tokens": [{"token": TOKEN, "role": "network", "network_id": 7}],
    "objects": [{"type": "advertiser", "body": {"id_from_network": "a1", "name": "Acme"}}],
}
WORLD_TOML = """
[settings]
strict = true

[[networks]]
id = 7
name = "Acme Network"

[[tokens]]
token = "TOKENTOKENTOKENTOKENTOKENTOKEN12"
role = "network"
network_id = 7
"""


def app_with(**config: Any) -> Flask:
    return create_app({"SEED": 0, "CLOCK": "manual", **config})


def answers(app: Flask) -> dict[str, int]:
    """The status of an unpublished date, a limit past 4000 and an unknown body key."""
    client = app.test_client()
    world = client.get("/_sandbox/world").get_json()
    auth = {"Authorization": world["api_token"]}
    network = world["network_id"]
    return {
        "unpublished date": client.get(f"/api/2017-01-15/{network}/advertisers.json",
                                       headers=auth).status_code,
        "limit": client.get(f"/api/2021-08-09/networks/transactions/{network}.json"
                            "?limit=10000", headers=auth).status_code,
        "unknown key": client.post(f"/api/2016-10-01/{network}/advertisers.json", headers=auth,
                                   json={"id_from_network": "z9", "name": "Z",
                                         "colour": "blue"}).status_code,
    }


def health(app: Flask) -> dict[str, Any]:
    body: dict[str, Any] = app.test_client().get("/_sandbox/health").get_json()
    return {key: body[key] for key in ("strict", "strict_versions")}


def test_everything_is_lenient_when_nothing_is_switched_on() -> None:
    app = app_with()
    assert answers(app) == {"unpublished date": 200, "limit": 200, "unknown key": 201}
    assert health(app) == {"strict": False, "strict_versions": False}


def test_everything_is_docs_literal_when_strict_is_configured() -> None:
    app = app_with(STRICT=True)
    assert answers(app) == {"unpublished date": 404, "limit": 403, "unknown key": 403}
    assert health(app) == {"strict": True, "strict_versions": True}


def test_only_versions_are_strict_when_strict_versions_is_configured() -> None:
    app = app_with(STRICT_VERSIONS=True)
    assert answers(app) == {"unpublished date": 404, "limit": 200, "unknown key": 201}
    assert health(app) == {"strict": False, "strict_versions": True}


def test_published_dates_carry_the_header_when_versions_are_strict() -> None:
    client = app_with(STRICT=True).test_client()
    world = client.get("/_sandbox/world").get_json()
    response = client.get(f"/api/2016-12-01/{world['network_id']}/advertisers.json",
                          headers={"Authorization": world["api_token"]})
    assert response.status_code == 200
    assert response.headers[VERSION_HEADER] == "2016-12-01"


@pytest.mark.parametrize(("settings", "expected"), [
    ({"strict": True}, {"strict": True, "strict_versions": True}),
    ({"strict_versions": True}, {"strict": False, "strict_versions": True}),
    ({"strict": False}, {"strict": False, "strict_versions": False}),
])
def test_world_settings_switch_strictness_when_the_world_file_has_them(
    settings: dict[str, Any], expected: dict[str, bool]
) -> None:
    app = app_with(WORLD={**WORLD, "settings": settings})
    assert health(app) == expected
    client = app.test_client()
    response = client.get("/api/2017-01-15/7/advertisers/a1.json",
                          headers={"Authorization": TOKEN})
    assert response.status_code == (404 if expected["strict_versions"] else 200)


@pytest.mark.parametrize("settings", [{"strict": "yes"}, {"strict_version": True}, ["strict"]])
def test_world_settings_are_refused_when_malformed(settings: Any) -> None:
    with pytest.raises(RecordInvalid, match="settings"):
        app_with(WORLD={**WORLD, "settings": settings})


@pytest.mark.parametrize(("flags", "expected"), [
    ([], {}),
    (["--strict"], {"STRICT": True}),
    (["--strict-versions"], {"STRICT_VERSIONS": True}),
    (["--strict", "--strict-versions"], {"STRICT": True, "STRICT_VERSIONS": True}),
])
def test_serve_flags_set_the_config_when_given(flags: list[str],
                                               expected: dict[str, bool]) -> None:
    config = config_from(parser().parse_args(flags))
    assert {key: config[key] for key in ("STRICT", "STRICT_VERSIONS") if key in config} == expected


def test_serve_reads_strictness_from_the_world_file_when_it_has_settings(tmp_path: Path) -> None:
    world_file = tmp_path / "world.toml"
    world_file.write_text(WORLD_TOML, encoding="utf-8")
    config = config_from(parser().parse_args(["--world", str(world_file), "--clock", "manual"]))
    assert health(create_app(config)) == {"strict": True, "strict_versions": True}


@pytest.mark.parametrize(("config", "mode"), [
    ({}, "Mode: lenient"), ({"STRICT": True}, "Mode: strict (docs-literal)"),
    ({"STRICT_VERSIONS": True}, "Mode: strict versions"),
])
def test_banner_names_the_mode_when_printed(config: dict[str, Any], mode: str) -> None:
    printed = banner(app_with(**config), "127.0.0.1", 8080)
    assert any(line.startswith(mode) for line in printed.splitlines())
