"""Traffic from what users have: an analytics export of visitors per pool per interval, and a
Transactions API export for the calls.

Rules:

* Sans-IO: every function takes the text of a file (the caller reads it: ``simulator/cli.py``
  resolves a scenario's paths) and a ``source`` name used in error messages.
* Analytics CSV: one row per pool and interval, columns ``timestamp``, ``pool``, ``sessions``
  (header aliases accepted, case-insensitively: :data:`COLUMN_ALIASES`). Timestamps are ISO
  8601, with an offset or naive (naive: the scenario's time zone; a repeated fall-back hour
  is read as its second pass when the pool's previous row was the first). Each pool's
  interval is the smallest gap between its consecutive timestamps, 1 minute to 1 hour in whole
  seconds; every gap must be a multiple of it (a missing row is an interval with no visitors).
* Bad rows raise :class:`RecordInvalid` naming the line and the column:
  ``traffic.csv line 7, column sessions: 'abc' is not a number``.
* :func:`fit_profile`: Poisson maximum likelihood of ``rate(weekday, hour) = d[hour] x
  w[weekday]`` (local time) over the observed intervals, by iterative proportional fitting;
  weekdays or hours never observed get the mean weight. Each interval counts in the local
  hour and weekday it starts in. Several pools are summed cell by cell (weekday x hour), each
  pool's count scaled to the cell's longest exposure among the pools.
* :func:`fit_calls`: call durations from ``duration`` (seconds, total duration); call delays
  from the call's start (``start_time_utc``, epoch milliseconds, else ``start_time_local``)
  minus the visitor's landing time, a RingPool parameter the page sets (``landingTime`` in
  Invoca's web integration example), exported as a ``dynamic_number_pool_referrer_paramN_name``
  / ``_value`` pair. Lognormal delay by maximum likelihood; the duration's family
  (exponential or lognormal) by the lower AIC. Only ``transaction_type`` ``Call`` rows count
  (all rows when the column is absent).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime
from itertools import pairwise
from typing import Any

from simulator.errors import RecordInvalid
from simulator.traffic import Distribution, SessionSeries, TrafficProfile

__all__ = [
    "COLUMN_ALIASES",
    "CallFit",
    "fit_calls",
    "fit_profile",
    "pool_shares",
    "read_sessions",
]

#: canonical column -> the header names accepted for it (compared case-insensitively)
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "date", "datetime", "time", "date_time", "interval_start",
                  "start_time", "period"),
    "pool": ("pool", "ring_pool", "ringpool", "pool_name", "ring_pool_name", "ring_pool_id"),
    "sessions": ("sessions", "visitors", "users", "visits", "pageviews", "count"),
}
MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 3600
#: the RingPool parameter holding the visitor's landing time (Invoca's poolParams example)
DEFAULT_VISIT_PARAM = "landingTime"
#: a zero delay or duration (whole seconds) is read as half a second (the lognormal needs > 0)
HALF_SECOND = 0.5
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


def _row_error(source: str, where: str, column: str, message: str) -> RecordInvalid:
    text = f"{source} {where}, column {column}: {message}"
    return RecordInvalid(text, field_errors={f"{source} {where}": [f"column {column}: {message}"]})


def _file_error(source: str, message: str) -> RecordInvalid:
    return RecordInvalid(f"{source}: {message}", field_errors={source: [message]})


def _number(text: str, source: str, where: str, column: str) -> float:
    raw = text.strip()
    if not raw:
        raise _row_error(source, where, column, "can't be blank")
    if _THOUSANDS.match(raw):
        raw = raw.replace(",", "")
    try:
        value = float(raw)
    except ValueError:
        raise _row_error(source, where, column, f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise _row_error(source, where, column, f"{text!r} is not a number")
    if value < 0:
        raise _row_error(source, where, column, f"{text!r} must be >= 0")
    return value


def _instant(text: str, source: str, where: str, column: str) -> datetime:
    raw = text.strip()
    if not raw:
        raise _row_error(source, where, column, "can't be blank")
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise _row_error(
            source, where, column, f"{text!r} is not an ISO 8601 timestamp"
        ) from None
    return value


# --------------------------------------------------------------------------- analytics CSV


@dataclass(slots=True)
class _Row:
    line: int
    at: datetime  # aware (UTC) once read


def _columns(header: Sequence[str], source: str) -> dict[str, int]:
    lowered = [name.strip().lower().lstrip("\ufeff") for name in header]
    found: dict[str, int] = {}
    for canonical, aliases in COLUMN_ALIASES.items():
        for index, name in enumerate(lowered):
            if name in aliases:
                found[canonical] = index
                break
        else:
            raise _file_error(
                source,
                f"line 1: no {canonical} column (one of: {', '.join(aliases)}); "
                f"the header is {', '.join(header)}",
            )
    return found


def read_sessions(
    text: str, *, zone: tzinfo = UTC, source: str = "traffic.csv"
) -> dict[str, SessionSeries]:
    """Each pool's visitors per interval from an analytics CSV (pools in order of first
    appearance). Errors name the line and the column."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise _file_error(source, "is empty (expected a header: timestamp,pool,sessions)")
    columns = _columns(header, source)
    width = max(columns.values()) + 1
    rows: dict[str, list[tuple[_Row, float]]] = {}
    last_naive: dict[str, datetime] = {}
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        where = f"line {line}"
        if len(record) < width:
            raise _file_error(source, f"{where}: {len(record)} columns, expected {len(header)}")
        pool = record[columns["pool"]].strip()
        if not pool:
            raise _row_error(source, where, header[columns["pool"]].strip(), "can't be blank")
        name = header[columns["timestamp"]].strip()
        at = _instant(record[columns["timestamp"]], source, where, name)
        if at.tzinfo is None or at.utcoffset() is None:
            local = at.replace(tzinfo=zone)
            previous = last_naive.get(pool)
            if previous is not None and local.astimezone(UTC) <= previous:
                local = local.replace(fold=1)  # the second pass of a fall-back hour
            at = local.astimezone(UTC)
            last_naive[pool] = at
        else:
            at = at.astimezone(UTC)
        sessions = _number(
            record[columns["sessions"]], source, where, header[columns["sessions"]].strip()
        )
        rows.setdefault(pool, []).append((_Row(line, at), sessions))
    if not rows:
        raise _file_error(source, "has no rows")
    return {pool: _series(pool, found, source) for pool, found in rows.items()}


