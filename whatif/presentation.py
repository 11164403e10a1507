"""How results look, wherever they are shown: colours, chart titles, axis labels with
units, legend labels, and the static (matplotlib) figure helpers.

The app's live charts (:mod:`whatif.ui.charts`, :mod:`whatif.ui.record`), the brief's
static SVG charts (:mod:`whatif.brief`, :mod:`whatif.figures`) and the CLI all take these
from here, so a chart reads the same in the app and in the brief. This module imports
neither ipywidgets nor bqplot (matplotlib only inside the static helpers).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from html import escape

import numpy as np

from whatif.engine import simulate, trend_fit
from whatif.formatting import format_value
from whatif.outputs import DEBATE_SALVO, OUTPUTS
from whatif.params import points_text
from whatif.scenario import Scenario

# --- palette ----------------------------------------------------------------------------
#: The one palette of every chart (app, static brief, interactive brief): Okabe & Ito
#: (2008), "Color Universal Design", eight colours told apart with each common colour-vision
#: deficiency. A chart colour is one of these or a neutral grey; nothing else in whatif/
#: names a colour (``tests/test_palette.py`` scans the source).
BLACK = "#000000"
ORANGE = "#e69f00"
SKY_BLUE = "#56b4e9"
BLUISH_GREEN = "#009e73"
YELLOW = "#f0e442"
BLUE = "#0072b2"
VERMILLION = "#d55e00"
REDDISH_PURPLE = "#cc79a7"
OKABE_ITO = (BLACK, ORANGE, SKY_BLUE, BLUISH_GREEN, YELLOW, BLUE, VERMILLION, REDDISH_PURPLE)

# each role's colour; pairs read together (no strike / strike, low / high, S1 / ST, fit /
# scenario) stay apart under protanopia, deuteranopia and tritanopia
NO_STRIKE = BLUE  # the no-strike path
STRIKE = VERMILLION  # after the strike
OTHER = REDDISH_PURPLE  # a second scenario (compare)
TARGET = BLACK  # the stated production target, the required confidence
REFERENCE = BLACK  # reference lines: day 0, the tornado's central value, zero, intervals
NATIONAL = BLACK  # national output beside the sites' lines
DEBATE = YELLOW  # the public debate's salvo (a light band)
AT_LOW = BLUE  # tornado: each assumption at its low
AT_HIGH = ORANGE  # tornado: at its high
FIRST_ORDER = SKY_BLUE  # Sobol S1
TOTAL_ORDER = ORANGE  # Sobol ST
RECORD = BLACK  # the public launch record
FIT = BLUE  # the fits to the record
SCENARIO = STRIKE  # the scenario's own marks beside the record (they move with it)
ESTIMATE = REDDISH_PURPLE  # public production estimates
BACKTEST_PATHS = {"trend": FIT, "target": ORANGE}  # the backtest's production paths
TRAJECTORY = FIT  # scenario discovery: the peeling trajectory of a PRIM box
CHOSEN_BOX = STRIKE  # the trajectory's point shown as the box

#: text colours of messages: palette hues darkened to WCAG AA contrast (at least 4.5:1;
#: these 5.5:1 or more) on white, on the pages' light grey panels and on WARNING_BACKGROUND
ERROR = "#a24700"  # vermillion, darkened: something was refused
OK = "#007052"  # bluish green, darkened: something was done
INSIDE = OK  # a value inside a fit's interval
WARNING = "#835a00"  # orange, darkened: a warning, on WARNING_BACKGROUND
WARNING_BACKGROUND = "#fff4e0"
MESSAGE_COLOURS = (ERROR, OK, INSIDE, WARNING, WARNING_BACKGROUND)

BAND_OPACITY = 0.18  # P10–P90 bands around a P50 line
FIT_BAND_OPACITY = 0.2  # a fit's 90% band
DEBATE_OPACITY = 0.35


# --- chart text ---------------------------------------------------------------------------
@dataclass(frozen=True)
class ChartText:
    """A chart's title and axis labels (units in brackets)."""

    title: str
    x_label: str
    y_label: str

    def description(self, legend: list[str] | tuple[str, ...] = ()) -> str:
        """The chart in words, for readers who cannot see it: title, axes with their units,
        legend entries."""
        return describe_chart(self.title, self.x_label, self.y_label, legend)


