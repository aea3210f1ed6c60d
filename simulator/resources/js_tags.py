"""Invoca Tags (JS tags) and their revisions: the tag's history, its draft and its transitions.

Rules of this module (beyond the store's; docs/fidelity.md TG1-TG8):

* A tag belongs to its network and is addressed by its obfuscated id: ten digits drawn from
  the keys stream (the docs' ``"4225568320"``), unique within the platform. ``name`` is
  required and unique within the network (``{"name": ["has already been taken"]}``, the
  docs' 403). Its id is Invoca's, so an update of a missing tag is 404, not an upsert.
* A new tag is Live with an auto-generated live revision 0 ("Auto-generated initial
  revision") and a draft ("Auto-generated first draft"), as the docs' create shows.
* Published revisions are numbered 0, 1, 2, ... per tag (``external_revision_id``); the last
  one is live. The draft has none (``null``) and is addressed as ``draft``.
* ``go_live`` publishes the draft (the tag then has no draft); ``pause`` (Live -> Paused)
  publishes a copy of the live revision marked "PAUSED" and inactive; ``unpause``
  (Paused -> Live) publishes again the revision live before the pause ("Reverted from
  Revision N"); ``revert`` makes the draft a copy of a published revision ("Reverted from
  Revision N"). Any other transition is 403 ``RecordInvalid``.
* A revision is written only as the draft: a published one is 403 "Validation failed: This
  action can only be applied to the draft revision" (the docs' words). ``POST`` makes a new
  draft from the live configuration with the body's fields over it (replacing any draft);
  ``PUT draft`` merges into the draft (creating it when the tag has none).
  ``cache_lifetime_days`` is one of 1, 7, 14, 30 (the docs' two messages).
* When a revision goes live, the phone numbers it names (``numbers_to_replace``,
  ``numbers_to_not_replace``: numbers on the tag's pages) become discovered Destinations
  (:mod:`simulator.resources.destinations`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from simulator.errors import RecordInvalid, RecordNotFound
from simulator.fields import copied, fields_of, raise_if, validate_fields
from simulator.resources.destinations import discover
from simulator.resources.records import JsTag, TagRevision
from simulator.resources.store import Resource, Store, require_object

__all__ = ["CACHE_LIFETIME_OPTIONS", "JsTags", "TagRevisions", "go_live", "pause", "revert",
           "unpause"]

#: the documented choices of ``cache_lifetime_days``
CACHE_LIFETIME_OPTIONS = (1, 7, 14, 30)
#: who the API's revisions are by (the docs' "Oauth API User")
AUTHOR = "Oauth API User"
DRAFT_ONLY = "Validation failed: This action can only be applied to the draft revision"
DRAFT = "draft"


def _tag_time(instant: datetime) -> str:
    """A tag's or destination's instant as the docs write it: ``2023-11-07 03:30:12 -0800``."""
    return instant.strftime("%Y-%m-%d %H:%M:%S %z")


def _revision_time(instant: datetime) -> str:
    """A revision's instant as the docs write it: ``2023-11-07T03:30:12-08:00``."""
    return instant.isoformat(timespec="seconds")


def _revision_fields() -> tuple[Any, ...]:
    return fields_of("TagRevisionWrite")


