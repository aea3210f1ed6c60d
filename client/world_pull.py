"""``invoca-sandbox world pull``: a network's configuration read over the Network Integration
API and written as a world file that ``serve --world`` loads (your network, offline).

Usage::

    invoca-sandbox world pull --base-url https://mynetwork.invoca.net --network-id 7 \\
        [--token TOKEN | $INVOCA_API_TOKEN] [--out world.json] [--pace 5] [--quiet] \\
        [--include-secrets]

Rules:

* Read-only: every request is a documented list (GET) operation of the contract, version
  :data:`VERSION` (the current one), the token in the ``Authorization`` header (the
  contract's ``apiToken`` scheme). Ring pools are read a second time with
  :data:`POOL_FIELDS_VERSION`, the last version that shows ``pool_type``, the destination
  and ``param1``..``param10`` (the sandbox allocates by them). The lists are not paged.
* Paced: at most ``--pace`` requests a second (the clock and the sleep are injectable). A
  progress bar on stderr when it is a terminal (gone when done), then one summary line;
  ``--quiet``: neither.
* What is read: the network (id, name, prompt recordings), advertisers (and their prompt
  recordings), affiliates, advertiser campaigns, advertiser-affiliate relationships,
  affiliate campaigns, ring pools, promo numbers (the advertiser campaigns' and the affiliate
  campaigns').
* Objects are written in an order that lets the sandbox give them the source's ids when the
  source numbered them 1, 2, ... (each kind by id) and reach their statuses
  (:func:`_affiliate_campaign_steps`); the body of each is the response's writable fields
  (the write schema's properties that are not read-only, or are world fields). Decisions where
  the response lacks what a world holds: docs/fidelity.md (WP1..), docs/world-file.md.
* Secrets: the world gets a network token drawn by the sandbox, not the token used to pull,
  and no ``oauth_refresh_token``; ``--include-secrets`` writes both as read.
* All or nothing: the world is checked by loading it into an offline platform, then written
  atomically (a temporary file renamed); any failure writes nothing, prints one line and
  exits with status 2 (401/403 from the source included).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from simulator.clock import ManualClock
from simulator.errors import NumbersExhausted, SandboxError
from simulator.fields import schema
from simulator.platform import Platform
from simulator.resources.campaigns import AFFILIATE_CAMPAIGN_TRANSITIONS
from simulator.settings import PlatformSettings
from simulator.world import BODY_SCHEMAS, body_keys

__all__ = [
    "DEFAULT_PACE",
    "POOL_FIELDS_VERSION",
    "TOKEN_ENV",
    "VERSION",
    "PullError",
    "Source",
    "check_world",
    "main",
    "pull_world",
    "write_atomically",
]

#: the Network Integration version the pull reads (the contract's current one)
VERSION = "2022-08-01"
#: the last version showing a ring pool's pool_type, destination and param1..param10
POOL_FIELDS_VERSION = "2018-11-01"
#: the ring pool fields read with POOL_FIELDS_VERSION
POOL_FIELDS = ("pool_type", "destination_type", "destination_url", "tracking_url",
               "is_first_preference", *(f"param{n}" for n in range(1, 11)))
#: requests a second by default (gentle on a real platform)
DEFAULT_PACE = 5.0
#: the environment variable holding the source's API token
TOKEN_ENV = "INVOCA_API_TOKEN"
#: response fields that are credentials: left out of the world unless --include-secrets
SECRET_FIELDS = ("oauth_refresh_token",)
#: a relationship status that is not Approved: held while affiliate campaigns are created
_HOLDING = "Pending"


class PullError(Exception):
    """A pull that cannot finish: one line for the user (nothing is written)."""


# ---- the source: paced, read-only requests ------------------------------------------------


@dataclass
class Source:
    """The Network Integration API of ``base_url``, read with ``token``, paced."""

    base_url: str
    token: str
    pace: float = DEFAULT_PACE
    timeout: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    #: called after every request (the progress bar)
    on_request: Callable[[], None] | None = None
    requests: int = 0
    _last: float | None = field(default=None, repr=False)
    _connection: http.client.HTTPConnection | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise PullError(f"--base-url must be an http(s) URL, got {self.base_url!r}")
        if not self.pace > 0:
            raise PullError(f"--pace must be a positive number of requests a second, "
                            f"got {self.pace}")
        self._parts = parts
        self.prefix = parts.path.rstrip("/")

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _wait_turn(self) -> None:
        """Sleep until 1/pace seconds have passed since the previous request began."""
        now = self.clock()
        if self._last is not None:
            wait = self._last + 1.0 / self.pace - now
            if wait > 0:
                self.sleep(wait)
                now = self.clock()
        self._last = now

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            kind = (http.client.HTTPSConnection if self._parts.scheme == "https"
                    else http.client.HTTPConnection)
            self._connection = kind(self._parts.hostname or "", self._parts.port,
                                    timeout=self.timeout)
        return self._connection

    def get(self, version: str, path: str) -> Any:
        """``GET /api/<version>/<path>``: the decoded JSON body of a 200, else PullError."""
        target = f"{self.prefix}/api/{version}/{path}"
        self._wait_turn()
        headers = {"Authorization": self.token, "Accept": "application/json"}
        try:
            connection = self._connect()
            connection.request("GET", target, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise PullError(f"cannot reach {self.base_url}: {reason}") from None
        self.requests += 1
        if self.on_request is not None:
            self.on_request()
        text = raw.decode("utf-8", "replace")
        if response.status in (401, 403):
            raise PullError(
                f"{self.base_url} refused the token ({response.status} on GET {target}): "
                f"check --token and --network-id ({_said(text)})")
        if response.status == 429:
            raise PullError(f"{self.base_url} is limiting the rate (429 on GET {target}): "
                            f"pull again with a lower --pace")
        if response.status != 200:
            raise PullError(f"GET {target} answered {response.status}: {_said(text)}")
        try:
            return json.loads(text)
        except ValueError:
            raise PullError(f"GET {target} answered 200 but not JSON: {_said(text)}") from None


def _said(text: str) -> str:
    return " ".join(text.split())[:200] or "no body"


# ---- reading the network ------------------------------------------------------------------


def _seg(value: Any) -> str:
    return quote(str(value), safe="")


def _list(source: Source, version: str, path: str) -> list[dict[str, Any]]:
    found = source.get(version, path)
    if not isinstance(found, list) or not all(isinstance(item, dict) for item in found):
        raise PullError(f"GET /api/{version}/{path} did not answer a list of objects")
    return found


@dataclass
class Pulled:
    """What was read, by kind (each object as the source answered it, plus its owners)."""

    network: dict[str, Any] = field(default_factory=dict)
    advertisers: list[dict[str, Any]] = field(default_factory=list)
    affiliates: list[dict[str, Any]] = field(default_factory=list)
    #: (advertiser id, campaign)
    campaigns: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: (advertiser id, relationship)
    relationships: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: (advertiser id, campaign id, affiliate campaign)
    affiliate_campaigns: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    #: (advertiser id, campaign id, ring pool with its POOL_FIELDS)
    ring_pools: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    #: (advertiser id, campaign id, affiliate id or None, promo number)
    promo_numbers: list[tuple[str, str, str | None, dict[str, Any]]] = field(
        default_factory=list)

    def count(self) -> int:
        return (len(self.advertisers) + len(self.affiliates) + len(self.campaigns)
                + len(self.relationships) + len(self.affiliate_campaigns)
                + len(self.ring_pools) + len(self.promo_numbers))

    def counts(self) -> dict[str, int]:
        return {"advertisers": len(self.advertisers), "affiliates": len(self.affiliates),
                "campaigns": len(self.campaigns), "relationships": len(self.relationships),
                "affiliate campaigns": len(self.affiliate_campaigns),
                "ring pools": len(self.ring_pools), "promo numbers": len(self.promo_numbers)}


def read_network(source: Source, network_id: int,
                 on_objects: Callable[[Pulled], None] | None = None) -> Pulled:
    """Every object of the network the world holds, read through the list operations."""
    pulled = Pulled()

    def seen() -> None:
        if on_objects is not None:
            on_objects(pulled)

    base = f"{network_id}"
    network = source.get(VERSION, f"{base}/network.json")
    if not isinstance(network, dict):
        raise PullError(f"GET /api/{VERSION}/{base}/network.json did not answer an object")
    pulled.network = network
    pulled.advertisers = _list(source, VERSION, f"{base}/advertisers.json")
    seen()
    pulled.affiliates = _list(source, VERSION, f"{base}/affiliates.json")
    seen()
    for advertiser in pulled.advertisers:
        adv = str(advertiser["id_from_network"])
        at = f"{base}/advertisers/{_seg(adv)}"
        pulled.relationships += [
            (adv, item) for item in _list(source, VERSION, f"{at}/affiliates.json")]
        for campaign in _list(source, VERSION, f"{at}/advertiser_campaigns.json"):
            camp = str(campaign["id_from_network"])
            pulled.campaigns.append((adv, campaign))
            seen()
            here = f"{at}/advertiser_campaigns/{_seg(camp)}"
            held = _list(source, VERSION, f"{here}/affiliate_campaigns.json")
            pulled.affiliate_campaigns += [(adv, camp, item) for item in held]
            legacy = {str(pool["id_from_network"]): pool for pool in
                      _list(source, POOL_FIELDS_VERSION, f"{here}/ring_pools.json")}
            for pool in _list(source, VERSION, f"{here}/ring_pools.json"):
                older = legacy.get(str(pool["id_from_network"]), {})
                pool.update({name: older[name] for name in POOL_FIELDS if name in older})
                pulled.ring_pools.append((adv, camp, pool))
            pulled.promo_numbers += [
                (adv, camp, None, item)
                for item in _list(source, VERSION, f"{here}/promo_numbers.json")]
            seen()
            for item in held:
                aff = str(item["affiliate_id_from_network"])
                pulled.promo_numbers += [
                    (adv, camp, aff, number) for number in _list(
                        source, VERSION,
                        f"{here}/affiliates/{_seg(aff)}/affiliate_campaigns/promo_numbers.json")]
                seen()
    return pulled


# ---- the world: bodies, order, statuses ---------------------------------------------------


def _writable(kind: str) -> tuple[str, ...]:
    """The body keys worth writing: the write schema's properties that the model stores (not
    read-only unless a world field; never the ``oauth_token`` credential)."""
    props = schema(BODY_SCHEMAS[kind]).get("properties") or {}
    return tuple(name for name in body_keys(kind) if name != "oauth_token"
                 and (not props[name].get("readOnly") or props[name].get("x-world-field")))


def _without_secrets(value: Any) -> Any:
    """``value`` without the :data:`SECRET_FIELDS`, at any depth (users carry them too)."""
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k not in SECRET_FIELDS}
    if isinstance(value, list):
        return [_without_secrets(item) for item in value]
    return value


def _body(kind: str, answered: Mapping[str, Any], secrets: bool) -> dict[str, Any]:
    body = {name: answered[name] for name in _writable(kind) if name in answered}
    return body if secrets else _without_secrets(body)


def _by_id(items: Iterable[Any], obj: Callable[[Any], Mapping[str, Any]]) -> list[Any]:
    """In the order the source numbered them (stable for objects without an integer id)."""
    def key(item: Any) -> int:
        value = obj(item).get("id")
        return value if isinstance(value, int) else 1 << 62
    return sorted(items, key=key)


def _campaign_body(campaign: Mapping[str, Any], terms: Mapping[str, Any] | None,
                   secrets: bool) -> dict[str, Any]:
    """The campaign's own fields with ``terms`` (its flat terms fields)."""
    own = {k: v for k, v in campaign.items()
           if k not in ("current_terms", "future_terms", "status")}
    return _body("advertiser_campaign", {**(terms or {}), **own}, secrets)


