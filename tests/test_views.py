"""The app's plain logic (whatif.views), without widgets: what is computed and when, the
text shown, the scenario files offered and written."""

from __future__ import annotations

import asyncio
import base64
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from whatif.engine import missiles_needed, simulate
from whatif.errors import WhatifError
from whatif.formatting import format_value
from whatif.outputs import OUTPUTS
from whatif.params import REGISTRY, Assumption
from whatif.scenario import Scenario
from whatif.sensitivity import sobol
from whatif.views import controls, headline, record, run, scenarios, sensitivity


# --- controls ---------------------------------------------------------------------------
def test_nice_step_puts_bounds_and_default_on_the_grid():
    assert controls.nice_step(1.0, 0.0, 0.9) == 0.001  # span/400 = 0.0025 → 0.001
    assert controls.nice_step(1094.0, 1.0, 60.0) == 1.0
    assert controls.nice_step(1.0, 0.0, 0.8625) == pytest.approx(1e-4)  # 0.001 misses it
    assert controls.nice_step(0.0, 5.0) == 1.0


@given(st.floats(0.01, 1e6), st.floats(-1e3, 1e3), st.integers(0, 10_000))
def test_nice_step_is_a_power_of_ten_with_anchors_on_its_grid(span, low, k):
    anchor = low + k * 0.001
    step = controls.nice_step(span, low, anchor)
    assert np.isclose(np.log10(step), round(np.log10(step)))
    assert step <= max(span / 400, 1e-6) * 10 + 1e-12
    if step > 1e-6:
        for a in (low, anchor):
            assert abs(a / step - round(a / step)) <= 1e-9


def test_numbers_range_notes_and_stages_as_shown():
    p = REGISTRY["repair_days"]
    assert controls.show_number(60.0, p) == "60"
    assert controls.show_number(0.123456789, REGISTRY["site_share"]) == "0.123457"
    assert controls.show_number(29.6, REGISTRY["missiles"]) == "30"  # an integer parameter
    assert controls.range_text(p, p.default, uncertain=False) == "allowed 1 to 1095 days"
    assert controls.range_text(p, p.default, uncertain=True) == (
        "allowed 1 to 1095 days · drawn triangular 30–365")
    assert controls.range_text(REGISTRY["allocation"], "even", uncertain=True) == ""
    assert controls.stages_text(Scenario.default().stages) == (
        "airframes:8; engines_and_avionics:4; final_assembly:8")
    tip = controls.tooltip(REGISTRY["launch_reliability"])
    assert tip.splitlines()[0] == f"{REGISTRY['launch_reliability'].label} [probability]"
    assert tip.splitlines()[1].startswith("Source: ")


def test_shifted_keeps_a_distribution_s_shape_within_bounds():
    p = REGISTRY["repair_days"]  # triangular 30, 60, 365; bounds 1 to 1095 days
    assert controls.shifted(p.default, 100.0, p) == {"low": 70.0, "mode": 100.0,
                                                     "high": 405.0, "dist": "triangular"}
    assert controls.shifted(p.default, 1000.0, p) == {"low": 970.0, "mode": 1000.0,
                                                      "high": 1095, "dist": "triangular"}
    assert controls.shifted(p.default, 10.0, p) == {"low": 1, "mode": 10.0, "high": 315.0,
                                                    "dist": "triangular"}
    # a lognormal is scaled; a uniform has no mode; a fixed value stays fixed
    assert controls.shifted(Assumption(10.0, 5.0, 40.0, "lognormal"), 20.0, p) == {
        "low": 10.0, "mode": 20.0, "high": 80.0, "dist": "lognormal"}
    assert controls.shifted(Assumption(60.0, 30.0, 90.0, "uniform"), 70.0, p) == {
        "low": 40.0, "high": 100.0, "dist": "uniform"}
    assert controls.shifted(REGISTRY["missiles"].default, 40.0, REGISTRY["missiles"]) == 40.0
    # an integer parameter's ends are whole numbers
    restrikes = REGISTRY["restrikes"]
    moved = controls.shifted(Assumption(2.0, 0.0, 4.0, "triangular"), 2.5, restrikes)
    assert moved == {"low": 0.0, "mode": 2.5, "high": 4.0, "dist": "triangular"}


# --- run --------------------------------------------------------------------------------
def test_run_settings_and_goal():
    assert run.RunSettings().draws == 0 and run.RunSettings(mode="mc", samples=500).draws == 500
    assert run.parse_goal("capacity_loss", " 0.7 ", 0.8) == 0.7
    assert run.parse_goal("drones_denied", "20000", 0.8) == 20_000
    with pytest.raises(WhatifError, match="at_least: 'half' is not a number"):
        run.parse_goal("capacity_loss", "half", 0.8)
    with pytest.raises(WhatifError, match="at_least.*allowed 0 to 1 share"):
        run.parse_goal("capacity_loss", "2", 0.8)
    with pytest.raises(WhatifError, match="at_least"):
        run.parse_goal("capacity_loss", "nan", 0.8)
    with pytest.raises(WhatifError, match="confidence"):
        run.parse_goal("capacity_loss", "0.5", 1.5)