class JsTags(Resource):
    """The Invoca Tags of a network."""

    def missing(self, parent: Any, key: Any) -> str:
        return f"Invoca Tag not found with id: '{key}'"

    def prepare(self, store: Store, parent: Any, key: Any, body: Mapping[str, Any],
                version: str | None) -> tuple[str, Any | None, Any]:
        existing = None
        if key is not None:
            existing = self.find(parent, key)
            if existing is None:
                raise RecordNotFound(self.missing(parent, key))
        problems: dict[str, list[Any]] = {}
        values = validate_fields(self.fields, body, existing.values if existing else None,
                                 errors=problems)
        name = values.get("name")
        if "name" not in problems and any(
                tag is not existing and tag.values.get("name") == name
                for tag in parent.js_tags.values()):
            problems["name"] = ["has already been taken"]
        raise_if(problems)
        return (existing.id if existing else ""), existing, values

    def create(self, store: Store, now: datetime, parent: Any, key: str, write: Any) -> Any:
        ident = _new_tag_id(store)
        tag = JsTag(id=ident, seq=store.next_id(self.kind), network_id=parent.id,
                    values=write, created_at=now, updated_at=now)
        defaults = validate_fields(_revision_fields(), {})
        defaults.pop("message", None)
        tag.revisions.append(TagRevision(tag, 0, defaults, "Auto-generated initial revision",
                                         AUTHOR, now, now))
        tag.draft = TagRevision(tag, None, copied(defaults), "Auto-generated first draft",
                                AUTHOR, now, now)
        parent.js_tags[ident] = tag
        return tag

    def update(self, store: Store, now: datetime, obj: Any, write: Any) -> None:
        obj.values = write
        obj.updated_at = now

    def unlink(self, store: Store, parent: Any, obj: Any) -> None:
        del parent.js_tags[obj.id]

    def ident(self, obj: Any) -> tuple[int, str]:
        return obj.seq, obj.id

    def listing(self, shown: list[dict[str, Any]]) -> dict[str, Any]:
        return {"data": shown, "requestId": None, "recordsTotal": len(shown)}

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        return {
            "id": obj.id,
            "name": obj.values.get("name") or "",
            "description": obj.values.get("description") or "",
            "landing_page_url": obj.values.get("landing_page_url") or "",
            "active": obj.status == "Live",
            "status": obj.status,
            "created_at": _tag_time(obj.created_at),
            "updated_at": _tag_time(obj.updated_at),
            "live_revision": show_revision(obj.live),
            "draft_revision": show_revision(obj.draft) if obj.draft is not None else None,
        }


class TagRevisions(Resource):
    """The revisions of an Invoca Tag: the published ones by ``external_revision_id``, and
    the draft as ``draft``."""

    def members(self, parent: Any) -> Mapping[str, Any]:
        found: dict[str, Any] = {str(r.external_revision_id): r for r in parent.revisions}
        if parent.draft is not None:
            found[DRAFT] = parent.draft
        return found

    def missing(self, parent: Any, key: Any) -> str:
        return f"Invoca Tag Revision not found with revision id: '{key}'"

    def _published(self, parent: Any, key: Any) -> None:
        """A key other than ``draft``: 404 when it names nothing, else 403 (draft only)."""
        if self.find(parent, key) is None:
            raise RecordNotFound(self.missing(parent, key))
        raise RecordInvalid(DRAFT_ONLY)

    def prepare(self, store: Store, parent: Any, key: Any, body: Mapping[str, Any],
                version: str | None) -> tuple[str, Any | None, Any]:
        if key is not None and str(key) != DRAFT:
            self._published(parent, key)
        existing = parent.draft if key is not None else None
        base = existing.values if existing is not None else parent.live.values
        problems: dict[str, list[Any]] = {}
        values = validate_fields(_revision_fields(), body, copied(base), errors=problems)
        days = values.get("cache_lifetime_days")
        if "cache_lifetime_days" not in problems and days not in CACHE_LIFETIME_OPTIONS:
            found = []
            if isinstance(days, int) and days > max(CACHE_LIFETIME_OPTIONS):
                found.append("must be less than or equal to 30 days")
            elif isinstance(days, int) and days < min(CACHE_LIFETIME_OPTIONS):
                found.append("must be greater than or equal to 1 day")
            found.append("must be one of [1, 7, 14, 30]")
            problems["cache_lifetime_days"] = found
        raise_if(problems)
        message = body.get("message")
        return DRAFT, existing, (values, message if isinstance(message, str) else None)

    def create(self, store: Store, now: datetime, parent: Any, key: str, write: Any) -> Any:
        values, message = write
        values.pop("message", None)
        parent.draft = TagRevision(parent, None, values, message or "", AUTHOR, now, now)
        parent.updated_at = now
        return parent.draft

    def update(self, store: Store, now: datetime, obj: Any, write: Any) -> None:
        values, message = write
        values.pop("message", None)
        obj.values = values
        if message is not None:
            obj.message = message
        obj.updated_at = now

    def remove(self, store: Store, parent: Any, key: Any) -> Any | None:
        if str(key) != DRAFT:
            self._published(parent, key)
        draft = parent.draft
        parent.draft = None
        return draft

    def ident(self, obj: Any) -> None:
        return None

    def listing(self, shown: list[dict[str, Any]]) -> dict[str, Any]:
        return {"data": shown, "requestId": None, "recordsTotal": len(shown), "start": 0}

    def render(self, store: Store, obj: Any, version: str | None) -> dict[str, Any]:
        return show_revision(obj)


