"""The knobs of a platform and its seeded random streams.

* Every knob has a documented default (:class:`PlatformSettings`).
* Everything random is seeded from the platform's ``seed`` through *derived streams*
  (:class:`Streams`: numbers, keys and tokens, transaction ids, callers, error handles):
  adding a draw in one area never shifts another. Each stream counts its draws
  (:class:`CountedRandom`), so the journal can tell whether a refused command drew.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from simulator.call_ingestion import DEFAULT_DELAY_SECONDS
from simulator.journal import DEFAULT_JOURNAL_LIMIT
from simulator.number_shares import DEFAULT_NUMBERS_PER_NETWORK, DEFAULT_QUARANTINE_SECONDS
from simulator.resources.store import DEFAULT_BASE_URL
from simulator.transactions import DEFAULT_TRANSACTION_RETENTION

__all__ = ["CountedRandom", "PlatformSettings", "Streams"]


@dataclass(frozen=True, slots=True)
class PlatformSettings:
    """Knobs of a platform (all have documented defaults)."""

    base_url: str = DEFAULT_BASE_URL
    #: the number range: "fictional" (NXX-555-01XX, never a real phone) or "valid"
    numbers: str = "fictional"
    #: sandbox seconds before a released number can be issued again
    number_quarantine_seconds: int = DEFAULT_QUARANTINE_SECONDS
    #: the most numbers one network holds at once (in quarantine included)
    numbers_per_network: int = DEFAULT_NUMBERS_PER_NETWORK
    #: events kept in the event log
    event_retention: int | None = 100_000
    #: transactions kept, the most recent (None = all: memory then grows with every call)
    transaction_retention: int | None = DEFAULT_TRANSACTION_RETENTION
    #: allocations kept per ring pool for attribution and /_sandbox/allocations (None = all:
    #: memory then grows with every allocation)
    allocation_retention: int | None = 100_000
    #: rows per Bulk RingPool request
    bulk_batch_limit: int = 1000
    #: build the demo world (when ``world`` is None)
    demo_world: bool = True
    #: a parsed world file (see simulator.world.load_world) instead of the demo world
    world: Mapping[str, Any] | None = None
    #: commands kept for export/import by replay (None = unbounded); a Bulk RingPool request
    #: counts one per row
    journal_limit: int | None = DEFAULT_JOURNAL_LIMIT
    #: seconds on the sandbox clock between a Call Ingestion request and its transaction
    #: (the documents: "up to 24 hours"; 0..86400)
    call_ingestion_delay_seconds: float = DEFAULT_DELAY_SECONDS
    #: SMS Messaging: seconds on the sandbox clock from a message to its ``sent`` delivery
    #: report, then to ``delivered`` or ``failed``; the share of messages the carrier fails
    #: (drawn from the seeded ``sms`` stream)
    sms_send_delay_seconds: float = 1.0
    sms_delivery_delay_seconds: float = 5.0
    sms_failure_rate: float = 0.0


class CountedRandom(random.Random):
    """A seeded ``random.Random`` that counts its draws (the same values as the base class:
    every method draws through ``random`` or ``getrandbits``)."""

    draws = 0

    def random(self) -> float:
        self.draws += 1
        return super().random()

    def getrandbits(self, k: int) -> int:
        self.draws += 1
        return super().getrandbits(k)


@dataclass
class Streams:
    """Independent seeded random streams, one per concern."""

    seed: int
    numbers: random.Random = field(init=False)
    keys: random.Random = field(init=False)
    transactions: random.Random = field(init=False)
    callers: random.Random = field(init=False)
    errors: random.Random = field(init=False)

    def __post_init__(self) -> None:
        for name in ("numbers", "keys", "transactions", "callers", "errors"):
            setattr(self, name, CountedRandom(f"invoca-sandbox:{self.seed}:{name}"))

    @property
    def draws(self) -> int:
        """How many draws all the streams have made."""
        return (self.numbers.draws + self.keys.draws + self.transactions.draws  # type: ignore[attr-defined]
                + self.callers.draws + self.errors.draws)  # type: ignore[attr-defined]
