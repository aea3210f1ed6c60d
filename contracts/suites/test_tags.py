"""Suite 8, Invoca Tags and Destinations: the stateful links tag -> revision -> go_live and
RingPool -> Destination, and the documented refusals.

A tag is created (``POST js_tags.json``: Live, with a live revision and a draft), a revision is
drafted under it (``POST revisions.json``, 201), the draft goes live (``go_live``: published as
the next ``external_revision_id``, no draft left) and is read back by that id; a published
revision is refused an update and a delete (403, "This action can only be applied to the draft
revision"), a ``cache_lifetime_days`` outside [1, 7, 14, 30] is refused with the docs' two
messages, a tag name already taken is refused (403), an unknown tag is 404. A RingPool given a
``destination_phone_number`` and the tag's id as ``obfuscated_tag_id`` has that Destination in
its ``customer_phone_numbers``, and the network's Destinations list it (tracked), readable by
its id. Every answer must match the contract's schema of its status.
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
import requests

from contracts.errors import Request, operation_label
from contracts.probe import Probe as BaseProbe
from contracts.report import Report
from contracts.target import Target

#: the version of the Invoca Tag and Destination documents
VERSION = "2022-08-01"
DRAFT_ONLY = "Validation failed: This action can only be applied to the draft revision"
_ids = itertools.count(1)


class Probe(BaseProbe):
    """Sends the suite's requests and turns departures into recorded failures."""

    CHECK = "tags"
    SUITE = "tags"

    def send(self, method: str, path: str, operation_id: str, body: Any = None,
             params: dict[str, str] | None = None) -> requests.Response:
        self.report.record_case(operation_label(self.document, operation_id))
        request = Request(method, path, headers=self.target.auth_headers(), json_body=body,
                          params=params or {})
        response = request.send(self.target)
        response.request_curl = request.curl(self.target)  # type: ignore[attr-defined]
        self.expect(self.conforms(response, operation_id),
                    f"{operation_id} {response.status_code}: the body does not match the "
                    "contract", response, operation_id)
        return response


def _tags(target: Target, rest: str = "") -> str:
    return f"/api/{VERSION}/networks/{target.network_id}/js_tags{rest}"


def _unique(target: Target, what: str) -> str:
    return f"contract {what} {(target.now() or '').replace(':', '')}-{next(_ids)}"


def _new_tag(probe: Probe) -> dict[str, Any]:
    name = _unique(probe.target, "tag")
    created = probe.send("POST", _tags(probe.target, ".json"), "createJsTag",
                         {"name": name, "landing_page_url": "https://example.com/contract"})
    if created.status_code != 201:
        probe.expect(False, f"creating a tag answered {created.status_code}, documented 201",
                     created, "createJsTag")
        probe.finish()
    tag: dict[str, Any] = created.json()
    return tag


@pytest.mark.changes_state
def test_revision_goes_live_when_drafted_and_published(
        contract_target: Target, contract_schema: Any, contract_report: Report) -> None:
    if contract_target.network_id is None:
        pytest.skip("the target names no network")
    probe = Probe(contract_target, contract_report, contract_schema.raw_schema)
    tag = _new_tag(probe)
    item = _tags(contract_target, f"/{tag['id']}")
    live_before = (tag.get("live_revision") or {}).get("external_revision_id")
    drafted = probe.send("POST", f"{item}/revisions.json", "createTagRevision",
                         {"cache_lifetime_days": 14, "message": "contract draft"})
    probe.expect(drafted.status_code == 201, f"a new revision answered {drafted.status_code}, "
                 "documented 201", drafted, "createTagRevision")
    probe.expect(drafted.status_code != 201 or drafted.json().get("is_draft_revision") is True,
                 "the new revision is not the draft", drafted, "createTagRevision")
    live = probe.send("POST", f"{item}/go_live.json", "goLiveJsTag")
    probe.expect(live.status_code == 200, f"go_live answered {live.status_code}, documented 200",
                 live, "goLiveJsTag")
    if live.status_code == 200:
        body = live.json()
        published = (body.get("live_revision") or {})
        probe.expect(published.get("cache_lifetime_days") == 14
                     and published.get("message") == "contract draft",
                     "the live revision is not the draft that went live", live, "goLiveJsTag")
        probe.expect(body.get("draft_revision") is None, "a draft is left after go_live", live,
                     "goLiveJsTag")
        number = published.get("external_revision_id")
        probe.expect(isinstance(number, int) and number != live_before,
                     "the live revision has no new external_revision_id", live, "goLiveJsTag")
        read = probe.send("GET", f"{item}/revisions/{number}.json", "getTagRevision")
        probe.expect(read.status_code == 200 and read.json().get("is_live_revision") is True,
                     f"the published revision {number} reads {read.status_code}, not live",
                     read, "getTagRevision")
        for method, operation in (("PUT", "updateTagRevision"), ("DELETE", "deleteTagRevision")):
            refused = probe.send(method, f"{item}/revisions/{number}.json", operation,
                                 {"auto_swap": True} if method == "PUT" else None)
            probe.expect(refused.status_code == 403 and refused.json().get("errors", {}).get(
                "invalid_data") == DRAFT_ONLY, f"{method} of a published revision answered "
                f"{refused.status_code}, documented 403 (draft only)", refused, operation)
    bad = probe.send("POST", f"{item}/revisions.json", "createTagRevision",
                     {"cache_lifetime_days": 3000})
    probe.expect(bad.status_code == 403 and bad.json() == {"errors": {"cache_lifetime_days": [
        "must be less than or equal to 30 days", "must be one of [1, 7, 14, 30]"]}},
        f"cache_lifetime_days 3000 answered {bad.status_code}, documented 403 with two "
        "messages", bad, "createTagRevision")
    taken = probe.send("POST", _tags(contract_target, ".json"), "createJsTag",
                       {"name": tag["name"]})
    probe.expect(taken.status_code == 403 and taken.json() == {"errors": {"name": [
        "has already been taken"]}}, f"a taken name answered {taken.status_code}, documented "
        "403", taken, "createJsTag")
    missing = probe.send("GET", _tags(contract_target, "/00548112.json"), "getJsTag")
    probe.expect(missing.status_code == 404, f"an unknown tag answered {missing.status_code}, "
                 "documented 404", missing, "getJsTag")
    probe.send("DELETE", f"{item}.json", "deleteJsTag")
    probe.finish()


