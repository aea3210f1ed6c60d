"""Worlds: the networks, credentials and objects a platform starts with.

Rules of this module:

* :func:`build_world` makes the default demo world from the platform's seeded streams: one
  network, a 32-character API token, HTTP Basic credentials, an advertiser, an advertiser
  campaign, an affiliate with an approved relationship and an affiliate campaign, a Custom
  ring pool (max_pool_size 15, lifetime 1800 s), a bulk-enabled Custom ring pool, and an
  ExternalOnly campaign for the Call Ingestion API (``camp-ext-1``, created last).
* :func:`load_world` reads a parsed JSON/TOML mapping (layout below). Objects are created
  through the platform's own Network Integration methods (the same upsert and validation code
  paths as the API), in file order, so a bad object fails loudly with the API's error.
* :meth:`World.summary` is what the mock's ``/_sandbox/world`` serves.

World file layout (every section optional except ``networks``)::

    [[networks]]
    id = 1
    name = "Acme Network"
    affiliate_id_param = "pid"          # the allocation query parameter naming an affiliate
    call_ingestion = true               # the Call Ingestion feature (default true)
    recording_direct_access = false     # Direct Recording Access: a call's recording may be
                                        # named after its external id (default false)

    [[tokens]]                          # role: network | advertiser | affiliate
    token = "YbcFHZ38FNfptfZMB0RZ6dk9dOJCaCfU"
    role = "advertiser"
    network_id = 1
    advertiser_id_from_network = "a1"   # for the advertiser role
    # affiliate_id_from_network = "p1"  # for the affiliate role

    [[basic_auth]]
    username = "acme"
    password = "secret"
    role = "network"
    network_id = 1

    [[objects]]                         # created in order through the platform
    type = "ring_pool"                  # advertiser | advertiser_campaign | affiliate |
                                        # advertiser_affiliate | affiliate_campaign |
                                        # promo_number | ring_pool | prompt_recording
    network_id = 1
    advertiser_id_from_network = "a1"
    advertiser_campaign_id_from_network = "c1"
    body = { id_from_network = "rp1", pool_type = "Custom", destination_type = "Advertiser" }

    [settings]                          # read by the server, not the model: ignored here
    strict = true                       # mock_server.app.strictness_of (strict_versions too)
    numbers = "valid"                   # mock_server.app.number_options (fictional | valid;
    number_quarantine_seconds = 3600    #   numbers_per_network too)

A token value of ``""`` (or no ``token`` key) is replaced by one drawn from the seed. An
object written again (same type and id) is updated, as by the API's PUT; an
``advertiser_campaign`` body's ``status`` (``Live``, ``Archived``, ``Paused``) is reached by
the campaign's own action after the body is written (:data:`CAMPAIGN_STATUS_ACTIONS`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.errors import RecordInvalid
from simulator.fields import schema
from simulator.principals import ROLES, Principal

__all__ = [
    "DEMO_VERSION",
    "OBJECT_TYPES",
    "Principal",
    "World",
    "build_world",
    "load_world",
    "populate_demo_world",
    "populate_world",
]

#: the Network Integration version the world's objects are created with
DEMO_VERSION = "2016-10-01"
OBJECT_TYPES = (
    "advertiser",
    "advertiser_campaign",
    "affiliate",
    "advertiser_affiliate",
    "affiliate_campaign",
    "promo_number",
    "ring_pool",
    "prompt_recording",
)
#: each object type's body: the contract's write schema (its properties are the keys a body
#: may hold; the API ignores other keys, a world file refuses them so a typo is not silent)
BODY_SCHEMAS = {
    "advertiser": "AdvertiserWrite",
    "advertiser_campaign": "AdvertiserCampaignWrite",
    "affiliate": "AffiliateWrite",
    "advertiser_affiliate": "AdvertiserAffiliateWrite",
    "affiliate_campaign": "AffiliateCampaignWrite",
    "promo_number": "PromoNumberWrite",
    "ring_pool": "RingPoolWrite",
    "prompt_recording": "PromptRecording",
}
#: the keys of each table of a world file (``settings`` is the server's: it checks its keys)
WORLD_KEYS = ("networks", "tokens", "basic_auth", "objects", "settings")
NETWORK_KEYS = ("id", "name", "affiliate_id_param", "call_ingestion", "recording_direct_access")
_PRINCIPAL_KEYS = ("role", "network_id", "advertiser_id_from_network",
                   "affiliate_id_from_network")
TOKEN_KEYS = ("token", *_PRINCIPAL_KEYS)
BASIC_AUTH_KEYS = ("username", "password", *_PRINCIPAL_KEYS)
OBJECT_KEYS = ("type", "network_id", "advertiser_id_from_network",
               "advertiser_campaign_id_from_network", "affiliate_id_from_network", "version",
               "body")
#: the platform a world is built in (a :class:`~simulator.platform.Platform`, passed in: this
#: module does not import the facade that builds worlds)
Platform = Any


@dataclass
class World:
    """What a platform was seeded with: credentials and the objects worth knowing."""

    network_id: int | None = None
    api_token: str | None = None
    basic_auth: tuple[str, str] | None = None
    affiliate_id_param: str = "pid"
    advertiser_id_from_network: str | None = None
    advertiser_campaign_id_from_network: str | None = None
    affiliate_id_from_network: str | None = None
    #: an ExternalOnly campaign (of ``advertiser_id_from_network``'s network) for Call Ingestion
    external_campaign_id_from_network: str | None = None
    ring_pool: dict[str, Any] | None = None
    bulk_ring_pool: dict[str, Any] | None = None
    #: every token and its principal (network, advertiser and affiliate roles)
    tokens: dict[str, Principal] = field(default_factory=dict)
    #: every Basic credential pair and its principal
    basic_credentials: dict[tuple[str, str], Principal] = field(default_factory=dict)

    def token_for(self, role: str) -> str | None:
        """The first token of ``role`` (network, advertiser or affiliate)."""
        for token, principal in self.tokens.items():
            if principal.role == role:
                return token
        return None

    def summary(self) -> dict[str, Any]:
        """Exactly the keys ``/_sandbox/world`` serves."""
        basic = (
            {"username": self.basic_auth[0], "password": self.basic_auth[1]}
            if self.basic_auth is not None else None
        )
        return {
            "network_id": self.network_id,
            "api_token": self.api_token,
            "basic_auth": basic,
            "advertiser_id_from_network": self.advertiser_id_from_network,
            "advertiser_campaign_id_from_network": self.advertiser_campaign_id_from_network,
            "affiliate_id_from_network": self.affiliate_id_from_network,
            "external_campaign_id_from_network": self.external_campaign_id_from_network,
            "ring_pool": dict(self.ring_pool) if self.ring_pool else None,
            "bulk_ring_pool": dict(self.bulk_ring_pool) if self.bulk_ring_pool else None,
        }


def _pool_summary(rendered: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": rendered["id"],
        "id_from_network": rendered["id_from_network"],
        "api_key": rendered["api_key"],
    }


def _principal(platform: Platform, spec: Mapping[str, Any], where: str) -> Principal:
    role = str(spec.get("role", "network"))
    if role not in ROLES:
        raise RecordInvalid(f"{where}: role must be one of {', '.join(ROLES)}, got {role!r}")
    try:
        network_id = int(spec["network_id"])
    except (KeyError, TypeError, ValueError):
        raise RecordInvalid(f"{where}: network_id is required (an integer)") from None
    platform.directory.network(network_id)
    advertiser = spec.get("advertiser_id_from_network")
    affiliate = spec.get("affiliate_id_from_network")
    if role == "advertiser" and not advertiser:
        raise RecordInvalid(f"{where}: an advertiser token needs advertiser_id_from_network")
    if role == "affiliate" and not affiliate:
        raise RecordInvalid(f"{where}: an affiliate token needs affiliate_id_from_network")
    return Principal(
        role,
        network_id,
        str(advertiser) if role == "advertiser" else None,
        str(affiliate) if role == "affiliate" else None,
    )


def build_world(platform: Platform, seed: int | None = None) -> World:
    """The platform's demo world.

    A :class:`~simulator.platform.Platform` builds its world when it is created (the demo
    world unless its settings name a world file), so this returns the demo world it holds,
    rebuilding the platform with the demo world first if it held another one. The drawing is
    done by the platform's seeded streams; ``seed`` is accepted for symmetry and must be the
    platform's seed when given.
    """
    if seed is not None and seed != platform.seed:
        raise RecordInvalid(f"build_world: seed {seed} is not the platform's seed {platform.seed}")
    if platform.world is None or platform.settings.world is not None:
        platform.use_world(None)
    assert platform.world is not None
    return platform.world


def populate_demo_world(platform: Platform) -> World:
    """Create the demo world's objects and credentials inside an empty platform."""
    network = platform.directory.add_network("Sandbox Network", affiliate_id_param="pid")
    admin = Principal("network", network.id)
    world = World(network_id=network.id, affiliate_id_param=network.affiliate_id_param)
    world.api_token = platform.new_token()
    world.basic_auth = ("sandbox", platform.new_token()[:20])
    platform.add_token(world.api_token, admin)
    platform.add_basic_credentials(*world.basic_auth, admin)
    world.tokens[world.api_token] = admin
    world.basic_credentials[world.basic_auth] = admin

    version = DEMO_VERSION
    advertiser = platform.create_advertiser(admin, network.id, {
        "id_from_network": "adv-1",
        "name": "Sandbox Advertiser",
        "web_integration_phone_number": "8005550123",
        "sites": [{"id_from_network": "site-1", "name": "www.example.com"}],
    }, version=version)
    campaign = platform.create_advertiser_campaign(admin, network.id, "adv-1", {
        "id_from_network": "camp-1",
        "name": "Sandbox Campaign",
        "campaign_type": "AffiliateEnabled",
        "url": "https://www.example.com",
    }, version=version)
    affiliate = platform.create_affiliate(admin, network.id, {
        "id_from_network": "aff-1",
        "name": "Sandbox Affiliate",
    }, version=version)
    platform.create_advertiser_affiliate(admin, network.id, "adv-1", "aff-1",
                                         {"status": "Approved"}, version=version)
    platform.create_affiliate_campaign(admin, network.id, "adv-1", "camp-1", "aff-1",
                                       {"status": "Applied", "id_from_network": "affcamp-1"},
                                       version=version)
    pool = platform.create_ring_pool(admin, network.id, "adv-1", "camp-1", {
        "id_from_network": "rp-1",
        "name": "Sandbox RingPool",
        "pool_type": "Custom",
        "destination_type": "Advertiser",
        "destination_url": "https://www.example.com/landing",
        "max_pool_size": 15,
        "lifetime_seconds": 1800,
        "param1": "utm_source",
        "param2": "utm_campaign",
    }, version=version)
    bulk_pool = platform.create_ring_pool(admin, network.id, "adv-1", "camp-1", {
        "id_from_network": "rp-bulk-1",
        "name": "Sandbox Bulk RingPool",
        "pool_type": "Custom",
        "destination_type": "Advertiser",
        "destination_url": "https://www.example.com/landing",
        "max_pool_size": 15,
        "lifetime_seconds": 1800,
        "param1": "utm_source",
        "bulk": True,
    }, version=version)
    world.advertiser_id_from_network = advertiser["id_from_network"]
    world.advertiser_campaign_id_from_network = campaign["id_from_network"]
    world.affiliate_id_from_network = affiliate["id_from_network"]
    world.ring_pool = _pool_summary(pool)
    world.bulk_ring_pool = _pool_summary(bulk_pool)

    advertiser_user = Principal("advertiser", network.id, advertiser_id_from_network="adv-1")
    affiliate_user = Principal("affiliate", network.id, affiliate_id_from_network="aff-1")
    for principal in (advertiser_user, affiliate_user):
        token = platform.new_token()
        platform.add_token(token, principal)
        world.tokens[token] = principal
    external = platform.create_advertiser_campaign(admin, network.id, "adv-1", {
        "id_from_network": "camp-ext-1",
        "name": "Sandbox External Calls",
        "campaign_type": "ExternalOnly",
        "transcription_enabled": True,
    }, version=version)
    world.external_campaign_id_from_network = external["id_from_network"]
    return world


