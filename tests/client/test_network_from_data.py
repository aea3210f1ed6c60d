"""Issue 20's whole flow: a scenario fitted from the bundled analytics CSV and Transactions
export feeds a 20-pool network with a budget, and two local Dask workers give the serial
run's report byte for byte."""

from __future__ import annotations

import importlib.resources
import json
from typing import Any

import pytest

from client.fanout import fanout
from simulator.network_file import parse_network
from simulator.network_sizing import serial_map, size_network
from simulator.scenario import Scenario, fit_scenario

DATA = importlib.resources.files("simulator") / "scenarios" / "data"
RETAIL_POOLS = ("search", "social", "tv")


@pytest.fixture(scope="module")
def fitted() -> Scenario:
    return fit_scenario(
        (DATA / "retail-sessions.csv").read_text(encoding="utf-8"),
        (DATA / "retail-transactions.json").read_text(encoding="utf-8"),
        timezone="America/New_York",
        probability="5%",
        seed=20,
    )


def twenty_fitted_pools(budget: int) -> dict[str, Any]:
    """20 campaigns' pools, each taking one retail pool's fitted traffic and calls."""
    return {
        "name": "retail-twenty", "seed": 20, "days": 2, "budget": budget,
        "start_at": "2026-04-06T04:00:00Z",
        "costs": {"number_monthly_cost": 2, "call_value": 40},
        "pools": [
            {"name": f"campaign-{index:02d}", "scenario": "retail-fit",
             "scenario_pool": RETAIL_POOLS[index % 3],
             "lifetime_seconds": (900, 1800)[index % 2],
             "call_value": 25 + 5 * (index % 4)}
            for index in range(20)
        ],
    }


def test_fitted_network_report_is_byte_identical_when_run_on_two_dask_workers(
        fitted: Scenario) -> None:
    # the fit came from the files: calls from the export, traffic shares from the sessions
    assert fitted.calls.delay.kind == "lognormal" and fitted.calls.duration is not None
    assert [pool.name for pool in fitted.pools] == list(RETAIL_POOLS)
    network = parse_network(twenty_fitted_pools(budget=150),
                            load_scenario=lambda name: fitted)
    shares = {pool.name: pool.weight / sum(p.weight for p in fitted.pools)
              for pool in fitted.pools}
    first = network.pools[0].scenario
    assert first.traffic.visitors_per_day == pytest.approx(
        fitted.traffic.visitors_per_day * shares["search"])
    assert first.calls == fitted.calls

    serial = json.dumps(size_network(network, map_tasks=serial_map).to_dict(), indent=2)
    with fanout(workers=2) as on_dask:
        distributed = json.dumps(size_network(network, map_tasks=on_dask).to_dict(), indent=2)

    assert distributed == serial
    report = json.loads(serial)
    assert report["mode"] == "budget" and report["spent"] == 150
    assert len(report["pools"]) == 20
    # busier pools (the search share) get more numbers than the quiet tv ones
    numbers = {pool["name"]: pool["numbers"] for pool in report["pools"]}
    assert numbers["campaign-00"] > numbers["campaign-02"]
