"""bqplot charts, built once; ``update`` only assigns new data to the marks.

Each chart draws what :func:`whatif.engine.simulate` (daily series with P10–P90 bands)
or :func:`whatif.engine.missiles_needed` (the P(success) curve) returned; the tornado and
Sobol charts draw :func:`whatif.sensitivity.tornado` and :func:`whatif.sensitivity.sobol`.
Titles, axis labels, legend labels and colours come from :mod:`whatif.presentation`, as
the brief's static charts do.

bqplot draws a legend inside the plot area, where it can cover the data; so each chart is
a :class:`ChartBox`: the figure, then its legend as HTML below it (text a screen reader
reads), made from the marks' own labels and colours. The figure's own legend is hidden by
the app's CSS (``.whatif-chart .g_legend``).
"""

from __future__ import annotations

from html import escape

import bqplot as bq
import ipywidgets as w
import numpy as np

from whatif import presentation as look
from whatif.engine import SimulationResult, SolveResult
from whatif.outputs import DEBATE_SALVO, OUTPUTS, weekly_hits
from whatif.presentation import BandChartSpec, ChartText

#: a chart's size [CSS px or %]: its width follows its column (the app's CSS grid)
LAYOUT = {"width": "100%", "height": "300px"}
MARGIN = {"top": 36, "bottom": 45, "left": 70, "right": 18}
#: a value axis' label, left of its tick labels (bqplot's default sits on wide ones)
Y_LABEL_OFFSET = "50px"
#: the tornado and Sobol charts: room for the assumptions' names on the left
WIDE_LAYOUT = {"width": "100%", "height": "420px"}
WIDE_MARGIN = {"top": 36, "bottom": 45, "left": 190, "right": 20}

#: the key drawn beside a legend entry, by line style
_LINE_KEYS = {"dashed": "dashed", "dotted": "dotted", "dash_dotted": "dashed"}


def legend_entries(marks) -> list[tuple[str, str, str, float]]:
    """The legend of ``marks`` as (label, colour, key, opacity): one entry per label of
    each mark shown in the legend (``display_legend``), in order. The key is ``line``,
    ``dashed``, ``dotted``, ``area`` (a filled band), ``bar`` or ``dot``."""
    entries = []
    for mark in marks:
        if not mark.display_legend:
            continue
        colors = list(mark.colors) or [look.TARGET]
        given = getattr(mark, "opacities", None)
        opacities = [] if given is None else list(np.ravel(given))
        if isinstance(mark, bq.Bars):
            key = "bar"
        elif isinstance(mark, bq.Scatter):
            key = "dot"
        elif getattr(mark, "fill", "none") in ("between", "inside", "top", "bottom"):
            key = "area"
            opacities = list(mark.fill_opacities or [])
        else:
            key = _LINE_KEYS.get(mark.line_style, "line")
        for i, label in enumerate(mark.labels):
            opacity = float(opacities[i % len(opacities)]) if opacities else 1.0
            entries.append((str(label), colors[i % len(colors)], key, opacity))
    return entries


def legend_html(entries: list[tuple[str, str, str, float]]) -> str:
    """The entries of :func:`legend_entries` as a list (escaped), each key coloured."""
    items = []
    for label, color, key, opacity in entries:
        paint = "background" if key in ("area", "bar", "dot") else "border-color"
        items.append(
            f'<li><span class="whatif-key whatif-key-{key}" aria-hidden="true" '
            f'style="{paint}:{escape(color)};opacity:{max(opacity, 0.35):g}"></span>'
            f'{escape(label, quote=False)}</li>')
    return '<ul aria-label="Legend">' + "".join(items) + "</ul>" if items else ""