@pytest.mark.changes_state
def test_destination_is_listed_when_a_ring_pool_names_it(
        contract_target: Target, contract_schema: Any, contract_report: Report) -> None:
    world = contract_target.world
    advertiser = world.get("advertiser_id_from_network")
    campaign = world.get("advertiser_campaign_id_from_network")
    if not advertiser or not campaign or contract_target.network_id is None:
        pytest.skip("the target names no advertiser campaign to hold a RingPool")
    probe = Probe(contract_target, contract_report, contract_schema.raw_schema)
    tag = _new_tag(probe)
    pool_id = f"contract-destination-{next(_ids)}"
    number = "2025550142"
    pools = (f"/api/{VERSION}/{contract_target.network_id}/advertisers/{advertiser}/"
             f"advertiser_campaigns/{campaign}/ring_pools")
    pool = probe.send("POST", f"{pools}.json", "createRingPool", {
        "id_from_network": pool_id, "name": "Contract destination pool", "max_pool_size": 1,
        "destination_phone_number": number, "obfuscated_tag_id": tag["id"]})
    probe.expect(pool.status_code == 201, f"the RingPool answered {pool.status_code}", pool,
                 "createRingPool")
    if pool.status_code == 201:
        linked = pool.json().get("customer_phone_numbers") or []
        probe.expect({"destination_phone_number": number,
                      "js_tag": {"obfuscated_tag_id": tag["id"]}} in linked,
                     "the RingPool does not list its Destination", pool, "createRingPool")
    listing = f"/api/{VERSION}/{contract_target.network_id}/customer_phone_numbers"
    found = probe.send("GET", f"{listing}.json", "listCustomerPhoneNumbers",
                       params={"query": number, "status": "tracked"})
    rows = found.json().get("data") or [] if found.status_code == 200 else []
    mine = [row for row in rows
            if (row.get("dynamic_number_pool") or {}).get("id_from_network") == pool_id]
    probe.expect(len(mine) == 1, f"the Destinations list {len(mine)} rows of the RingPool, "
                 "expected 1 (tracked)", found, "listCustomerPhoneNumbers")
    if mine:
        one = probe.send("GET", f"{listing}/{mine[0]['id']}.json", "getCustomerPhoneNumber")
        probe.expect(one.status_code == 200 and one.json() == mine[0],
                     "the Destination read by its id is not the listed one", one,
                     "getCustomerPhoneNumber")
    gone = probe.send("DELETE", f"{pools}/{pool_id}.json", "deleteRingPool",
                      params={"delete_detected_phone_number": "true"})
    probe.expect(gone.status_code == 200, f"deleting the RingPool answered {gone.status_code}",
                 gone, "deleteRingPool")
    if mine:
        after = probe.send("GET", f"{listing}/{mine[0]['id']}.json", "getCustomerPhoneNumber")
        probe.expect(after.status_code == 404, "the Destination outlived its RingPool deleted "
                     "with delete_detected_phone_number=true", after, "getCustomerPhoneNumber")
    probe.send("DELETE", _tags(contract_target, f"/{tag['id']}.json"), "deleteJsTag")
    probe.finish()