def _campaign_bodies(campaign: Mapping[str, Any], secrets: bool) -> list[dict[str, Any]]:
    """A campaign's world entries. One that went live: its live terms with ``status: Live``
    (the world makes them live), then its staged terms when they differ (``future_terms``);
    one never live: its staged terms. ``Archived`` or ``Paused`` is asked for last."""
    current, future = campaign.get("current_terms"), campaign.get("future_terms")
    status = str(campaign.get("status") or "Entry")
    went_live = bool((current or {}).get("go_live_date")) or status == "Live"
    if went_live:
        bodies = [{**_campaign_body(campaign, current, secrets), "status": "Live"}]
        if future:
            bodies.append(_campaign_body(campaign, future, secrets))
    else:
        bodies = [_campaign_body(campaign, future or current, secrets)]
    if status not in ("Entry", "Live"):
        if "status" in bodies[-1]:  # made live: archived afterwards, on its own
            bodies.append({"id_from_network": campaign["id_from_network"]})
        bodies[-1]["status"] = status
    return bodies


def _ring_pool_bodies(pool: Mapping[str, Any], secrets: bool) -> list[dict[str, Any]]:
    """A ring pool's world entries: its fields, then one write per Destination (customer
    phone number) in the order shown, as the API adds them (the last written is the
    default); the read-only ``customer_phone_numbers`` cannot be written otherwise."""
    body = _body("ring_pool", pool, secrets)
    writes = []
    for destination in pool.get("customer_phone_numbers") or ():
        if not isinstance(destination, Mapping) or not destination.get("destination_phone_number"):
            continue
        write = {"destination_phone_number": destination["destination_phone_number"]}
        tag = (destination.get("js_tag") or {}).get("obfuscated_tag_id")
        if tag:
            write["obfuscated_tag_id"] = tag
        writes.append(write)
    if not writes:
        return [body]
    key = {"id_from_network": pool["id_from_network"]}
    return [{**body, **writes[0]}, *({**key, **write} for write in writes[1:])]