class ChartBox(w.VBox):
    """A bqplot figure with its legend below it, outside the plot area (``.legend``: HTML
    kept in step with the marks' labels by :meth:`refresh_legend`)."""

    def __init__(self, figure: bq.Figure):
        self.figure = figure
        self.legend = w.HTML("")
        self.legend.add_class("whatif-legend")
        super().__init__([figure, self.legend])
        self.add_class("whatif-chart")
        self.refresh_legend()

    def refresh_legend(self) -> None:
        """Redraw the legend if a mark's labels or colours changed (else nothing is sent)."""
        html = legend_html(legend_entries(self.figure.marks))
        if self.legend.value != html:
            self.legend.value = html


def _figure(text: ChartText, marks, x_scale, y_scale, y_format: str = ",.0f",
            x_format: str | None = ",.0f") -> bq.Figure:
    axes = [
        bq.Axis(scale=x_scale, label=text.x_label, tick_format=x_format),
        bq.Axis(scale=y_scale, label=text.y_label, orientation="vertical", tick_format=y_format,
                label_offset=Y_LABEL_OFFSET),
    ]
    return bq.Figure(marks=marks, axes=axes, title=text.title, animation_duration=0,
                     fig_margin=dict(MARGIN), layout=dict(LAYOUT))


def round_ticks(top: float, most: int = 7) -> np.ndarray:
    """Ticks from 0 to ``top`` at a round step (1, 2 or 5 × 10^k), at most ``most`` of them:
    the tick labels of a chart 360 px wide do not run into each other.

    >>> round_ticks(300.0).tolist()
    [0.0, 50.0, 100.0, 150.0, 200.0, 250.0, 300.0]
    """
    raw = max(top, 1.0) / (most - 1)
    power = 10.0 ** np.floor(np.log10(raw))
    step = next(k * power for k in (1, 2, 5, 10) if k * power >= raw)
    return np.arange(0.0, top + step / 2, step)


def _band(x_scale, y_scale, color: str) -> bq.Lines:
    return bq.Lines(x=[0.0], y=[[0.0], [0.0]], scales={"x": x_scale, "y": y_scale},
                    fill="between", fill_colors=[color], fill_opacities=[look.BAND_OPACITY],
                    colors=[color, color], opacities=[0.0, 0.0], stroke_width=0)


def _tooltip(x_label: str, y_label: str, y_format: str = ",.1f") -> bq.Tooltip:
    return bq.Tooltip(fields=["x", "y"], labels=[x_label, y_label], formats=[",.0f", y_format])


class BandChart:
    """Two daily series (no strike, after strike): P50 lines and P10–P90 bands."""

    def __init__(self, spec: BandChartSpec):
        self.spec = spec
        x, y = bq.LinearScale(), bq.LinearScale(min=0.0)
        self.base_band = _band(x, y, look.NO_STRIKE)
        self.strike_band = _band(x, y, look.STRIKE)
        tip = _tooltip("day", spec.text.y_label)
        self.lines = bq.Lines(
            x=[0.0], y=[[0.0], [0.0]], scales={"x": x, "y": y},
            colors=[look.NO_STRIKE, look.STRIKE], labels=[look.NO_STRIKE_P50, look.STRIKE_P50],
            display_legend=True, stroke_width=2, tooltip=tip,
        )
        marks = [self.base_band, self.strike_band, self.lines]
        self.other = None  # the path not chosen, drawn faintly (production chart)
        if spec.target:
            self.other = bq.Lines(x=[0.0], y=[0.0], scales={"x": x, "y": y},
                                  colors=[look.NO_STRIKE], opacities=[look.OTHER_PATH_OPACITY],
                                  line_style="dash_dotted", stroke_width=1.5,
                                  display_legend=True, labels=["Other path"], tooltip=tip)
            marks.append(self.other)
        self.target = None
        if spec.target:
            self.target = bq.Lines(x=[0.0, 1.0], y=[1000.0, 1000.0], scales={"x": x, "y": y},
                                   colors=[look.TARGET], line_style="dashed",
                                   display_legend=True, labels=[look.TARGET_LABEL], tooltip=tip)
            marks.append(self.target)
        self.figure = _figure(spec.text, marks, x, y, spec.tick_format)
        self.box = ChartBox(self.figure)

    def update(self, result: SimulationResult, other=None) -> None:
        """Draw ``result``'s series; ``other`` (a :class:`whatif.views.run.OtherPath`) is
        the path not chosen, drawn faintly on the production chart."""
        series = result.series
        days = series.index.to_numpy(dtype=float)
        b, s = series[self.spec.base], series[self.spec.strike]
        if self.other is not None and other is not None:
            with self.other.hold_sync():
                self.other.x = other.days
                self.other.y = other.production * self.spec.scale
                self.other.labels = [other.label]
            self.box.refresh_legend()
        k = self.spec.scale
        with self.base_band.hold_sync():
            self.base_band.x = days
            self.base_band.y = np.vstack([b["p10"], b["p90"]]) * k
        with self.strike_band.hold_sync():
            self.strike_band.x = days
            self.strike_band.y = np.vstack([s["p10"], s["p90"]]) * k
        with self.lines.hold_sync():
            self.lines.x = days
            self.lines.y = np.vstack([b["p50"], s["p50"]]) * k
        if self.target is not None:
            level = float(result.scenario.central("production_target"))
            with self.target.hold_sync():
                self.target.x = [days[0], days[-1]]
                self.target.y = [level, level]