def test_run_is_the_model_with_the_settings():
    scenario = Scenario.default()
    settings = run.RunSettings(mode="mc", samples=300, seed=5, objective="days_disrupted",
                               at_least=30.0, confidence=0.7)
    result, solve = run.run(scenario, settings)
    expected = simulate(scenario, samples=300, seed=5, series=True, bands=run.CHART_BANDS)
    pd.testing.assert_frame_equal(result.summary, expected.summary)
    pd.testing.assert_frame_equal(result.series, expected.series)
    assert ("production_strike", "p50") in result.series  # banded
    assert ("energy_hits_strike", "p50") not in result.series  # means only
    want = missiles_needed(scenario, "days_disrupted", 30.0, 0.7, samples=300, seed=5)
    assert solve.missiles_needed == want.missiles_needed
    assert (solve.objective, solve.at_least, solve.confidence) == ("days_disrupted", 30.0, 0.7)


class Calls:
    def __init__(self):
        self.log = []
        self.queue = None

    def full(self):
        self.queue.taken()
        self.log.append("full")

    def sensitivity(self):
        self.queue.taken(sensitivity_only=True)
        self.log.append("sensitivity")


def _queue(immediate=False):
    calls = Calls()
    calls.queue = run.RefreshQueue(calls.full, calls.sensitivity, immediate)
    return calls


def test_refresh_queue_immediate_and_without_a_loop():
    calls = _queue(immediate=True)
    calls.queue.request()
    calls.queue.request(sensitivity_only=True)
    assert calls.log == ["full", "sensitivity"]
    calls = _queue()  # no running event loop: runs at once (in full)
    calls.queue.request(sensitivity_only=True)
    assert calls.log == ["full"] and not calls.queue.pending


def test_refresh_queue_coalesces_requests_in_a_loop():
    async def scenario(requests):
        calls = _queue()
        for sensitivity_only in requests:
            calls.queue.request(sensitivity_only)
        assert calls.log == [] and calls.queue.pending  # queued, not run yet
        await asyncio.sleep(0)
        return calls

    assert asyncio.run(scenario([False] * 10)).log == ["full"]  # a drag: one run
    assert asyncio.run(scenario([True, True])).log == ["sensitivity"]
    assert asyncio.run(scenario([True, False, True])).log == ["full"]  # covers the tab

    async def taken_meanwhile():
        calls = _queue()
        calls.queue.request()
        calls.full()  # e.g. refresh() called directly: the queued run is dropped
        await asyncio.sleep(0)
        return calls

    assert asyncio.run(taken_meanwhile()).log == ["full"]


# --- headline ---------------------------------------------------------------------------
def test_headline_values_and_notes():
    scenario = Scenario.default()
    figures = headline.headline_figures(*run.run(scenario, run.RunSettings()))
    values = headline.headline_values(figures)
    assert values["capacity_loss"] == "66.1%" and values["days_disrupted"] == "47"
    assert list(values)[0] == "missiles_needed" and len(values) == 8
    note = figures[0].note
    assert note == "Plant capacity lost (first salvo) ≥ 50.0% with ≥ 80% confidence"
    html = headline.headline_html(figures)
    assert html.count('class="whatif-card"') == 8 and 'data-key="capacity_loss"' in html


def test_headline_says_when_the_point_estimate_is_not_an_exact_average():
    stages = [{"name": "a", "aimpoints": 4}, {"name": "b", "aimpoints": 2}]
    exact = {"defense_engagements": 0}
    cases = [  # (values, words in the note; "" = exact, no note)
        ({**exact, "stages": stages}, "several stages"),
        ({**exact, "stages": stages, "allocation": "bottleneck"}, ""),
        ({**exact, "stages": [{"name": "a", "aimpoints": 4}]}, ""),
        ({"stages": [{"name": "a", "aimpoints": 4}], "defense_engagements": 8}, "defence"),
    ]
    for values, words in cases:
        scenario = Scenario.default().with_values(**values)
        result, solve = run.run(scenario, run.RunSettings())
        note = headline.headline_figures(result, solve)[1].note
        assert (note == "") == (words == ""), (values, note)
        assert words in note and (not note or "Monte Carlo gives the average" in note)
        # Monte Carlo is an average of draws: no note
        mc, solve = run.run(scenario, run.RunSettings(mode="mc", samples=500))
        assert headline.headline_figures(mc, solve)[1].note == ""
    # the claim: with several stages the Monte Carlo mean (fixed inputs) is above the note's
    central = {n: p.default.central for n, p in REGISTRY.items() if p.is_numeric}
    fixed = Scenario.default().with_values(**{**central, **exact, "missiles": 6}, stages=stages)
    point = simulate(fixed, samples=0).summary.loc["capacity_loss", "mean"]
    average = simulate(fixed, samples=20_000, seed=1).outputs["capacity_loss"].mean()
    assert average > point + 0.01


