"""A scenario driven through a running sandbox over HTTP (``simulate SCENARIO --against URL``).

Rules:

* The I/O side of :mod:`simulator.runner`: the offline runner schedules the visitors and
  calls and computes every metric; this module only replaces its ring pools with
  :class:`HttpRingPool`, which answers the runner's questions through the sandbox's HTTP API.
  Same scenario, same seed -> the same visitors, parameters and calls (the runner draws them
  from the same streams whatever the pools answer), so the :class:`~simulator.report.Report`
  of a sandbox target equals the offline one when the server behaves as the model.
* Over the wire: the pool is created with the Network Integration API (``createRingPool``,
  version 2022-08-01, on the target's demo campaign from ``GET /_sandbox/world``); each
  visitor is ``POST /_sandbox/clock {"now": arrival}`` then the legacy ``allocateNumber``
  (``.json``); each call is ``POST /_sandbox/calls`` with the instant the runner attributes
  it at as ``start_time`` (the clock is moved up to it first when it lies ahead).
* Attribution read back: the server's answer to a call is its transaction, which does not name
  the allocation it was attributed to; so the holder of the number at the call's instant is
  read from the server's own allocation log (``GET /_sandbox/allocations``), the latest
  allocation of the number at or before that instant (the RingPool's rule). Sandbox choice.
* One connection, kept alive (``http.client``); any unexpected status raises
  :class:`DriveError` with the server's body. An admin token (the server's ``--admin-token``)
  goes in the :data:`ADMIN_HEADER` header of control requests (``/_sandbox/...``) only.

Limits (sandbox choices, for docs/fidelity.md):

* Several pools: the sandbox has one clock that never goes back, so each chunk's visitors of
  every pool are allocated in time order across the pools (:func:`allocate_in_time_order`,
  the runner's ``allocate_pools`` seam; visitors at the same microsecond go pool by pool).
* Calls to the overflow number (and by visitors a full pool refused) are counted by the runner
  without asking its pool, so they are not posted to ``/_sandbox/calls``: the target's
  transactions hold the calls to pool numbers only.
* The server keeps a bounded allocation log (its RingPool ``retention``); a call whose
  allocation the server forgot counts as unattributed (``allocations_forgotten``), which
  only a very long scenario can reach.
* Allocations are matched to the run's own by (promo number, allocated_at): the sandbox and the
  runner issue different numbers from their own inventories, so logs compare after
  :func:`relabelled`.
* Custom visit parameters are sent as query parameters under the scenario's names (the pool is
  created with them as ``param1``..``param10``).
* The runner gets its pools from ``run_scenario(pool_factory=...)``: each is an
  :class:`HttpRingPool` answering the runner's calls over HTTP.
* Calls reach the server in the order the runner attributes them (by batch of visitors, not
  globally by instant): a call may be posted with a ``start_time`` before the server's clock,
  which the server accepts (only a future ``start_time`` is refused); attribution is by the
  call's instant either way.
"""

from __future__ import annotations

import heapq
import http.client
import json
import random
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from itertools import count, repeat
from typing import Any
from urllib.parse import urlencode, urlsplit

from client.sandbox import ADMIN_HEADER
from simulator.errors import RecordInvalid, SandboxError
from simulator.events import EventLog, NumberAllocated, OverflowServed, from_micros, to_micros
from simulator.report import Report
from simulator.ringpool import AllocationRecord
from simulator.runner import run_scenario
from simulator.scenario import Scenario

__all__ = [
    "AllocationEntry",
    "DriveConnection",
    "DriveError",
    "HttpRingPool",
    "allocate_in_time_order",
    "drive_scenario",
    "offline_allocation_log",
    "relabelled",
]

#: Network Integration version used to create pools (allow_overflow exists from 2019-05-01)
NETWORK_VERSION = "2022-08-01"
#: legacy RingPool API version used to allocate
ALLOCATION_VERSION = "2015-12-09"

#: one allocation as compared across runs: (allocated_at ISO, promo number, overflow)
AllocationEntry = tuple[str, str, bool]



class DriveError(SandboxError):
    """The target answered something a sandbox would not (status hint: the target's)."""

    error_class = "InternalServiceError"


def _iso(micros: int) -> str:
    return from_micros(micros).isoformat().replace("+00:00", "Z")


