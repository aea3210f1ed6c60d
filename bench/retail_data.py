"""Writes the bundled retail data (deterministic: same bytes on every run).

Run from the project root::

    .venv/bin/python bench/retail_data.py

``simulator/scenarios/data/retail-sessions.csv``: an analytics-style export, visitors per
pool per 15 minutes over two weeks from Monday 2026-03-02 in America/New_York (the spring
daylight-saving change of 2026-03-08 included), columns ``date,ring_pool,sessions`` (aliases
the loader accepts), timestamps ISO 8601 with their offset. Three pools: ``search`` (1,200
visitors a day), ``social`` (500, evenings and weekends), ``tv`` (250, plus a 10-minute wave
after a TV spot at 20:15 on Tuesday 2026-03-10). Counts are Poisson draws of the profile's
rate (numpy, seed 20).

``retail-transactions.csv`` and ``retail-transactions.json``: the same 200 calls as a
Transactions API export (network role, a subset of its columns): lognormal delays from the
visit (mean 8 minutes, sigma 0.9) and lognormal durations (mean 4 minutes, sigma 0.8); the
landing time is the ``landingTime`` RingPool parameter (``Date.toUTCString()``, as in
Invoca's web integration example), missing on one call in ten.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

FOLDER = Path(__file__).resolve().parents[1] / "simulator" / "scenarios" / "data"
ZONE = ZoneInfo("America/New_York")
START = datetime(2026, 3, 2, tzinfo=ZONE)
DAYS = 14
INTERVAL = timedelta(minutes=15)
#: visitors per day and the daily (local hours) and weekly shapes of each pool
POOLS = {
    "search": (1200, [1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 11, 10, 9, 9, 9, 8, 8, 8, 7, 5, 3, 2],
               [1.1, 1.1, 1.1, 1.0, 1.0, 0.9, 0.8]),
    "social": (500, [2, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 5, 6, 5, 5, 5, 6, 7, 9, 11, 12, 11, 8, 4],
               [0.8, 0.8, 0.9, 0.9, 1.1, 1.3, 1.2]),
    "tv": (250, [1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 5, 6, 7, 8, 9, 8, 5, 2],
           [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]),
}
#: the TV spot: 10 minutes at 30 times the tv pool's rate
SPOT_AT, SPOT_MINUTES, SPOT_MULTIPLIER = datetime(2026, 3, 10, 20, 15, tzinfo=ZONE), 10, 30.0
CALLS = 200


def _rate(pool: str, at: datetime) -> float:
    """Visitors per second of ``pool`` at ``at`` (local hour and weekday)."""
    per_day, daily, weekly = POOLS[pool]
    local = at.astimezone(ZONE)
    return (per_day * daily[local.hour] / sum(daily) * weekly[local.weekday()] * 7
            / sum(weekly) / 3600.0)


def _local(at: datetime) -> str:
    """The export's ``start_time_local``: ``2019-01-24 06:43:15 -07:00``."""
    local = at.astimezone(ZONE)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}"


def sessions(generator: np.random.Generator) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["date", "ring_pool", "sessions"])
    at = START.astimezone(UTC)
    end = (START + timedelta(days=DAYS)).astimezone(UTC)
    spot_start = SPOT_AT.astimezone(UTC)
    spot_end = spot_start + timedelta(minutes=SPOT_MINUTES)
    while at < end:
        stamp = at.astimezone(ZONE).isoformat(timespec="minutes")
        for pool in POOLS:
            mean = _rate(pool, at) * INTERVAL.total_seconds()
            if pool == "tv":
                overlap = (min(at + INTERVAL, spot_end) - max(at, spot_start)).total_seconds()
                if overlap > 0:
                    mean += _rate(pool, at) * overlap * (SPOT_MULTIPLIER - 1)
            writer.writerow([stamp, pool, int(generator.poisson(mean))])
        at += INTERVAL
    return out.getvalue()


def transactions(generator: np.random.Generator) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    span = DAYS * 86_400.0
    delay_sigma, duration_sigma = 0.9, 0.8
    delay_mu = math.log(8 * 60.0) - delay_sigma**2 / 2
    duration_mu = math.log(4 * 60.0) - duration_sigma**2 / 2
    landings = sorted(generator.uniform(0.0, span - 3600.0, CALLS).tolist())
    for index, offset in enumerate(landings):
        landed = START.astimezone(UTC) + timedelta(seconds=round(offset))
        delay = float(generator.lognormal(delay_mu, delay_sigma))
        started = landed + timedelta(seconds=round(delay))
        duration = max(1, round(float(generator.lognormal(duration_mu, duration_sigma))))
        pool = ("search", "social", "tv")[index % 3]
        keep_landing = index % 10 != 9
        rows.append({
            "transaction_id": f"{0xC624DA2C + index:08X}-{0xCF3367C3 - index:08X}",
            "transaction_type": "Call",
            "start_time_local": _local(started),
            "start_time_utc": int(started.timestamp()) * 1000,
            "duration": duration,
            "connect_duration": max(0, duration - 15),
            "dynamic_number_pool_id": {"search": 101, "social": 102, "tv": 103}[pool],
            "dynamic_number_pool_pool_type": "Custom",
            "dynamic_number_pool_referrer_param1_name": "landingTime" if keep_landing else "",
            "dynamic_number_pool_referrer_param1_value": (
                format_datetime(landed, usegmt=True) if keep_landing else ""
            ),
        })
    return rows


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    generator = np.random.default_rng(20)
    (FOLDER / "retail-sessions.csv").write_text(sessions(generator), encoding="utf-8")
    rows = transactions(generator)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (FOLDER / "retail-transactions.csv").write_text(out.getvalue(), encoding="utf-8")
    (FOLDER / "retail-transactions.json").write_text(
        "[\n" + ",\n".join(json.dumps(row) for row in rows) + "\n]\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
