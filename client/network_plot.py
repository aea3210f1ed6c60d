"""The network plot: where the numbers went and why (PNG, matplotlib Agg, no pyplot).

Left: numbers per pool (bars, the pools' visitors a day written beside them). Right: why
each pool stopped where it did: what its last number saved (filled dot) and what one more
would have saved (ring), in lost-call value over the run, with each pool's number cost; in
budget mode the line is what the budget's last number bought (net of its cost): a pool's
next number bought less than that, so it went elsewhere. Beyond ``MAX_ROWS`` pools, the
pools with the most numbers are drawn (the title says so). Same report, same PNG bytes.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simulator.network_sizing import NetworkReport

__all__ = ["MAX_ROWS", "plot_network"]

#: most pools drawn (the ones with the most numbers)
MAX_ROWS = 60


def plot_network(report: NetworkReport, path: Path | str) -> Path:
    """Write the plot of ``report`` to ``path`` (PNG)."""
    rows = sorted((row for row in report.rows if row.numbers is not None),
                  key=lambda row: (-(row.numbers or 0), row.name))
    shown = rows[:MAX_ROWS]
    shown.reverse()  # largest at the top
    height = max(4.0, 0.28 * len(shown) + 1.8)
    figure = Figure(figsize=(13, height), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True, width_ratios=(1, 1.3))
    names = [row.name for row in shown]
    positions = list(range(len(shown)))
    numbers = [row.numbers or 0 for row in shown]
    left.barh(positions, numbers, color="#1565c0")
    for y, row in zip(positions, shown, strict=True):
        left.text((row.numbers or 0) + 0.2, y, f"{row.visitors_per_day:,.0f}/day",
                  va="center", fontsize="x-small", color="#555555")
    left.set_yticks(positions, names, fontsize="small")
    left.set_xlabel("numbers")
    left.set_title("Numbers per pool (visitors a day beside)")
    last = [row.last_number_saves for row in shown]
    following = [row.next_number_saves for row in shown]
    right.scatter([v for v in last if v is not None],
                  [y for y, v in zip(positions, last, strict=True) if v is not None],
                  color="#2e7d32", label="its last number saved", zorder=3)
    right.scatter([v for v in following if v is not None],
                  [y for y, v in zip(positions, following, strict=True) if v is not None],
                  facecolors="none", edgecolors="#c62828", label="one more would save", zorder=3)
    right.scatter([row.number_cost for row in shown], positions, marker="|", color="#555555",
                  label="a number's cost", zorder=2)
    if report.threshold is not None:
        right.axvline(report.threshold, color="#ef6c00", linewidth=1,
                      label=f"the budget's last number bought {report.threshold:,.2f} "
                            "(net, on its run)")
    right.set_xlabel(f"value of lost calls saved over {report.days:g} days")
    right.set_title("Why: what the last number and the next one save")
    right.legend(loc="upper center", bbox_to_anchor=(0.5, -0.07), ncol=2, fontsize="small")
    scope = "" if len(rows) <= MAX_ROWS else f" (the {MAX_ROWS} pools with most numbers)"
    if report.mode == "budget":
        title = (f"Network {report.network}: a budget of {report.budget:,} numbers, "
                 f"{report.spent:,} placed{scope}")
    else:
        title = f"Network {report.network}: each pool sized to its targets{scope}"
    figure.suptitle(title)
    target = Path(path)
    FigureCanvasAgg(figure)
    figure.savefig(target, format="png", metadata={"Software": None})
    return target