class WeeklyHitsChart:
    """Weekly hits on energy infrastructure, no strike vs after the strike (means)."""

    def __init__(self):
        x, y = bq.OrdinalScale(), bq.LinearScale(min=0.0, max=1.0)
        self.y_scale = y
        self.bars = bq.Bars(x=[1], y=[[0.0], [0.0]], scales={"x": x, "y": y}, type="grouped",
                            colors=[look.NO_STRIKE, look.STRIKE],
                            labels=[look.NO_STRIKE_MEAN, look.STRIKE_MEAN],
                            display_legend=True, padding=0.15,
                            tooltip=bq.Tooltip(fields=["x", "y"], labels=["week", "hits"],
                                               formats=["", ",.1f"]))
        self.figure = _figure(look.HITS, [self.bars], x, y, x_format=None)
        self.box = ChartBox(self.figure)

    def update(self, result: SimulationResult) -> None:
        weekly = weekly_hits(result)
        values = weekly[["baseline", "strike"]].to_numpy().T
        with self.bars.hold_sync():
            self.bars.x = (weekly.index + 1).to_numpy()
            self.bars.y = values
        # grouped bars do not widen the scale to their data by themselves
        self.y_scale.max = float(max(values.max(), 1.0)) * 1.05


class SuccessChart:
    """P(objective reached) against missiles per salvo, with the debate's 25–30 marked."""

    def __init__(self):
        x, y = bq.LinearScale(min=0.0), bq.LinearScale(min=0.0, max=1.0)
        lo, hi = DEBATE_SALVO
        self.debate = bq.Lines(x=[lo, lo, hi, hi], y=[0.0, 1.0, 1.0, 0.0],
                               scales={"x": x, "y": y}, fill="inside",
                               fill_colors=[look.DEBATE], fill_opacities=[look.DEBATE_OPACITY],
                               colors=[look.DEBATE], labels=[look.DEBATE_LABEL],
                               display_legend=True)
        tip = _tooltip("missiles", look.SUCCESS_LABEL, ".0%")
        self.curve = bq.Lines(x=[0.0], y=[0.0], scales={"x": x, "y": y}, colors=[look.STRIKE],
                              stroke_width=2, labels=[look.SUCCESS_LABEL], display_legend=True,
                              tooltip=tip)
        self.level = bq.Lines(x=[0.0, 300.0], y=[0.8, 0.8], scales={"x": x, "y": y},
                              colors=[look.TARGET], line_style="dashed",
                              labels=[look.CONFIDENCE_LABEL], display_legend=True)
        self.answer = bq.Scatter(x=[0.0], y=[0.0], scales={"x": x, "y": y},
                                 colors=[look.TARGET], default_size=60, tooltip=tip)
        self.figure = _figure(look.SUCCESS, [self.debate, self.curve, self.level, self.answer],
                              x, y, ".0%")
        self.box = ChartBox(self.figure)

    def update(self, solve: SolveResult | None) -> None:
        if solve is None:  # a plan fixes its missiles: no curve to show
            with self.curve.hold_sync():
                self.curve.x, self.curve.y = [], []
            with self.answer.hold_sync():
                self.answer.x, self.answer.y = [], []
            return
        curve = solve.curve
        with self.curve.hold_sync():
            self.curve.x = curve["missiles"].to_numpy(dtype=float)
            self.curve.y = curve["probability"].to_numpy()
        with self.level.hold_sync():
            self.level.x = [0.0, float(solve.max_missiles)]
            self.level.y = [solve.confidence, solve.confidence]
        ticks = round_ticks(float(solve.max_missiles))
        if not np.array_equal(self.figure.axes[0].tick_values, ticks):
            self.figure.axes[0].tick_values = ticks
        n = solve.missiles_needed
        with self.answer.hold_sync():
            if n is None:
                self.answer.x, self.answer.y = [], []
            else:
                self.answer.x = [float(n)]
                self.answer.y = [float(curve["probability"].iloc[n])]


