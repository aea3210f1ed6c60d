"""Traffic from data: analytics CSVs replayed and fitted, calls fitted from Transactions
exports, time zones with daylight saving, reports and plots at a chosen resolution."""

from __future__ import annotations

import dataclasses
import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from simulator.cli import load_scenario, main
from simulator.errors import RecordInvalid
from simulator.plot import plot_recommendation, plot_report
from simulator.recommend import Targets, recommend
from simulator.runner import run_scenario
from simulator.scenario import Scenario, fit_scenario
from simulator.traffic import (
    Burst,
    TrafficProfile,
    expected_visitors,
    rate_segments,
)
from simulator.traffic_data import fit_calls, fit_profile, read_sessions

NEW_YORK = ZoneInfo("America/New_York")
DATA = resources.files("simulator") / "scenarios" / "data"
DAILY = tuple(float(w) for w in
              [1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 11, 10, 9, 9, 9, 8, 8, 8, 7, 5, 3, 2])
WEEKLY = (1.2, 1.1, 1.0, 1.0, 0.9, 0.6, 1.2)


def sessions_csv(
    rate: Any, *, start: datetime, days: int, minutes: int, pools: tuple[str, ...] = ("web",)
) -> str:
    """A CSV whose counts are ``rate(pool, instant) x interval`` exactly (no noise)."""
    lines = ["Timestamp,Ring_Pool,Visitors"]
    at = start.astimezone(UTC)
    end = (start + timedelta(days=days)).astimezone(UTC)
    while at < end:
        for pool in pools:
            lines.append(f"{at.isoformat()},{pool},{rate(pool, at) * minutes * 60:.9f}")
        at += timedelta(minutes=minutes)
    return "\n".join(lines) + "\n"


def profile_rate(pool: str, at: datetime) -> float:
    local = at.astimezone(NEW_YORK)
    per_day = {"web": 2400.0, "tv": 600.0}[pool]
    return (per_day * DAILY[local.hour] / sum(DAILY) * WEEKLY[local.weekday()] * 7
            / sum(WEEKLY) / 3600.0)


def scenario_with_csv(csv_text: str, mode: str, **extra: Any) -> Scenario:
    data: dict[str, Any] = {
        "timezone": "America/New_York",
        "traffic": {"csv": "t.csv", "mode": mode},
        "pools": [{"name": "web", "max_pool_size": 50}, {"name": "tv", "max_pool_size": 20}],
        **extra,
    }
    return Scenario.from_dict(data, files={"t.csv": csv_text})


# ------------------------------------------------------------------------------ replay


def test_replay_expects_exactly_the_csv_visitors_when_the_csv_is_replayed() -> None:
    text = (DATA / "retail-sessions.csv").read_text(encoding="utf-8")
    scenario = load_scenario("retail-replay")
    series = read_sessions(text, zone=NEW_YORK)
    segments = scenario.rate_segments()
    for index, pool in enumerate(scenario.pools):
        expected = math.fsum(
            s.pool_rates[index] * (s.end - s.start) for s in segments if s.pool_rates
        )
        assert expected == pytest.approx(series[pool.name].total, rel=1e-12)
    assert expected_visitors(segments) == pytest.approx(
        sum(one.total for one in series.values()), rel=1e-12)


def test_replay_reproduces_each_pools_total_when_run() -> None:
    scenario = load_scenario("retail-replay")
    series = read_sessions((DATA / "retail-sessions.csv").read_text(encoding="utf-8"),
                           zone=NEW_YORK)
    report = run_scenario(scenario)
    for pool in report.pools:
        total = series[pool.name].total
        assert abs(pool.visitors - total) < 5 * math.sqrt(total)  # Poisson: within 5 sigma


def test_replay_follows_each_pools_own_shape_when_pools_differ() -> None:
    # web visits by day only, tv by night only: each pool gets its own traffic
    def rate(pool: str, at: datetime) -> float:
        day = 9 <= at.astimezone(NEW_YORK).hour < 21
        return 0.2 if day == (pool == "web") else 0.0

    text = sessions_csv(rate, start=datetime(2026, 1, 5, tzinfo=NEW_YORK), days=2, minutes=30,
                        pools=("web", "tv"))
    report = run_scenario(scenario_with_csv(text, "replay", resolution_minutes=30))
    for interval in report.timeline:
        hour = interval.interval_at.astimezone(NEW_YORK).hour
        web, tv = interval.visitors_by_pool
        assert (tv == 0) if 9 <= hour < 21 else (web == 0)
    assert report.pool("web").visitors > 0 and report.pool("tv").visitors > 0