def _status_path(start: str, target: str) -> list[str] | None:
    """The statuses an affiliate campaign is set to, in turn, from ``start`` to ``target``
    (the platform's transitions; None when it cannot get there)."""
    queue: deque[tuple[str, list[str]]] = deque([(start, [])])
    reached = {start}
    while queue:
        status, path = queue.popleft()
        if status == target:
            return path
        for following in sorted(AFFILIATE_CAMPAIGN_TRANSITIONS.get(status, ())):
            if following not in reached:
                reached.add(following)
                queue.append((following, [*path, following]))
    return None


def _affiliate_campaign_steps(pulled: Pulled, warnings: list[str]
                              ) -> dict[tuple[str, str, str], list[str]]:
    """The status updates after each affiliate campaign's creation. It is created while its
    relationship is held (not Approved), so it starts ``Applied`` (``Approved`` when its
    campaign auto-approves every affiliate); the path to the source's status follows."""
    auto = {(adv, str(c["id_from_network"])): next(
        (b["auto_approve"] for b in reversed(_campaign_bodies(c, False)) if "auto_approve" in b),
        None) for adv, c in pulled.campaigns}
    steps: dict[tuple[str, str, str], list[str]] = {}
    for adv, camp, held in pulled.affiliate_campaigns:
        aff = str(held["affiliate_id_from_network"])
        start = "Approved" if auto.get((adv, camp)) == "All" else "Applied"
        target = str(held.get("status") or start)
        path = _status_path(start, target)
        if path is None:
            warnings.append(f"affiliate campaign {adv}/{camp}/{aff}: status {target} cannot "
                            f"be reached from {start}; it loads as {start}")
            path = []
        steps[adv, camp, aff] = path
    return steps


