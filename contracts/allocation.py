"""Suite 2, allocation semantics: a Hypothesis state machine over HTTP with its own naive model.

Rules it drives (any target with the ``reset``, ``clock`` and ``calls`` capabilities):
allocate from the legacy RingPool in every format (``.json``, ``.xml``, ``.csv``), allocate
from the Bulk RingPool (``POST bulk.json``, several requests at once), move the clock forward,
simulate calls to numbers it was given, and read the transactions back.

The model is deliberately tiny: per promo number, the latest allocation that got it (a unique
token sent as ``param1`` and the instant window in which the server allocated it). Invariants
checked after every step:

* ``allocation.no_double_hold``: a number is never handed to a second allocation while an
  earlier one still holds it (``allocated_at + lifetime_seconds`` not reached);
* ``allocation.overflow_only_when_full``: the overflow number is served only when the pool's
  ``max_pool_size`` numbers are all held; and, conversely, a full pool serves the overflow
  number (never a held number, which the first invariant already covers);
* ``allocation.pool_size``: a pool never hands out more than ``max_pool_size`` distinct
  promo numbers (the overflow number aside);
* ``allocation.bulk_overflow_flag``: a Bulk response says ``"overflow": true`` exactly for the
  overflow number;
* ``allocation.call_attribution``: a call is attributed to the allocation that held the number
  at the call's start (its ``param1`` value comes back as
  ``dynamic_number_pool_referrer_param1_value``); calls to the overflow number to nobody;
* ``allocation.transactions_read_back``: every simulated call is listed by the Transactions
  API with the same attribution.

Instants: the model reads the target's clock (``GET /_sandbox/clock``) before and after each
allocation; with a manual clock both are equal, with a moving clock an allocation's instant
is only known to lie in that window and the invariants only fail on certain violations.

Choices: the RingPool's ``max_pool_size``, ``lifetime_seconds`` and ``overflow_number`` are read
through the Network Integration API (``listRingPool`` of the world's advertiser campaign);
the attribution token travels as ``param1`` (the docs: "param1 ... can also be represented by
the custom name").
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import requests
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from contracts.report import FailureRecord, Report
from contracts.target import RingPoolCredentials, Target

RINGPOOL_VERSION = "2015-12-09"
NETWORK_VERSION = "2016-10-01"
BULK_VERSION = "2013-07-01"
TRANSACTIONS_VERSION = "2021-08-09"
FORMATS = ("json", "xml", "csv")
ATTRIBUTION_FIELD = "dynamic_number_pool_referrer_param1_value"
#: the contract's labels of the operations this suite sends (as the summary counts them)
ALLOCATE_LABEL = "GET /api/{version}/ring_pools/{ring_pool_id}/allocate_number.{format}"
BULK_LABEL = "POST /api/{version}/bulk.json"
TRANSACTIONS_LABEL = "GET /api/{version}/networks/transactions/{network_id}.{format}"


#: the invariants this suite checks (as the summary names them)
ALLOCATION_CHECKS = (
    "allocation.allocates", "allocation.no_double_hold", "allocation.overflow_only_when_full",
    "allocation.pool_size", "allocation.bulk_overflow_flag", "allocation.call_attribution",
    "allocation.transactions_read_back",
)


class AllocationViolation(AssertionError):
    """An allocation invariant failed; carries the check name and the failing request's curl
    (the whole reproduction, from the machine's reset, is in the run's summary)."""

    def __init__(self, check: str, message: str, curl: str) -> None:
        super().__init__(f"{check}: {message}")
        self.check = check
        self.message = message
        self.curl = curl


@dataclass(frozen=True)
class PoolConfig:
    """What the target says about one RingPool."""

    credentials: RingPoolCredentials
    max_pool_size: int
    lifetime: timedelta
    overflow_number: str | None
    bulk: bool


@dataclass
class Holder:
    """The latest allocation of one promo number."""

    token: str
    pool_id: int
    #: the target's clock just before and just after the allocating request
    earliest_at: datetime
    latest_at: datetime


@dataclass
class Model:
    """Promo number -> its latest allocation; the calls made and how they must be attributed."""

    lifetime: dict[int, timedelta]
    holders: dict[str, Holder] = field(default_factory=dict)
    #: transaction id -> the token the call must be attributed to ("" for nobody)
    calls: dict[str, str] = field(default_factory=dict)

    def surely_held(self, number: str, at: datetime) -> bool:
        holder = self.holders.get(number)
        return holder is not None and at < holder.earliest_at + self.lifetime[holder.pool_id]

    def possibly_held(self, number: str, at: datetime) -> bool:
        holder = self.holders.get(number)
        return holder is not None and at < holder.latest_at + self.lifetime[holder.pool_id]

    def held_count(self, pool_id: int, at: datetime, *, surely: bool) -> int:
        test = self.surely_held if surely else self.possibly_held
        return sum(1 for number, holder in self.holders.items()
                   if holder.pool_id == pool_id and test(number, at))


def parse_instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def decode_allocation(fmt: str, response: requests.Response) -> str:
    """The promo number of a legacy allocation response in ``fmt``."""
    if fmt == "json":
        return str(response.json()["promo_number"])
    if fmt == "xml":
        root = ET.fromstring(response.content)
        number = root.findtext("PromoNumber")
        if root.tag != "Response" or number is None:
            raise ValueError(f"expected <Response><PromoNumber>, got {response.text[:200]!r}")
        return number
    rows = list(csv.DictReader(io.StringIO(response.text, newline="")))
    if len(rows) != 1 or "PromoNumber" not in rows[0]:
        raise ValueError(f"expected a PromoNumber header and one row, got {response.text[:200]!r}")
    return str(rows[0]["PromoNumber"])


def read_pool_config(target: Target, credentials: RingPoolCredentials) -> PoolConfig | None:
    """The RingPool's size, lifetime and overflow number through the Network Integration API."""
    world = target.world
    advertiser = world.get("advertiser_id_from_network")
    campaign = world.get("advertiser_campaign_id_from_network")
    if target.network_id is None or not advertiser or not campaign:
        return None
    path = (f"/api/{NETWORK_VERSION}/{target.network_id}/advertisers/{advertiser}"
            f"/advertiser_campaigns/{campaign}/ring_pools.json")
    response = target.request("GET", path, headers=target.auth_headers())
    if response.status_code != 200:
        return None
    for pool in response.json():
        if int(pool.get("id", -1)) == credentials.id:
            return PoolConfig(
                credentials=credentials,
                max_pool_size=int(pool["max_pool_size"]),
                lifetime=timedelta(seconds=int(pool["lifetime_seconds"])),
                overflow_number=pool.get("overflow_number") or None,
                bulk=bool(pool.get("bulk", False)),
            )
    return None


