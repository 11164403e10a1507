"""The app without a browser: controls come from the registry, changes reach the marks.

As in bqplot's own tests, a control's value is set and the marks' data is compared with
what the model says for the same scenario.
"""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pandas as pd
import pytest
import yaml

from whatif.engine import missiles_needed, simulate
from whatif.exports import samples_table
from whatif.params import GROUPS, REGISTRY
from whatif.scenario import Scenario
from whatif.sensitivity import sobol
from whatif.ui import WhatifApp, headline_text
from whatif.ui.controls import ParameterControl
from whatif.views.controls import tooltip
from whatif.views.run import CHART_BANDS


@pytest.fixture()
def app(tmp_path):
    return WhatifApp(immediate=True, save_dir=tmp_path / "saved")


def _run_like_app(scenario, samples=0, seed=0):
    result = simulate(scenario, samples=samples, seed=seed, series=True, bands=CHART_BANDS)
    solve = missiles_needed(scenario, "capacity_loss", 0.5, 0.8, samples=samples, seed=seed)
    return result, solve


def test_every_parameter_has_a_control_in_its_group(app):
    assert set(app.controls) == set(REGISTRY)
    titles = [app.accordion.get_title(i) for i in range(len(app.accordion.children))]
    assert titles == [*GROUPS, "Uncertainty"]
    for group, box in zip(GROUPS, app.accordion.children, strict=False):
        names = {c.parameter.name for c in box.children}
        assert names == {n for n, p in REGISTRY.items() if p.group == group}


def test_control_shows_label_unit_and_source_tooltip():
    p = REGISTRY["launch_reliability"]
    control = ParameterControl(p, lambda *a: None)
    assert p.label in control.label.value and "[probability]" in control.label.value
    assert p.source[:30].replace("&", "&amp;") in control.label.value  # in the hover text
    assert control.input.tooltip == tooltip(p) and "Source:" in tooltip(p)
    assert (control.input.min, control.input.max) == (0.0, 1.0)
    assert control.text.value == "0.9"


def test_slider_defaults_are_on_the_slider_grid(app):
    for name, control in app.controls.items():
        step = getattr(control.input, "step", None)
        if step is None:
            continue
        central = REGISTRY[name].default.central
        k = (central - control.input.min) / step
        assert abs(k - round(k)) < 1e-9, name


def test_defaults_headline_matches_the_model(app):
    result, solve = _run_like_app(Scenario.from_yaml("data/scenarios/baseline.yaml"))
    shown = headline_text(app)
    assert shown["capacity_loss"] == "66.1%"
    assert shown["missiles_needed"] == str(solve.missiles_needed)
    assert shown["days_disrupted"] == "47"
    assert "66.1%" in app.headline.value
    # the stockpile absorbs the deterministic loss: no hits averted, and the card says why
    assert shown["energy_hits_averted"] == "0"
    assert "30-day stock of finished drones covers the lost output" in app.headline.value
    assert "see hits deferred" in app.headline.value
    app.set_value("stockpile_days", 0.0)
    assert headline_text(app)["energy_hits_averted"] != "0"
    assert "stockpile of finished drones covers" not in app.headline.value


def test_slider_move_updates_headline_and_marks(app):
    before_lines = np.array(app.production_chart.lines.y).copy()
    figure = app.production_chart.figure
    app.controls["missiles"].input.value = 60  # as a drag would
    assert app.scenario.central("missiles") == 60
    assert app.controls["missiles"].text.value == "60"
    result, solve = _run_like_app(app.scenario)
    assert headline_text(app)["capacity_loss"] == "92.8%"
    lines = np.array(app.production_chart.lines.y)
    np.testing.assert_allclose(lines[1], result.series[("production_strike", "p50")])
    assert not np.allclose(lines, before_lines)
    assert app.production_chart.figure is figure  # updated in place, never rebuilt
    np.testing.assert_allclose(app.success_chart.curve.y, solve.curve["probability"])
    np.testing.assert_allclose(app.grid_chart.lines.y[1],
                               result.series[("grid_damaged_strike", "p50")] / 1000)


def test_typed_out_of_range_value_shows_error_and_keeps_state(app):
    control = app.controls["launch_reliability"]
    before = headline_text(app)
    control.text.value = "1.5"
    assert ("launch_reliability" in control.error.value
            and "0 to 1 probability" in control.error.value)
    assert app.scenario.values["launch_reliability"].central == 0.9
    assert control.input.value == 0.9
    assert headline_text(app) == before
    control.text.value = "abc"
    assert "not a number" in control.error.value
    control.text.value = "0.8"
    assert control.error.value == ""
    assert control.input.value == 0.8 and app.scenario.central("launch_reliability") == 0.8
    assert headline_text(app) != before