def _series(pool: str, rows: list[tuple[_Row, float]], source: str) -> SessionSeries:
    rows = sorted(rows, key=lambda pair: (pair[0].at, pair[0].line))
    if len(rows) < 2:
        raise _file_error(
            source, f"pool {pool!r} has one row (line {rows[0][0].line}): at least two are "
            "needed to tell its interval"
        )
    gaps = []
    for (before, _), (after, _) in pairwise(rows):
        gap = (after.at - before.at).total_seconds()
        if gap == 0:
            raise _file_error(
                source, f"line {after.line}: pool {pool!r} already has a row at "
                f"{after.at:%Y-%m-%dT%H:%M:%SZ} (line {before.line})"
            )
        gaps.append((gap, after.line))
    interval = min(gap for gap, _ in gaps)
    if interval != int(interval) or not MIN_INTERVAL_SECONDS <= interval <= MAX_INTERVAL_SECONDS:
        line = next(line for gap, line in gaps if gap == interval)
        raise _file_error(
            source, f"pool {pool!r}: an interval of {interval:g} seconds (line {line}) is not "
            "a whole number of seconds from 1 minute to 1 hour"
        )
    for gap, line in gaps:
        if gap % interval:
            raise _file_error(
                source, f"line {line}: pool {pool!r} has irregular intervals: a gap of "
                f"{gap:g} seconds is not a multiple of its interval of {interval:g} seconds"
            )
    start = rows[0][0].at
    counts = [0.0] * (round((rows[-1][0].at - start).total_seconds() / interval) + 1)
    for row, sessions in rows:
        counts[round((row.at - start).total_seconds() / interval)] = sessions
    return SessionSeries(start_at=start, interval_seconds=int(interval), counts=tuple(counts))


def pool_shares(series: Mapping[str, SessionSeries]) -> dict[str, float]:
    """Each pool's share of all visitors (the pools' weights in a fitted scenario)."""
    total = math.fsum(one.total for one in series.values())
    if total <= 0:
        raise _file_error("sessions", "have no visitors")
    return {pool: one.total / total for pool, one in series.items()}


