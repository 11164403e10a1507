"""The working (``whatif.working``): each headline figure's chain of steps.

Every chain must end at the headline figure of ``simulate(scenario, samples=0)`` exactly,
and every step must follow from the ones before as its ``how`` says (checked here with
the equation beside each step, so a wrong step fails). Hand-derived cases use
``conftest.simple_scenario`` (one aimpoint, r = 1, no defence, 100 drones/day, s = 1,
60-day linear repair, no stock): MODEL.md §1–3.
"""

from __future__ import annotations

import doctest
import importlib
import json
import math
from html import escape

import numpy as np
import pytest
from conftest import simple_scenario

from whatif.brief import Brief
from whatif.cli import main
from whatif.engine import simulate
from whatif.errors import WhatifError
from whatif.formatting import format_value
from whatif.model.layout import StrikeParams
from whatif.model.strike import expected_salvo_loss
from whatif.model.working import salvo_strike
from whatif.outputs import OUTPUTS
from whatif.resources import scenario_path
from whatif.scenario import Scenario
from whatif.views.working import (
    brief_appendix,
    chain_title,
    steps_table,
    value_text,
    working_html,
    working_lines,
)
from whatif.working import HEADLINE, Chain, Step, Working, working

MC_WORDS = "the expected-value chain at these values; the headline's P50 comes from {n} samples"

#: (bundled scenario, --set values): a single salvo, uncertain salvo size, bottleneck, the
#: target path, re-strikes, a plan of three salvos, a system of sites; stock policies
CASES = [
    ("baseline", {}),
    ("baseline", {"missiles": 60}),
    ("baseline", {"stockpile_days": 0, "defense_engagements": 0}),
    ("baseline", {"stock_policy": "rebuild", "restrikes": 1, "missiles": 45}),
    ("baseline", {"allocation": "bottleneck", "recovery": "exponential", "stockpile_days": 2}),
    ("kagan-25-30", {}),
    ("kagan-25-30", {"stock_policy": "hold", "missiles": 12}),
    ("kagan-optimistic", {}),
    ("stated-target", {}),
    ("stated-target", {"stockpile_days": 0, "missiles": 10, "dispersal_share": 0.6}),
    ("dispersal-restrikes", {}),
    ("campaign", {}),
    ("campaign", {"stockpile_days": 0, "stock_policy": "hold"}),
    ("system-two-lines", {}),
    ("system-two-lines", {"stockpile_days": 1, "intercept_probability": 0.2,
                          "stock_policy": "rebuild"}),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in values.items()) or 'as-is'}"
       for name, values in CASES]


def _scenario(name: str, values: dict) -> Scenario:
    scenario = Scenario.from_yaml(scenario_path(name))
    return scenario.with_values(**values) if values else scenario


def _steps(chain: Chain) -> dict[str, float]:
    found = {step.name: step.value for step in chain.steps}
    assert len(found) == len(chain.steps), "step names repeat"
    return found


@pytest.fixture(scope="module", params=CASES, ids=IDS)
def case(request):
    scenario = _scenario(*request.param)
    return scenario, working(scenario), simulate(scenario, samples=0, series=True)


def test_each_chain_ends_exactly_at_the_headline_figure(case):
    scenario, work, result = case
    assert [c.output for c in work.chains] == list(HEADLINE)
    assert work.chain("capacity_loss").label == (
        "Listed sites' output lost (first salvo)" if scenario.system is not None
        else OUTPUTS["capacity_loss"].label)
    plain = simulate(scenario, samples=0)  # (the run without series: the same numbers)
    for chain in work.chains:
        assert chain.steps[-1].name == chain.output
        assert chain.unit == OUTPUTS[chain.output].unit
        # exactly: the last step is the model's output, not a recomputation
        assert chain.value == plain.summary.loc[chain.output, "p50"], chain.output
        assert chain.value == result.outputs[chain.output].iloc[0], chain.output
        assert all(math.isfinite(step.value) for step in chain.steps)


def _close(a, b, rel=1e-12, abs_=1e-9):
    return a == pytest.approx(b, rel=rel, abs=abs_)


