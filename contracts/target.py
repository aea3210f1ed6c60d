"""The deployment under test: a base URL, its credentials, and what it lets us control.

Rules:
1. HTTP only. The target may be the sandbox (in this process's neighbour or far away) or a
   real Invoca network; nothing here knows which, it only asks.
2. Capabilities, not environments: :func:`probe` reads ``GET /_sandbox/health`` and then asks
   ``OPTIONS`` of each control endpoint (side-effect free; a Flask app answers it for every
   route it has). A target without ``/_sandbox/health`` has no capabilities at all.
3. Credentials given explicitly win; the missing ones come from ``GET /_sandbox/world`` when
   the target has it.
4. ``read_only`` turns every capability that changes state off (reset, clock, calls, faults)
   and the suites skip every operation that is not ``GET``.
5. An admin token (``--admin-token``, ``$INVOCA_SANDBOX_ADMIN_TOKEN``) goes in the
   :data:`ADMIN_HEADER` header of every control request (a path with ``/_sandbox/``) and of no
   other request (:class:`AdminToken`, the session's auth).
6. Every request of the session is recorded (:class:`~contracts.reproduction.Recorder`, a
   response hook): :meth:`Target.reproduction` turns a failure's into curl commands.

Choices (open in the documents): a capability is present when ``OPTIONS`` of its endpoint does
not answer 404/405; a ``capabilities`` list in the health body, when a target sends one, wins
over the probe.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.auth import AuthBase

from contracts.reproduction import Recorder, Reproduction, Secret, secrets_of

#: capability -> (method, control path) used to change state through it
CONTROL_ENDPOINTS: dict[str, tuple[str, str]] = {
    "reset": ("POST", "/_sandbox/reset"),
    "clock": ("POST", "/_sandbox/clock"),
    "calls": ("POST", "/_sandbox/calls"),
    "faults": ("POST", "/_sandbox/faults"),
    "prompt_recordings": ("POST", "/_sandbox/prompt_recordings"),
    "sms": ("POST", "/_sandbox/sms"),
}

#: every capability a suite may ask for ("sandbox" = the control API answers at all)
CAPABILITIES = ("sandbox", "world", *CONTROL_ENDPOINTS)

#: seconds to wait for one control request
TIMEOUT = 30.0

#: the control API's admin token header (the sandbox's ``mock_server.admin.ADMIN_HEADER``)
ADMIN_HEADER = "X-Sandbox-Admin-Token"
#: where the suites read the admin token from when no ``--admin-token`` is given
ADMIN_ENV = "INVOCA_SANDBOX_ADMIN_TOKEN"


class AdminToken(AuthBase):
    """The admin token on control requests only (rule 5)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if "/_sandbox/" in urlsplit(request.url or "").path:
            request.headers[ADMIN_HEADER] = self.token
        return request


class TargetError(Exception):
    """The target did not answer a control request as documented."""


@dataclass(frozen=True)
class RingPoolCredentials:
    """A RingPool of the legacy API (or the Bulk API): its id and its key."""

    id: int
    key: str

    @classmethod
    def parse(cls, text: str) -> RingPoolCredentials:
        """``ID:KEY`` (as given to ``--ring-pool``)."""
        ident, sep, key = text.partition(":")
        if not sep or not ident.strip().isdigit() or not key.strip():
            raise ValueError(f"expected ID:KEY (e.g. 1:755215A60A37A6), got {text!r}")
        return cls(int(ident), key.strip())