def test_headline_says_when_no_salvo_reaches_the_goal():
    settings = run.RunSettings(objective="capacity_loss", at_least=1.0, confidence=0.99)
    figures = headline.headline_figures(*run.run(Scenario.default(), settings))
    assert figures[0].value == "more than 300"
    assert re.search(r"at 300 missiles the chance is \d+%", figures[0].note)


def test_title_is_escaped():
    scenario = Scenario.default().with_text(title="<b>x</b>", note="a & b")
    html = headline.title_html(scenario)
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "a &amp; b" in html and "<b>" not in html


# --- scenarios --------------------------------------------------------------------------
def test_scenario_files_and_picker_options(tmp_path):
    (tmp_path / "mine.yaml").write_text("title: Mine\n")
    files = scenarios.scenario_files(tmp_path)
    assert list(files)[:5] == ["baseline.yaml", "campaign.yaml", "dispersal-restrikes.yaml",
                               "kagan-25-30.yaml", "kagan-optimistic.yaml"]
    assert files["saved/mine.yaml"] == tmp_path / "mine.yaml"
    options = scenarios.picker_options(tmp_path)
    assert options[0] == scenarios.CURRENT and options[1:] == list(files)


def test_slug_and_download_link():
    assert scenarios.slug("My test scenario!", "scenario") == "my-test-scenario"
    assert scenarios.slug("—", "brief") == "brief"
    html = scenarios.download_html("a.yaml", "title: é\n", "text/yaml")
    data = re.search(r'href="data:text/yaml;base64,([^"]+)"', html).group(1)
    assert base64.b64decode(data).decode("utf-8") == "title: é\n"
    assert 'download="a.yaml"' in html and ">Download a.yaml</a>" in html


def test_save_scenario_round_trips(tmp_path):
    scenario = Scenario.default().with_values(missiles=44)
    path, text = scenarios.save_scenario(scenario, "  My run ", tmp_path / "new")
    assert path == tmp_path / "new" / "my-run.yaml" and path.read_text() == text
    assert yaml.safe_load(text)["title"] == "My run"
    assert dict(Scenario.from_yaml(path).values) == dict(scenario.values)
    path, _ = scenarios.save_scenario(scenario, "", tmp_path)  # blank: the scenario's title
    assert path.name == scenarios.slug(scenario.title, "x") + ".yaml"


def test_picked_scenario_and_compare_table(tmp_path):
    current = Scenario.default().with_text(title="<i>now</i>")
    assert scenarios.picked_scenario(scenarios.CURRENT, current, tmp_path) == (
        "current", current)
    label, other = scenarios.picked_scenario("kagan-optimistic.yaml", current, tmp_path)
    assert label == "kagan-optimistic.yaml" and other.central("allocation") == "bottleneck"
    (tmp_path / "bad.yaml").write_text("assumptions: {missiles: -1}\n")
    with pytest.raises(WhatifError, match="1 to 1000 missiles"):
        scenarios.picked_scenario("saved/bad.yaml", current, tmp_path)
    figures = [headline.headline_figures(*run.run(s, run.RunSettings()))
               for s in (current, other)]
    table = scenarios.compare_table_html(current, other, *figures)
    assert table.count("<tr>") == 9 and "A: &lt;i&gt;now&lt;/i&gt;" in table
    assert "<td><b>66.1%</b>" in table
    assert "<th>Figure</th>" in table and "<th></th>" not in table  # (axe: empty-table-header)


# --- sensitivity ------------------------------------------------------------------------
def test_sensitivity_choices_and_sobol_or_reason():
    assert [name for _, name in sensitivity.output_choices()] == list(OUTPUTS)
    assert sensitivity.sobol_choices() == [("256", 256), ("1,024", 1024), ("4,096", 4096)]
    scenario = Scenario.default()
    frame, reason = sensitivity.sobol_or_reason(scenario, "drones_denied", 256, 1)
    pd.testing.assert_frame_equal(frame, sobol(scenario, "drones_denied", samples=256, seed=1))
    assert reason == ""
    fixed = scenario.with_values(**{n: p.default.central for n, p in REGISTRY.items()
                                    if p.is_numeric})
    frame, reason = sensitivity.sobol_or_reason(fixed, "drones_denied", 256, 1)
    assert frame is None and "no assumption is uncertain" in reason


