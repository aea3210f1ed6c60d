"""Users of networks, advertisers and affiliates: the docs' example bodies of both branches."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


def network(world: dict[str, Any], version: str) -> str:
    return f"/api/{version}/{world['network_id']}/network.json"


#: the second user of the 2022 docs' "Create network users" example: the pre-2017
#: ``email_address`` in a 2022-08-01 request
JIM = {
    "id_from_network": "694940505055cFUyYnFHyiYA42TrpM", "email_address": "jim@nfltix.com",
    "first_name": "Jim", "last_name": "Williams", "phone_number": "8004377950",
    "role": "Observer", "notify_on_budgets": True,
}
CHRIS = {
    "id_from_network": "549494858585cFUyYnFHyiYA42TrpM",
    "email_settings": [{"email_address": "chris@nfltix.com", "use_for_notifications": True}],
    "first_name": "Chris", "last_name": "Dean", "phone_number": "8004377950", "role": "Manager",
}


def test_email_address_is_the_notification_address_when_sent_in_a_2022_request(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    created = sandbox.post(network(world, "2022-08-01"), json={"users": [CHRIS, JIM]},
                           headers=auth)
    assert created.status_code == 201
    jim = created.get_json()["users"][1]
    assert jim["email_settings"] == [
        {"email_address": "jim@nfltix.com", "use_for_notifications": True}
    ]
    assert "email_address" not in jim


def test_each_version_shows_its_own_email_field_when_users_are_read(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    sandbox.post(network(world, "2022-08-01"), json={"users": [CHRIS]}, headers=auth)
    old = sandbox.get(network(world, "2016-10-01"), headers=auth).get_json()["users"][0]
    assert old["email_address"] == "chris@nfltix.com"
    assert "email_settings" not in old


#: version -> (user, errors): the 2016 docs' example answered with the docs' body, and the
#: 2022 docs' error body for an address that is really invalid (docs/fidelity.md C19)
INVALID_EMAIL = {
    "2016-10-01": ({"id_from_network": "549494858585cFUyYnFHyiYA42TrpM",
                    "email_address": "chris@", "first_name": "Chris", "last_name": "Dean",
                    "phone_number": "8004377950", "role": "Manager"},
                   {"users": [{"email_address": ["is invalid"]}]}),
    "2022-08-01": ({**CHRIS, "email_settings": [
                        {"email_address": "chris@", "use_for_notifications": True}]},
                   {"users": [{"email_settings": [{"email_address": ["is invalid"]}]}]}),
}


@pytest.mark.parametrize("version", sorted(INVALID_EMAIL))
def test_invalid_email_is_the_docs_nested_error_when_users_are_put(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], version: str
) -> None:
    user, errors = INVALID_EMAIL[version]
    refused = sandbox.put(network(world, version), json={"users": [user]}, headers=auth)
    assert refused.status_code == 403
    assert refused.get_json() == {"errors": errors}
    assert sandbox.get(network(world, version), headers=auth).get_json()["users"] == []


def test_integer_ids_are_strings_when_the_docs_affiliate_example_is_posted(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    body = {
        "name": "Surf Oz Magazine", "status": "Approved", "id_from_network": "222",
        "users": [{"phone_number": "805\u2010708\u20109876",  # the docs' U+2010 hyphens
                   "id_from_network": 123, "role": "Super",
                   "last_name": "Affiliate", "first_name": "User",
                   "email_settings": [{"email_address": "userx@invoca.com",
                                       "use_for_notifications": True}]}],
        "sites": [{"id_from_network": 33567, "name": "http://www.surfoz.au"}],
    }
    created = sandbox.post(f"/api/2022-08-01/{world['network_id']}/affiliates.json",
                           json=body, headers=auth)
    assert created.status_code == 201
    made = created.get_json()
    assert made["users"][0]["id_from_network"] == "123"
    assert made["sites"][0]["id_from_network"] == "33567"


def test_user_shows_every_field_of_the_docs_get_when_read(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    users = f"/api/2022-08-01/{world['network_id']}/advertisers/" \
            f"{world['advertiser_id_from_network']}/users"
    sandbox.post(f"{users}.json", headers=auth, json={"user": {
        **CHRIS, "contact_phone_number": "805-555-5555",
        "oauth_refresh_token": "556588585858585858585858858",
    }})
    read = sandbox.get(f"{users}/{CHRIS['id_from_network']}.json", headers=auth).get_json()
    assert {k: read[k] for k in ("contact_phone_number", "phone_number", "contact_country_code",
                                 "oauth_refresh_token", "can_login_via_platform")} == {
        "contact_phone_number": "805-555-5555", "phone_number": "8004377950",
        "contact_country_code": "1", "oauth_refresh_token": "556588585858585858585858858",
        "can_login_via_platform": False,
    }


def test_phone_number_is_shown_under_both_names_when_one_is_sent(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    sent = {k: v for k, v in JIM.items() if k != "phone_number"}
    users = sandbox.post(network(world, "2022-08-01"), headers=auth, json={
        "users": [{**sent, "contact_phone_number": "2135555555"}],
    }).get_json()["users"]
    assert (users[0]["phone_number"], users[0]["contact_country_code"]) == ("2135555555", "1")
    assert users[0]["oauth_refresh_token"] is None


def test_per_user_put_merges_when_the_2016_example_leaves_out_id_and_email(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]
) -> None:
    users = f"/api/2016-10-01/{world['network_id']}/advertisers/" \
            f"{world['advertiser_id_from_network']}/users"
    sandbox.post(f"{users}.json", headers=auth, json={"user": {
        "id_from_network": "549494858585Dxlj2uCX0ijqXP4nAW", "email_address": "chris@nfltix.com",
        "first_name": "Chris", "last_name": "Dean", "contact_phone_number": "8055555555",
        "role": "Manager",
    }})
    updated = sandbox.put(f"{users}/549494858585Dxlj2uCX0ijqXP4nAW.json", headers=auth, json={
        "user": {"first_name": "Christopher", "last_name": "Dean",
                 "contact_phone_number": "8886033760", "role": "Manager"},
    })
    assert updated.status_code == 200
    user = updated.get_json()
    assert (user["first_name"], user["email_address"], user["contact_phone_number"]) == (
        "Christopher", "chris@nfltix.com", "8886033760")


@pytest.mark.parametrize(("version", "field"),
                         [("2016-10-01", "email_address"), ("2022-08-01", "email_settings")])
def test_new_user_without_email_is_refused_when_created(
    sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str], version: str, field: str
) -> None:
    user = {"id_from_network": "u-9", "first_name": "No", "last_name": "Mail"}
    refused = sandbox.post(f"/api/{version}/{world['network_id']}/advertisers/"
                           f"{world['advertiser_id_from_network']}/users.json",
                           json={"user": user}, headers=auth)
    assert refused.status_code == 403
    assert refused.get_json() == {"errors": {"users": [{field: ["can't be blank"]}]}}