def build_world(pulled: Pulled, network_id: int, *, token: str | None = None,
                secrets: bool = False, warnings: list[str] | None = None) -> dict[str, Any]:
    """The world file (a mapping) of what was read."""
    warnings = warnings if warnings is not None else []
    objects: list[dict[str, Any]] = []

    def add(kind: str, body: Mapping[str, Any], **owners: str | None) -> None:
        entry: dict[str, Any] = {"type": kind, "network_id": network_id}
        entry.update({k: v for k, v in owners.items() if v is not None})
        if kind != "prompt_recording":
            entry["version"] = VERSION
        entry["body"] = dict(body)
        objects.append(entry)

    recording_keys = tuple(schema("PromptRecording").get("properties") or ())
    for recording in pulled.network.get("prompt_recordings") or ():
        add("prompt_recording", {k: recording[k] for k in recording_keys if k in recording})
    for advertiser in _by_id(pulled.advertisers, lambda a: a):
        add("advertiser", _body("advertiser", advertiser, secrets))
    for advertiser in _by_id(pulled.advertisers, lambda a: a):
        for recording in advertiser.get("prompt_recordings") or ():
            add("prompt_recording", {k: recording[k] for k in recording_keys if k in recording},
                advertiser_id_from_network=str(advertiser["id_from_network"]))
    for affiliate in _by_id(pulled.affiliates, lambda a: a):
        add("affiliate", _body("affiliate", affiliate, secrets))
    for adv, campaign in _by_id(pulled.campaigns, lambda c: c[1]):
        for body in _campaign_bodies(campaign, secrets):
            add("advertiser_campaign", body, advertiser_id_from_network=adv)

    steps = _affiliate_campaign_steps(pulled, warnings)
    with_campaigns = {(adv, str(h["affiliate_id_from_network"]))
                      for adv, _, h in pulled.affiliate_campaigns}
    held_back: list[tuple[str, str, dict[str, Any]]] = []
    for adv, relationship in pulled.relationships:
        aff = str(relationship["affiliate_id_from_network"])
        body = _body("advertiser_affiliate", relationship, secrets)
        if body.get("status") == "Approved" and (adv, aff) in with_campaigns:
            held_back.append((adv, aff, body))
            body = {**body, "status": _HOLDING}
        add("advertiser_affiliate", body, advertiser_id_from_network=adv,
            affiliate_id_from_network=aff)
    for adv, camp, held in _by_id(pulled.affiliate_campaigns, lambda h: h[2]):
        aff = str(held["affiliate_id_from_network"])
        add("affiliate_campaign", {**_body("affiliate_campaign", held, secrets),
                                   "status": "Applied"},
            advertiser_id_from_network=adv, advertiser_campaign_id_from_network=camp,
            affiliate_id_from_network=aff)
    for adv, camp, held in pulled.affiliate_campaigns:
        aff = str(held["affiliate_id_from_network"])
        for status in steps[adv, camp, aff]:
            add("affiliate_campaign", {"status": status}, advertiser_id_from_network=adv,
                advertiser_campaign_id_from_network=camp, affiliate_id_from_network=aff)
    for adv, aff, body in held_back:
        add("advertiser_affiliate", body, advertiser_id_from_network=adv,
            affiliate_id_from_network=aff)

    for adv, camp, pool in _by_id(pulled.ring_pools, lambda p: p[2]):
        for body in _ring_pool_bodies(pool, secrets):
            add("ring_pool", body, advertiser_id_from_network=adv,
                advertiser_campaign_id_from_network=camp)
    for adv, camp, aff, number in _by_id(pulled.promo_numbers, lambda n: n[3]):
        add("promo_number", _body("promo_number", number, secrets),
            advertiser_id_from_network=adv, advertiser_campaign_id_from_network=camp,
            affiliate_id_from_network=aff)

    network: dict[str, Any] = {"id": network_id}
    if pulled.network.get("name"):
        network["name"] = str(pulled.network["name"])
    return {
        "networks": [network],
        "tokens": [{"token": token or "", "role": "network", "network_id": network_id}],
        "objects": objects,
    }