def describe_chart(title: str, x_label: str, y_label: str,
                   legend: list[str] | tuple[str, ...] = ()) -> str:
    """``Title. x axis: …; y axis: …. Legend: a, b.`` (empty parts left out)."""
    parts = [title or "Chart"]
    axes = [f"{name} axis: {label}" for name, label in (("x", x_label), ("y", y_label))
            if label]
    if axes:
        parts.append("; ".join(axes))
    if legend:
        parts.append("Legend: " + ", ".join(legend))
    return ". ".join(parts) + "."


def axis_label(quantity: str, unit: str) -> str:
    """``quantity [unit]``, or ``quantity`` alone when there is no unit.

    >>> axis_label("national production", "drones/day")
    'national production [drones/day]'
    """
    return f"{quantity} [{unit}]" if unit else quantity


def output_axis_label(output: str) -> str:
    """An output's label with its unit, for a value axis (:data:`whatif.outputs.OUTPUTS`)."""
    spec = OUTPUTS[output]
    return axis_label(spec.label, spec.unit)


DAY_AXIS = axis_label("time after the strike", "days")


@dataclass(frozen=True)
class BandChartSpec:
    """A daily series without and with the strike: P50 lines with P10–P90 bands.

    ``base`` and ``strike`` name rows of :data:`whatif.model.campaign.SERIES`; ``scale``
    converts the series' unit to the axis unit (e.g. MW → GW).
    """

    text: ChartText
    base: str
    strike: str
    scale: float = 1.0
    target: bool = False  # draw the stated production target
    tick_format: str = ",.0f"  # d3 format of the value axis (app)


PRODUCTION = BandChartSpec(
    ChartText("National Shahed-type production per day", DAY_AXIS,
              axis_label("national production", "drones/day")),
    "production_baseline", "production_strike", target=True)
GRID = BandChartSpec(
    ChartText("Grid capacity out of action", DAY_AXIS, axis_label("damaged capacity", "GW")),
    "grid_damaged_baseline", "grid_damaged_strike", scale=1e-3, tick_format=",.1f")
#: daily series drawn with P10–P90 bands (the rest are summarised by their means)
OTHER_PATH_OPACITY = 0.45  # the production path not chosen, drawn faintly beside it
BAND_SERIES = (PRODUCTION.base, PRODUCTION.strike, GRID.base, GRID.strike)

SITES = ChartText("Capacity in action by site (mean), and national output", DAY_AXIS,
                  axis_label("share of capacity / of no-strike output", "share"))
NATIONAL_LABEL = "national output (share of no-strike)"
#: one colour per site line (cycled), national output in NATIONAL
#: (in an order whose neighbours, and the last and the first, stay apart for every vision)
SITE_COLORS = (ORANGE, SKY_BLUE, BLUE, REDDISH_PURPLE, VERMILLION, BLUISH_GREEN)


def site_lines(result) -> list[tuple[str, np.ndarray]]:
    """The lines of the per-site chart (app and brief): each site's mean capacity in action
    [share] day by day (the single plant's is 1 − its mean loss), then national output as a
    share of the no-strike output (ratio of the means). Days are ``result.series.index``."""
    series = result.series
    scenario = result.scenario
    if scenario.system is not None:
        lines = [(name, series[(f"site:{name}", "mean")].to_numpy())
                 for name in scenario.site_names]
    else:
        lines = [(scenario.site_names[0],
                  1.0 - series[("plant_capacity_lost", "mean")].to_numpy())]
    base = series[("production_baseline", "mean")].to_numpy()
    strike = series[("production_strike", "mean")].to_numpy()
    national = np.divide(strike, base, out=np.ones_like(base), where=base > 0)
    return [*lines, (NATIONAL_LABEL, national)]


