"""The "When does it work?" logic without widgets (whatif.views.discovery): the in-process
ensemble is `whatif explore`'s, the box's text lists exactly its restricted assumptions with
their limits and units, the numbers in words are the data's, the chart's points are PRIM's
trajectory, and the edge cases (goal met in no future or in all, a bad threshold, nothing
uncertain) say so."""

from __future__ import annotations

import math
import re
from html import unescape

import numpy as np
import pandas as pd
import pytest

from whatif.discover import box_statistics
from whatif.errors import ParameterError
from whatif.explore import design, explore, read_results
from whatif.params import NUMERIC, REGISTRY
from whatif.resources import scenario_path
from whatif.scenario import Scenario
from whatif.views.discovery import (
    PROGRESS_STEPS,
    box_html,
    condition_text,
    ensemble,
    finding_html,
    output_choices,
    parse_threshold,
    percent,
    trade_off,
    when_it_works,
    when_it_works_or_reason,
)

FUTURES, SAMPLES, SEED = 400, 200, 0
THRESHOLD = 0.9  # a goal met in some futures only: a box of several conditions


@pytest.fixture(scope="module")
def baseline():
    return Scenario.from_yaml(scenario_path("baseline"))


@pytest.fixture(scope="module")
def run_and_steps(baseline):
    """The ensemble and the (done, total) its progress callable was given."""
    steps = []
    result = ensemble(baseline, FUTURES, SAMPLES, SEED, progress=lambda *a: steps.append(a))
    return result, steps


@pytest.fixture(scope="module")
def runs(run_and_steps):
    return run_and_steps[0]


@pytest.fixture(scope="module")
def found(baseline, runs):
    return when_it_works(baseline, "capacity_loss", THRESHOLD, runs=runs)


def _items(html: str) -> list[str]:
    return [unescape(item) for item in re.findall(r"<li>(.*?)</li>", html)]


def test_the_ensemble_is_explore_in_process(baseline, runs, tmp_path):
    # however it is chunked, each future equals explore's (each a simulate at its seed)
    plan = design(baseline, FUTURES, samples=SAMPLES, seed=SEED)
    explore(plan, tmp_path / "r.parquet", scheduler="inprocess")
    table, manifest = read_results(tmp_path / "r.parquet")
    pd.testing.assert_frame_equal(runs.table.reset_index(drop=True), table)
    assert manifest["uncertain"] == runs.manifest["uncertain"]
    assert runs.futures == FUTURES and runs.samples == SAMPLES and runs.runs == 80_000
    assert runs.uncertain == len(manifest["uncertain"]) == 19
    assert not list(tmp_path.glob("*.parts"))


def test_progress_counts_every_chunk_to_the_end(run_and_steps):
    _, steps = run_and_steps
    totals = {total for _, total in steps}
    assert len(totals) == 1 and PROGRESS_STEPS - 1 <= totals.pop() <= PROGRESS_STEPS + 1
    assert [done for done, _ in steps] == list(range(1, len(steps) + 1))


def _expected_condition(name: str, low: float, high: float, data_low: float,
                        data_high: float) -> str:
    """The condition as the tab should write it, built here from the registry."""
    p = REGISTRY[name]
    unit = "" if p.unit in ("share", "probability") else f" {p.unit}"
    if p.kind == "integer":
        low, high = math.ceil(low), math.floor(high)
        low_text, high_text = f"{low:,}", f"{high:,}"
    else:
        low_text, high_text = f"{low:.3g}", f"{high:.3g}"
    if low > data_low and high < data_high:
        return f"{p.label} from {low_text}{unit} to {high_text}{unit}"
    if low > data_low:
        return f"{p.label} ≥ {low_text}{unit}"
    return f"{p.label} ≤ {high_text}{unit}"


def test_the_box_lists_exactly_its_restricted_assumptions(found):
    box, result = found.box, found.result
    assert box is not None and len(box.limits) >= 2
    html = box_html(found)
    items = _items(html)
    assert items == [_expected_condition(name, low, high, *result.ranges[name])
                     for name, (low, high) in box.limits.items()]
    for name in NUMERIC:  # no other assumption is named
        if name not in box.limits:
            assert not any(item.startswith(REGISTRY[name].label + " ") for item in items)
    assert any(item.endswith(" missiles") for item in items)  # an integer's unit