class DriveConnection:
    """The driver's JSON connection to one sandbox base URL, kept alive (one request per visitor
    must be cheap; :class:`client.sandbox.SandboxClient` is the general client for tests)."""

    def __init__(self, base_url: str, *, timeout: float = 30.0,
                 admin_token: str | None = None) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise RecordInvalid(
                f"--against must be an http(s) base URL, got {base_url!r}",
                field_errors={"against": ["must be an http(s) base URL"]},
            )
        self.prefix = parts.path.rstrip("/")
        connection = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        self.connection = connection(parts.hostname, parts.port, timeout=timeout)
        self.headers: dict[str, str] = {}
        self.admin_token = admin_token

    def close(self) -> None:
        self.connection.close()

    #: the target's clock as last read or set (us; one clock for every pool of the run)
    clock_us: int | None = None

    def now_us(self) -> int:
        if self.clock_us is None:
            _, body = self.request("GET", "/_sandbox/clock")
            self.clock_us = to_micros(_parse(body["now"]))
        return self.clock_us

    def move_clock(self, at_us: int) -> None:
        self.request("POST", "/_sandbox/clock", {"now": _iso(at_us)})
        self.clock_us = at_us

    def request(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        expect: Sequence[int] = (200, 201),
    ) -> tuple[int, Any]:
        """``(status, decoded JSON body or text)``; a status outside ``expect`` raises."""
        payload = None if body is None else json.dumps(body).encode()
        headers = dict(self.headers)
        if self.admin_token and path.startswith("/_sandbox/"):
            headers[ADMIN_HEADER] = self.admin_token
        if payload is not None:
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, self.prefix + path, payload, headers)
            response = self.connection.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as exc:
            self.connection.close()
            raise DriveError(f"{method} {path} failed: {exc}") from None
        text = raw.decode("utf-8", "replace")
        try:
            decoded: Any = json.loads(text) if text else None
        except ValueError:
            decoded = text
        if response.status not in expect:
            raise DriveError(f"{method} {path} answered {response.status}: {text[:500]}")
        return response.status, decoded


