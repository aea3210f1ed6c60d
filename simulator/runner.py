"""The offline scenario runner: ring pools under simulated traffic, measured interval by
interval (``resolution_minutes``, an hour by default).

Rules:

* Sans-IO: :func:`run_scenario` runs a :class:`~simulator.scenario.Scenario` with a seeded
  :class:`random.Random` and a :class:`~simulator.clock.ManualClock`, and measures it in a
  :class:`~simulator.report.Report`: same scenario, same seed -> same report JSON.
* One allocation implementation: every visitor's number comes from the one-visitor rule of
  :meth:`simulator.ringpool.RingPool.allocate` (offline through ``allocate_many``, a loop of
  it; over HTTP through the pool the caller plugs in), and every call is attributed by
  :meth:`RingPool.attribute_record`. The runner only schedules and counts.
* Segment by segment: the arrivals of one rate segment (drawn in bulk by
  :func:`simulator.traffic.arrival_micros`, in time order; cut where they cross an interval
  of the report) are allocated in one call per pool, then the calls due
  by the segment's last arrival are attributed. Attribution is by
  instant: a call sees the latest allocation of its number *before* its instant (or the
  caller's own allocation at that very instant), so the answers are those of handling every
  event in time order with a call handled before an arrival at the same instant. The
  ManualClock (the source of truth for ``now``) is set to each segment's last arrival and, at
  the end, to the last call.
* Times inside the loop are integer microseconds since the Unix epoch, the RingPool's own
  unit (exact, cheap to compare), so the runner's bookkeeping (numbers held) agrees exactly
  with the pool's. The per-interval bookkeeping (numbers held, peaks) is done per segment in
  bulk with numpy on those integers (exact): the held expiries are in order, so the holds
  live just after each allocation are a ``searchsorted`` count.
* Randomness comes in independent streams split off the given rng (traffic, calls, visit
  parameters, number inventory, Faker, then pool choice: by weight, or, when the traffic is
  per pool, by each pool's rate in the segment). Arrivals and calls are drawn in bulk by
  numpy Generators seeded from the traffic and call streams (callers: one uniform per
  visitor, compared with the call probability; delays and durations: one bulk draw each per
  chunk; per pool, a stream each for callers, delays and durations, so how the run is cut
  into the report's intervals changes no visitor and no call). Same seed, same numbers,
  same report JSON. Traffic and calls never depend on the pool's answers, so runs of the
  same seed with different pool sizes see the same visitors and the same calls (common
  random numbers: :mod:`simulator.recommend` compares sizes on identical traffic).
* Offline runs keep no event log unless the caller passes one (``events=``): without one the
  pools record no events at all (``RingPool(events=None)``).
* The runner leaves the process alone (no collector tuning, no global state).

The metrics are defined in :mod:`simulator.report`.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import accumulate, compress
from operator import attrgetter
from typing import Any, cast

import numpy as np

from simulator.clock import ManualClock
from simulator.costs import pool_costs, total_costs
from simulator.events import EventLog, to_micros
from simulator.numbers import NumberInventory
from simulator.report import IntervalMetrics, PoolMetrics, Report
from simulator.ringpool import AllocationRecord, RingPool
from simulator.scenario import PoolSpec, Scenario
from simulator.traffic import ParamSampler, arrival_micros
from simulator.visit_params import NORMALIZED_PARAMS

__all__ = ["AllocatePools", "Queries", "allocate_each", "run_scenario"]

MICROS = 1_000_000
MINUTE_US = 60 * MICROS
_MICROS_FLOAT = float(MICROS)
#: fictional toll-free numbers the inventory can issue (NXX-555-0100..0199 x 7 NPAs)
FICTIONAL_TOLL_FREE = 700


class _PoolState:
    """The runner's counters for one pool (per-interval lists indexed by interval)."""

    __slots__ = (
        "attributed",
        "call_minutes",
        "calls",
        "holds",
        "interval_held_us",
        "interval_peak",
        "lifetime_us",
        "misattributed",
        "overflow_number",
        "overflows",
        "pool",
        "spec",
        "total_held_us",
        "unattributed",
        "visitors",
    )

    def __init__(self, spec: PoolSpec, pool: RingPool, intervals: int) -> None:
        self.spec = spec
        self.pool = pool
        self.lifetime_us = spec.lifetime_seconds * MICROS
        self.overflow_number = pool.overflow_number or ""
        #: expiry instants (us since the epoch) of live holds, in expiry order (FIFO)
        self.holds: np.ndarray[Any, np.dtype[np.int64]] = np.zeros(0, np.int64)
        self.interval_peak = [0] * intervals
        self.interval_held_us = [0] * intervals
        self.total_held_us = 0
        self.call_minutes = 0.0
        self.visitors = [0] * intervals
        self.overflows = [0] * intervals
        self.calls = [0] * intervals
        self.attributed = [0] * intervals
        self.misattributed = [0] * intervals
        self.unattributed = [0] * intervals

    def outcomes(self, interval: int | None = None) -> dict[str, int]:
        """Outcome counts of one interval, or of the whole run (``interval=None``)."""
        if interval is None:
            return {name: sum(getattr(self, name)) for name in _OUTCOMES}
        return {name: getattr(self, name)[interval] for name in _OUTCOMES}