def body_keys(kind: str) -> tuple[str, ...]:
    """The keys an object's ``body`` may hold: its write schema's properties (the contract)."""
    return tuple(schema(BODY_SCHEMAS[kind]).get("properties") or ())


def check_keys(spec: Mapping[str, Any], allowed: Iterable[str], where: str) -> None:
    """Refuse the keys of ``spec`` that ``allowed`` does not list, naming the first one (and
    the known key it is closest to, if any)."""
    known = tuple(allowed)
    unknown = [str(key) for key in spec if key not in known]
    if not unknown:
        return
    key = unknown[0]
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(known)})"
    raise RecordInvalid(f"{where}: unknown key {key!r}{hint}",
                        field_errors={f"{where}.{key}": ["is not a known key"]})


def _text(spec: Mapping[str, Any], name: str, where: str) -> str:
    value = spec.get(name)
    if value is None or str(value) == "":
        raise RecordInvalid(f"{where}: {name} is required")
    return str(value)


#: a campaign body's ``status`` (read-only to the API) -> the campaign action reaching it
CAMPAIGN_STATUS_ACTIONS = {"Live": "go_live", "Archived": "archive", "Paused": "unarchive"}


def _campaign_status(platform: Platform, admin: Principal, network_id: int, advertiser: str,
                     made: Mapping[str, Any], *, status: Any, where: str) -> None:
    """A campaign brought to the ``status`` its world body names, by the platform's own
    action (``Live``: go_live, its staged terms made live; ``Archived``: archive; ``Paused``:
    unarchive); nothing when it already has it (fidelity WP4)."""
    if status is None or status == made["status"]:
        return
    action = CAMPAIGN_STATUS_ACTIONS.get(str(status))
    if action is None:
        raise RecordInvalid(f"{where}.body: status {status!r} cannot be reached by a world "
                            f"file (one of {', '.join(CAMPAIGN_STATUS_ACTIONS)})")
    getattr(platform, f"{action}_advertiser_campaign")(admin, network_id, advertiser,
                                                       str(made["id_from_network"]))


