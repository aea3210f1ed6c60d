"""The control API's admin token, the loopback rule of ``serve``, reset to the start world,
redacted request journal and credentials compared in constant time."""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from mock_server import serve
from mock_server.admin import ADMIN_ENV, ADMIN_HEADER
from mock_server.app import create_app
from mock_server.redaction import REDACTED, redact_query

ADMIN = "admin-token-0123456789abcdef0123"
#: the same length as ADMIN, one character off at the end
NEAR_ADMIN = ADMIN[:-1] + "4"
ADVERTISERS = "/api/2016-10-01/{network_id}/advertisers.json"
ALLOCATE = "/api/2015-12-09/ring_pools/{id}/allocate_number.json?ring_pool_key={key}"

CONTROL_REQUESTS = [
    ("GET", "/_sandbox/health", None),
    ("GET", "/_sandbox/world", None),
    ("GET", "/_sandbox/clock", None),
    ("POST", "/_sandbox/clock", {"advance_seconds": 60}),
    ("POST", "/_sandbox/reset", None),
    ("GET", "/_sandbox/requests", None),
    ("GET", "/_sandbox/state", None),
    ("PUT", "/_sandbox/state", {}),
    ("GET", "/_sandbox/faults", None),
    ("POST", "/_sandbox/faults", {"switch": "ignore_auth"}),
    ("DELETE", "/_sandbox/faults", None),
    ("GET", "/_sandbox/allocations?ring_pool_id=1", None),
    ("GET", "/_sandbox/pools", None),
    ("GET", "/_sandbox/transactions", None),
    ("POST", "/_sandbox/calls", {"promo_number": "8005550100"}),
    ("OPTIONS", "/_sandbox/reset", None),
]


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def sandbox_app(**config: Any) -> Flask:
    return create_app({"SEED": 0, "CLOCK": "manual", **config})


@pytest.fixture
def guarded() -> FlaskClient:
    return sandbox_app(ADMIN_TOKEN=ADMIN).test_client()


def admin(token: str = ADMIN) -> dict[str, str]:
    return {ADMIN_HEADER: token}


def world_of(client: FlaskClient) -> dict[str, Any]:
    summary: dict[str, Any] = client.get("/_sandbox/world", headers=admin()).get_json()
    return summary


# ---------------------------------------------------------------------------- admin token


@pytest.mark.parametrize(("method", "path", "body"), CONTROL_REQUESTS)
@pytest.mark.parametrize("sent", [None, "wrong", NEAR_ADMIN, ""])
def test_control_api_answers_401_when_the_admin_token_is_missing_or_wrong(
    guarded: FlaskClient, method: str, path: str, body: Any, sent: str | None
) -> None:
    before = guarded.get("/_sandbox/state", headers=admin()).get_data()
    response = guarded.open(path, method=method, json=body,
                            headers={} if sent is None else admin(sent))
    assert response.status_code == 401
    errors = response.get_json()["errors"]
    assert errors["class"] == "Unauthorized"
    assert ADMIN_HEADER in errors["invalid_data"]
    assert ADMIN not in response.get_data(as_text=True)
    # refused: nothing changed (no fault switched on, no reset, no clock move)
    assert guarded.get("/_sandbox/faults", headers=admin()).get_json() == []
    assert guarded.get("/_sandbox/state", headers=admin()).get_data() == before


@pytest.mark.parametrize(("method", "path", "body"), CONTROL_REQUESTS)
def test_control_api_answers_when_the_admin_token_is_sent(
    guarded: FlaskClient, method: str, path: str, body: Any
) -> None:
    response = guarded.open(path, method=method, json=body, headers=admin())
    assert response.status_code != 401, response.get_data(as_text=True)
    assert response.status_code < 500


def test_control_api_is_open_when_no_admin_token_is_set() -> None:
    client = sandbox_app().test_client()
    assert client.get("/_sandbox/world").status_code == 200
    assert client.post("/_sandbox/reset").status_code == 200


@pytest.mark.parametrize("path", ["/openapi.yaml", "/openapi.json", "/_sandbox/docs",
                                  "/_sandbox/docs/", "/_sandbox/docs/docs.js",
                                  "/_sandbox/docs/swagger-ui.css", "/_sandbox/",
                                  "/_sandbox/dashboard/dashboard.js"])
