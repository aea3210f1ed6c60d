"""Visitor arrivals, visit parameters and durations (simulator.traffic)."""

from __future__ import annotations

import math
import random
from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pytest

from simulator.errors import RecordInvalid
from simulator.traffic import (
    Burst,
    Distribution,
    ParamSampler,
    ParamSpec,
    RateSegment,
    TrafficProfile,
    arrival_micros,
    arrival_offsets,
    expected_visitors,
    rate_segments,
)

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)
DAY = 86_400.0
Z999 = 3.29  # two-sided 99.9 % normal quantile


def within_poisson_interval(observed: int, expected: float) -> bool:
    return abs(observed - expected) <= Z999 * math.sqrt(expected)


def test_arrival_count_matches_visitors_per_day_when_profile_is_flat() -> None:
    segments = rate_segments(TrafficProfile(visitors_per_day=20_000), MONDAY, 3 * DAY)
    arrivals = list(arrival_offsets(segments, random.Random(1)))
    assert expected_visitors(segments) == pytest.approx(60_000)
    assert within_poisson_interval(len(arrivals), 60_000)
    assert arrivals == sorted(arrivals)
    assert arrivals[0] >= 0.0 and arrivals[-1] < 3 * DAY


def test_arrivals_are_identical_when_seed_is_the_same() -> None:
    segments = rate_segments(TrafficProfile(visitors_per_day=5_000), MONDAY, DAY)
    first = list(arrival_offsets(segments, random.Random(7)))
    second = list(arrival_offsets(segments, random.Random(7)))
    other = list(arrival_offsets(segments, random.Random(8)))
    assert first == second
    assert first != other