HITS = ChartText("Weekly hits on energy infrastructure (mean)",
                 axis_label("time after the strike", "weeks"),
                 axis_label("hits on energy infrastructure", "hits/week"))
SUCCESS = ChartText("Chance of reaching the goal vs missiles per salvo",
                    axis_label("missiles per salvo", "missiles"),
                    axis_label("P(success)", "% of samples"))
COMPARE = ChartText("National production per day (P50)", DAY_AXIS,
                    axis_label("national production", "drones/day"))
RECORD_PRODUCTION = ChartText("Launch record and the model's baseline", "month",
                              axis_label("launches or output", "drones/day, log scale"))
RECORD_DEFEAT = ChartText("Share of launched UAVs shot down or suppressed", "month",
                          axis_label("shot down or suppressed", "share"))
TRADE_OFF = ChartText("When does it work? Each step of PRIM's peeling of the first box",
                      axis_label("coverage (successes inside / all successes)", "share"),
                      axis_label("density (successes / futures inside)", "share"))
SENSITIVITY_AXIS = ""  # the assumptions' axis of the tornado and Sobol charts: names suffice
SOBOL_AXIS = axis_label("share of the output's variance", "share")

# legend labels
NO_STRIKE_P50 = "No strike (P50)"
STRIKE_P50 = "After strike (P50)"
NO_STRIKE_MEAN = "No strike"
STRIKE_MEAN = "After strike"
TARGET_LABEL = "Stated target"
DEBATE_LABEL = f"{DEBATE_SALVO[0]}–{DEBATE_SALVO[1]} (public debate)"
SUCCESS_LABEL = "P(success)"
CONFIDENCE_LABEL = "Required confidence"
AT_LOW_LABEL = "At its low"
AT_HIGH_LABEL = "At its high"
FIRST_ORDER_LABEL = "First order S1 (alone)"
TOTAL_ORDER_LABEL = "Total order ST (with interactions)"
RECORD_LABEL = "Record: UAVs launched/day"
RECORD_EARLY_LABEL = "Record, not fitted"
FIT_LABEL = "Fitted path (90% band)"
SHAHED_FIT_LABEL = "Fitted × Shahed share"
BASELINE_LABEL = "Model baseline (Shahed-type)"
DEFEAT_RECORD_LABEL = "Record: share shot down or suppressed"
ESTIMATE_LABEL = "Public estimates, strike drones"
ESTIMATE_DECOYS_LABEL = "Public estimates incl. decoys"
TRAJECTORY_LABEL = "Each step of the peeling"
CHOSEN_BOX_LABEL = "The box shown"
BACKTEST_PATH_LABELS = {"trend": "Trend path (fitted up to the month before)",
                        "target": "Target path (climb to the stated target)"}
BACKTEST_BAND_NOTE = "bars: P10–P90, lines: P5–P95, ticks: P50"
BACKTEST_RECORD_LABEL = "Record: UAVs launched/day (decoys included)"


def backtest_text(horizon: int) -> ChartText:
    """Title and axes of the backtest chart: each origin's band ``horizon`` months ahead."""
    ahead = "one month" if horizon == 1 else f"{horizon} months"
    return ChartText(f"Backtest: each month projected {ahead} ahead vs the record", "month",
                     axis_label("UAVs launched", "UAVs/day"))


def defeat_fit_label(rate: float) -> str:
    return f"Fitted {rate:.3f} (90% band)"


def scenario_rate_label(rate: float) -> str:
    return f"Scenario defeat rate {rate:.2f}"


def goal_text(objective: str, at_least: float, confidence: float) -> str:
    """The solver's goal in words, e.g. ``Plant capacity lost … ≥ 50.0% with ≥ 80% confidence``."""
    spec = OUTPUTS[objective]
    return f"{spec.label} ≥ {format_value(at_least, spec.unit)} with ≥ {confidence:.0%} confidence"