def load_world(platform: Platform, mapping: Mapping[str, Any]) -> World:
    """Rebuild ``platform`` with the world of a parsed JSON/TOML file; returns that world.

    :meth:`Platform.reset` afterwards comes back to this world.
    """
    platform.use_world(mapping)
    assert platform.world is not None
    return platform.world


def populate_world(platform: Platform, mapping: Mapping[str, Any]) -> World:
    """Create a world file's networks, objects and credentials inside an empty platform."""
    if not isinstance(mapping, Mapping):
        raise RecordInvalid("a world file must be a mapping")
    check_keys(mapping, WORLD_KEYS, "world")
    networks = mapping.get("networks")
    if not isinstance(networks, list) or not networks:
        raise RecordInvalid("a world file needs at least one entry in networks")
    world = World()
    for index, spec in enumerate(networks):
        where = f"networks[{index}]"
        if not isinstance(spec, Mapping):
            raise RecordInvalid(f"{where} must be a table")
        check_keys(spec, NETWORK_KEYS, where)
        network = platform.directory.add_network(
            str(spec.get("name") or f"Network {index + 1}"),
            id=int(spec["id"]) if spec.get("id") is not None else None,
            affiliate_id_param=str(spec.get("affiliate_id_param") or "pid"),
        )
        for key in ("call_ingestion", "recording_direct_access"):
            if key in spec and not isinstance(spec[key], bool):
                raise RecordInvalid(f"{where}: {key} must be true or false")
        platform.call_ingestion.configure(network.id, enabled=spec.get("call_ingestion"),
                                          direct_access=spec.get("recording_direct_access"))
        if world.network_id is None:
            world.network_id = network.id
            world.affiliate_id_param = network.affiliate_id_param

    for index, spec in enumerate(mapping.get("objects") or []):
        where = f"objects[{index}]"
        if not isinstance(spec, Mapping):
            raise RecordInvalid(f"{where} must be a table")
        check_keys(spec, OBJECT_KEYS, where)
        kind = str(spec.get("type") or "")
        if kind not in OBJECT_TYPES:
            raise RecordInvalid(f"{where}: type must be one of {', '.join(OBJECT_TYPES)}")
        network_id = int(spec.get("network_id") or world.network_id or 0)
        admin = Principal("network", network_id)
        body = spec.get("body") or {}
        if not isinstance(body, Mapping):
            raise RecordInvalid(f"{where}: body must be a table")
        check_keys(body, body_keys(kind), f"{where}.body")
        version = str(spec.get("version") or DEMO_VERSION)
        if kind == "advertiser":
            made = platform.create_advertiser(admin, network_id, body, version=version)
            world.advertiser_id_from_network = (world.advertiser_id_from_network
                                                or made["id_from_network"])
        elif kind == "affiliate":
            made = platform.create_affiliate(admin, network_id, body, version=version)
            world.affiliate_id_from_network = (world.affiliate_id_from_network
                                               or made["id_from_network"])
        elif kind == "prompt_recording":
            owner = spec.get("advertiser_id_from_network")
            platform.add_prompt_recording(network_id, {
                **body, **({"advertiser_id_from_network": owner} if owner else {})})
        else:
            advertiser = _text(spec, "advertiser_id_from_network", where)
            if kind == "advertiser_campaign":
                made = platform.create_advertiser_campaign(admin, network_id, advertiser, body,
                                                           version=version)
                _campaign_status(platform, admin, network_id, advertiser, made,
                                 status=body.get("status"), where=where)
                if made["current_terms"].get("campaign_type") == "ExternalOnly":
                    world.external_campaign_id_from_network = (
                        world.external_campaign_id_from_network or made["id_from_network"])
                else:
                    world.advertiser_campaign_id_from_network = (
                        world.advertiser_campaign_id_from_network or made["id_from_network"]
                    )
            elif kind == "advertiser_affiliate":
                platform.create_advertiser_affiliate(
                    admin, network_id, advertiser,
                    _text(spec, "affiliate_id_from_network", where), body, version=version,
                )
            else:
                campaign = _text(spec, "advertiser_campaign_id_from_network", where)
                if kind == "affiliate_campaign":
                    platform.create_affiliate_campaign(
                        admin, network_id, advertiser, campaign,
                        _text(spec, "affiliate_id_from_network", where), body, version=version,
                    )
                elif kind == "promo_number":
                    affiliate = spec.get("affiliate_id_from_network")
                    if affiliate:
                        platform.create_affiliate_campaign_promo_number(
                            admin, network_id, advertiser, campaign, str(affiliate), body,
                            version=version,
                        )
                    else:
                        platform.create_promo_number(admin, network_id, advertiser, campaign,
                                                     body, version=version)
                else:
                    made = platform.create_ring_pool(admin, network_id, advertiser, campaign,
                                                     body, version=version)
                    bulk = bool(made["bulk"])
                    if bulk and world.bulk_ring_pool is None:
                        world.bulk_ring_pool = _pool_summary(made)
                    elif not bulk and world.ring_pool is None:
                        world.ring_pool = _pool_summary(made)

    for index, spec in enumerate(mapping.get("tokens") or []):
        where = f"tokens[{index}]"
        if not isinstance(spec, Mapping):
            raise RecordInvalid(f"{where} must be a table")
        check_keys(spec, TOKEN_KEYS, where)
        principal = _principal(platform, spec, where)
        token = str(spec.get("token") or "") or platform.new_token()
        platform.add_token(token, principal)
        world.tokens[token] = principal
        if principal.role == "network" and world.api_token is None:
            world.api_token = token
    for index, spec in enumerate(mapping.get("basic_auth") or []):
        where = f"basic_auth[{index}]"
        if not isinstance(spec, Mapping):
            raise RecordInvalid(f"{where} must be a table")
        check_keys(spec, BASIC_AUTH_KEYS, where)
        principal = _principal(platform, spec, where)
        pair = (_text(spec, "username", where), _text(spec, "password", where))
        platform.add_basic_credentials(*pair, principal)
        world.basic_credentials[pair] = principal
        if principal.role == "network" and world.basic_auth is None:
            world.basic_auth = pair
    return world
