"""Sizing a network (simulator.network_sizing): the greedy on marginal value, budget mode's
rounds, targets mode, and seeds per pool."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.errors import RecordInvalid
from simulator.network_file import Network, parse_network
from simulator.network_sizing import (
    CurveTask,
    greedy_allocation,
    pool_seed,
    simulate_sizes,
    size_network,
)


def _network(pools: int = 5, budget: int | None = 30, **extra: Any) -> Network:
    return parse_network({
        "name": "small", "seed": 9, "days": 1, **({"budget": budget} if budget else {}),
        "costs": {"number_monthly_cost": 3, "call_value": 40},
        "targets": {"overflow": "2%"},
        "calls": {"probability": "10%"},
        "pools": [
            {"name": f"pool-{i}", "traffic": {"visitors_per_day": 150 + 250 * i},
             "lifetime_seconds": 900 + 300 * (i % 2)}
            for i in range(pools)
        ],
        **extra,
    })


# lost value per pool at sizes 1..n: non-increasing to 0, not always convex
curves = st.lists(
    st.lists(st.integers(0, 50), min_size=0, max_size=12).map(
        lambda drops: [float(sum(drops[i:]) * 5) for i in range(len(drops))] + [0.0]),
    min_size=1, max_size=6,
)


def _naive_greedy(lost: list[list[float]], costs: list[float], budget: int,
                  names: list[str]) -> list[int]:
    """The definition: every step, the pool whose next numbers save most, a number on average
    over the best run the budget left buys (net; ties by name)."""
    sizes = [1] * len(lost)
    for step in range(budget - len(lost)):
        left = budget - len(lost) - step
        options = [(max((lost[p][sizes[p] - 1] - lost[p][sizes[p] - 1 + k]) / k
                        for k in range(1, min(left, len(lost[p]) - sizes[p]) + 1)) - costs[p],
                    names[p], p)
                   for p in range(len(lost)) if sizes[p] < len(lost[p])]
        best = max(options, key=lambda o: (o[0], [-ord(c) for c in o[1]]), default=None)
        if best is None or best[0] <= 0:
            break
        sizes[best[2]] += 1
    return sizes


@settings(max_examples=200, deadline=None)
@given(curves, st.integers(0, 40), st.floats(0, 30))
def test_greedy_places_each_number_where_it_saves_most_when_curves_are_known(
    lost: list[list[float]], extra: int, cost: float
) -> None:
    names = [f"p{index}" for index in range(len(lost))]
    costs = [cost] * len(lost)
    # every curve is simulated down to 0 lost: no number past it could save anything
    budget = len(lost) + extra
    allocation = greedy_allocation(lost, costs, budget, names)
    assert not allocation.extend
    assert list(allocation.sizes) == _naive_greedy(lost, costs, budget, names)
    assert allocation.spent == sum(allocation.sizes) <= budget
    assert all(size >= 1 for size in allocation.sizes)


@settings(max_examples=200, deadline=None)
@given(curves, st.integers(0, 40))
def test_greedy_asks_for_more_sizes_when_an_unsimulated_number_could_win(
    lost: list[list[float]], extra: int
) -> None:
    budget = len(lost) + extra
    lost = [curve[:-1] or curve for curve in lost]  # (curves cut short: some still losing)
    allocation = greedy_allocation(lost, [0.5] * len(lost), budget)
    assert allocation.spent <= budget and min(allocation.sizes) >= 1
    for pool in allocation.extend:  # a run past the curve could save more than the cost
        size, curve = allocation.sizes[pool], lost[pool]
        assert curve[-1] > 0 and curve[size - 1] / (len(curve) - size + 1) > 0.5


def test_greedy_refused_when_the_budget_is_below_one_number_a_pool() -> None:
    with pytest.raises(RecordInvalid) as caught:
        greedy_allocation([[1.0], [1.0]], [0.0, 0.0], 1)
    assert "budget" in (caught.value.field_errors or {})


def test_budget_answer_equals_the_greedy_on_full_curves_when_sized_in_rounds() -> None:
    network = _network()
    report = size_network(network)
    assert report.spent <= 30 and all((row.numbers or 0) >= 1 for row in report.rows)
    cap = 30 - len(network.pools) + 1
    full = [simulate_sizes(CurveTask(pool.scenario, pool_seed(9, pool.name),
                                     tuple(range(1, cap + 1)))) for pool in network.pools]
    lost = [[outcome.costs.lost_value for outcome in curve] for curve in full]
    costs = [row.number_cost for row in report.rows]
    expected = greedy_allocation(lost, costs, 30, [p.name for p in network.pools])
    assert tuple(row.numbers for row in report.rows) == expected.sizes
    assert report.threshold == expected.threshold


def test_report_is_the_same_when_the_pools_are_listed_in_another_order() -> None:
    network = _network()
    shuffled = dataclasses.replace(network, pools=tuple(reversed(network.pools)))
    by_name = {row.name: row.to_dict() for row in size_network(network).rows}
    again = {row.name: row.to_dict() for row in size_network(shuffled).rows}
    assert by_name == again


def test_every_pool_meets_its_target_when_sized_without_a_budget() -> None:
    report = size_network(_network(pools=3, budget=None))
    assert report.mode == "targets"
    assert all(row.meets_targets for row in report.rows)
    assert report.to_dict()["budget"] is None


def test_targets_mode_refused_when_a_pool_has_no_target() -> None:
    network = parse_network({"pools": [{"name": "a", "traffic": {"visitors_per_day": 10}}]})
    with pytest.raises(RecordInvalid, match="need a budget"):
        size_network(network)


def test_pool_seed_depends_on_network_seed_and_name_only() -> None:
    assert pool_seed(1, "a") == pool_seed(1, "a")
    assert len({pool_seed(1, "a"), pool_seed(2, "a"), pool_seed(1, "b")}) == 3


def test_busy_pool_gets_the_run_that_ends_its_overflow_when_its_first_numbers_save_little(
) -> None:
    # a busy pool: every number is held until about the tenth, then overflow falls fast
    busy = [1000.0, 995, 990, 985, 980, 975, 970, 965, 960, 100, 10, 0]
    quiet = [60.0, 20, 5, 0]  # a quiet pool: its second number saves 40, more than any one
    allocation = greedy_allocation([busy, quiet], [1.0, 1.0], 14, ["busy", "quiet"])
    # (a number at a time, the busy pool's next one, 5, never beats the quiet pool's: it
    # would stay at 1 number and lose 1,000)
    assert allocation.sizes == (11, 3)
