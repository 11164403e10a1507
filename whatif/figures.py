"""Static (matplotlib) figures of the launch record beside the model's baseline, and of
scenario discovery's peeling trade-off.

Used by ``notebooks/calibration.ipynb``, ``notebooks/backtest.ipynb``,
``notebooks/explore.ipynb`` and the HTML brief. The record figures take the frames of
:func:`whatif.calibrate.comparison`, the backtest figure the frame of
:func:`whatif.backtest.backtest_bands`, the trade-off figure a PRIM box of
:func:`whatif.discover.discover`; each returns a matplotlib ``Figure``; titles, labels and
colours are those of the app's "Record vs model" and "When does it work?" tabs
(:mod:`whatif.presentation`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from whatif import presentation as look
from whatif.backtest import PATHS, UNIT
from whatif.calibrate import DAY_ZERO, Calibration
from whatif.presentation import legend_below, new_axes


def _dates(days) -> pd.DatetimeIndex:
    return DAY_ZERO + pd.to_timedelta(np.asarray(days, dtype=float), unit="D")


def record_production_figure(frames: dict, calibration: Calibration,
                             estimates: pd.DataFrame | None = None):
    """UAVs launched per day (record), the fitted path, and the model's baseline [drones/day].

    ``estimates`` (:func:`whatif.calibrate.load_production_estimates`) adds the public
    production estimates: filled triangles count strike drones only, hollow ones decoys too.
    """
    fig, ax = new_axes(look.RECORD_PRODUCTION)
    record, fit = frames["record"], frames["fit"]
    first_fitted = calibration.production.window[0]
    window = record[record["month"] >= first_fitted]
    earlier = record[record["month"] < first_fitted]
    ax.plot(_dates(earlier["day"]), earlier["uav_per_day"], "o", color=look.RECORD, alpha=0.35,
            markersize=3, label=f"{look.RECORD_EARLY_LABEL} (before {first_fitted})")
    ax.plot(_dates(window["day"]), window["uav_per_day"], "o", color=look.RECORD, markersize=4,
            label=look.RECORD_LABEL)
    ax.fill_between(_dates(fit["day"]), fit["low"], fit["high"], color=look.FIT,
                    alpha=look.FIT_BAND_OPACITY, linewidth=0)
    ax.plot(_dates(fit["day"]), fit["mean"], color=look.FIT, label=look.FIT_LABEL)
    shahed = frames["shahed_fit"]
    ax.plot(_dates(shahed["day"]), shahed["mean"], color=look.FIT, linestyle="--",
            label=look.SHAHED_FIT_LABEL)
    estimate = calibration.production_now
    ax.errorbar([DAY_ZERO], [estimate.value], yerr=[[estimate.value - estimate.low],
                                                   [estimate.high - estimate.value]],
                fmt="s", color=look.FIT, capsize=3, markersize=4)
    baseline = frames["baseline"]
    ax.plot(_dates(baseline["day"]), baseline["production"], color=look.SCENARIO, linewidth=2,
            label=look.BASELINE_LABEL)
    if estimates is not None and len(estimates):
        for decoys, style in ((False, {"color": look.ESTIMATE}),
                              (True, {"markerfacecolor": "none", "color": look.ESTIMATE})):
            part = estimates[estimates["includes_decoys"] == decoys]
            label = look.ESTIMATE_DECOYS_LABEL if decoys else look.ESTIMATE_LABEL
            ax.plot(_dates(part["day"]), part["drones_per_day"], "^", markersize=6,
                    label=label, **style)
    ax.axvline(DAY_ZERO, color=look.REFERENCE, linewidth=0.8)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(_plain_ticks())
    fig.autofmt_xdate()
    legend_below(ax)
    return fig


def record_defeat_figure(frames: dict, calibration: Calibration, scenario_rate: float):
    """Monthly share of UAVs shot down or suppressed, the fit, and the scenario's rate."""
    fig, ax = new_axes(look.RECORD_DEFEAT)
    record = frames["record"]
    ax.plot(_dates(record["day"]), record["neutralised_share"], "o-", color=look.RECORD,
            markersize=3, linewidth=0.8, label=look.DEFEAT_RECORD_LABEL)
    estimate = calibration.defeat_rate
    first, last = (pd.Period(m, "M") for m in calibration.defeat_rate_window)
    span = [first.start_time, last.end_time]
    ax.fill_between(span, estimate.low, estimate.high, color=look.FIT,
                    alpha=look.FIT_BAND_OPACITY, linewidth=0)
    ax.plot(span, [estimate.value] * 2, color=look.FIT,
            label=look.defeat_fit_label(estimate.value))
    ax.plot([DAY_ZERO, DAY_ZERO + pd.Timedelta(days=180)], [scenario_rate] * 2,
            color=look.SCENARIO, linewidth=2, label=look.scenario_rate_label(scenario_rate))
    ax.axvline(DAY_ZERO, color=look.REFERENCE, linewidth=0.8)
    ax.set_ylim(0.5, 1.0)
    fig.autofmt_xdate()
    legend_below(ax)
    return fig