def tornado_title(output: str, central: float) -> str:
    """Title of the tornado chart of ``output`` around its central value."""
    spec = OUTPUTS[output]
    return f"What matters most: {spec.label} (central {format_value(central, spec.unit)})"


def sobol_title(output: str, samples: int, confidence_level: float = 0.95) -> str:
    """Title of the Sobol chart of ``output`` from ``samples`` base samples, with intervals
    at ``confidence_level`` (a fraction)."""
    return (f"Sobol indices: {OUTPUTS[output].label} ({samples:,} base samples, "
            f"{confidence_level:.0%} intervals)")


def value_tick_format(unit: str, span: float) -> str:
    """d3 tick format of a value axis in ``unit`` whose data spans ``span``."""
    if unit in ("share", "probability"):
        return ".0%"
    if unit == "USD":
        return "$~s"
    return ",.0f" if span >= 10 else ",.3~g"


# --- messages (HTML) -------------------------------------------------------------------------
def error_html(message: str) -> str:
    """A refused input or failed action, escaped: ``⚠ message`` in the error colour."""
    return f'<span style="color:{ERROR}">⚠ {escape(message)}</span>'


def status_html(message: str, error: bool = False) -> str:
    """A status line: what was done, or (``error``) why it was not."""
    return error_html(message) if error else f'<span style="color:{OK}">{escape(message)}</span>'


# --- static figures (matplotlib) -------------------------------------------------------------
def new_axes(text: ChartText):
    """A titled, labelled, gridded figure and its axes: the size and style of every static
    chart.

    A bare ``Figure``: no pyplot state and no backend switch (so a brief exported from
    the app leaves the kernel's matplotlib alone), shown inline by notebooks.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.3))
    ax = fig.add_subplot()
    ax.set_title(text.title, fontsize=11)
    ax.set_xlabel(text.x_label)
    ax.set_ylabel(text.y_label)
    ax.grid(alpha=0.3)
    return fig, ax


def percent_ticks():
    """A tick formatter of shares as whole percentages (0.8 → ``80%``)."""
    from matplotlib.ticker import PercentFormatter

    return PercentFormatter(xmax=1.0, decimals=0)


LEGEND_GAP = 4.0  # points between the x axis' label (or tick labels) and a legend below


def legend_below(ax, fontsize: float = 8, last: tuple[str, ...] = (), **options):
    """The legend of ``ax`` below its x axis (under the tick labels and the axis label), so
    it never covers data: as many columns as fit the axes' width, no frame. Call it once
    everything is drawn (after ``autofmt_xdate``): it measures the axes' decorations.
    Entries labelled as in ``last`` go last; ``options`` go to ``Axes.legend`` (e.g.
    ``title``). Returns the legend."""
    fig = ax.figure
    renderer = _renderer(fig)
    entries = sorted(zip(*ax.get_legend_handles_labels(), strict=True),
                     key=lambda entry: entry[1] in last)
    handles, labels = [h for h, _ in entries], [label for _, label in entries]
    plot = ax.get_window_extent(renderer)
    bottom = ax.get_tightbbox(renderer).y0 - LEGEND_GAP * fig.dpi / 72
    anchor = (0.5, (bottom - plot.y0) / plot.height)
    legend = None
    for columns in range(len(handles), 0, -1):
        if legend is not None:
            legend.remove()
        # matplotlib fills a legend column by column: reorder so it reads row by row
        order = [i for column in range(columns) for i in range(column, len(handles), columns)]
        legend = ax.legend([handles[i] for i in order], [labels[i] for i in order],
                           loc="upper center", bbox_to_anchor=anchor, ncol=columns,
                           fontsize=fontsize, frameon=False, borderaxespad=0, **options)
        if legend.get_window_extent(renderer).width <= plot.width:
            break
    return legend


def _renderer(fig):
    """A renderer to measure ``fig``'s text (an Agg canvas attached if it has none)."""
    if not hasattr(fig.canvas, "get_renderer"):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def chart_description(fig) -> str:
    """What a static chart shows, in words (:func:`describe_chart` of its title, axis labels
    and legend)."""
    ax = fig.axes[0]
    legend = ax.get_legend()
    entries = [text.get_text() for text in legend.get_texts()] if legend is not None else []
    return describe_chart(ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), entries)


