"""Invoca Tags, their revisions and Destinations, through HTTP: the documented transitions,
the draft-only rule, the validation errors, and the pool -> destination link."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

V = "2022-08-01"


@pytest.fixture
def auth(world: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": world["api_token"]}


def tags(world: dict[str, Any]) -> str:
    return f"/api/{V}/networks/{world['network_id']}/js_tags"


def pools(world: dict[str, Any]) -> str:
    return (f"/api/{V}/{world['network_id']}/advertisers/{world['advertiser_id_from_network']}"
            f"/advertiser_campaigns/{world['advertiser_campaign_id_from_network']}/ring_pools")


def destinations(world: dict[str, Any]) -> str:
    return f"/api/{V}/{world['network_id']}/customer_phone_numbers"


def new_tag(sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str],
            name: str = "test for example.com") -> dict[str, Any]:
    created = sandbox.post(f"{tags(world)}.json", json={
        "name": name, "description": "An example", "landing_page_url": "https://example.com/"},
        headers=auth)
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def test_tag_is_live_with_revision_zero_and_a_draft_when_created(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    tag = new_tag(sandbox, world, auth)
    assert tag["status"] == "Live" and tag["active"] is True
    assert tag["live_revision"]["external_revision_id"] == 0
    assert tag["live_revision"]["is_live_revision"] is True
    assert tag["draft_revision"]["external_revision_id"] is None
    assert tag["draft_revision"]["is_draft_revision"] is True
    assert tag["live_revision"]["js_tag_id"] == tag["id"]
    listed = sandbox.get(f"{tags(world)}.json", headers=auth).get_json()
    assert listed["recordsTotal"] == 1 and listed["data"][0]["id"] == tag["id"]


def test_create_is_refused_when_the_name_is_taken(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    new_tag(sandbox, world, auth)
    again = sandbox.post(f"{tags(world)}.json", json={"name": "test for example.com"},
                         headers=auth)
    assert again.status_code == 403
    assert again.get_json() == {"errors": {"name": ["has already been taken"]}}
    assert sandbox.get(f"{tags(world)}.json", headers=auth).get_json()["recordsTotal"] == 1


def test_tag_is_404_with_the_docs_message_when_unknown(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    answer = sandbox.get(f"{tags(world)}/00548112.json", headers=auth)
    assert answer.status_code == 404
    assert answer.get_json() == {"errors": {
        "class": "RecordNotFound", "invalid_data": "Invoca Tag not found with id: '00548112'"}}


def test_cache_lifetime_days_is_refused_with_both_messages_when_not_an_option(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    tag = new_tag(sandbox, world, auth)
    answer = sandbox.post(f"{tags(world)}/{tag['id']}/revisions.json",
                          json={"cache_lifetime_days": 3000}, headers=auth)
    assert answer.status_code == 403
    assert answer.get_json() == {"errors": {"cache_lifetime_days": [
        "must be less than or equal to 30 days", "must be one of [1, 7, 14, 30]"]}}
    bad = sandbox.post(f"{tags(world)}/{tag['id']}/revisions.json",
                       json={"cache_lifetime_days": 3}, headers=auth)
    assert bad.get_json() == {"errors": {"cache_lifetime_days": ["must be one of [1, 7, 14, 30]"]}}


def test_published_revision_is_refused_when_updated_or_deleted(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    tag = new_tag(sandbox, world, auth)
    refused = {"errors": {"class": "RecordInvalid", "invalid_data":
                          "Validation failed: This action can only be applied to the draft "
                          "revision"}}
    put = sandbox.put(f"{tags(world)}/{tag['id']}/revisions/0.json", json={"auto_swap": True},
                      headers=auth)
    assert (put.status_code, put.get_json()) == (403, refused)
    deleted = sandbox.delete(f"{tags(world)}/{tag['id']}/revisions/0.json", headers=auth)
    assert (deleted.status_code, deleted.get_json()) == (403, refused)
    missing = sandbox.get(f"{tags(world)}/{tag['id']}/revisions/99999.json", headers=auth)
    assert missing.status_code == 404
    assert missing.get_json()["errors"]["invalid_data"] == \
        "Invoca Tag Revision not found with revision id: '99999'"


def test_pause_and_unpause_follow_the_documented_transitions(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    tag = new_tag(sandbox, world, auth)
    item = f"{tags(world)}/{tag['id']}"
    assert sandbox.post(f"{item}/unpause.json", headers=auth).status_code == 403
    paused = sandbox.post(f"{item}/pause.json", headers=auth).get_json()
    assert (paused["status"], paused["active"]) == ("Paused", False)
    assert paused["live_revision"]["message"] == "PAUSED"
    assert paused["live_revision"]["external_revision_id"] == 1
    assert sandbox.post(f"{item}/pause.json", headers=auth).status_code == 403
    assert sandbox.post(f"{item}/go_live.json", headers=auth).status_code == 403
    unpaused = sandbox.post(f"{item}/unpause.json", headers=auth).get_json()
    assert (unpaused["status"], unpaused["active"]) == ("Live", True)
    assert unpaused["live_revision"]["message"] == "Reverted from Revision 0"
    assert unpaused["live_revision"]["external_revision_id"] == 2


def test_tag_revision_flow_ends_in_the_pool_destinations_when_scripted(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    """Create a tag, draft and publish a revision, revert it, attach it to a ring pool, and
    read the pool's destinations."""
    tag = new_tag(sandbox, world, auth)
    item = f"{tags(world)}/{tag['id']}"
    drafted = sandbox.post(f"{item}/revisions.json", json={
        "cache_lifetime_days": 7, "auto_swap": True, "message": "seven days",
        "numbers_to_replace": [{"phone_number": "805-555-0177"}]}, headers=auth)
    assert drafted.status_code == 201, drafted.get_json()
    assert drafted.get_json()["is_draft_revision"] is True
    edited = sandbox.put(f"{item}/revisions/draft.json", json={"wait_for_in_seconds": 2},
                         headers=auth).get_json()
    assert (edited["cache_lifetime_days"], edited["wait_for_in_seconds"]) == (7, 2)
    live = sandbox.post(f"{item}/go_live.json", headers=auth).get_json()
    assert live["draft_revision"] is None
    assert live["live_revision"]["external_revision_id"] == 1
    assert live["live_revision"]["cache_lifetime_days"] == 7
    assert "cookieDays:          cacheLifetimeDays" in live["live_revision"]["body"]
    assert sandbox.post(f"{item}/go_live.json", headers=auth).status_code == 403
    reverted = sandbox.post(f"{item}/revert.json", json={"external_revision_id": 0},
                            headers=auth).get_json()
    assert reverted["draft_revision"]["message"] == "Reverted from Revision 0"
    assert reverted["draft_revision"]["cache_lifetime_days"] == 30
    assert reverted["live_revision"]["external_revision_id"] == 1
    back = sandbox.post(f"{item}/go_live.json", headers=auth).get_json()
    assert back["live_revision"]["external_revision_id"] == 2
    assert back["live_revision"]["cache_lifetime_days"] == 30
    history = sandbox.get(f"{item}/revisions.json", headers=auth).get_json()
    assert [r["external_revision_id"] for r in history["data"]] == [0, 1, 2]
    assert sandbox.get(f"{item}/revisions/1.json", headers=auth).get_json()["message"] == \
        "seven days"

    pool = sandbox.post(f"{pools(world)}.json", json={
        "id_from_network": "tagged", "name": "Tagged pool", "max_pool_size": 2,
        "destination_phone_number": "888-111-2222", "obfuscated_tag_id": tag["id"]},
        headers=auth)
    assert pool.status_code == 201, pool.get_json()
    assert pool.get_json()["customer_phone_numbers"] == [
        {"destination_phone_number": "8881112222", "js_tag": {"obfuscated_tag_id": tag["id"]}}]
    found = sandbox.get(f"{destinations(world)}.json?status=tracked", headers=auth).get_json()
    assert found["recordsTotal"] == 1
    tracked = found["data"][0]
    assert tracked["phone_number"] == "888-111-2222"
    assert tracked["primary_url"] == "https://example.com/"
    assert tracked["dynamic_number_pool"]["id_from_network"] == "tagged"
    assert tracked["advertiser_campaign"]["id_from_network"] == \
        world["advertiser_campaign_id_from_network"]
    discovered = sandbox.get(f"{destinations(world)}.json?status=discovered",
                             headers=auth).get_json()
    assert [d["phone_number"] for d in discovered["data"]] == ["805-555-0177"]
    one = sandbox.get(f"{destinations(world)}/{tracked['id']}.json", headers=auth)
    assert one.status_code == 200 and one.get_json() == tracked