def show_revision(revision: TagRevision) -> dict[str, Any]:
    """A revision as the docs show it (inside a tag, or on its own)."""
    values = revision.values
    tag = revision.tag
    draft = revision.external_revision_id is None
    body: dict[str, Any] = {
        "author": revision.author,
        "allow_overflow": values["allow_overflow"],
        "auto_create_local_ringpools": values["auto_create_local_ringpools"],
        "auto_create_toll_free_ringpools": values["auto_create_toll_free_ringpools"],
        "auto_swap": values["auto_swap"],
        "body": tag_body(revision),
        "cache_lifetime_days": values["cache_lifetime_days"],
        "created_at": _revision_time(revision.created_at),
        "custom_code": values["custom_code"] or "",
        "custom_data_fields": copied(values["custom_data_fields"] or []),
        "default_campaign": _default_campaign(values["default_campaign"]),
        "destination_param": values["destination_param"],
        "external_revision_id": revision.external_revision_id,
        "is_draft_revision": draft,
        "is_live_revision": not draft and tag.revisions[-1] is revision,
        "js_tag_id": tag.id,
        "message": revision.message,
        "numbers_to_replace": copied(values["numbers_to_replace"] or []),
        "numbers_to_not_replace": copied(values["numbers_to_not_replace"] or []),
        "organic_sources": values["organic_sources"],
        "re_run_attribution_after": values["re_run_attribution_after"],
        "required_params": values["required_params"] or "",
        "reset_cache_on": copied(values["reset_cache_on"] or []),
        "cache_lifetime_warning": None,
        "updated_at": _revision_time(revision.updated_at),
        "wait_for_in_seconds": values["wait_for_in_seconds"] or 0,
        "cache_lifetime_options": list(CACHE_LIFETIME_OPTIONS),
        "warning": None,
    }
    return body


def _default_campaign(value: Any) -> dict[str, Any]:
    """The revision's default campaign: both keys, null when not set."""
    given = value if isinstance(value, Mapping) else {}
    return {"default_campaign_id": copied(given.get("default_campaign_id")),
            "default_campaign_name": given.get("default_campaign_name")}


def _js(value: Any) -> str:
    """A value as JavaScript source (JSON is JavaScript)."""
    return json.dumps(value)


def tag_body(revision: TagRevision) -> str:
    """The tag's JavaScript, generated from the revision's configuration (after the docs'
    ``Invoca.Client.startFromWizard`` snippet)."""
    values = revision.values
    fields = [f for f in values["custom_data_fields"] or [] if isinstance(f, Mapping)
              and f.get("enabled") not in (False, "false")]
    wait_for = ",\n".join(
        f'  {{ on: function() {{ return Invoca.Client.parseCustomDataField('
        f'{_js(f.get("partner_name"))}, {_js(f.get("attribution_model"))}, '
        f'{_js(f.get("data_source_type"))}, {_js(f.get("data_source_name") or "")}); }}, '
        f'paramName: {_js(f.get("partner_name"))}, fallbackValue: null }}' for f in fields)
    campaign = (values["default_campaign"] or {}).get("default_campaign_id")
    replace = [n.get("phone_number") for n in values["numbers_to_replace"] or []
               if isinstance(n, Mapping)]
    required = [p for p in str(values["required_params"] or "").split(",") if p]
    custom = values["custom_code"] or ""
    return (
        "(function(networkId) {\n"
        f"var cacheLifetimeDays = {values['cache_lifetime_days']};\n\n"
        f"var customDataWaitForConfig = [{chr(10) + wait_for + chr(10) if fields else ''}];\n\n"
        f"var defaultCampaignId = {_js(None if campaign is None else str(campaign))};\n\n"
        "var destinationSettings = {\n"
        f"  paramName: {_js(values['destination_param'])}\n}};\n\n"
        f"var numbersToReplace = {_js(replace or None)};\n\n"
        f"var organicSources = {_js(bool(values['organic_sources']))};\n\n"
        f"var reRunAfter = {_js(values['re_run_attribution_after'])};\n\n"
        f"var requiredParams = {_js(required or None)};\n\n"
        f"var resetCacheOn = {_js(list(values['reset_cache_on'] or []))};\n\n"
        f"var waitFor = {_js(values['wait_for_in_seconds'] or 0)};\n\n"
        "var customCodeIsSet = (function() {\n"
        "  Invoca.Client.customCode = function(options) {\n"
        f"    {custom}\n  }};\n\n  return true;\n}})();\n\n"
        "var generatedOptions = {\n"
        f"  active:              {_js(revision.active)},\n"
        f"  autoSwap:            {_js(bool(values['auto_swap']))},\n"
        "  cookieDays:          cacheLifetimeDays,\n"
        "  defaultCampaignId:   defaultCampaignId,\n"
        "  destinationSettings: destinationSettings,\n"
        "  maxWaitFor:          waitFor,\n"
        "  networkId:           networkId || null,\n"
        "  numberToReplace:     numbersToReplace,\n"
        "  organicSources:      organicSources,\n"
        "  reRunAfter:          reRunAfter,\n"
        "  requiredParams:      requiredParams,\n"
        "  resetCacheOn:        resetCacheOn,\n"
        "  waitForData:         customDataWaitForConfig\n"
        "};\n\n"
        "Invoca.Client.startFromWizard(generatedOptions);\n\n"
        f"}})({tag_network(revision)});\n"
    )


