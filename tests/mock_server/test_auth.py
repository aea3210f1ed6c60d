"""Credentials: each documented way in reaches platform.authenticate; the rest is 401."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.auth import Credentials, extract_credentials, parse_basic
from mock_server.binding import bind_operations
from simulator.errors import Unauthorized
from tests.mock_server.conftest import BASIC, HANDLERS, RING_POOL_KEY, TOKEN

POOLS = "/api/2016-10-01/1/advertisers/a1/advertiser_campaigns/c1/ring_pools.json"
BODY = {"id_from_network": "12", "pool_type": "Custom", "destination_type": "API"}


def test_raw_token_header_is_accepted_when_posting(client: FlaskClient) -> None:
    assert client.post(POOLS, json=BODY, headers={"Authorization": TOKEN}).status_code == 201


def test_query_token_is_accepted_when_posting(client: FlaskClient) -> None:
    assert client.post(f"{POOLS}?oauth_token={TOKEN}", json=BODY).status_code == 201


def test_json_body_token_is_accepted_and_removed_when_posting(client: FlaskClient) -> None:
    response = client.post(POOLS, json={**BODY, "oauth_token": TOKEN})
    assert response.status_code == 201
    assert "oauth_token" not in response.get_json()


def test_basic_credentials_are_accepted_when_posting(client: FlaskClient) -> None:
    assert client.post(POOLS, json=BODY, auth=BASIC).status_code == 201


def test_missing_credentials_are_401_with_json_body_when_posting(client: FlaskClient) -> None:
    response = client.post(POOLS, json=BODY)
    assert response.status_code == 401
    errors = response.get_json()["errors"]
    assert errors["class"] == "Unauthorized"
    assert "oauth_token" in errors["invalid_data"]


@pytest.mark.parametrize(
    "headers",
    [{"Authorization": "wrong"}, {"Authorization": "Basic " + base64.b64encode(b"a:b").decode()},
     {"Authorization": "Basic !!!"}],
)
def test_wrong_credentials_are_401_when_posting(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    response = client.post(POOLS, json=BODY, headers=headers)
    assert response.status_code == 401
    assert response.get_json()["errors"]["class"] == "Unauthorized"


def test_auth_comes_before_body_validation_when_both_fail(client: FlaskClient) -> None:
    assert client.post(POOLS, json={"pool_type": 5}).status_code == 401


def test_ring_pool_key_operation_skips_token_auth_when_allocating(client: FlaskClient) -> None:
    response = client.get(
        f"/api/2015-12-09/ring_pools/16/allocate_number.json?ring_pool_key={RING_POOL_KEY}"
    )
    assert response.status_code == 200


def test_header_wins_over_query_when_both_carry_a_token() -> None:
    found = extract_credentials("header-token", {"oauth_token": "query-token"}, None)
    assert found == Credentials(token="header-token")


def test_bearer_prefix_is_stripped_when_tolerated() -> None:
    assert extract_credentials("Bearer abc", {}, None) == Credentials(token="abc")


def test_nothing_is_found_when_the_request_has_no_credentials() -> None:
    assert not extract_credentials(None, {}, {"name": "x"}).present


def test_basic_pair_is_decoded_when_well_formed() -> None:
    assert parse_basic(base64.b64encode(b"user:pa:ss").decode()) == ("user", "pa:ss")
    assert parse_basic(base64.b64encode(b"nocolon").decode()) is None


def test_malformed_basic_raises_unauthorized_when_extracted() -> None:
    with pytest.raises(Unauthorized):
        extract_credentials("Basic %%%", {}, None)


def test_ways_follow_the_contract_when_an_operation_lists_its_schemes(
    fixture_spec: dict[str, Any],
) -> None:
    operations = {op.operation_id: op for op in bind_operations(fixture_spec, HANDLERS)}
    assert operations["createRingPool"].ways == frozenset({"header", "query", "body", "basic"})
    assert operations["reportConversion"].ways == frozenset({"basic"})


def test_token_is_ignored_when_the_operation_takes_basic_only(client: FlaskClient) -> None:
    response = client.post("/api/2014-04-15/calls/55.xml", data={"start_time_t": "1"},
                           headers={"Authorization": TOKEN})
    assert response.status_code == 401


def test_basic_is_refused_with_a_reason_when_the_operation_takes_tokens_only() -> None:
    with pytest.raises(Unauthorized, match="does not accept HTTP Basic"):
        extract_credentials("Basic " + base64.b64encode(b"a:b").decode(), {}, None,
                            frozenset({"header", "query"}))


def test_body_token_is_ignored_when_the_operation_does_not_take_it() -> None:
    found = extract_credentials(None, {}, {"oauth_token": TOKEN}, frozenset({"header"}))
    assert not found.present
