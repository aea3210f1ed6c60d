"""Plots of scenario reports and pool-size recommendations, as PNG files (matplotlib, Agg).

Rules:

* One of the two simulator modules allowed to touch files (with :mod:`simulator.cli`): it
  writes the PNG it is asked for and nothing else. The platform model never imports it.
* No pyplot and no global state: figures are :class:`matplotlib.figure.Figure` objects drawn
  on an Agg canvas, so plotting works headless and in threads, and two plots never share a
  figure. PNG metadata carries no software version, so the same report gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simulator.erlang import erlang_b
from simulator.recommend import Recommendation
from simulator.report import IntervalMetrics, Report

__all__ = ["plot_recommendation", "plot_report"]

#: beyond this many hours, attribution outcomes are drawn per day
HOURLY_BARS_UP_TO = 72
COLOURS = {"attributed": "#2e7d32", "misattributed": "#c62828", "unattributed": "#9e9e9e"}


def plot_report(report: Report, path: Path | str, zone: tzinfo = UTC) -> Path:
    """Write a PNG with numbers held and overflowed visitors per pool per interval (the
    report's resolution) and attribution outcomes; the start named in ``zone``."""
    figure = Figure(figsize=(11, 10), layout="constrained")
    axes = figure.subplots(3, 1)
    _draw_report(report, axes, zone)
    figure.suptitle(f"Scenario {report.scenario} (seed {report.seed})")
    return _save(figure, path)


def plot_recommendation(
    recommendation: Recommendation, report: Report, path: Path | str, zone: tzinfo = UTC
) -> Path:
    """Write a PNG: the report panels at the recommended size, plus overflow vs pool size
    (simulated) beside Erlang B at the peak-hour offered load."""
    figure = Figure(figsize=(11, 13), layout="constrained")
    axes = figure.subplots(4, 1)
    _draw_report(report, axes[:3], zone)
    _draw_curve(recommendation, axes[3])
    size = recommendation.max_pool_size
    figure.suptitle(
        f"Scenario {report.scenario}: pool {recommendation.pool} needs "
        + (f"{size} numbers" if size is not None else "more numbers than the search cap")
        + f" at lifetime {recommendation.lifetime_seconds} s (seed {recommendation.seed})"
    )
    return _save(figure, path)


def _save(figure: Figure, path: Path | str) -> Path:
    target = Path(path)
    FigureCanvasAgg(figure)
    figure.savefig(target, format="png", dpi=100, metadata={"Software": None})
    return target


def _draw_report(report: Report, axes: Sequence[Axes], zone: tzinfo) -> None:
    held_axes, overflow_axes, calls_axes = axes[0], axes[1], axes[2]
    timeline = report.timeline
    step = report.resolution_minutes / 60.0
    # x in hours since the start, one point per interval of the report's resolution
    edges = [index * step for index in range(len(timeline) + 1)]
    interval = f"{report.resolution_minutes}-minute intervals"
    for index, pool in enumerate(report.pools):
        peaks = [hour.held_peak_by_pool[index] for hour in timeline]
        means = [hour.held_mean_by_pool[index] for hour in timeline]
        line = held_axes.stairs(peaks, edges, label=f"{pool.name}: peak held")
        colour = line.get_edgecolor()
        held_axes.stairs(means, edges, color=colour, alpha=0.5, linestyle=":",
                         label=f"{pool.name}: mean held")
        held_axes.axhline(pool.max_pool_size, color=colour, linestyle="--",
                          linewidth=1, label=f"{pool.name}: max_pool_size {pool.max_pool_size}")
    held_axes.set_ylabel("numbers held")
    held_axes.set_xlabel(f"hours since {report.start_at.astimezone(zone):%Y-%m-%d %H:%M %Z}")
    held_axes.set_title(f"Numbers held per interval ({interval}) against max_pool_size")
    held_axes.legend(loc="upper right", fontsize="small")

    for index, pool in enumerate(report.pools):
        overflowed = [hour.overflows_by_pool[index] for hour in timeline]
        overflow_axes.stairs(overflowed, edges, fill=len(report.pools) == 1, alpha=0.8,
                             label=f"{pool.name}: {100 * pool.overflow_rate:.2f} % overflowed")
    overflow_axes.set_ylabel(f"visitors overflowed\nper {report.resolution_minutes} minutes")
    overflow_axes.set_xlabel(f"hours since {report.start_at.astimezone(zone):%Y-%m-%d %H:%M %Z}")
    overflow_axes.set_title(
        f"Visitors served the overflow number, per pool ({interval}): "
        f"{100 * report.total.overflow_rate:.2f} % overall"
    )
    overflow_axes.legend(loc="upper right", fontsize="small")

    labels, rows, bucket = _call_buckets(report)
    bottom = [0] * len(rows)
    for outcome, colour in COLOURS.items():
        values = [row[outcome] for row in rows]
        calls_axes.bar(labels, values, bottom=bottom, width=1.0, color=colour, label=outcome)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    total = report.total
    calls_axes.set_title(
        f"Calls: {total.attributed} attributed, {total.misattributed} misattributed, "
        f"{total.unattributed} unattributed (by the visitor's arrival {bucket})"
    )
    calls_axes.set_ylabel("calls")
    calls_axes.set_xlabel(f"{bucket} of the visit")
    calls_axes.legend(loc="upper right", fontsize="small")


def _call_buckets(report: Report) -> tuple[list[int], list[dict[str, int]], str]:
    """Call outcomes per hour (up to :data:`HOURLY_BARS_UP_TO` hours), else per day."""
    timeline: Sequence[IntervalMetrics] = report.timeline
    per_hour = 60 // report.resolution_minutes
    hourly = len(timeline) <= HOURLY_BARS_UP_TO * per_hour
    size = per_hour * (1 if hourly else 24)
    rows: list[dict[str, int]] = []
    for start in range(0, len(timeline), size):
        chunk = timeline[start:start + size]
        rows.append({outcome: sum(getattr(hour, outcome) for hour in chunk)
                     for outcome in COLOURS})
    return list(range(len(rows))), rows, "hour" if hourly else "day"


def _draw_curve(recommendation: Recommendation, axes: Axes) -> None:
    lifetime = recommendation.lifetime_seconds
    points = [p for p in recommendation.evaluated if p.lifetime_seconds == lifetime]
    sizes = [p.max_pool_size for p in points]
    axes.plot(sizes, [100.0 * p.metrics.overflow_rate for p in points], marker="o",
              label="simulated overflow rate (whole scenario)")
    top = max([*sizes, recommendation.erlang_estimate, 2])
    grid = list(range(1, top + 1, max(1, top // 200)))
    axes.plot(grid, [100.0 * erlang_b(c, recommendation.offered_load) for c in grid],
              linestyle="--",
              label=f"Erlang B at the peak hour ({recommendation.offered_load:.1f} erlangs)")
    if recommendation.targets is not None:  # (none with --minimise-cost alone)
        axes.axhline(100.0 * recommendation.targets.overflow_rate, color="#c62828",
                     linewidth=1.5, label="target overflow rate")
    if recommendation.max_pool_size is not None:
        axes.axvline(recommendation.max_pool_size, color="#2e7d32", linewidth=1,
                     label=f"recommended: {recommendation.max_pool_size}")
    # a log scale (linear near 0, where a large pool's overflow is), so the target shows
    simulated = [100.0 * p.metrics.overflow_rate for p in points]
    if recommendation.targets is not None:
        target = 100.0 * recommendation.targets.overflow_rate
        asked = f"target {target:g} %"
    else:  # --minimise-cost alone: scaled on the recommended size's overflow
        at = recommendation.at_size
        target = max(100.0 * at.metrics.overflow_rate if at is not None else 0.0, 0.01)
        asked = "lowest total cost"
    axes.set_yscale("symlog", linthresh=max(target / 10.0, 1e-4), linscale=0.5)
    axes.set_ylim(0.0, max([*simulated, target * 10.0, 1.0]) * 1.5)
    axes.set_xlabel("max_pool_size")
    axes.set_ylabel("overflow rate (%, log scale)")
    axes.set_title(f"Overflow vs pool size (lifetime {lifetime} s; {asked})")
    axes.legend(loc="upper right", fontsize="small")