class HttpRingPool:
    """Stands in for :class:`simulator.ringpool.RingPool` inside the runner: the methods the
    runner calls (``allocate_many``, ``attribute_record``, ``overflow_number``), answered by
    the target over HTTP. Allocation ids are this run's own (1, 2, ... per visitor served);
    the server's allocations are matched to them by (promo number, allocated_at)."""

    def __init__(
        self,
        client: DriveConnection,
        campaign_path: str,
        *,
        id: int,
        lifetime_seconds: int,
        max_pool_size: int,
        allow_overflow: bool = True,
        param_names: Sequence[str] = (),
        **_ignored: Any,
    ) -> None:
        self.client = client
        self.lifetime_us = lifetime_seconds * 1_000_000
        body: dict[str, Any] = {
            "id_from_network": f"sim-{id}",
            "name": f"Scenario pool {id}",
            "max_pool_size": max_pool_size,
            "lifetime_seconds": lifetime_seconds,
            "allow_overflow": allow_overflow,
        }
        for index, name in enumerate(param_names, start=1):
            body[f"param{index}"] = name
        _, created = client.request("POST", f"{campaign_path}/ring_pools.json", body)
        self.id: int = int(created["id"])
        self.api_key: str = str(created["api_key"])
        self.overflow_number: str | None = created.get("overflow_number") or None
        self.local_ids = count(1)
        self.records: list[AllocationRecord] = []
        #: (promo number, allocated_at us) -> the id this run gave that allocation
        self.local_by_key: dict[tuple[str, int], int] = {}
        #: promo number -> server allocation log entries (allocated_at us, id), in order
        self.server_log: dict[str, list[tuple[int, int]]] = {}
        self.server_log_size = 0

    # -- the runner's interface -----------------------------------------------------------

    def allocate_many(
        self,
        instants_us: Sequence[int],
        queries: Mapping[str, str] | Sequence[Mapping[str, str]] = {},
    ) -> list[AllocationRecord | None]:
        answers: list[AllocationRecord | None] = []
        for index, at_us in enumerate(instants_us):
            query = queries if isinstance(queries, Mapping) else queries[index]
            answers.append(self.allocate(at_us, query))
        return answers

    def attribute_record(self, promo_number: str, at_us: int) -> AllocationRecord | None:
        """Post the call at ``at_us``; the holder is read from the server's allocation log."""
        now_us = self.client_now()
        if at_us > now_us:
            self.move_clock(at_us)
        _, transaction = self.client.request(
            "POST", "/_sandbox/calls",
            {"promo_number": promo_number, "start_time": _iso(at_us), "duration_seconds": 60},
        )
        if not isinstance(transaction, dict) or transaction.get(
            "dynamic_number_pool_id"
        ) != self.id:
            raise DriveError(f"call to {promo_number} was not a call of ring pool {self.id}")
        history = self._history(promo_number)
        index = bisect_right(history, (at_us, 1 << 62)) - 1
        if index < 0:
            return None
        held_at_us, server_id = history[index]
        local_id = self.local_by_key.get((promo_number, held_at_us))
        if local_id is None:
            raise DriveError(
                f"ring pool {self.id}: server allocation {server_id} of {promo_number} at "
                f"{_iso(held_at_us)} was not made by this run"
            )
        return AllocationRecord(local_id, promo_number, held_at_us, held_at_us + self.lifetime_us,
                                False, None, None)

    # -- over HTTP ------------------------------------------------------------------------

    def client_now(self) -> int:
        return self.client.now_us()

    def move_clock(self, at_us: int) -> None:
        self.client.move_clock(at_us)

    def allocate(self, at_us: int, query: Mapping[str, str]) -> AllocationRecord | None:
        """One visitor at ``at_us`` (the clock is moved up to it first when it lies ahead)."""
        if at_us > self.client_now():
            self.move_clock(at_us)
        params = urlencode({"ring_pool_key": self.api_key, **query})
        status, body = self.client.request(
            "GET",
            f"/api/{ALLOCATION_VERSION}/ring_pools/{self.id}/allocate_number.json?{params}",
            expect=(200, 403),
        )
        if status == 403:
            # the pool is full and overflow is off (the sandbox's RecordInvalid refusal): the
            # page keeps its number; any other 403 (InvalidKey, ...) is the target's fault
            if not (isinstance(body, str) and body.startswith("RecordInvalid")):
                raise DriveError(f"allocation refused: {body}")
            return None
        number = str(body["promo_number"])
        overflow = number == self.overflow_number
        expires_us = at_us if overflow else at_us + self.lifetime_us
        local_id = next(self.local_ids)
        record = AllocationRecord(local_id, number, at_us, expires_us, overflow, None, None)
        self.records.append(record)
        if not overflow:
            self.local_by_key[(number, at_us)] = local_id
        return record

    def _history(self, promo_number: str) -> list[tuple[int, int]]:
        """The server's allocations of ``promo_number`` (allocated_at us, id), read anew when
        the pool allocated since the last read."""
        if self.server_log_size != len(self.records):
            _, log = self.client.request("GET", f"/_sandbox/allocations?ring_pool_id={self.id}")
            self.server_log = {}
            for entry in log:
                self.server_log.setdefault(entry["promo_number"], []).append(
                    (to_micros(_parse(entry["allocated_at"])), int(entry["id"]))
                )
            self.server_log_size = len(self.records)
        return self.server_log.get(promo_number, [])

    def allocation_log(self) -> list[AllocationEntry]:
        """What the server answered each visitor, in order: (instant, number, overflow)."""
        return [(_iso(r.allocated_at_us), r.promo_number, r.overflow) for r in self.records]


def allocate_in_time_order(
    pools: Sequence[HttpRingPool],
    times: Sequence[list[int]],
    queries: Sequence[Mapping[str, str] | Sequence[Mapping[str, str]]],
) -> list[list[AllocationRecord | None]]:
    """The runner's ``allocate_pools`` over HTTP: one chunk's visitors of every pool, in time
    order across the pools (the server's one clock never goes back), answered per pool."""
    answers: list[list[AllocationRecord | None]] = [[None] * len(instants) for instants in times]
    arrivals = heapq.merge(*(
        zip(instants, repeat(pool_index), range(len(instants)))
        for pool_index, instants in enumerate(times)
    ))
    for at_us, pool_index, index in arrivals:
        query = queries[pool_index]
        one = query if isinstance(query, Mapping) else query[index]
        answers[pool_index][index] = pools[pool_index].allocate(at_us, one)
    return answers


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def relabelled(log: Sequence[AllocationEntry]) -> list[AllocationEntry]:
    """The log with promo numbers renamed by first appearance (``n1``, ``n2``, ...; the overflow
    number stays ``overflow``): the sandbox and the offline runner issue different numbers from
    their own inventories, so runs compare up to that renaming."""
    names: dict[str, str] = {}
    out = []
    for at, number, overflow in log:
        if overflow:
            out.append((at, "overflow", True))
            continue
        name = names.setdefault(number, f"n{len(names) + 1}")
        out.append((at, name, False))
    return out


