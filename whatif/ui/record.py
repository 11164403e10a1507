"""The "Record vs model" panel: the public launch record beside the model's baseline.

The record and its fits (:mod:`whatif.calibrate`) do not change while the app runs, so
they are drawn once; ``update`` moves only the scenario's marks (the baseline path, the
defeat rate) and the check of the scenario against the fits.
"""

from __future__ import annotations

from html import escape

import bqplot as bq
import ipywidgets as widgets
import numpy as np

from whatif.calibrate import (
    DAY_ZERO,
    Calibration,
    calibrate,
    central_values,
    comparison,
    model_baseline,
)
from whatif.formatting import format_value
from whatif.scenario import Scenario

RECORD = "#555555"
FIT = "#1f77b4"
MODEL = "#c0392b"
LAYOUT = {"width": "100%", "min_width": "380px", "height": "320px"}


def _dates(days) -> np.ndarray:
    """Days from day 0 as datetime64 (what bqplot's DateScale plots)."""
    offsets = np.round(np.asarray(days, dtype=float) * 24 * 3600).astype("timedelta64[s]")
    return (np.datetime64(DAY_ZERO.date(), "s") + offsets).astype("datetime64[ms]")


def _figure(title: str, marks, x_scale, y_scale, y_label: str, y_format: str) -> bq.Figure:
    axes = [bq.Axis(scale=x_scale, label="month", tick_format="%b %Y", num_ticks=6),
            bq.Axis(scale=y_scale, label=y_label, orientation="vertical", tick_format=y_format)]
    return bq.Figure(marks=marks, axes=axes, title=title, animation_duration=0,
                     legend_location="top-left",
                     fig_margin={"top": 40, "bottom": 45, "left": 65, "right": 15},
                     layout=dict(LAYOUT))