@pytest.mark.parametrize("mode", ["replay", "fit"])
def test_csv_scenario_loads_again_when_built_from_its_own_spec(mode: str) -> None:
    text = sessions_csv(profile_rate, start=datetime(2026, 1, 5, tzinfo=NEW_YORK), days=7,
                        minutes=60, pools=("web", "tv"))
    scenario = scenario_with_csv(text, mode)
    files = {"t.csv": text} if mode == "replay" else {}  # a fitted spec needs no file
    again = Scenario.from_dict(scenario.to_dict(), files=files)
    assert again.to_dict() == scenario.to_dict()
    assert again.rate_segments() == scenario.rate_segments()


def test_replay_is_refused_when_the_scenario_runs_past_the_csv() -> None:
    text = sessions_csv(profile_rate, start=datetime(2026, 1, 5, tzinfo=NEW_YORK), days=1,
                        minutes=60, pools=("web", "tv"))
    with pytest.raises(RecordInvalid, match="replay needs data for all of it"):
        scenario_with_csv(text, "replay", days=2)


# ------------------------------------------------------------------------------ fit


def test_fit_recovers_the_profiles_when_the_csv_follows_known_ones() -> None:
    text = sessions_csv(profile_rate, start=datetime(2026, 1, 5, tzinfo=NEW_YORK), days=14,
                        minutes=15, pools=("web", "tv"))
    scenario = scenario_with_csv(text, "fit", days=7)
    fitted = scenario.traffic
    assert fitted.visitors_per_day == pytest.approx(3000.0, rel=1e-4)
    assert [w / 24 for w in fitted.daily] == pytest.approx(
        [w / sum(DAILY) for w in DAILY], rel=1e-4)
    assert [w / 7 for w in fitted.weekly] == pytest.approx(
        [w / sum(WEEKLY) for w in WEEKLY], rel=1e-4)
    assert [pool.weight for pool in scenario.pools] == pytest.approx([0.8, 0.2])


def test_fit_runs_any_number_of_days_when_fitted_from_two_weeks() -> None:
    text = sessions_csv(profile_rate, start=datetime(2026, 1, 5, tzinfo=NEW_YORK), days=14,
                        minutes=60, pools=("web", "tv"))
    scenario = scenario_with_csv(text, "fit", days=30, start_at="2026-06-01T00:00:00")
    assert scenario.start_at == datetime(2026, 6, 1, 4, tzinfo=UTC)  # local midnight (EDT)
    # four weeks, then a Monday and a Tuesday (weekly weights 1.2 and 1.1 of a mean 1)
    assert expected_visitors(scenario.rate_segments()) == pytest.approx(
        28 * 3000 + 3000 * (1.2 + 1.1), rel=1e-4)


def test_fit_is_the_same_when_timestamps_are_naive_local_times() -> None:
    start = datetime(2026, 10, 26, tzinfo=NEW_YORK)  # two weeks over the fall-back day
    with_offsets = sessions_csv(profile_rate, start=start, days=14, minutes=30)
    lines = with_offsets.splitlines()
    naive = [lines[0]] + [
        datetime.fromisoformat(line.split(",")[0]).astimezone(NEW_YORK)
        .replace(tzinfo=None).isoformat() + "," + line.split(",", 1)[1]
        for line in lines[1:]
    ]
    one = read_sessions(with_offsets, zone=NEW_YORK)["web"]
    other = read_sessions("\n".join(naive), zone=NEW_YORK)["web"]
    assert (other.start_at, other.interval_seconds, other.counts) == (
        one.start_at, one.interval_seconds, one.counts)
    assert fit_profile([other], zone=NEW_YORK) == fit_profile([one], zone=NEW_YORK)


def test_fit_scenario_builds_a_runnable_scenario_when_given_the_bundled_files() -> None:
    scenario = fit_scenario(
        (DATA / "retail-sessions.csv").read_text(encoding="utf-8"),
        (DATA / "retail-transactions.json").read_text(encoding="utf-8"),
        pools={"search": 70, "tv": 30},
        timezone="America/New_York",
        days=2,
        probability="5%",
    )
    assert [pool.name for pool in scenario.pools] == ["search", "tv"]
    assert scenario.calls.delay.kind == "lognormal"
    assert scenario.to_dict()["calls"]["delay"] == scenario.calls.delay.to_dict()
    report = run_scenario(scenario)
    assert report.total.visitors > 0 and report.total.calls > 0


