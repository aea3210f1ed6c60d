"""The platform's number inventory: shares by network, quarantine on the clock passed in, the
per-network bound, refusals that draw nothing."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from simulator.errors import NumbersExhausted, RecordInvalid
from simulator.number_shares import NumberShares
from simulator.numbers import NumberInventory, in_share

START = datetime(2016, 10, 1, tzinfo=UTC)


class Clock:
    """A clock the test moves (the inventory never reads the wall clock)."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def shares(*networks: int, clock: Clock | None = None, **options: object) -> NumberShares:
    made = NumberShares(0, clock or Clock(), **options)  # type: ignore[arg-type]
    for network in networks:
        made.add_network(network)
    return made


def drain(inventory: NumberShares, network: int) -> list[str]:
    issued = []
    while True:
        try:
            issued.append(inventory.issue(network, None))
        except NumbersExhausted:
            return issued


def test_shares_are_disjoint_and_split_the_range_when_networks_share_a_world() -> None:
    inventory = shares(1, 2, 3)
    issued = {network: drain(inventory, network) for network in (1, 2, 3)}
    assert sum(map(len, issued.values())) == 700
    assert len(set().union(*issued.values())) == 700
    for k, network in enumerate((1, 2, 3)):
        assert all(in_share(number, (k, 3)) for number in issued[network])


def test_one_network_numbers_unchanged_when_another_network_issues() -> None:
    alone, busy = shares(1, 2), shares(1, 2)
    drain(busy, 2)
    assert [alone.issue(1, None) for _ in range(20)] == [busy.issue(1, None) for _ in range(20)]


def test_refusal_draws_nothing_when_the_share_is_used_up() -> None:
    refused, exact = shares(1, quarantine_seconds=0), shares(1, quarantine_seconds=0)
    issued = drain(refused, 1)  # its last call was refused
    assert [exact.issue(1, None) for _ in range(700)] == issued
    for inventory in (refused, exact):
        for number in issued[::100]:
            inventory.release(1, number)
    assert [refused.issue(1, None) for _ in range(7)] == [exact.issue(1, None) for _ in range(7)]


def test_number_back_only_when_its_quarantine_passed_on_the_clock_passed_in() -> None:
    clock = Clock()
    inventory = shares(1, clock=clock, quarantine_seconds=60)
    number = inventory.issue(1, ["907"])
    drain(inventory, 1)
    inventory.release(1, number)
    clock.now += timedelta(seconds=59)
    assert inventory.issue(1, ["907"]) != number  # other 907 numbers first
    for _ in range(98):
        inventory.issue(1, ["907"])
    with pytest.raises(NumbersExhausted, match="come back after their quarantine"):
        inventory.issue(1, ["907"])
    clock.now += timedelta(seconds=1)
    assert inventory.issue(1, ["907"]) == number


def test_numbers_exhausted_when_a_network_holds_its_limit() -> None:
    inventory = shares(1, 2, numbers="valid", limit=5)
    held = [inventory.issue(1, ["805"]) for _ in range(5)]
    with pytest.raises(NumbersExhausted, match="holds 5 numbers"):
        inventory.issue(1, ["805"])
    assert inventory.issue(2, ["805"]).startswith("805")
    inventory.release(1, held[0])  # in quarantine it still counts
    with pytest.raises(NumbersExhausted):
        inventory.issue(1, None)


def test_no_share_when_a_network_is_added_after_numbers_were_issued() -> None:
    inventory = shares(1)
    inventory.issue(1, None)
    inventory.add_network(2)
    with pytest.raises(NumbersExhausted, match="added after numbers were issued"):
        inventory.issue(2, None)


def test_release_ignored_when_the_number_is_not_the_networks() -> None:
    inventory = shares(1, 2)
    number = inventory.issue(1, None)
    inventory.release(2, number)
    inventory.release(3, number)
    assert inventory.summary()["networks"][0]["issued"] == 1
    assert inventory.summary()["networks"][1]["quarantined"] == []


@pytest.mark.parametrize("options", [{"numbers": "real"}, {"quarantine_seconds": -1},
                                     {"quarantine_seconds": 2**31}, {"limit": 0},
                                     {"quarantine_seconds": 1.5}])
def test_refused_when_settings_are_out_of_range(options: dict[str, object]) -> None:
    with pytest.raises(RecordInvalid):
        shares(1, **options)


def test_no_n11_exchange_when_the_full_range_is_issued() -> None:
    inventory = NumberInventory(random.Random(7), fictional_only=False)
    numbers = [inventory.issue_toll_free() for _ in range(3000)]
    assert not [number for number in numbers if number[4:6] == "11"]


def test_share_holds_only_its_numbers_when_the_full_range_is_issued() -> None:
    inventory = NumberInventory(random.Random(7), fictional_only=False, share=(2, 5))
    numbers = [inventory.issue_toll_free() for _ in range(200)]
    numbers += [inventory.issue_local(["805"]) or "" for _ in range(200)]
    assert all(int(number[3:]) % 5 == 2 for number in numbers)
    assert len(set(numbers)) == 400
