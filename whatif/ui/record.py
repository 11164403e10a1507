"""The "Record vs model" panel: the public launch record beside the model's baseline.

The record and its fits (:mod:`whatif.calibrate`) do not change while the app runs, so
they are drawn once; ``update`` moves only the scenario's marks (the baseline path, the
defeat rate) and the check of the scenario against the fits.
"""

from __future__ import annotations

import bqplot as bq
import ipywidgets as widgets
import numpy as np
import pandas as pd

from whatif import presentation as look
from whatif.backtest import PATHS as BACKTEST_PATHS
from whatif.backtest import backtest_bands
from whatif.calibrate import Calibration, calibrate, central_values, comparison, model_baseline
from whatif.presentation import ChartText
from whatif.scenario import Scenario
from whatif.ui.charts import MARGIN, Y_LABEL_OFFSET, ChartBox
from whatif.views.record import (
    APP_BACKTEST_SAMPLES,
    backtest_note_html,
    check_html,
    defeat_window_days,
    intro_html,
    record_dates,
)

#: a chart's size: its width follows its column (two a row on a wide screen, else one)
LAYOUT = {"width": "100%", "height": "320px"}
#: room on the right for half of the last date's tick label ("Jul 2026")
DATE_MARGIN = {**MARGIN, "right": 36}


def _figure(text: ChartText, marks, x_scale, y_scale, y_format: str) -> bq.Figure:
    axes = [bq.Axis(scale=x_scale, label=text.x_label, tick_format="%b %Y", num_ticks=6),
            bq.Axis(scale=y_scale, label=text.y_label, orientation="vertical",
                    tick_format=y_format, label_offset=Y_LABEL_OFFSET)]
    return bq.Figure(marks=marks, axes=axes, title=text.title, animation_duration=0,
                     fig_margin=dict(DATE_MARGIN), layout=dict(LAYOUT))