def test_pool_destination_is_deleted_with_the_pool_when_asked(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    for key, number in (("p1", "8005551216"), ("p2", "8005551217")):
        sandbox.post(f"{pools(world)}.json", json={
            "id_from_network": key, "name": key, "max_pool_size": 1,
            "destination_phone_number": number}, headers=auth)
    assert sandbox.delete(f"{pools(world)}/p1.json?delete_detected_phone_number=true",
                          headers=auth).status_code == 200
    assert sandbox.delete(f"{pools(world)}/p2.json", headers=auth).status_code == 200
    left = sandbox.get(f"{destinations(world)}.json", headers=auth).get_json()
    assert [(d["phone_number"], d["dynamic_number_pool"]["id_from_network"])
            for d in left["data"]] == [("800-555-1217", None)]


def test_destinations_page_filter_and_sort_when_asked(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    for n in range(5):
        sandbox.post(f"{pools(world)}.json", json={
            "id_from_network": f"q{n}", "name": f"q{n}", "max_pool_size": 1,
            "destination_phone_number": f"800555120{n}"}, headers=auth)
    url = f"{destinations(world)}.json"
    page = sandbox.get(f"{url}?limit=2&start=1&sort_by=phone_number&sort_dir=desc",
                       headers=auth).get_json()
    assert page["recordsTotal"] == 5
    assert [d["phone_number"] for d in page["data"]] == ["800-555-1203", "800-555-1202"]
    searched = sandbox.get(f"{url}?query=1204", headers=auth).get_json()
    assert [d["phone_number"] for d in searched["data"]] == ["800-555-1204"]
    one = searched["data"][0]["id"]
    assert sandbox.delete(f"{destinations(world)}/{one}.json", headers=auth).status_code == 200
    assert sandbox.get(f"{destinations(world)}/{one}.json", headers=auth).status_code == 404
    pool = sandbox.get(f"{pools(world)}/q4.json", headers=auth).get_json()
    assert pool["customer_phone_numbers"] == []
    assert sandbox.get(f"{url}?status=nope", headers=auth).status_code == 403


def test_tags_and_destinations_are_the_same_when_the_state_is_imported(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    tag = new_tag(sandbox, world, auth)
    item = f"{tags(world)}/{tag['id']}"
    sandbox.post(f"{item}/revisions.json", json={"cache_lifetime_days": 1,
                                                 "numbers_to_replace": [
                                                     {"phone_number": "8055550199"}]},
                 headers=auth)
    sandbox.post(f"{item}/go_live.json", headers=auth)
    sandbox.post(f"{item}/pause.json", headers=auth)
    sandbox.post(f"{pools(world)}.json", json={
        "id_from_network": "kept", "name": "kept", "max_pool_size": 1,
        "destination_phone_number": "8005551299", "obfuscated_tag_id": tag["id"]}, headers=auth)
    before = (sandbox.get(f"{item}.json", headers=auth).get_json(),
              sandbox.get(f"{destinations(world)}.json", headers=auth).get_json())
    state = sandbox.get("/_sandbox/state").get_json()
    sandbox.post("/_sandbox/reset")
    assert sandbox.get(f"{item}.json", headers=auth).status_code == 404
    assert sandbox.put("/_sandbox/state", json=state).status_code == 200
    after = (sandbox.get(f"{item}.json", headers=auth).get_json(),
             sandbox.get(f"{destinations(world)}.json", headers=auth).get_json())
    assert after == before


def test_tag_routes_are_404_when_the_version_predates_them(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    old = sandbox.get(f"/api/2018-11-01/networks/{world['network_id']}/js_tags.json",
                      headers=auth)
    assert old.status_code == 404
    listed = sandbox.get(f"/api/2019-05-01/{world['network_id']}/customer_phone_numbers.json",
                         headers=auth)
    assert listed.status_code == 200


def test_revert_is_refused_and_changes_nothing_when_the_revision_is_unknown_or_missing(
        sandbox: FlaskClient, world: dict[str, Any], auth: dict[str, str]) -> None:
    tag = new_tag(sandbox, world, auth)
    item = f"{tags(world)}/{tag['id']}"
    before = sandbox.get(f"{item}.json", headers=auth).get_json()
    unknown = sandbox.post(f"{item}/revert.json", json={"external_revision_id": 7},
                           headers=auth)
    assert unknown.status_code == 404
    assert unknown.get_json()["errors"]["invalid_data"] == \
        "Invoca Tag Revision not found with revision id: '7'"
    blank = sandbox.post(f"{item}/revert.json", json={}, headers=auth)
    assert blank.status_code == 403
    assert blank.get_json() == {"errors": {"external_revision_id": ["can't be blank"]}}
    assert sandbox.get(f"{item}.json", headers=auth).get_json() == before


def test_tags_are_401_when_the_token_is_not_the_networks(
        sandbox: FlaskClient, world: dict[str, Any]) -> None:
    answer = sandbox.get(f"{tags(world)}.json", headers={"Authorization": "not-a-token"})
    assert answer.status_code == 401