def allocation_machine(target: Target, legacy: PoolConfig | None, bulk: PoolConfig | None,
                       report: Report) -> type[RuleBasedStateMachine]:
    """A state machine class bound to ``target`` and its two RingPools (either may be None)."""
    pools = {config.credentials.id: config for config in (legacy, bulk) if config is not None}
    lifetimes = sorted({int(config.lifetime.total_seconds()) for config in pools.values()})
    advances = sorted({1, 59, 600, *lifetimes, *(s - 1 for s in lifetimes),
                       *(s + 1 for s in lifetimes)} - {0})
    max_burst = max((config.max_pool_size for config in pools.values()), default=1) + 2

    class AllocationMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            target.reset()
            report.checks.update(ALLOCATION_CHECKS)
            self.model = Model(lifetime={pid: cfg.lifetime for pid, cfg in pools.items()})
            self.tokens = itertools.count(1)
            self.served: list[str] = []

        # ----------------------------------------------------------------- helpers

        def fail(self, check: str, message: str) -> None:
            # one failure per check: shrinking finds the same one at other instants
            reproduction = target.reproduction()
            report.record_failure(FailureRecord(check=check, operation="RingPool allocation",
                                                title=message.splitlines()[0],
                                                message=message, curl=reproduction.failing,
                                                suite="allocation", reproduction=reproduction,
                                                key=check))
            raise AllocationViolation(check, message, reproduction.failing)

        def now(self) -> datetime:
            data = target.request("GET", "/_sandbox/clock").json()
            return parse_instant(str(data["now"]))

        def token(self) -> str:
            return f"contract-{next(self.tokens)}"

        def served_number(self, config: PoolConfig, number: str, token: str, *,
                          earliest: datetime, latest: datetime,
                          overflow_flag: bool | None) -> None:
            """Check one served number against the model, then record it."""
            pool_id = config.credentials.id
            is_overflow = number == config.overflow_number
            if overflow_flag is not None and overflow_flag != is_overflow:
                self.fail("allocation.bulk_overflow_flag",
                          f"bulk answered {number} with overflow={overflow_flag}; the pool's "
                          f"overflow number is {config.overflow_number}")
            if is_overflow:
                possibly = self.model.held_count(pool_id, earliest, surely=False)
                if possibly < config.max_pool_size:
                    self.fail("allocation.overflow_only_when_full",
                              f"RingPool {pool_id} served its overflow number {number} while "
                              f"at most {possibly} of max_pool_size={config.max_pool_size} "
                              f"numbers were held")
                return
            if self.model.surely_held(number, latest):
                holder = self.model.holders[number]
                self.fail("allocation.no_double_hold",
                          f"{number} handed to {token} at {latest.isoformat()} while "
                          f"{holder.token} (allocated {holder.earliest_at.isoformat()}, "
                          f"lifetime {self.model.lifetime[holder.pool_id]}) still holds it")
            surely = self.model.held_count(pool_id, latest, surely=True)
            if surely >= config.max_pool_size and config.overflow_number:
                self.fail("allocation.overflow_only_when_full",
                          f"RingPool {pool_id} had all {surely} numbers held but served "
                          f"{number} instead of the overflow number")
            self.model.holders[number] = Holder(token, pool_id, earliest, latest)
            self.served.append(number)

        def allocate_legacy(self, fmt: str) -> None:
            assert legacy is not None
            token = self.token()
            query = urlencode({"ring_pool_key": legacy.credentials.key, "param1": token})
            path = (f"/api/{RINGPOOL_VERSION}/ring_pools/{legacy.credentials.id}"
                    f"/allocate_number.{fmt}?{query}")
            earliest = self.now()
            response = target.request("GET", path)
            latest = self.now()
            report.record_case(ALLOCATE_LABEL)
            if response.status_code != 200:
                self.fail("allocation.allocates", f"allocate_number.{fmt} answered "
                          f"{response.status_code}: {response.text[:200]}")
            try:
                number = decode_allocation(fmt, response)
            except (ValueError, KeyError, ET.ParseError) as exc:
                self.fail("allocation.allocates", f"allocate_number.{fmt}: {exc}")
                return
            self.served_number(legacy, number, token, earliest=earliest, latest=latest,
                               overflow_flag=None)

        # ----------------------------------------------------------------- rules

        @precondition(lambda self: legacy is not None)
        @rule(fmt=st.sampled_from(FORMATS))
        def allocate(self, fmt: str) -> None:
            self.allocate_legacy(fmt)

        @precondition(lambda self: legacy is not None)
        @rule(count=st.integers(min_value=2, max_value=max_burst))
        def allocate_burst(self, count: int) -> None:
            for index in range(count):
                self.allocate_legacy(FORMATS[index % len(FORMATS)])

        @precondition(lambda self: legacy is not None)
        @rule(extra=st.integers(min_value=1, max_value=2))
        def fill_pool(self, extra: int) -> None:
            """Allocate until every number is held, then ``extra`` more (overflow expected)."""
            assert legacy is not None
            pool_id = legacy.credentials.id
            free = legacy.max_pool_size - self.model.held_count(pool_id, self.now(),
                                                                 surely=True)
            for index in range(max(free, 0) + extra):
                self.allocate_legacy(FORMATS[index % len(FORMATS)])

        @precondition(lambda self: legacy is not None)
        @rule()
        def cycle_pool(self) -> None:
            """Fill the pool, let every hold end, allocate again: a full recycling cycle."""
            assert legacy is not None
            self.fill_pool(1)
            self.advance_clock(int(legacy.lifetime.total_seconds()))
            self.allocate_legacy("json")
            self.call_number(self.served[-1])

        @precondition(lambda self: bulk is not None)
        @rule(count=st.integers(min_value=1, max_value=max_burst))
        def allocate_bulk(self, count: int) -> None:
            self.bulk_requests(count)

        @precondition(lambda self: bulk is not None)
        @rule(extra=st.integers(min_value=1, max_value=2))
        def fill_bulk_pool(self, extra: int) -> None:
            """Fill the Bulk RingPool in one request, ``extra`` more (overflow expected)."""
            assert bulk is not None
            pool_id = bulk.credentials.id
            free = bulk.max_pool_size - self.model.held_count(pool_id, self.now(), surely=True)
            self.bulk_requests(max(free, 0) + extra)

        def bulk_requests(self, count: int) -> None:
            assert bulk is not None
            tokens = [self.token() for _ in range(count)]
            requests_body = [
                {"api_suffix": f"{bulk.credentials.id}/allocate_number.json?"
                               + urlencode({"ring_pool_key": bulk.credentials.key,
                                            "param1": token}),
                 "request_id": token}
                for token in tokens
            ]
            path = f"/api/{BULK_VERSION}/bulk.json"
            body = {"requests": requests_body}
            text = json.dumps(body)
            earliest = self.now()
            response = target.request("POST", path, data=text,
                                      headers={"Content-Type": "application/json"})
            latest = self.now()
            report.record_case(BULK_LABEL)
            if response.status_code != 200:
                self.fail("allocation.allocates",
                          f"bulk.json answered {response.status_code}: {response.text[:200]}")
            answers = response.json().get("responses", [])
            if len(answers) != count:
                self.fail("allocation.allocates",
                          f"bulk.json answered {len(answers)} responses to {count} requests")
            for token, answer in zip(tokens, answers, strict=True):
                if "promo_number" not in answer:
                    self.fail("allocation.allocates", f"bulk request {token} failed: {answer}")
                self.served_number(bulk, str(answer["promo_number"]), token,
                                   earliest=earliest, latest=latest,
                                   overflow_flag=bool(answer.get("overflow", False)))

        @rule(seconds=st.sampled_from(advances))
        def advance_clock(self, seconds: int) -> None:
            target.advance_clock(seconds)
            report.record_case("POST /_sandbox/clock")

        @precondition(lambda self: bool(self.served))
        @rule(data=st.data())
        def call(self, data: st.DataObject) -> None:
            self.call_number(data.draw(st.sampled_from(self.served), label="promo number"))

        def call_number(self, number: str) -> None:
            at = self.now()
            holder = self.model.holders.get(number)
            expected = holder.token if holder is not None else ""
            transaction = target.simulate_call(number)
            report.record_case("POST /_sandbox/calls")
            got = str(transaction.get(ATTRIBUTION_FIELD) or "")
            if holder is not None and holder.latest_at > at:
                return  # the allocation's instant is not known precisely enough
            if got != expected:
                self.fail("allocation.call_attribution",
                          f"call to {number} at {at.isoformat()} attributed to {got!r}; the "
                          f"latest allocation of that number was {expected!r}")
            self.model.calls[str(transaction["transaction_id"])] = got

        @precondition(lambda self: bool(self.model.calls))
        @rule()
        def read_transactions(self) -> None:
            path = (f"/api/{TRANSACTIONS_VERSION}/networks/transactions/"
                    f"{target.network_id}.json?limit=4000")
            response = target.request("GET", path, headers=target.auth_headers())
            report.record_case(TRANSACTIONS_LABEL)
            if response.status_code != 200:
                self.fail("allocation.transactions_read_back",
                          f"transactions answered {response.status_code}: {response.text[:200]}")
            rows = {str(row.get("transaction_id")): row for row in response.json()}
            for transaction_id, token in self.model.calls.items():
                row = rows.get(transaction_id)
                if row is None:
                    self.fail("allocation.transactions_read_back",
                              f"transaction {transaction_id} of a simulated call is not listed")
                    return
                got = str(row.get(ATTRIBUTION_FIELD) or "")
                if got != token:
                    self.fail("allocation.transactions_read_back",
                              f"transaction {transaction_id} lists {got!r}, the call was "
                              f"attributed to {token!r}")

        @invariant()
        def pool_stays_within_max_pool_size(self) -> None:
            for pool_id, config in pools.items():
                numbers = {number for number, holder in self.model.holders.items()
                           if holder.pool_id == pool_id}
                if len(numbers) > config.max_pool_size:
                    self.fail("allocation.pool_size",
                              f"RingPool {pool_id} handed out {len(numbers)} distinct promo "
                              f"numbers; max_pool_size is {config.max_pool_size}")

    return AllocationMachine


def build_machine(target: Target, report: Report,
                  skip: Callable[[str], Any]) -> type[RuleBasedStateMachine]:
    """The machine for ``target``'s world, or ``skip(reason)`` when it cannot be built."""
    legacy = read_pool_config(target, target.ring_pool) if target.ring_pool else None
    bulk = (read_pool_config(target, target.bulk_ring_pool)
            if target.bulk_ring_pool else None)
    if legacy is None and bulk is None:
        skip("allocation: no RingPool whose max_pool_size/lifetime_seconds/overflow_number "
             "the Network Integration API reports (give --ring-pool ID:KEY and --network-id)")
    if legacy is not None and legacy.bulk:
        legacy = None
    if bulk is not None and not bulk.bulk:
        bulk = None
    return allocation_machine(target, legacy, bulk, report)
