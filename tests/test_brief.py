"""HTML briefs: built with papermill + nbconvert, self-contained, escaped, reproducible."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import escape
from pathlib import Path

import pytest

from whatif.brief import GOAL, SOBOL_ROWS, SOBOL_SAMPLES, Brief, brief_html, render, sobol_svg
from whatif.formatting import format_value
from whatif.outputs import OUTPUTS
from whatif.scenario import Scenario
from whatif.sensitivity import sobol
from whatif.views.discovery import (
    BRIEF_FUTURES,
    BRIEF_SAMPLES,
    box_words,
    conditions,
    share_text,
    when_it_works_or_reason,
)

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((REPO / "data" / "scenarios").glob("*.yaml"))
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def baseline_brief(tmp_path_factory):
    out = tmp_path_factory.mktemp("brief") / "baseline.html"
    render(REPO / "data/scenarios/baseline.yaml", out, samples=2000, seed=3)
    return out.read_text(encoding="utf-8")


def _assert_self_contained(html: str):
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html.lower()
    assert not re.search(
        r"""(src|href)\s*=\s*["']?(https?:)?//[^"']*\.(js|css|woff2?|ttf|png|jpg)""",
        html, flags=re.I)
    assert "<link" not in html.lower()
    # production, P(success), hits, grid, tornado, Sobol, 2 record, backtest, and the
    # trade-off of "When does it work?" when there is a box
    assert html.count("<svg") == 9 + ('class="brief-chart trade-off"' in html)


def test_cli_brief_is_self_contained_and_matches_run_json(tmp_path, baseline_brief):
    _assert_self_contained(baseline_brief)
    assert len(baseline_brief.encode()) < 3_000_000
    run = subprocess.run([sys.executable, "-m", "whatif.cli", "run",
                          "data/scenarios/baseline.yaml", "--samples", "2000", "--seed", "3",
                          "--json"], cwd=REPO, capture_output=True, text=True, check=True)
    outputs = json.loads(run.stdout)["outputs"]
    for name, stats in outputs.items():
        unit = OUTPUTS[name].unit
        row = "".join(f"<td>{escape(format_value(stats[k], unit))}</td>"
                      for k in ("p10", "p50", "p90", "mean"))
        assert f"<th>{escape(OUTPUTS[name].label)}</th>{row}" in baseline_brief, name
    assert "2,000 Monte Carlo samples, seed 3" in baseline_brief
    assert "Bottom line" in baseline_brief and "Assumptions" in baseline_brief


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_scenario_builds(path, tmp_path):
    # with papermill + nbconvert (as `whatif brief`) and in-process (the app's export)
    title = escape(Scenario.from_yaml(path).title)
    html = render(path, tmp_path / "brief.html", samples=500, seed=0).read_text(encoding="utf-8")
    _assert_self_contained(html)
    assert title in html
    exported = brief_html(Scenario.from_yaml(path), samples=500, seed=0)
    _assert_self_contained(exported)
    assert title in exported


def _two(value: float) -> str:
    return f"{value:.2f}".replace("-0.00", "0.00")


def _sobol_rows(frame) -> list[str]:
    """The Sobol table's rows as the brief writes them (two decimals, with intervals)."""
    return [f"<code>{escape(r.parameter)}</code></td><td>{_two(r.first_order)}</td>"
            f'<td class="ci">{_two(r.first_order_low)} to {_two(r.first_order_high)}</td>'
            f"<td>{_two(r.total_order)}</td>"
            f'<td class="ci">{_two(r.total_order_low)} to {_two(r.total_order_high)}</td></tr>'
            for r in frame.head(SOBOL_ROWS).itertuples()]


def test_brief_sobol_section_is_engine_sobol(baseline_brief):
    # the papermill-built brief (samples 2000, seed 3) shows sensitivity.sobol's indices of
    # drones denied for the same scenario and seed, sorted by total order
    expected = sobol(Scenario.from_yaml(REPO / "data/scenarios/baseline.yaml"), "drones_denied",
                     samples=SOBOL_SAMPLES, seed=3)
    section = baseline_brief[baseline_brief.index("What drives the spread"):]
    section = section[:section.index("<h2", 10)]
    positions = [section.index(row) for row in _sobol_rows(expected)]
    assert positions == sorted(positions)
    assert expected["parameter"].iloc[0] == "repair_days"
    assert f"from {SOBOL_SAMPLES:,} base samples" in section and "seed 3" in section
    assert "95% confidence interval (bootstrap, 999 resamples" in section
    assert "slightly negative" not in section
    rest = expected["parameter"].iloc[SOBOL_ROWS:]
    assert f"The other {len(rest)} uncertain assumptions" in section
    assert ", ".join(rest) in section
    assert section.count("<svg") == 1


def test_brief_when_does_it_work_is_the_views_finding(baseline_brief):
    # the papermill-built brief (seed 3) shows what the views logic finds for the same
    # scenario, goal, ensemble size and seed: the share, the box's conditions, its words
    found, _ = when_it_works_or_reason(
        Scenario.from_yaml(REPO / "data/scenarios/baseline.yaml"), GOAL[0], GOAL[1],
        futures=BRIEF_FUTURES, samples=BRIEF_SAMPLES, seed=3)
    section = baseline_brief[baseline_brief.index("<h2>When does it work?</h2>"):]
    section = section[:section.index("<h2", 10)]
    assert escape(share_text(found)) in section
    assert f"{BRIEF_FUTURES} futures × {BRIEF_SAMPLES} samples" in section and "seed 3" in section
    box = found.box
    assert box is not None
    items = re.findall(r"<li>(.*?)</li>", section)
    assert items == [escape(text) for text in conditions(found.result, box)]
    assert escape(box_words(box)) in section
    assert section.count("<svg") == 1 and "The box shown" in section  # the trade-off