@dataclass(frozen=True)
class Target:
    """Where the suites send requests, as whom, and what they may control."""

    base_url: str
    token: str | None = None
    basic: tuple[str, str] | None = None
    network_id: int | None = None
    ring_pool: RingPoolCredentials | None = None
    bulk_ring_pool: RingPoolCredentials | None = None
    read_only: bool = False
    capabilities: frozenset[str] = frozenset()
    #: ``GET /_sandbox/world`` as read at probe time (empty when the target has none)
    world: Mapping[str, Any] = field(default_factory=dict)
    #: the control API answered 401: it needs an admin token that was not given
    locked: bool = False
    session: requests.Session = field(default_factory=requests.Session, compare=False,
                                      repr=False)
    #: every request of ``session`` since the running scenario started (rule 6)
    recorder: Recorder = field(default_factory=Recorder, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.recorder.install(self.session)

    # ------------------------------------------------------------------ capabilities

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def missing_reason(self, capability: str) -> str:
        """Why a test that needs ``capability`` is skipped."""
        if self.read_only and capability in CONTROL_ENDPOINTS:
            return f"--read-only: {capability!r} would change the state of {self.base_url}"
        if self.locked:
            return (f"{self.base_url}'s control API needs its admin token "
                    f"(--admin-token or ${ADMIN_ENV})")
        if capability == "sandbox" or "sandbox" not in self.capabilities:
            return f"{self.base_url} has no /_sandbox/health (not a sandbox)"
        if capability in CONTROL_ENDPOINTS:
            method, path = CONTROL_ENDPOINTS[capability]
            return f"{self.base_url} does not offer {method} {path} (capability {capability!r})"
        return f"{self.base_url} lacks capability {capability!r}"

    # ------------------------------------------------------------------ credentials

    def auth_headers(self) -> dict[str, str]:
        """Headers that authenticate a Network Integration / Transactions / Signal request."""
        if self.token is not None:
            return {"Authorization": self.token}
        if self.basic is not None:
            return {"Authorization": basic_header(*self.basic)}
        return {}

    def basic_headers(self) -> dict[str, str]:
        """HTTP Basic (required by Conversion Reporting); empty when no Basic credentials."""
        return {"Authorization": basic_header(*self.basic)} if self.basic is not None else {}

    def secrets(self) -> list[Secret]:
        """The credentials a reproduction writes as shell variables: all of them on a target
        that is no sandbox, the admin token on any (a sandbox's world credentials are no
        secret: its reproductions run as printed)."""
        auth = self.session.auth
        kinds: list[tuple[str, str | None]] = [
            ("admin", auth.token if isinstance(auth, AdminToken) else None)]
        if not self.has("sandbox"):
            kinds += [("token", self.token),
                      ("basic", basic_header(*self.basic).split(" ", 1)[1] if self.basic
                       else None),
                      ("ring_pool_key", self.ring_pool.key if self.ring_pool else None),
                      ("bulk_ring_pool_key",
                       self.bulk_ring_pool.key if self.bulk_ring_pool else None)]
        return secrets_of(kinds)

    def reproduction(self, response: requests.Response | None = None) -> Reproduction:
        """The curl commands of the running scenario up to ``response`` (else its last
        request)."""
        return self.recorder.reproduction(response, self.secrets())

    # ------------------------------------------------------------------ HTTP

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT)
        return self.session.request(method, self.url(path), **kwargs)

    def control(self, capability: str, body: Mapping[str, Any] | None = None,
                method: str | None = None) -> Any:
        """Call the control endpoint of ``capability``; its JSON answer, or :class:`TargetError`."""
        if not self.has(capability):
            raise TargetError(self.missing_reason(capability))
        default_method, path = CONTROL_ENDPOINTS[capability]
        response = self.request(method or default_method, path,
                                json=dict(body) if body is not None else None)
        if response.status_code >= 300:
            raise TargetError(f"{method or default_method} {path} answered "
                              f"{response.status_code}: {response.text[:300]}")
        return response.json() if response.content else None

    def reset(self) -> None:
        self.control("reset")

    def advance_clock(self, seconds: float) -> Any:
        return self.control("clock", {"advance_seconds": seconds})

    def simulate_call(self, promo_number: str, *, duration_seconds: int = 60,
                      start_time: str | None = None) -> Any:
        body: dict[str, Any] = {"promo_number": promo_number, "duration_seconds": duration_seconds}
        if start_time is not None:
            body["start_time"] = start_time
        return self.control("calls", body)

    def set_fault(self, switch: str) -> Any:
        return self.control("faults", {"switch": switch})

    def clear_faults(self) -> Any:
        return self.control("faults", method="DELETE")

    def now(self) -> str | None:
        """The target's current instant as it reports it (ISO-8601), when it is a sandbox."""
        if not self.has("sandbox"):
            return None
        data = self.request("GET", "/_sandbox/health").json()
        return str(data["now"]) if isinstance(data, dict) and "now" in data else None

    def read_only_copy(self) -> Target:
        return replace(self, read_only=True,
                       capabilities=self.capabilities - frozenset(CONTROL_ENDPOINTS))


