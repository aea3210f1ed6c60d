"""PPC Platform access tokens (2014-01-01): created for network, advertiser and affiliate users
(the three documented paths), spent once by the login flow, refused the second time."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


USER = {"id_from_network": "u-1", "first_name": "Sy", "last_name": "Young",
        "email_address": "sy@young.com", "role": "Manager"}


def v(world: dict[str, Any], version: str = "2022-08-01") -> str:
    return f"/api/{version}/{world['network_id']}"


def token_path(world: dict[str, Any], organization: str, version: str = "2014-01-01") -> str:
    return f"{v(world, version)}/{organization}/sy%40young.com/create_access_token.json"


@pytest.fixture
def users(sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    base = v(world)
    assert sandbox.post(f"{base}/network.json", json={"users": [USER]},
                        headers=auth).status_code < 300
    for item in (f"{base}/advertisers/{world['advertiser_id_from_network']}.json",
                 f"{base}/affiliates/{world['affiliate_id_from_network']}.json"):
        current = sandbox.get(item, headers=auth).get_json()
        assert sandbox.put(item, json={**current, "users": [USER]},
                           headers=auth).status_code < 300


def organizations(world: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [("network", "Network", None),
            (f"advertisers/{world['advertiser_id_from_network']}", "Advertiser",
             world["advertiser_id_from_network"]),
            (f"affiliates/{world['affiliate_id_from_network']}", "Affiliate",
             world["affiliate_id_from_network"])]


@pytest.mark.usefixtures("users")
def test_token_logs_the_user_in_once_when_created_on_each_documented_path(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    ids = []
    for organization, kind, ident in organizations(world):
        created = sandbox.post(token_path(world, organization), headers=auth)
        assert created.status_code == 201, created.get_json()
        body = created.get_json()
        assert set(body) == {"token", "id"} and len(body["token"]) == 26
        ids.append(body["id"])
        login = sandbox.get(f"/home?access_token={body['token']}")
        assert login.status_code == 200
        assert login.get_json() == {
            "authenticated": True, "organization_type": kind, "network_id": world["network_id"],
            "organization_id_from_network": ident, "email": "sy@young.com",
            "destination": "/home"}
    assert ids == [1, 2, 3]


@pytest.mark.usefixtures("users")
def test_second_use_is_refused_when_the_token_was_spent(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    token = sandbox.post(token_path(world, "network"), headers=auth).get_json()["token"]
    first = sandbox.get(f"/affiliates/1?access_token={token}")
    assert first.status_code == 200 and first.get_json()["destination"] == "/affiliates/1"
    before = sandbox.get("/_sandbox/state").get_json()
    again = sandbox.get(f"/home?access_token={token}")
    assert again.status_code == 401
    assert again.get_json()["errors"]["class"] == "Unauthorized"
    assert "already been used" in again.get_json()["errors"]["invalid_data"]
    assert sandbox.get("/_sandbox/state").get_json()["replay"] == before["replay"]


@pytest.mark.parametrize("query", ["", "?access_token=", "?access_token=notissued"])
def test_login_is_refused_when_the_token_is_missing_or_unknown(
    sandbox: FlaskClient, query: str
) -> None:
    answer = sandbox.get(f"/home{query}")
    assert answer.status_code == 401
    assert answer.get_json()["errors"]["class"] == "Unauthorized"


def test_token_is_refused_when_no_user_has_the_email(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    answer = sandbox.post(token_path(world, "network"), headers=auth)
    assert answer.status_code == 404
    assert answer.get_json() == {"errors": {
        "class": "RecordNotFound",
        "invalid_data": f"Could not find user sy@young.com for network {world['network_id']}"}}


def test_token_is_refused_when_the_advertiser_is_unknown(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    answer = sandbox.post(token_path(world, "advertisers/nope"), headers=auth)
    assert answer.status_code == 404
    assert answer.get_json()["errors"]["class"] == "RecordNotFound"


@pytest.mark.usefixtures("users")
def test_token_route_is_404_when_the_version_is_not_2014_01_01(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    assert sandbox.post(token_path(world, "network", "2022-08-01"),
                        headers=auth).status_code == 404


def test_token_is_refused_when_no_credentials_are_sent(
    sandbox: FlaskClient, world: dict[str, Any]
) -> None:
    assert sandbox.post(token_path(world, "network")).status_code == 401