def svg(fig) -> str:
    """``fig`` as inline SVG: text stays text (no embedded fonts), no XML prolog; an image
    to assistive technology (``role="img"``), named by its :func:`chart_description` (an
    ``aria-label`` and a ``<title>``)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    label = escape(chart_description(fig))
    head = text.index(">") + 1
    return (text[:head - 1] + f' role="img" aria-label="{label}">'
            f"<title>{label}</title>" + text[head:])


#: what each stock policy does, in words (the app's headline and the brief)
POLICY_TEXT = {
    "drawdown": "the stock is drawn down and not rebuilt",
    "hold": "the stock is held back: launches fall with output",
    "rebuild": "the stock is drawn down, then rebuilt from a share of output",
}


SYSTEM_CAPACITY_LABEL = "Listed sites' output lost (first salvo)"


def output_label(name: str, scenario: Scenario) -> str:
    """An output's label for ``scenario``: a system's capacity loss is its listed sites'."""
    if name == "capacity_loss" and scenario.system is not None:
        return SYSTEM_CAPACITY_LABEL
    return OUTPUTS[name].label


def plan_summary(scenario: Scenario) -> str:
    """A scenario's plan in words: "3 salvos: day 0 (24), day 35 (12), day 70 (12)"."""
    salvos = scenario.plan
    days = ", ".join(f"day {s.day} ({s.total:,})" for s in salvos)
    return f"{len(salvos)} salvo{'s' if len(salvos) != 1 else ''}: {days}"


def path_text(scenario: Scenario) -> str:
    """The production path a scenario assumes, in words."""
    path = scenario.central("production_path")
    if path == "trend":
        return ("production follows the trend fitted to the launch record, from "
                f"{scenario.central('production_now'):g} drones/day on day 0")
    if path == "target":
        return (f"production climbs from {scenario.central('production_now'):g} to the stated "
                f"{scenario.central('production_target'):g} drones/day over "
                f"{scenario.central('ramp_days'):g} days")
    points = scenario.central("production_points")
    return f"production follows a custom path of {len(points)} points ({points_text(points)})"


#: the path drawn faintly beside the chosen one on the production chart
OTHER_PATH = {"trend": "target", "target": "trend", "custom": "trend"}


@dataclass(frozen=True)
class OtherPath:
    """The no-strike production of the path not chosen (central values) [drones/day]."""

    name: str
    days: np.ndarray
    production: np.ndarray

    @property
    def label(self) -> str:
        return f"{self.name.capitalize()} path, no strike (faint)"


def other_path(scenario: Scenario) -> OtherPath:
    """The production path the scenario does not follow, for comparison on the chart: the
    stated climb beside the trend, the trend beside the climb or a custom table. A direct
    deterministic run of the scenario with that path (its no-strike series)."""
    name = OTHER_PATH[scenario.central("production_path")]
    # the no-strike path depends on these alone: a slider elsewhere reuses the last run
    key = (name, *(scenario.central(n) for n in _OTHER_PATH_INPUTS),
           tuple(trend_fit().central()))
    if _LAST_OTHER_PATH.get("key") != key:
        result = simulate(scenario.with_values(production_path=name), samples=0, series=True,
                          bands=())
        series = result.series[("production_baseline", "mean")]
        _LAST_OTHER_PATH.update(key=key, path=OtherPath(
            name, series.index.to_numpy(dtype=float), series.to_numpy()))
    return _LAST_OTHER_PATH["path"]


#: what the no-strike production path reads, besides the fit to the record in use
_OTHER_PATH_INPUTS = ("production_now", "production_target", "ramp_days", "ramp_shape",
                      "production_points", "horizon_days")
_LAST_OTHER_PATH: dict = {}
