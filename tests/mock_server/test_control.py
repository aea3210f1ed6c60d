"""The /_sandbox/ control API, the served contract and the API docs."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import yaml
from flask.testing import FlaskClient

from tests.mock_server.conftest import TOKEN, FakePlatform

POOLS = "/api/2016-10-01/1/advertisers/a1/advertiser_campaigns/c1/ring_pools.json"


def test_health_reports_ok_version_and_now_when_asked(client: FlaskClient) -> None:
    response = client.get("/_sandbox/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": "0.1.0",
                                   "now": "2016-10-01T00:00:00Z"}


def test_clock_reports_now_when_asked(client: FlaskClient) -> None:
    assert client.get("/_sandbox/clock").get_json() == {"now": "2016-10-01T00:00:00Z"}


def test_clock_advances_and_returns_events_when_told_seconds(client: FlaskClient) -> None:
    response = client.post("/_sandbox/clock", json={"advance_seconds": 1800})
    assert response.status_code == 200
    assert response.get_json() == {
        "now": "2016-10-01T00:30:00Z",
        "events": [{"type": "clock_advanced", "at": "2016-10-01T00:30:00+00:00"}],
    }
    assert client.get("/_sandbox/clock").get_json() == {"now": "2016-10-01T00:30:00Z"}


def test_clock_moves_to_an_instant_when_told_now(client: FlaskClient) -> None:
    response = client.post("/_sandbox/clock", json={"now": "2016-10-02T12:00:00Z"})
    assert response.status_code == 200
    assert response.get_json() == {"now": "2016-10-02T12:00:00Z", "events": []}


def test_clock_refuses_with_403_when_told_to_go_backwards(client: FlaskClient) -> None:
    response = client.post("/_sandbox/clock", json={"now": "2016-09-30T00:00:00Z"})
    assert response.status_code == 403
    assert "errors" in response.get_json()
    assert client.get("/_sandbox/clock").get_json() == {"now": "2016-10-01T00:00:00Z"}


@pytest.mark.parametrize(
    "body",
    [b"", b"[1]", b"{oops", orjson.dumps({"advance_seconds": -5}),
     orjson.dumps({"advance_seconds": "ten"}), orjson.dumps({"now": "yesterday"}),
     orjson.dumps({"advance_seconds": 1, "now": "2017-01-01T00:00:00Z"}), orjson.dumps({})],
)
def test_clock_refuses_with_403_when_the_body_is_malformed(
    client: FlaskClient, body: bytes
) -> None:
    response = client.post("/_sandbox/clock", data=body, content_type="application/json")
    assert response.status_code == 403
    assert response.get_json()["errors"]["class"] == "RecordInvalid"
    assert client.get("/_sandbox/clock").get_json() == {"now": "2016-10-01T00:00:00Z"}


def test_reset_empties_the_platform_when_posted(
    client: FlaskClient, fake_platform: FakePlatform
) -> None:
    client.post(POOLS, json={"id_from_network": "1", "pool_type": "Custom",
                             "destination_type": "API"}, headers={"Authorization": TOKEN})
    assert fake_platform.ring_pools
    response = client.post("/_sandbox/reset")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert fake_platform.ring_pools == {}
    assert fake_platform.resets == 1


def test_world_reports_the_summary_when_asked(client: FlaskClient) -> None:
    assert client.get("/_sandbox/world").get_json() == {"network_id": "1", "api_token": TOKEN}


def test_contract_is_served_as_json_and_yaml_when_asked(
    client: FlaskClient, fixture_spec: dict[str, Any]
) -> None:
    as_json = client.get("/openapi.json")
    as_yaml = client.get("/openapi.yaml")
    assert as_json.status_code == as_yaml.status_code == 200
    assert as_json.get_json() == fixture_spec
    assert yaml.safe_load(as_yaml.data) == fixture_spec


def test_docs_page_loads_swagger_ui_locally_when_asked(client: FlaskClient) -> None:
    page = client.get("/_sandbox/docs")
    assert page.status_code == 200
    text = page.data.decode()
    assert "/_sandbox/docs/swagger-ui-bundle.js" in text
    assert "/openapi.json" in text
    assert "http" not in text.replace("http-equiv", "")
    script = client.get("/_sandbox/docs/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert len(script.data) > 100_000
    script.close()


def test_unknown_path_is_json_404_when_requested(client: FlaskClient) -> None:
    response = client.get("/api/nothing/here")
    assert response.status_code == 404
    assert response.get_json()["errors"]["class"] == "RecordNotFound"


def test_wrong_method_is_json_405_when_requested(client: FlaskClient) -> None:
    response = client.patch(POOLS)
    assert response.status_code == 405
    assert response.get_json()["errors"]["class"] == "MethodNotAllowed"