def tag_network(revision: TagRevision) -> int:
    return int(revision.tag.network_id)


def _new_tag_id(store: Store) -> str:
    """Ten digits from the keys stream, not yet any network's tag id."""
    taken = {ident for network in store.networks.values() for ident in network.js_tags}
    while True:
        ident = "".join(store.key_rng.choice("0123456789") for _ in range(10))
        if ident not in taken:
            return ident


# ---- the transitions (go_live, pause, unpause, revert) ------------------------------------


def _publish(store: Store, now: datetime, network: Any, tag: JsTag, *,
             values: dict[str, Any], message: str, active: bool = True) -> TagRevision:
    revision = TagRevision(tag, len(tag.revisions), values, message, AUTHOR, now, now,
                           active=active)
    tag.revisions.append(revision)
    tag.updated_at = now
    if active:
        numbers = [n.get("phone_number") for n in [*(values["numbers_to_replace"] or []),
                                                   *(values["numbers_to_not_replace"] or [])]
                   if isinstance(n, Mapping)]
        discover(store, now, network, numbers,
                 primary_url=tag.values.get("landing_page_url") or "", tag_id=tag.id)
    return revision


def go_live(store: Store, now: datetime, network: Any, tag: JsTag) -> None:
    """Publish the draft (the tag then has none)."""
    if tag.status == "Paused":
        raise RecordInvalid("Validation failed: A paused Invoca Tag cannot go live; unpause it "
                            "first")
    if tag.draft is None:
        raise RecordInvalid("Validation failed: The Invoca Tag has no draft revision to make "
                            "live")
    draft, tag.draft = tag.draft, None
    _publish(store, now, network, tag, values=draft.values, message=draft.message)


def pause(store: Store, now: datetime, network: Any, tag: JsTag) -> None:
    """Live -> Paused: an inactive copy of the live revision is published."""
    if tag.status == "Paused":
        raise RecordInvalid("Validation failed: The Invoca Tag is already paused")
    tag.before_pause = tag.live
    _publish(store, now, network, tag, values=copied(tag.live.values), message="PAUSED",
             active=False)
    tag.status = "Paused"


def unpause(store: Store, now: datetime, network: Any, tag: JsTag) -> None:
    """Paused -> Live: the revision live before the pause is published again."""
    if tag.status != "Paused" or tag.before_pause is None:
        raise RecordInvalid("Validation failed: The Invoca Tag is not paused")
    before = tag.before_pause
    tag.status = "Live"
    tag.before_pause = None
    _publish(store, now, network, tag, values=copied(before.values),
             message=f"Reverted from Revision {before.external_revision_id}")


def revert(store: Store, now: datetime, network: Any, tag: JsTag, body: Any) -> None:
    """The draft becomes a copy of the published revision the body names."""
    wanted = require_object(body).get("external_revision_id")
    if wanted is None or isinstance(wanted, bool) or str(wanted).strip() == "":
        raise RecordInvalid(field_errors={"external_revision_id": ["can't be blank"]})
    key = str(wanted).strip()
    source = next((r for r in tag.revisions if str(r.external_revision_id) == key), None)
    if source is None:
        raise RecordNotFound(f"Invoca Tag Revision not found with revision id: '{key}'")
    tag.draft = TagRevision(tag, None, copied(source.values),
                            f"Reverted from Revision {source.external_revision_id}", AUTHOR,
                            now, now)
    tag.updated_at = now