class CompareChart:
    """National production after the strike under two scenarios, with the no-strike line."""

    def __init__(self):
        x, y = bq.LinearScale(), bq.LinearScale(min=0.0)
        self.lines = bq.Lines(x=[0.0], y=[[0.0], [0.0], [0.0]], scales={"x": x, "y": y},
                              colors=[look.NO_STRIKE, look.STRIKE, look.OTHER], stroke_width=2,
                              display_legend=True,
                              labels=["A: no strike", "A: after strike", "B: after strike"],
                              tooltip=_tooltip("day", look.COMPARE.y_label))
        self.base_b = bq.Lines(x=[0.0], y=[0.0], scales={"x": x, "y": y}, colors=[look.OTHER],
                               line_style="dashed", display_legend=True, labels=["B: no strike"])
        self.figure = _figure(look.COMPARE, [self.lines, self.base_b], x, y)
        self.box = ChartBox(self.figure)

    def update(self, a: SimulationResult, b: SimulationResult, label_a: str,
               label_b: str) -> None:
        days_a = a.series.index.to_numpy(dtype=float)
        days_b = b.series.index.to_numpy(dtype=float)
        n = min(len(days_a), len(days_b))
        with self.lines.hold_sync():
            self.lines.x = days_a[:n]
            self.lines.y = np.vstack([
                a.series[("production_baseline", "p50")].to_numpy()[:n],
                a.series[("production_strike", "p50")].to_numpy()[:n],
                b.series[("production_strike", "p50")].to_numpy()[:n],
            ])
            self.lines.labels = [f"A ({label_a}): no strike", f"A ({label_a}): after strike",
                                 f"B ({label_b}): after strike"]
        with self.base_b.hold_sync():
            self.base_b.x = days_b[:n]
            self.base_b.y = b.series[("production_baseline", "p50")].to_numpy()[:n]
            self.base_b.labels = [f"B ({label_b}): no strike"]
        self.box.refresh_legend()


