"""The interactive brief (``whatif brief --interactive``, :mod:`whatif.interactive`) without a
browser: the grid and its refusals (one line, exit 2, before any work), one truth (the table
at a grid point is what ``whatif run --set`` prints; the stored chance and charts equal a
direct run's, rounded as documented) read back from the written file, and the page's
safety (CSP, escaping). The page in a real browser: tests/test_interactive_browser.py."""

from __future__ import annotations

import base64
import gzip
import json
import re
import time
from pathlib import Path

import numpy as np
import pytest

from whatif import interactive
from whatif.cli import main
from whatif.engine import simulate
from whatif.errors import ParameterError
from whatif.formatting import format_value
from whatif.interactive import (
    BAND_SERIES,
    STATS,
    chance_text,
    plan_grid,
    quantize,
    round_significant,
)
from whatif.outputs import OUTPUTS, weekly_hits
from whatif.resources import scenario_path
from whatif.scenario import Scenario

REPO = Path(__file__).resolve().parent.parent
XSS = "</script><script>alert(1)</script>"
SAMPLES, CHART_SAMPLES, SEED = 300, 60, 5


def load(name: str) -> Scenario:
    return Scenario.from_yaml(scenario_path(name))


def page_data(html: str) -> tuple[dict, dict]:
    """The page's precomputed rows (unpacked as the browser does) and its Vega-Lite spec."""
    packed = re.search(r'<script type="application/octet-stream" id="whatif-data">([^<]*)'
                       r"</script>", html).group(1)
    data = json.loads(gzip.decompress(base64.b64decode(packed)))
    columns = data["points"]  # one list per field: rows, as the page's loader makes them
    data["points"] = [{"p": p, **{name: values[p] for name, values in columns.items()}}
                      for p in range(len(columns["n"]))]
    spec = json.loads(re.search(r'<script type="application/json" id="whatif-spec">([^<]*)'
                                r"</script>", html).group(1))
    return data, spec


@pytest.fixture(scope="module")
def kagan(tmp_path_factory):
    """A small interactive brief of kagan-25-30 written by the CLI's function."""
    folder = tmp_path_factory.mktemp("interactive")
    grid = plan_grid(load("kagan-25-30"), ["repair_days", "aimpoint_kill_probability"], 3,
                     SAMPLES, SEED, CHART_SAMPLES)
    html, answers = interactive.interactive_html(grid, "kagan-25-30")
    path = folder / "brief.html"
    path.write_text(html, encoding="utf-8")
    return grid, answers, html


# --- the grid ------------------------------------------------------------------------------
def test_default_grid_follows_the_tornado():
    baseline = load("baseline")
    grid = plan_grid(baseline)
    # the three numeric assumptions with the widest swing of drones denied (choices and the
    # salvo size left out), as the scenario's own tornado ranks them
    assert grid.names == ["repair_days", "restrikes", "production_now", "missiles"]
    assert grid.controls[0].levels == (30.0, 85.83, 141.7, 197.5, 253.3, 309.2, 365.0)
    assert grid.controls[1].levels == (0.0, 1.0, 2.0, 3.0)  # whole numbers, no repeats
    assert grid.salvo.levels == tuple(float(m) for m in range(2, 61, 2))  # 2 × 30 missiles
    assert grid.shape == (7, 4, 7, 30) and grid.points == 5_880
    assert (grid.samples, grid.seed) == (interactive.DEFAULT_SAMPLES, 0)
    assert grid.chart_samples == 800_000 // 5_880 == 136  # CHART_RUNS over the points
    # fewer points: more samples behind the charts (all of them at most); many: at least 80
    assert plan_grid(baseline, ["repair_days"], 2, 1000).chart_samples == 1000
    assert plan_grid(baseline, ["repair_days", "production_now", "site_share"], 8,
                     1000).chart_samples == 80
    # the first point shown is the scenario's own setting where it is on the grid
    assert grid.point_values(int(np.ravel_multi_index(grid.start(), grid.shape))) == {
        "repair_days": 85.83, "restrikes": 0.0, "production_now": 90.0,
        "missiles": 30.0}
    # levels cover the scenario's range, not the registry's
    optimistic = plan_grid(load("kagan-optimistic"), ["repair_days"], 3)
    value = load("kagan-optimistic").values["repair_days"]
    assert optimistic.controls[0].levels[0] == value.low
    assert optimistic.controls[0].levels[-1] == value.high