def test_typed_value_beyond_slider_span_stretches_it(app):
    control = app.controls["missile_unit_cost"]
    control.text.value = "50000000"
    assert control.error.value == ""
    assert control.input.max >= 5e7 and app.scenario.central("missile_unit_cost") == 5e7


def test_bad_stages_text_shows_error(app):
    control = app.controls["stages"]
    control.input.value = "airframes:0"
    assert "stages" in control.error.value and "1 to 500 aimpoints" in control.error.value
    assert [s.aimpoints for s in app.scenario.stages] == [8, 4, 8]
    control.input.value = "plant:10"
    assert control.error.value == "" and [s.aimpoints for s in app.scenario.stages] == [10]


def test_monte_carlo_mode_shows_ranges(app):
    app.mode.value = "mc"
    assert app.result.samples == 2000
    assert "P10–P90" in app.headline.value
    assert "drawn triangular 30–365" in app.controls["repair_days"].range_note.value
    assert "allowed 1 to 1095 days" in app.controls["repair_days"].range_note.value
    band = np.array(app.production_chart.strike_band.y)
    assert (band[1] >= band[0]).all() and (band[1] > band[0]).any()
    app.mode.value = "point"
    assert "drawn" not in app.controls["repair_days"].range_note.value
    assert "allowed 1 to 1095 days" in app.controls["repair_days"].range_note.value


def test_settings_change_the_goal(app):
    app.at_least.value = "0.9"
    assert "90.0%" in app.headline.value
    app.at_least.value = "2"
    assert "at_least" in app.at_least_error.value and "0 to 1 share" in app.at_least_error.value
    assert app.solve.at_least == 0.9
    app.confidence.value = 0.95
    assert app.solve.confidence == 0.95


def test_load_bad_and_good_yaml(app, tmp_path):
    before = headline_text(app)
    assert not app.load_text(b"assumptions: {missiles: [30, 40", "broken.yaml")
    assert "malformed YAML" in app.status.value and "broken.yaml" in app.status.value
    assert not app.load_text(b"assumptions:\n  missiles: -1\n", "bad.yaml")
    assert "missiles" in app.status.value and "1 to 1000 missiles" in app.status.value
    assert headline_text(app) == before
    good = b"title: Big salvo\nassumptions:\n  missiles: 120\n"
    assert app.load_text(good, "good.yaml")
    assert app.scenario.central("missiles") == 120 and app.controls["missiles"].input.value == 120
    assert "Big salvo" in app.title.value


def test_upload_widget_loads_a_file(app):
    import datetime

    app.upload.value = ({"name": "up.yaml", "type": "", "size": 30,
                         "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
                         "content": memoryview(b"title: Uploaded\nassumptions: {missiles: 45}\n")},)
    assert app.scenario.title == "Uploaded" and app.scenario.central("missiles") == 45
    assert app.upload.value == ()  # cleared: the same file can be chosen again


def test_scenario_picker_and_reset(app):
    app.scenario_picker.value = "kagan-optimistic.yaml"
    assert app.scenario.title.startswith("25–30 missiles")
    assert app.scenario.central("allocation") == "bottleneck"
    assert app.controls["allocation"].input.value == "bottleneck"
    assert headline_text(app)["capacity_loss"] != "66.1%"
    app.reset_button.click()
    assert app.scenario.central("allocation") == "even"
    assert headline_text(app)["capacity_loss"] == "66.1%"
    assert "reset" in app.status.value and "Defaults" in app.title.value


def test_save_writes_yaml_that_loads_back(app, tmp_path):
    app.set_value("missiles", 44)
    app.save_name.value = "My test scenario"
    path = app.save()
    assert path == tmp_path / "saved" / "my-test-scenario.yaml"
    data = yaml.safe_load(path.read_text())
    assert data["title"] == "My test scenario"
    back = Scenario.from_yaml(path)
    assert dict(back.values) == dict(app.scenario.values)
    assert "download=" in app.download.value and "base64," in app.download.value
    assert "saved/my-test-scenario.yaml" in app.scenario_picker.options


def test_compare_two_scenarios(app):
    app.compare_a.value = "baseline.yaml"
    app.compare_b.value = "kagan-optimistic.yaml"
    app.compare()
    table = app.compare_table.value
    assert "Baseline" in table and "favourable" in table
    assert table.count("<tr>") == 9  # header + 8 headline figures
    a = simulate(Scenario.from_yaml("data/scenarios/baseline.yaml"), samples=0, series=True)
    b = simulate(Scenario.from_yaml("data/scenarios/kagan-optimistic.yaml"), samples=0, series=True)
    lines = np.array(app.compare_chart.lines.y)
    np.testing.assert_allclose(lines[1], a.series[("production_strike", "p50")])
    np.testing.assert_allclose(lines[2], b.series[("production_strike", "p50")])