def _fit_band(x, low, high, scales) -> bq.Lines:
    """A fit's 90% band between ``low`` and ``high``."""
    return bq.Lines(x=x, y=np.vstack([low, high]), scales=scales, fill="between",
                    fill_colors=[look.FIT], fill_opacities=[look.FIT_BAND_OPACITY],
                    colors=[look.FIT, look.FIT], opacities=[0.0, 0.0], stroke_width=0)


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
            x=record_dates(record["day"]), y=record["uav_per_day"].to_numpy(), scales=scales,
            colors=[look.RECORD], default_size=20, display_legend=True,
            labels=[look.RECORD_LABEL])
        self.fit_band = _fit_band(record_dates(fit["day"]), fit["low"], fit["high"], scales)
        self.fit_line = bq.Lines(
            x=record_dates(fit["day"]), y=fit["mean"].to_numpy(), scales=scales,
            colors=[look.FIT], stroke_width=2, display_legend=True, labels=[look.FIT_LABEL])
        self.shahed_line = bq.Lines(
            x=record_dates(shahed["day"]), y=shahed["mean"].to_numpy(), scales=scales,
            colors=[look.FIT], line_style="dashed", display_legend=True,
            labels=[look.SHAHED_FIT_LABEL])
        self.estimate_bar = bq.Lines(
            x=record_dates([0.0, 0.0]), y=[estimate.low, estimate.high], scales=scales,
            colors=[look.FIT], stroke_width=4)
        self.baseline = bq.Lines(x=record_dates([0.0, 1.0]), y=[1.0, 1.0], scales=scales,
                                 colors=[look.SCENARIO], stroke_width=3, display_legend=True,
                                 labels=[look.BASELINE_LABEL])
        self.production_figure = _figure(
            look.RECORD_PRODUCTION,
            [self.fit_band, self.record_points, self.fit_line, self.shahed_line,
             self.estimate_bar, self.baseline], x, y, ",.0f")

        rate = self.calibration.defeat_rate
        span = record_dates(defeat_window_days(self.calibration))
        x2, y2 = bq.DateScale(), bq.LinearScale(min=0.5, max=1.0)
        scales2 = {"x": x2, "y": y2}
        self.defeat_points = bq.Lines(
            x=record_dates(record["day"]), y=record["neutralised_share"].to_numpy(),
            scales=scales2, colors=[look.RECORD], marker="circle", marker_size=12,
            display_legend=True, labels=[look.DEFEAT_RECORD_LABEL])
        self.defeat_band = _fit_band(span, [rate.low] * 2, [rate.high] * 2, scales2)
        self.defeat_fit = bq.Lines(x=span, y=[rate.value, rate.value], scales=scales2,
                                   colors=[look.FIT], stroke_width=2, display_legend=True,
                                   labels=[look.defeat_fit_label(rate.value)])
        self.defeat_model = bq.Lines(x=record_dates([0.0, 180.0]), y=[0.0, 0.0],
                                     scales=scales2, colors=[look.SCENARIO], stroke_width=3,
                                     display_legend=True, labels=[look.scenario_rate_label(0)])
        self.defeat_figure = _figure(
            look.RECORD_DEFEAT,
            [self.defeat_band, self.defeat_points, self.defeat_fit, self.defeat_model],
            x2, y2, ".2f")

        self.check = widgets.HTML()
        self._build_backtest()
        self.boxes = [ChartBox(f) for f in (self.production_figure, self.defeat_figure,
                                            self.backtest_figure)]
        charts = widgets.GridBox(self.boxes)
        charts.add_class("whatif-charts")
        charts.add_class("whatif-charts-wide")  # long titles: one a row on a laptop
        self.widget = widgets.VBox([widgets.HTML(intro_html(self.calibration)), self.check,
                                    charts, self.backtest_note])

    # --- the backtest: each origin's one-month-ahead band beside what followed ---------------
    def _build_backtest(self) -> None:
        """The backtest chart's marks, empty until :meth:`show_backtest` fills them (on the
        tab's first showing: the projections take a fraction of a second)."""
        x, y = bq.DateScale(), bq.LinearScale(min=0.0)
        self.backtest_y = y
        scales = {"x": x, "y": y}
        self.backtest_bars = {}
        self.backtest_legend = {}  # each drawn over its path's first bar (bqplot keys its
        marks = []  # legend to marks with data)
        for path in BACKTEST_PATHS:
            color = look.BACKTEST_PATHS[path]
            wide = bq.Lines(x=[], y=[], scales=scales, colors=[color], stroke_width=1)
            bars = bq.Lines(x=[], y=[], scales=scales, colors=[color], stroke_width=6,
                            opacities=[0.55])
            # one legend entry per path (the bars are one line per origin)
            legend = bq.Lines(x=[], y=[], scales=scales, colors=[color], stroke_width=6,
                              opacities=[0.55], display_legend=True,
                              labels=[look.BACKTEST_PATH_LABELS[path]])
            self.backtest_bars[path] = (wide, bars)
            self.backtest_legend[path] = legend
            marks += [wide, bars, legend]
        self.backtest_record = bq.Scatter(x=[], y=[], scales=scales, colors=[look.RECORD],
                                          default_size=20, display_legend=True,
                                          labels=[look.BACKTEST_RECORD_LABEL])
        self.backtest_figure = _figure(look.backtest_text(1), [*marks, self.backtest_record],
                                       x, y, ",.0f")
        self.backtest_note = widgets.HTML("")
        self.backtest_shown = False

    def show_backtest(self, bands=None) -> None:
        """Fill the backtest chart (once): ``bands`` from :func:`whatif.backtest.backtest_bands`
        at one month ahead (computed here if not given)."""
        if self.backtest_shown:
            return
        if bands is None:
            bands = backtest_bands(horizons=(1,), samples=APP_BACKTEST_SAMPLES, defeat=False)
        part = bands[(bands["horizon"] == 1) & (bands["unit"] == "UAVs/day")]
        paths = [p for p in BACKTEST_PATHS if (part["path"] == p).any()]
        for i, path in enumerate(paths):
            rows = part[part["path"] == path]
            when = (rows["date"] + pd.Timedelta(days=7.0 * (i - (len(paths) - 1) / 2)))
            dates = when.to_numpy(dtype="datetime64[ms]")
            wide, bars = self.backtest_bars[path]
            with wide.hold_sync():  # one vertical segment per origin: P5–P95 and P10–P90
                wide.x = np.repeat(dates[:, None], 2, axis=1)
                wide.y = rows[["p5", "p95"]].to_numpy()
            with bars.hold_sync():
                bars.x = np.repeat(dates[:, None], 2, axis=1)
                bars.y = rows[["p10", "p90"]].to_numpy()
            legend = self.backtest_legend[path]
            with legend.hold_sync():
                legend.x = dates[:1].repeat(2)
                legend.y = rows[["p10", "p90"]].to_numpy()[0]
        record = part.drop_duplicates("month")
        top = float(np.nanmax(np.r_[part["p95"].to_numpy(float),
                                    part["observed"].to_numpy(float), 1.0]))
        self.backtest_y.max = 1.05 * top  # (the legend sits below the chart)
        with self.backtest_record.hold_sync():
            self.backtest_record.x = record["date"].to_numpy(dtype="datetime64[ms]")
            self.backtest_record.y = record["observed"].to_numpy(float)
        self.backtest_note.value = backtest_note_html(bands)
        self.backtest_shown = True

    def update(self, scenario: Scenario) -> None:
        """Redraw the scenario's marks and the check for ``scenario``'s central values."""
        # only the scenario's side: the record and the fits are static (drawn in __init__)
        values = central_values(scenario)
        days = np.arange(max(int(scenario.central("horizon_days")), 2), dtype=float)
        with self.baseline.hold_sync():
            self.baseline.x = record_dates(days)
            self.baseline.y = np.maximum(model_baseline(values, days), 1.0)  # log scale
        rate = float(values["defeat_rate"])
        with self.defeat_model.hold_sync():
            self.defeat_model.y = [rate, rate]
            self.defeat_model.labels = [look.scenario_rate_label(rate)]
        self.boxes[1].refresh_legend()
        self.check.value = check_html(self.calibration.check(values))