_NO_QUERY: Mapping[str, str] = {}
_allocated_at = attrgetter("allocated_at_us")
_expires_at = attrgetter("expires_at_us")
_overflow = attrgetter("overflow")
_OUTCOMES = ("visitors", "overflows", "calls", "attributed", "misattributed", "unattributed")


def _retention(scenario: Scenario, spec: PoolSpec, peak_rate: float) -> int:
    """Allocations a pool keeps for attribution: enough for calls up to a far quantile of the
    call delay (1 - 1e-6) at the peak arrival rate, with margin, and never fewer than 10,000."""
    delay = scenario.calls.delay
    if delay.kind == "fixed":
        horizon = delay.mean_seconds
    elif delay.kind == "exponential":
        horizon = delay.mean_seconds * math.log(1e6)
    else:
        mu = math.log(delay.mean_seconds) - delay.sigma**2 / 2
        horizon = math.exp(mu + 4.75 * delay.sigma)
    horizon = min(horizon, scenario.duration_seconds) + spec.lifetime_seconds
    return max(10_000, math.ceil(2.0 * peak_rate * horizon) + 1000)


@dataclass(slots=True)
class _Calls:
    """One pool's calls from the visitors of one chunk (one interval) who got a number, to
    attribute once every allocation up to their instant is done: call instants in order
    (us), the instant each caller saw (just before the call, or the call's own instant when
    the caller called at once) and each caller's allocation record; ``done`` are attributed."""

    pool_index: int
    interval: int
    at_us: np.ndarray[Any, np.dtype[np.int64]]
    seen_us: list[int]
    records: list[AllocationRecord]
    done: int = 0


#: visit parameters of one pool's visitors: one mapping for all, or one per visitor
Queries = Mapping[str, str] | Sequence[Mapping[str, str]]
#: allocates one chunk: (pools, each pool's instants in order, each pool's queries) -> each
#: pool's records (a pool with no visitors answers an empty list)
AllocatePools = Callable[
    [Sequence[RingPool], Sequence[list[int]], Sequence[Queries]],
    list[list[AllocationRecord | None]],
]


def allocate_each(
    pools: Sequence[RingPool], times: Sequence[list[int]], queries: Sequence[Queries]
) -> list[list[AllocationRecord | None]]:
    """The runner's default :data:`AllocatePools`: each pool's visitors in one
    :meth:`RingPool.allocate_many` call, pool after pool."""
    return [
        pool.allocate_many(instants, query) if instants else []
        for pool, instants, query in zip(pools, times, queries, strict=True)
    ]


