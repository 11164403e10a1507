"""The app's "When does it work?" tab without a browser: nothing is computed until its button
is pressed; then the progress bar runs to its end, the chart's marks hold the first box's
peeling trajectory and the text shows the box, as a direct call of the views logic gives
them for the scenario on screen; a bad threshold is refused beside its control; the goal
follows the app's goal control; and the chart reads as the brief's static one."""

from __future__ import annotations

import re
from html import unescape

import numpy as np
import pytest
from matplotlib.colors import to_hex

from whatif import presentation as look
from whatif.figures import trade_off_figure
from whatif.params import NUMERIC
from whatif.ui import WhatifApp
from whatif.views.discovery import (
    FUTURES_CHOICES,
    TAB_SAMPLES,
    box_words,
    conditions,
    share_text,
    when_it_works,
)


@pytest.fixture()
def app(tmp_path):
    return WhatifApp(immediate=True, save_dir=tmp_path / "saved")


def _press(panel) -> list[tuple[int, int]]:
    """Press the button; the (value, max) the progress bar went through."""
    seen = []
    panel.progress.observe(lambda c: seen.append((c["new"], panel.progress.max)),
                           names="value")
    panel.button.click()
    return seen


def test_the_tab_exists_and_computes_nothing_until_pressed(app):
    panel = app.discovery_panel
    assert app.tabs.titles[app.tabs.children.index(panel)] == "When does it work?"
    assert app.tabs.titles[1] == "What matters most?"
    app.set_value("missiles", 40)  # a slider move
    app.tabs.selected_index = app.tabs.children.index(panel)  # opening the tab
    assert panel.found is None and panel.report.value == ""
    assert len(panel.chart.path.x) == 0 and panel.chart.figure.layout.visibility == "hidden"
    assert f"{TAB_SAMPLES:,} Monte Carlo samples" in panel.children[0].value
    assert panel.futures.value == FUTURES_CHOICES[0]


def test_pressing_the_button_shows_the_box_and_its_trade_off(app):
    panel = app.discovery_panel
    app.set_value("missiles", 20)
    panel.threshold.value = "0.6"
    seen = _press(panel)
    found = panel.found
    assert found is not None and found.box is not None
    # the progress bar: one step per chunk and one for the discovery, to its end
    assert seen[-1][0] == panel.progress.max == seen[-1][1] >= 5
    assert [value for value, _ in seen[1:]] == sorted(value for value, _ in seen[1:])
    # one truth: the views logic on the scenario on screen gives the same finding
    direct = when_it_works(app.scenario, "capacity_loss", 0.6, futures=FUTURES_CHOICES[0],
                           samples=TAB_SAMPLES, seed=0)
    assert direct.box.limits == found.box.limits
    assert direct.result.successes == found.result.successes
    trajectory = found.box.trajectory
    np.testing.assert_array_equal(panel.chart.path.x, [p.coverage for p in trajectory])
    np.testing.assert_array_equal(panel.chart.path.y, [p.density for p in trajectory])
    chosen = trajectory[found.box.point]
    assert list(panel.chart.chosen.x) == [chosen.coverage]
    assert list(panel.chart.chosen.y) == [chosen.density]
    assert panel.chart.figure.layout.visibility == "visible"
    report = unescape(panel.report.value)
    items = [unescape(i) for i in re.findall(r"<li>(.*?)</li>", panel.report.value)]
    assert items == conditions(found.result, found.box)
    assert share_text(found) in report and box_words(found.box) in report
    assert "400 futures × 200 samples = 80,000 model runs" in panel.status.value
    # a slider move afterwards: marked as out of date, not recomputed
    app.set_value("missiles", 60)
    assert panel.found is found and "have changed since" in panel.stale.value


def test_a_new_goal_reuses_the_futures(app, monkeypatch):
    panel = app.discovery_panel
    panel.button.click()
    first = panel.found
    import whatif.ui.discovery as tab

    monkeypatch.setattr(tab, "ensemble", lambda *a, **k: pytest.fail("ran the futures again"))
    panel.threshold.value = "0.9"
    panel.button.click()
    assert panel.found.ensemble is first.ensemble and panel.found.result.threshold == 0.9


def test_a_bad_threshold_is_refused_beside_it(app):
    panel = app.discovery_panel
    panel.button.click()
    shown = panel.found
    panel.threshold.value = "1.5"
    assert "out of range for capacity_loss; allowed 0 to 1 share" in panel.threshold_error.value
    panel.button.click()
    assert panel.found is shown  # nothing recomputed, the last finding kept
    panel.threshold.value = "0.5"
    assert panel.threshold_error.value == ""


def test_every_future_succeeds_says_so_instead_of_a_box(app):
    panel = app.discovery_panel
    panel.threshold.value = "0"
    panel.button.click()
    assert "The goal is met in every future" in panel.report.value
    assert "<li>" not in panel.report.value
    assert panel.chart.figure.layout.visibility == "hidden" and len(panel.chart.path.x) == 0


def test_nothing_uncertain_says_why(app):
    fixed = app.scenario.with_values(**{n: app.scenario.central(n) for n in NUMERIC})
    app.load(fixed)
    assert app.discovery_panel.compute() is None
    assert "No assumption of this scenario is uncertain" in app.discovery_panel.status.value


def test_the_goal_follows_the_apps_goal_control(app):
    panel = app.discovery_panel
    app.objective.value = "days_disrupted"
    app.at_least.value = "90"
    assert (panel.output.value, panel.threshold.value) == ("days_disrupted", "90")
    panel.threshold.value = "60"  # set here: kept while the app's goal stays
    app.confidence.value = 0.9
    assert panel.threshold.value == "60"


def test_the_chart_reads_as_the_briefs(app):
    panel = app.discovery_panel
    panel.threshold.value = "0.9"
    panel.button.click()
    figure = panel.chart.figure
    static = trade_off_figure(panel.found.box)
    ax = static.axes[0]
    assert (figure.title, figure.axes[0].label, figure.axes[1].label) == (
        ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == (
        look.TRADE_OFF.title, look.TRADE_OFF.x_label, look.TRADE_OFF.y_label)
    legend = {t.get_text(): to_hex(h.get_color())
              for h, t in zip(ax.get_legend().legend_handles, ax.get_legend().get_texts(),
                              strict=True)}
    marks = {mark.labels[0]: to_hex(mark.colors[0]) for mark in figure.marks}
    assert legend == marks == {look.TRAJECTORY_LABEL: to_hex(look.TRAJECTORY),
                               look.CHOSEN_BOX_LABEL: to_hex(look.CHOSEN_BOX)}
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), panel.chart.path.x)
    np.testing.assert_array_equal(line.get_ydata(), panel.chart.path.y)