def _load(world: Mapping[str, Any]) -> None:
    settings = world.get("settings") or {}
    Platform(ManualClock(datetime(2016, 10, 1, tzinfo=UTC)), 0, settings=PlatformSettings(
        world=world, numbers=str(settings.get("numbers") or "fictional")))


def check_world(world: dict[str, Any], warnings: list[str] | None = None) -> dict[str, Any]:
    """``world`` once it loads into an offline platform as ``serve --world`` would; with
    ``[settings] numbers = "valid"`` added when the fictional range cannot hold its numbers
    (a warning says so). PullError when it does not load: nothing is written."""
    try:
        _load(world)
        return world
    except NumbersExhausted:
        wider = {**world, "settings": {**(world.get("settings") or {}), "numbers": "valid"}}
    except SandboxError as exc:
        raise PullError(f"the pulled world does not load: {exc}") from None
    try:
        _load(wider)
    except SandboxError as exc:
        raise PullError(f"the pulled world does not load: {exc}") from None
    if warnings is not None:
        warnings.append("the network holds more numbers than the sandbox's fictional range: "
                        "the world serves valid-looking numbers ([settings] numbers = valid)")
    return wider


def pull_world(source: Source, network_id: int, *, secrets: bool = False,
               on_objects: Callable[[Pulled], None] | None = None,
               warnings: list[str] | None = None) -> tuple[dict[str, Any], Pulled]:
    """Read the network, build its world and check that it loads."""
    try:
        pulled = read_network(source, network_id, on_objects)
    except KeyError as exc:  # an object without the id the next path needs
        raise PullError(f"an answer of {source.base_url} has an object without {exc}"
                        ) from None
    finally:
        source.close()
    world = build_world(pulled, network_id, token=source.token if secrets else None,
                        secrets=secrets, warnings=warnings)
    return check_world(world, warnings), pulled


def world_text(world: Mapping[str, Any]) -> str:
    """The world as written: JSON, two-space indent, keys in the order read."""
    return json.dumps(world, indent=2, ensure_ascii=False) + "\n"


