"""The request journal (``/_sandbox/requests``): entries, redaction, filters, count, clear."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from mock_server.app import create_app
from mock_server.redaction import REDACTED

ALLOCATE = "/api/2015-12-09/ring_pools/{id}/allocate_number.json"
ADVERTISERS = "/api/2016-10-01/{network_id}/advertisers.json"


def sandbox(fast: bool = True, **config: Any) -> FlaskClient:
    return create_app({"SEED": 0, "CLOCK": "manual", "FAST_DISPATCH": fast,
                       **config}).test_client()


def allocate(client: FlaskClient, pool: dict[str, Any], times: int = 1, **params: str) -> None:
    for _ in range(times):
        response = client.get(ALLOCATE.format(id=pool["id"]),
                              query_string={"ring_pool_key": pool["api_key"], **params})
        assert response.status_code == 200


@pytest.fixture(params=[True, False], ids=["fast", "flask"])
def client(request: pytest.FixtureRequest) -> FlaskClient:
    return sandbox(fast=request.param)


@pytest.fixture
def world(client: FlaskClient) -> dict[str, Any]:
    data: dict[str, Any] = client.get("/_sandbox/world").get_json()
    return data


def test_entry_has_every_part_when_a_json_body_is_posted(
        client: FlaskClient, world: dict[str, Any]) -> None:
    client.post(ADVERTISERS.format(network_id=world["network_id"]) + "?trace=1",
                json={"id_from_network": "adv9", "name": "Nine", "password": "hunter2"},
                headers={"Authorization": world["api_token"], "X-Request-Id": "r-1"})
    [entry] = client.get("/_sandbox/requests").get_json()
    assert entry["method"] == "POST"
    assert entry["path"] == ADVERTISERS.format(network_id=world["network_id"])
    assert entry["query"] == "trace=1" and entry["query_params"] == {"trace": "1"}
    assert entry["path_params"] == {"version": "2016-10-01",
                                    "network_id": str(world["network_id"])}
    assert entry["headers"]["Authorization"] == REDACTED
    assert entry["headers"]["X-Request-Id"] == "r-1"
    assert entry["body"] == {"id_from_network": "adv9", "name": "Nine", "password": REDACTED}
    assert entry["body_truncated"] is False
    assert (entry["status"], entry["operation_id"]) == (201, "createAdvertiser")
    assert entry["at"] == "2016-10-01T00:00:00Z"


def test_journal_carries_no_credential_when_sent_every_way(
        client: FlaskClient, world: dict[str, Any]) -> None:
    token, pool = world["api_token"], world["ring_pool"]
    client.get(ADVERTISERS.format(network_id=world["network_id"]),
               headers={"Authorization": f"Bearer {token}"})
    client.get(ADVERTISERS.format(network_id=world["network_id"]) + f"?oauth_token={token}")
    client.post(ADVERTISERS.format(network_id=world["network_id"]),
                data={"oauth_token": token, "name": "x"})
    client.post(ADVERTISERS.format(network_id=world["network_id"]),
                json={"nested": {"api_key": token}, "note": f"Token {token}"})
    allocate(client, pool)
    text = client.get("/_sandbox/requests").get_data(as_text=True)
    assert token not in text and pool["api_key"] not in text
    assert text.count(REDACTED) >= 6


def test_filters_select_entries_when_given_as_query_parameters(
        client: FlaskClient, world: dict[str, Any]) -> None:
    pool = world["ring_pool"]
    allocate(client, pool, 2, param1="blue")
    allocate(client, pool, 1, param1="red")
    client.get(ADVERTISERS.format(network_id=world["network_id"]))  # 401

    def ops(query: str) -> list[tuple[str, int]]:
        return [(entry["operation_id"], entry["status"])
                for entry in client.get(f"/_sandbox/requests?{query}").get_json()]

    assert ops("operationId=allocateNumber") == [("allocateNumber", 200)] * 3
    assert ops("query.param1=blue") == [("allocateNumber", 200)] * 2
    assert ops(f"path_params.ring_pool_id={pool['id']}&query.param1=red") == [
        ("allocateNumber", 200)]
    assert ops("status=401") == [("listAdvertiser", 401)]
    assert ops("status=401&status=200") == [("allocateNumber", 200)] * 3 + [
        ("listAdvertiser", 401)]
    assert ops("method=get&path=/api/2016-10-01/*") == [("listAdvertiser", 401)]
    assert ops("since=2016-10-01T00:00:00Z") == ops("")
    assert ops("until=2016-10-01T00:00:00Z") == []
    assert ops("headers.host=localhost") == ops("")
    assert ops("limit=1") == [("listAdvertiser", 401)]
    assert ops("operationId=allocateNumber&limit=2") == [("allocateNumber", 200)] * 2
    assert client.get("/_sandbox/requests?limit=0").status_code == 403


def test_count_answers_exact_number_when_matched_by_operation_and_pool(
        client: FlaskClient, world: dict[str, Any]) -> None:
    pool = world["ring_pool"]
    allocate(client, pool, 3)
    client.get(ALLOCATE.format(id=pool["id"]), query_string={"ring_pool_key": "wrong"})
    matcher = {"operationId": "allocateNumber", "path_params": {"ring_pool_id": pool["id"]},
               "status": 200}
    assert client.post("/_sandbox/requests/count", json=matcher).get_json() == {
        "count": 3, "retained": 4, "dropped": 0}
    assert client.post("/_sandbox/requests/count").get_json()["count"] == 4
    assert client.get("/_sandbox/requests/count?operationId=allocateNumber&status=403"
                      ).get_json()["count"] == 1
    assert client.post("/_sandbox/requests/count",
                       json={"query": {"ring_pool_key": REDACTED}}).get_json()["count"] == 4


def test_count_matches_body_fields_when_a_body_matcher_is_given(
        client: FlaskClient, world: dict[str, Any]) -> None:
    url = ADVERTISERS.format(network_id=world["network_id"])
    headers = {"Authorization": world["api_token"]}
    client.post(url, json={"id_from_network": "a1", "name": "One"}, headers=headers)
    client.post(url, json={"id_from_network": "a2", "name": "Two"}, headers=headers)
    count = client.post("/_sandbox/requests/count",
                        json={"body": {"id_from_network": "a2"}}).get_json()["count"]
    assert count == 1
    assert client.post("/_sandbox/requests/count",
                       json={"body_contains": "One"}).get_json()["count"] == 1


@pytest.mark.parametrize("matcher", [
    {"operationid": "allocateNumber"}, {"status": "ok"}, {"status": True},
    {"path_params": [1]}, {"since": "yesterday"}, ["allocateNumber"],
])
def test_count_is_refused_when_the_matcher_is_malformed(client: FlaskClient,
                                                        matcher: Any) -> None:
    response = client.post("/_sandbox/requests/count", json=matcher)
    assert response.status_code == 403
    assert response.get_json()["errors"]["class"] == "RecordInvalid"


def test_unknown_filter_is_refused_when_listing(client: FlaskClient) -> None:
    response = client.get("/_sandbox/requests?operation=allocateNumber")
    assert response.status_code == 403
    assert "operation is not a matcher key" in response.get_json()["errors"]["invalid_data"]


def test_delete_empties_the_journal_when_entries_exist(
        client: FlaskClient, world: dict[str, Any]) -> None:
    allocate(client, world["ring_pool"], 2)
    assert client.delete("/_sandbox/requests").get_json() == {"cleared": 2}
    assert client.get("/_sandbox/requests").get_json() == []
    allocate(client, world["ring_pool"], 1)
    client.post("/_sandbox/reset")
    assert client.get("/_sandbox/requests").get_json() == []


def test_journal_reports_what_the_bound_dropped_when_full(world: dict[str, Any]) -> None:
    small = sandbox(REQUEST_JOURNAL=2)
    pool = small.get("/_sandbox/world").get_json()["ring_pool"]
    allocate(small, pool, 5)
    response = small.get("/_sandbox/requests")
    assert len(response.get_json()) == 2
    assert response.headers["X-Sandbox-Journal-Dropped"] == "3"
    assert small.post("/_sandbox/requests/count", json={}).get_json() == {
        "count": 2, "retained": 2, "dropped": 3}


def test_body_is_capped_when_longer_than_the_journal_keeps() -> None:
    small = sandbox(REQUEST_JOURNAL_BODY_BYTES=16)
    world = small.get("/_sandbox/world").get_json()
    small.post(ADVERTISERS.format(network_id=world["network_id"]),
               json={"name": "x" * 100}, headers={"Authorization": world["api_token"]})
    [entry] = small.get("/_sandbox/requests").get_json()
    assert entry["body_truncated"] is True
    assert entry["body"] == '{"name": "xxxxxx'


def test_capped_body_carries_no_secret_when_cut_inside_one() -> None:
    small = sandbox(REQUEST_JOURNAL_BODY_BYTES=40)
    world = small.get("/_sandbox/world").get_json()
    small.post(ADVERTISERS.format(network_id=world["network_id"]),
               json={"name": "n", "password": "p" * 100},
               headers={"Authorization": world["api_token"]})
    [entry] = small.get("/_sandbox/requests").get_json()
    assert entry["body_truncated"] is True
    assert entry["body"] == f'{{"name": "n", "password": "{REDACTED}"'


def test_journal_is_empty_when_turned_off() -> None:
    off = sandbox(REQUEST_JOURNAL=0)
    allocate(off, off.get("/_sandbox/world").get_json()["ring_pool"], 2)
    assert off.get("/_sandbox/requests").get_json() == []
