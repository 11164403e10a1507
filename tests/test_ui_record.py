"""The "Record vs model" panel: record and fits drawn once, the scenario's marks live."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("bqplot")

from whatif.calibrate import calibrate, model_baseline  # noqa: E402
from whatif.scenario import Scenario  # noqa: E402
from whatif.ui.record import RecordPanel  # noqa: E402
from whatif.views.record import check_html  # noqa: E402


@pytest.fixture(scope="module")
def panel() -> RecordPanel:
    return RecordPanel()


def test_record_and_fit_are_drawn(panel):
    record = panel.calibration.record
    assert len(panel.record_points.x) == len(record) == 40
    np.testing.assert_allclose(panel.record_points.y, record["uav_per_day"])
    assert str(panel.record_points.x[0])[:10] == "2022-09-29"  # mid-point of the 3 days covered
    estimate = panel.calibration.production_now
    np.testing.assert_allclose(panel.estimate_bar.y, [estimate.low, estimate.high])
    assert panel.shahed_line.y[-1] == pytest.approx(estimate.value)
    rate = panel.calibration.defeat_rate
    np.testing.assert_allclose(panel.defeat_fit.y, [rate.value, rate.value])


def test_update_moves_the_scenario_marks_and_the_check(panel):
    scenario = Scenario.default()
    panel.update(scenario)
    values = {n: scenario.central(n) for n in ("production_now", "production_target", "ramp_days",
                                               "ramp_shape", "production_path",
                                               "production_points")}
    expected = model_baseline(values, np.arange(180.0))
    np.testing.assert_allclose(panel.baseline.y, expected)
    assert len(panel.baseline.x) == 180 and str(panel.baseline.x[0])[:10] == "2026-01-01"
    assert list(panel.defeat_model.y) == [0.86, 0.86]
    assert panel.check.value.count("inside the fit") == 2

    changed = scenario.with_values(production_now=150, defeat_rate=0.95, ramp_days=0,
                                   horizon_days=90, production_path="target")
    panel.update(changed)
    np.testing.assert_allclose(panel.baseline.y, np.full(90, 150.0))
    assert list(panel.defeat_model.y) == [0.95, 0.95]
    assert panel.check.value.count("outside the fit") == 2
    panel.update(scenario)


def test_check_html_escapes_and_formats():
    calibration = calibrate()
    html = check_html(calibration.check({"production_now": 99, "defeat_rate": 0.86}))
    assert "<td>99</td>" in html and "<td>86.0%</td>" in html
    assert "83.8 – 117" in html and "83.3% – 88.7%" in html
    assert "<th>verdict</th>" in html and "<th></th>" not in html  # (axe: empty-table-header)


def test_app_has_a_live_record_tab(tmp_path):
    from whatif.ui.app import WhatifApp

    app = WhatifApp(immediate=True, save_dir=tmp_path)
    app.set_value("production_path", "target")  # the stated climb (the default is the trend)
    assert app.tabs.titles[-1] == "Record vs model"
    assert app.tabs.children[-1] is app.record_panel.widget
    assert app.record_panel.baseline.y[0] == pytest.approx(99 + (1000 - 99) * 0.5 / 365)
    app.set_value("production_now", 160.0)
    assert app.record_panel.baseline.y[0] == pytest.approx(160 + (1000 - 160) * 0.5 / 365)
    assert "outside the fit" in app.record_panel.check.value
    app.set_value("production_now", -5.0)  # refused beside the control: last good state kept
    assert app.record_panel.baseline.y[0] == pytest.approx(160 + (1000 - 160) * 0.5 / 365)


def test_record_tab_draws_the_backtest_on_first_showing(tmp_path):
    from whatif.backtest import backtest_bands
    from whatif.ui.app import WhatifApp
    from whatif.views.record import APP_BACKTEST_SAMPLES

    app = WhatifApp(immediate=True, save_dir=tmp_path)
    panel = app.record_panel
    assert not panel.backtest_shown and len(panel.backtest_record.x) == 0
    app.tabs.selected_index = app.tabs.children.index(panel.widget)
    assert panel.backtest_shown
    bands = backtest_bands(horizons=(1,), samples=APP_BACKTEST_SAMPLES, defeat=False)
    for path in ("trend", "target"):
        rows = bands[bands["path"] == path]
        wide, bars = panel.backtest_bars[path]
        np.testing.assert_array_equal(bars.y, rows[["p10", "p90"]].to_numpy())
        np.testing.assert_array_equal(wide.y, rows[["p5", "p95"]].to_numpy())
        assert len(bars.x) == len(rows) == 12
    observed = bands.drop_duplicates("month")["observed"].to_numpy()
    np.testing.assert_array_equal(panel.backtest_record.y, observed)
    note = panel.backtest_note.value
    assert "from 2024-12 on" in note and "12 origins" in note and "trend path: " in note


def test_backtest_chart_has_one_legend_entry_per_path_outside_the_plot():
    from whatif import presentation as look
    from whatif.ui.record import RecordPanel

    panel = RecordPanel()
    panel.show_backtest()
    shown = [label for mark in panel.backtest_figure.marks if mark.display_legend
             for label in mark.labels]
    assert shown == [look.BACKTEST_PATH_LABELS["trend"], look.BACKTEST_PATH_LABELS["target"],
                     look.BACKTEST_RECORD_LABEL]
    # the legend is HTML below the chart (never on the bars), and no bar is cut off
    legend = panel.boxes[2].legend.value
    assert all(label in legend for label in shown)
    top = max(max(max(row) for row in panel.backtest_bars[p][0].y) for p in ("trend", "target"))
    assert panel.backtest_y.max >= top
