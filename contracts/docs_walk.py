"""Suite 5, Invoca's documented examples: every example request of the documents, sent as written.

The examples come from ``openapi/docs_examples.json`` (:mod:`openapi.docs_examples`). Each is
sent to the target and must be answered with the documented status (when the page states none,
either success of the design principles: 200 or 201) and a body of the documented shape
(:mod:`contracts.docs_shapes`). This module prepares the requests.

To send an example as written, the walk

* fills what belongs to the target: the network id, the legacy and Bulk RingPool ids and keys,
  the advertiser's and affiliate's Invoca ids (Transactions, Conversion Reporting), the token
  wherever the example carries one (``oauth_token`` in the query or body, ``<YOUR OAUTH TOKEN>``,
  an ``Authorization`` header), Basic credentials for ``curl -u``;
* fills placeholders (``<advertiser_id_from_network>``...) with the objects of the target's
  world (:data:`OWN_OBJECTS` where it has none), or with objects it creates (a promo number, a
  user, a call for a transaction id);
* creates the objects a documented id names when the target lacks them (:data:`PREREQUISITES`:
  advertiser ``cFUyYnFHy``, affiliate ``222``, campaign ``100`` of advertiser ``2``...), with
  the branch's documented create of that object when there is one, except the object the
  example itself creates (:data:`CREATES_OWN`) and the one a documented 404 must not find;
  a documented non-empty list gets a member (:data:`LIST_MEMBERS`); a promo number move gets
  its destination (:data:`BODY_REFERENCES`); a Signal update gets the signal it corrects;
* makes a Call Ingestion example's campaign an ExternalOnly campaign of the world's advertiser,
  and its placeholder recording URL a URL;
* makes the call a Signal, Transactions, Conversion Reporting or Call API example reads or
  reports on, at the documented start time, from the documented caller (``POST
  /_sandbox/calls``: the ``calls`` capability; without it the example is skipped with the
  reason); a Calls In Progress example gets a call in progress (with phases) from the documented
  caller to the documented destination, its transaction id, and the documented external unique
  id set on it first through the API's update;
* names a RingPool's own allocation parameters (``site``, ``m1``) with the generic ``param1``..
  the RingPool page allows.

Examples run page by page in document order (a page's examples may build on each other, as the
Signal API's idempotency sequence does); the target is reset before each page when it can be.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode

import requests

from contracts.errors import NETWORK_VERSION, Request
from contracts.target import Target, TargetError
from openapi import docs_examples as docs

#: the token the documents use in their examples (any of them is the target's token)
DOCUMENTED_TOKENS = ("<YOUR OAUTH TOKEN>", "YbcFH", "YbcFHZ38FNfptfZMB0RZ6dk9dOJCaCfU")

#: query parameters filled from the target: name -> what fills it
QUERY_FILLS = {"oauth_token": "token", "ring_pool_key": "ring_pool_key",
               "start_after_transaction_id": "transaction_id"}

#: query parameters every RingPool allocation understands (RingPool page, "API Parameters");
#: other names are a pool's own parameter names
ALLOCATION_PARAMETERS = frozenset({
    "ring_pool_key", *(f"param{n}" for n in range(1, 11)), "search_engine", "search_keywords",
    "search_keyword_id", "landing_page", "referrer", "mobile_click_to_call"})

#: the version of the Invoca Tags and Destinations the walk makes (their first documents)
TAGS_VERSION = "2022-08-01"

#: a documented placeholder: ``<advertiser_id_from_network>``, ``:advertiser_id``, ``<KEY>``
_PLACEHOLDER = re.compile(r"^(?:<[^>]+>|:\w+)$")


# ----------------------------------------------------------------------------- prerequisites


#: what the walk creates when a documented id names an object the target lacks: kind ->
#: (its item path, the path it is created at, a minimal body), paths under
#: /api/<version>/<network_id>/; ``{a}`` advertiser, ``{c}`` campaign, ``{id}`` the object's id
PREREQUISITES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "advertiser": ("advertisers/{id}.json", "advertisers.json",
                   {"id_from_network": "{id}", "name": "Docs advertiser {id}"}),
    "campaign": ("advertisers/{a}/advertiser_campaigns/{id}.json",
                 "advertisers/{a}/advertiser_campaigns.json",
                 {"id_from_network": "{id}", "name": "Docs campaign {id}"}),
    "external_campaign": ("advertisers/{a}/advertiser_campaigns/{id}.json",
                          "advertisers/{a}/advertiser_campaigns.json",
                          {"id_from_network": "{id}", "name": "Docs external campaign {id}",
                           "campaign_type": "ExternalOnly"}),
    "affiliate": ("affiliates/{id}.json", "affiliates.json",
                  {"id_from_network": "{id}", "name": "Docs affiliate {id}"}),
    "relationship": ("advertisers/{a}/affiliates/{id}.json", "advertisers/{a}/affiliates/{id}.json",
                     {"status": "Approved"}),
    "affiliate_campaign": (
        "advertisers/{a}/advertiser_campaigns/{c}/affiliates/{id}/affiliate_campaigns.json",
        "advertisers/{a}/advertiser_campaigns/{c}/affiliates/{id}/affiliate_campaigns.json",
        {"status": "Applied"}),
    "user": ("advertisers/{a}/users/{id}.json", "advertisers/{a}/users.json",
             {"user": {"id_from_network": "{id}", "first_name": "Docs", "last_name": "User",
                       "email_address": "docs-{id}@example.com", "role": "Manager"}}),
    "ring_pool": ("advertisers/{a}/advertiser_campaigns/{c}/ring_pools/{id}.json",
                  "advertisers/{a}/advertiser_campaigns/{c}/ring_pools.json",
                  {"id_from_network": "{id}", "name": "Docs ring pool {id}", "pool_type": "Custom",
                   "destination_type": "Advertiser", "max_pool_size": 2}),
}

#: update operations whose example corrects a signal: it is reported first (name and
#: partner_unique_id only), so that the update changes it
UPDATES_OF = frozenset({"updateSignal", "updateTransactionSignal"})

#: the body of the promo numbers the walk creates (required: description, media_type)
PROMO_NUMBER = {"description": "Docs promo number", "media_type": "Online: Display"}

#: operations that create the object named by their own path (it is not created beforehand)
CREATES_OWN: dict[str, str] = {
    "createAdvertiserWithId": "advertiser",
    "createAdvertiserAffiliate": "relationship",
    "createAffiliateCampaign": "affiliate_campaign",
}

#: the kind of object the last parameter of a path names (not created for a documented 404)
LEAF_KINDS = {
    "advertiser_id_from_network": "advertiser", "advertiser_campaign_id_from_network": "campaign",
    "affiliate_id_from_network": "affiliate", "user_id_from_network": "user",
    "ring_pool_id_from_network": "ring_pool",
}

#: list operations and the kind of their members: when the documented list is not empty, the
#: walk makes sure the answer is not empty either (else any answer has the shape of [])
LIST_MEMBERS = {
    "listAdvertiser": "advertiser", "listAffiliate": "affiliate",
    "listAdvertiserCampaign": "campaign", "listAdvertiserAffiliate": "relationship",
    "listAdvertiserUser": "user", "listRingPool": "ring_pool",
    "listPromoNumber": "promo_number", "listAffiliateCampaignPromoNumber": "promo_number",
    "listPromoNumberById": "promo_number_by_id",
    "listAffiliateCampaignPromoNumberById": "promo_number_by_id",
}

#: body properties that name other objects (promo number moves): property -> (kind, the
#: properties naming its parents)
BODY_REFERENCES = {
    "destination_advertiser_id_from_network": ("advertiser", {}),
    "destination_advertiser_campaign_id_from_network": (
        "campaign", {"a": "destination_advertiser_id_from_network"}),
    "destination_affiliate_id_from_network": ("affiliate", {}),
}

#: placeholder path parameters filled with the world's objects (``GET /_sandbox/world`` has
#: the same keys), or with the walk's own where the target has no world (a real network)
OWN_OBJECTS = {"advertiser_id_from_network": "docs-advertiser",
               "advertiser_campaign_id_from_network": "docs-campaign",
               "affiliate_id_from_network": "docs-affiliate"}

#: what a walk creates for placeholders the world has no object for
CREATED_IDS = {"user_id_from_network": "docs-user", "promo_number_id_from_network": "docs-pn",
               "ring_pool_id_from_network": "docs-ring-pool"}


class WalkError(Exception):
    """The walk could not prepare an example (a prerequisite was refused)."""


class WalkSkip(WalkError):
    """The target lacks what an example needs (a capability, a RingPool): skipped, not failed."""


def _fill(template: Any, values: Mapping[str, str]) -> Any:
    if isinstance(template, str):
        return template.format(**values)
    if isinstance(template, dict):
        return {key: _fill(value, values) for key, value in template.items()}
    return template


@dataclass
class Walk:
    """Prepares and checks the examples of one run against one target."""

    target: Target
    #: (branch, kind, id) -> (version, body) of the documented create of that object
    creates: Mapping[tuple[str, str, str], tuple[str, Any]] = field(default_factory=dict)
    #: per page: promo number and call made for it, ids learned from the target
    page: dict[str, Any] = field(default_factory=dict)
    current_page: str | None = None
    branch: str = ""

    # --------------------------------------------------------------- pages

    def start_page(self, key: str) -> None:
        """Reset the target (when it can be) before the first example of a page."""
        if key == self.current_page:
            return
        self.current_page = key
        self.branch = key.split("/", 1)[0]
        self.page = {}
        if self.target.has("reset") and not self.target.read_only:
            self.target.reset()

    # --------------------------------------------------------------- HTTP

    def _network(self, rest: str, version: str = NETWORK_VERSION) -> str:
        return f"/api/{version}/{self.target.network_id}/{rest}"

    def _send(self, method: str, path: str, body: Any = None) -> requests.Response:
        return self.target.request(method, path, headers=self.target.auth_headers(),
                                   json=body)

    def ensure(self, kind: str, ids: Mapping[str, str]) -> None:
        """Create the ``kind`` object named by ``ids`` unless the target has it already.

        With the page's own documented create of that object when its branch has one (so that
        a documented read has the documented users, sites, terms to compare), else (or when
        the target refuses that one) with the minimal body of :data:`PREREQUISITES`.
        """
        item, collection, body = PREREQUISITES[kind]
        if self._send("GET", self._network(item.format(**ids))).status_code == 200:
            return
        documented = self.creates.get((self.branch, kind, ids["id"]))
        if documented is not None:
            version, written = documented
            created = self._send("POST", self._network(collection.format(**ids), version),
                                 self._tokens(written))
            if created.status_code < 300:
                return
        created = self._send("POST", self._network(collection.format(**ids)), _fill(body, ids))
        if created.status_code >= 300:
            raise WalkError(f"creating {kind} {dict(ids)} answered {created.status_code}: "
                            f"{created.text[:200]}")

    def _world(self, key: str) -> str:
        """The world's object (a sandbox), or the walk's own (created on demand elsewhere)."""
        value = self.target.world.get(key)
        return str(value if value is not None else OWN_OBJECTS[key])

    def _internal_id(self, kind: str) -> str:
        """The Invoca id of the world's advertiser or affiliate (read from Network Integration)."""
        cache = f"id:{kind}"
        if cache not in self.page:
            ident = self._world(f"{kind}_id_from_network")
            self.ensure(kind, {"id": ident})
            path = f"{kind}s/{ident}.json"
            answer = self._send("GET", self._network(path))
            if answer.status_code != 200:
                raise WalkError(f"reading the world's {kind} answered {answer.status_code}")
            self.page[cache] = str(answer.json()["id"])
        return str(self.page[cache])

    def promo_number(self) -> str:
        """A promo number of the world's campaign, created once per page."""
        if "promo_number" not in self.page:
            a = self._world("advertiser_id_from_network")
            c = self._world("advertiser_campaign_id_from_network")
            self.ensure("advertiser", {"id": a})
            self.ensure("campaign", {"a": a, "id": c})
            answer = self._send("POST", self._network(
                f"advertisers/{a}/advertiser_campaigns/{c}/promo_numbers.json"), PROMO_NUMBER)
            if answer.status_code >= 300:
                raise WalkError(f"creating a promo number answered {answer.status_code}")
            self.page["promo_number"] = str(answer.json()["promo_number"])
        return str(self.page["promo_number"])

    def call(self, start: datetime | None = None, caller: str | None = None,
             duration: int = 60) -> dict[str, Any]:
        """A call to the page's promo number (``POST /_sandbox/calls``), made once per key."""
        key = f"call:{start}:{caller}:{duration}"
        if key not in self.page:
            if not self.target.has("calls"):
                raise WalkSkip(self.target.missing_reason("calls"))
            body: dict[str, Any] = {"promo_number": self.promo_number(),
                                    "duration_seconds": duration}
            if start is not None:
                body["start_time"] = start.isoformat().replace("+00:00", "Z")
            if caller is not None:
                body["calling_phone_number"] = caller
            try:
                self.page[key] = self.target.control("calls", body)
            except TargetError as exc:
                raise WalkError(f"making the example's call: {exc}") from None
            self.page.setdefault("first_call", self.page[key])
        return dict(self.page[key])

    def live_call(self, caller: str | None = None, destination: str | None = None
                  ) -> dict[str, Any]:
        """A call in progress to the page's promo number (``POST /_sandbox/calls`` with phases:
        transferred at once, talking for :data:`LIVE_SECONDS`), made once per caller and
        destination."""
        key = f"live:{caller}:{destination}"
        if key not in self.page:
            if not self.target.has("calls"):
                raise WalkSkip(self.target.missing_reason("calls"))
            body: dict[str, Any] = {"promo_number": self.promo_number(), "ring_seconds": 0,
                                    "talk_seconds": LIVE_SECONDS}
            if caller is not None:
                body["calling_phone_number"] = caller
            if destination is not None:
                body["destination_phone_number"] = destination
            try:
                self.page[key] = self.target.control("calls", body)
            except TargetError as exc:
                raise WalkError(f"making the example's live call: {exc}") from None
        return dict(self.page[key])

    def calls_in_progress_query(self, pairs: Sequence[tuple[str, str]], version: str
                                ) -> list[tuple[str, str]]:
        """A Calls In Progress query on the target's network and a live call: the documented
        transaction id is the live call's, the documented phone numbers are the live call's,
        and a documented external unique id is first set on it (through the API's update, as
        the page says: "must be set by using the Update function")."""
        given = dict(pairs)
        caller = given.get("calling_phone_number")
        destination = given.get("destination_phone_number")
        call = self.live_call(caller_number(caller) if caller else None, destination or None)
        filled: list[tuple[str, str]] = []
        for name, written in pairs:
            value = written
            if name == "id":
                value = str(self.target.network_id)
            elif name == "organization_type":
                value = "Network"
            elif name == "transaction_id":
                value = str(call["transaction_id"])
            elif name == "external_unique_id":
                self._external_id(call, written, version)
            filled.append((name, value))
        return filled

    def _external_id(self, call: Mapping[str, Any], value: str, version: str) -> None:
        key = f"external:{call['transaction_id']}:{value}"
        if key in self.page:
            return
        query = urlencode({"id": self.target.network_id, "organization_type": "Network",
                           "transaction_id": call["transaction_id"]})
        answer = self._send("PUT", f"/api/{version}/calls_in_progress.json?{query}",
                            {"call_in_progress": {"external_unique_id": value}})
        if answer.status_code >= 300:
            raise WalkError(f"setting the external unique id answered {answer.status_code}: "
                            f"{answer.text[:200]}")
        self.page[key] = True

    def transaction_id(self) -> str:
        """The transaction id of the page's call (the first one made, or a new one)."""
        call = self.page.get("first_call") or self.call()
        return str(call["transaction_id"])

    # --------------------------------------------------------------- building a request

    def path(self, example: Mapping[str, Any], match: docs.Match) -> str:
        """The example's path with the target's values and ensured objects."""
        assert match.path is not None
        values: dict[str, str] = {}
        for name, written in match.parameters.items():  # in path order: parents first
            values[name] = self._parameter(name, written, values)
        self._tag_parameters(match, values, example)
        self._prerequisites(match, values, example)
        return re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], match.path)

    def _parameter(self, name: str, written: str, values: Mapping[str, str]) -> str:
        """The value of one path parameter: the target's, the world's, created, or as written."""
        if name in ("version", "format"):
            return written
        if name == "network_id":
            return str(self.target.network_id)
        if name == "ring_pool_id":
            if self.target.ring_pool is None:
                raise WalkSkip("the target has no legacy RingPool (--ring-pool ID:KEY)")
            return str(self.target.ring_pool.id)
        if name in ("conversion_reporting_id", "advertiser_id"):
            return self._internal_id("advertiser")
        if name == "affiliate_id":
            return self._internal_id("affiliate")
        if name == "transaction_id":
            return self.transaction_id()
        if name == "email" and _PLACEHOLDER.match(written):
            return "docs-user%40example.com"
        if name == "call_record_id":
            return str(self.call()["complete_call_id"])
        if not _PLACEHOLDER.match(written):
            return written
        if name in OWN_OBJECTS:
            return self._world(name)
        if name == "ring_pool_id_from_network" and self._world_campaign(values):
            pool = self.target.world.get("ring_pool") or {}
            return str(pool.get("id_from_network") or CREATED_IDS[name])
        if name == "promo_number":
            return self._created_promo_number(values)
        return CREATED_IDS.get(name, written.strip("<>:"))

    # --------------------------------------------------------------- Invoca Tags, Destinations

    def js_tag(self) -> str:
        """An Invoca Tag of the target's network, created once per page."""
        if "js_tag" not in self.page:
            answer = self._send("POST", self._tags_path("js_tags.json"),
                                {"name": f"Docs tag {len(self.page)}",
                                 "landing_page_url": "https://example.com/"})
            if answer.status_code >= 300:
                raise WalkError(f"creating an Invoca Tag answered {answer.status_code}: "
                                f"{answer.text[:200]}")
            self.page["js_tag"] = str(answer.json()["id"])
        return str(self.page["js_tag"])

    def _tags_path(self, rest: str) -> str:
        return f"/api/{TAGS_VERSION}/networks/{self.target.network_id}/{rest}"

    def published_revision(self, tag: str, number: int) -> None:
        """Tag ``tag`` has a published revision ``number`` (drafts published until it has)."""
        for _ in range(number + 1):
            found = self._send("GET", self._tags_path(f"js_tags/{tag}/revisions/{number}.json"))
            if found.status_code == 200:
                return
            self._send("POST", self._tags_path(f"js_tags/{tag}/revisions.json"), {})
            live = self._send("POST", self._tags_path(f"js_tags/{tag}/go_live.json"))
            if live.status_code >= 300:
                raise WalkError(f"publishing a revision answered {live.status_code}: "
                                f"{live.text[:200]}")

    def destination(self) -> str:
        """A Destination of the target's network (a RingPool of the world's campaign given a
        destination_phone_number), once per page."""
        if "destination" not in self.page:
            a = self._world("advertiser_id_from_network")
            c = self._world("advertiser_campaign_id_from_network")
            self.ensure("advertiser", {"id": a})
            self.ensure("campaign", {"a": a, "id": c})
            pool = self._send("POST", self._network(
                f"advertisers/{a}/advertiser_campaigns/{c}/ring_pools.json", TAGS_VERSION),
                {"id_from_network": "docs-destination", "name": "Docs destination pool",
                 "max_pool_size": 1, "destination_phone_number": "202-555-0001"})
            listed = self._send("GET", self._network("customer_phone_numbers.json",
                                                     TAGS_VERSION))
            data = listed.json().get("data") if listed.status_code == 200 else None
            if pool.status_code >= 300 or not data:
                raise WalkError(f"making a Destination answered {pool.status_code}: "
                                f"{pool.text[:200]}")
            self.page["destination"] = str(data[0]["id"])
        return str(self.page["destination"])

    def _tag_parameters(self, match: docs.Match, values: dict[str, str],
                        example: Mapping[str, Any]) -> None:
        """A tag for ``<js_tag_id>``, a published revision or the draft for
        ``<external_revision_id>`` (``99999`` for a documented 404), a Destination for
        ``<customer_phone_number_id>`` (the placeholder itself for a documented 404)."""
        written = match.parameters
        missing = example.get("status") == 404
        last = list(written)[-1] if written else None
        tag = written.get("js_tag_id")
        if tag is not None and _PLACEHOLDER.match(tag) and not (missing and last == "js_tag_id"):
            values["js_tag_id"] = self.js_tag()
        revision = written.get("external_revision_id")
        if revision is not None and "js_tag_id" in values:
            if _PLACEHOLDER.match(revision):
                values["external_revision_id"] = "99999" if missing else "0"
            elif revision.isdigit() and not missing:
                self.published_revision(values["js_tag_id"], int(revision))
        operation = match.operation.operation_id if match.operation else ""
        if operation == "revertJsTag" and "js_tag_id" in values:
            wanted = ((example.get("request") or {}).get("body") or {}).get(
                "external_revision_id")
            if isinstance(wanted, int):
                self.published_revision(values["js_tag_id"], wanted)
        if operation == "unpauseJsTag" and "js_tag_id" in values:
            self._send("POST", self._tags_path(f"js_tags/{values['js_tag_id']}/pause.json"))
        if operation == "createJsTag" and example.get("status") == 403:
            # the documented refusal: the name is taken (by the same create, sent first)
            body = (example.get("request") or {}).get("body")
            self._send("POST", self._tags_path("js_tags.json"), body)
        number = written.get("customer_phone_number_id")
        if number is not None and _PLACEHOLDER.match(number) and not missing:
            values["customer_phone_number_id"] = self.destination()
        if operation == "listCustomerPhoneNumbers":
            self.destination()
        if operation == "listJsTags":
            self.js_tag()

    def _world_campaign(self, values: Mapping[str, str]) -> bool:
        return (values.get("advertiser_id_from_network")
                == self.target.world.get("advertiser_id_from_network")
                and values.get("advertiser_campaign_id_from_network")
                == self.target.world.get("advertiser_campaign_id_from_network"))

    def _created_promo_number(self, values: Mapping[str, str]) -> str:
        """A new promo number of the (affiliate) campaign the path names."""
        rest = (f"advertisers/{values['advertiser_id_from_network']}/advertiser_campaigns/"
                f"{values['advertiser_campaign_id_from_network']}")
        if "affiliate_id_from_network" in values:
            self._ensure_affiliate_campaign(values)
            rest += f"/affiliates/{values['affiliate_id_from_network']}/affiliate_campaigns"
        answer = self._send("POST", self._network(f"{rest}/promo_numbers.json"), PROMO_NUMBER)
        if answer.status_code >= 300:
            raise WalkError(f"creating a promo number answered {answer.status_code}: "
                            f"{answer.text[:200]}")
        return str(answer.json()["promo_number"])

    def _ensure_affiliate_campaign(self, values: Mapping[str, str]) -> None:
        a, c = values["advertiser_id_from_network"], values["advertiser_campaign_id_from_network"]
        f = values["affiliate_id_from_network"]
        self.ensure("advertiser", {"id": a})
        self.ensure("campaign", {"a": a, "id": c})
        self.ensure("affiliate", {"id": f})
        self.ensure("relationship", {"a": a, "id": f})
        self.ensure("affiliate_campaign", {"a": a, "c": c, "id": f})

    def _prerequisites(self, match: docs.Match, values: Mapping[str, str],
                       example: Mapping[str, Any]) -> None:
        """Create the objects the path names, except the one the example creates (or, for a
        documented 404, the one it must not find)."""
        own = CREATES_OWN.get(match.operation.operation_id if match.operation else "")
        if example.get("status") == 404 and match.parameters:
            own = LEAF_KINDS.get(list(match.parameters)[-1], own)
        a = values.get("advertiser_id_from_network")
        c = values.get("advertiser_campaign_id_from_network")
        f = values.get("affiliate_id_from_network")
        if a is not None and own != "advertiser":
            self.ensure("advertiser", {"id": a})
        if f is not None and own != "affiliate":
            self.ensure("affiliate", {"id": f})
        if a is not None and c is not None and own != "campaign":
            self.ensure("campaign", {"a": a, "id": c})
        if a is not None and f is not None and own != "relationship":
            self.ensure("relationship", {"a": a, "id": f})
        if a is not None and c is not None and f is not None and own != "affiliate_campaign":
            self.ensure("affiliate_campaign", {"a": a, "c": c, "id": f})
        user = values.get("user_id_from_network")
        if a is not None and user is not None and own != "user":
            self.ensure("user", {"a": a, "id": user})
        pool = values.get("ring_pool_id_from_network")
        if a is not None and c is not None and pool is not None and own != "ring_pool":
            self.ensure("ring_pool", {"a": a, "c": c, "id": pool})
        if "email" in values and not self.target.read_only:
            self._user_with_email(unquote(values["email"]), a, f)
        promo_id = values.get("promo_number_id_from_network")
        if a is not None and c is not None and promo_id is not None:
            self._promo_number_by_id(values, promo_id,
                                     str(example.get("version") or NETWORK_VERSION))

    def _user_with_email(self, email: str, advertiser: str | None,
                         affiliate: str | None) -> None:
        """A user with ``email`` in the organization an access-token path names (the network,
        an advertiser or an affiliate): appended to its users when it has none."""
        if advertiser is not None:
            item, method = f"advertisers/{advertiser}.json", "PUT"
        elif affiliate is not None:
            item, method = f"affiliates/{affiliate}.json", "PUT"
        else:
            item, method = "network.json", "POST"
        found = self._send("GET", self._network(item))
        current = found.json() if found.status_code == 200 else {}
        users = list(current.get("users") or [])
        if any(email.lower() in json.dumps(user).lower() for user in users):
            return
        ident = f"docs-{len(users) + 1}"
        users.append({"id_from_network": ident, "first_name": "Docs", "last_name": "User",
                      "email_address": email, "role": "Manager"})
        body = {"users": users} if method == "POST" else {**current, "users": users}
        answer = self._send(method, self._network(item), body)
        if answer.status_code >= 300:
            raise WalkError(f"adding user {email} to {item} answered {answer.status_code}: "
                            f"{answer.text[:200]}")

    def _promo_number_by_id(self, values: Mapping[str, str], ident: str, version: str) -> None:
        """The promo number ``ident`` (promo_numbers_by_id) of the (affiliate) campaign."""
        rest = (f"advertisers/{values['advertiser_id_from_network']}/advertiser_campaigns/"
                f"{values['advertiser_campaign_id_from_network']}")
        if "affiliate_id_from_network" in values:
            rest += f"/affiliates/{values['affiliate_id_from_network']}/affiliate_campaigns"
        item = self._network(f"{rest}/promo_numbers_by_id/{ident}.json", version)
        if self._send("GET", item).status_code != 200:
            self._send("POST", self._network(f"{rest}/promo_numbers_by_id.json", version),
                       {**PROMO_NUMBER, "id_from_network": ident})

    def query(self, example: Mapping[str, Any], family: str = "") -> list[tuple[str, str]]:
        """The example's query parameters, with the target's token, keys and ids."""
        _, _, text = str(example["url"]).partition("?")
        pairs = parse_qsl(text, keep_blank_values=True)
        if family == "Legacy RingPool":
            pairs = self.allocation_parameters(pairs)
        if family == "Calls In Progress":
            return self.calls_in_progress_query(pairs, str(example.get("version")))
        return [(name, self._query_value(name, value)) for name, value in pairs]

    def _query_value(self, name: str, value: str) -> str:
        fill = QUERY_FILLS.get(name)
        if fill == "token":
            return self.target.token or value
        if fill == "ring_pool_key" and self.target.ring_pool is not None:
            return self.target.ring_pool.key
        if fill == "transaction_id":
            return self.transaction_id()
        if _PLACEHOLDER.match(value):
            return "10" if name == "timeout" else f"docs-{name}"
        return value

    def allocation_parameters(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """A RingPool's own parameter names (``site``, ``m1``) as the generic ``param1``...

        The RingPool page: "The parameter names should match those chosen in the RingPool
        wizard, or you can use generic parameter names param1, param2". The documented names
        are another account's; the generic ones are every pool's. The affiliate parameter
        (``pid``) names a documented affiliate, which is created.
        """
        renamed: list[tuple[str, str]] = []
        generic = 0
        affiliate = str(self.target.world.get("affiliate_id_param") or "pid")
        for name, value in pairs:
            if name == affiliate:
                self.ensure("affiliate", {"id": value})
            if name == affiliate or name in ALLOCATION_PARAMETERS:
                renamed.append((name, value))
            else:
                generic += 1
                renamed.append((f"param{generic}", value))
        return renamed

    def body(self, example: Mapping[str, Any]) -> Any:
        """The documented JSON body with the target's token, RingPools, calls and world ids."""
        request = example.get("request") or {}
        if request.get("format") != "json":
            return None
        body = self._tokens(request["body"])
        if isinstance(body, dict):
            self._references(body)
        if isinstance(body, dict) and isinstance(body.get("search"), dict):
            body = {**body, "search": self._search(body["search"])}
        if isinstance(body, dict) and isinstance(body.get("requests"), list):
            body = {**body, "requests": [self._bulk(item) for item in body["requests"]]}
        if isinstance(body, dict) and isinstance(body.get("call"), dict):
            body = {**body, "call": self._ingested_call(body["call"])}
        return body

    def _ingested_call(self, call: Mapping[str, Any]) -> dict[str, Any]:
        """A Call Ingestion ``call``: its campaign exists as an ExternalOnly campaign of the
        world's advertiser ("this campaign must be of type ExternalOnly"), and a placeholder
        recording URL (``<CALL RECORDING URL>``) is a URL."""
        filled = dict(call)
        campaign = filled.get("advertiser_campaign_id_from_network")
        if campaign is not None and not self.target.read_only:
            advertiser = self._world("advertiser_id_from_network")
            self.ensure("advertiser", {"id": advertiser})
            self.ensure("external_campaign", {"a": advertiser, "id": str(campaign)})
        url = filled.get("recording_url")
        if isinstance(url, str) and _PLACEHOLDER.match(url):
            filled["recording_url"] = (f"https://recordings.example.com/"
                                       f"{filled.get('external_call_unique_id', 'call')}.wav")
        return filled

    def _references(self, body: Mapping[str, Any]) -> None:
        """Create the objects the body names (:data:`BODY_REFERENCES`)."""
        for name, (kind, parents) in BODY_REFERENCES.items():
            if name in body:
                ids = {"id": str(body[name])}
                ids.update({key: str(body[parent]) for key, parent in parents.items()})
                self.ensure(kind, ids)
        for recording in sorted(set(_prompt_ids(body))):
            self.prompt_recording(recording)
        if "destination_affiliate_id_from_network" in body:
            values = {"advertiser_id_from_network":
                      str(body["destination_advertiser_id_from_network"]),
                      "advertiser_campaign_id_from_network":
                      str(body["destination_advertiser_campaign_id_from_network"]),
                      "affiliate_id_from_network":
                      str(body["destination_affiliate_id_from_network"])}
            self._ensure_affiliate_campaign(values)

    def prompt_recording(self, ident: str) -> None:
        """A professional prompt recording of the network (uploaded in Invoca's UI, so made
        through the sandbox's control API; another target must have it already)."""
        if self.target.has("prompt_recordings") and not self.target.read_only:
            self.target.control("prompt_recordings", {
                "network_id": self.target.network_id, "id_from_network": ident,
                "prompt_text": "Thank you. We appreciate your interest in our product.",
                "prompt_url": "http://example.com/recording.wav",
                "prompt_received": "2015-08-02 08:49:28 -0700"})

    def _tokens(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {key: (self.target.token if key == "oauth_token" and self.target.token
                          else self._tokens(item)) for key, item in value.items()}
        if isinstance(value, list):
            return [self._tokens(item) for item in value]
        if isinstance(value, str) and value in DOCUMENTED_TOKENS and self.target.token:
            return self.target.token
        return value

    def _bulk(self, item: Any) -> Any:
        pool = self.target.bulk_ring_pool
        if not isinstance(item, dict) or pool is None:
            return item
        suffix = str(item.get("api_suffix", ""))
        suffix = suffix.replace("<RING_POOL_ID>", str(pool.id)).replace("<RING_POOL_KEY>",
                                                                          pool.key)
        head, _, text = suffix.partition("?")
        pairs = self.allocation_parameters(parse_qsl(text, keep_blank_values=True))
        return {**item, "api_suffix": f"{head}?{urlencode(pairs, safe='<>')}"}

    def _search(self, search: Mapping[str, Any]) -> dict[str, Any]:
        """A Signal search: the transaction id of a real call, or a call at the documented time."""
        filled = dict(search)
        if "transaction_id" in filled:
            filled["transaction_id"] = self.transaction_id()
        if "call_start_time" in filled:
            start = datetime.fromtimestamp(int(str(filled["call_start_time"])[:10]), UTC)
            duration = int(filled.get("duration_in_seconds") or 60)
            caller = caller_number(filled.get("calling_phone_number"))
            self.call(start, caller, duration)
            if "calling_phone_number" in filled:
                filled["calling_phone_number"] = caller
        for key, world in (("advertiser_id_from_network", "advertiser_id_from_network"),
                           ("advertiser_campaign_id_from_network",
                            "advertiser_campaign_id_from_network")):
            if key in filled:
                filled[key] = self._world(world)
        if "network_id" in filled:
            filled["network_id"] = str(self.target.network_id)
        return filled

    def form(self, example: Mapping[str, Any]) -> list[tuple[str, str]] | None:
        """A form body (Conversion Reporting): the documented call is made first."""
        request = example.get("request") or {}
        if request.get("format") != "form":
            return None
        pairs = [(str(key), str(value)) for key, value in request["body"]]
        fields = dict(pairs)
        if "start_time_t" in fields:
            start = datetime.fromtimestamp(int(fields["start_time_t"]), UTC)
            duration = int(fields.get("duration_in_seconds") or 60)
            caller = caller_number(fields.get("calling_phone_number"))
            self.call(start, caller, duration)
            made = {"called_phone_number": "+1" + self.promo_number(),
                    "calling_phone_number": caller}
            pairs = [(key, made.get(key, value)) for key, value in pairs]
        return pairs

    def _member(self, kind: str, match: docs.Match, first: Any, version: str) -> None:
        """One member of the listed collection (the documented first one's id when it has one)."""
        values = {name: self._parameter(name, written, {})
                  for name, written in match.parameters.items()}
        first = first if isinstance(first, Mapping) else {}
        ident = str(first.get("affiliate_id_from_network") or first.get("id_from_network")
                    or f"docs-{kind}")
        a = values.get("advertiser_id_from_network", "")
        c = values.get("advertiser_campaign_id_from_network", "")
        if kind == "promo_number":
            self._created_promo_number(values)
        elif kind == "promo_number_by_id":
            self._promo_number_by_id(values, ident, version)
        elif kind == "relationship":
            self.ensure("affiliate", {"id": ident})
            self.ensure(kind, {"a": a, "id": ident})
        else:
            self.ensure(kind, {"a": a, "c": c, "id": ident})

    def _signal_to_update(self, example: Mapping[str, Any], match: docs.Match) -> None:
        """The signal an update example corrects, reported first with only its identity (name
        and partner_unique_id): the update then changes it (the Signal page: "When an update
        occurs, a 200 status code is returned"; the same values again change nothing)."""
        request = dict(example.get("request") or {})
        body = dict(request.get("body") or {})
        signal = body.get("signal") or {}
        body["signal"] = {key: signal[key] for key in ("name", "partner_unique_id")
                          if key in signal}
        create = {**example, "method": "POST", "request": {**request, "body": body}}
        sent = self.request(create, docs.match(create))
        answer = sent.send(self.target)
        if answer.status_code >= 300:
            raise WalkError(f"reporting the signal to update answered {answer.status_code}: "
                            f"{answer.text[:200]}")

    def headers(self, example: Mapping[str, Any], query: Sequence[tuple[str, str]],
                body: Any, family: str) -> dict[str, str]:
        """The example's headers; its credentials replaced by the target's."""
        headers = {name: value for name, value in (example.get("headers") or {}).items()
                   if name.lower() != "authorization"}
        documented_auth = any(name.lower() == "authorization"
                              for name in example.get("headers") or {})
        in_request = any(name == "oauth_token" for name, _ in query) or (
            isinstance(body, dict) and "oauth_token" in body)
        if example.get("auth") == "basic" or family == "Conversion Reporting":
            headers.update(self.target.basic_headers())
        elif documented_auth or not in_request:
            headers.update(self.target.auth_headers())
        return headers

    def request(self, example: Mapping[str, Any], match: docs.Match,
                documented: Mapping[str, Any] | None = None) -> Request:
        """The example as a request to the target (prerequisites created on the way).

        ``documented`` is the documented response: a non-empty documented list gets a member.
        """
        operation = match.operation.operation_id if match.operation else ""
        if match.family == SMS_FAMILY:
            return self._sms_request(example, match, operation)
        if operation in UPDATES_OF:
            self._signal_to_update(example, match)
        if match.family == "Transactions" and self.target.has("calls"):
            self.transaction_id()  # a call, so that the rows have a shape to check
        path = self.path(example, match)
        body = (documented or {}).get("body")
        if operation in LIST_MEMBERS and isinstance(body, list) and body:
            self._member(LIST_MEMBERS[operation], match, body[0], str(example.get("version")))
        query = self.query(example, match.family or "")
        body = self.body(example)
        form = self.form(example)
        headers = self.headers(example, query, body, match.family or "")
        data = None
        if form is not None:
            data = "&".join(f"{requests.utils.quote(k)}={requests.utils.quote(v)}"
                            for k, v in form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if query:
            path += "?" + urlencode(query, safe="[]$,<>")
        return Request(str(example["method"]), path, headers=headers, json_body=body, data=data)


    # --------------------------------------------------------------- SMS Messaging

    def _bearer(self) -> dict[str, str]:
        if self.target.token is None:
            raise WalkSkip("the SMS Messaging API needs an API token (Bearer)")
        return {"Authorization": f"Bearer {self.target.token}"}

    def sms_number(self, *, fresh: bool = False) -> str:
        """The page's SMS-enabled number (a promo number of the world's campaign, enabled
        once per page), in E.164; ``fresh``: another promo number, not enabled (the example
        enables it)."""
        key = "sms:fresh" if fresh else "sms:number"
        if key not in self.page:
            if fresh:
                a = self._world("advertiser_id_from_network")
                c = self._world("advertiser_campaign_id_from_network")
                digits = self._created_promo_number({"advertiser_id_from_network": a,
                                                     "advertiser_campaign_id_from_network": c})
            else:
                digits = self.promo_number()
            digits = "".join(ch for ch in digits if ch.isdigit())
            number = "+" + (digits if len(digits) > 10 else "1" + digits)
            if not fresh:
                answer = self.target.request("POST", f"{SMS_BASE}/phone_numbers/{number}",
                                             headers=self._bearer())
                if answer.status_code not in (201, 409):
                    raise WalkError(f"enabling {number} for SMS answered "
                                    f"{answer.status_code}: {answer.text[:200]}")
            self.page[key] = number
        return str(self.page[key])

    def sms_message(self) -> dict[str, Any]:
        """The page's message, sent from its SMS number (its delivery reports in: the clock
        moved a minute on, when the target has a clock)."""
        if "sms:message" not in self.page:
            answer = self.target.request(
                "POST", f"{SMS_BASE}/messages", headers=self._bearer(),
                json=[{"from": self.sms_number(), "to": [SMS_RECIPIENT],
                       "text": "Your appointment is confirmed for Friday. Thank you."}])
            if answer.status_code != 202:
                raise WalkError(f"sending the example's message answered "
                                f"{answer.status_code}: {answer.text[:200]}")
            uuid = str(answer.json()["messages"][0]["uuid"])
            if self.target.has("clock") and not self.target.read_only:
                self.target.advance_clock(60)
            read = self.target.request("GET", f"{SMS_BASE}/messages/uuid/{uuid}",
                                       headers=self._bearer())
            self.page["sms:message"] = read.json()["message"] if read.status_code == 200 \
                else {"uuid": uuid, "delivery_reports": []}
        return dict(self.page["sms:message"])

    def _sms_request(self, example: Mapping[str, Any], match: docs.Match,
                     operation: str) -> Request:
        """An SMS Messaging example: its phone number the page's SMS number (a new promo
        number when the example enables one), its message uuid the page's message, its
        delivery report uuid that message's; the body's ``from`` the page's number; Bearer."""
        assert match.path is not None
        values: dict[str, str] = {}
        for name, written in match.parameters.items():
            if name == "phone_number":
                values[name] = self.sms_number(fresh=operation == "createSmsPhoneNumber")
            elif name == "message_uuid":
                values[name] = str(self.sms_message()["uuid"])
            elif name == "delivery_report_uuid":
                reports = self.sms_message().get("delivery_reports") or []
                if not reports:
                    raise WalkSkip(self.target.missing_reason("clock"))
                values[name] = str(reports[0]["uuid"])
            else:
                values[name] = written
        if operation == "listSmsMessagesByPhoneNumber":
            self.sms_message()
        path = re.sub(r"\{([^}]+)\}", lambda m: values[m.group(1)], match.path)
        body = (example.get("request") or {}).get("body")
        if isinstance(body, list):
            body = [{**item, "from": self.sms_number()} if isinstance(item, dict) else item
                    for item in body]
        return Request(str(example["method"]), path, headers=self._bearer(), json_body=body)


#: the SMS Messaging API: its family (the contract's tag), base path and the walk's recipient
SMS_FAMILY = "SMS Messaging"
SMS_BASE = "/sms/2022-08-01"
SMS_RECIPIENT = "+18885550101"

#: how long the walk's live calls talk (Calls In Progress): longer than any walk
LIVE_SECONDS = 6 * 3600

#: the caller of the walk's calls where the documented one is no real number
DEFAULT_CALLER = "+18055550100"


def _prompt_ids(value: Any) -> Iterator[str]:
    """Every prompt recording an IVR tree names (a node's ``prompt_id_from_network``, the
    settings' ``whisper_prompt_id_from_network``, ``custom_*_prompt_id_from_network``; not
    empty)."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).endswith("prompt_id_from_network") and isinstance(item, str | int) and item:
                yield str(item)
            else:
                yield from _prompt_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from _prompt_ids(item)


def caller_number(number: Any) -> str:
    """The documented caller in E.164, or :data:`DEFAULT_CALLER` for a made-up number.

    A North American number whose area code starts with 0 or 1 (the documents' ``1234567890``)
    is no number: no call can come from it.
    """
    digits = re.sub(r"\D", "", str(number or ""))
    national = digits[-10:]
    if len(national) != 10 or national[0] in "01" or len(digits) not in (10, 11):
        return DEFAULT_CALLER
    return "+1" + national


# ----------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class Case:
    """One documented example, matched to the contract, as the suite runs it."""

    example: Mapping[str, Any]
    match: docs.Match
    family: str
    #: why it is not sent (a family the sandbox does not implement), or None
    skip: str | None
    #: the documented response, "same as a GET response" followed to that GET
    response: Mapping[str, Any] | None

    @property
    def id(self) -> str:
        return str(self.example["id"])

    @property
    def page(self) -> str:
        return f"{self.example['branch']}/{self.example['source']}"


#: documented creates whose objects other examples read: operationId -> kind
DOCUMENTED_CREATES = {"createAdvertiser": "advertiser", "createAffiliate": "affiliate",
                      "createAdvertiserCampaign": "campaign", "createAdvertiserUser": "user",
                      "createRingPool": "ring_pool"}


def documented_creates(found: Sequence[Case]) -> dict[tuple[str, str, str], tuple[str, Any]]:
    """(branch, kind, id) -> (version, body) of each documented create naming its object."""
    creates: dict[tuple[str, str, str], tuple[str, Any]] = {}
    for case in found:
        operation = case.match.operation.operation_id if case.match.operation else ""
        request = case.example.get("request") or {}
        body = request.get("body")
        if operation not in DOCUMENTED_CREATES or not isinstance(body, dict):
            continue
        named = body.get("user") if isinstance(body.get("user"), dict) else body
        ident = named.get("id_from_network") if isinstance(named, dict) else None
        if ident is not None:
            key = (str(case.example["branch"]), DOCUMENTED_CREATES[operation], str(ident))
            creates.setdefault(key, (str(case.example["version"]), body))
    return creates


def cases(examples: Sequence[Mapping[str, Any]] | None = None) -> list[Case]:
    """Every committed example, in document order, matched to the contract."""
    pool = list(examples if examples is not None else docs.examples())
    found = []
    for example in pool:
        match = docs.match(example)
        family = match.family or f"not implemented: {docs.unimplemented_name(example)}"
        skip = None if match.family else f"family not implemented: " \
                                         f"{docs.unimplemented_name(example)}"
        found.append(Case(example, match, family, skip,
                          docs.documented_response(example, pool=pool)))
    return found
