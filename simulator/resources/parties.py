"""The network and its parties: users, sites, advertisers, affiliates, prompt recordings.

Rules of this module (beyond the store's):

* Users (network, advertiser, affiliate): a new one needs ``id_from_network``, ``first_name``,
  ``last_name`` and an email. ``email_address`` (pre-2017) is accepted in every version as the
  one notification address and kept in step with ``email_settings``; ``phone_number`` and
  ``contact_phone_number`` are one number under two names; ``contact_country_code`` is "1"
  for a North American number unless sent. Errors nest as in the docs' example
  ``{"users": [{"email_settings": [{"email_address": ["is invalid"]}]}]}``.
* A users or sites list in a body replaces the stored one; a site's id is kept as text.
* The network's users are replaced whole by its POST/PUT (``[]`` deletes them all). An
  advertiser user is also written alone (the per-user path: the fields sent are merged over
  the stored user; the body's id, when given, wins over the path's).
* Advertisers and affiliates: a name unique among the network's ones of the same kind; an
  advertiser with campaigns, or an affiliate with affiliate campaigns, is not deleted (the
  docs' messages); deleting an affiliate ends its relationships.
* Professional prompt recordings are uploaded in Invoca's UI: the API lists them in the
  network and advertiser GETs; the sandbox adds them through its control API.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from simulator.errors import RecordInvalid
from simulator.fields import (
    coerce,
    copied,
    field_of,
    fields_of,
    validate_fields,
    versioned,
)
from simulator.resources.records import (
    Advertiser,
    AdvertiserAffiliate,
    Affiliate,
    Link,
)
from simulator.resources.store import Resource, Store, require_object

__all__ = [
    "AdvertiserUsers",
    "Advertisers",
    "Affiliates",
    "Networks",
    "Relationships",
    "add_prompt_recording",
    "recordings_for",
    "validate_sites",
    "validate_user",
    "validate_users",
]

#: the first version whose users carry ``email_settings`` (before: one ``email_address``)
EMAIL_SETTINGS_VERSION = versioned("UserWrite", "email_settings")["from"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: the two names the docs give a user's phone number (POST bodies send either; GETs show both)
_PHONE_FIELDS = ("contact_phone_number", "phone_number")


# --------------------------------------------------------------------------------------------
# Users and sites (embedded lists)
# --------------------------------------------------------------------------------------------


def validate_user(user: Any, existing: Mapping[str, Any] | None = None, *,
                  version: str | None = None) -> tuple[dict[str, Any], dict[str, list[Any]]]:
    """One embedded user (network, advertiser, affiliate): its values and its errors.

    The fields sent are merged over ``existing`` (the per-user path). See the module rules.
    """
    if not isinstance(user, Mapping):
        return {}, {"user": ["is invalid"]}
    problems: dict[str, list[Any]] = {}
    flat: dict[str, list[str]] = {}
    values = validate_fields(fields_of("UserWrite", ()), user, existing, errors=flat)
    problems.update(flat)
    if user.get("email_settings") is not None and "email_settings" not in problems:
        _email_settings(values, problems)
    elif user.get("email_address") is not None and "email_address" not in problems:
        address = values["email_address"]
        if not _EMAIL.match(address):
            problems["email_address"] = ["is invalid"]
        elif not any(s.get("email_address") == address and s.get("use_for_notifications")
                     for s in values.get("email_settings") or ()):
            values["email_settings"] = [{"email_address": address, "use_for_notifications": True}]
    if (not values.get("email_address") and not values.get("email_settings")
            and "email_settings" not in problems and "email_address" not in problems):
        legacy = version is not None and version < EMAIL_SETTINGS_VERSION
        problems["email_address" if legacy else "email_settings"] = ["can't be blank"]
    sent = [name for name in _PHONE_FIELDS if user.get(name) is not None]
    for name in _PHONE_FIELDS:
        if len(sent) == 1 and name not in sent:
            values[name] = values[sent[0]]  # the same number under the docs' other name
    if sent and user.get("contact_country_code") is None:
        values["contact_country_code"] = _country_code(str(values[sent[0]]))
    values["can_login_via_platform"] = False  # read-only: the API manages SSO users only
    return values, problems


def _email_settings(values: dict[str, Any], problems: dict[str, list[Any]]) -> None:
    """Check ``values["email_settings"]`` (nested errors), store its flags as booleans and set
    ``email_address`` to the notification address (the first one, else the first address)."""
    flag = field_of("EmailSettingWrite", "use_for_notifications")
    nested: list[dict[str, list[str]]] = []
    stored: list[Any] = []
    for setting in values["email_settings"]:
        error: dict[str, list[str]] = {}
        address = setting.get("email_address") if isinstance(setting, Mapping) else None
        if not isinstance(address, str) or not _EMAIL.match(address):
            error["email_address"] = ["is invalid"]
        if isinstance(setting, Mapping) and "use_for_notifications" in setting:
            # "true"/"false" are accepted (the docs' examples) and stored as booleans
            value, message = coerce(flag, setting["use_for_notifications"])
            if message is not None:
                error["use_for_notifications"] = [message]
            stored.append({**setting, "use_for_notifications": value})
        else:
            stored.append(setting)
        nested.append(error)
    values["email_settings"] = stored
    if any(nested):
        problems["email_settings"] = nested
        return
    notified = [s["email_address"] for s in stored if s.get("use_for_notifications")]
    addresses = notified or [s["email_address"] for s in stored]
    values["email_address"] = addresses[0] if addresses else None


def _country_code(phone: str) -> str | None:
    """The calling code of a phone number the docs' way ("E.164 or 10-digit US form"): "1" for
    a North American number, None when it cannot be told."""
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 10 or (len(digits) == 11 and digits.startswith("1")):
        return "1"
    return None


def validate_users(users: Any, *, version: str | None = None) -> list[dict[str, Any]]:
    """A full users list (it replaces the stored one); RecordInvalid with nested errors."""
    if not isinstance(users, list | tuple):
        raise RecordInvalid("Validation failed", field_errors={"users": ["is invalid"]})
    values: list[dict[str, Any]] = []
    errors: list[dict[str, list[Any]]] = []
    for user in users:
        value, problem = validate_user(user, version=version)
        values.append(value)
        errors.append(problem)
    if any(errors):
        raise RecordInvalid("Validation failed", field_errors={"users": errors})
    return values


def validate_sites(sites: Any) -> list[dict[str, Any]]:
    """A full sites list (it replaces the stored one): ids and names stored as strings.

    The docs show site ids as strings; an integer id sent is kept as its string form so that
    a read returns what the contract promises. Errors nest per site like the users' ones:
    ``{"sites": [{}, {"name": ["is invalid"]}]}``.
    """
    if not isinstance(sites, list | tuple):
        raise RecordInvalid("Validation failed", field_errors={"sites": ["is invalid"]})
    values: list[dict[str, Any]] = []
    errors: list[dict[str, list[str]]] = []
    for site in sites:
        problems: dict[str, list[str]] = {}
        if not isinstance(site, Mapping):
            values.append({})
            errors.append({"site": ["is invalid"]})
            continue
        value = validate_fields(fields_of("SiteWrite", ()), site, errors=problems)
        values.append({k: v for k, v in value.items() if v is not None})
        errors.append(problems)
    if any(errors):
        raise RecordInvalid("Validation failed", field_errors={"sites": errors})
    return values


# --------------------------------------------------------------------------------------------
# Prompt recordings
# --------------------------------------------------------------------------------------------


def add_prompt_recording(store: Store, advertisers: Resource, network_id: int | str,
                         body: Any, now: datetime) -> dict[str, Any]:
    """A professional prompt recording of the network, or of one advertiser when ``body``
    names ``advertiser_id_from_network`` (as Invoca's UI uploads them: the API only lists
    them and assigns them to IVR nodes)."""
    network = store.network(network_id)
    values = dict(require_object(body))
    advertiser_id = values.pop("advertiser_id_from_network", None)
    advertiser = None if advertiser_id is None else store.locate(
        advertisers, network, (str(advertiser_id),))
    recording = validate_fields(fields_of("PromptRecording", ()), values)
    if recording["prompt_received"] is None and "prompt_received" not in values:
        recording["prompt_received"] = now.strftime("%Y-%m-%d %H:%M:%S %z")
    holder = network if advertiser is None else advertiser
    holder.prompt_recordings[recording["id_from_network"]] = recording
    return dict(recording)


def recordings_for(advertiser: Advertiser) -> dict[str, dict[str, Any]]:
    """The recordings an advertiser's campaigns may use: the network's and its own
    (docs: network prompts for any campaign, advertiser prompts for its campaigns)."""
    return {**advertiser.network.prompt_recordings, **advertiser.prompt_recordings}


# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------


class Networks(Resource):
    """The network itself (the root every path starts at): its users are its only writes."""

    def prepare(self, store: Store, parent: Any, key: Any, body: Mapping[str, Any],
                version: str | None) -> tuple[str, Any | None, Any]:
        users = validate_users(body.get("users") or [], version=version) if (
            "users" in body) else None
        return "", parent, users

    def update(self, store: Store, now: datetime, obj: Any, write: Any) -> None:
        if write is not None:
            obj.values["users"] = write

    def ident(self, obj: Any) -> None:
        return None

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        return {"id": obj.id, "name": obj.name, "users": list(obj.values.get("users", [])),
                "prompt_recordings": copied(list(obj.prompt_recordings.values()))}


class _Parties(Resource):
    """Advertisers or affiliates: a unique name, users and sites."""

    def check(self, store: Store, parent: Any, values: dict[str, Any],
              problems: dict[str, list[Any]], *, existing: Any | None) -> None:
        name = values.get("name")
        if name and any(other is not existing and other.values.get("name") == name
                        for other in self.items(parent)):
            problems.setdefault("name", []).append("has already been taken")

    def complete(self, values: dict[str, Any], *, body: Mapping[str, Any],
                 version: str | None) -> Any:
        if "users" in body:
            values["users"] = validate_users(values["users"], version=version)
        if "sites" in body:
            values["sites"] = validate_sites(values["sites"])
        return values

    def missing(self, parent: Any, key: Any) -> str:
        return f"Could not find {self.kind} {key} for network {parent.id}"

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        return {"id": obj.id, "id_from_network": obj.id_from_network, **copied(obj.values),
                "object_url": Link(self.name, (obj.id,))}


class Advertisers(_Parties):
    def create(self, store: Store, now: datetime, parent: Any, key: str, write: Any) -> Any:
        advertiser = Advertiser(store.next_id(self.kind), key, write, parent)
        parent.advertisers[key] = advertiser
        store.advertisers_by_id[advertiser.id] = advertiser
        return advertiser

    def unlink(self, store: Store, parent: Any, obj: Any) -> None:
        if obj.campaigns:
            raise RecordInvalid(
                "You are not allowed to delete an advertiser if it has one or more campaigns."
            )
        del parent.advertisers[obj.id_from_network]
        store.advertisers_by_id.pop(obj.id, None)  # its relationships go with it

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        return {**super().render(store, obj, version),
                "prompt_recordings": copied(list(obj.prompt_recordings.values()))}


class Affiliates(_Parties):
    def create(self, store: Store, now: datetime, parent: Any, key: str, write: Any) -> Any:
        affiliate = Affiliate(store.next_id(self.kind), key, write)
        parent.affiliates[key] = affiliate
        store.affiliates_by_id[affiliate.id] = (parent, affiliate)
        return affiliate

    def unlink(self, store: Store, parent: Any, obj: Any) -> None:
        if obj.campaign_count > 0:
            raise RecordInvalid(
                "You are not allowed to delete an affiliate if it has one or more campaigns."
            )
        del parent.affiliates[obj.id_from_network]
        store.affiliates_by_id.pop(obj.id, None)
        for advertiser in parent.advertisers.values():
            advertiser.relationships.pop(obj.id_from_network, None)


class AdvertiserUsers(Resource):
    """An advertiser's users, one at a time (kept in the advertiser's ``users`` list)."""

    @staticmethod
    def _users(advertiser: Any) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = advertiser.values.setdefault("users", [])
        return users

    def items(self, parent: Any) -> Iterable[Any]:
        return self._users(parent)

    def find(self, parent: Any, key: Any) -> Any | None:
        return next((u for u in self._users(parent)
                     if str(u.get("id_from_network")) == str(key)), None)

    def missing(self, parent: Any, key: Any) -> str:
        return f"Could not find User {key} for advertiser {parent.id_from_network}"

    def read_body(self, body: Any, key: Any) -> Any:
        user = require_object(body).get("user", body)
        if not isinstance(user, Mapping):
            raise RecordInvalid(field_errors={"user": ["is invalid"]})
        if key is not None and user.get("id_from_network") in (None, ""):
            user = {**user, "id_from_network": str(key)}
        return user

    def prepare(self, store: Store, parent: Any, key: Any, body: Mapping[str, Any],
                version: str | None) -> tuple[str, Any | None, Any]:
        key = str(body.get("id_from_network") or "")
        existing = self.find(parent, key) if key else None
        record, problems = validate_user(body, existing, version=version)
        if problems:
            raise RecordInvalid("Validation failed", field_errors={"users": [problems]})
        return key, existing, record

    def create(self, store: Store, now: datetime, parent: Any, key: str, write: Any) -> Any:
        self._users(parent).append(write)
        return write

    def update(self, store: Store, now: datetime, obj: Any, write: Any) -> None:
        obj.clear()
        obj.update(write)

    def remove(self, store: Store, parent: Any, key: Any) -> None:
        users = self._users(parent)
        users[:] = [u for u in users if str(u.get("id_from_network")) != str(key)]

    def ident(self, obj: Any) -> None:
        return None

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        return dict(obj)


class Relationships(Resource):
    """An advertiser's relationships with the network's affiliates, keyed by the affiliate's
    id. Docs: any status but Approved declines the affiliate's applications to the
    advertiser's campaigns and suspends its approved ones; Approved approves its applications."""

    def missing(self, parent: Any, key: Any) -> str:
        return (f"Could not find AdvertiserAffiliate for advertiser {parent.id_from_network} "
                f"and affiliate {key}")

    def prepare(self, store: Store, parent: Any, key: Any, body: Mapping[str, Any],
                version: str | None) -> tuple[str, Any | None, Any]:
        affiliate = store.locate(self.key_of(), parent.network, (key,))
        existing = parent.relationships.get(affiliate.id_from_network)
        values = validate_fields(self.fields, body,
                                 {"status": existing.status} if existing else None)
        return affiliate.id_from_network, existing, (parent, affiliate, values["status"])

    def create(self, store: Store, now: datetime, parent: Any, key: str, write: Any) -> Any:
        _, affiliate, status = write
        relationship = AdvertiserAffiliate(affiliate, status)
        parent.relationships[key] = relationship
        _cascade(parent, relationship)
        return relationship

    def update(self, store: Store, now: datetime, obj: Any, write: Any) -> None:
        advertiser, _, obj.status = write
        _cascade(advertiser, obj)

    def unlink(self, store: Store, parent: Any, obj: Any) -> None:
        del parent.relationships[obj.affiliate.id_from_network]

    def ident(self, obj: Any) -> tuple[int, str]:
        return obj.affiliate.id, obj.affiliate.id_from_network

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        return {"affiliate_id_from_network": obj.affiliate.id_from_network,
                "status": obj.status}


#: a relationship's status -> what it makes of the affiliate's campaign statuses
_CASCADE = {True: {"Applied": "Approved"}, False: {"Applied": "Declined", "Approved": "Suspended"}}


def _cascade(advertiser: Advertiser, relationship: AdvertiserAffiliate) -> None:
    moves = _CASCADE[relationship.status == "Approved"]
    for campaign in advertiser.campaigns.values():
        held = campaign.affiliate_campaigns.get(relationship.affiliate.id_from_network)
        if held is not None and held.values["status"] in moves:
            held.values["status"] = moves[held.values["status"]]