# --- record -----------------------------------------------------------------------------
def test_record_dates_and_defeat_window():
    from whatif.calibrate import calibrate

    dates = record.record_dates([0.0, 1.5, -365.0])
    assert dates.dtype == np.dtype("datetime64[ms]")
    assert [str(d) for d in dates] == ["2026-01-01T00:00:00.000", "2026-01-02T12:00:00.000",
                                       "2025-01-01T00:00:00.000"]
    # the 2025 fit: 1 Jan 2025 (day -365) to the end of December (28 Dec + 3 days)
    assert record.defeat_window_days(calibrate()) == (-365.0, -1.0)


# --- production paths and the stock (issue 10) -----------------------------------------------


def test_other_path_is_a_direct_run_of_the_path_not_chosen():
    scenario = Scenario.default()  # trend
    other = run.other_path(scenario)
    assert other.name == "target" and other.label.startswith("Target path")
    direct = simulate(scenario.with_values(production_path="target"), samples=0, series=True)
    np.testing.assert_array_equal(other.production,
                                  direct.series[("production_baseline", "mean")].to_numpy())
    assert other.production[-1] > 2 * other.production[0]  # the climb
    assert run.other_path(scenario.with_values(production_path="target")).name == "trend"
    assert run.other_path(scenario.with_values(production_path="custom")).name == "trend"


def test_day_zero_check_names_the_level_and_the_fit_interval():
    from whatif.calibrate import calibrate

    estimate = calibrate().production_now
    inside = Scenario.default().with_values(production_now=round(estimate.value))
    assert run.day_zero_check(inside) == ""
    outside = inside.with_values(production_now=300)
    text = run.day_zero_check(outside)
    assert "production_now (300 drones/day) is outside the fit" in text
    assert f"{estimate.low:,.0f}–{estimate.high:,.0f} drones/day (90% interval" in text
    custom = inside.with_values(production_path="custom", production_points="0:20;100:90")
    assert "the custom path's day-0 level (20 drones/day)" in run.day_zero_check(custom)
    assert run.day_zero_check(custom.with_values(production_points="0:100")) == ""


def test_headline_shows_hits_deferred_beside_hits_averted_and_their_sum():
    scenario = Scenario.default()
    result = simulate(scenario, samples=0)
    solve = missiles_needed(scenario, samples=0, max_missiles=60)
    figures = headline.headline_figures(result, solve)
    keys = [f.key for f in figures]
    assert keys.index("energy_hits_deferred") == keys.index("energy_hits_averted") + 1
    by_key = {f.key: f for f in figures}
    assert by_key["energy_hits_averted"].value == "0"
    summary = result.summary["p50"]
    assert by_key["energy_hits_deferred"].value == format_value(
        summary["energy_hits_deferred"], "hits")
    assert "see hits deferred" in by_key["energy_hits_averted"].note
    note = by_key["energy_hits_deferred"].note
    assert "short on day 180" in note and "drawn down and not rebuilt" in note
    held = headline.headline_figures(simulate(scenario.with_values(stock_policy="hold"),
                                              samples=0), solve)
    held_by_key = {f.key: f for f in held}
    assert held_by_key["energy_hits_deferred"].value == "0"
    assert "held back" in held_by_key["energy_hits_deferred"].note


def test_record_intro_follows_the_record_in_use():
    from whatif.calibrate import calibrate, synthetic_record

    text = record.intro_html(calibrate())
    assert "(Sep 2022 – Dec 2025," in text and "(Jan 2024 on)" in text
    assert "over Jan 2025 – Dec 2025 gives" in text
    longer = calibrate(synthetic_record(last_month="2026-03"), ("2024-01", "2026-03"),
                       ("2025-04", "2026-03"))
    text = record.intro_html(longer)
    assert "(Jan 2024 – Mar 2026," in text and "over Apr 2025 – Mar 2026 gives" in text


def test_other_path_is_reused_while_its_inputs_stay_and_redone_when_they_move():
    scenario = Scenario.default()
    first = run.other_path(scenario)
    assert run.other_path(scenario.with_values(missiles=60, defeat_rate=0.9)) is first
    moved = run.other_path(scenario.with_values(production_now=120))
    assert moved is not first and moved.production[0] == pytest.approx(120.0)
    direct = simulate(scenario.with_values(production_path="target", horizon_days=90),
                      samples=0, series=True)
    np.testing.assert_array_equal(run.other_path(scenario.with_values(horizon_days=90)).production,
                                  direct.series[("production_baseline", "mean")].to_numpy())