# ------------------------------------------------------------------------------ calls


def transactions(generator: np.random.Generator, count: int) -> list[dict[str, Any]]:
    landed = datetime(2026, 3, 2, 12, tzinfo=UTC)
    delays = generator.lognormal(math.log(600.0) - 0.5, 1.0, count)
    durations = generator.exponential(180.0, count)
    return [
        {
            "transaction_id": f"T{index}",
            "transaction_type": "Call",
            "start_time_utc": round((landed.timestamp() + float(delay)) * 1000),
            "duration": round(float(duration)),
            "dynamic_number_pool_referrer_param1_name": "landingTime",
            "dynamic_number_pool_referrer_param1_value": "Mon, 02 Mar 2026 12:00:00 GMT",
        }
        for index, (delay, duration) in enumerate(zip(delays, durations, strict=True))
    ]


def as_csv(rows: list[dict[str, Any]]) -> str:
    header = list(rows[0])
    lines = [",".join(header)]
    lines += [",".join(f'"{row[key]}"' for key in header) for row in rows]
    return "\n".join(lines) + "\n"


def test_fit_calls_recovers_the_distributions_when_the_export_follows_them() -> None:
    rows = transactions(np.random.default_rng(7), 4000)
    fit = fit_calls(json.dumps(rows), source="t.json")
    assert fit.delay is not None and fit.delay.kind == "lognormal"
    assert fit.delay.mean_seconds == pytest.approx(600.0, rel=0.06)
    assert fit.delay.sigma == pytest.approx(1.0, rel=0.05)
    assert fit.duration.kind == "exponential"
    assert fit.duration.mean_seconds == pytest.approx(180.0, rel=0.05)
    assert (fit.calls, fit.delays) == (4000, 4000)


def test_fit_calls_is_the_same_when_the_export_is_csv_or_json() -> None:
    rows = transactions(np.random.default_rng(8), 200)
    rows.append({**rows[0], "transaction_type": "Signal", "duration": "x"})  # not a call
    assert fit_calls(as_csv(rows)) == fit_calls(json.dumps(rows), source="t.json")


def test_bundled_export_fits_a_lognormal_delay_when_read_as_csv_and_json() -> None:
    csv_fit = fit_calls((DATA / "retail-transactions.csv").read_text(encoding="utf-8"))
    json_fit = fit_calls((DATA / "retail-transactions.json").read_text(encoding="utf-8"))
    assert csv_fit == json_fit
    assert csv_fit.delay is not None and 6 * 60 < csv_fit.delay.mean_seconds < 10 * 60
    assert csv_fit.delays < csv_fit.calls  # one call in ten has no landing time


# ------------------------------------------------------------------------------ errors

GOOD = "timestamp,pool,sessions\n2026-01-05T00:00Z,web,3\n2026-01-05T00:15Z,web,4\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + "2026-01-05T00:30Z,web,abc\n",
         "traffic.csv line 4, column sessions: 'abc' is not a number"),
        (GOOD + "2026-01-05T00:30Z,web,-2\n",
         "traffic.csv line 4, column sessions: '-2' must be >= 0"),
        (GOOD + "2026-01-05T00:30Z,,2\n", "traffic.csv line 4, column pool: can't be blank"),
        ("Date,Pool_Name,Users\n2026-01-05T00:00Z,web,3\nyesterday,web,4\n",
         "traffic.csv line 3, column Date: 'yesterday' is not an ISO 8601 timestamp"),
        (GOOD + "2026-01-05T00:35Z,web,2\n",
         "traffic.csv: line 4: pool 'web' has irregular intervals"),
        ("timestamp,pool,sessions\n2026-01-05T00:00:00Z,web,3\n2026-01-05T00:00:30Z,web,4\n",
         "traffic.csv: pool 'web': an interval of 30 seconds (line 3) is not a whole number"),
        ("timestamp,pool,sessions\n2026-01-05T00:00Z,web,3\n2026-01-05T02:00Z,web,4\n",
         "an interval of 7200 seconds"),
        (GOOD + "2026-01-05T00:15Z,web,2\n", "line 4: pool 'web' already has a row"),
        ("when,pool,sessions\n", "traffic.csv: line 1: no timestamp column"),
    ],
)
def test_bad_csv_is_refused_naming_line_and_column_when_a_row_is_wrong(
    text: str, message: str
) -> None:
    with pytest.raises(RecordInvalid) as caught:
        read_sessions(text)
    assert message in caught.value.message