def test_a_plan_has_no_salvo_control():
    grid = plan_grid(load("campaign"), ["repair_days"], 3, 100)
    assert grid.salvo is None and grid.names == ["repair_days"] and grid.points == 3


@pytest.mark.parametrize("controls, levels, samples, message", [
    (["nope"], 7, 2000, "nope: unknown assumption"),
    (["allocation"], 7, 2000, "allocation: not a number"),
    (["horizon_days"], 7, 2000, "horizon_days: cannot be a control"),
    (["repair_days", "repair_days"], 7, 2000, "repair_days: named twice"),
    (["repair_days"], 1, 2000, "levels: 1 is out of range; allowed 2 to 15"),
    (["repair_days"], 16, 2000, "levels: 16 is out of range"),
    (["repair_days", "production_now", "aimpoint_kill_probability", "launch_reliability",
      "site_share"], 2, 2000, "controls: 5 assumptions is too many"),
    (["repair_days", "production_now", "aimpoint_kill_probability", "launch_reliability"],
     9, 2000, "levels: 196,830 combinations (9 × 9 × 9 × 9 × 30) is too many"),
    (None, 7, 20_000, "levels: 5,880 combinations × 20,000 samples is too much work"),
    (None, 7, -1, "samples: -1 is out of range"),
])
def test_bad_input_is_refused_before_any_work(monkeypatch, controls, levels, samples, message):
    def no_work(*args, **kwargs):
        raise AssertionError("the grid ran")

    monkeypatch.setattr(interactive, "run_grid", no_work)
    monkeypatch.setattr(interactive, "compile_grid", no_work)
    with pytest.raises(ParameterError, match=re.escape(message)) as caught:
        plan_grid(load("baseline"), controls, levels, samples)
    assert "\n" not in str(caught.value)


def test_fixed_or_replaced_assumptions_cannot_be_live():
    pinned = load("baseline").with_values(repair_days=90)
    with pytest.raises(ParameterError, match="repair_days: fixed at 90 in this scenario"):
        plan_grid(pinned, ["repair_days"])
    with pytest.raises(ParameterError, match="restrikes: this scenario's sites or plan "
                                             "replace it"):
        plan_grid(load("campaign"), ["restrikes"])
    # the salvo size is live anyway: naming it changes nothing
    assert plan_grid(load("baseline"), ["missiles", "repair_days"], 3).names == [
        "repair_days", "missiles"]