def test_contract_and_pages_are_served_without_the_admin_token_when_one_is_set(
    guarded: FlaskClient, path: str
) -> None:
    assert guarded.get(path).status_code == 200


def test_contract_api_needs_no_admin_token_when_one_is_set(guarded: FlaskClient) -> None:
    world = world_of(guarded)
    response = guarded.get(ADVERTISERS.format(network_id=world["network_id"]),
                           headers={"Authorization": world["api_token"]})
    assert response.status_code == 200


# ---------------------------------------------------------------------------- serve


class Served:
    """Stands in for the server: records that ``serve`` was reached (nothing is bound)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, app: Flask, config: Any, **kwargs: Any) -> int:
        self.calls.append({"config": dict(config), **kwargs})
        return 0


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Served:
    stand_in = Served()
    monkeypatch.setattr(serve, "serve", stand_in)
    monkeypatch.delenv(ADMIN_ENV, raising=False)
    return stand_in


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "sandbox.example.com"])
def test_serve_refuses_with_status_2_when_off_loopback_without_an_admin_token(
    served: Served, host: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert serve.main(["--host", host, "--port", "8080"]) == 2
    assert served.calls == []
    error = capsys.readouterr().err
    assert f"--host {host} is not a loopback address" in error
    assert "--admin-token" in error


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_serve_starts_without_an_admin_token_when_on_loopback(served: Served, host: str) -> None:
    assert serve.main(["--host", host]) == 0
    assert len(served.calls) == 1
    assert "ADMIN_TOKEN" not in served.calls[0]["config"]


def test_serve_starts_off_loopback_when_an_admin_token_is_given(
    served: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    assert serve.main(["--host", "0.0.0.0", "--admin-token", ADMIN]) == 0
    assert served.calls[0]["config"]["ADMIN_TOKEN"] == ADMIN
    banner = capsys.readouterr().out
    assert ADMIN not in banner
    assert f'-H "{ADMIN_HEADER}: ${ADMIN_ENV}"' in banner


def test_serve_reads_the_admin_token_from_the_environment_when_no_flag_is_given(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ADMIN_ENV, ADMIN)
    assert serve.main(["--host", "0.0.0.0"]) == 0
    assert served.calls[0]["config"]["ADMIN_TOKEN"] == ADMIN


def test_serve_refuses_with_status_2_when_the_admin_token_is_empty(served: Served) -> None:
    assert serve.main(["--admin-token", " "]) == 2
    assert served.calls == []


# ---------------------------------------------------------------------------- reset


def test_reset_restores_the_start_world_when_a_world_with_another_token_was_imported(
    guarded: FlaskClient,
) -> None:
    start = world_of(guarded)
    other = sandbox_app(SEED=5).test_client()
    foreign = world_of(other)
    assert foreign["api_token"] != start["api_token"]
    exported = other.get("/_sandbox/state").get_json()
    assert guarded.put("/_sandbox/state", json=exported, headers=admin()).status_code == 200
    assert world_of(guarded)["api_token"] == foreign["api_token"]

    assert guarded.post("/_sandbox/reset", headers=admin()).status_code == 200
    assert world_of(guarded) == start
    advertisers = ADVERTISERS.format(network_id=start["network_id"])
    assert guarded.get(advertisers,
                       headers={"Authorization": foreign["api_token"]}).status_code == 401
    assert guarded.get(advertisers,
                       headers={"Authorization": start["api_token"]}).status_code == 200


def test_reset_restores_the_world_file_when_the_server_started_with_one() -> None:
    world_file = {"networks": [{"id": 7, "name": "Seven"}],
                  "tokens": [{"token": "S" * 32, "role": "network", "network_id": 7}]}
    client = sandbox_app(WORLD=world_file).test_client()
    client.put("/_sandbox/state", json=sandbox_app(SEED=9).test_client()
               .get("/_sandbox/state").get_json())
    client.post("/_sandbox/reset")
    assert client.get("/_sandbox/world").get_json()["api_token"] == "S" * 32
    assert client.get(ADVERTISERS.format(network_id=7),
                      headers={"Authorization": "S" * 32}).status_code == 200


# ---------------------------------------------------------------------------- redaction


def test_journal_shows_the_oauth_token_redacted_when_sent_in_the_query() -> None:
    client = sandbox_app().test_client()
    world = world_of(client)
    token = world["api_token"]
    client.get(ADVERTISERS.format(network_id=world["network_id"]) + f"?oauth_token={token}")
    pool = world["ring_pool"]
    client.get(ALLOCATE.format(id=pool["id"], key=pool["api_key"])
               + "&search_keywords=blue+shoes&search_engine=google")
    journal = client.get("/_sandbox/requests").get_json()
    assert [entry["status"] for entry in journal] == [200, 200]
    assert journal[0]["query"] == f"oauth_token={REDACTED}"
    assert journal[1]["query"] == (f"ring_pool_key={REDACTED}&search_keywords=blue+shoes"
                                   "&search_engine=google")
    text = client.get("/_sandbox/requests").get_data(as_text=True)
    assert token not in text and pool["api_key"] not in text


@pytest.mark.parametrize(("query", "redacted"), [
    ("oauth_token=abc&limit=5", f"oauth_token={REDACTED}&limit=5"),
    ("api_key=k1&apiKey=k2&APIKey=k3", f"api_key={REDACTED}&apiKey={REDACTED}&APIKey={REDACTED}"),
    ("client_secret=s&password=p&access_token=t",
     f"client_secret={REDACTED}&password={REDACTED}&access_token={REDACTED}"),
    ("Authorization=abc&auth=Bearer+xyz", f"Authorization={REDACTED}&auth={REDACTED}"),
    ("note=Bearer%20xyz&x=Basic+dXNlcjpwYXNz", f"note={REDACTED}&x={REDACTED}"),
    ("search_keyword_id=7&search_keywords=key&keyword=x",
     "search_keyword_id=7&search_keywords=key&keyword=x"),
    ("flag&oauth_token", "flag&oauth_token"),
    ("", ""),
])
def test_secret_parameters_are_redacted_when_a_query_is_journaled(
    query: str, redacted: str
) -> None:
    assert redact_query(query) == redacted


# ---------------------------------------------------------------------------- constant time


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Every pair ``hmac.compare_digest`` is asked about."""
    seen: list[tuple[bytes, bytes]] = []
    original: Callable[[Any, Any], bool] = hmac.compare_digest

    def spy(a: Any, b: Any) -> bool:
        seen.append((a, b))
        return original(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return seen


def test_wrong_credentials_of_the_same_length_are_refused_when_compared(
    compared: list[tuple[bytes, bytes]],
) -> None:
    client = sandbox_app(ADMIN_TOKEN=ADMIN).test_client()
    world = world_of(client)
    token, pool = world["api_token"], world["ring_pool"]
    near_token = token[:-1] + ("A" if token[-1] != "A" else "B")
    near_key = pool["api_key"][:-1] + ("A" if pool["api_key"][-1] != "A" else "B")
    compared.clear()

    advertisers = ADVERTISERS.format(network_id=world["network_id"])
    assert client.get(advertisers, headers={"Authorization": near_token}).status_code == 401
    assert client.get(advertisers, headers={"Authorization": token}).status_code == 200
    assert client.get(ALLOCATE.format(id=pool["id"], key=near_key)).status_code == 403
    assert client.get(ALLOCATE.format(id=pool["id"], key=pool["api_key"])).status_code == 200
    assert client.get("/_sandbox/clock", headers=admin(NEAR_ADMIN)).status_code == 401
    assert client.get("/_sandbox/clock", headers=admin()).status_code == 200
    # each right credential was confirmed by the constant-time comparison
    assert (token.encode(), token.encode()) in compared
    assert (pool["api_key"].encode(), pool["api_key"].encode()) in compared
    assert (NEAR_ADMIN.encode(), ADMIN.encode()) in compared
    assert (near_key.encode(), pool["api_key"].encode()) in compared


def test_basic_credentials_are_refused_when_the_password_differs_in_its_last_character() -> None:
    client = sandbox_app().test_client()
    world = world_of(client)
    username, password = world["basic_auth"]["username"], world["basic_auth"]["password"]
    near = password[:-1] + ("x" if password[-1] != "x" else "y")
    path = ADVERTISERS.format(network_id=world["network_id"])
    assert client.get(path, headers={"Authorization": basic_header(username, near)}
                      ).status_code == 401
    assert client.get(path, headers={"Authorization": basic_header(username, password)}
                      ).status_code == 200
