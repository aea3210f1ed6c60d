"""``invoca-sandbox simulate network``: the table, JSON and plot; the Dask fan-out gives the
serial answer byte for byte (the one end-to-end test: a 20-pool network on 2 workers)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from client.fanout import fanout
from client.network_command import bundled_networks, load_network
from mock_server.cli import main as invoca_sandbox
from simulator.network_file import parse_network
from simulator.network_sizing import serial_map, size_network

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

TINY = """\
name = "tiny"
seed = 5
days = 1
budget = 9

[costs]
number_monthly_cost = 2
call_value = 30

[calls]
probability = "10%"

[[pools]]
name = "north"
traffic = { visitors_per_day = 400 }

[[pools]]
name = "south"
traffic = { visitors_per_day = 150 }
lifetime_seconds = 600
"""


def twenty_pools() -> dict[str, object]:
    """20 pools of mixed sizes sharing a budget, two days each (small enough for a test)."""
    return {
        "name": "twenty", "seed": 20, "days": 2, "budget": 110,
        "costs": {"number_monthly_cost": 1.5, "call_value": 45},
        "calls": {"probability": "8%"},
        "profiles": {"office": {"daily": [1] * 8 + [4] * 10 + [2] * 6}},
        "pools": [
            {"name": f"pool-{index:02d}",
             "traffic": {"visitors_per_day": 40 * (1 + index % 5) * (1 + 3 * (index % 4 == 0)),
                         "profile": "office"},
             "lifetime_seconds": (600, 900, 1800)[index % 3],
             "call_value": 20 + 10 * (index % 6)}
            for index in range(20)
        ],
    }


def test_network_report_is_byte_identical_when_run_on_two_dask_workers() -> None:
    network = parse_network(twenty_pools())
    serial = json.dumps(size_network(network, map_tasks=serial_map).to_dict(), indent=2)
    ticks: list[tuple[int, int]] = []
    with fanout(workers=2, progress=lambda done, total: ticks.append((done, total))) as on_dask:
        distributed = json.dumps(size_network(network, map_tasks=on_dask).to_dict(), indent=2)
    assert distributed == serial
    body = json.loads(serial)
    assert body["spent"] <= 110 and len(body["pools"]) == 20
    assert ticks and all(done <= total for done, total in ticks)


def test_network_command_prints_writes_json_and_plot_when_run_serially(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "tiny.toml"
    source.write_text(TINY, encoding="utf-8")
    out_json, out_png = tmp_path / "n.json", tmp_path / "n.png"
    code = invoca_sandbox(["simulate", "network", str(source), "--serial", "--json",
                           str(out_json), "--plot", str(out_png)])
    assert code == 0
    printed = capsys.readouterr()
    assert "9 of a budget of 9 numbers placed" in printed.out
    assert printed.err == ""  # no bar off a terminal
    body = json.loads(out_json.read_text(encoding="utf-8"))
    assert body["mode"] == "budget" and body["spent"] == 9
    assert out_png.read_bytes().startswith(PNG_MAGIC)


def test_network_command_sizes_to_targets_when_no_budget_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "tiny.toml"
    source.write_text(TINY.replace("budget = 9\n", '[targets]\noverflow = "5%"\n'),
                      encoding="utf-8")
    assert invoca_sandbox(["simulate", "network", str(source), "--serial"]) == 0
    assert "each pool sized to its targets" in capsys.readouterr().out


@pytest.mark.parametrize(("argv", "field"), [
    (["--budget", "1"], "budget"),
    (["--days", "0"], "days"),
])
def test_network_command_exits_2_naming_the_field_when_input_is_bad(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], field: str
) -> None:
    source = tmp_path / "tiny.toml"
    source.write_text(TINY, encoding="utf-8")
    assert invoca_sandbox(["simulate", "network", str(source), "--serial", *argv]) == 2
    assert field in json.loads(capsys.readouterr().err)["errors"]


def test_network_command_exits_2_when_the_file_is_missing(
    capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoca_sandbox(["simulate", "network", "no-such-network", "--serial"]) == 2
    assert "regional-network" in capsys.readouterr().err


def test_bundled_network_loads_by_name_when_listed() -> None:
    assert "regional-network" in bundled_networks()
    network = load_network("regional-network")
    assert len(network.pools) == 20 and network.budget is not None
    assert len({pool.scenario.traffic.visitors_per_day for pool in network.pools}) > 10


def test_pool_reads_a_scenario_file_relative_to_the_network_file(tmp_path: Path) -> None:
    (tmp_path / "fitted.toml").write_text(
        'name = "fitted"\n[traffic]\nvisitors_per_day = 240\n'
        '[[pools]]\nname = "web"\nmax_pool_size = 3\n', encoding="utf-8")
    source = tmp_path / "net.toml"
    source.write_text('budget = 2\n[[pools]]\nname = "a"\nscenario = "fitted.toml"\n',
                      encoding="utf-8")
    network = load_network(str(source))
    assert network.pools[0].scenario.traffic.visitors_per_day == 240


def _hourly_csv(pools: dict[str, int], days: int = 2) -> str:
    rows = ["timestamp,pool,sessions"]
    for hour in range(24 * days):
        at = f"2026-01-{5 + hour // 24:02d}T{hour % 24:02d}:00:00+00:00"
        rows += [f"{at},{pool},{count}" for pool, count in pools.items()]
    return "\n".join(rows) + "\n"


def test_network_command_sizes_the_world_ring_pools_when_given_a_world_and_traffic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    world = tmp_path / "world.json"
    world.write_text(json.dumps({"networks": [{"id": 1}], "objects": [
        {"type": "advertiser", "body": {"id_from_network": "a", "name": "A"}},
        {"type": "advertiser_campaign", "advertiser_id_from_network": "a",
         "body": {"id_from_network": "c", "name": "C"}},
        *({"type": "ring_pool", "advertiser_id_from_network": "a",
           "advertiser_campaign_id_from_network": "c",
           "body": {"id_from_network": pool, "pool_type": "Custom",
                    "destination_type": "Advertiser", "max_pool_size": 6,
                    "lifetime_seconds": lifetime}}
          for pool, lifetime in (("rp-a", 600), ("rp-b", 1200))),
    ]}), encoding="utf-8")
    traffic = tmp_path / "sessions.csv"
    traffic.write_text(_hourly_csv({"rp-a": 20, "rp-b": 6}), encoding="utf-8")
    out_json = tmp_path / "report.json"
    code = invoca_sandbox(["simulate", "network", "--world", str(world), "--traffic",
                           str(traffic), "--target-overflow", "2%", "--call-value", "30",
                           "--serial", "--json", str(out_json)])
    assert code == 0
    assert "numbers now" in capsys.readouterr().out
    body = json.loads(out_json.read_text(encoding="utf-8"))
    assert body["network"] == "world" and body["mode"] == "targets"
    assert sorted((pool["name"], pool["current_numbers"]) for pool in body["pools"]) == [
        ("rp-a", 6), ("rp-b", 6)]


def test_world_pools_lose_calls_worth_their_value_when_a_call_probability_is_given(
    tmp_path: Path
) -> None:
    traffic = tmp_path / "sessions.csv"
    traffic.write_text(_hourly_csv({"rp-1": 40}), encoding="utf-8")
    reports = []
    for extra in ([], ["--call-probability", "10%"]):
        out_json = tmp_path / f"report{len(reports)}.json"
        assert invoca_sandbox(["simulate", "network", "--traffic", str(traffic), "--budget",
                               "4", "--call-value", "30", "--number-monthly-cost", "1",
                               *extra, "--serial", "--quiet", "--json", str(out_json)]) == 0
        reports.append(json.loads(out_json.read_text(encoding="utf-8")))
    silent, calling = (report["total"] for report in reports)
    assert silent["lost_value"] == 0  # no calls: nothing to lose
    assert calling["lost_value"] > 0
    assert calling["lost_value"] == 30 * (calling["lost_to_overflow"]
                                          + calling["lost_to_misattribution"])


def test_network_command_exits_2_naming_the_pool_when_the_csv_names_no_ring_pool(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    traffic = tmp_path / "sessions.csv"
    traffic.write_text(_hourly_csv({"rp-1": 20, "elsewhere": 3}), encoding="utf-8")
    assert invoca_sandbox(["simulate", "network", "--traffic", str(traffic), "--budget", "9",
                           "--serial"]) == 2
    assert "'elsewhere' names no ring pool" in capsys.readouterr().err


def test_network_command_exits_2_when_world_flags_come_without_traffic(
    capsys: pytest.CaptureFixture[str]
) -> None:
    assert invoca_sandbox(["simulate", "network", "regional-network", "--mode", "replay"]) == 2
    assert "--mode needs --traffic" in capsys.readouterr().err