def test_cli_refusals_are_one_line_exit_2_and_write_nothing(tmp_path, capsys):
    out = tmp_path / "brief.html"
    cases = [
        (["--interactive", "--controls", "nope,repair_days"], "nope: unknown assumption"),
        (["--interactive", "--controls", "allocation"], "allocation: not a number"),
        (["--interactive", "--levels", "40"], "levels: 40 is out of range"),
        (["--interactive", "--controls", " , "], "controls:"),
        (["--interactive", "--notebook", str(tmp_path / "x.ipynb")], "--notebook is for the "
                                                                     "static brief"),
        (["--levels", "3"], "--levels is for the interactive brief"),
        (["--interactive", "--controls", "repair_days,production_now,"
          "aimpoint_kill_probability,launch_reliability", "--levels", "9"], "is too many"),
    ]
    for args, message in cases:
        started = time.perf_counter()
        assert main(["brief", "baseline", "-o", str(out), *args]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err, err
        assert time.perf_counter() - started < 5  # refused before the grid ran
        assert not out.exists()
    assert main(["brief", "baseline", "-o", str(tmp_path / "no" / "x.html"),
                 "--interactive"]) == 2
    assert "the folder" in capsys.readouterr().err


# --- one truth -----------------------------------------------------------------------------
def test_each_point_is_what_whatif_run_prints(kagan, capsys):
    grid, answers, html = kagan
    data, _ = page_data(html)
    rows = {row["p"]: row for row in data["points"]}
    assert len(rows) == grid.points == 3 * 3 * 30
    scenario = load("kagan-25-30")
    for point in (0, 47, 151, grid.points - 1):
        values = grid.point_values(point)
        direct = simulate(scenario.with_values(**values), samples=SAMPLES, seed=SEED)
        for o, name in enumerate(OUTPUTS):
            for k, stat in enumerate(STATS):
                shown = format_value(direct.summary.loc[name, stat], OUTPUTS[name].unit)
                assert rows[point][f"t{k}"][o] == shown, (point, name, stat)
        chance = float((direct.outputs["capacity_loss"] >= 0.5).mean())
        assert rows[point]["ok"] == round_significant(chance)
        assert rows[point]["ct"] == chance_text(chance)
    # and the command itself, for one point, prints the same strings
    point = 151
    sets = [arg for name, value in grid.point_values(point).items()
            for arg in ("--set", f"{name}={value!r}")]
    assert main(["run", "kagan-25-30", "--samples", str(SAMPLES), "--seed", str(SEED),
                 "--json", *sets]) == 0
    printed = json.loads(capsys.readouterr().out)["outputs"]
    for o, name in enumerate(OUTPUTS):
        for k, stat in enumerate(STATS):
            assert rows[point][f"t{k}"][o] == format_value(printed[name][stat],
                                                           OUTPUTS[name].unit)


def test_charts_equal_a_direct_run_of_the_first_samples(kagan):
    grid, answers, html = kagan
    data, _ = page_data(html)
    rows = {row["p"]: row for row in data["points"]}
    baselines = {row["n"]: row for row in data["baselines"]}
    scenario = load("kagan-25-30")
    for point in (3, 100, grid.points - 2):
        values = grid.point_values(point)
        direct = simulate(scenario.with_values(**values), samples=CHART_SAMPLES, seed=SEED,
                          series=True)
        days = grid.band_days
        series = {name: np.array([direct.series[(name, stat)].to_numpy()[days]
                                  for stat in ("p10", "p50", "p90")]).T
                  for name in BAND_SERIES}
        # bit for bit before rounding
        for i, name in enumerate(BAND_SERIES):
            assert np.array_equal(answers.bands[point, i].T, series[name])
        row, base = rows[point], baselines[rows[point]["n"]]
        for stored, name in ((("s", "se"), "production_strike"),
                             (("g", "ge"), "grid_damaged_strike"),
                             (("bs", "bse"), "production_baseline"),
                             (("bg", "bge"), "grid_damaged_baseline")):
            prefix, exp_field = stored
            source = base if prefix.startswith("b") else row
            ints, exp = quantize(series[name])
            got = np.array([source[f"{prefix}{s}"] for s in ("10", "50", "90")]).T
            assert np.array_equal(got, ints) and source[exp_field] == int(exp), name
        weekly = weekly_hits(direct)
        for field, exp_field, source, column in (("h", "he", row, "strike"),
                                                 ("bh", "bhe", base, "baseline")):
            ints, exp = quantize(weekly[column].to_numpy()[None, :])
            assert source[field] == ints[0].tolist() and source[exp_field] == int(exp)


def test_rounding_helpers():
    values = np.array([0.12344, 12345.6, 99.99, 0.0, 3.14159e-5, -3.33333])
    assert round_significant(values).tolist() == [0.1234, 12350.0, 99.99, 0.0, 3.142e-05,
                                                  -3.333]
    ints, exponent = quantize(np.array([[[0.0, 12.345], [99.96, 1.0]]]))
    assert exponent.tolist() == [-1] and ints.tolist() == [[[0, 123], [1000, 10]]]


# --- the page ------------------------------------------------------------------------------
def test_page_is_self_contained_and_forbids_fetching(kagan):
    grid, answers, html = kagan
    head = html[:html.index("</head>")]
    # the policy comes before anything that could load: no connections, no eval
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">',
                    head).group(1)
    assert head.index("Content-Security-Policy") < head.index("<title>")
    assert "default-src 'none'" in csp and "unsafe-eval" not in csp
    assert "connect-src" not in csp  # (falls back to 'none')
    # nothing refers outside the file: no element (outside the scripts' text) with a src or
    # href, no stylesheet link
    markup = re.sub(r"(<script[^>]*>).*?</script>", r"\1</script>", html, flags=re.S)
    assert markup.count("<script") == 4
    assert not re.search(r"<(script|link|img|iframe|object|embed)[^>]*\s(src|href|data)=",
                         markup)
    assert "ast: true" in html  # Vega's expression interpreter, not eval
    assert "vegaEmbed" in html  # the inlined bundle
    _, spec = page_data(html)
    # the page's specification is valid Vega-Lite (Altair's schema check; the page skips it)
    checked = interactive.chart_spec(grid, "kagan-25-30", interactive.tornado(
        grid.scenario, interactive.KEY_OUTPUT), validate=True)
    assert checked == spec | {"datasets": checked["datasets"]}
    names = {p["name"] for p in spec["params"]}
    assert names == {"c0", "c1", "salvo", "point"}
    assert spec["datasets"]["outputs"][1]["label"] == OUTPUTS["drones_denied"].label