def basic_header(username: str, password: str) -> str:
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def parse_basic(text: str) -> tuple[str, str]:
    """``USER:PASS`` (as given to ``--basic``)."""
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise ValueError(f"expected USER:PASS, got {text!r}")
    return user, password


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def probe_capabilities(session: requests.Session, base_url: str) -> frozenset[str]:
    """What the control API at ``base_url`` offers (empty for a target that has none)."""
    root = base_url.rstrip("/")
    try:
        health = session.get(root + "/_sandbox/health", timeout=TIMEOUT)
    except requests.RequestException:
        return frozenset()
    data = _json_or_none(health)
    if health.status_code != 200 or not isinstance(data, dict) or data.get("status") != "ok":
        return frozenset()
    declared = data.get("capabilities")
    if isinstance(declared, list):
        return frozenset({"sandbox"} | {str(item) for item in declared})
    found = {"sandbox"}
    world = session.get(root + "/_sandbox/world", timeout=TIMEOUT)
    if world.status_code == 200 and isinstance(_json_or_none(world), dict):
        found.add("world")
    for capability, (method, path) in CONTROL_ENDPOINTS.items():
        answer = session.options(root + path, timeout=TIMEOUT)
        allowed = {m.strip().upper() for m in answer.headers.get("Allow", "").split(",")}
        if answer.status_code < 400 and (not allowed - {""} or method in allowed):
            found.add(capability)
    return frozenset(found)


def _control_locked(session: requests.Session, base_url: str) -> bool:
    """Whether the control API refused us for want of an admin token (401)."""
    try:
        health = session.get(base_url.rstrip("/") + "/_sandbox/health", timeout=TIMEOUT)
    except requests.RequestException:
        return False
    return health.status_code == 401


def _ring_pool(data: Any) -> RingPoolCredentials | None:
    if isinstance(data, dict) and "id" in data and "api_key" in data:
        return RingPoolCredentials(int(data["id"]), str(data["api_key"]))
    return None


def probe(
    base_url: str,
    *,
    token: str | None = None,
    basic: tuple[str, str] | None = None,
    network_id: int | None = None,
    ring_pool: RingPoolCredentials | None = None,
    bulk_ring_pool: RingPoolCredentials | None = None,
    read_only: bool = False,
    session: requests.Session | None = None,
    admin_token: str | None = None,
) -> Target:
    """A :class:`Target` for ``base_url``: capabilities probed, missing credentials from world."""
    session = session or requests.Session()
    if admin_token:
        session.auth = AdminToken(admin_token)
    capabilities = probe_capabilities(session, base_url)
    locked = not capabilities and _control_locked(session, base_url)
    world: dict[str, Any] = {}
    if "world" in capabilities:
        world = session.get(base_url.rstrip("/") + "/_sandbox/world", timeout=TIMEOUT).json()
        if token is None and basic is None:
            token = world.get("api_token")
        if basic is None and isinstance(world.get("basic_auth"), dict):
            basic = (str(world["basic_auth"]["username"]), str(world["basic_auth"]["password"]))
        if network_id is None and world.get("network_id") is not None:
            network_id = int(world["network_id"])
        ring_pool = ring_pool or _ring_pool(world.get("ring_pool"))
        bulk_ring_pool = bulk_ring_pool or _ring_pool(world.get("bulk_ring_pool"))
    if read_only:
        capabilities -= frozenset(CONTROL_ENDPOINTS)
    return Target(
        base_url=base_url.rstrip("/"),
        token=token,
        basic=basic,
        network_id=network_id,
        ring_pool=ring_pool,
        bulk_ring_pool=bulk_ring_pool,
        read_only=read_only,
        capabilities=capabilities,
        world=world,
        locked=locked,
        session=session,
    )
