"""Invoca's Conversion Reporting page (``conversion_reporting.rst``, the same API in branches
2016-10-01 and 2022-08-01) sent as written, answered as documented.

The conversion reporting id is the world advertiser's id; the docs' matching call is made
first through ``POST /_sandbox/calls``. Credentials are the world's HTTP Basic ones.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.datastructures import MultiDict

#: the docs' cURL example, field by field, in its order
DOCS_FORM = [
    ("reference_id", "2935812450"),
    ("start_time_t", "1273589993"),
    ("duration_in_seconds", "300"),
    ("called_phone_number", "+18773593504"),
    ("calling_phone_number", "+12143283408"),
    ("reason_code", "S"),
    ("sku_list[]", "DVD"),
    ("quantity_list[]", "2"),
    ("sku_list[]", "cleaner"),
    ("quantity_list[]", "1"),
    ("sale_currency", "USD"),
    ("sale_amount", "60.50"),
    ("email_address", "jane@doe.com"),
    ("opt_in_SMS", "1"),
    ("name", "Jane Doe"),
    ("address1", "123 Mockingbird Lane"),
    ("address2", "Unit 2"),
    ("order_city", "Chicago"),
    ("state_or_province", "IL"),
    ("country", "US"),
    ("cell_phone_number", "+13125170488"),
    ("use_http_status", "1"),
]


@dataclass
class Reporting:
    """The Conversion Reporting API of the sandbox, as the world's call center uses it."""

    sandbox: FlaskClient
    world: dict[str, Any]
    #: the docs' ``/api/2014-04-15/calls/23.xml`` with the world's conversion reporting id
    url: str

    @property
    def basic(self) -> tuple[str, str]:
        return self.world["basic_auth"]["username"], self.world["basic_auth"]["password"]

    def post(self, form: Any) -> Any:
        return self.sandbox.post(self.url, data=form, auth=self.basic)

    def put(self, form: Any) -> Any:
        return self.sandbox.put(self.url, data=form, auth=self.basic)

    def get(self, path: str) -> Any:
        return self.sandbox.get(path, headers={"Authorization": self.world["api_token"]})

    def sales(self) -> list[dict[str, Any]]:
        """The Reported Conversion rows (Transactions API)."""
        rows: list[dict[str, Any]] = self.get(
            f"/api/2016-10-01/networks/transactions/{self.world['network_id']}.json"
            "?transaction_type=Sale").get_json()
        return rows


@pytest.fixture
def cr(sandbox: FlaskClient, world: dict[str, Any]) -> Reporting:
    advertiser = sandbox.get(
        f"/api/2016-10-01/{world['network_id']}/advertisers/"
        f"{world['advertiser_id_from_network']}.json",
        headers={"Authorization": world["api_token"]}).get_json()
    return Reporting(sandbox, world, f"/api/2014-04-15/calls/{advertiser['id']}.xml")


@pytest.fixture
def docs_call(sandbox: FlaskClient, world: dict[str, Any]) -> dict[str, Any]:
    """The call the docs' example reports on: 300 s from +1 214 328 3408 at 1273589993."""
    pool = world["ring_pool"]
    number = sandbox.get(f"/api/2015-12-09/ring_pools/{pool['id']}/allocate_number.json"
                         f"?ring_pool_key={pool['api_key']}").get_json()["promo_number"]
    made: dict[str, Any] = sandbox.post("/_sandbox/calls", json={
        "promo_number": number, "start_time": "2010-05-11T14:59:53Z", "duration_seconds": 300,
        "calling_phone_number": "+12143283408"}).get_json()
    return made


def error_of(response: Any) -> tuple[str | None, str]:
    assert response.data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(response.data)
    assert root.tag == "Error"
    return root.findtext("Class"), (root.findtext("Message") or "").strip()


def test_curl_example_is_201_with_a_one_byte_xml_body_when_the_call_matches(
    cr: Reporting, docs_call: dict[str, Any]
) -> None:
    response = cr.post(MultiDict(DOCS_FORM))
    # "HTTP/1.1 201 Created ... Content-Type: application/xml; charset=utf-8 ... Content-Length: 1"
    assert response.status_code == 201
    assert response.headers["Content-Type"] == "application/xml; charset=utf-8"
    assert response.headers["Content-Length"] == "1"
    [sale] = cr.sales()
    assert sale["complete_call_id"] == docs_call["complete_call_id"]
    assert (sale["original_order_id"], sale["reason_code"], sale["sku_list"],
            sale["quantity_list"], sale["sale_amount"], sale["email_address"],
            sale["opt_in_SMS"]) == ("2935812450", "S", "DVD,cleaner", "2,1", "60.50",
                                    "jane@doe.com", 1)


def test_repeat_changes_nothing_and_new_values_update_when_the_example_is_posted_again(
    cr: Reporting, docs_call: dict[str, Any]
) -> None:
    assert cr.post(MultiDict(DOCS_FORM)).status_code == 201
    # "If the values passed are unchanged, the reported conversion remains unchanged and is
    # not duplicated."
    assert cr.post(MultiDict(DOCS_FORM)).status_code == 201
    [first] = cr.sales()
    # "If different values are passed, the original conversion is updated"; PUT answers 200
    changed = MultiDict([(k, "75.00" if k == "sale_amount" else v) for k, v in DOCS_FORM])
    updated = cr.put(changed)
    assert (updated.status_code, updated.data) == (200, b" ")
    assert [(r["sale_amount"], r["corrects_transaction_id"]) for r in cr.sales()] == [
        ("60.50", None), ("75.00", first["transaction_id"])]


