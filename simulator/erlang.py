"""Erlang B: how often a ring pool of c numbers overflows under an offered load.

Rules:

* A ring pool is a loss system: a visitor arriving when all ``c`` numbers are held gets the
  overflow number (is "blocked"). With Poisson arrivals at rate ``lambda`` and holds of mean
  ``h`` (for a ring pool, exactly ``lifetime_seconds``: Erlang B is insensitive to the hold
  distribution), the offered load is ``A = lambda * h`` erlangs and the share of visitors
  who get the overflow number is the Erlang B formula ``B(c, A)``.
* :func:`erlang_b` uses the recursion ``B(0) = 1``, ``B(k) = A B(k-1) / (k + A B(k-1))``:
  O(c), every step a convex combination, numerically stable for c up to millions (no
  factorials, no overflow; very small results underflow gracefully to 0.0).
* :func:`servers_for` walks the same recursion once, stopping at the first ``k`` with
  ``B(k) <= target`` (B decreases in k), so the inverse costs one pass, not one per candidate.
"""

from __future__ import annotations

import math

__all__ = ["erlang_b", "offered_load", "servers_for"]

#: the largest pool servers_for will search before giving up
MAX_SERVERS = 100_000_000


def _check_load(offered_load: float) -> float:
    if isinstance(offered_load, bool) or not isinstance(offered_load, int | float):
        raise ValueError(f"offered_load must be a number of erlangs, got {offered_load!r}")
    load = float(offered_load)
    if not math.isfinite(load) or load < 0:
        raise ValueError(f"offered_load must be finite and >= 0, got {offered_load!r}")
    return load


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of ``servers`` numbers under ``offered_load`` erlangs."""
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 0:
        raise ValueError(f"servers must be an integer >= 0, got {servers!r}")
    load = _check_load(offered_load)
    blocking = 1.0
    for k in range(1, servers + 1):
        carried = load * blocking
        blocking = carried / (k + carried)
    return blocking


def servers_for(target_blocking: float, offered_load: float) -> int:
    """The smallest pool size whose blocking probability is at most ``target_blocking``."""
    if isinstance(target_blocking, bool) or not isinstance(target_blocking, int | float):
        raise ValueError(f"target_blocking must be a probability, got {target_blocking!r}")
    target = float(target_blocking)
    if not math.isfinite(target) or not 0 < target <= 1:
        raise ValueError(f"target_blocking must be in (0, 1], got {target_blocking!r}")
    load = _check_load(offered_load)
    blocking = 1.0
    k = 0
    while blocking > target:
        k += 1
        if k > MAX_SERVERS:
            raise ValueError(
                f"no pool of up to {MAX_SERVERS} numbers reaches blocking {target} "
                f"at {load} erlangs"
            )
        carried = load * blocking
        blocking = carried / (k + carried)
    return k


def offered_load(arrivals_per_second: float, hold_seconds: float) -> float:
    """Offered load in erlangs: arrival rate times mean hold (``lifetime_seconds``)."""
    rate, hold = float(arrivals_per_second), float(hold_seconds)
    if not (math.isfinite(rate) and math.isfinite(hold)) or rate < 0 or hold < 0:
        raise ValueError("arrival rate and hold must be finite and >= 0")
    return rate * hold