def fit_profile(
    series: Sequence[SessionSeries], *, zone: tzinfo = UTC, iterations: int = 200
) -> TrafficProfile:
    """The daily (local hours) and weekly profiles and visitors per day of the summed series,
    by Poisson maximum likelihood (see the module's rules). Weights are rounded to 6 places."""
    counts = [[0.0] * 24 for _ in range(7)]
    exposure = [[0.0] * 24 for _ in range(7)]
    cells: dict[datetime, tuple[int, int]] = {}
    others: list[tuple[list[list[float]], list[list[float]]]] = []
    for one in series:
        own_counts = [[0.0] * 24 for _ in range(7)]
        own_exposure = [[0.0] * 24 for _ in range(7)]
        hours = one.interval_seconds / 3600.0
        step = timedelta(seconds=one.interval_seconds)
        at = one.start_at
        for count in one.counts:
            cell = cells.get(at)
            if cell is None:
                local = at.astimezone(zone)
                cells[at] = cell = (local.weekday(), local.hour)
            own_counts[cell[0]][cell[1]] += count
            own_exposure[cell[0]][cell[1]] += hours
            at += step
        for d in range(7):
            for h in range(24):
                exposure[d][h] = max(exposure[d][h], own_exposure[d][h])
        others.append((own_counts, own_exposure))
    # the pools' sum: each pool's count scaled to the longest exposure of the cell (a pool
    # observed for less of it counts at its own rate there)
    for own_counts, own_exposure in others:
        for d in range(7):
            for h in range(24):
                if own_exposure[d][h]:
                    counts[d][h] += own_counts[d][h] * exposure[d][h] / own_exposure[d][h]
    if math.fsum(map(math.fsum, counts)) <= 0:
        raise _file_error("sessions", "have no visitors: no profile to fit")
    daily = [1.0] * 24
    weekly = [1.0] * 7
    hour_seen = [any(exposure[d][h] for d in range(7)) for h in range(24)]
    day_seen = [any(exposure[d]) for d in range(7)]
    for _ in range(iterations):
        before = (tuple(daily), tuple(weekly))
        for h in range(24):
            if hour_seen[h]:
                denominator = math.fsum(weekly[d] * exposure[d][h] for d in range(7))
                daily[h] = math.fsum(counts[d][h] for d in range(7)) / denominator
        for d in range(7):
            if day_seen[d]:
                denominator = math.fsum(daily[h] * exposure[d][h] for h in range(24))
                weekly[d] = math.fsum(counts[d]) / denominator if denominator else 0.0
        if (tuple(daily), tuple(weekly)) == before:
            break
    _fill_unseen(daily, hour_seen)
    _fill_unseen(weekly, day_seen)
    day_total, week_mean = math.fsum(daily), math.fsum(weekly) / 7.0
    return TrafficProfile(
        visitors_per_day=round(day_total * week_mean, 6),
        daily=tuple(round(24.0 * w / day_total, 6) for w in daily),
        weekly=tuple(round(w / week_mean, 6) for w in weekly),
    )


def _fill_unseen(weights: list[float], seen: list[bool]) -> None:
    observed = [w for w, s in zip(weights, seen, strict=True) if s]
    mean = math.fsum(observed) / len(observed)
    for index, was_seen in enumerate(seen):
        if not was_seen:
            weights[index] = mean


# --------------------------------------------------------------------- Transactions export


@dataclass(frozen=True, slots=True)
class CallFit:
    """Call delays and durations fitted from a Transactions export: ``delay`` is None when no
    row carried the visitor's landing time."""

    calls: int
    duration: Distribution
    delay: Distribution | None
    delays: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "duration": self.duration.to_dict(),
            "delay": None if self.delay is None else self.delay.to_dict(),
            "delays": self.delays,
        }