def offline_allocation_log(events: EventLog) -> list[AllocationEntry]:
    """The offline run's allocation log (from its events), in the shape of the log
    :func:`drive_scenario` answers: pool after pool (by ring pool id), each in time order."""
    by_pool: dict[int, list[AllocationEntry]] = {}
    for _, event in events.since(0):
        if isinstance(event, NumberAllocated | OverflowServed):
            by_pool.setdefault(event.ring_pool_id, []).append((
                event.at.isoformat().replace("+00:00", "Z"),
                event.promo_number,
                isinstance(event, OverflowServed),
            ))
    return [entry for pool_id in sorted(by_pool) for entry in by_pool[pool_id]]


def _campaign_path(world: Mapping[str, Any]) -> str:
    return (f"/api/{NETWORK_VERSION}/{world['network_id']}/advertisers/"
            f"{world['advertiser_id_from_network']}/advertiser_campaigns/"
            f"{world['advertiser_campaign_id_from_network']}")


#: what the target's world must name for a drive (``GET /_sandbox/world``)
WORLD_NEEDS = ("api_token", "network_id", "advertiser_id_from_network",
               "advertiser_campaign_id_from_network")


def _unfit(message: str) -> RecordInvalid:
    return RecordInvalid(message, field_errors={"against": [message]})


def check_target(client: DriveConnection, scenario: Scenario, *,
                 reset: bool = False) -> Mapping[str, Any]:
    """Read-only checks that the target can run ``scenario``, before anything is changed: it
    answers the control API (with the admin token, if it needs one), its clock is not past
    ``start_at`` (a reset keeps the clock), its world has a network token and a campaign for
    the pools, and (without ``reset``) the pools' ``sim-N`` ids are free. Returns the world."""
    client.request("GET", "/_sandbox/health")
    _, clock = client.request("GET", "/_sandbox/clock")
    if _parse(clock["now"]) > scenario.start_at:
        raise _unfit(f"the target's clock ({clock['now']}) is past the scenario's start_at "
                     f"({scenario.start_at.isoformat().replace('+00:00', 'Z')}): start it with "
                     "serve --clock manual --start <start_at or before>")
    _, world = client.request("GET", "/_sandbox/world")
    missing = [key for key in WORLD_NEEDS
               if not isinstance(world, Mapping) or world.get(key) in (None, "")]
    if missing:
        raise _unfit(f"the target's world has no {', '.join(missing)} (a world file with a "
                     "network token, an advertiser and a campaign)")
    if not reset:
        client.headers["Authorization"] = str(world["api_token"])
        try:
            for index in range(1, len(scenario.pools) + 1):
                status, _ = client.request(
                    "GET", f"{_campaign_path(world)}/ring_pools/sim-{index}.json",
                    expect=(200, 404))
                if status == 200:
                    raise _unfit(f"the target already has ring pool sim-{index} (a previous "
                                 "run): restart it, or pass --reset-target to reset it first")
        finally:
            client.headers.pop("Authorization", None)
    return world


def drive_scenario(
    scenario: Scenario,
    base_url: str,
    *,
    rng: random.Random | None = None,
    progress: Callable[[float], None] | None = None,
    reset: bool = False,
    admin_token: str | None = None,
) -> tuple[Report, list[AllocationEntry]]:
    """Run ``scenario`` against the sandbox at ``base_url``: the report (the runner's metrics)
    and the allocation log as the server answered it (pool after pool, each in time order).

    The target is checked first and nothing is changed when a check fails
    (:func:`check_target`). ``reset`` then posts ``/_sandbox/reset`` (the start world, so pool
    ids start afresh; ``simulate --reset-target``). The target's clock must be manual
    (``serve --clock manual``) and not past ``start_at``. ``admin_token`` is the target's
    admin token, when it has one.
    """
    client = DriveConnection(base_url, admin_token=admin_token)
    try:
        world = check_target(client, scenario, reset=reset)
        if reset:
            client.request("POST", "/_sandbox/reset")
            _, world = client.request("GET", "/_sandbox/world")
        client.headers["Authorization"] = str(world["api_token"])
        campaign_path = _campaign_path(world)
        client.move_clock(to_micros(scenario.start_at))
        made: list[HttpRingPool] = []

        def pool_over_http(**kwargs: Any) -> HttpRingPool:
            pool = HttpRingPool(client, campaign_path, **kwargs)
            made.append(pool)
            return pool

        report = run_scenario(scenario, rng=rng, progress=progress,
                              pool_factory=pool_over_http,  # type: ignore[arg-type]
                              allocate_pools=allocate_in_time_order)  # type: ignore[arg-type]
        log = [entry for pool in made for entry in pool.allocation_log()]
        return report, log
    finally:
        client.close()
