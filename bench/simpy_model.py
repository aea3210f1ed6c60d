"""The pool-exhaustion model written the way a SimPy user would write it (benchmark baseline).

Same model as :mod:`simulator.scenario` for one pool: Poisson arrivals with the same
piecewise-constant rate (one exponential gap per arrival, restarted at segment edges); each
visitor takes the number that has been free longest (a FIFO ``simpy.Store``: a released
number goes to the back) or the overflow number when none is free; a number is held for
``lifetime_seconds`` and then released; with probability ``p`` the visitor calls after a
delay and the call is attributed to the latest allocation of the dialled number at or
before the call. Idiomatic SimPy: a process per visitor, a process per hold, events for
every get/put/timeout. It measures what the sandbox runner measures: per-hour visitors,
overflows and call outcomes (by the visitor's arrival hour), per-hour peak of numbers held,
and the time-weighted number held.

Run by ``bench/scenario.py``; SimPy is a bench-only dependency (``pip install simpy``).
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import simpy

from simulator.traffic import Distribution, RateSegment

OVERFLOW = "overflow"


@dataclass
class SimpyResult:
    visitors: int = 0
    overflows: int = 0
    calls: int = 0
    attributed: int = 0
    misattributed: int = 0
    unattributed: int = 0
    peak_held: int = 0
    held_seconds: float = 0.0
    hourly: dict[str, list[int]] = field(default_factory=dict)
    history: dict[str, tuple[list[float], list[int]]] = field(default_factory=dict)


def run_simpy(
    segments: Sequence[RateSegment],
    *,
    max_pool_size: int,
    lifetime_seconds: float,
    call_probability: float,
    call_delay: Distribution,
    seed: int,
) -> SimpyResult:
    rng = random.Random(seed)
    env = simpy.Environment()
    numbers = simpy.Store(env)
    for index in range(max_pool_size):
        numbers.items.append(f"n{index:05d}")
    result = SimpyResult()
    hours = int(segments[-1].end // 3600) + 1 if segments else 1
    end = segments[-1].end if segments else 0.0
    for name in ("visitors", "overflows", "calls", "attributed", "misattributed",
                 "unattributed", "peak_held"):
        result.hourly[name] = [0] * hours
    hourly = result.hourly
    for index in range(max_pool_size):
        result.history[f"n{index:05d}"] = ([], [])

    def hold(number: str) -> Generator[Any, Any, None]:
        yield env.timeout(lifetime_seconds)
        yield numbers.put(number)

    def call(number: str, visitor_id: int, delay: float, hour: int) -> Generator[Any, Any, None]:
        yield env.timeout(delay)
        result.calls += 1
        hourly["calls"][hour] += 1
        if number == OVERFLOW:
            result.unattributed += 1
            hourly["unattributed"][hour] += 1
            return
        times, holders = result.history[number]
        holder = holders[bisect_right(times, env.now) - 1]
        if holder == visitor_id:
            result.attributed += 1
            hourly["attributed"][hour] += 1
        else:
            result.misattributed += 1
            hourly["misattributed"][hour] += 1

    def visitor(visitor_id: int) -> Generator[Any, Any, None]:
        hour = int(env.now // 3600)
        result.visitors += 1
        hourly["visitors"][hour] += 1
        if numbers.items:
            number = yield numbers.get()
            times, holders = result.history[number]
            times.append(env.now)
            holders.append(visitor_id)
            env.process(hold(number))
            held = max_pool_size - len(numbers.items)
            result.peak_held = max(result.peak_held, held)
            hourly["peak_held"][hour] = max(hourly["peak_held"][hour], held)
            result.held_seconds += min(env.now + lifetime_seconds, end) - env.now
        else:
            number = OVERFLOW
            result.overflows += 1
            hourly["overflows"][hour] += 1
        if rng.random() < call_probability:
            env.process(call(number, visitor_id, call_delay.sample(rng), hour))

    def arrivals() -> Generator[Any, Any, None]:
        visitor_id = 0
        for segment in segments:
            if segment.rate_per_second <= 0:
                continue
            if env.now < segment.start:
                yield env.timeout(segment.start - env.now)
            while True:
                gap = rng.expovariate(segment.rate_per_second)
                if env.now + gap >= segment.end:
                    yield env.timeout(segment.end - env.now)
                    break
                yield env.timeout(gap)
                visitor_id += 1
                env.process(visitor(visitor_id))

    env.process(arrivals())
    env.run()
    return result