def test_status_example_is_the_documented_not_found_when_no_call_matches(cr: Reporting) -> None:
    response = cr.post({"start_time_t": "1262895406", "calling_phone_number": "+18053825533"})
    assert response.status_code == 404
    assert error_of(response) == (
        "NotFound", "Couldn't find call around time 1262895406 from caller +1 8053825533")


def test_error_is_in_a_201_body_when_use_http_status_is_0(cr: Reporting) -> None:
    # "If &use_http_status=0 is given, the status is always returned as 200 Ok or 201 Created"
    response = cr.post({"start_time_t": "1262895406", "use_http_status": "0",
                        "calling_phone_number": "+18053825533"})
    assert response.status_code == 201
    assert error_of(response)[0] == "NotFound"
    invalid = cr.put({"use_http_status": "0"})
    assert invalid.status_code == 200
    assert error_of(invalid) == ("RecordInvalid", "start_time_t can't be blank")


@pytest.mark.parametrize(("form", "message"), [
    ({"reason_code": "S"}, "start_time_t can't be blank"),
    ({"web_conversion": "1"}, "reference_id can't be blank; advertiser_campaign_id can't be "
                              "blank; affiliate_id_from_network can't be blank"),
    ({"web_conversion": "1", "reference_id": "W-1"},
     "advertiser_campaign_id can't be blank; affiliate_id_from_network can't be blank"),
    ({"start_time_t": "1273589993", "sku_list[]": ["DVD", "cleaner"], "quantity_list[]": ["0"]},
     "quantity_list must have one quantity per sku; quantity_list must be 1 or greater"),
])
def test_missing_or_bad_fields_are_one_xml_record_invalid_when_reported(
    cr: Reporting, docs_call: dict[str, Any], form: dict[str, Any], message: str
) -> None:
    response = cr.post(form)
    assert response.status_code == 403
    assert error_of(response) == ("RecordInvalid", message)
    assert cr.sales() == []


def test_start_time_t_is_refused_by_the_contract_when_it_is_not_10_digits(cr: Reporting) -> None:
    response = cr.post({"start_time_t": "127358999", "use_http_status": "0"})
    assert response.status_code == 403  # a request outside the contract keeps its status
    assert error_of(response)[0] == "InvalidInput"


def test_web_conversion_and_its_add_on_are_recorded_when_reported(cr: Reporting) -> None:
    world = cr.world
    campaign = cr.get(
        f"/api/2016-10-01/{world['network_id']}/advertisers/{world['advertiser_id_from_network']}"
        f"/advertiser_campaigns/{world['advertiser_campaign_id_from_network']}.json").get_json()
    created = cr.post({
        "web_conversion": "1", "reference_id": "W-100", "advertiser_campaign_id": campaign["id"],
        "affiliate_id_from_network": world["affiliate_id_from_network"],
        "sale_amount": "10.00", "reason_code": "new_signup"})
    assert (created.status_code, created.data) == (201, b" ")
    added = cr.post({"web_conversion": "1", "parent_reference_id": "W-100",
                     "sale_amount": "95.00", "reason_code": "confirmed_order"})
    assert added.status_code == 201
    rows = cr.sales()
    credited = (world["affiliate_id_from_network"], world["advertiser_campaign_id_from_network"])
    assert [(r["affiliate_id_from_network"], r["advertiser_campaign_id_from_network"],
             r["original_order_id"], r["sale_amount"], r["reason_code"]) for r in rows] == [
        (*credited, "W-100", "10.00", "new_signup"),
        (*credited, "W-100", "95.00", "confirmed_order"),
    ]
    assert rows[0]["complete_call_id"] == rows[1]["complete_call_id"]
    unknown = cr.post({"web_conversion": "1", "parent_reference_id": "W-999"})
    assert unknown.status_code == 404
    assert error_of(unknown) == ("NotFound",
                                 "Couldn't find web conversion with reference_id W-999")


def test_web_conversion_is_refused_when_the_affiliate_is_not_approved_to_the_campaign(
    cr: Reporting,
) -> None:
    response = cr.post({"web_conversion": "1", "reference_id": "W-1",
                        "advertiser_campaign_id": "1", "affiliate_id_from_network": "nobody"})
    assert response.status_code == 403
    assert error_of(response) == (
        "RecordInvalid", "affiliate_id_from_network nobody is not approved to advertiser "
                         "campaign 1")
    assert cr.sales() == []


def test_public_client_forms_are_read_when_they_use_older_names_and_indexed_arrays(
    cr: Reporting, docs_call: dict[str, Any]
) -> None:
    # Invoca's PHP client sends call_center_call_id (the docs' former name of reference_id)
    # and arrays the way http_build_query does: sku_list[0]=...&sku_list[1]=...
    response = cr.post({
        "start_time_t": "1273589993", "call_center_call_id": "91234567",
        "duration_in_seconds": "200", "reason_code": "S", "sale_currency": "USD",
        "sale_amount": "1.12", "sku_list[0]": "dvd", "sku_list[1]": "apple",
        "quantity_list[0]": "5", "quantity_list[1]": "10"})
    assert response.status_code == 201
    [sale] = cr.sales()
    assert (sale["original_order_id"], sale["sku_list"], sale["quantity_list"]) == (
        "91234567", "dvd,apple", "5,10")


def test_unknown_currency_is_the_client_librarys_record_invalid_when_reported(
    cr: Reporting,
) -> None:
    # the error Invoca's Ruby client library (call_center_api-ruby) expects for this form
    response = cr.post({"start_time_t": "1339289018", "sale_currency": "x"})
    assert response.status_code == 403
    assert error_of(response) == ("RecordInvalid",
                                  'money is invalid ["Currency x is not supported"]')