class RecordPanel:
    """Charts of the record, the fits and the scenario's baseline, and a check table."""

    def __init__(self, calibration: Calibration | None = None):
        self.calibration = calibration or calibrate()
        frames = comparison(self.calibration, Scenario.default(), days_after=1)
        record, fit, shahed = frames["record"], frames["fit"], frames["shahed_fit"]
        estimate = self.calibration.production_now

        x, y = bq.DateScale(), bq.LogScale(min=1.0, max=2000.0)
        scales = {"x": x, "y": y}
        self.record_points = bq.Scatter(
            x=_dates(record["day"]), y=record["uav_per_day"].to_numpy(), scales=scales,
            colors=[RECORD], default_size=20, display_legend=True,
            labels=["Record: UAVs launched/day"])
        self.fit_band = bq.Lines(
            x=_dates(fit["day"]), y=np.vstack([fit["low"], fit["high"]]), scales=scales,
            fill="between", fill_colors=[FIT], fill_opacities=[0.2], colors=[FIT, FIT],
            opacities=[0.0, 0.0], stroke_width=0)
        self.fit_line = bq.Lines(
            x=_dates(fit["day"]), y=fit["mean"].to_numpy(), scales=scales, colors=[FIT],
            stroke_width=2, display_legend=True, labels=["Fitted path (90% band)"])
        self.shahed_line = bq.Lines(
            x=_dates(shahed["day"]), y=shahed["mean"].to_numpy(), scales=scales, colors=[FIT],
            line_style="dashed", display_legend=True, labels=["Fitted × Shahed share"])
        self.estimate_bar = bq.Lines(
            x=_dates([0.0, 0.0]), y=[estimate.low, estimate.high], scales=scales, colors=[FIT],
            stroke_width=4)
        self.baseline = bq.Lines(x=_dates([0.0, 1.0]), y=[1.0, 1.0], scales=scales, colors=[MODEL],
                                 stroke_width=3, display_legend=True,
                                 labels=["Model baseline (Shahed-type)"])
        self.production_figure = _figure(
            "Launch record and the model's baseline (drones/day, log scale)",
            [self.fit_band, self.record_points, self.fit_line, self.shahed_line,
             self.estimate_bar, self.baseline], x, y, "drones/day", ",.0f")

        rate = self.calibration.defeat_rate
        first, last = self.calibration.defeat_rate_window
        span = _dates([(np.datetime64(first + "-01") - np.datetime64(DAY_ZERO.date())).astype(float),
                       (np.datetime64(last + "-28") - np.datetime64(DAY_ZERO.date())).astype(float) + 3])
        x2, y2 = bq.DateScale(), bq.LinearScale(min=0.5, max=1.0)
        scales2 = {"x": x2, "y": y2}
        self.defeat_points = bq.Lines(
            x=_dates(record["day"]), y=record["neutralised_share"].to_numpy(), scales=scales2,
            colors=[RECORD], marker="circle", marker_size=12, display_legend=True,
            labels=["Record: share shot down or suppressed"])
        self.defeat_band = bq.Lines(
            x=span, y=[[rate.low, rate.low], [rate.high, rate.high]], scales=scales2,
            fill="between", fill_colors=[FIT], fill_opacities=[0.2], colors=[FIT, FIT],
            opacities=[0.0, 0.0], stroke_width=0)
        self.defeat_fit = bq.Lines(x=span, y=[rate.value, rate.value], scales=scales2,
                                   colors=[FIT], stroke_width=2, display_legend=True,
                                   labels=[f"Fitted {rate.value:.3f} (90% band)"])
        self.defeat_model = bq.Lines(x=_dates([0.0, 180.0]), y=[0.0, 0.0], scales=scales2,
                                     colors=[MODEL], stroke_width=3, display_legend=True,
                                     labels=["Scenario defeat rate"])
        self.defeat_figure = _figure(
            "Share of launched UAVs shot down or suppressed",
            [self.defeat_band, self.defeat_points, self.defeat_fit, self.defeat_model],
            x2, y2, "share", ".2f")

        self.check = widgets.HTML()
        intro = widgets.HTML(
            "<p style='max-width:60em'>The Ukrainian Air Force's monthly record (Sep 2022 – "
            "Dec 2025, every month cited in <code>data/historical/</code>) and the fits of "
            "<code>whatif.calibrate</code>: the model's logistic path fitted to UAV launches "
            "(Jan 2024 on), times the Air Force's Shahed-type share, gives "
            "<code>production_now</code>; a quasi-binomial fit over 2025 gives "
            "<code>defeat_rate</code>. Launches ≈ output is assumed. Red is the scenario: "
            "it moves with the controls.</p>")
        self.widget = widgets.VBox([intro, self.check, widgets.HBox(
            [self.production_figure, self.defeat_figure],
            layout=widgets.Layout(flex_flow="row wrap", width="100%"))])

    def update(self, scenario: Scenario) -> None:
        """Redraw the scenario's marks and the check for ``scenario``'s central values."""
        # only the scenario's side: the record and the fits are static (drawn in __init__)
        values = central_values(scenario)
        days = np.arange(max(int(scenario.central("horizon_days")), 2), dtype=float)
        with self.baseline.hold_sync():
            self.baseline.x = _dates(days)
            self.baseline.y = np.maximum(model_baseline(values, days), 1.0)  # log scale
        rate = float(values["defeat_rate"])
        self.defeat_model.y = [rate, rate]
        self.check.value = check_html(self.calibration.check(values))


def check_html(check) -> str:
    """The scenario against the fits as an HTML table (values escaped)."""
    rows = []
    for name, row in check.iterrows():
        verdict = ("<span style='color:#1a7f37'>inside the fit's 90% interval</span>" if row.within else
                   "<b style='color:#c0392b'>outside the fit's 90% interval</b>")
        rows.append(
            f"<tr><td><code>{escape(name)}</code></td>"
            f"<td>{escape(format_value(row.value, row.unit))}</td>"
            f"<td>{escape(format_value(row.fitted, row.unit))}</td>"
            f"<td>{escape(format_value(row.low, row.unit))} – {escape(format_value(row.high, row.unit))}</td>"
            f"<td>{verdict}</td></tr>")
    return ("<style>.whatif-record-check td, .whatif-record-check th {padding: 2px 10px;}</style>"
            "<table class='whatif-record-check' style='border-collapse:collapse'>"
            "<tr><th style='text-align:left'>assumption</th><th>scenario</th><th>fitted</th>"
            "<th>90% interval</th><th></th></tr>" + "".join(rows) + "</table>")
