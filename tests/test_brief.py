"""HTML briefs: built with papermill + nbconvert, self-contained, escaped, reproducible."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import escape
from pathlib import Path

import pytest

from whatif.brief import Brief, brief_html, render
from whatif.engine import OUTPUTS
from whatif.formatting import format_value
from whatif.scenario import Scenario

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
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//[^"']*\.(js|css|woff2?|ttf|png|jpg)""",
                         html, flags=re.I)
    assert "<link" not in html.lower()
    assert html.count("<svg") == 5  # production, P(success), hits, grid, tornado


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
    assert "for 48 days" in text and "2,539 drones" in text


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
