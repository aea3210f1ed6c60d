"""Network Integration entities: upserts, validation, refusals, 404 messages, rendering."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from simulator.clock import ManualClock
from simulator.errors import RecordInvalid, RecordNotFound
from simulator.events import LocalNumbersFilled
from simulator.numbers import is_toll_free
from simulator.platform import Platform, PlatformSettings, Principal
from simulator.resources.parties import validate_sites, validate_user
from simulator.resources.records import Link

V = "2016-10-01"
START = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def platform() -> Platform:
    return Platform(ManualClock(START), seed=11)


@pytest.fixture
def admin(platform: Platform) -> Principal:
    assert platform.world is not None
    return platform.authenticate(token=platform.world.api_token)


def pool_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id_from_network": "rp-new",
        "name": "New pool",
        "pool_type": "Custom",
        "destination_type": "Advertiser",
        "destination_url": "https://www.example.com",
        "max_pool_size": 3,
        "lifetime_seconds": 600,
        "param1": "gclid",
    }
    body.update(overrides)
    return body


PROMO = {"description": "Radio spot", "media_type": "Offline: Radio"}


def test_one_advertiser_when_posted_twice(platform: Platform, admin: Principal) -> None:
    body = {"id_from_network": "adv-9", "name": "Nine"}
    first = platform.create_advertiser(admin, 1, body, version=V)
    second = platform.create_advertiser(admin, 1, {**body, "name": "Nine Renamed"}, version=V)
    assert first["id"] == second["id"]
    assert second["name"] == "Nine Renamed"
    ids = [a["id_from_network"] for a in platform.list_advertisers(admin, 1, version=V)]
    assert ids.count("adv-9") == 1


def test_advertiser_created_when_put_on_missing_id(platform: Platform, admin: Principal) -> None:
    made = platform.update_advertiser(admin, 1, "adv-put", {"name": "Put"}, version=V)
    assert made["id_from_network"] == "adv-put"
    assert made["approval_status"] == "Approved"
    assert made["object_url"] == Link("advertiser", (made["id"],))  # a URL at the HTTP edge
    assert platform.get_advertiser(admin, 1, "adv-put", version=V) == made


def test_delete_is_a_noop_when_repeated(platform: Platform, admin: Principal) -> None:
    platform.create_affiliate(admin, 1, {"id_from_network": "p-del", "name": "Gone"}, version=V)
    assert platform.delete_affiliate(admin, 1, "p-del", version=V) == {}
    assert platform.delete_affiliate(admin, 1, "p-del", version=V) == {}
    with pytest.raises(RecordNotFound, match="Could not find Affiliate p-del for network 1"):
        platform.get_affiliate(admin, 1, "p-del", version=V)


def test_field_errors_in_docs_shape_when_required_fields_blank(
    platform: Platform, admin: Principal
) -> None:
    with pytest.raises(RecordInvalid) as caught:
        platform.create_advertiser(admin, 1, {"id_from_network": "x", "name": " "}, version=V)
    assert caught.value.to_dict() == {"errors": {"name": ["can't be blank"]}}
    assert caught.value.status_hint == 403


def test_every_problem_reported_when_ring_pool_body_is_bad(
    platform: Platform, admin: Principal
) -> None:
    with pytest.raises(RecordInvalid) as caught:
        platform.create_ring_pool(admin, 1, "adv-1", "camp-1", {
            "id_from_network": "bad", "pool_type": "Sometimes", "max_pool_size": "three",
            "preferred": "perhaps",
        }, version=V)
    assert caught.value.field_errors == {
        "pool_type": ["is not included in the list"],
        "max_pool_size": ["is not a number"],
        "preferred": ["is not included in the list"],
        "destination_type": ["can't be blank"],
    }


def test_blank_pool_type_refused_when_legacy_version(platform: Platform, admin: Principal) -> None:
    with pytest.raises(RecordInvalid) as caught:
        platform.create_ring_pool(admin, 1, "adv-1", "camp-1",
                                  pool_body(pool_type=None), version=V)
    assert caught.value.to_dict() == {"errors": {"pool_type": ["can't be blank"]}}


def test_defaults_apply_when_2022_version_omits_legacy_fields(
    platform: Platform, admin: Principal
) -> None:
    made = platform.create_ring_pool(admin, 1, "adv-1", "camp-1",
                                     {"id_from_network": "rp-2022"}, version="2022-08-01")
    assert made["max_pool_size"] == 2
    assert made["lifetime_seconds"] == 1800
    assert made["allow_overflow"] is True
    assert "pool_type" not in made
    assert "param1" not in made


def test_nothing_changes_when_update_is_invalid(platform: Platform, admin: Principal) -> None:
    platform.create_ring_pool(admin, 1, "adv-1", "camp-1", pool_body(), version=V)
    before = platform.export_state()
    with pytest.raises(RecordInvalid):
        platform.update_ring_pool(admin, 1, "adv-1", "camp-1", "rp-new",
                                  pool_body(name="Renamed", max_pool_size=0), version=V)
    after = platform.export_state()
    assert after == before  # the journal too: a refused command is not kept
    assert platform.get_ring_pool(admin, 1, "adv-1", "camp-1", "rp-new",
                                  version=V)["name"] == "New pool"


def test_lenient_strings_accepted_when_docs_example_sends_them(
    platform: Platform, admin: Principal
) -> None:
    made = platform.create_ring_pool(admin, 1, "adv-1", "camp-1",
                                     pool_body(max_pool_size="3", preferred="true"), version=V)
    assert made["max_pool_size"] == 3
    assert made["preferred"] is True


def test_docs_message_when_ring_pool_missing(platform: Platform, admin: Principal) -> None:
    with pytest.raises(RecordNotFound) as caught:
        platform.get_ring_pool(admin, 1, "adv-1", "camp-1", "123", version=V)
    assert caught.value.to_dict() == {"errors": {
        "class": "RecordNotFound",
        "invalid_data": "Could not find RingPool 123 for advertiser campaign camp-1 "
                        "and advertiser adv-1",
    }}


def test_parent_404_when_campaign_missing(platform: Platform, admin: Principal) -> None:
    with pytest.raises(RecordNotFound,
                       match="Could not find AdvertiserCampaign nope for advertiser adv-1"):
        platform.create_ring_pool(admin, 1, "adv-1", "nope", pool_body(), version=V)
    with pytest.raises(RecordNotFound, match="Could not find Advertiser ghost for network 1"):
        platform.list_ring_pools(admin, 1, "ghost", "camp-1", version=V)


def test_class_error_and_no_pool_when_local_center_has_bad_key(
    platform: Platform, admin: Principal
) -> None:
    body = pool_body(local_center={"bad_key": ""}, tn_prefix_whitelist=["455"])
    with pytest.raises(RecordInvalid) as caught:
        platform.create_ring_pool(admin, 1, "adv-1", "camp-1", body, version=V)
    assert caught.value.to_dict() == {
        "errors": {"class": "RecordInvalid", "invalid_data": "Invalid Key in Local Center."}
    }
    ids = [p["id_from_network"] for p in platform.list_ring_pools(admin, 1, "adv-1", "camp-1")]
    assert "rp-new" not in ids


def test_local_numbers_fill_when_ten_minutes_pass(platform: Platform, admin: Principal) -> None:
    made = platform.create_ring_pool(
        admin, 1, "adv-1", "camp-1", pool_body(local_center={"tn_prefix": "805"}), version=V
    )
    key = {"ring_pool_key": made["api_key"], "gclid": "g"}
    early = platform.allocate_number(made["id"], key)
    assert early.overflow
    events = platform.advance_clock(600)
    assert any(isinstance(e, LocalNumbersFilled) and e.ring_pool_id == made["id"]
               for e in events)
    later = platform.allocate_number(made["id"], key)
    assert not later.overflow
    assert later.promo_number.startswith("805")


def test_id_from_network_taken_when_another_campaign_has_it(
    platform: Platform, admin: Principal
) -> None:
    platform.create_advertiser_campaign(admin, 1, "adv-1", {"id_from_network": "camp-2",
                                                            "name": "Two"}, version=V)
    with pytest.raises(RecordInvalid) as caught:
        platform.create_ring_pool(admin, 1, "adv-1", "camp-2", pool_body(id_from_network="rp-1"),
                                  version=V)
    assert caught.value.field_errors == {"id_from_network": ["has already been taken"]}


def test_allow_overflow_change_refused_when_updating(platform: Platform, admin: Principal) -> None:
    platform.create_ring_pool(admin, 1, "adv-1", "camp-1", pool_body(), version="2022-08-01")
    with pytest.raises(RecordInvalid) as caught:
        platform.update_ring_pool(admin, 1, "adv-1", "camp-1", "rp-new",
                                  {"allow_overflow": False}, version="2022-08-01")
    assert caught.value.field_errors == {"allow_overflow": ["cannot be changed"]}
    same = platform.update_ring_pool(admin, 1, "adv-1", "camp-1", "rp-new",
                                     {"allow_overflow": "true", "max_pool_size": 5},
                                     version="2022-08-01")
    assert same["max_pool_size"] == 5


def test_ring_pool_names_its_pages_and_tracks_on_base_url_when_configured() -> None:
    platform = Platform(ManualClock(START), seed=3,
                        settings=PlatformSettings(base_url="http://127.0.0.1:8080/"))
    assert platform.world is not None
    admin = platform.authenticate(token=platform.world.api_token)
    pool = platform.get_ring_pool(admin, 1, "adv-1", "camp-1", "rp-1", version=V)
    assert pool["object_url"] == Link("ring_pool", (pool["id"],))
    assert pool["sample_api_url"] == Link("ring_pool_sample_api", (pool["id"], pool["api_key"]))
    assert pool["test_click_url"].startswith("http://127.0.0.1:8080/c/1/")
    assert len(pool["api_key"]) == 14


def test_advertiser_delete_refused_when_it_has_campaigns(
    platform: Platform, admin: Principal
) -> None:
    with pytest.raises(RecordInvalid) as caught:
        platform.delete_advertiser(admin, 1, "adv-1", version=V)
    assert caught.value.to_dict()["errors"]["invalid_data"] == (
        "You are not allowed to delete an advertiser if it has one or more campaigns."
    )
    assert platform.get_advertiser(admin, 1, "adv-1", version=V)["id_from_network"] == "adv-1"


def test_affiliate_delete_refused_when_it_has_campaigns(
    platform: Platform, admin: Principal
) -> None:
    with pytest.raises(RecordInvalid, match="affiliate if it has one or more campaigns"):
        platform.delete_affiliate(admin, 1, "aff-1", version=V)


def test_campaign_delete_refused_always(platform: Platform, admin: Principal) -> None:
    with pytest.raises(RecordInvalid, match=r"You are not allowed to delete campaigns\."):
        platform.delete_advertiser_campaign(admin, 1, "adv-1", "camp-1", version=V)
    with pytest.raises(RecordInvalid, match="not allowed to delete an Affiliate Campaign"):
        platform.delete_affiliate_campaign(admin, 1, "adv-1", "camp-1", "aff-1", version=V)


def test_docs_body_when_affiliate_campaign_created_approved(
    platform: Platform, admin: Principal
) -> None:
    platform.create_affiliate(admin, 1, {"id_from_network": "aff-2", "name": "Two"}, version=V)
    with pytest.raises(RecordInvalid) as caught:
        platform.create_affiliate_campaign(admin, 1, "adv-1", "camp-1", "aff-2",
                                           {"status": "Approved"}, version=V)
    assert caught.value.to_dict() == {
        "errors": {"status": ["cannot transition from 'Approved'"]}, "status": "Applied"
    }
    with pytest.raises(RecordNotFound):
        platform.get_affiliate_campaign(admin, 1, "adv-1", "camp-1", "aff-2", version=V)


def test_campaign_applied_then_transitions_when_allowed(
    platform: Platform, admin: Principal
) -> None:
    platform.create_affiliate(admin, 1, {"id_from_network": "aff-2", "name": "Two"}, version=V)
    made = platform.create_affiliate_campaign(admin, 1, "adv-1", "camp-1", "aff-2",
                                              {"status": "Applied", "id_from_network": "ac2"},
                                              version=V)
    assert made["status"] == "Applied"
    approved = platform.update_affiliate_campaign(admin, 1, "adv-1", "camp-1", "aff-2",
                                                  {"status": "Approved"}, version=V)
    assert approved["status"] == "Approved"
    assert approved["id_from_network"] == "ac2"
    with pytest.raises(RecordInvalid) as caught:
        platform.update_affiliate_campaign(admin, 1, "adv-1", "camp-1", "aff-2",
                                           {"status": "Applied"}, version=V)
    assert caught.value.to_dict() == {
        "errors": {"status": ["cannot transition from 'Approved'"]}, "status": "Approved"
    }


def test_demo_affiliate_campaign_approved_when_relationship_approved(
    platform: Platform, admin: Principal
) -> None:
    held = platform.get_affiliate_campaign(admin, 1, "adv-1", "camp-1", "aff-1", version=V)
    assert held["status"] == "Approved"
    platform.update_advertiser_affiliate(admin, 1, "adv-1", "aff-1", {"status": "Suspended"},
                                         version=V)
    held = platform.get_affiliate_campaign(admin, 1, "adv-1", "camp-1", "aff-1", version=V)
    assert held["status"] == "Suspended"
    assert platform.get_advertiser_affiliate(admin, 1, "adv-1", "aff-1", version=V) == {
        "affiliate_id_from_network": "aff-1", "status": "Suspended"
    }


def test_new_number_each_time_when_promo_numbers_posted(
    platform: Platform, admin: Principal
) -> None:
    first = platform.create_promo_number(admin, 1, "adv-1", "camp-1", PROMO, version=V)
    second = platform.create_promo_number(admin, 1, "adv-1", "camp-1", PROMO, version=V)
    assert first["promo_number"] != second["promo_number"]
    assert is_toll_free(first["promo_number"])
    numbers = {p["promo_number"] for p in platform.list_promo_numbers(admin, 1, "adv-1",
                                                                       "camp-1", version=V)}
    assert numbers == {first["promo_number"], second["promo_number"]}


def test_promo_number_errors_when_description_and_media_type_missing(
    platform: Platform, admin: Principal
) -> None:
    with pytest.raises(RecordInvalid) as caught:
        platform.create_promo_number(admin, 1, "adv-1", "camp-1", {"media_type": "TV"},
                                     version=V)
    assert caught.value.field_errors == {
        "description": ["can't be blank"], "media_type": ["is not included in the list"]
    }


def test_local_number_when_promo_local_center_given(platform: Platform, admin: Principal) -> None:
    made = platform.create_promo_number(
        admin, 1, "adv-1", "camp-1",
        {**PROMO, "local_center": {"tn_prefix": "212"}, "custom_data": {"channel": "radio"}},
        version=V,
    )
    assert made["promo_number"].startswith("212")
    assert made["custom_data"] == {"channel": "radio"}
    fetched = platform.get_promo_number(admin, 1, "adv-1", "camp-1", made["promo_number"],
                                        version=V)
    assert fetched == made


def test_same_number_when_promo_number_by_id_posted_twice(
    platform: Platform, admin: Principal
) -> None:
    body = {**PROMO, "id_from_network": "pn-1"}
    first = platform.create_promo_number_by_id(admin, 1, "adv-1", "camp-1", body,
                                               version="2018-05-01")
    second = platform.create_promo_number_by_id(
        admin, 1, "adv-1", "camp-1", {**body, "description": "TV"}, version="2018-05-01"
    )
    assert first["promo_number"] == second["promo_number"]
    assert second["description"] == "TV"
    put = platform.update_promo_number_by_id(admin, 1, "adv-1", "camp-1", "pn-2", PROMO,
                                             version="2018-05-01")
    assert put["id_from_network"] == "pn-2"
    listed = platform.list_promo_number_by_id(admin, 1, "adv-1", "camp-1", version="2018-05-01")
    assert [p["id_from_network"] for p in listed] == ["pn-1", "pn-2"]
    platform.delete_promo_number_by_id(admin, 1, "adv-1", "camp-1", "pn-1", version="2018-05-01")
    platform.delete_promo_number_by_id(admin, 1, "adv-1", "camp-1", "pn-1", version="2018-05-01")
    with pytest.raises(RecordNotFound, match="Could not find PromoNumber pn-1"):
        platform.get_promo_number_by_id(admin, 1, "adv-1", "camp-1", "pn-1",
                                        version="2018-05-01")


def test_put_on_missing_promo_number_is_not_found(platform: Platform, admin: Principal) -> None:
    with pytest.raises(RecordNotFound, match="Could not find PromoNumber 8005550199"):
        platform.update_promo_number(admin, 1, "adv-1", "camp-1", "8005550199", PROMO, version=V)


def test_affiliate_level_promo_number_when_posted_under_affiliate_campaign(
    platform: Platform, admin: Principal
) -> None:
    made = platform.create_affiliate_campaign_promo_number(
        admin, 1, "adv-1", "camp-1", "aff-1", PROMO, version=V
    )
    assert made["object_url"].page == "affiliate_campaign_promo_numbers"
    assert platform.list_promo_numbers(admin, 1, "adv-1", "camp-1", version=V) == []
    listed = platform.list_affiliate_campaign_promo_numbers(admin, 1, "adv-1", "camp-1", "aff-1",
                                                            version=V)
    assert [p["promo_number"] for p in listed] == [made["promo_number"]]


def test_campaign_status_moves_when_actions_called(platform: Platform, admin: Principal) -> None:
    live = platform.go_live_advertiser_campaign(admin, 1, "adv-1", "camp-1", {"timeout": 5},
                                                version=V)
    assert live["status"] == "Live"
    assert live["current_terms"]["go_live_date"] == "2024-03-01T12:00:00Z"
    assert platform.archive_advertiser_campaign(admin, 1, "adv-1", "camp-1", version=V) == {}
    assert platform.get_advertiser_campaign(admin, 1, "adv-1", "camp-1",
                                            version=V)["status"] == "Archived"
    platform.unarchive_advertiser_campaign(admin, 1, "adv-1", "camp-1", version=V)
    assert platform.get_advertiser_campaign(admin, 1, "adv-1", "camp-1",
                                            version=V)["status"] == "Paused"
    with pytest.raises(RecordInvalid):
        platform.go_live_advertiser_campaign(admin, 1, "adv-1", "camp-1", {"timeout": 99},
                                             version=V)


def test_advertiser_users_upserted_when_keyed_by_id_from_network(
    platform: Platform, admin: Principal
) -> None:
    user = {"user": {"id_from_network": "u1", "first_name": "Ann", "last_name": "Lee",
                     "email_address": "ann@example.com"}}
    platform.create_advertiser_user(admin, 1, "adv-1", user, version=V)
    platform.update_advertiser_user(admin, 1, "adv-1", "u1",
                                    {"user": {"first_name": "Anne", "last_name": "Lee"}},
                                    version=V)
    users = platform.list_advertiser_users(admin, 1, "adv-1", version=V)
    assert [(u["id_from_network"], u["first_name"]) for u in users] == [("u1", "Anne")]
    with pytest.raises(RecordInvalid) as caught:
        platform.create_advertiser_user(admin, 1, "adv-1", {"user": {"id_from_network": "u2"}},
                                        version=V)
    assert caught.value.field_errors == {"users": [{
        "first_name": ["can't be blank"], "last_name": ["can't be blank"],
        "email_address": ["can't be blank"],
    }]}


def test_affiliate_ring_pool_credits_affiliate_when_allocating(
    platform: Platform, admin: Principal
) -> None:
    made = platform.create_affiliate_campaign_ring_pool(
        admin, 1, "adv-1", "camp-1", "aff-1", pool_body(id_from_network="rp-aff"), version=V
    )
    result = platform.allocate_number(made["id"], {"ring_pool_key": made["api_key"],
                                                   "gclid": "abc"})
    assert result.allocation.affiliate_id_from_network == "aff-1"
    with pytest.raises(RecordNotFound, match="and affiliate aff-1"):
        platform.get_affiliate_campaign_ring_pool(admin, 1, "adv-1", "camp-1", "aff-1", "zzz",
                                                  version=V)


def test_number_moves_when_put_names_a_destination(platform: Platform, admin: Principal) -> None:
    platform.create_advertiser_campaign(admin, 1, "adv-1", {"id_from_network": "camp-2",
                                                            "name": "Two"}, version=V)
    made = platform.create_promo_number_by_id(admin, 1, "adv-1", "camp-1",
                                              {**PROMO, "id_from_network": "mv"}, version=V)
    number = made["promo_number"]
    moved = platform.update_promo_number(admin, 1, "adv-1", "camp-1", number, {
        "destination_advertiser_id_from_network": "adv-1",
        "destination_advertiser_campaign_id_from_network": "camp-2",
    }, version=V)
    assert moved["promo_number"] == number
    assert platform.list_promo_numbers(admin, 1, "adv-1", "camp-1", version=V) == []
    assert platform.get_promo_number_by_id(admin, 1, "adv-1", "camp-2", "mv",
                                           version=V)["promo_number"] == number
    row = platform.simulate_call(number)
    assert row["advertiser_campaign_id_from_network"] == "camp-2"
    platform.update_promo_number_by_id(admin, 1, "adv-1", "camp-2", "mv", {
        "destination_advertiser_id_from_network": "adv-1",
        "destination_advertiser_campaign_id_from_network": "camp-1",
        "destination_affiliate_id_from_network": "aff-1",
    }, version=V)
    held = platform.list_affiliate_campaign_promo_numbers(admin, 1, "adv-1", "camp-1", "aff-1",
                                                          version=V)
    assert [p["promo_number"] for p in held] == [number]


def test_move_refused_when_destination_is_incomplete_or_missing(
    platform: Platform, admin: Principal
) -> None:
    number = platform.create_promo_number(admin, 1, "adv-1", "camp-1", PROMO,
                                          version=V)["promo_number"]
    with pytest.raises(RecordInvalid) as caught:
        platform.update_promo_number(admin, 1, "adv-1", "camp-1", number, {
            "destination_affiliate_id_from_network": "aff-1",
        }, version=V)
    assert caught.value.field_errors == {
        "destination_advertiser_id_from_network": ["can't be blank"],
        "destination_advertiser_campaign_id_from_network": ["can't be blank"],
    }
    with pytest.raises(RecordNotFound, match="Could not find AdvertiserCampaign nowhere"):
        platform.update_promo_number(admin, 1, "adv-1", "camp-1", number, {
            "destination_advertiser_id_from_network": "adv-1",
            "destination_advertiser_campaign_id_from_network": "nowhere",
        }, version=V)
    assert [p["promo_number"] for p in platform.list_promo_numbers(
        admin, 1, "adv-1", "camp-1", version=V)] == [number]


def test_taken_when_promo_numbers_post_reuses_an_id(platform: Platform, admin: Principal) -> None:
    platform.create_promo_number(admin, 1, "adv-1", "camp-1", {**PROMO, "id_from_network": "x"},
                                 version=V)
    with pytest.raises(RecordInvalid) as caught:
        platform.create_promo_number(admin, 1, "adv-1", "camp-1",
                                     {**PROMO, "id_from_network": "x"}, version=V)
    assert caught.value.field_errors == {"id_from_network": ["has already been taken"]}


def test_nested_user_errors_when_network_users_are_invalid(
    platform: Platform, admin: Principal
) -> None:
    good = {"id_from_network": "u1", "first_name": "Chris", "last_name": "Dean",
            "email_settings": [{"email_address": "chris@example.com",
                                "use_for_notifications": True}], "role": "Manager"}
    bad = {**good, "id_from_network": "u2",
           "email_settings": [{"email_address": "not-an-address"}]}
    with pytest.raises(RecordInvalid) as caught:
        platform.update_network(admin, 1, {"users": [good, bad]})
    assert caught.value.to_dict() == {
        "errors": {"users": [{}, {"email_settings": [{"email_address": ["is invalid"]}]}]}
    }
    assert platform.get_network(admin, 1)["users"] == []
    saved = platform.update_network(admin, 1, {"users": [good]})["users"]
    assert saved[0]["role"] == "Manager"
    assert saved[0]["notify_on_budgets"] is False
    assert saved[0]["can_login_via_platform"] is False
    assert platform.update_network(admin, 1, {"users": []})["users"] == []


def test_role_error_when_advertiser_user_role_unknown(
    platform: Platform, admin: Principal
) -> None:
    with pytest.raises(RecordInvalid) as caught:
        platform.create_advertiser(admin, 1, {
            "id_from_network": "adv-u", "name": "U",
            "users": [{"id_from_network": "x", "first_name": "A", "last_name": "B",
                       "email_address": "a@example.com", "role": "Boss"}],
        })
    assert caught.value.field_errors == {"users": [{"role": ["is not included in the list"]}]}


@pytest.mark.parametrize("body", [[], "text", None, 5])
def test_class_error_when_body_is_not_an_object(
    platform: Platform, admin: Principal, body: Any
) -> None:
    before = platform.export_state()
    for create in (
        lambda: platform.create_advertiser(admin, 1, body),
        lambda: platform.create_ring_pool(admin, 1, "adv-1", "camp-1", body),
        lambda: platform.create_promo_number(admin, 1, "adv-1", "camp-1", body),
        lambda: platform.create_affiliate_campaign(admin, 1, "adv-1", "camp-1", "aff-1", body),
    ):
        with pytest.raises(RecordInvalid, match="must be a JSON object"):
            create()
    after = platform.export_state()
    after.pop("replay")
    before.pop("replay")
    assert after == before


def test_site_ids_are_strings_when_sent_as_integers() -> None:
    assert validate_sites([{"id_from_network": 9403, "name": "www.example.com"}]) == [
        {"id_from_network": "9403", "name": "www.example.com"}
    ]


def test_sites_are_refused_with_nested_errors_when_a_site_is_not_an_object() -> None:
    with pytest.raises(RecordInvalid) as caught:
        validate_sites([{"id_from_network": "1"}, "oops"])
    assert caught.value.to_dict() == {"errors": {"sites": [{}, {"site": ["is invalid"]}]}}


def test_email_setting_flag_is_a_boolean_when_sent_as_a_string() -> None:
    values, problems = validate_user({
        "id_from_network": "u-1", "first_name": "Chris", "last_name": "Dean",
        "email_settings": [{"email_address": "chris@domain.com", "use_for_notifications": "true"},
                           {"email_address": "dean@domain.com", "use_for_notifications": "0"}],
    })
    assert problems == {}
    assert [s["use_for_notifications"] for s in values["email_settings"]] == [True, False]


def test_email_setting_flag_is_refused_when_not_a_boolean() -> None:
    _, problems = validate_user({
        "id_from_network": "u-1", "first_name": "Chris", "last_name": "Dean",
        "email_settings": [{"email_address": "chris@domain.com", "use_for_notifications": "maybe"}],
    })
    assert list(problems) == ["email_settings"]
    assert "use_for_notifications" in problems["email_settings"][0]
