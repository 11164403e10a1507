"""Static (matplotlib) figures of the launch record beside the model's baseline.

Used by ``notebooks/calibration.ipynb`` and the HTML brief. Each function takes the
frames of :func:`whatif.calibrate.comparison` and returns a matplotlib ``Figure``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from whatif.calibrate import DAY_ZERO, Calibration

RECORD = "#555555"
FIT = "#1f77b4"
MODEL = "#d62728"
ESTIMATE = "#2ca02c"
BAND = 0.2


def new_axes(title: str, xlabel: str = "", ylabel: str = ""):
    """A titled, gridded figure and its axes: the size and style of every static chart.

    A bare ``Figure``: no pyplot state and no backend switch (so a brief exported from
    the app leaves the kernel's matplotlib alone), shown inline by notebooks.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.3))
    ax = fig.add_subplot()
    ax.set_title(title, fontsize=11)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    return fig, ax


def _dates(days) -> pd.DatetimeIndex:
    return DAY_ZERO + pd.to_timedelta(np.asarray(days, dtype=float), unit="D")


def record_production_figure(frames: dict, calibration: Calibration,
                             estimates: pd.DataFrame | None = None):
    """UAVs launched per day (record), the fitted path, and the model's baseline [drones/day].

    ``estimates`` (:func:`whatif.calibrate.load_production_estimates`) adds the public
    production estimates: filled triangles count strike drones only, hollow ones decoys too.
    """
    fig, ax = new_axes("Launch record and the model's baseline", ylabel="drones per day (log scale)")
    record, fit = frames["record"], frames["fit"]
    window = record[record["month"] >= calibration.production.window[0]]
    earlier = record[record["month"] < calibration.production.window[0]]
    ax.plot(_dates(earlier["day"]), earlier["uav_per_day"], "o", color=RECORD, alpha=0.35,
            markersize=3, label="record, not fitted (2022–23)")
    ax.plot(_dates(window["day"]), window["uav_per_day"], "o", color=RECORD, markersize=4,
            label="record: long-range UAVs launched/day")
    ax.fill_between(_dates(fit["day"]), fit["low"], fit["high"], color=FIT, alpha=BAND, linewidth=0)
    ax.plot(_dates(fit["day"]), fit["mean"], color=FIT, label="fitted path (90% band)")
    shahed = frames["shahed_fit"]
    ax.plot(_dates(shahed["day"]), shahed["mean"], color=FIT, linestyle="--",
            label="fitted × Shahed share")
    estimate = calibration.production_now
    ax.errorbar([DAY_ZERO], [estimate.value], yerr=[[estimate.value - estimate.low],
                                                   [estimate.high - estimate.value]],
                fmt="s", color=FIT, capsize=3, markersize=4)
    baseline = frames["baseline"]
    ax.plot(_dates(baseline["day"]), baseline["production"], color=MODEL, linewidth=2,
            label="model baseline (Shahed-type)")
    if estimates is not None and len(estimates):
        for decoys, style in ((False, {"color": ESTIMATE}), (True, {"markerfacecolor": "none",
                                                                   "color": ESTIMATE})):
            part = estimates[estimates["includes_decoys"] == decoys]
            label = ("public estimates incl. decoys" if decoys else
                     "public estimates, strike drones")
            ax.plot(_dates(part["day"]), part["drones_per_day"], "^", markersize=6,
                    label=label, **style)
    ax.axvline(DAY_ZERO, color="black", linewidth=0.8)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(_plain_ticks())
    ax.legend(fontsize=7, loc="upper left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def record_defeat_figure(frames: dict, calibration: Calibration, scenario_rate: float):
    """Monthly share of UAVs shot down or suppressed, the fit, and the scenario's rate."""
    fig, ax = new_axes("Share of UAVs shot down or suppressed", ylabel="share")
    record = frames["record"]
    ax.plot(_dates(record["day"]), record["neutralised_share"], "o-", color=RECORD, markersize=3,
            linewidth=0.8, label="record (monthly)")
    estimate = calibration.defeat_rate
    first, last = (pd.Period(m, "M") for m in calibration.defeat_rate_window)
    span = [first.start_time, last.end_time]
    ax.fill_between(span, estimate.low, estimate.high, color=FIT, alpha=BAND, linewidth=0)
    ax.plot(span, [estimate.value] * 2, color=FIT, label=f"fitted {estimate.value:.3f} (90% band)")
    ax.plot([DAY_ZERO, DAY_ZERO + pd.Timedelta(days=180)], [scenario_rate] * 2, color=MODEL,
            linewidth=2, label=f"scenario {scenario_rate:.2f}")
    ax.axvline(DAY_ZERO, color="black", linewidth=0.8)
    ax.set_ylim(0.5, 1.0)
    ax.legend(fontsize=7, loc="lower left")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def _plain_ticks():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:g}")