def _transaction_rows(text: str, source: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """(where, row) of a Transactions export: a JSON array of objects (``row N``) or a CSV
    with a header (``line N``); keys lower-cased."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(stripped)
        except ValueError as exc:
            raise _file_error(source, f"is not valid JSON: {exc}") from None
        if not isinstance(data, list):
            raise _file_error(source, "must be a JSON array of transactions")
        for index, row in enumerate(data, start=1):
            if not isinstance(row, Mapping):
                raise _file_error(source, f"row {index} is not an object")
            yield f"row {index}", {str(k).lower(): v for k, v in row.items()}
        return
    reader = csv.DictReader(io.StringIO(stripped))
    for row in reader:
        yield f"line {reader.line_num}", {
            str(k).lower(): v for k, v in row.items() if k is not None
        }


def _call_start(row: Mapping[str, Any], source: str, where: str) -> datetime | None:
    epoch = row.get("start_time_utc")
    if epoch not in (None, ""):
        try:
            return datetime.fromtimestamp(float(epoch) / 1000.0, UTC)
        except (TypeError, ValueError, OverflowError):
            raise _row_error(
                source, where, "start_time_utc", f"{epoch!r} is not epoch milliseconds"
            ) from None
    local = row.get("start_time_local")
    if local not in (None, ""):
        at = _instant(str(local).replace(" -", "-").replace(" +", "+"), source, where,
                      "start_time_local")
        if at.tzinfo is None:
            raise _row_error(source, where, "start_time_local", f"{local!r} has no offset")
        return at
    return None


def _landing_time(
    row: Mapping[str, Any], visit_param: str, source: str, where: str
) -> datetime | None:
    for n in range(1, 11):
        name = row.get(f"dynamic_number_pool_referrer_param{n}_name")
        if name is None or str(name).strip().lower() != visit_param.lower():
            continue
        column = f"dynamic_number_pool_referrer_param{n}_value"
        value = str(row.get(column) or "").strip()
        if not value:
            return None
        if value.isdigit():  # epoch milliseconds (Date.now())
            return datetime.fromtimestamp(int(value) / 1000.0, UTC)
        try:
            at = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                at = parsedate_to_datetime(value)  # Date.toUTCString(): RFC 1123
            except (TypeError, ValueError):
                raise _row_error(
                    source, where, column, f"{value!r} is not a timestamp"
                ) from None
        return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return None


def _lognormal(values: Sequence[float]) -> tuple[Distribution, float]:
    logs = [math.log(v) for v in values]
    n = len(logs)
    mu = math.fsum(logs) / n
    sigma = math.sqrt(math.fsum((x - mu) ** 2 for x in logs) / n)
    if sigma <= 0:
        return Distribution("fixed", values[0]), math.inf
    loglik = -math.fsum(logs) - n * math.log(sigma) - n / 2 * math.log(2 * math.pi) - n / 2
    return Distribution("lognormal", math.exp(mu + sigma * sigma / 2), sigma), loglik


def _exponential(values: Sequence[float]) -> tuple[Distribution, float]:
    mean = math.fsum(values) / len(values)
    return Distribution("exponential", mean), -len(values) * (math.log(mean) + 1.0)


def _rounded(distribution: Distribution) -> Distribution:
    return Distribution(
        distribution.kind, round(distribution.mean_seconds, 3), round(distribution.sigma, 6)
    )


def fit_calls(
    text: str, *, source: str = "transactions.csv", visit_param: str = DEFAULT_VISIT_PARAM
) -> CallFit:
    """Fit call delays and durations from a Transactions API export (CSV or JSON)."""
    durations: list[float] = []
    delays: list[float] = []
    for where, row in _transaction_rows(text, source):
        kind = row.get("transaction_type")
        if kind not in (None, "") and str(kind).strip().lower() != "call":
            continue
        if "duration" not in row:
            raise _file_error(source, f"{where}: no duration column")
        seconds = _number(str(row["duration"]), source, where, "duration")
        durations.append(max(seconds, HALF_SECOND))
        landed = _landing_time(row, visit_param, source, where)
        if landed is None:
            continue
        started = _call_start(row, source, where)
        if started is None:
            raise _row_error(source, where, "start_time_utc",
                             "can't be blank when the landing time is given")
        waited = (started - landed).total_seconds()
        if waited < 0:
            raise _row_error(
                source, where, "start_time_utc",
                f"the call starts {-waited:g} seconds before the visitor landed ({visit_param})",
            )
        delays.append(max(waited, HALF_SECOND))
    if not durations:
        raise _file_error(source, "has no calls (transaction_type Call) to fit")
    exponential, exp_loglik = _exponential(durations)
    if len(durations) > 1:
        lognormal, log_loglik = _lognormal(durations)
        # the lower AIC (2k - 2 log-likelihood): lognormal has 2 parameters, exponential 1
        duration = lognormal if 4 - 2 * log_loglik < 2 - 2 * exp_loglik else exponential
    else:
        duration = exponential
    delay: Distribution | None = None
    if len(delays) > 1:
        delay = _lognormal(delays)[0]
    elif delays:
        delay = Distribution("fixed", delays[0])
    return CallFit(
        calls=len(durations),
        duration=_rounded(duration),
        delay=None if delay is None else _rounded(delay),
        delays=len(delays),
    )