class TornadoChart:
    """Each assumption at its low and its high, the others central (deterministic)."""

    def __init__(self, top: int = 12):
        self.top = top
        y, x = bq.OrdinalScale(reverse=True), bq.LinearScale()
        self.x_scale = x
        common = {"scales": {"x": y, "y": x}, "orientation": "horizontal", "padding": 0.25}
        self.low = bq.Bars(x=["-"], y=[0.0], colors=[look.AT_LOW], labels=[look.AT_LOW_LABEL],
                           display_legend=True, tooltip=bq.Tooltip(
                               fields=["x", "y"], labels=["assumption", "output at low"],
                               formats=["", ",.3~g"]), **common)
        self.high = bq.Bars(x=["-"], y=[0.0], colors=[look.AT_HIGH],
                            labels=[look.AT_HIGH_LABEL], display_legend=True,
                            tooltip=bq.Tooltip(fields=["x", "y"],
                                               labels=["assumption", "output at high"],
                                               formats=["", ",.3~g"]), **common)
        self.value_axis = bq.Axis(scale=x, label="output", tick_format=",.3~g")
        self.figure = bq.Figure(
            marks=[self.low, self.high],
            axes=[bq.Axis(scale=y, orientation="vertical", label=look.SENSITIVITY_AXIS),
                  self.value_axis],
            title="What matters most", animation_duration=0, fig_margin=dict(WIDE_MARGIN),
            layout=dict(WIDE_LAYOUT))
        self.box = ChartBox(self.figure)

    def update(self, frame, output: str) -> None:
        """Draw ``frame`` (:func:`whatif.sensitivity.tornado` of ``output``)."""
        rows = frame.head(self.top)
        names = rows["parameter"].tolist()
        central = float(frame.attrs["central"])
        lows = rows["output_at_low"].to_numpy()
        highs = rows["output_at_high"].to_numpy()
        for mark, values in ((self.low, lows), (self.high, highs)):
            with mark.hold_sync():
                mark.x = names
                mark.y = values
                mark.base = central
        # the bars' extent and the central line, padded (no rows when nothing has a range)
        lowest = min(lows.min(initial=central), highs.min(initial=central))
        highest = max(lows.max(initial=central), highs.max(initial=central))
        pad = max(0.05 * (highest - lowest), 1e-9)
        self.x_scale.min, self.x_scale.max = lowest - pad, highest + pad
        self.value_axis.label = look.output_axis_label(output)
        self.value_axis.tick_format = look.value_tick_format(OUTPUTS[output].unit,
                                                            highest - lowest)
        self.figure.title = look.tornado_title(output, central)


