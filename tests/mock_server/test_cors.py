"""CORS: on by default for every route, preflights answered, configurable."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server import serve
from mock_server.app import create_app

ALLOCATE = "/api/2015-12-09/ring_pools/{id}/allocate_number.json?ring_pool_key={key}"
PREFLIGHT = {"Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
             "Access-Control-Request-Headers": "authorization, content-type"}


def sandbox(**config: Any) -> FlaskClient:
    return create_app({"SEED": 0, "CLOCK": "manual", **config}).test_client()


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "flask"])
def test_every_answer_allows_any_origin_when_cors_is_default(fast: bool) -> None:
    client = sandbox(FAST_DISPATCH=fast)
    pool = client.get("/_sandbox/world").get_json()["ring_pool"]
    answers = [
        client.get(ALLOCATE.format(id=pool["id"], key=pool["api_key"])),
        client.get(ALLOCATE.format(id=pool["id"], key="wrong")),
        client.get("/api/2016-10-01/1/advertisers.json"),
        client.get("/_sandbox/health"),
        client.get("/no/such/route"),
        client.get("/openapi.json"),
    ]
    assert [answer.headers.get("Access-Control-Allow-Origin") for answer in answers] == [
        "*"] * len(answers)
    assert "X-Sandbox-Api-Version" in answers[0].headers["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("path", [
    "/api/2016-10-01/1/advertisers.json",
    "/api/2015-12-09/ring_pools/16/allocate_number.json",
    "/api/2013-07-01/bulk.json",
    "/_sandbox/clock",
    "/_sandbox/requests/count",
])
@pytest.mark.parametrize("fast", [True, False], ids=["fast", "flask"])
def test_preflight_is_answered_when_a_browser_asks_for_any_route(path: str, fast: bool) -> None:
    client = sandbox(FAST_DISPATCH=fast)
    response = client.options(path, headers=PREFLIGHT)
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "authorization, content-type"


def test_preflight_needs_no_admin_token_when_the_control_api_is_guarded() -> None:
    client = sandbox(ADMIN_TOKEN="s3cret")
    assert client.options("/_sandbox/world", headers=PREFLIGHT).status_code == 204
    assert client.get("/_sandbox/world").status_code == 401


def test_no_cors_headers_are_sent_when_cors_is_off() -> None:
    client = sandbox(CORS=False)
    assert "Access-Control-Allow-Origin" not in client.get("/_sandbox/health").headers
    assert client.options("/_sandbox/health", headers=PREFLIGHT).status_code != 204


def test_only_listed_origins_are_allowed_when_origins_are_configured() -> None:
    client = sandbox(CORS_ORIGIN="http://localhost:3000, https://app.example")
    allowed = client.get("/_sandbox/health", headers={"Origin": "https://app.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert allowed.headers["Vary"] == "Origin"
    other = client.get("/_sandbox/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert client.options("/_sandbox/health", headers=PREFLIGHT).status_code == 204


@pytest.mark.parametrize(("flags", "expected"), [
    ([], {"CORS": True}),
    (["--no-cors"], {"CORS": False}),
    (["--cors-origin", "http://localhost:3000"],
     {"CORS": True, "CORS_ORIGIN": "http://localhost:3000"}),
])
def test_serve_flags_set_the_cors_config_when_given(flags: list[str],
                                                    expected: dict[str, Any]) -> None:
    config = serve.config_from(serve.parser().parse_args(flags))
    assert {key: config.get(key) for key in expected} == expected
    assert "CORS_ORIGIN" in config or "CORS_ORIGIN" not in expected
