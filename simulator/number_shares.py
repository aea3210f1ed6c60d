"""The platform's number inventory: each network's own share, numbers back after a quarantine.

Rules (docs/fidelity.md NR1..NR5):

* The networks of a world split the range: ranked by id, network k of n holds the numbers
  whose last seven digits are k modulo n (a :class:`~simulator.numbers.NumberInventory` share),
  so one network can never take, or use up, another's numbers. The split is fixed when the
  first number is issued (worlds add their networks first); a network added later holds none.
* Each share draws from its own seeded stream (the seed and the network id): what one network
  does never shifts another's numbers.
* ``numbers`` is the range: ``fictional`` (NXX-555-0100..0199, never a real phone) or
  ``valid`` (every valid-looking NANP number, ``phonenumbers``).
* A released number (a deleted pool's or promo number's, one a shrinking pool dropped) comes
  back to its network's share ``quarantine_seconds`` of sandbox time later. Time is the
  ``clock`` passed in (the platform's, pinned inside a command), never the wall clock.
* A network holds at most ``limit`` numbers at once, in quarantine included: that bounds the
  work a huge ``max_pool_size`` can ask for, whatever the range.
* Running out is :class:`~simulator.errors.NumbersExhausted`, decided before any draw: a
  refused issue changes nothing.
"""

from __future__ import annotations

import heapq
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simulator.errors import NumbersExhausted, RecordInvalid
from simulator.events import from_micros, iso_utc, to_micros
from simulator.numbers import TOLL_FREE_NPAS, NumberInventory

__all__ = [
    "DEFAULT_NUMBERS_PER_NETWORK",
    "DEFAULT_QUARANTINE_SECONDS",
    "MAX_QUARANTINE_SECONDS",
    "NUMBER_RANGES",
    "NumberShares",
    "check_number_settings",
]

#: the ranges a sandbox issues from (``serve --numbers``)
NUMBER_RANGES = ("fictional", "valid")
DEFAULT_QUARANTINE_SECONDS = 86_400
#: a 32-bit count of seconds (about 68 years)
MAX_QUARANTINE_SECONDS = 2**31 - 1
DEFAULT_NUMBERS_PER_NETWORK = 100_000


def check_number_settings(numbers: Any, quarantine_seconds: Any, limit: Any = 1) -> None:
    """RecordInvalid unless the range is known and the counts are in their ranges."""
    if numbers not in NUMBER_RANGES:
        raise RecordInvalid(f"numbers must be one of {', '.join(NUMBER_RANGES)}, "
                            f"got {numbers!r}")
    if (type(quarantine_seconds) is not int
            or not 0 <= quarantine_seconds <= MAX_QUARANTINE_SECONDS):
        raise RecordInvalid("number_quarantine_seconds must be an integer from 0 to "
                            f"{MAX_QUARANTINE_SECONDS}, got {quarantine_seconds!r}")
    if type(limit) is not int or limit < 1:
        raise RecordInvalid(f"numbers_per_network must be a positive integer, got {limit!r}")


@dataclass
class _Share:
    """One network's share: its inventory and the numbers in quarantine."""

    inventory: NumberInventory
    #: (back at, in us; order released; number), earliest first
    quarantine: list[tuple[int, int, str]] = field(default_factory=list)
    quarantined: set[str] = field(default_factory=set)
    released: int = 0

    def recover(self, now_us: int) -> None:
        """Numbers whose quarantine ended by ``now_us`` are back in the share."""
        quarantine = self.quarantine
        while quarantine and quarantine[0][0] <= now_us:
            _, _, number = heapq.heappop(quarantine)
            self.quarantined.discard(number)
            self.inventory.release(number)


