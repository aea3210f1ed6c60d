"""Every request is validated against the contract before a handler sees it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from flask.testing import FlaskClient

from tests.mock_server.conftest import BASIC, RING_POOL_KEY, TOKEN, FakePlatform

POOLS = "/api/{v}/1/advertisers/a1/advertiser_campaigns/c1/ring_pools.json"
AUTH = {"Authorization": TOKEN}
VALID_POOL = {"id_from_network": "12", "pool_type": "Custom", "destination_type": "API"}


def test_unknown_version_is_404_when_the_date_is_not_in_the_enum(client: FlaskClient) -> None:
    response = client.get(POOLS.format(v="2010-01-01").replace(".json", "/12.json"), headers=AUTH)
    assert response.status_code == 404
    assert response.get_json() == {"errors": {
        "class": "RecordNotFound",
        "invalid_data": "API version 2010-01-01 does not support this route"}}


def test_unknown_format_is_404_when_the_extension_is_not_xml_json_csv(
    client: FlaskClient,
) -> None:
    response = client.get(
        f"/api/2015-12-09/ring_pools/16/allocate_number.pdf?ring_pool_key={RING_POOL_KEY}"
    )
    assert response.status_code == 404


def test_missing_required_fields_are_field_errors_when_posting_a_body(
    client: FlaskClient, fake_platform: FakePlatform
) -> None:
    response = client.post(
        POOLS.format(v="2016-10-01"), json={"id_from_network": "12", "destination_type": "Nope"},
        headers=AUTH,
    )
    assert response.status_code == 403
    assert response.get_json() == {"errors": {
        "pool_type": ["can't be blank"], "destination_type": ["is not included in the list"]}}
    assert fake_platform.ring_pools == {}


def test_local_center_error_has_the_seed_shape_when_a_key_is_unknown(
    client: FlaskClient, fake_platform: FakePlatform
) -> None:
    body = {**VALID_POOL, "local_center": {"bad_key": ""}}
    response = client.post(POOLS.format(v="2016-10-01"), json=body, headers=AUTH)
    assert response.status_code == 403
    assert response.get_json() == {"errors": {
        "class": "RecordInvalid", "invalid_data": "Invalid Key in Local Center."}}
    assert fake_platform.ring_pools == {}


def test_numeric_and_boolean_strings_pass_when_the_docs_examples_use_them(
    client: FlaskClient,
) -> None:
    body = {**VALID_POOL, "max_pool_size": "3", "preferred": "true"}
    response = client.post(POOLS.format(v="2016-10-01"), json=body, headers=AUTH)
    assert response.status_code == 201
    assert response.get_json()["max_pool_size"] == "3"


def test_malformed_json_is_403_when_the_body_does_not_parse(
    client: FlaskClient, fake_platform: FakePlatform
) -> None:
    response = client.post(
        POOLS.format(v="2016-10-01"), data=b"{not json", headers={**AUTH,
                                                                "Content-Type": "application/json"}
    )
    assert response.status_code == 403
    assert response.get_json()["errors"]["class"] == "InvalidInput"
    assert fake_platform.ring_pools == {}


def test_json_body_is_read_when_curl_sends_it_as_form_content_type(client: FlaskClient) -> None:
    response = client.post(
        POOLS.format(v="2016-10-01"), data=b'{"id_from_network": "12", "pool_type": "Custom", '
        b'"destination_type": "API"}',
        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 201


def test_missing_body_is_403_when_the_operation_requires_one(client: FlaskClient) -> None:
    response = client.post(POOLS.format(v="2016-10-01"), headers=AUTH)
    assert response.status_code == 403
    assert response.get_json()["errors"]["class"] == "InvalidInput"


def test_query_values_are_coerced_when_the_schema_wants_numbers_and_arrays(
    client: FlaskClient,
) -> None:
    response = client.get(
        f"/api/2016-10-01/transactions.json?limit=25&include_columns=a,b&oauth_token={TOKEN}"
    )
    assert response.status_code == 200
    assert response.get_json() == [{"limit": 25, "columns": ["a", "b"]}]


@pytest.mark.parametrize("limit", ["abc", "0", "4001"])
def test_bad_query_parameter_is_403_class_shape_when_out_of_schema(
    client: FlaskClient, limit: str
) -> None:
    response = client.get(f"/api/2016-10-01/transactions.json?limit={limit}", headers=AUTH)
    assert response.status_code == 403
    errors = response.get_json()["errors"]
    assert errors["class"] == "InvalidInput"
    assert "limit" in errors["invalid_data"]


def test_bad_boolean_is_text_error_when_the_legacy_api_is_called_as_json(
    client: FlaskClient,
) -> None:
    response = client.get(
        f"/api/2015-12-09/ring_pools/16/allocate_number.json?ring_pool_key={RING_POOL_KEY}"
        "&mobile_click_to_call=maybe"
    )
    assert response.status_code == 403
    assert response.mimetype == "text/plain"
    assert response.data.decode().startswith("InvalidInput: Invalid parameter 'mobile_click")


def test_missing_ring_pool_key_is_invalid_key_when_allocating(client: FlaskClient) -> None:
    response = client.get("/api/2015-12-09/ring_pools/16/allocate_number.xml?site=a")
    assert response.status_code == 403
    root = ET.fromstring(response.data)
    assert root.findtext("Class") == "InvalidKey"
    assert root.findtext("Message") == "API Key '' is not valid for resource '16'"


def test_free_form_parameters_pass_when_the_legacy_api_gets_custom_names(
    client: FlaskClient,
) -> None:
    response = client.get(
        f"/api/2015-12-09/ring_pools/16/allocate_number.json?ring_pool_key={RING_POOL_KEY}"
        "&site=adwords&pid=5567"
    )
    assert response.status_code == 200


def test_form_body_is_coerced_when_reporting_a_conversion(
    client: FlaskClient, fake_platform: FakePlatform
) -> None:
    response = client.post(
        "/api/2014-04-15/calls/55.xml",
        data={"start_time_t": "1475280000", "sku_list[]": ["a", "b"]}, auth=BASIC,
    )
    assert response.status_code == 201
    assert fake_platform.conversions == [{"start_time_t": 1475280000, "sku_list": ["a", "b"]}]


def test_bad_form_field_is_xml_error_when_reporting_a_conversion(
    client: FlaskClient, fake_platform: FakePlatform
) -> None:
    response = client.post("/api/2014-04-15/calls/55.xml", data={"start_time_t": "soon"},
                           auth=BASIC)
    assert response.status_code == 403
    root = ET.fromstring(response.data)
    assert root.tag == "Error"
    assert root.findtext("Class") == "InvalidInput"
    assert "start_time_t" in (root.findtext("Message") or "")
    assert fake_platform.conversions == []


def test_operation_outside_its_versions_is_404_when_the_date_is_in_the_enum(
    client: FlaskClient,
) -> None:
    response = client.get("/api/2016-10-01/1/affiliates.json", headers=AUTH)
    assert response.status_code == 404
    assert response.get_json()["errors"]["invalid_data"] == (
        "API version 2016-10-01 does not support this route"
    )
    assert client.get("/api/2017-02-01/1/affiliates.json", headers=AUTH).status_code == 501


def test_signal_api_answers_400_when_the_version_does_not_serve_the_route(
    client: FlaskClient,
) -> None:
    response = client.post("/api/2018-02-01/transactions/signals.json", json={"signal": {}},
                           headers=AUTH)
    assert response.status_code == 400
    assert response.get_json() == {"errors": {
        "class": "BadRequest",
        "invalid_data": "API version 2018-02-01 does not support this route"}}


def test_body_property_outside_its_versions_is_refused_when_posted(
    client: FlaskClient, fake_platform: FakePlatform
) -> None:
    body = {"id_from_network": "12", "pool_type": "Custom"}
    response = client.post(POOLS.format(v="2019-05-01"), json=body, headers=AUTH)
    assert response.status_code == 403
    assert response.get_json() == {"errors": {
        "class": "InvalidInput",
        "invalid_data": "pool_type is not supported in API version 2019-05-01"}}
    assert fake_platform.ring_pools == {}


def test_fields_required_by_version_are_optional_when_the_version_is_later(
    client: FlaskClient,
) -> None:
    body = {"id_from_network": "12"}
    assert client.post(POOLS.format(v="2019-05-01"), json=body, headers=AUTH).status_code == 201
    refused = client.post(POOLS.format(v="2018-11-01"), json=body, headers=AUTH)
    assert refused.status_code == 403
    assert refused.get_json() == {"errors": {
        "pool_type": ["can't be blank"], "destination_type": ["can't be blank"]}}