def write_atomically(path: Path, text: str) -> None:
    """``text`` in ``path`` whole or not at all (a temporary file beside it, renamed)."""
    directory = path.resolve().parent
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# ---- the command --------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invoca-sandbox world pull",
        description="Read a network's advertisers, campaigns, affiliates, relationships, "
                    "ring pools and promo numbers through the Network Integration API "
                    "(read-only) and write a world file for 'serve --world'.",
    )
    parser.add_argument("--base-url", required=True, metavar="URL",
                        help="the source: https://<network>.invoca.net or a sandbox's URL")
    parser.add_argument("--token", default=os.environ.get(TOKEN_ENV) or None,
                        help=f"the source's network API token (default: ${TOKEN_ENV})")
    parser.add_argument("--network-id", required=True, type=int, metavar="N",
                        help="the network id in the source's URLs")
    parser.add_argument("--out", default="world.json", metavar="FILE",
                        help="the world file to write, JSON (default world.json; - for "
                             "standard output)")
    parser.add_argument("--pace", type=float, default=DEFAULT_PACE, metavar="N",
                        help=f"at most N requests a second (default {DEFAULT_PACE:g})")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                        help="seconds to wait for each answer (default 30)")
    parser.add_argument("--include-secrets", action="store_true",
                        help="write the token used to pull as the world's network token, and "
                             "the oauth_refresh_token fields (default: neither)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    return parser


def _usage() -> str:
    return ("usage: invoca-sandbox world pull --base-url URL --network-id N [--token T] "
            "[--out FILE] [--pace N] [--quiet]\n\n"
            "commands:\n  pull       read a network over the Network Integration API into a "
            "world file")


def main(argv: Sequence[str] | None = None, *, sleep: Callable[[float], None] = time.sleep,
         clock: Callable[[], float] = time.monotonic) -> int:
    """``invoca-sandbox world <command>``; ``sleep`` and ``clock`` pace the requests."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if not args_list or args_list[0] in {"-h", "--help", "help"}:
        print(_usage())
        return 0 if args_list else 2
    if args_list[0] != "pull":
        print(f"invoca-sandbox world: unknown command {args_list[0]!r}\n\n{_usage()}",
              file=sys.stderr)
        return 2
    try:
        args = _parser().parse_args(args_list[1:])
    except SystemExit as exc:
        return int(exc.code or 0)
    if not args.token:
        print(f"invoca-sandbox world pull: no token: give --token or set ${TOKEN_ENV}",
              file=sys.stderr)
        return 2
    out = None if args.out == "-" else Path(args.out)
    if out is not None and out.suffix.lower() != ".json":
        print(f"invoca-sandbox world pull: --out {args.out}: the world is written as JSON; "
              f"name the file *.json (serve --world reads it by its suffix)", file=sys.stderr)
        return 2
    console = Console(file=sys.stderr, highlight=False)
    warnings: list[str] = []
    try:
        with Progress(SpinnerColumn(), TextColumn("{task.description}"),
                      TextColumn("{task.fields[objects]} objects read, {task.completed} "
                                 "requests"),
                      TimeElapsedColumn(), console=console,
                      disable=args.quiet or not console.is_terminal,
                      transient=True) as progress:
            task = progress.add_task(f"Pulling network {args.network_id}", total=None,
                                     objects=0)
            source = Source(args.base_url, args.token, pace=args.pace, timeout=args.timeout,
                            sleep=sleep, clock=clock,
                            on_request=lambda: progress.advance(task))
            world, pulled = pull_world(
                source, args.network_id, secrets=args.include_secrets, warnings=warnings,
                on_objects=lambda p: progress.update(task, objects=p.count()))
            progress.update(task, objects=pulled.count())
        text = world_text(world)
        if out is None:
            sys.stdout.write(text)
        else:
            write_atomically(out, text)
    except PullError as exc:
        print(f"invoca-sandbox world pull: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"invoca-sandbox world pull: cannot write {args.out}: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        for warning in warnings:
            console.print(f"warning: {warning}", soft_wrap=True, markup=False)
        counts = ", ".join(f"{n} {what}" for what, n in pulled.counts().items())
        where = "standard output" if out is None else str(out)
        console.print(f"Pulled network {args.network_id} "
                      f"({pulled.network.get('name') or 'unnamed'}): {counts}; "
                      f"{source.requests} requests -> {where}", soft_wrap=True, markup=False)
    return 0
