"""Cost and value: numbers' cost pro-rated from monthly, lost calls and their value."""

from __future__ import annotations

import pytest

from simulator.costs import DAYS_PER_MONTH, CostSpec, number_cost, pool_costs
from simulator.errors import RecordInvalid
from simulator.runner import run_scenario
from simulator.scenario import Scenario


def _scenario(**extra: object) -> Scenario:
    return Scenario.from_dict({
        "name": "priced", "days": 2, "seed": 3,
        "traffic": {"visitors_per_day": 2000},
        "calls": {"probability": 0.2, "delay": {"kind": "exponential", "mean_minutes": 40}},
        "pools": [{"name": "a", "max_pool_size": 8, "lifetime_seconds": 900},
                  {"name": "b", "max_pool_size": 30, "call_value": 100}],
        **extra,
    })


def test_number_cost_is_pro_rated_when_the_run_is_shorter_than_a_month() -> None:
    spec = CostSpec(number_monthly_cost=3.0)
    assert number_cost(10, spec, DAYS_PER_MONTH) == pytest.approx(30.0)
    assert number_cost(10, spec, DAYS_PER_MONTH / 2) == pytest.approx(15.0)


def test_report_values_lost_calls_per_pool_when_costs_are_set() -> None:
    report = run_scenario(_scenario(costs={"number_monthly_cost": 2, "call_value": 10}))
    a, b = report.costs
    metrics_a, metrics_b = report.pool("a"), report.pool("b")
    assert a.lost_to_overflow == metrics_a.unattributed
    assert a.lost_to_misattribution == metrics_a.misattributed
    assert a.lost_value == pytest.approx(10 * (metrics_a.unattributed + metrics_a.misattributed))
    assert b.lost_value == pytest.approx(100 * (metrics_b.unattributed + metrics_b.misattributed))
    assert a.number_cost == pytest.approx(8 * 2 * 2 / DAYS_PER_MONTH)
    assert report.total_costs is not None
    assert report.total_costs.total_cost == pytest.approx(a.total_cost + b.total_cost)
    assert a.lost_to_overflow > 0 and a.lost_to_misattribution > 0  # the case is not empty
    body = report.to_dict()["costs"]
    assert [pool["name"] for pool in body["pools"]] == ["a", "b"]


def test_pool_override_wins_when_both_pool_and_costs_table_set_a_value() -> None:
    scenario = _scenario(costs={"call_value": 10})
    assert scenario.pools[1].costs(scenario.costs).call_value == 100
    assert scenario.pools[0].costs(scenario.costs).call_value == 10


@pytest.mark.parametrize(("extra", "field"), [
    ({"costs": {"call_value": -1}}, "costs.call_value"),
    ({"costs": {"number_cost": 1}}, "costs"),
    ({"costs": {"call_value": "ten"}}, "costs.call_value"),
])
def test_scenario_refused_when_costs_are_bad(extra: dict[str, object], field: str) -> None:
    with pytest.raises(RecordInvalid) as caught:
        _scenario(**extra)
    assert field in (caught.value.field_errors or {})


def test_scenario_refused_naming_the_pool_when_its_cost_is_negative() -> None:
    with pytest.raises(RecordInvalid) as caught:
        Scenario.from_dict({"traffic": {"visitors_per_day": 1},
                            "pools": [{"max_pool_size": 1, "number_monthly_cost": -2}]})
    assert "pools[0].number_monthly_cost" in (caught.value.field_errors or {})


def test_misattribution_not_valued_when_counting_overflow_only() -> None:
    report = run_scenario(_scenario(costs={"call_value": 1}))
    costs = pool_costs(report.pool("a"), CostSpec(call_value=1), 2, count_misattributed=False)
    assert costs.lost_to_misattribution == 0
    assert costs.lost_value == report.pool("a").unattributed