def test_every_strike_step_follows_from_the_one_before(case):
    """MODEL.md §1: launched N r, engaged min(N r, D), intercepted p_i × engaged, arrivals
    N r − p_i min(N r, D), a = arrivals / N, k = N // A (N mod A get one more),
    P = 1 − (1 − a q)^k, destroyed (N mod A) P(k+1) + (A − N mod A) P(k), loss destroyed / A."""
    scenario, work, _ = case
    steps = list(work.chain("capacity_loss").steps)
    prefixes = ([f"{name}." for name in scenario.site_names] if scenario.system is not None
                else [""])
    checked = 0
    for prefix in prefixes:
        s = {step.name[len(prefix):]: step.value for step in steps
             if step.name.startswith(prefix) and step.name.count(".") == prefix.count(".")}
        if "missiles" not in s:  # a site the first salvo does not strike
            continue
        checked += 1
        site = scenario.system.sites[scenario.site_names.index(prefix[:-1])] if prefix else None
        own = site.overrides if site is not None else {}
        n = s["missiles"]
        r, d, p, q = (own[name].central if name in own else scenario.central(name) for name in (
            "launch_reliability", "defense_engagements", "intercept_probability",
            "aimpoint_kill_probability"))
        assert s["launched"] == n * r
        assert s["engaged"] == min(n * r, d)
        assert s["intercepted"] == p * s["engaged"]
        assert _close(s["arrivals"], n * r - p * min(n * r, d))
        assert _close(s["arrivals"], s["launched"] - s["intercepted"])
        assert _close(s["arrival_probability"], s["arrivals"] / n)
        stages = [st.aimpoints for st in (site.stages if site else scenario.stages)]
        allocation = (site.overrides.get("allocation") if site else None) or scenario.central(
            "allocation")
        a = min(stages) if allocation == "bottleneck" else sum(stages)
        assert s["aimpoints_targeted"] == a
        k, more = divmod(int(n), a)
        assert s["missiles_per_aimpoint"] == k
        kill = s["arrival_probability"] * q
        assert _close(s["destroyed_probability"], 1 - (1 - kill) ** k)
        one_more = s.get("destroyed_probability_one_more", 0.0)
        assert ("destroyed_probability_one_more" in s) == (more > 0)
        if more:
            assert _close(one_more, 1 - (1 - kill) ** (k + 1))
        assert _close(s["aimpoints_destroyed"],
                      more * one_more + (a - more) * s["destroyed_probability"])
        lost = s["capacity_lost"] if prefix else s["capacity_loss"]
        assert _close(lost, s["aimpoints_destroyed"] / a)
        strike = StrikeParams(r, float(d), p, q, allocation == "bottleneck")
        assert lost == expected_salvo_loss(int(n), strike, np.array(stages, dtype=np.int64))
    assert checked >= 1
    if scenario.system is not None:  # the sites' losses → the listed sites' combined loss
        s = _steps(work.chain("capacity_loss"))
        shares = [site.share if site.role == "assembly" else 0.0
                  for site in scenario.system.sites]
        lost = [s[f"{name}.output_lost"] for name in scenario.site_names]
        national = sum(x * y for x, y in zip(shares, lost, strict=True))
        assert _close(s["national_output_lost"], national)
        assert _close(s["capacity_loss"], s["national_output_lost"] / sum(shares))
        for i, site in enumerate(scenario.system.sites):  # Leontief: the worst supplier
            own = s.get(f"{site.name}.capacity_lost", 0.0)
            feeders = [s[f"{scenario.site_names[c]}.output_lost"]
                       for c in scenario.system.suppliers[i]]
            assert _close(lost[i], max([own, *feeders]))


