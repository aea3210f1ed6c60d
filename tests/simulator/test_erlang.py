"""Erlang B checked against exact fractions, known asymptotics, monotonicity, its inverse."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.erlang import erlang_b, offered_load, servers_for


def exact_erlang_b(servers: int, load: Fraction) -> Fraction:
    """The closed form (A^c / c!) / sum_k A^k / k!, in exact arithmetic."""
    terms = [load**k / math.factorial(k) for k in range(servers + 1)]
    return terms[-1] / sum(terms)


loads = st.fractions(min_value=0, max_value=80, max_denominator=16)


@given(servers=st.integers(0, 60), load=loads)
def test_matches_exact_closed_form_when_pool_is_small(servers: int, load: Fraction) -> None:
    expected = float(exact_erlang_b(servers, load))
    assert erlang_b(servers, float(load)) == pytest.approx(expected, rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(
    ("servers", "load", "expected"),
    [(1, 1.0, 0.5), (2, 1.0, 0.2), (10, 5.0, 0.018384570336648), (0, 3.0, 1.0), (5, 0.0, 0.0)],
)
def test_textbook_value_when_computed(servers: int, load: float, expected: float) -> None:
    assert erlang_b(servers, load) == pytest.approx(expected, rel=1e-12)


def test_matches_exact_value_when_pool_has_a_few_hundred_numbers() -> None:
    expected = float(exact_erlang_b(300, Fraction(280)))
    assert erlang_b(300, 280) == pytest.approx(expected, rel=1e-11)


@pytest.mark.parametrize("servers", [1_000, 30_000, 100_000])
def test_ramanujan_asymptotic_when_load_equals_pool_size(servers: int) -> None:
    # 1 / B(n, n) = 1 + Q(n), with Ramanujan's expansion of Q(n) (four terms after the first)
    n = servers
    inverse = (
        math.sqrt(math.pi * n / 2) + 2 / 3 + math.sqrt(math.pi / (2 * n)) / 12
        - 4 / (135 * n) + math.sqrt(math.pi / (2 * n**3)) / 288
    )
    assert 1 / erlang_b(n, n) == pytest.approx(inverse, rel=1e-9)


def test_blocking_near_fluid_limit_when_load_is_twice_a_large_pool() -> None:
    # heavy traffic: B(c, A) -> 1 - c/A as c grows with A/c fixed above 1
    assert erlang_b(100_000, 200_000) == pytest.approx(0.5, abs=1e-4)


def test_blocking_negligible_when_load_far_below_a_large_pool() -> None:
    assert erlang_b(100_000, 50_000) < 1e-300


@given(servers=st.integers(0, 400), load=st.floats(0, 500))
def test_blocking_falls_with_pool_size_and_rises_with_load_when_varied(
    servers: int, load: float
) -> None:
    blocking = erlang_b(servers, load)
    assert 0.0 <= blocking <= 1.0
    assert erlang_b(servers + 1, load) <= blocking
    assert erlang_b(servers, load * 1.1 + 0.01) >= blocking


@given(target=st.floats(1e-6, 1.0), load=st.floats(0, 2_000))
def test_smallest_pool_meeting_target_when_inverted(target: float, load: float) -> None:
    servers = servers_for(target, load)
    assert erlang_b(servers, load) <= target
    if servers > 0:
        assert erlang_b(servers - 1, load) > target


def test_pool_size_for_one_percent_overflow_when_load_is_a_thousand_erlangs() -> None:
    assert servers_for(0.01, 1000) == 1029


def test_no_pool_needed_when_any_blocking_is_acceptable() -> None:
    assert servers_for(1.0, 50) == 0


@pytest.mark.parametrize(
    ("servers", "load"), [(-1, 1.0), (1.5, 1.0), (True, 1.0), (3, -0.1), (3, math.nan), (3, "1")]
)
def test_value_error_when_erlang_b_inputs_are_invalid(servers: object, load: object) -> None:
    with pytest.raises(ValueError, match=r"servers|offered_load"):
        erlang_b(servers, load)  # type: ignore[arg-type]


@pytest.mark.parametrize("target", [0.0, -0.5, 1.5, math.inf, math.nan])
def test_value_error_when_target_blocking_is_not_a_probability(target: float) -> None:
    with pytest.raises(ValueError, match="target_blocking"):
        servers_for(target, 10)


def test_load_is_rate_times_hold_when_computed() -> None:
    # 2 new visitors per minute, 30-minute lifetime -> 60 erlangs
    assert offered_load(2 / 60, 1800) == pytest.approx(60.0)
    with pytest.raises(ValueError):
        offered_load(-1, 10)