def test_bad_export_row_is_refused_naming_line_and_column_when_a_duration_is_wrong() -> None:
    rows = transactions(np.random.default_rng(9), 3)
    rows[1]["duration"] = "long"
    with pytest.raises(RecordInvalid) as caught:
        fit_calls(as_csv(rows), source="calls.csv")
    assert caught.value.message == "calls.csv line 3, column duration: 'long' is not a number"
    with pytest.raises(RecordInvalid) as caught:
        fit_calls(json.dumps(rows), source="calls.json")
    assert caught.value.message == "calls.json row 2, column duration: 'long' is not a number"


def test_export_row_is_refused_when_the_call_starts_before_the_landing() -> None:
    rows = transactions(np.random.default_rng(10), 2)
    rows[0]["dynamic_number_pool_referrer_param1_value"] = "2026-03-09T00:00:00Z"
    with pytest.raises(RecordInvalid, match=r"^t.csv line 2, column start_time_utc: the call"):
        fit_calls(as_csv(rows), source="t.csv")


@pytest.mark.parametrize(
    ("traffic", "pools", "field"),
    [
        ({"csv": "t.csv", "mode": "guess"}, [{"name": "web", "max_pool_size": 5}],
         "traffic.mode"),
        ({"csv": "t.csv", "daily": [1] * 24}, [{"name": "web", "max_pool_size": 5}],
         "traffic.daily"),
        ({"csv": "t.csv"}, [{"name": "shop", "max_pool_size": 5}], "pools[0].name"),
        ({"csv": "t.csv"}, [{"name": "web", "max_pool_size": 5, "weight": 2}],
         "pools[0].weight"),
        ({"csv": "other.csv"}, [{"name": "web", "max_pool_size": 5}], "traffic.csv"),
    ],
)
def test_csv_scenario_is_refused_when_its_keys_disagree_with_the_data(
    traffic: dict[str, Any], pools: list[dict[str, Any]], field: str
) -> None:
    with pytest.raises(RecordInvalid) as caught:
        Scenario.from_dict({"traffic": traffic, "pools": pools}, files={"t.csv": GOOD})
    assert caught.value.field_errors is not None and field in caught.value.field_errors


# ------------------------------------------------------------------------------ time zones


def local_hours_of_day(day: datetime) -> list[int]:
    """The local hours the profile's segments cover on ``day`` (New York), in order."""
    start = day.replace(tzinfo=NEW_YORK)
    length = (start + timedelta(days=1)).astimezone(UTC) - start.astimezone(UTC)
    segments = rate_segments(TrafficProfile(24.0, daily=DAILY), start,
                             length.total_seconds(), NEW_YORK)
    hours = []
    for segment in segments:
        assert segment.end - segment.start == 3600.0
        hours.append((start.astimezone(UTC) + timedelta(seconds=segment.start))
                     .astimezone(NEW_YORK).hour)
    return hours


def test_spring_forward_day_has_23_local_hours_when_the_zone_keeps_daylight_saving() -> None:
    hours = local_hours_of_day(datetime(2026, 3, 8))
    assert len(hours) == 23 and 2 not in hours


def test_fall_back_day_has_25_local_hours_when_the_zone_keeps_daylight_saving() -> None:
    hours = local_hours_of_day(datetime(2026, 11, 1))
    assert len(hours) == 25 and Counter(hours)[1] == 2


def test_profile_hours_are_local_when_a_timezone_is_given() -> None:
    daily = [0.0] * 24
    daily[9] = 1.0  # only 09:00-10:00 local
    scenario = Scenario.from_dict({
        "timezone": "Asia/Kolkata",  # UTC+05:30: local hours start at :30 UTC
        "start_at": "2026-01-05T00:00:00Z",
        "traffic": {"visitors_per_day": 100, "daily": daily},
        "pools": [{"name": "web", "max_pool_size": 5}],
    })
    busy = [s for s in scenario.rate_segments() if s.rate_per_second > 0]
    assert [(s.start, s.end) for s in busy] == [(3.5 * 3600, 4.5 * 3600)]  # 03:30-04:30 UTC