def test_hourly_counts_follow_daily_profile_when_profile_has_a_peak() -> None:
    daily = tuple(3.0 if 9 <= hour < 17 else 1.0 for hour in range(24))
    profile = TrafficProfile(visitors_per_day=48_000, daily=daily)
    segments = rate_segments(profile, MONDAY, 7 * DAY)
    counts = Counter(int(t // 3600) % 24 for t in arrival_offsets(segments, random.Random(3)))
    total_weight = sum(daily)
    for hour in range(24):
        expected = 7 * 48_000 * daily[hour] / total_weight
        assert within_poisson_interval(counts[hour], expected), hour


def test_weekly_profile_keeps_the_weekly_mean_when_weekend_is_quieter() -> None:
    weekly = (1.0, 1.0, 1.0, 1.0, 1.0, 0.25, 0.25)
    profile = TrafficProfile(visitors_per_day=10_000, weekly=weekly)
    segments = rate_segments(profile, MONDAY, 7 * DAY)
    assert expected_visitors(segments) == pytest.approx(70_000)
    saturday = [s for s in segments if 5 * DAY <= s.start < 6 * DAY]
    monday = [s for s in segments if s.start < DAY]
    assert expected_visitors(saturday) * 4 == pytest.approx(expected_visitors(monday))


def test_burst_multiplies_the_rate_when_arrival_falls_in_its_window() -> None:
    burst = Burst(start_offset_seconds=20 * 3600 + 600, duration_seconds=300, multiplier=40.0)
    profile = TrafficProfile(visitors_per_day=86_400, bursts=(burst,))
    segments = rate_segments(profile, MONDAY, DAY)
    edges = {s.start for s in segments}
    assert {burst.start_offset_seconds, burst.end_offset_seconds} <= edges
    start, end = burst.start_offset_seconds, burst.end_offset_seconds
    inside = [s for s in segments if start <= s.start < end]
    assert [s.rate_per_second for s in inside] == [pytest.approx(40.0)]
    arrivals = list(arrival_offsets(segments, random.Random(5)))
    in_window = sum(
        1 for t in arrivals if burst.start_offset_seconds <= t < burst.end_offset_seconds
    )
    assert within_poisson_interval(in_window, 40.0 * 300)
    assert expected_visitors(segments) == pytest.approx(86_400 + 39 * 300)


def test_segments_cut_at_clock_hours_when_start_is_mid_hour() -> None:
    start_at = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
    daily = tuple(float(hour + 1) for hour in range(24))
    segments = rate_segments(TrafficProfile(visitors_per_day=2_400, daily=daily), start_at, 7200)
    assert [(s.start, s.end) for s in segments] == [(0, 1800), (1800, 5400), (5400, 7200)]
    per_hour = [s.rate_per_second * 3600 for s in segments]
    assert per_hour == pytest.approx([2_400 * d / 300 for d in (11, 12, 13)])


def test_profile_is_refused_when_daily_profile_has_wrong_length() -> None:
    with pytest.raises(RecordInvalid) as caught:
        TrafficProfile(visitors_per_day=10, daily=(1.0,) * 23)
    assert caught.value.to_dict() == {"errors": {"daily": ["must have 24 weights, got 23"]}}


def test_profile_is_refused_when_visitors_per_day_is_negative() -> None:
    with pytest.raises(RecordInvalid) as caught:
        TrafficProfile(visitors_per_day=-1)
    assert caught.value.field_errors == {"visitors_per_day": ["must be a finite number >= 0"]}


@pytest.mark.parametrize(
    ("kind", "sigma"), [("exponential", 1.0), ("lognormal", 0.8), ("lognormal", 1.5)]
)
def test_sample_mean_matches_mean_seconds_when_distribution_is_random(
    kind: str, sigma: float
) -> None:
    distribution = Distribution.from_dict({"kind": kind, "mean_minutes": 10, "sigma": sigma})
    rng = random.Random(11)
    draws = [distribution.sample(rng) for _ in range(100_000)]
    mean = sum(draws) / len(draws)
    sd = math.sqrt(sum((d - mean) ** 2 for d in draws) / (len(draws) - 1))
    assert min(draws) >= 0
    assert abs(mean - 600.0) <= Z999 * sd / math.sqrt(len(draws))


def test_fixed_distribution_returns_its_mean_when_sampled() -> None:
    distribution = Distribution("fixed", 90.0)
    assert {distribution.sample(random.Random(seed)) for seed in range(5)} == {90.0}


def test_distribution_is_refused_when_kind_is_unknown() -> None:
    with pytest.raises(RecordInvalid) as caught:
        Distribution.from_dict({"kind": "pareto", "mean_seconds": 3}, name="calls.delay")
    assert caught.value.field_errors == {
        "calls.delay.kind": ["must be one of exponential, lognormal, fixed"]
    }


def test_distribution_is_refused_when_mean_is_missing() -> None:
    with pytest.raises(RecordInvalid) as caught:
        Distribution.from_dict({"kind": "fixed"}, name="calls.duration")
    assert caught.value.field_errors == {"calls.duration.mean_seconds": ["can't be blank"]}


def test_param_frequencies_follow_weights_when_values_are_weighted() -> None:
    spec = ParamSpec("search_engine", values=("google", "bing", "yahoo"), weights=(7, 2, 1))
    sampler = ParamSampler([spec], faker_seed=1)
    rng = random.Random(2)
    counts = Counter(sampler.draw(rng)["search_engine"] for _ in range(50_000))
    for value, weight in zip(spec.values, spec.weights, strict=True):
        p = weight / 10
        expected = 50_000 * p
        assert abs(counts[value] - expected) <= Z999 * math.sqrt(50_000 * p * (1 - p))


def test_faker_vocabulary_is_identical_when_seed_is_the_same() -> None:
    spec = ParamSpec("search_keywords", faker="keywords", count=30)
    first = ParamSampler([spec], faker_seed=42).vocabularies["search_keywords"]
    second = ParamSampler([spec], faker_seed=42).vocabularies["search_keywords"]
    other = ParamSampler([spec], faker_seed=43).vocabularies["search_keywords"]
    assert first == second
    assert first != other
    assert len({value for value, _ in first}) == 30
    shares = [share for _, share in first]
    assert shares == sorted(shares, reverse=True)  # Zipf: the first value is the most popular
    assert math.fsum(shares) == pytest.approx(1.0)


def test_draw_returns_every_param_when_several_are_declared() -> None:
    sampler = ParamSampler(
        [
            ParamSpec("search_engine", values=("google",)),
            ParamSpec("landing_page", faker="landing_page", count=5),
        ],
        faker_seed=3,
    )
    visit = sampler.draw(random.Random(0))
    assert set(visit) == {"search_engine", "landing_page"}
    assert visit["search_engine"] == "google"
    assert visit["landing_page"].startswith("http")


def test_param_spec_is_refused_when_faker_kind_is_unknown() -> None:
    with pytest.raises(RecordInvalid) as caught:
        ParamSpec("x", faker="emoji")
    assert caught.value.field_errors is not None
    assert list(caught.value.field_errors) == ["params.x.faker"]


def test_sampler_is_refused_when_param_names_repeat() -> None:
    spec = ParamSpec("a", values=("1",))
    with pytest.raises(RecordInvalid):
        ParamSampler([spec, spec], faker_seed=0)


# ---- bulk draws (numpy) -----------------------------------------------------------------------


def test_arrival_count_matches_rate_when_arrivals_are_drawn_in_bulk() -> None:
    segment = RateSegment(100.0, 100.0 + 10 * 3600.0, 2.0)
    base_us = 1_700_000_000_000_000
    instants = arrival_micros(segment, np.random.default_rng(5), base_us)
    assert within_poisson_interval(len(instants), 72_000.0)
    assert instants == sorted(instants)
    assert base_us + 100_000_000 <= instants[0]
    assert instants[-1] < base_us + round(segment.end * 1_000_000)
    assert all(type(instant) is int for instant in instants[:10])
    # uniform inside the segment: each half hour gets its Poisson share
    halves = Counter((instant - base_us - 100_000_000) // 1_800_000_000 for instant in instants)
    assert all(within_poisson_interval(count, 3600.0) for count in halves.values())


def test_same_instants_when_bulk_arrivals_have_the_same_seed() -> None:
    segment = RateSegment(0.0, 3600.0, 0.5)
    first = arrival_micros(segment, np.random.default_rng(11), 0)
    assert first == arrival_micros(segment, np.random.default_rng(11), 0)
    assert first != arrival_micros(segment, np.random.default_rng(12), 0)


def test_no_arrivals_when_bulk_segment_rate_is_zero() -> None:
    assert arrival_micros(RateSegment(0.0, 3600.0, 0.0), np.random.default_rng(1), 0) == []


@pytest.mark.parametrize(("kind", "sigma"), [("exponential", 1.0), ("lognormal", 0.8)])
def test_bulk_sample_mean_matches_mean_seconds_when_distribution_is_random(
    kind: str, sigma: float
) -> None:
    distribution = Distribution.from_dict({"kind": kind, "mean_minutes": 10, "sigma": sigma})
    draws = distribution.sample_many(np.random.default_rng(3), 100_000)
    assert len(draws) == 100_000
    assert min(draws) >= 0.0
    # exponential: sd = mean; lognormal: sd = mean * sqrt(exp(sigma^2) - 1)
    sd = 600.0 if kind == "exponential" else 600.0 * math.sqrt(math.exp(sigma**2) - 1)
    assert abs(math.fsum(draws) / len(draws) - 600.0) <= Z999 * sd / math.sqrt(len(draws))


def test_fixed_distribution_returns_its_mean_when_sampled_in_bulk() -> None:
    draws = Distribution("fixed", 90.0).sample_many(np.random.default_rng(0), 3)
    assert draws == [90.0, 90.0, 90.0]