def test_every_downstream_step_follows_from_the_model_run(case):
    scenario, work, result = case
    series = result.series
    horizon = int(scenario.central("horizon_days"))
    base = series[("production_baseline", "mean")].to_numpy()[:horizon]
    after = series[("production_strike", "mean")].to_numpy()[:horizon]
    out = result.outputs.iloc[0]

    days = _steps(work.chain("days_disrupted"))
    assert days["capacity_loss"] == out["capacity_loss"]
    if scenario.system is None:
        assert days["national_output_lost"] == pytest.approx(
            scenario.central("site_share") * out["capacity_loss"], rel=1e-15)
        assert days["repair_days"] == scenario.central("repair_days")
    assert days["production_baseline_day0"] == base[0]
    assert days["production_lost_day0"] == base[0] - after[0]
    assert _close(days["share_lost_day0"], (base[0] - after[0]) / base[0])
    assert ("salvos" in days) == (len(scenario.plan) > 1 or (
        not scenario.plan and scenario.central("restrikes") > 0))
    # (the kernel compares the shortfall with 10 % of the baseline: a day at 90 % exactly
    # may round either way here)
    assert abs(days["days_disrupted"] - np.count_nonzero(after < 0.9 * base)) <= 1

    denied = _steps(work.chain("drones_denied"))
    assert denied["days_output_lost"] == np.count_nonzero(after < base)
    assert _close(denied["drones_denied"], float(np.sum(base - after)), rel=1e-9)
    # every salvo's loss at every site it strikes (one salvo at the plant: capacity lost)
    salvos = [v for k, v in denied.items() if k.startswith("salvo_")]
    if scenario.plan:
        pairs = sum(1 for salvo in scenario.plan for m in salvo.missiles.values() if m)
    else:
        pairs = 1 + int(scenario.central("restrikes"))
    assert len(salvos) == (0 if pairs == 1 and scenario.system is None else pairs)
    if salvos and scenario.system is None:
        assert salvos[0] == out["capacity_loss"]

    hits = _steps(work.chain("energy_hits_averted"))
    got_through = scenario.central("energy_share") * (1 - scenario.central("defeat_rate"))
    launches = (series[("launches_baseline", "mean")] - series[("launches_strike", "mean")])
    assert _close(hits["launches_averted"], float(launches.to_numpy()[:horizon].sum()),
                  rel=1e-12)
    # nothing is lost: launches averted = drones denied − stock still short
    assert _close(hits["launches_averted"], hits["drones_denied"] - hits["stock_shortfall_end"],
                  rel=1e-9, abs_=1e-6)
    assert hits["stock_start"] == scenario.central("stockpile_days") * base[0]
    assert hits["energy_share"] == scenario.central("energy_share")
    assert hits["got_through"] == 1 - scenario.central("defeat_rate")
    assert _close(hits["energy_hits_averted"], hits["launches_averted"] * got_through,
                  rel=1e-9, abs_=1e-6)
    deferred = _steps(work.chain("energy_hits_deferred"))
    assert deferred["stock_shortfall_end"] == out["stock_shortfall_end"]
    assert _close(deferred["energy_hits_deferred"], deferred["stock_shortfall_end"] * got_through)

    grid = _steps(work.chain("grid_gw_days_averted"))
    spared = (series[("grid_damaged_baseline", "mean")]
              - series[("grid_damaged_strike", "mean")]).to_numpy()[:horizon]
    assert grid["grid_spared_peak"] == spared.max()
    assert _close(grid["grid_gw_days_averted"], spared.sum() / 1000, rel=1e-9, abs_=1e-9)
    assert grid["energy_hits_averted"] == out["energy_hits_averted"]

    cost = _steps(work.chain("cost_exchange_ratio"))
    assert cost["value_per_drone"] == (scenario.central("drone_unit_cost")
                                       + scenario.central("defense_cost_per_drone"))
    assert _close(cost["value_denied"], cost["drones_denied"] * cost["value_per_drone"])
    fired = (sum(salvo.total for salvo in scenario.plan) if scenario.plan else
             int(scenario.central("missiles")) * (1 + int(scenario.central("restrikes"))))
    assert cost["missiles_fired"] == fired
    assert cost["strike_cost_usd"] == fired * scenario.central("missile_unit_cost")
    assert _close(cost["cost_exchange_ratio"], cost["value_denied"] / cost["strike_cost_usd"])