# ------------------------------------------------------------------------------ resolution


def burst_scenario(resolution: int) -> Scenario:
    return Scenario(
        name="burst",
        pools=(dataclasses.replace(load_scenario("tv-spot").pools[0], max_pool_size=40),),
        traffic=TrafficProfile(
            visitors_per_day=4800.0,
            bursts=(Burst(start_offset_seconds=4 * 3600 + 1200, duration_seconds=600,
                          multiplier=20.0),),
        ),
        days=0.5,
        seed=3,
        resolution_minutes=resolution,
    )


def test_ten_minute_burst_shows_in_one_interval_when_resolution_is_ten_minutes() -> None:
    report = run_scenario(burst_scenario(10))
    assert len(report.timeline) == 72 and report.resolution_minutes == 10
    visitors = [interval.visitors for interval in report.timeline]
    busiest = max(range(len(visitors)), key=visitors.__getitem__)
    assert report.timeline[busiest].interval_at == datetime(2026, 1, 5, 4, 20, tzinfo=UTC)
    assert visitors[busiest] > 10 * np.median(visitors)  # 20x the rate, in one interval
    assert report.timeline[busiest].overflows_by_pool[0] > 0
    body = report.to_dict()
    assert body["resolution_minutes"] == 10
    assert body["timeline"][busiest]["interval_at"] == "2026-01-05T04:20:00Z"


def test_pool_totals_are_the_same_when_only_the_resolution_changes() -> None:
    scenario = dataclasses.replace(load_scenario("retail-replay"), days=2)  # 3 pools, calls
    hourly = run_scenario(dataclasses.replace(scenario, resolution_minutes=60))
    fine = run_scenario(dataclasses.replace(scenario, resolution_minutes=1))
    assert [p.to_dict() for p in hourly.pools] == [p.to_dict() for p in fine.pools]
    assert hourly.total.calls > 0 and len(fine.timeline) == 2 * 24 * 60
    assert sum(i.mean_held for i in fine.timeline) / 60 == pytest.approx(
        sum(i.mean_held for i in hourly.timeline), rel=1e-9)


def test_resolution_flag_overrides_the_scenario_when_simulate_is_run(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    assert main(["small-business", "--days", "1", "--resolution", "15", "--no-progress",
                 "--json", str(out)]) == 0
    body = json.loads(out.read_text(encoding="utf-8"))
    assert body["resolution_minutes"] == 15 and len(body["timeline"]) == 96


def test_resolution_flag_is_refused_when_it_does_not_divide_an_hour(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["small-business", "--resolution", "7", "--no-progress"]) == 2
    assert "resolution_minutes" in capsys.readouterr().err


# ------------------------------------------------------------------------------ files, plots


def test_data_files_are_read_relative_to_the_scenario_when_loaded(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "s.csv").write_text(GOOD, encoding="utf-8")
    (tmp_path / "s.toml").write_text(
        '[traffic]\ncsv = "data/s.csv"\n[[pools]]\nname = "web"\nmax_pool_size = 3\n',
        encoding="utf-8")
    scenario = load_scenario(str(tmp_path / "s.toml"))
    assert scenario.days == pytest.approx(0.5 / 24)
    assert scenario.to_dict()["traffic"]["csv"] == "data/s.csv"


def test_missing_data_file_is_refused_when_the_scenario_names_it(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(
        '[traffic]\ncsv = "nowhere.csv"\n[[pools]]\nname = "web"\nmax_pool_size = 3\n',
        encoding="utf-8")
    with pytest.raises(RecordInvalid, match=r"no file 'nowhere\.csv'"):
        load_scenario(str(tmp_path / "s.toml"))


def test_plots_are_written_when_the_report_has_ten_minute_intervals(tmp_path: Path) -> None:
    scenario = burst_scenario(10)
    report_png = plot_report(run_scenario(scenario), tmp_path / "report.png")
    result = recommend(scenario, Targets(overflow_rate=0.01), curve_points=3)
    assert result.report is not None
    curve_png = plot_recommendation(result, result.report, tmp_path / "curve.png")
    for path in (report_png, curve_png):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
