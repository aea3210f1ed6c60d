"""Network files (simulator.network_file): pools as one-pool scenarios, and clear errors."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from simulator.cli import load_scenario
from simulator.errors import RecordInvalid
from simulator.network_file import parse_network
from simulator.scenario import Scenario
from simulator.traffic import expected_visitors


def _data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "n", "days": 2, "budget": 6,
        "profiles": {"office": {"daily": [1] * 8 + [3] * 10 + [1] * 6}},
        "pools": [
            {"name": "a", "traffic": {"visitors_per_day": 100, "profile": "office"}},
            {"name": "b", "traffic": {"visitors_per_day": 50}},
        ],
    }
    data.update(changes)
    return data


def _error(data: dict[str, Any], **kwargs: Any) -> dict[str, list[str]]:
    with pytest.raises(RecordInvalid) as caught:
        parse_network(data, **kwargs)
    return caught.value.field_errors or {}


def test_pool_takes_its_profile_when_it_names_one() -> None:
    network = parse_network(_data())
    assert network.pools[0].scenario.traffic.daily == tuple([1] * 8 + [3] * 10 + [1] * 6)
    assert network.pools[1].scenario.traffic.daily == (1.0,) * 24
    assert network.pools[0].scenario.days == 2


@pytest.mark.parametrize(("changes", "field"), [
    ({"colour": "red"}, "network"),
    ({"budget": 1}, "budget"),
    ({"budget": "many"}, "budget"),
    ({"days": 0}, "days"),
    ({"targets": {"overflow": "1%", "attribution": "x"}}, "targets.attribution"),
    ({"targets": {"overfow": "1%"}}, "targets"),
    ({"profiles": {"office": {"hourly": [1]}}}, "profiles.office"),
    ({"pools": []}, "pools"),
    ({"pools": [{"name": "a", "traffic": {"visitors_per_day": 1}},
                {"name": "a", "traffic": {"visitors_per_day": 1}}]}, "pools"),
    ({"pools": [{"name": "a"}]}, "pools[0].traffic"),
    ({"pools": [{"name": "a", "traffic": {"visitors_per_day": 1, "profile": "night"}}]},
     "pools[0].traffic.profile"),
    ({"pools": [{"name": "a", "traffic": {"visitors_per_day": 1, "daily": [1] * 23}}]},
     "pools[0].traffic.daily"),
    ({"pools": [{"name": "a", "traffic": {"visitors_per_day": 1}, "size": 3}]}, "pools[0]"),
    ({"pools": [{"name": "a", "traffic": {"visitors_per_day": 1}, "call_value": -1}]},
     "pools[0].call_value"),
    ({"pools": [{"traffic": {"visitors_per_day": 1}}]}, "pools[0].name"),
    ({"pools": [{"name": "a", "traffic": {"visitors_per_day": 1},
                 "target_attribution": "99%"}]}, "pools[0].target_overflow"),
])
def test_network_refused_naming_the_value_when_it_is_bad(
    changes: dict[str, Any], field: str
) -> None:
    assert field in _error(_data(**changes))


def test_scenario_pool_refused_when_no_loader_is_given() -> None:
    data = _data(pools=[{"name": "a", "scenario": "fitted.toml"}])
    assert "pools[0].scenario" in _error(data)


def test_pool_takes_a_scenarios_traffic_when_it_names_a_scenario() -> None:
    fitted = Scenario.from_dict({
        "name": "fitted", "days": 9,
        "traffic": {"visitors_per_day": 400, "daily": [1] * 12 + [2] * 12,
                    "bursts": [{"start_offset_hours": 5, "duration_minutes": 10,
                                "multiplier": 3}]},
        "calls": {"probability": 0.07},
        "pools": [{"name": "web", "max_pool_size": 5, "weight": 3, "lifetime_seconds": 600},
                  {"name": "other", "max_pool_size": 5, "weight": 1}],
    })
    data = _data(pools=[{"name": "a", "scenario": "fitted.toml", "call_value": 9}],
                 costs={"number_monthly_cost": 2})
    network = parse_network(data, load_scenario={"fitted.toml": fitted}.__getitem__)
    scenario = network.pools[0].scenario
    assert scenario.traffic.visitors_per_day == pytest.approx(300)  # the pool's share
    assert scenario.traffic.daily == fitted.traffic.daily
    assert scenario.traffic.bursts == fitted.traffic.bursts
    assert scenario.calls.probability == pytest.approx(0.07)
    assert scenario.days == 2  # the network's
    spec = scenario.pools[0]
    assert (spec.name, spec.lifetime_seconds, spec.weight) == ("a", 600, 1.0)
    assert spec.costs(scenario.costs) == dataclasses.replace(
        scenario.costs, number_monthly_cost=2, call_value=9)


def test_unknown_scenario_pool_refused_when_the_scenario_has_no_such_pool() -> None:
    fitted = Scenario.from_dict({"traffic": {"visitors_per_day": 1},
                                 "pools": [{"name": "web", "max_pool_size": 1}]})
    data = _data(pools=[{"name": "a", "scenario": "f.toml", "scenario_pool": "app"}])
    assert "pools[0].scenario_pool" in _error(data, load_scenario=lambda name: fitted)


def test_pool_replays_its_own_series_when_its_scenario_replays_a_csv() -> None:
    replayed = load_scenario("retail-replay")
    data = _data(days=2, start_at="2026-03-02T05:00:00Z", pools=[
        {"name": "tv", "scenario": "retail-replay", "scenario_pool": "tv"},
        {"name": "search", "scenario": "retail-replay", "scenario_pool": "search"},
    ])
    network = parse_network(data, load_scenario=lambda name: replayed)
    tv, search = (pool.scenario for pool in network.pools)
    assert len(tv.sessions) == 1 and tv.sessions[0] == replayed.sessions[2]
    assert expected_visitors(search.rate_segments()) > expected_visitors(tv.rate_segments())


def test_networks_calls_win_over_the_scenarios_when_a_pool_names_a_scenario() -> None:
    fitted = Scenario.from_dict({
        "name": "fitted", "traffic": {"visitors_per_day": 400},
        "calls": {"probability": 0.07, "duration": {"kind": "exponential", "mean_minutes": 3}},
        "pools": [{"name": "web", "max_pool_size": 5}],
    })
    data = _data(pools=[{"name": "a", "scenario": "fitted.toml"},
                        {"name": "b", "scenario": "fitted.toml",
                         "calls": {"probability": "1%"}}],
                 calls={"probability": "4%"})
    network = parse_network(data, load_scenario=lambda name: fitted)
    first, second = (pool.scenario.calls for pool in network.pools)
    assert first.probability == pytest.approx(0.04)  # the network's, key by key
    assert first.duration == fitted.calls.duration  # the scenario's where the network is silent
    assert second.probability == pytest.approx(0.01)  # the pool's own over both