def test_what_matters_most_tab_is_live(app):
    from whatif.sensitivity import tornado

    bars = app.tornado_chart
    assert list(bars.low.x[:2]) == ["repair_days", "restrikes"]
    expected = tornado(app.scenario, "drones_denied")
    np.testing.assert_allclose(bars.high.y, expected["output_at_high"].head(12))
    assert bars.low.base == pytest.approx(expected.attrs["central"])
    app.sensitivity_output.value = "capacity_loss"
    assert list(bars.low.x[:2]) == ["allocation", "aimpoint_kill_probability"]
    assert "66.1%" in bars.figure.title
    app.set_value("aimpoint_kill_probability", 0.9)  # a slider move redraws it
    assert "79.7%" in bars.figure.title


def _sobol_bars(app) -> pd.DataFrame:
    """The Sobol chart as drawn: parameter → first and total order with their intervals
    (the bars, at the positions the axis names, and the whiskers' ends)."""
    chart = app.sobol_chart
    labels = chart.position_axis.tick_labels
    names = [labels[str(int(i))] for i in chart.position_axis.tick_values]
    n = len(names)
    y = np.array(chart.bars.y)
    assert list(chart.bars.x) == list(range(n + 1)) and (y[:, n] == 0).all()  # + a spacer
    ends = np.array(chart.intervals.x).reshape(2 * n, 9)[:, :2]  # S1 whiskers, then ST
    return pd.DataFrame({"parameter": names,
                         "first_order": y[0, :n], "first_order_low": ends[:n, 0],
                         "first_order_high": ends[:n, 1],
                         "total_order": y[1, :n], "total_order_low": ends[n:, 0],
                         "total_order_high": ends[n:, 1]})


def test_sobol_chart_is_computed_when_its_tab_is_shown(app):
    assert app.sobol_indices is None  # hidden: not computed, so the other charts stay fast
    app.tabs.selected_index = 1
    expected = sobol(app.scenario, "drones_denied", samples=1024, seed=0)
    pd.testing.assert_frame_equal(app.sobol_indices, expected)
    pd.testing.assert_frame_equal(_sobol_bars(app), expected.head(12))
    assert app.sobol_samples.value == 1024 and "1,024 base samples" in app.sobol_chart.figure.title
    assert "95% intervals" in app.sobol_chart.figure.title
    note = app.matters.children[3].value
    assert "S1" in note and "ST" in note and "95% confidence intervals" in note
    assert "slightly negative" not in note
    assert _sobol_bars(app)["parameter"].iloc[0] == "repair_days"


def test_sobol_chart_follows_inputs_output_samples_and_seed(app):
    app.tabs.selected_index = 1
    before = app.sobol_indices
    app.set_value("repair_days", 200.0)  # shifts the triangular 30–60–365 to 170–200–505
    expected = sobol(app.scenario, "drones_denied", samples=1024, seed=0)
    pd.testing.assert_frame_equal(app.sobol_indices, expected)
    pd.testing.assert_frame_equal(_sobol_bars(app), expected.head(12))
    merged = before.merge(app.sobol_indices, on="parameter")
    assert not np.allclose(merged["total_order_x"], merged["total_order_y"], atol=1e-3)
    app.sensitivity_output.value = "capacity_loss"
    expected = sobol(app.scenario, "capacity_loss", samples=1024, seed=0)
    pd.testing.assert_frame_equal(app.sobol_indices, expected)
    assert expected["parameter"].iloc[0] == "aimpoint_kill_probability"
    assert "Plant capacity lost" in app.sobol_chart.figure.title
    app.sobol_samples.value = 256
    pd.testing.assert_frame_equal(app.sobol_indices,
                                  sobol(app.scenario, "capacity_loss", samples=256, seed=0))
    app.seed.value = 7
    pd.testing.assert_frame_equal(app.sobol_indices,
                                  sobol(app.scenario, "capacity_loss", samples=256, seed=7))


def test_sobol_chart_keeps_last_good_state_on_bad_input(app):
    app.tabs.selected_index = 1
    shown = app.sobol_indices
    control = app.controls["repair_days"]
    control.text.value = "5000"  # beyond 1 to 1095 days
    assert "repair_days" in control.error.value and "1 to 1095 days" in control.error.value
    assert app.sobol_indices is shown
    pd.testing.assert_frame_equal(_sobol_bars(app), shown.head(12))