# --- hand-derived cases ----------------------------------------------------------------------
def test_simple_scenario_by_hand():
    """One missile, one aimpoint, r = 1, q = 0.5: half the plant, s = 1, 100 drones/day,
    repaired linearly over 60 days: P·L·T/2 = 1,500 drones denied; no stock, so all are
    launches averted: 1,500 × 0.5 × (1 − 0.8) = 150 hits."""
    s = simple_scenario()
    work = working(s)
    cap = _steps(work.chain("capacity_loss"))
    assert (cap["missiles"], cap["launched"], cap["engaged"], cap["intercepted"],
            cap["arrivals"], cap["arrival_probability"]) == (1, 1.0, 0.0, 0.0, 1.0, 1.0)
    assert (cap["aimpoints_targeted"], cap["missiles_per_aimpoint"]) == (1, 1)
    assert "destroyed_probability_one_more" not in cap
    assert cap["destroyed_probability"] == 0.5 and cap["aimpoints_destroyed"] == 0.5
    assert cap["capacity_loss"] == 0.5
    days = _steps(work.chain("days_disrupted"))
    assert days["national_output_lost"] == 0.5
    assert days["production_baseline_day0"] == 100.0
    # day 0 averages the linear repair: 1 − 0.5/60 of the loss is still out
    assert days["production_lost_day0"] == pytest.approx(50 * (1 - 0.5 / 60), rel=1e-12)
    # disrupted while 50 (1 − (t + ½)/60) > 10, i.e. t + ½ < 48: days 0 … 47
    assert days["days_disrupted"] == 48
    denied = _steps(work.chain("drones_denied"))
    assert denied["days_output_lost"] == 60
    assert denied["drones_denied"] == pytest.approx(1500.0, rel=1e-12)
    hits = _steps(work.chain("energy_hits_averted"))
    assert hits["stock_start"] == 0.0 and hits["stock_shortfall_end"] == 0.0
    assert hits["launches_averted"] == pytest.approx(1500.0, rel=1e-12)
    assert hits["energy_hits_averted"] == pytest.approx(150.0, rel=1e-12)
    assert work.chain("energy_hits_deferred").value == 0.0
    cost = _steps(work.chain("cost_exchange_ratio"))
    value = s.central("drone_unit_cost") + s.central("defense_cost_per_drone")
    assert cost["missiles_fired"] == 1
    assert cost["cost_exchange_ratio"] == pytest.approx(
        1500 * value / s.central("missile_unit_cost"), rel=1e-12)


def test_saturating_defence_by_hand():
    """30 missiles, r = 0.9, D = 8, p_i = 0.5 (strike.py's example): 27 launched, 8 engaged,
    4 intercepted, 23 arrive (a = 23/30). 20 aimpoints: k = 1 and 10 get a second missile;
    q = 0.5: P(1) = a q = 23/60, P(2) = 1 − (37/60)², loss (10 P(2) + 10 P(1)) / 20."""
    work = working(simple_scenario(missiles=30, launch_reliability=0.9, defense_engagements=8,
                                   intercept_probability=0.5, stages="plant:20"))
    s = _steps(work.chain("capacity_loss"))
    assert (s["launched"], s["engaged"], s["intercepted"], s["arrivals"]) == (27, 8, 4, 23)
    assert s["arrival_probability"] == pytest.approx(23 / 30, rel=1e-15)
    assert (s["aimpoints_targeted"], s["missiles_per_aimpoint"]) == (20, 1)
    p1, p2 = 23 / 60, 1 - (37 / 60) ** 2
    assert s["destroyed_probability"] == pytest.approx(p1, rel=1e-14)
    assert s["destroyed_probability_one_more"] == pytest.approx(p2, rel=1e-14)
    assert s["aimpoints_destroyed"] == pytest.approx(10 * p2 + 10 * p1, rel=1e-14)
    assert s["capacity_loss"] == pytest.approx((10 * p2 + 10 * p1) / 20, rel=1e-14)


def test_bottleneck_targets_the_smallest_stage_by_hand():
    """Bottleneck over 8/4/8 aimpoints: the 4 of the engines stage; 6 missiles → k = 1,
    2 get one more; r = 1, no defence, q = 0.5: (2 (1 − 0.25) + 2 × 0.5) / 4 = 0.625."""
    work = working(simple_scenario(missiles=6, stages="airframes:8;engines:4;assembly:8",
                                   allocation="bottleneck"))
    chain = work.chain("capacity_loss")
    s = _steps(chain)
    assert (s["aimpoints_targeted"], s["missiles_per_aimpoint"]) == (4, 1)
    assert "engines" in next(st.how for st in chain.steps if st.name == "aimpoints_targeted")
    assert s["aimpoints_destroyed"] == pytest.approx(2 * 0.75 + 2 * 0.5, rel=1e-15)
    assert s["capacity_loss"] == pytest.approx(0.625, rel=1e-15)