class SobolChart:
    """Sobol indices of one output: first order (S1) and total order (ST) per assumption,
    each with its confidence interval (a black whisker with end caps).

    The assumptions sit at 0, 1, 2 … on a linear scale (named by the axis' tick labels) so
    that the whiskers can be placed on the bars: bqplot centres each pair of grouped bars on
    its position and makes the pair ``(1 - padding) × K_span / K`` wide for K positions
    spanning ``K_span``; S1 fills the upper half, ST the lower. One more position, with bars
    of length 0, keeps a lone assumption's bars as wide as the others'.
    """

    PADDING = 0.25  # between pairs of bars, as a share of their spacing
    CAP = 0.08  # half the height of a whisker's end caps, in spacings

    def __init__(self, top: int = 12):
        self.top = top
        y, x = bq.LinearScale(min=-0.5, max=0.5, reverse=True), bq.LinearScale(min=0.0, max=1.0)
        self.x_scale, self.position_scale = x, y
        self.bars = bq.Bars(
            x=[0.0], y=[[0.0], [0.0]], scales={"x": y, "y": x}, orientation="horizontal",
            type="grouped", padding=self.PADDING, colors=[look.FIRST_ORDER, look.TOTAL_ORDER],
            labels=[look.FIRST_ORDER_LABEL, look.TOTAL_ORDER_LABEL],
            display_legend=True, tooltip=bq.Tooltip(fields=["y"], labels=["index"],
                                                    formats=[".3f"]))
        self.intervals = bq.Lines(x=[np.nan], y=[np.nan], scales={"x": x, "y": y},
                                  colors=[look.REFERENCE], stroke_width=1.5,
                                  labels=["95% interval"], display_legend=True)
        self.position_axis = bq.Axis(scale=y, orientation="vertical",
                                     label=look.SENSITIVITY_AXIS,
                                     tick_values=np.array([0.0]), tick_labels={"0": ""})
        self.figure = bq.Figure(
            marks=[self.bars, self.intervals],
            axes=[self.position_axis,
                  bq.Axis(scale=x, label=look.SOBOL_AXIS, tick_format=".0%")],
            title="Sobol indices", animation_duration=0, fig_margin=dict(WIDE_MARGIN),
            layout=dict(WIDE_LAYOUT))
        self.box = ChartBox(self.figure)

    def update(self, frame, output: str, samples: int) -> None:
        """Draw ``frame`` (:func:`whatif.sensitivity.sobol` of ``output``: rows sorted by
        total order)."""
        rows = frame.head(self.top)
        n = len(rows)
        values = rows[["first_order", "total_order"]].to_numpy().T
        lows = rows[["first_order_low", "total_order_low"]].to_numpy().T
        highs = rows[["first_order_high", "total_order_high"]].to_numpy().T
        # each bar's centre: a quarter of the pair's width above (S1) or below (ST) its position
        quarter = (1 - self.PADDING) * n / (n + 1) / 4
        centres = np.arange(n) + np.array([[-quarter], [quarter]])
        x, y = [], []
        for low, high, centre in zip(lows.ravel(), highs.ravel(), centres.ravel(), strict=True):
            x += [low, high, np.nan, low, low, np.nan, high, high, np.nan]
            y += [centre, centre, np.nan, centre - self.CAP, centre + self.CAP, np.nan,
                  centre - self.CAP, centre + self.CAP, np.nan]
        level = f"{frame.attrs.get('confidence_level', 0.95):.0%}"
        with self.bars.hold_sync(), self.intervals.hold_sync(), self.position_axis.hold_sync():
            self.bars.x = np.arange(n + 1, dtype=float)  # the last: length 0, for the width
            self.bars.y = np.hstack([values, np.zeros((2, 1))])
            self.intervals.x, self.intervals.y = np.array(x), np.array(y)
            self.intervals.labels = [f"{level} interval"]
            self.position_axis.tick_values = np.arange(n, dtype=float)
            self.position_axis.tick_labels = {str(i): name for i, name in
                                              enumerate(rows["parameter"])}
        self.box.refresh_legend()
        self.position_scale.min, self.position_scale.max = -0.5, n - 0.5
        # intervals (and estimates near 0) can reach below 0 or above 1: never cut one off
        self.x_scale.min = float(min(0.0, lows.min(), values.min()))
        self.x_scale.max = float(max(1.0, highs.max(), values.max()))
        self.figure.title = look.sobol_title(output, samples,
                                             frame.attrs.get("confidence_level", 0.95))

    def clear(self, title: str) -> None:
        """No indices to show (e.g. nothing is uncertain); ``title`` says why."""
        with self.bars.hold_sync(), self.intervals.hold_sync(), self.position_axis.hold_sync():
            self.bars.x = []
            self.bars.y = [[], []]
            self.intervals.x, self.intervals.y = [np.nan], [np.nan]
            self.position_axis.tick_values = np.array([], dtype=float)
            self.position_axis.tick_labels = {}
        self.figure.title = title


class ChartsPanel(w.VBox):
    """The "Charts" tab: a line saying when the path's day-0 level is outside the fit to
    the record, then production and P(success) side by side (the first screen), weekly hits
    and grid damage below them (two a row when there is room, else one)."""

    def __init__(self):
        self.production_chart = BandChart(look.PRODUCTION)
        self.success_chart = SuccessChart()
        self.hits_chart = WeeklyHitsChart()
        self.grid_chart = BandChart(look.GRID)
        charts = (self.production_chart, self.success_chart, self.hits_chart, self.grid_chart)
        #: says when the chosen path's day-0 level is outside the fit to the record
        self.path_note = w.HTML("")
        self.path_note.add_class("whatif-path-note")
        grid = w.GridBox([c.box for c in charts])
        grid.add_class("whatif-charts")
        super().__init__([self.path_note, grid])

    def update(self, result: SimulationResult, solve: SolveResult, other=None,
               path_note: str = "") -> None:
        html = (f'<div class="whatif-warning" role="status">{escape(path_note)}</div>'
                if path_note else "")
        if self.path_note.value != html:
            self.path_note.value = html
        self.production_chart.update(result, other)
        self.success_chart.update(solve)
        self.hits_chart.update(result)
        self.grid_chart.update(result)
