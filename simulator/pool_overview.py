"""What each ring pool holds at an instant, for people to look at (``GET /_sandbox/pools``, the
dashboard): its numbers, who holds them and for how long yet, its overflow.

Rules (docs/fidelity.md UI3):
* A pool's figures: ``max_pool_size``, ``provisioned`` (numbers issued to it so far: pools fill
  lazily, :mod:`simulator.ringpool`), ``held`` (live holds at the instant), ``free``
  (provisioned and not held), the overflow number, and ``overflow_count``: the retained
  allocations that got the overflow number (the allocation log is bounded per pool,
  ``allocation_retention``), next to ``allocations`` (the retained allocations).
* Each hold: the number, the allocation that holds it (id, instant, visit parameters,
  affiliate), when it ends and ``seconds_left`` (whole seconds, rounded up: a hold ending in
  0.2 s still shows 1). A hold ends at ``expires_at`` (never at the instant itself).
* A pure read: nothing is recycled or filled by looking (:meth:`RingPool.holds`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from simulator.events import iso_utc
from simulator.resources.records import RingPoolPlacement
from simulator.ringpool import Allocation

__all__ = ["pool_overview", "pools_overview"]


def _hold(allocation: Allocation, now: datetime) -> dict[str, Any]:
    left = (allocation.expires_at - now).total_seconds()
    return {
        "promo_number": allocation.promo_number,
        "allocation_id": allocation.id,
        "allocated_at": iso_utc(allocation.allocated_at),
        "expires_at": iso_utc(allocation.expires_at),
        "seconds_left": math.ceil(left),
        "params": dict(allocation.params),
        "affiliate_id_from_network": allocation.affiliate_id_from_network,
    }


def pool_overview(placement: RingPoolPlacement, now: datetime) -> dict[str, Any]:
    """One pool's figures and live holds at ``now`` (the module's rules)."""
    pool = placement.pool
    values = pool.properties.get("values") or {}
    holds = pool.holds(now)
    log = pool.allocations()
    provisioned = len(pool.numbers)
    return {
        "id": pool.id,
        "id_from_network": pool.properties.get("id_from_network"),
        "name": values.get("name"),
        "network_id": placement.network.id,
        "advertiser_id_from_network": placement.advertiser.id_from_network,
        "advertiser_campaign_id_from_network": placement.campaign.id_from_network,
        "affiliate_id_from_network": (placement.affiliate_campaign.affiliate.id_from_network
                                      if placement.affiliate_campaign is not None else None),
        "pool_type": pool.pool_type,
        "lifetime_seconds": pool.lifetime_seconds,
        "max_pool_size": pool.max_pool_size,
        "provisioned": provisioned,
        "held": len(holds),
        "free": max(provisioned - len(holds), 0),
        "allow_overflow": pool.allow_overflow,
        "overflow_number": pool.overflow_number,
        "overflow_count": sum(1 for allocation in log if allocation.overflow),
        "allocations": len(log),
        "fill_at": iso_utc(pool.fill_at) if pool.fill_at is not None else None,
        "holds": [_hold(allocation, now) for allocation in holds],
    }


def pools_overview(placements: Iterable[RingPoolPlacement],
                   now: datetime) -> list[dict[str, Any]]:
    """Every pool's overview at ``now``, by pool id."""
    return [pool_overview(placement, now)
            for placement in sorted(placements, key=lambda placement: placement.pool.id)]