def test_scenario_text_is_escaped_everywhere(tmp_path):
    scenario = Scenario.from_dict({
        "title": f"{XSS} title", "note": f"<b>bold?</b> {XSS}",
        "assumptions": {"stages": [{"name": XSS, "aimpoints": 5},
                                   {"name": "<img src=x onerror=alert(2)>", "aimpoints": 5}]},
    })
    grid = plan_grid(scenario, ["repair_days"], 2, 50, 0, 20)
    html, _ = interactive.interactive_html(grid, XSS)
    # the one <script> element per purpose: data, spec, bundle, loader; none from the text
    assert html.count("<script") == 4
    assert XSS not in html and "<img src=x" not in html and "<b>bold?</b>" not in html
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt; title" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html  # the stage, in the fixed table
    # an unsafe scenario name is not put in the page's command line
    assert "whatif run SCENARIO.yaml" in html
    data, spec = page_data(html)
    assert XSS not in json.dumps(spec) and XSS not in json.dumps(data)
    # a system's site names, in the plan's paragraph
    site = "<img src=x onerror=alert(3)>"
    system = Scenario.from_dict({"title": XSS}).with_plan(
        sites=[{"name": site, "role": "assembly", "share": 0.7, "stages": "a:4"},
               {"name": XSS, "role": "component", "supplies": [site], "stages": "b:2"}],
        plan=[{"day": 0, "missiles": {site: 10, XSS: 5}}])
    html, _ = interactive.interactive_html(plan_grid(system, ["repair_days"], 2, 20, 0, 10))
    assert XSS not in html and site not in html
    assert "&lt;img src=x onerror=alert(3)&gt; (assembly: a:4)" in html


def test_written_by_the_cli(tmp_path, capsys):
    out = tmp_path / "brief.html"
    assert main(["brief", "campaign", "-o", str(out), "--interactive", "--controls",
                 "repair_days", "--levels", "2", "--samples", "40"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    data, spec = page_data(out.read_text(encoding="utf-8"))
    assert len(data["points"]) == 2 and "ok" not in data["points"][0]  # a plan: no salvo
    assert {p["name"] for p in spec["params"]} == {"c0", "point"}


def test_the_apps_export_button(tmp_path, monkeypatch):
    from whatif.ui import WhatifApp

    # a small grid: 2 levels, 30 samples (the app uses the module's defaults)
    monkeypatch.setattr(interactive, "DEFAULT_LEVELS", 2)
    monkeypatch.setattr(interactive, "DEFAULT_SAMPLES", 30)
    monkeypatch.setattr(interactive, "MIN_CHART_SAMPLES", 10)
    monkeypatch.setattr(interactive, "CHART_RUNS", 10)
    app = WhatifApp(immediate=True, save_dir=tmp_path / "saved")
    app.set_value("repair_days", 90)
    seen = []
    app.interactive_progress.observe(lambda change: seen.append(change["new"]), names="value")
    app.interactive_button.click()
    path = tmp_path / "saved" / "baseline-public-figure-defaults-interactive.html"
    assert "Interactive brief written to" in app.status.value and path.exists()
    assert f'download="{path.name}"' in app.download.value
    assert seen[-1] == 1.0 and len(seen) >= 2  # the bar moved, and is hidden again
    assert app.interactive_progress.layout.display == "none"
    html = path.read_text(encoding="utf-8")
    data, spec = page_data(html)
    assert len(data["points"]) == 2 * 2 * 2 * 30  # three default controls at 2 levels, and
    # the salvo sizes
    assert "30 Monte Carlo samples per combination" in html
    # the settings on screen: repair_days as the slider left it
    assert "60 (triangular 30–365)" not in html and "90 (triangular" in html