def test_sobol_chart_says_why_when_nothing_is_uncertain(app):
    fixed = {n: p.default.central for n, p in REGISTRY.items() if p.is_numeric}
    app.load(Scenario.default().with_values(**fixed))
    app.tabs.selected_index = 1
    assert app.sobol_indices is None and list(app.sobol_chart.bars.x) == []
    assert len(app.sobol_chart.position_axis.tick_values) == 0
    # no number has a range either: only the choices keep a bar (central vs the other)
    assert set(app.tornado_chart.low.x) == {"allocation", "ramp_shape", "recovery",
                                            "production_path", "stock_policy"}
    assert "no assumption is uncertain" in app.sobol_error.value
    app.reset()  # uncertain again: the message goes, the bars come back
    assert app.sobol_error.value == "" and _sobol_bars(app)["parameter"].iloc[0] == "repair_days"


def test_sobol_while_hidden_is_only_marked_stale(app):
    app.tabs.selected_index = 1
    app.tabs.selected_index = 0
    shown = app.sobol_indices
    app.set_value("missiles", 60)
    assert app.sobol_indices is shown  # hidden: not recomputed yet
    app.tabs.selected_index = 1
    pd.testing.assert_frame_equal(app.sobol_indices,
                                  sobol(app.scenario, "drones_denied", samples=1024, seed=0))


def test_path_control_faint_other_path_and_day_zero_note(app):
    chart = app.production_chart
    assert app.controls["production_path"].input.value == "trend"
    assert list(chart.other.labels) == ["Target path, no strike (faint)"]
    assert chart.other.opacities[0] < 1 and len(chart.other.y) == 180
    assert app.path_note.value == ""
    app.set_value("production_path", "target")
    assert list(chart.other.labels) == ["Trend path, no strike (faint)"]
    app.set_value("production_now", 300)
    assert "outside the fit to the launch record" in app.path_note.value
    app.set_value("production_now", 99)
    assert app.path_note.value == ""
    # a custom table typed into its box; a bad one is refused beside the control
    control = app.controls["production_points"]
    app.set_value("production_path", "custom")
    control.input.value = "0:150; 90:150"
    assert app.scenario.central("production_points") == ((0.0, 150.0), (90.0, 150.0))
    assert "outside the fit" in app.path_note.value
    control.input.value = "0:5;0:6"
    assert "given twice" in control.error.value
    assert app.scenario.central("production_points") == ((0.0, 150.0), (90.0, 150.0))


def _linked_file(html: str) -> tuple[str, bytes]:
    """The file name and bytes of a download link (a data: URL)."""
    match = re.search(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', html)
    return match.group(1), base64.b64decode(match.group(2))


def test_download_samples_offers_the_run_on_screen(app):

    app.mode.value = "mc"
    app.samples.value = 500
    app.samples_button.click()
    name, data = _linked_file(app.download.value)
    assert name == "baseline-public-figure-defaults-samples.csv"
    table = pd.read_csv(io.BytesIO(data))
    pd.testing.assert_frame_equal(table, samples_table(app.result), check_exact=True)
    expected = simulate(app.scenario, samples=500, seed=0)
    np.testing.assert_array_equal(table[list(expected.outputs)], expected.outputs)
    np.testing.assert_array_equal(table[list(expected.inputs)], expected.inputs)
    assert "500 rows" in app.status.value and "kB" in app.status.value
    app.samples_format.value = ".xlsx"
    app.set_value("missiles", 44)  # the link follows the run on screen
    app.samples_button.click()
    name, data = _linked_file(app.download.value)
    assert name.endswith("-samples.xlsx")
    sheet = pd.read_excel(io.BytesIO(data), sheet_name="samples")
    assert len(sheet) == 500 and (sheet["missiles"] == 44).all()


def test_compare_table_export(app):
    assert app.compare_export_button.disabled  # nothing compared yet
    app.compare_a.value = "baseline.yaml"
    app.compare_b.value = "kagan-optimistic.yaml"
    app.compare()
    assert not app.compare_export_button.disabled
    app.compare_export_button.click()
    name, data = _linked_file(app.compare_download.value)
    assert name.startswith("compare-baseline-") and name.endswith(".csv")
    table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    assert len(table) == app.compare_table.value.count("<tr>") - 1
    for shown in table[table.columns[3]]:  # "A: <title>": the values on screen
        assert f"<b>{shown}</b>" in app.compare_table.value
    assert table.columns[5].startswith("B: ") and "favourable" in table.columns[5]
    app.compare_export_format.value = ".xlsx"
    app.compare_export_button.click()
    name, data = _linked_file(app.compare_download.value)
    sheet = pd.read_excel(io.BytesIO(data), sheet_name="compare")
    assert sheet["output"].tolist() == table["output"].tolist()