def test_brief_sobol_numbers_and_edge_cases():
    scenario = Scenario.from_yaml(REPO / "data/scenarios/kagan-25-30.yaml")
    brief = Brief.compute(scenario, samples=0, seed=5)
    expected = sobol(scenario, "drones_denied", samples=SOBOL_SAMPLES, seed=5)
    assert brief.sobol.equals(expected)  # over the distributions even in a deterministic brief
    html = brief.sobol_html()
    for row in _sobol_rows(expected):
        assert row in html
    assert "<th>S1</th><th>95% interval</th><th>ST</th><th>95% interval</th>" in html
    assert "slightly negative" not in html
    chart = sobol_svg(expected)  # the intervals drawn as error bars, named in the legend
    assert "95% interval" in chart
    assert chart.count("<svg") == 1
    # nothing uncertain: the section says so instead of failing
    fixed = Scenario.from_yaml(REPO / "data/scenarios/baseline.yaml").with_values(**{
        n: v.central for n, v in scenario.values.items() if hasattr(v, "is_fixed")})
    none = Brief.compute(fixed, samples=0)
    assert none.sobol is None and "No assumption is uncertain" in none.sobol_html()
    assert none.discovery is None
    assert "No assumption of this scenario is uncertain" in none.discovery_html()


def test_same_inputs_same_brief():
    a = Brief.compute(REPO / "data/scenarios/kagan-25-30.yaml", 1000, 5, created="2026-01-01")
    b = Brief.compute(REPO / "data/scenarios/kagan-25-30.yaml", 1000, 5, created="2026-01-01")
    assert a.sections()[:2] == b.sections()[:2] and a.bottom_line() == b.bottom_line()


def test_bottom_line_is_generated_from_the_numbers():
    brief = Brief.compute(Scenario.default(), samples=0, seed=0)
    text = brief.bottom_line()
    assert text.startswith("With these assumptions a salvo of 30 missiles has a 100% chance")
    assert "19 missiles would be needed" not in text  # deterministic: its own answer
    assert f"{brief.solve.missiles_needed} missiles would be needed" in text
    summary = brief.result.summary["p50"]  # deterministic: one value each
    assert f"for {format_value(summary['days_disrupted'], 'days')} days" in text
    assert f"denies {format_value(summary['drones_denied'], 'drones')} drones" in text


def test_scenario_text_is_escaped():
    scenario = Scenario.default().with_text(title=XSS, note='<img src=x onerror="alert(2)">')
    html = brief_html(scenario, samples=0)
    assert XSS not in html and escape(XSS) in html
    assert "<img" not in html and "onerror" not in html.replace("onerror=&quot;", "")
    _assert_self_contained(html)


def test_cli_brief_bad_input(tmp_path):
    bad = subprocess.run([sys.executable, "-m", "whatif.cli", "brief", "missing.yaml", "-o",
                          str(tmp_path / "x.html")], cwd=REPO, capture_output=True, text=True)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert "missing.yaml" in bad.stderr and not (tmp_path / "x.html").exists()


def test_app_export_button_writes_a_brief(tmp_path):
    from whatif.ui import WhatifApp

    app = WhatifApp(immediate=True, save_dir=tmp_path)
    app.set_value("missiles", 44)
    app.export_button.click()
    path = tmp_path / "baseline-public-figure-defaults.html"
    html = path.read_text(encoding="utf-8")
    _assert_self_contained(html)
    assert "a salvo of 44 missiles" in html
    assert "download=" in app.download.value and "Brief written" in app.status.value


def test_brief_shows_the_record_beside_the_baseline(baseline_brief):
    from whatif.calibrate import calibrate

    calibration = calibrate()
    section = baseline_brief[baseline_brief.index("The record beside the model"):]
    section = section[:section.index("<h2", 10)]
    estimate = calibration.production_now
    assert ("<code>production_now</code></td><td>99</td>"
            f"<td>{format_value(estimate.value, 'drones/day')}"
            f"</td><td>{format_value(estimate.low, 'drones/day')}–"
            f"{format_value(estimate.high, 'drones/day')}</td><td>inside</td>") in section
    rate = calibration.defeat_rate
    assert (f"<td>86.0%</td><td>{format_value(rate.value, 'share')}</td>"
            f"<td>{format_value(rate.low, 'share')}–{format_value(rate.high, 'share')}</td>"
            "<td>inside</td>") in section
    assert section.count("<svg") == 3
    assert "Launch record and the model" in section  # chart titles are text, not paths
    assert "Backtest: each month projected one month ahead" in section
    assert "inside its P10–P90 band in" in section and "of 12 months" in section


def test_brief_flags_a_scenario_outside_the_fits():
    scenario = Scenario.default().with_values(production_now=300, defeat_rate=0.95)
    html = Brief.compute(scenario, samples=0, seed=0).record_html()
    assert html.count("<b>outside</b>") == 2 and "<td>300</td>" in html
