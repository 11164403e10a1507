"""The app's Plan tab without a browser: the tables show the scenario's sites and salvos,
applying them changes the scenario and every figure, a refused table says why beside it
and changes nothing, the optimiser's best plan can be taken, and the chart is the model's."""

from __future__ import annotations

import numpy as np
import pytest

from whatif import presentation as look
from whatif.engine import simulate
from whatif.optimise import optimise_plan
from whatif.resources import scenario_path
from whatif.scenario import Scenario
from whatif.ui import WhatifApp, headline_text
from whatif.views.run import CHART_BANDS


@pytest.fixture()
def app(tmp_path):
    app = WhatifApp(Scenario.from_yaml(scenario_path("system-two-lines")), immediate=True,
                    save_dir=tmp_path / "saved")
    return app


def test_the_tables_show_the_scenarios_sites_and_salvos(app):
    panel = app.plan_panel
    assert app.tabs.titles[app.tabs.children.index(panel)] == "Plan"
    rows = panel.site_rows()
    assert [r.name for r in rows] == ["line-a", "line-b", "engines"]
    assert rows[2].role == "component" and rows[2].share_or_supplies == "line-a, line-b"
    assert "defense_engagements={low: 0, mode: 4, high: 10, dist: triangular}" in rows[2].overrides
    assert panel.salvo_rows() == [(0, {"line-a": 21, "line-b": 9, "engines": 0})]
    assert panel.use_inventory.value and panel.on_hand.value == 30
    headline = headline_text(app)
    assert headline["missiles_needed"] == "30"


def test_the_chart_is_the_models_site_lines(app):
    expected = simulate(app.scenario, samples=0, seed=0, series=True, bands=CHART_BANDS)
    lines = look.site_lines(expected)
    marks = app.plan_panel.chart.lines
    assert list(marks.labels) == [label for label, _ in lines]
    np.testing.assert_array_equal(np.asarray(marks.y), np.vstack([v for _, v in lines]))


def test_applying_an_edited_salvo_changes_the_figures(app):
    before = app.result.summary.loc["capacity_loss", "p50"]
    salvo = app.plan_panel.salvo_box.children[0]
    salvo.counts["engines"].value = 6
    salvo.counts["line-a"].value = 15
    assert app.plan_panel.apply()
    plan = app.scenario.plan_dict()["plan"]
    assert plan == [{"day": 0, "missiles": {"line-a": 15, "line-b": 9, "engines": 6}}]
    direct = simulate(app.scenario, samples=0, seed=0)
    after = app.result.summary.loc["capacity_loss", "p50"]
    assert after == direct.summary.loc["capacity_loss", "p50"] and after != before


def test_a_refused_table_says_why_and_changes_nothing(app):
    scenario = app.scenario
    editor = app.plan_panel.site_box.children[2]
    editor.feeds.value = "line-a, nowhere"
    assert not app.plan_panel.apply()
    assert "supplies nowhere, which is not a listed site" in app.plan_panel.message.value
    assert app.scenario is scenario
    salvo = app.plan_panel.salvo_box.children[0]
    editor.feeds.value = "line-a, line-b"
    salvo.counts["line-a"].value = 40  # 49 missiles with 30 in hand
    assert not app.plan_panel.apply()
    assert "fires 49 missiles but 30 are in hand; 19 short" in app.plan_panel.message.value
    assert app.scenario is scenario


def test_optimise_then_use_the_best_plan(app):
    panel = app.plan_panel
    panel.missiles.value = 12
    panel.samples.value = 0
    result = panel.optimise()
    assert result is not None and "Best" in panel.report.value
    assert "<th>Candidate</th>" in panel.report.value
    assert "<th></th>" not in panel.report.value  # (axe: empty-table-header)
    expected = optimise_plan(app.scenario.with_plan(plan=None), 12, samples=0)
    assert result.best.plan == expected.best.plan
    assert result.best.value == expected.best.value
    panel.use_best.click()
    assert app.scenario.plan_dict()["plan"] == result.best.plan.salvos(result.sites)
    assert app.result.summary.loc["capacity_loss", "p50"] == pytest.approx(result.best.value)


def test_optimise_refusal_is_shown_beside_the_tables(app):
    panel = app.plan_panel
    panel.missiles.value = 500
    assert panel.optimise() is None
    assert "do not fit the inventory" in panel.message.value


def test_back_to_one_salvo_size(app):
    app.plan_panel.clear_button.click()
    assert app.scenario.system is None and not app.scenario.plan
    assert app.plan_panel.site_rows() == [] or app.scenario.system is None
    assert headline_text(app)["missiles_needed"] != ""


def test_a_plan_for_the_single_plant_from_the_defaults(tmp_path):
    app = WhatifApp(immediate=True, save_dir=tmp_path)
    panel = app.plan_panel
    assert panel.site_rows() == [] and panel.salvo_rows() == []
    panel.add_salvo.click()
    panel.add_salvo.click()
    rows = panel.salvo_box.children
    rows[0].counts["plant"].value = 20
    rows[1].counts["plant"].value = 10
    assert panel.apply()
    assert app.scenario.plan_dict()["plan"] == [{"day": 0, "missiles": {"plant": 20}},
                                                {"day": 7, "missiles": {"plant": 10}}]
    assert headline_text(app)["missiles_needed"] == "30"