def backtest_figure(bands: pd.DataFrame, horizon: int = 1):
    """Each origin's projected band for the month ``horizon`` months ahead, per production
    path, beside what the record then showed [UAVs launched/day].

    ``bands`` is :func:`whatif.backtest.backtest_bands` (with ``horizon`` among its
    horizons). Each path's bars sit side by side at the projected month: P10–P90 (thick),
    P5–P95 (thin), P50 (tick); the record is the dots.
    """
    fig, ax = new_axes(look.backtest_text(horizon))
    part = bands[(bands["horizon"] == horizon) & (bands["unit"] == UNIT)]
    paths = [path for path in PATHS if (part["path"] == path).any()]
    for i, path in enumerate(paths):
        rows = part[part["path"] == path]
        x = rows["date"] + pd.Timedelta(days=7.0 * (i - (len(paths) - 1) / 2))
        color = look.BACKTEST_PATHS[path]
        ax.vlines(x, rows["p5"], rows["p95"], color=color, linewidth=1)
        ax.vlines(x, rows["p10"], rows["p90"], color=color, linewidth=5, alpha=0.55,
                  label=look.BACKTEST_PATH_LABELS[path])
        ax.plot(x, rows["p50"], linestyle="none", marker="_", markersize=9, color=color)
    record = part.drop_duplicates("month")
    ax.plot(record["date"], record["observed"], "o", color=look.RECORD, markersize=4,
            label=look.BACKTEST_RECORD_LABEL)
    top = float(np.nanmax(np.r_[part["p95"].to_numpy(float), part["observed"].to_numpy(float),
                                1.0]))
    ax.set_ylim(0, 1.05 * top)
    fig.autofmt_xdate()
    legend_below(ax, title=look.BACKTEST_BAND_NOTE, title_fontsize=8)
    return fig


def _plain_ticks():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:g}")


def trade_off_figure(box):
    """The peeling trade-off of a PRIM box (:class:`whatif.discover.Box`): each step of its
    trajectory as coverage (x) against density (y) [shares], the step shown as the box
    marked. The same points and text as the app's "When does it work?" chart."""
    fig, ax = new_axes(look.TRADE_OFF)
    coverage = [point.coverage for point in box.trajectory]
    density = [point.density for point in box.trajectory]
    ax.plot(coverage, density, "o-", color=look.TRAJECTORY, markersize=4, linewidth=1,
            label=look.TRAJECTORY_LABEL)
    ax.plot([coverage[box.point]], [density[box.point]], "o", color=look.CHOSEN_BOX,
            markersize=9, label=look.CHOSEN_BOX_LABEL)
    ax.xaxis.set_major_formatter(look.percent_ticks())
    ax.yaxis.set_major_formatter(look.percent_ticks())
    legend_below(ax)
    return fig