def run_scenario(
    scenario: Scenario,
    *,
    rng: random.Random | None = None,
    clock: ManualClock | None = None,
    events: EventLog | None = None,
    progress: Callable[[float], None] | None = None,
    pool_factory: Callable[..., RingPool] | None = None,
    allocate_pools: AllocatePools | None = None,
) -> Report:
    """Run ``scenario`` and measure it.

    ``rng`` defaults to ``random.Random(scenario.seed)``; ``clock`` to a ManualClock at
    ``start_at`` (a given clock must not be past ``start_at``; it ends at the last event).
    ``events`` receives the pools' events (default: none are kept).
    ``progress`` is called with the fraction of simulated time done, once per simulated hour.
    ``pool_factory`` builds each pool from :class:`RingPool`'s keyword arguments (default
    :class:`RingPool`); a stand-in with the same methods can serve the pools from elsewhere
    (``client.drive`` serves them from a running sandbox over HTTP). ``allocate_pools``
    allocates one chunk's visitors of every pool (default :func:`allocate_each`: pool by pool;
    pools are independent, so any order gives the same answers; a driver with one clock for
    all pools allocates them in time order instead).

    Each pool keeps its allocation log bounded (``RingPool(retention=...)``, see
    :func:`_retention`); a call whose allocation was forgotten counts as unattributed and
    is reported in ``allocations_forgotten`` (0 unless calls come far later than planned).

    How it runs (fast, and the same answers as handling every event in time order): arrivals
    come one rate segment at a time (cut where they cross an interval of the report), each
    segment's visitors go to their pool in one :meth:`RingPool.allocate_many` call, and the
    calls due by then are attributed afterwards with :meth:`RingPool.attribute_record`.
    Attribution is by instant (the latest allocation of the number *before* the call; a
    visitor's own allocation at the call's instant counts), so attributing a call after
    later allocations changes nothing; retention gets a margin of one hour of peak traffic
    for it. The ManualClock stays the source of truth for ``now``: it is set to the last
    arrival of each segment and, at the end, to the last call.
    """
    make_pool = RingPool if pool_factory is None else pool_factory
    rng = random.Random(scenario.seed) if rng is None else rng
    clock = ManualClock(scenario.start_at) if clock is None else clock
    start_at = scenario.start_at
    clock.set(start_at)
    traffic_rng = random.Random(rng.getrandbits(64))
    call_rng = random.Random(rng.getrandbits(64))
    params_rng = random.Random(rng.getrandbits(64))
    numbers_rng = random.Random(rng.getrandbits(64))
    faker_seed = rng.getrandbits(32)
    pool_rng = random.Random(rng.getrandbits(64))

    duration_us = round(scenario.duration_seconds * MICROS)
    interval_us = scenario.resolution_minutes * MINUTE_US  # the report's interval
    intervals = max(1, -(-duration_us // interval_us))
    per_hour = 60 // scenario.resolution_minutes  # progress once per simulated hour
    segments = scenario.rate_segments()

    needed = sum(spec.max_pool_size + spec.allow_overflow for spec in scenario.pools)
    inventory = NumberInventory(numbers_rng, fictional_only=needed <= FICTIONAL_TOLL_FREE)
    custom_names = tuple(p.name for p in scenario.params if p.name not in NORMALIZED_PARAMS)
    weight_total = sum(spec.weight for spec in scenario.pools)
    states: list[_PoolState] = []
    for index, spec in enumerate(scenario.pools):
        pool_peak = max(
            (s.rate_per_second * spec.weight / weight_total if s.pool_rates is None
             else s.pool_rates[index] for s in segments),
            default=0.0,
        )
        pool = make_pool(
            id=index + 1,
            lifetime_seconds=spec.lifetime_seconds,
            max_pool_size=spec.max_pool_size,
            supply=inventory.issue_toll_free,
            events=events,
            param_names=custom_names,
            allow_overflow=spec.allow_overflow,
            retention=_retention(scenario, spec, pool_peak)
            + math.ceil(2.0 * pool_peak * 3600),
        )
        states.append(_PoolState(spec, pool, intervals))
    cumulative = list(accumulate(spec.weight for spec in scenario.pools))
    single_pool = len(states) == 1
    pools = [state.pool for state in states]
    if allocate_pools is None:
        allocate_pools = allocate_each

    sampler = ParamSampler(scenario.params, faker_seed=faker_seed) if scenario.params else None
    p_call = scenario.calls.probability
    sample_delays = scenario.calls.delay.sample_many
    sample_durations = scenario.calls.duration.sample_many
    # bulk draws (numpy), seeded from the split streams: deterministic per seed
    traffic_generator = np.random.default_rng(traffic_rng.getrandbits(64))
    # per pool, one stream each for callers, delays and durations: a pool's calls never
    # depend on how the run is cut into chunks (the report's resolution)
    call_generators = [
        tuple(np.random.default_rng(call_rng.getrandbits(64)) for _ in range(3))
        for _ in scenario.pools
    ]
    base_us = to_micros(start_at)  # instants in the loop: integer us since the epoch
    end_of_run_us = base_us + duration_us
    forgotten = 0
    pending: list[_Calls] = []  # calls still to attribute, a batch per pool and chunk
    last_call_us = 0  # the latest call instant of the run
    handled_us = 0  # calls due by then are attributed

    def handle_calls(upto_us: int) -> None:
        """Attribute every pending call due at or before ``upto_us`` (all allocations up to
        then are done). Attribution is by instant, so the order calls are handled in does not
        matter; each counts in its visitor's interval."""
        nonlocal forgotten, pending, handled_us
        handled_us = upto_us
        for batch in pending:
            due = int(np.searchsorted(batch.at_us, upto_us, "right"))
            if due <= batch.done:
                continue
            state = states[batch.pool_index]
            attribute = state.pool.attribute_record
            attributed = misattributed = lost = 0
            for seen_us, record in zip(
                batch.seen_us[batch.done:due], batch.records[batch.done:due], strict=True
            ):
                holder = attribute(record.promo_number, seen_us)
                if holder is None:
                    lost += 1
                elif holder.id == record.id:
                    attributed += 1
                else:
                    misattributed += 1
            interval = batch.interval
            state.attributed[interval] += attributed
            state.misattributed[interval] += misattributed
            state.unattributed[interval] += lost
            forgotten += lost
            batch.done = due
        if any(batch.done == len(batch.records) for batch in pending):
            pending = [batch for batch in pending if batch.done < len(batch.records)]

    def close_intervals(upto: int, current: int) -> int:
        """Record the held count at the start of each interval after ``current`` up to
        ``upto``."""
        while current < upto:
            current += 1
            if current >= intervals:
                break
            boundary = base_us + current * interval_us
            for state in states:
                holds = state.holds
                state.holds = holds = holds[int(np.searchsorted(holds, boundary, "right")):]
                state.interval_peak[current] = len(holds)
            if progress is not None and current % per_hour == 0:
                progress(current / intervals)
        return current

    def draw_queries(times: list[int]) -> Mapping[str, str] | list[Mapping[str, str]]:
        """The visit parameters of one pool's visitors of one chunk."""
        if sampler is None:
            return _NO_QUERY
        return [sampler.draw(params_rng) for _ in times]

    def allocate(
        state: _PoolState,
        pool_index: int,
        times: list[int],
        interval: int,
        records: list[AllocationRecord | None],
    ) -> None:
        """One pool's visitors of one chunk, once allocated: count, schedule their calls."""
        nonlocal last_call_us
        # the visitors who got a pool number (None: refused), counted in bulk (numpy, exact
        # integer microseconds)
        count = len(times)
        if state.spec.allow_overflow:  # (no refusals: no None)
            kept = ~np.fromiter(map(_overflow, records), bool, count)
        else:
            kept = np.fromiter((r is not None and not r.overflow for r in records), bool, count)
        held = cast(list[AllocationRecord], list(compress(records, kept)))
        at = np.fromiter(map(_allocated_at, held), np.int64, len(held))
        expiry = np.fromiter(map(_expires_at, held), np.int64, len(held))
        taken = len(at)
        state.visitors[interval] += count
        state.overflows[interval] += count - taken
        if taken:
            # live holds just after each allocation: expiries are in order (one lifetime per
            # pool, instants in order), so the holds ended by then are a searchsorted count
            live = np.concatenate((state.holds, expiry))
            ended = np.searchsorted(live, at, side="right")
            peak = int((np.arange(len(state.holds) + 1, len(live) + 1) - ended).max())
            state.interval_peak[interval] = max(state.interval_peak[interval], peak)
            state.holds = live[int(ended[-1]):]
            # time-weighted held: each hold's overlap with each interval it spans
            end_at = np.minimum(expiry, end_of_run_us)
            next_interval_us = base_us + (interval + 1) * interval_us
            in_interval = int((np.minimum(end_at, next_interval_us) - at).sum())
            held_us = state.interval_held_us
            held_us[interval] += in_interval
            spilled = 0
            bucket, left = interval + 1, next_interval_us
            last_end = int(end_at.max())
            if last_end - left > 4 * interval_us:  # many short intervals: in bulk
                spilled = _spill(held_us, bucket, end_at[end_at > left] - left, interval_us)
            else:
                while left < last_end:
                    overlap = int(np.clip(end_at - left, 0, interval_us).sum())
                    held_us[bucket] += overlap
                    spilled += overlap
                    bucket, left = bucket + 1, left + interval_us
            state.total_held_us += in_interval + spilled
        # callers: one uniform per visitor, drawn in bulk; delays and durations in bulk too.
        # Calls count in their visitor's interval; a caller who got the overflow number (or
        # was refused) is unattributed, counted now; the others wait for attribution (pending)
        if p_call <= 0.0:
            return
        if p_call >= 1.0:
            callers = np.arange(count)
        else:
            callers = np.flatnonzero(call_generators[pool_index][0].random(count) < p_call)
        calling = len(callers)
        if not calling:
            return
        delays = np.asarray(sample_delays(call_generators[pool_index][1], calling), np.float64)
        durations = sample_durations(call_generators[pool_index][2], calling)
        state.call_minutes += math.fsum(durations) / 60.0
        state.calls[interval] += calling
        visit_us = np.asarray(times, np.int64)[callers]
        call_us = visit_us + (delays * _MICROS_FLOAT).astype(np.int64)  # int(): toward zero
        last_call_us = max(last_call_us, int(call_us.max()))
        holding = kept[callers]
        state.unattributed[interval] += calling - int(np.count_nonzero(holding))
        if not holding.any():
            return
        visit_us, call_us = visit_us[holding], call_us[holding]
        order = np.argsort(call_us, kind="stable")
        visit_us, call_us = visit_us[order], call_us[order]
        # allocations at the call's own instant come after it, except the caller's own
        seen_us = np.where(call_us == visit_us, call_us, call_us - 1).tolist()
        mine = callers[holding][order].tolist()
        pending.append(_Calls(pool_index, interval, call_us, seen_us,
                              [cast(AllocationRecord, records[i]) for i in mine]))

    interval = 0
    draw_pool = pool_rng.random
    for segment in segments:
        if segment.rate_per_second <= 0.0:
            continue
        offsets = arrival_micros(segment, traffic_generator, base_us)
        while offsets:  # usually once: a segment may cross an interval's end
            chunk_interval = (offsets[0] - base_us) // interval_us
            cut = bisect_left(offsets, base_us + (chunk_interval + 1) * interval_us)
            chunk, offsets = offsets[:cut], offsets[cut:]
            handle_calls(chunk[0] - 1)
            if chunk_interval > interval:
                interval = close_intervals(chunk_interval, interval)
            if single_pool:
                by_pool = [chunk]
            else:
                by_pool = [[] for _ in states]
                if segment.pool_rates is None:
                    shares, total = cumulative, weight_total
                else:
                    shares, total = list(accumulate(segment.pool_rates)), segment.rate_per_second
                for t_us in chunk:
                    by_pool[bisect_right(shares, draw_pool() * total)].append(t_us)
            queries = [draw_queries(times) for times in by_pool]  # (an empty list: none drawn)
            answers = allocate_pools(pools, by_pool, queries)
            for pool_index, times in enumerate(by_pool):
                if times:
                    allocate(states[pool_index], pool_index, times, interval, answers[pool_index])
            handle_calls(chunk[-1])
            clock.set(start_at + timedelta(0, 0, chunk[-1] - base_us))
    close_intervals(intervals, interval)
    if last_call_us > handled_us:  # calls after the last visitor
        handle_calls(last_call_us)
        clock.set(max(clock.now(), start_at + timedelta(0, 0, last_call_us - base_us)))
    if progress is not None:
        progress(1.0)
    return _report(scenario, states=states, intervals=intervals, duration_us=duration_us,
                   forgotten=forgotten, interval_us=interval_us)


def _spill(
    held_us: list[int],
    first: int,
    spans: np.ndarray[Any, np.dtype[np.int64]],
    interval_us: int,
) -> int:
    """Add holds' time past an interval's end to ``held_us[first:]`` in bulk (exact integer
    microseconds): a hold lasting ``span`` past it fills ``span // interval_us`` intervals and
    the remainder of the next; returns the total added."""
    full = spans // interval_us
    top = int(full.max())
    extra = np.zeros(top + 1, np.int64)
    np.add.at(extra, full, spans - full * interval_us)
    covering = np.cumsum(np.bincount(full, minlength=top + 1)[::-1])[::-1]  # full >= k
    extra[:top] += interval_us * covering[1:]
    for offset, value in enumerate(extra.tolist()):
        if value:
            held_us[first + offset] += value
    return int(extra.sum())


def _report(
    scenario: Scenario,
    *,
    states: Sequence[_PoolState],
    intervals: int,
    duration_us: int,
    forgotten: int,
    interval_us: int,
) -> Report:
    pools = []
    for state in states:
        pools.append(
            PoolMetrics(
                name=state.spec.name,
                max_pool_size=state.spec.max_pool_size,
                lifetime_seconds=state.spec.lifetime_seconds,
                peak_held=max(state.interval_peak, default=0),
                mean_held=state.total_held_us / duration_us,
                call_minutes=state.call_minutes,
                **state.outcomes(),
            )
        )
    timeline = []
    for interval in range(intervals):
        span_us = min(interval_us, duration_us - interval * interval_us)
        peaks = tuple(state.interval_peak[interval] for state in states)
        means = tuple(state.interval_held_us[interval] / span_us for state in states)
        per_pool = [state.outcomes(interval) for state in states]
        timeline.append(
            IntervalMetrics(
                interval_at=scenario.start_at + timedelta(microseconds=interval * interval_us),
                peak_held=sum(peaks),
                mean_held=math.fsum(means),
                held_peak_by_pool=peaks,
                held_mean_by_pool=means,
                visitors_by_pool=tuple(row["visitors"] for row in per_pool),
                overflows_by_pool=tuple(row["overflows"] for row in per_pool),
                **{name: sum(row[name] for row in per_pool) for name in _OUTCOMES},
            )
        )
    total = PoolMetrics(
        name="all",
        max_pool_size=sum(state.spec.max_pool_size for state in states),
        lifetime_seconds=max(state.spec.lifetime_seconds for state in states),
        peak_held=max((interval.peak_held for interval in timeline), default=0),
        mean_held=math.fsum(pool.mean_held for pool in pools),
        call_minutes=math.fsum(pool.call_minutes for pool in pools),
        **{name: sum(getattr(pool, name) for pool in pools) for name in _OUTCOMES},
    )
    costs = tuple(
        pool_costs(metrics, state.spec.costs(scenario.costs), scenario.days)
        for metrics, state in zip(pools, states, strict=True)
    )
    return Report(
        scenario=scenario.name,
        seed=scenario.seed,
        start_at=scenario.start_at,
        days=scenario.days,
        total=total,
        pools=tuple(pools),
        timeline=tuple(timeline),
        resolution_minutes=scenario.resolution_minutes,
        allocations_forgotten=forgotten,
        scenario_spec=scenario.to_dict(),
        costs=costs,
        total_costs=total_costs(costs),
    )