def test_the_words_are_the_datas_numbers(runs, found):
    box = found.box
    inputs = list(runs.manifest["uncertain"])
    success = runs.table["capacity_loss.mean"].to_numpy() >= THRESHOLD
    stats = box_statistics(runs.table[inputs], success, box.limits)
    text = unescape(finding_html(found))
    assert (f"Plant capacity lost (first salvo) ≥ 90.0% in {round(100 * success.mean())} % "
            f"of {FUTURES} futures ({success.sum()} of {FUTURES}).") in text
    assert (f"This box holds {round(100 * stats.coverage)} % of the futures that succeed, and "
            f"{round(100 * stats.density)} % of the futures in it succeed (it holds "
            f"{round(100 * stats.mass)} % of all futures).") in text
    scores = list(found.result.feature_scores)[:5]
    assert [REGISTRY[n].label in text for n in scores] == [True] * 5


def test_the_chart_is_the_first_boxs_trajectory(found):
    points = trade_off(found.result)
    trajectory = found.box.trajectory
    np.testing.assert_array_equal(points.coverage, [p.coverage for p in trajectory])
    np.testing.assert_array_equal(points.density, [p.density for p in trajectory])
    np.testing.assert_array_equal(points.restricted, [p.restricted for p in trajectory])
    assert points.chosen == found.box.point
    chosen = trajectory[points.chosen]
    assert (chosen.coverage, chosen.density) == (found.box.coverage, found.box.density)


def test_a_goal_met_in_every_future_or_in_none_says_so(baseline, runs):
    every = when_it_works(baseline, "capacity_loss", 0.0, runs=runs)
    html = box_html(every)
    assert "in 100 % of 400 futures (400 of 400)" in html
    assert "The goal is met in every future" in html and "<li>" not in html
    assert trade_off(every.result) is None and every.box is None
    none = when_it_works(baseline, "drones_denied", 1e9, runs=runs)
    html = finding_html(none)
    assert "in 0 % of 400 futures (0 of 400)" in html
    assert "The goal is met in none of the futures" in html and "<li>" not in html
    assert trade_off(none.result) is None


@pytest.mark.parametrize("output, text, message", [
    ("capacity_loss", "1.5", "'1.5' is out of range for capacity_loss; allowed 0 to 1 share"),
    ("capacity_loss", "-0.1", "allowed 0 to 1 share"),
    ("capacity_loss", "half", "'half' is not a number; allowed 0 to 1 share"),
    ("days_disrupted", "nan", "out of range for days_disrupted; allowed a number >= 0 days"),
    ("strike_cost_usd", "1", "strike_cost_usd' is not allowed"),
])
def test_a_bad_threshold_is_refused_with_the_allowed_range(output, text, message):
    with pytest.raises(ParameterError, match=re.escape(message)):
        parse_threshold(output, text)


def test_thresholds_and_outputs_offered():
    assert parse_threshold("capacity_loss", " 0.5 ") == 0.5
    assert parse_threshold("drones_denied", "20000") == 20_000
    names = [name for _, name in output_choices()]
    assert names[0] == "capacity_loss" and "cost_exchange_ratio" not in names


def test_nothing_uncertain_gives_a_reason_not_a_failure(baseline):
    fixed = baseline.with_values(**{n: baseline.central(n) for n in NUMERIC})
    found, reason = when_it_works_or_reason(fixed, futures=20, samples=10)
    assert found is None and "No assumption of this scenario is uncertain" in reason


def test_conditions_in_words():
    assert condition_text("repair_days", 30.0, 90.0, 10.0, 365.0) == (
        "Days to restore the plant's lost capacity from 30 days to 90 days")
    assert condition_text("defense_engagements", 0.0, 18.5, 0.0, 20.0) == (
        "Air-defence engagements per salvo ≤ 18 missiles")
    assert condition_text("aimpoint_kill_probability", 0.6123, 0.9, 0.3, 0.9) == (
        "Kill probability per arriving missile ≥ 0.612")
    assert condition_text("missile_unit_cost", 1e6, 3e6, 1e6, 4e6) == (
        "Cost per cruise missile ≤ $3.0M")
    assert (percent(0.004), percent(0.996), percent(1.0), percent(0.0)) == (
        "< 1 %", "> 99 %", "100 %", "0 %")
