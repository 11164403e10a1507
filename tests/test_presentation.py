"""One presentation layer: the app's live charts and the brief's static charts take their
titles, axis labels, legend labels and colours from :mod:`whatif.presentation`, so the
same chart reads the same in both."""

from __future__ import annotations

import pytest

pytest.importorskip("bqplot")

from matplotlib.colors import to_hex  # noqa: E402

from whatif import brief, figures  # noqa: E402
from whatif import presentation as look  # noqa: E402
from whatif.calibrate import comparison  # noqa: E402
from whatif.engine import missiles_needed, simulate  # noqa: E402
from whatif.scenario import Scenario  # noqa: E402
from whatif.sensitivity import sobol, tornado  # noqa: E402
from whatif.ui.charts import (  # noqa: E402
    BandChart,
    SobolChart,
    SuccessChart,
    TornadoChart,
    WeeklyHitsChart,
)
from whatif.ui.record import RecordPanel  # noqa: E402


@pytest.fixture(scope="module")
def run():
    scenario = Scenario.default()
    result = simulate(scenario, samples=200, seed=3, series=True)
    solve = missiles_needed(scenario, "capacity_loss", 0.5, 0.8, samples=200, seed=3)
    return scenario, result, solve


@pytest.fixture
def static(monkeypatch):
    """The brief's chart functions, returning their matplotlib figure instead of its SVG."""
    monkeypatch.setattr(brief, "svg", lambda fig: fig)
    return brief


def app_text(figure) -> tuple[str, str, str]:
    """(title, x label, y label) of a bqplot figure (horizontal bars: the value axis is x)."""
    horizontal = any(getattr(m, "orientation", "") == "horizontal" for m in figure.marks)
    value, names = (figure.axes[1], figure.axes[0])
    x, y = (value, names) if horizontal else (figure.axes[0], figure.axes[1])
    return figure.title, x.label, y.label


def static_text(fig) -> tuple[str, str, str]:
    ax = fig.axes[0]
    return ax.get_title(), ax.get_xlabel(), ax.get_ylabel()


def app_legend(figure) -> dict[str, str]:
    """Legend label → colour (hex) of a bqplot figure's marks."""
    out = {}
    for mark in figure.marks:
        if mark.display_legend:
            for label, color in zip(mark.labels, mark.colors, strict=False):
                out[label] = to_hex(color)
    return out


def static_legend(fig) -> dict[str, str]:
    """Legend label → colour (hex) of a matplotlib figure's legend."""
    legend = fig.axes[0].get_legend()
    out = {}
    for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
        color = handle.get_color() if hasattr(handle, "get_xdata") else handle.get_facecolor()
        out[text.get_text()] = to_hex(color)
    return out


def assert_same(app_figure, static_figure, text: look.ChartText | None = None) -> None:
    assert app_text(app_figure) == static_text(static_figure)
    if text is not None:
        assert app_text(app_figure) == (text.title, text.x_label, text.y_label)
    assert app_legend(app_figure) == static_legend(static_figure)


def test_band_charts_match(run, static):
    scenario, result, _ = run
    other = look.other_path(scenario)
    chart = BandChart(look.PRODUCTION)
    chart.update(result, other)
    assert_same(chart.figure, static.production_svg(result, other), look.PRODUCTION.text)
    chart = BandChart(look.GRID)
    chart.update(result)
    assert_same(chart.figure, static.grid_svg(result), look.GRID.text)
    production = app_legend(chart_of(look.PRODUCTION, result, other).figure)
    assert production == {look.NO_STRIKE_P50: look.NO_STRIKE, look.STRIKE_P50: look.STRIKE,
                          other.label: look.NO_STRIKE, look.TARGET_LABEL: to_hex(look.TARGET)}
    assert other.label == "Target path, no strike (faint)"  # the defaults follow the trend


def chart_of(spec, result, other=None):
    chart = BandChart(spec)
    chart.update(result, other)
    return chart


def test_hits_and_success_charts_match(run, static):
    _, result, solve = run
    hits = WeeklyHitsChart()
    hits.update(result)
    assert_same(hits.figure, static.hits_svg(result), look.HITS)
    success = SuccessChart()
    success.update(solve)
    assert_same(success.figure, static.success_svg(solve), look.SUCCESS)
    assert app_legend(success.figure)[look.DEBATE_LABEL] == look.DEBATE == look.YELLOW
    assert look.DEBATE_LABEL == "25–30 (public debate)"


def test_tornado_and_sobol_charts_match(run, static):
    scenario = run[0]
    frame = tornado(scenario, "capacity_loss")
    chart = TornadoChart()
    chart.update(frame, "capacity_loss")
    drawn = static.tornado_svg(frame, "capacity_loss")
    assert_same(chart.figure, drawn)
    assert chart.figure.title == "What matters most: Plant capacity lost (first salvo) " \
                                 "(central 66.1%)"
    assert drawn.axes[0].get_xlabel() == "Plant capacity lost (first salvo) [share]"

    indices = sobol(scenario, "drones_denied", samples=256, seed=0)
    chart = SobolChart()
    chart.update(indices, "drones_denied", 256)
    assert_same(chart.figure, static.sobol_svg(indices, "drones_denied", 256))
    assert chart.figure.title == "Sobol indices: Drones denied over the horizon " \
                                 "(256 base samples, 95% intervals)"
    legend = app_legend(chart.figure)
    assert legend[look.FIRST_ORDER_LABEL] == look.FIRST_ORDER
    assert legend[look.TOTAL_ORDER_LABEL] == look.TOTAL_ORDER


def test_record_charts_match():
    panel = RecordPanel()
    scenario = Scenario.default()
    panel.update(scenario)
    frames = comparison(panel.calibration, scenario, 180)
    production = figures.record_production_figure(frames, panel.calibration)
    assert app_text(panel.production_figure) == static_text(production)
    assert static_text(production)[0] == look.RECORD_PRODUCTION.title
    # the static chart also shows the months before the fit's window, apart
    app, drawn = app_legend(panel.production_figure), static_legend(production)
    assert app.items() <= drawn.items()
    assert app[look.BASELINE_LABEL] == look.SCENARIO
    assert set(drawn) - set(app) == {f"{look.RECORD_EARLY_LABEL} (before 2024-01)"}

    defeat = figures.record_defeat_figure(frames, panel.calibration, 0.86)
    assert_same(panel.defeat_figure, defeat, look.RECORD_DEFEAT)
    assert look.scenario_rate_label(0.86) in app_legend(panel.defeat_figure)


def test_the_brief_shows_the_app_titles(run):
    _, result, solve = run
    svgs = brief.production_svg(result) + brief.success_svg(solve) + brief.hits_svg(result)
    for title in (look.PRODUCTION.text.title, look.SUCCESS.title, look.HITS.title):
        assert f">{title}</text>" in svgs  # text, not paths
    assert look.STRIKE in svgs and look.NO_STRIKE in svgs
