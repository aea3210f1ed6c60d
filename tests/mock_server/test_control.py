"""The /_sandbox/ control API, the served contract and the API docs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from flask.testing import FlaskClient

import openapi
from mock_server.app import create_app
from mock_server.control import SERVED_HERE
from mock_server.pages import swagger_ui_directory
from openapi.contract import load_spec
from tests.mock_server.conftest import TOKEN, FakePlatform

POOLS = "/api/2016-10-01/1/advertisers/a1/advertiser_campaigns/c1/ring_pools.json"


def test_health_reports_ok_version_and_now_when_asked(client: FlaskClient) -> None:
    response = client.get("/_sandbox/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "version": "0.1.0",
                                   "now": "2016-10-01T00:00:00Z", "strict": False,
                                   "strict_versions": False}


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
    here = {"url": "http://localhost", "description": SERVED_HERE}
    served = {**fixture_spec, "servers": [here, *fixture_spec.get("servers", [])]}
    assert as_json.get_json() == served
    assert yaml.safe_load(as_yaml.data) == served


def test_first_server_is_the_address_asked_when_the_contract_is_served() -> None:
    client = create_app({"SEED": 0, "CLOCK": "manual"}).test_client()
    documented = load_spec()["servers"]
    for base in ("http://127.0.0.1:8123", "https://localhost:9443"):
        as_json = client.get("/openapi.json", base_url=base).get_json()
        as_yaml = yaml.safe_load(client.get("/openapi.yaml", base_url=base).data)
        assert as_json["servers"] == as_yaml["servers"] == [
            {"url": base, "description": SERVED_HERE}, *documented]


def test_bundled_yaml_keeps_its_text_when_served_with_the_first_server() -> None:
    client = create_app({"SEED": 0, "CLOCK": "manual"}).test_client()
    written = (Path(openapi.__file__).parent / "invoca.yaml").read_text("utf-8")
    served = client.get("/openapi.yaml", base_url="http://127.0.0.1:8123").get_data(as_text=True)
    inserted = f'- url: "http://127.0.0.1:8123"\n  description: "{SERVED_HERE}"\n'
    assert inserted in served
    assert served.replace(inserted, "", 1) == written


def test_docs_page_loads_swagger_ui_5_locally_when_asked(client: FlaskClient) -> None:
    page = client.get("/_sandbox/docs")
    assert page.status_code == 200
    text = page.data.decode()
    assert "/_sandbox/docs/swagger-ui-bundle.js" in text
    assert "/_sandbox/docs/docs.js" in text
    assert "http" not in text.replace("http-equiv", "")
    script = client.get("/_sandbox/docs/docs.js")
    assert script.status_code == 200
    assert b'url: "/openapi.json"' in script.data and b"preauthorizeApiKey" in script.data
    script.close()
    bundle = client.get("/_sandbox/docs/swagger-ui-bundle.js")
    assert bundle.status_code == 200
    assert len(bundle.data) > 100_000
    bundle.close()
    directory = swagger_ui_directory()
    assert directory is not None
    assert (directory / "VERSION").read_text().strip().startswith("v5.")


def test_unknown_path_is_json_404_when_requested(client: FlaskClient) -> None:
    response = client.get("/api/nothing/here")
    assert response.status_code == 404
    assert response.get_json()["errors"]["class"] == "RecordNotFound"


def test_wrong_method_is_json_405_when_requested(client: FlaskClient) -> None:
    response = client.patch(POOLS)
    assert response.status_code == 405
    assert response.get_json()["errors"]["class"] == "MethodNotAllowed"


ALLOCATE = "/api/2015-12-09/ring_pools/16/allocate_number.{fmt}?ring_pool_key=A329F4DC002168"


def test_injected_fault_answers_in_the_api_format_when_it_fires(client: FlaskClient) -> None:
    added = client.post("/_sandbox/faults", json={"operation": "allocateNumber", "count": 2})
    assert added.status_code == 201
    xml = client.get(ALLOCATE.format(fmt="xml"))
    assert xml.status_code == 500
    assert b"<Class>InternalServiceError</Class>" in xml.data
    text = client.get(ALLOCATE.format(fmt="json"))
    assert text.status_code == 500
    assert text.get_data(as_text=True).startswith("InternalServiceError: refer to error handle ")
    assert client.get(ALLOCATE.format(fmt="json")).status_code == 200
    assert client.get("/_sandbox/faults").get_json() == []


def test_fault_waits_for_validation_and_credentials_when_a_request_is_refused(
    client: FlaskClient,
) -> None:
    client.post("/_sandbox/faults", json={"operation": "allocateNumber", "count": 1})
    refused = client.get("/api/2015-12-09/ring_pools/16/allocate_number.json")
    assert refused.status_code == 403  # no ring_pool_key: refused before the fault's place
    assert client.get("/_sandbox/faults").get_json()[0]["count"] == 1
    assert client.get(ALLOCATE.format(fmt="json")).status_code == 500
    assert client.get("/_sandbox/faults").get_json() == []


def test_fault_only_hits_its_operation_when_named(client: FlaskClient) -> None:
    client.post("/_sandbox/faults", json={"operation": "listNetworkTransactions", "status": 503})
    assert client.get(ALLOCATE.format(fmt="json")).status_code == 200
    response = client.get(f"/api/2016-10-01/transactions.json?oauth_token={TOKEN}")
    assert response.status_code == 503
    assert response.get_json()["errors"]["class"] == "InternalServiceError"
    assert client.delete("/_sandbox/faults").get_json() == []
    assert client.get(f"/api/2016-10-01/transactions.json?oauth_token={TOKEN}").status_code == 200


def test_probabilistic_faults_repeat_when_the_seed_is_the_same(
    fixture_spec: dict[str, Any],
) -> None:
    from mock_server.app import create_app  # noqa: PLC0415
    from tests.mock_server.conftest import HANDLERS  # noqa: PLC0415

    def statuses(seed: int) -> list[int]:
        app = create_app({"SPEC": fixture_spec, "HANDLERS": HANDLERS, "SEED": seed},
                         platform=FakePlatform())
        test_client = app.test_client()
        test_client.post("/_sandbox/faults", json={"probability": 0.5})
        return [test_client.get(ALLOCATE.format(fmt="json")).status_code for _ in range(20)]

    first = statuses(1)
    assert first == statuses(1)
    assert set(first) == {200, 500}


@pytest.mark.parametrize(
    "body",
    [{"operation": "noSuchOperation"}, {"status": 404}, {"count": 0}, {"probability": 0},
     {"latency_ms": -1}, {"status": None}, {"colour": "red"}],
)
def test_bad_fault_is_refused_when_posted(client: FlaskClient, body: dict[str, Any]) -> None:
    response = client.post("/_sandbox/faults", json=body)
    assert response.status_code == 403
    assert response.get_json()["errors"]["class"] == "RecordInvalid"
    assert client.get("/_sandbox/faults").get_json() == []


def test_latency_fault_delays_without_failing_when_status_is_null(client: FlaskClient) -> None:
    client.post("/_sandbox/faults", json={"status": None, "latency_ms": 1, "count": 1})
    assert client.get(ALLOCATE.format(fmt="json")).status_code == 200
    assert client.get("/_sandbox/faults").get_json() == []


def test_journal_records_each_request_when_answered(client: FlaskClient) -> None:
    client.get(ALLOCATE.format(fmt="csv"))
    client.get("/api/2016-10-01/transactions.json?limit=nope")
    journal = client.get("/_sandbox/requests").get_json()
    assert [(entry["operation_id"], entry["status"]) for entry in journal] == [
        ("allocateNumber", 200), ("listNetworkTransactions", 403)]
    assert journal[0]["path"] == "/api/2015-12-09/ring_pools/16/allocate_number.csv"
    assert journal[0]["at"] == "2016-10-01T00:00:00Z"


def test_journal_stays_bounded_when_configured(fixture_spec: dict[str, Any]) -> None:
    from mock_server.app import create_app  # noqa: PLC0415
    from tests.mock_server.conftest import HANDLERS  # noqa: PLC0415

    app = create_app({"SPEC": fixture_spec, "HANDLERS": HANDLERS, "REQUEST_JOURNAL": 2},
                     platform=FakePlatform())
    test_client = app.test_client()
    for _ in range(5):
        test_client.get(ALLOCATE.format(fmt="json"))
    assert len(test_client.get("/_sandbox/requests").get_json()) == 2
