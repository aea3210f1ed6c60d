"""The ``invoca-sandbox simulate`` command (simulator.cli) and its plots."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from PIL import Image

from mock_server.cli import main as invoca_sandbox
from simulator.cli import bundled_scenarios, load_scenario, main, parse_share
from simulator.errors import RecordInvalid
from simulator.runner import run_scenario
from simulator.shares import share_argument

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

SMALL_TOML = """\
# A tiny test scenario.
name = "tiny"
seed = 4
start_at = 2026-01-05T00:00:00Z
days = 1

[traffic]
visitors_per_day = 1500
daily = [1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 3, 3, 3, 2, 2, 2, 1, 1, 1]

[calls]
probability = 0.2
delay = { kind = "exponential", mean_minutes = 8 }
duration = { kind = "fixed", mean_seconds = 120 }

[[pools]]
name = "main"
max_pool_size = 12
lifetime_seconds = 900

[[params]]
name = "search_engine"
values = ["google", "bing"]
weights = [3, 1]
"""


@pytest.fixture
def scenario_path(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(SMALL_TOML, encoding="utf-8")
    return path


def assert_valid_png(path: Path) -> None:
    assert path.read_bytes()[:8] == PNG_MAGIC
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size[0] > 500 and image.size[1] > 500


def test_report_json_and_png_are_written_when_asked(
    scenario_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    json_path, png_path = tmp_path / "out.json", tmp_path / "out.png"
    status = main([str(scenario_path), "--json", str(json_path), "--plot", str(png_path)])
    assert status == 0
    body = json.loads(json_path.read_text(encoding="utf-8"))
    assert set(body) >= {"scenario", "seed", "total", "pools", "timeline", "spec"}
    assert body["scenario"] == "tiny" and body["seed"] == 4
    total = body["total"]
    assert total["visitors"] > 1000 and total["max_pool_size"] == 12
    assert total["calls"] == total["attributed"] + total["misattributed"] + total["unattributed"]
    assert 0.0 < total["overflow_rate"] < 1.0
    assert len(body["timeline"]) == 24
    assert_valid_png(png_path)
    printed = capsys.readouterr().out
    assert "Scenario tiny (seed 4)" in printed
    assert "overflow rate" in printed and "attribution rate" in printed


def test_json_is_byte_identical_when_seed_is_repeated(
    scenario_path: Path, tmp_path: Path
) -> None:
    paths = [tmp_path / f"run{index}.json" for index in range(3)]
    assert main([str(scenario_path), "--seed", "9", "--json", str(paths[0])]) == 0
    assert main([str(scenario_path), "--seed", "9", "--json", str(paths[1])]) == 0
    assert main([str(scenario_path), "--seed", "10", "--json", str(paths[2])]) == 0
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()
    assert json.loads(paths[0].read_text(encoding="utf-8"))["seed"] == 9


def test_recommendation_is_written_when_recommend_is_asked(
    scenario_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    json_path, png_path = tmp_path / "rec.json", tmp_path / "rec.png"
    status = main([
        "--recommend", str(scenario_path), "--target-overflow", "1%",
        "--target-attribution", "90%", "--json", str(json_path), "--plot", str(png_path),
        "--curve-points", "4",
    ])
    assert status == 0
    body = json.loads(json_path.read_text(encoding="utf-8"))
    recommendation = body["recommendation"]
    size = recommendation["max_pool_size"]
    assert recommendation["targets"] == {"overflow_rate": 0.01, "attribution_rate": 0.9}
    assert recommendation["at_size"]["max_pool_size"] == size
    assert recommendation["at_size"]["metrics"]["overflow_rate"] <= 0.01
    assert recommendation["one_below"]["max_pool_size"] == size - 1
    assert recommendation["one_below"]["meets_targets"] is False
    assert body["report"]["pools"][0]["max_pool_size"] == size
    assert_valid_png(png_path)
    assert f"max_pool_size = {size}" in capsys.readouterr().out


def test_lifetime_is_searched_when_search_lifetime_is_given(
    scenario_path: Path, tmp_path: Path
) -> None:
    json_path = tmp_path / "rec.json"
    status = main([
        "--recommend", str(scenario_path), "--target-overflow", "2%",
        "--search-lifetime", "--lifetimes", "300,900", "--json", str(json_path),
    ])
    assert status == 0
    recommendation = json.loads(json_path.read_text(encoding="utf-8"))["recommendation"]
    assert recommendation["lifetime_seconds"] == 300
    assert {p["lifetime_seconds"] for p in recommendation["evaluated"]} == {300, 900}


def test_exit_status_is_2_with_an_error_body_when_toml_is_invalid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("name = \n", encoding="utf-8")
    json_path = tmp_path / "never.json"
    assert main([str(bad), "--json", str(json_path)]) == 2
    error = json.loads(capsys.readouterr().err)
    assert list(error["errors"]) == ["scenario"]
    assert "is not valid TOML" in error["errors"]["scenario"][0]
    assert not json_path.exists()


def test_exit_status_is_2_with_field_errors_when_scenario_is_invalid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL_TOML.replace("max_pool_size = 12", "max_pool_size = -3"), "utf-8")
    png_path = tmp_path / "never.png"
    assert main([str(bad), "--plot", str(png_path)]) == 2
    assert json.loads(capsys.readouterr().err) == {
        "errors": {"pools[0].max_pool_size": ["must be an integer greater than 0"]}
    }
    assert not png_path.exists()


def test_exit_status_is_2_when_scenario_file_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(tmp_path / "nope.toml")]) == 2
    error = json.loads(capsys.readouterr().err)
    [message] = error["errors"]["scenario"]
    assert message.startswith(f"file not found: {tmp_path / 'nope.toml'} (bundled: ")
    assert "small-business" in message


def test_exit_status_is_2_when_recommend_has_no_target(
    scenario_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--recommend", str(scenario_path)]) == 2
    assert json.loads(capsys.readouterr().err) == {
        "errors": {"target_overflow": ["can't be blank"]}
    }


def test_exit_status_is_2_when_targets_are_given_without_recommend(
    scenario_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(scenario_path), "--target-overflow", "1%"]) == 2
    assert "recommend" in json.loads(capsys.readouterr().err)["errors"]


def test_exit_status_is_2_when_option_is_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--frobnicate"]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_simulate_runs_when_called_through_the_dispatcher(
    scenario_path: Path, tmp_path: Path
) -> None:
    json_path = tmp_path / "via.json"
    assert invoca_sandbox(["simulate", str(scenario_path), "--json", str(json_path)]) == 0
    direct = tmp_path / "direct.json"
    assert main([str(scenario_path), "--json", str(direct)]) == 0
    assert json_path.read_bytes() == direct.read_bytes()


def test_progress_bar_does_not_change_the_report_when_forced(
    scenario_path: Path, tmp_path: Path
) -> None:
    with_bar, without = tmp_path / "bar.json", tmp_path / "plain.json"
    assert main([str(scenario_path), "--progress", "--json", str(with_bar)]) == 0
    assert main([str(scenario_path), "--no-progress", "--json", str(without)]) == 0
    assert with_bar.read_bytes() == without.read_bytes()


BUNDLED = ["small-business", "national-campaign", "tv-spot", "retail-replay", "retail-fit"]


def test_bundled_examples_are_listed_when_list_is_asked(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["--list"]) == 0
    printed = capsys.readouterr().out
    assert set(bundled_scenarios()) == set(BUNDLED)
    for name in bundled_scenarios():
        assert name in printed


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_example_runs_when_named(name: str) -> None:
    scenario = load_scenario(name)
    assert scenario.name == name and scenario.description
    short = dataclasses.replace(scenario, days=1)
    report = run_scenario(short)
    assert report.total.visitors > 0
    assert report.total.calls > 0


def test_small_business_example_runs_when_called_by_name(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["small-business", "--no-progress"]) == 0
    assert "pool website" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "share"), [("1%", 0.01), ("99.5%", 0.995), ("0.2", 0.2)])
def test_share_is_a_fraction_when_parsed(text: str, share: float) -> None:
    assert parse_share(text, name="target_overflow") == pytest.approx(share)


@pytest.mark.parametrize("text", ["abc", "150%", "-1%", "2"])
def test_share_is_refused_when_out_of_range_or_malformed(text: str) -> None:
    with pytest.raises(RecordInvalid):
        parse_share(text, name="target_overflow")


def test_duration_is_overridden_when_days_is_given(scenario_path: Path, tmp_path: Path) -> None:
    json_path = tmp_path / "half.json"
    assert main([str(scenario_path), "--days", "0.5", "--json", str(json_path)]) == 0
    body = json.loads(json_path.read_text(encoding="utf-8"))
    assert body["days"] == 0.5
    assert len(body["timeline"]) == 12


def test_exit_status_is_2_when_days_is_not_positive(
    scenario_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(scenario_path), "--days", "0"]) == 2
    assert json.loads(capsys.readouterr().err) == {
        "errors": {"days": ["must be a number greater than 0"]}
    }


def test_png_bytes_are_identical_when_the_same_run_is_plotted(
    scenario_path: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    assert main([str(scenario_path), "--plot", str(first)]) == 0
    assert main([str(scenario_path), "--plot", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("text", ["1%", "0.01", " 1 %"])
def test_same_share_when_written_as_percent_or_fraction(text: str) -> None:
    assert share_argument(text) == pytest.approx(0.01)


@pytest.mark.parametrize("text", ["nan", "inf%", "abc"])
def test_share_refused_when_not_a_finite_share(text: str) -> None:
    with pytest.raises(RecordInvalid):
        parse_share(text, name="target_overflow")


def test_report_prints_instants_in_the_scenarios_zone_when_it_has_a_timezone(
    capsys: pytest.CaptureFixture[str]
) -> None:
    # retail-replay runs in America/New_York across the spring change (EST, then EDT)
    assert main(["retail-replay", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "2026-03-02 00:00 EST" in printed  # (the start, in the title)
    assert " EDT " in printed and " UTC " not in printed