def test_salvo_strike_is_the_kernels_expected_loss():
    strike = StrikeParams(0.8, 5.0, 0.4, 0.6, False)
    stages = np.array([7, 5], dtype=np.int64)
    for missiles in (0, 3, 12, 13, 40):
        s = salvo_strike(missiles, strike, stages)
        assert s.capacity_lost == expected_salvo_loss(missiles, strike, stages)
        assert s.aimpoints_targeted == 12
        assert s.missiles_per_aimpoint * 12 + s.aimpoints_with_one_more == missiles


# --- arguments ---------------------------------------------------------------------------
def test_missiles_replace_the_salvo_size():
    baseline = Scenario.from_yaml(scenario_path("baseline"))
    work = working(baseline, missiles=60)
    assert work.missiles == 60
    reference = simulate(baseline.with_values(missiles=60), samples=0)
    for chain in work.chains:
        assert chain.value == reference.summary.loc[chain.output, "p50"]
    assert work.chain("capacity_loss").steps[0].value == 60
    assert working(baseline).missiles == 30


@pytest.mark.parametrize("name, missiles, words", [
    ("baseline", 0, "missiles"), ("baseline", 5000, "missiles"), ("baseline", 2.5, "missiles"),
    ("campaign", 10, "plan"), ("system-two-lines", 10, "plan")])
def test_bad_salvo_is_refused(name, missiles, words):
    with pytest.raises(WhatifError, match=words):
        working(Scenario.from_yaml(scenario_path(name)), missiles=missiles)


def test_bad_samples_are_refused():
    with pytest.raises(WhatifError, match="samples"):
        working(Scenario.default(), samples=-1)


def test_monte_carlo_note_says_it_is_the_expected_value_chain():
    scenario = Scenario.from_yaml(scenario_path("kagan-25-30"))
    assert MC_WORDS.format(n="2,000") in working(scenario, samples=2000).note
    deterministic = working(scenario).note
    assert "expected-value chain at these values" in deterministic
    assert "P50" not in deterministic
    result = simulate(scenario, samples=300, seed=1)
    work = working(scenario, samples=300)
    text = "\n".join(working_lines(work, result))
    assert MC_WORDS.format(n=300) in text
    p50 = result.summary.loc["drones_denied", "p50"]
    assert f"headline P50 from 300 samples: {value_text(p50, 'drones')}" in text
    assert escape(MC_WORDS.format(n=300)) in working_html(work, result)


# --- views ---------------------------------------------------------------------------------
def test_text_and_html_show_every_step_with_its_unit():
    work = working(Scenario.from_yaml(scenario_path("baseline")))
    lines = working_lines(work)
    html = working_html(work)
    assert html.count("<details") == len(HEADLINE) == html.count("<summary>")
    for chain in work.chains:
        last = value_text(chain.value, chain.unit)
        assert any(line.endswith(f": {last}") for line in lines), chain.output
        assert f"{format_value(chain.value, chain.unit)}" in html
        for step in chain.steps:
            assert any(step.label in line and value_text(step.value, step.unit) in line
                       for line in lines), step.name
    assert "23 missiles" in html and "20 aimpoints" in html and "99 drones/day" in html
    assert value_text(1, "missiles") == "1 missile" and value_text(2, "days") == "2 days"
    assert value_text(0.5, "share") == "50.0%" and value_text(6e7, "USD") == "$60.0M"


def test_html_is_escaped():
    chain = Chain("drones_denied", "Drones", "drones",
                  (Step("x", "<script>alert(1)</script>", 1.0, "drones", "a & <b>"),))
    table = steps_table(chain)
    assert "<script>" not in table and "&lt;script&gt;" in table and "a &amp; &lt;b&gt;" in table
    work = Working(Scenario.default(), 0, 30, (chain,), "<i>note</i>")
    assert "<i>" not in working_html(work)