class NumberShares:
    """Every network's share of the number range (see the module rules)."""

    def __init__(self, seed: int, clock: Callable[[], datetime], *, numbers: str = "fictional",
                 quarantine_seconds: int = DEFAULT_QUARANTINE_SECONDS,
                 limit: int = DEFAULT_NUMBERS_PER_NETWORK) -> None:
        check_number_settings(numbers, quarantine_seconds, limit)
        self.seed = seed
        #: the sandbox clock (re-pointed when a platform takes a replayed copy's state)
        self.clock = clock
        self.numbers = numbers
        self.quarantine_seconds = quarantine_seconds
        self.limit = limit
        self._lock = threading.Lock()
        self._networks: set[int] = set()
        #: network id -> its share, once the split is fixed (None before)
        self._shares: dict[int, _Share] | None = None

    def add_network(self, network_id: int) -> None:
        with self._lock:
            self._networks.add(network_id)

    # ---- issuing ---------------------------------------------------------------------------

    def issue(self, network_id: int, npas: Sequence[str] | None) -> str:
        """A number of the network's share: local from ``npas`` when one is left, else
        toll-free; NumbersExhausted when the share (or the network's limit) has none."""
        with self._lock:
            share = self._share(network_id)
            share.recover(self._now_us())
            inventory = share.inventory
            if inventory.issued_count >= self.limit:
                raise NumbersExhausted(
                    f"Network {network_id} holds {self.limit} numbers, the most a network "
                    "holds at once (numbers in quarantine included)")
            if npas:
                local = inventory.issue_local(list(npas))
                if local is not None:
                    return local
            try:
                return inventory.issue_toll_free()
            except NumbersExhausted:
                raise NumbersExhausted(self._exhausted(network_id, share)) from None

    def release(self, network_id: int, number: str) -> None:
        """``number`` left its owner: back in the network's share after the quarantine."""
        with self._lock:
            shares = self._shares or {}
            share = shares.get(network_id)
            if (share is None or number in share.quarantined
                    or not share.inventory.is_issued(number)):
                return
            if self.quarantine_seconds == 0:
                share.inventory.release(number)
                return
            back = self._now_us() + self.quarantine_seconds * 1_000_000
            share.released += 1
            heapq.heappush(share.quarantine, (back, share.released, number))
            share.quarantined.add(number)

    # ---- reading ---------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """The range, the quarantine and each network's numbers out and in quarantine at
        the clock's instant (the state export shows it)."""
        with self._lock:
            shares = sorted((self._shares or {}).items())
            now_us = self._now_us()
            for _, share in shares:
                share.recover(now_us)
            return {
                "range": self.numbers,
                "quarantine_seconds": self.quarantine_seconds,
                "numbers_per_network": self.limit,
                "networks": [
                    {"network_id": network_id,
                     "share": list(share.inventory.share),
                     "issued": share.inventory.issued_count,
                     "quarantined": [{"number": number, "back_at": _iso(back)}
                                     for back, _, number in sorted(share.quarantine)]}
                    for network_id, share in shares
                ],
            }

    # ---- inside --------------------------------------------------------------------------

    def _now_us(self) -> int:
        return to_micros(self.clock())

    def _share(self, network_id: int) -> _Share:
        if self._shares is None:
            self._shares = self._split(sorted(self._networks))
        share = self._shares.get(network_id)
        if share is None:
            raise NumbersExhausted(
                f"Network {network_id} was added after numbers were issued: it holds no share "
                "of the number range")
        return share

    def _split(self, networks: Iterable[int]) -> dict[int, _Share]:
        ranked = list(networks)
        return {
            network_id: _Share(NumberInventory(
                random.Random(f"invoca-sandbox:{self.seed}:numbers:{network_id}"),
                fictional_only=self.numbers == "fictional", share=(k, len(ranked))))
            for k, network_id in enumerate(ranked)
        }

    def _exhausted(self, network_id: int, share: _Share) -> str:
        inventory = share.inventory
        if self.numbers == "fictional":
            what = (f"its share of the fictional range (NXX-555-0100..0199): "
                    f"{len(TOLL_FREE_NPAS) * inventory.fictional_per_npa} toll-free numbers")
        else:
            what = "its share of the valid range"
        text = f"Network {network_id} has no toll-free number left in {what}"
        if share.quarantine:
            first = _iso(share.quarantine[0][0])
            text += (f"; {len(share.quarantine)} released numbers come back after their "
                     f"quarantine, the first at {first}")
        if self.numbers == "fictional":
            text += "; serve --numbers valid issues from the wider range"
        return text + "."


def _iso(micros: int) -> str:
    """An instant in microseconds as ISO-8601 UTC (past year 9999: the last instant)."""
    try:
        return iso_utc(from_micros(micros))
    except OverflowError:
        return "9999-12-31T23:59:59.999999Z"
