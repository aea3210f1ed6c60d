"""--recommend --minimise-cost, the gap to Erlang B, and the search's progress."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simulator.cli import load_scenario
from simulator.cli import main as simulate
from simulator.costs import CostSpec
from simulator.erlang_gap import explain_gap
from simulator.errors import RecordInvalid
from simulator.recommend import Targets, erlang_cost_size, recommend
from simulator.scenario import CallSpec, PoolSpec, Scenario
from simulator.traffic import Burst, Distribution, TrafficProfile


def _scenario(number_cost: float = 30.0, call_value: float = 20.0) -> Scenario:
    return Scenario(
        name="priced",
        pools=(PoolSpec("main", max_pool_size=10, lifetime_seconds=900),),
        traffic=TrafficProfile(
            visitors_per_day=4_000,
            daily=(1,) * 8 + (3,) * 12 + (1,) * 4,
            bursts=(Burst(start_offset_seconds=13 * 3600, duration_seconds=1200, multiplier=4),),
        ),
        calls=CallSpec(0.2, Distribution("exponential", 300.0)),
        days=1.0,
        start_at=datetime(2026, 1, 5, tzinfo=UTC),
        seed=11,
        costs=CostSpec(number_monthly_cost=number_cost, call_value=call_value),
    )


def test_cheapest_size_has_the_lowest_total_cost_when_minimising_cost() -> None:
    result = recommend(_scenario(), None, minimise_cost=True)
    assert result.max_pool_size is not None and result.at_size is not None
    simulated = {p.max_pool_size: p.costs.total_cost for p in result.evaluated if p.costs}
    assert simulated[result.max_pool_size] == min(simulated.values())
    assert result.max_pool_size + 1 in simulated  # the next number was checked


def test_dearer_numbers_give_a_smaller_pool_when_minimising_cost() -> None:
    cheap = recommend(_scenario(number_cost=5.0), None, minimise_cost=True)
    dear = recommend(_scenario(number_cost=200.0), None, minimise_cost=True)
    assert cheap.max_pool_size is not None and dear.max_pool_size is not None
    assert dear.max_pool_size < cheap.max_pool_size


def test_answer_is_the_larger_size_when_a_target_and_cost_are_both_asked() -> None:
    result = recommend(_scenario(number_cost=200.0), Targets(0.001), minimise_cost=True)
    assert result.target_size is not None and result.cheapest_size is not None
    assert result.max_pool_size == max(result.target_size, result.cheapest_size)


def test_minimising_cost_is_refused_when_numbers_cost_nothing() -> None:
    with pytest.raises(RecordInvalid) as caught:
        recommend(_scenario(number_cost=0.0), None, minimise_cost=True)
    assert "number_monthly_cost" in (caught.value.field_errors or {})


def test_erlang_cost_size_stops_where_a_number_saves_less_than_it_costs() -> None:
    assert erlang_cost_size(10.0, 1.0, 0.0) == 1  # lost calls worth nothing: one number
    assert erlang_cost_size(10.0, 1.0, 1e6) > erlang_cost_size(10.0, 1.0, 1e3) > 10


@pytest.mark.parametrize("minimise_cost", [False, True])
def test_gap_steps_add_up_to_the_difference_when_explaining_erlang_b(minimise_cost: bool) -> None:
    scenario = _scenario()
    result = recommend(scenario, Targets(0.01, 0.9), minimise_cost=minimise_cost)
    gap = explain_gap(scenario, result)
    assert gap is not None and result.max_pool_size is not None
    assert [step.label for step in gap.steps] == [
        "as Erlang B assumes", "+ lifetime", "+ daily and weekly shape", "+ bursts"]
    assert sum(step.change or 0 for step in gap.steps) == result.max_pool_size - gap.erlang
    assert gap.steps[-1].size == result.max_pool_size


def test_progress_is_monotone_and_ends_at_one_when_a_callback_is_given() -> None:
    seen: list[float] = []
    recommend(_scenario(), Targets(0.01), minimise_cost=True, curve_points=3,
              progress=lambda fraction, message: seen.append(fraction))
    assert seen == sorted(seen)
    assert seen[-1] == 1.0 and seen.count(1.0) <= 2
    assert len(seen) > 20 and seen[len(seen) // 2] > 0.1  # it moves along the way


def test_gap_is_explained_when_the_traffic_is_replayed_from_a_csv() -> None:
    replayed = dataclasses.replace(load_scenario("retail-replay"), days=2.0)
    result = recommend(replayed, Targets(0.02), pool="tv")
    gap = explain_gap(replayed, result)
    assert gap is not None and result.max_pool_size is not None
    assert sum(step.change or 0 for step in gap.steps) == result.max_pool_size - gap.erlang


def test_cli_prints_costs_and_the_gap_when_minimising_cost(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "r.json"
    code = simulate(["--recommend", "small-business", "--minimise-cost", "--days", "4",
                     "--no-progress", "--json", str(out)])
    printed = " ".join(capsys.readouterr().out.split())  # (the console wraps at 100)
    assert code == 0
    assert "numbers for the lowest cost" in printed and "for the target" not in printed
    assert "What each number buys" in printed and "+ bursts" in printed
    body = json.loads(out.read_text(encoding="utf-8"))
    assert body["recommendation"]["minimise_cost"] is True
    assert body["erlang_gap"]["simulated"] == body["recommendation"]["max_pool_size"]


def test_cli_refuses_minimise_cost_without_recommend(capsys: pytest.CaptureFixture[str]) -> None:
    assert simulate(["small-business", "--minimise-cost", "--no-progress"]) == 2
    assert "recommend" in json.loads(capsys.readouterr().err)["errors"]