# --- the command line --------------------------------------------------------------------
def test_cli_explain_working_prints_each_chain(capsys):
    assert main(["explain", "campaign", "--working", "--samples", "0"]) == 0
    text = capsys.readouterr().out
    reference = simulate(Scenario.from_yaml(scenario_path("campaign")), samples=0).summary
    for name in HEADLINE:
        assert f": {value_text(reference.loc[name, 'p50'], OUTPUTS[name].unit)}" in text
    assert "Salvo 3 (day 70): capacity lost" in text and "48 missiles" in text
    assert "P50" not in text


def test_cli_explain_working_json(capsys):
    args = ["explain", "baseline", "--working", "--missiles", "45", "--set", "stockpile_days=0",
            "--samples", "200", "--seed", "2", "--json"]
    assert main(args) == 0
    data = json.loads(capsys.readouterr().out)
    scenario = Scenario.from_yaml(scenario_path("baseline")).with_values(
        missiles=45, stockpile_days=0)
    deterministic = simulate(scenario, samples=0).summary
    monte_carlo = simulate(scenario, samples=200, seed=2).summary
    assert data["missiles"] == 45 and data["samples"] == 200 and data["seed"] == 2
    assert MC_WORDS.format(n=200) in data["note"]
    for name in HEADLINE:
        entry = data["outputs"][name]
        assert entry["value"] == deterministic.loc[name, "p50"]
        assert entry["steps"][-1]["value"] == entry["value"]
        assert {"name", "label", "value", "unit", "how"} <= set(entry["steps"][0])
        assert data["headline"][name]["p50"] == monte_carlo.loc[name, "p50"]


def test_cli_explain_without_working_keeps_its_default_salvo(capsys):
    assert main(["explain", "baseline", "--samples", "0"]) == 0
    assert "with 30 missiles per salvo" in capsys.readouterr().out


@pytest.mark.parametrize("args, words", [
    (["explain", "baseline", "--working", "--missiles", "0"], "missiles"),
    (["explain", "campaign", "--working", "--missiles", "10"], "plan"),
    (["explain", "baseline", "--working", "--set", "missiles=abc"], "missiles"),
    (["explain", "baseline", "--working", "--samples", "-3"], "samples"),
    (["explain", "nope-not-a-scenario", "--working"], "nope"),
])
def test_cli_explain_working_bad_input(capsys, args, words):
    assert main(args) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err.strip()
    assert "\n" not in err and words in err and "Traceback" not in err


# --- the brief -------------------------------------------------------------------------------
def test_brief_appendix_ends_at_the_brief_headline():
    brief = Brief.compute("system-two-lines", samples=0, seed=0)
    sections = brief.sections()
    appendix = sections[-1]
    assert appendix.startswith("<div class='working-appendix'><h2>Appendix: the working</h2>")
    headline = brief.headline_table_html()
    work = working(brief.scenario)
    for chain in work.chains:
        p50 = brief.result.summary.loc[chain.output, "p50"]
        assert chain.value == p50  # the brief's own headline figure, exactly
        shown = format_value(p50, chain.unit)
        assert f"<td>{shown}</td>" in headline
        title = f"<h3>{escape(chain_title(work, chain))}</h3>"
        assert title.endswith(f": {value_text(p50, chain.unit)}</h3>") and title in appendix
        # the table's last row is the figure
        table = appendix.split(title, 1)[1].split("</table>")[0]
        assert table.rsplit("<tr>", 1)[1].startswith(
            f"<td>{escape(chain.steps[-1].label)}</td><td class='value'>"
            f"{value_text(p50, chain.unit)}</td>")
    assert appendix.count("<table") == len(HEADLINE) and "<details" not in appendix


def test_brief_appendix_beside_a_monte_carlo_run():
    result = simulate(Scenario.from_yaml(scenario_path("baseline")), samples=400, seed=0,
                      series=True)
    appendix = brief_appendix(result)
    assert escape(MC_WORDS.format(n=400)) in appendix
    p50 = result.summary.loc["capacity_loss", "p50"]
    assert f"Headline P50 from 400 samples: {value_text(p50, 'share')}." in appendix


@pytest.mark.parametrize("name", ["whatif.model.working", "whatif.views.working"])
def test_docstring_examples(name):
    results = doctest.testmod(importlib.import_module(name))
    assert results.attempted > 0 and results.failed == 0
