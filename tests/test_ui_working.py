"""The working panel without a browser: one <details> section per headline figure, whose
numbers are the model's (``whatif.working``) and follow the scenario on screen."""

from __future__ import annotations

from html import escape

import ipywidgets as w

from whatif.engine import simulate
from whatif.outputs import OUTPUTS
from whatif.resources import scenario_path
from whatif.scenario import Scenario
from whatif.ui.working import WorkingPanel
from whatif.views.working import value_text
from whatif.working import HEADLINE


def _summary(html: str) -> str:
    return html.split("<summary>", 1)[1].split("</summary>", 1)[0]


def test_panel_shows_each_figure_as_a_details_section():
    scenario = Scenario.from_yaml(scenario_path("baseline"))
    result = simulate(scenario, samples=0)
    panel = WorkingPanel()
    assert isinstance(panel, w.VBox) and len(panel.children) == 1 + len(HEADLINE)
    panel.update(scenario, result)
    assert "each chain ends at the headline figure" in panel.note.value
    for name in HEADLINE:
        html = panel.sections[name].value
        assert html.startswith("<details") and html.count("<summary>") == 1
        figure = value_text(result.summary.loc[name, "p50"], OUTPUTS[name].unit)
        assert _summary(html).endswith(f": {escape(figure)}")  # the headline's own figure
        assert "<th scope='col'>Step</th>" in html
    assert "30 missiles" in panel.sections["capacity_loss"].value


def test_panel_follows_the_scenario_and_the_monte_carlo_headline():
    panel = WorkingPanel()
    scenario = Scenario.from_yaml(scenario_path("baseline")).with_values(missiles=60)
    panel.update(scenario, simulate(scenario, samples=0))
    deterministic = simulate(scenario, samples=0).summary
    assert f": {value_text(deterministic.loc['capacity_loss', 'p50'], 'share')}" in _summary(
        panel.sections["capacity_loss"].value)
    assert "60 missiles" in panel.sections["capacity_loss"].value
    before = {name: panel.sections[name].value for name in HEADLINE}
    result = simulate(scenario, samples=300, seed=0)
    panel.update(scenario, result)
    assert escape("the headline's P50 comes from 300 samples") in panel.note.value
    p50 = value_text(result.summary.loc["drones_denied", "p50"], "drones")
    assert f"headline P50 from 300 samples: {p50}" in panel.sections["drones_denied"].value
    # the working itself is still the deterministic chain
    assert _summary(panel.sections["drones_denied"].value).startswith(
        escape(f"{OUTPUTS['drones_denied'].label}: "
               f"{value_text(deterministic.loc['drones_denied', 'p50'], 'drones')}"))
    assert all(panel.sections[name].value != before[name] for name in HEADLINE)


def test_panel_for_a_system_names_its_sites():
    scenario = Scenario.from_yaml(scenario_path("system-two-lines"))
    panel = WorkingPanel()
    panel.update(scenario, simulate(scenario, samples=0))
    html = panel.sections["capacity_loss"].value
    assert "line-a: Arrivals" in html and "engines: output lost" in html
    assert _summary(html).startswith(escape("Listed sites' output lost (first salvo): "))


def test_the_apps_working_opens_on_demand_and_follows_the_sliders():
    """In the app: closed (nothing computed) until opened; then each figure's chain ends at
    the figure the headline strip shows, and moving a slider updates it."""
    from whatif.ui.app import WhatifApp, headline_text

    app = WhatifApp(immediate=True)
    assert not app.working_shown and app.working.working is None
    app.working_section.selected_index = 0  # opened
    assert app.working_shown and app.working.working is not None
    shown = headline_text(app)  # deterministic by default: the figures are the chain's ends
    for chain in app.working.working.chains:
        if chain.output in shown:
            # (the same number; the working also says its unit)
            figure = _summary(app.working.sections[chain.output].value).rsplit(": ", 1)[1]
            assert figure.split(" ")[0] == escape(shown[chain.output]), chain.output
    app.set_value("missiles", 60)
    assert "60 missiles" in app.working.sections["capacity_loss"].value
    assert _summary(app.working.sections["capacity_loss"].value).endswith(
        f": {escape(headline_text(app)['capacity_loss'])}")
    app.working_section.selected_index = None  # closed: no longer followed
    app.set_value("missiles", 40)
    assert "60 missiles" in app.working.sections["capacity_loss"].value


def test_panel_says_it_is_working_while_the_first_working_is_made(monkeypatch):
    """The first working after an install compiles the model's step-by-step run (seconds):
    the panel says so meanwhile, then shows the working; later updates go straight there."""
    import whatif.ui.working as ui_working

    scenario = Scenario.from_yaml(scenario_path("baseline"))
    result = simulate(scenario, samples=0)
    panel = WorkingPanel()
    notes_while_working = []
    real_working = ui_working.working

    def recording(*args, **kwargs):
        notes_while_working.append(panel.note.value)
        return real_working(*args, **kwargs)

    monkeypatch.setattr(ui_working, "working", recording)
    panel.update(scenario, result)
    assert ui_working.FIRST_WORKING_NOTE in notes_while_working[0]
    assert "role='status'" in notes_while_working[0]
    assert ui_working.FIRST_WORKING_NOTE not in panel.note.value
    assert "each chain ends at the headline figure" in panel.note.value
    panel.update(scenario.with_values(missiles=60), simulate(scenario, samples=0))
    assert ui_working.FIRST_WORKING_NOTE not in notes_while_working[1]  # no flicker later
