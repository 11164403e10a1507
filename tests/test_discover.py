"""Scenario discovery (whatif.discover): PRIM and CART recover boxes planted in synthetic
data, their statistics agree with an independent count, feature scores rank the inputs
that matter first, lever robustness and regret match hand-computed values, every bad
input is refused with a message naming it, and the result is JSON-safe."""

from __future__ import annotations

import json
import logging

import numpy as np
import pandas as pd
import pytest

from whatif.discover import (
    EMA_LOGGER,
    Box,
    DiscoveryResult,
    box_statistics,
    choose_point,
    discover,
    discover_lines,
)
from whatif.errors import ParameterError
from whatif.outputs import OUTPUTS, STATS

OUTPUT = "capacity_loss"
COLUMN = f"{OUTPUT}.mean"
INPUTS = ["x1", "x2", "x3", "x4"]


def synthetic(rows: int = 3000, noise: float = 0.02, seed: int = 1, constant=(),
              rule=None) -> tuple[pd.DataFrame, dict]:
    """A results table of ``rows`` futures (one policy) over four uniform inputs x1..x4,
    whose output is 0.8 where ``rule`` holds (default x1 > 0.6 and x2 < 0.3) and 0.2
    elsewhere, with a share ``noise`` of the labels flipped; inputs in ``constant`` are 0.5."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(rows, len(INPUTS)))
    for name in constant:
        x[:, INPUTS.index(name)] = 0.5
    met = rule(x) if rule else (x[:, 0] > 0.6) & (x[:, 1] < 0.3)
    met ^= rng.uniform(size=rows) < noise
    value = np.where(met, 0.8, 0.2)
    columns = {"future": np.arange(rows, dtype=np.int64),
               "policy": np.zeros(rows, dtype=np.int64)}
    columns |= {name: x[:, j] for j, name in enumerate(INPUTS)}
    for output in OUTPUTS:
        columns |= {f"{output}.{stat}": value for stat in STATS}
    manifest = {"uncertain": {name: [0.0, 1.0] for name in INPUTS}, "levers": {},
                "futures": rows, "policies": 1, "samples": 100, "seed": 0,
                "outputs": list(OUTPUTS), "inputs": list(INPUTS), "scenario_title": "synthetic"}
    return pd.DataFrame(columns), manifest


@pytest.fixture(scope="module")
def planted():
    table, manifest = synthetic()
    return table, manifest, discover(table, manifest, OUTPUT, at_least=0.5)


def success_of(table: pd.DataFrame, threshold: float = 0.5) -> np.ndarray:
    return table[COLUMN].to_numpy() >= threshold


# --- PRIM ------------------------------------------------------------------------------------
def test_prim_recovers_the_planted_box(planted):
    table, _, result = planted
    box = result.boxes[0]
    assert set(box.limits) == {"x1", "x2"}
    (x1_low, x1_high), (x2_low, x2_high) = box.limits["x1"], box.limits["x2"]
    assert abs(x1_low - 0.6) <= 0.05 and abs(x2_high - 0.3) <= 0.05
    # the other ends are the data's: x1 is bounded below only, x2 above only
    assert x1_high == table["x1"].max() and x2_low == table["x2"].min()
    assert box.density >= 0.9 and box.coverage >= 0.8
    assert 0.09 <= box.mass <= 0.15  # the planted box holds 0.4 × 0.3 = 12 % of the space
    assert result.share_met == pytest.approx(success_of(table).mean(), abs=1e-15)


def test_the_box_is_the_point_the_rule_chooses_and_its_numbers_are_prims(planted):
    _, _, result = planted
    box = result.boxes[0]
    trajectory = box.trajectory
    assert len(trajectory) > 10
    assert trajectory[0].coverage == 1.0 and trajectory[0].restricted == 0
    assert box.point == choose_point([p.coverage for p in trajectory],
                                     [p.density for p in trajectory],
                                     [p.restricted for p in trajectory], 0.8)
    chosen = trajectory[box.point]
    # box 1 sees all the data, so PRIM's own numbers are the box's, to the last bit
    assert (chosen.coverage, chosen.density, chosen.mass) == (
        box.coverage, box.density, box.mass)
    assert chosen.limits == box.limits and chosen.restricted == 2
    # peeling goes on past the chosen point: later points are denser but cover less
    later = trajectory[box.point + 1:]
    assert later and all(p.coverage <= box.coverage for p in later)


def test_statistics_agree_with_an_independent_count(planted):
    table, _, result = planted
    success = success_of(table)
    for box in (*result.boxes, *result.cart):
        stats = box_statistics(table[INPUTS], success, box.limits)
        assert (stats.coverage, stats.density, stats.mass) == (
            box.coverage, box.density, box.mass)
        assert (stats.successes, stats.experiments) == (box.successes, box.experiments)
        # and box_statistics itself against a plain loop over the rows
        inside = [all(low <= row[name] <= high for name, (low, high) in box.limits.items())
                  for _, row in table[INPUTS].iterrows()]
        inside = np.array(inside)
        assert stats.experiments == inside.sum()
        assert stats.successes == (inside & success).sum()
        assert stats.coverage == (inside & success).sum() / success.sum()
        assert stats.density == (inside & success).sum() / inside.sum()
        assert stats.mass == inside.sum() / len(table)


def test_box_statistics_by_hand():
    inputs = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0, 4.0], "b": [5.0, 5.0, 5.0, 9.0, 5.0]})
    success = [True, True, False, True, False]
    stats = box_statistics(inputs, success, {"a": (1.0, 3.0)})  # inclusive: rows 1, 2, 3
    assert (stats.successes, stats.experiments) == (2, 3)
    assert (stats.coverage, stats.density, stats.mass) == (2 / 3, 2 / 3, 3 / 5)
    stats = box_statistics(inputs, success, {"a": (1.0, 3.0), "b": (0.0, 6.0)})  # rows 1, 2
    assert (stats.coverage, stats.density, stats.mass) == (1 / 3, 1 / 2, 2 / 5)
    empty = box_statistics(inputs, success, {"a": (10.0, 11.0)})
    assert (empty.coverage, empty.density, empty.mass) == (0.0, 0.0, 0.0)
    assert box_statistics(inputs, [False] * 5, {}).coverage == 0.0
    with pytest.raises(ParameterError, match="limits: 'c' is not a column"):
        box_statistics(inputs, success, {"c": (0, 1)})
    with pytest.raises(ParameterError, match="success: has 2 values for 5 rows"):
        box_statistics(inputs, [True, False], {})


def test_only_the_inputs_that_vary_are_restricted():
    table, manifest = synthetic(rows=2000, noise=0.0, seed=3, constant=("x3", "x4"))
    result = discover(table, manifest, OUTPUT, at_least=0.5, max_boxes=1)
    assert len(result.boxes) == 1
    assert set(result.boxes[0].limits) == {"x1", "x2"}
    # no label noise: only PRIM's step (5 % of the box per peel) keeps the box from the edge
    assert result.boxes[0].density >= 0.98 and result.boxes[0].coverage >= 0.95
    assert abs(result.boxes[0].limits["x2"][1] - 0.3) <= 0.02
    assert set(result.cart[0].limits) == {"x1", "x2"}
    assert result.feature_scores["x3"] == 0.0 and result.feature_scores["x4"] == 0.0
    assert result.ranges["x3"] == (0.5, 0.5)


def test_two_planted_boxes_are_found_in_turn():
    def rule(x):
        return ((x[:, 0] > 0.7) & (x[:, 1] < 0.3)) | ((x[:, 2] > 0.7) & (x[:, 3] > 0.7))

    table, manifest = synthetic(rows=3000, noise=0.0, seed=5, rule=rule)
    result = discover(table, manifest, OUTPUT, at_least=0.5)
    restricted = sorted(sorted(box.limits) for box in result.boxes[:2])
    assert restricted == [["x1", "x2"], ["x3", "x4"]]
    first, second = result.boxes[:2]
    assert first.density >= 0.9 and second.density >= 0.9
    # box 2's trajectory starts from what box 1 left: its first point covers the rest
    assert second.trajectory[0].coverage == pytest.approx(1 - first.coverage, abs=1e-12)
    success = success_of(table)
    union = np.zeros(len(table), dtype=bool)
    for box in (first, second):
        union |= np.all([(table[n] >= lo) & (table[n] <= hi)
                         for n, (lo, hi) in box.limits.items()], axis=0)
    assert second.cumulative_coverage == (union & success).sum() / success.sum()
    assert second.cumulative_coverage >= 0.9
    one = discover(table, manifest, OUTPUT, at_least=0.5, max_boxes=1)
    assert len(one.boxes) == 1 and one.boxes[0].limits == first.limits


def test_no_box_when_none_reaches_the_density():
    table, manifest = synthetic(rows=1000, noise=0.5, seed=2)  # labels are coin flips
    result = discover(table, manifest, OUTPUT, at_least=0.5, min_density=0.95)
    assert result.boxes == ()
    assert any("PRIM: no box in which the goal is met in at least 95 %" in line
               for line in discover_lines(result))


# --- the rule for the point on the trajectory ----------------------------------------------------
def test_choose_point_takes_the_best_harmonic_mean_of_coverage_and_density():
    coverage = [1.0, 1.0, 0.9, 0.6]
    density = [0.2, 0.7, 0.95, 1.0]
    restricted = [0, 1, 2, 2]
    # point 1 is below the density; 2: 2·0.9·0.95/1.85 = 0.924 beats 3: 2·0.6/1.6 = 0.75
    assert choose_point(coverage, density, restricted, 0.8) == 2
    assert choose_point(coverage, density, restricted, 0.99) == 3
    assert choose_point(coverage, density, restricted, 0.5) == 2
    assert choose_point(coverage, [0.2, 0.3, 0.4, 0.5], restricted, 0.8) is None
    assert choose_point([1.0], [1.0], [0], 0.8) is None  # the whole space is no box
    assert choose_point([1.0, 0.5, 0.5], [0.5, 0.9, 0.9], [0, 1, 1], 0.8) == 1  # tie: earlier


def test_choose_point_measures_coverage_against_the_successes_left_to_the_box():
    # a later box: 20 % of all successes are left to it. Relative to those, point 2 covers
    # 90 % at density 0.82 (score 0.858) and point 3 80 % at density 1 (0.889)
    coverage, density, restricted = [0.2, 0.2, 0.18, 0.16], [0.1, 0.5, 0.82, 1.0], [0, 1, 2, 2]
    assert choose_point(coverage, density, restricted, 0.8) == 3
    # on all successes instead, point 2 would win (0.295 against 0.276)
    assert choose_point([1.0, 1.0, 0.18, 0.16], density, restricted, 0.8) == 2


# --- CART and feature scores -----------------------------------------------------------------
def test_cart_finds_the_planted_box(planted):
    table, _, result = planted
    box = result.cart[0]
    assert set(box.limits) == {"x1", "x2"}
    assert abs(box.limits["x1"][0] - 0.6) <= 0.05 and abs(box.limits["x2"][1] - 0.3) <= 0.05
    assert box.density >= 0.9 and box.coverage >= 0.8
    assert all(other.coverage <= box.coverage for other in result.cart)
    assert all(other.density > 0.5 for other in result.cart)  # regions that predict success


def test_feature_scores_rank_the_inputs_that_matter_first(planted):
    _, _, result = planted
    scores = result.feature_scores
    assert set(list(scores)[:2]) == {"x1", "x2"}
    assert list(scores.values()) == sorted(scores.values(), reverse=True)
    assert min(scores["x1"], scores["x2"]) > 3 * max(scores["x3"], scores["x4"])
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-9)


def test_results_are_reproducible_and_the_workbench_is_quiet(recwarn):
    table, manifest = synthetic(rows=800, seed=4)
    logger = logging.getLogger(EMA_LOGGER)
    level = logger.level
    first = discover(table, manifest, OUTPUT, at_least=0.5, seed=7).to_dict()
    second = discover(table, manifest, OUTPUT, at_least=0.5, seed=7).to_dict()
    assert first == second
    assert first["feature_scores"] != discover(table, manifest, OUTPUT, at_least=0.5,
                                               seed=8).to_dict()["feature_scores"]
    assert logger.level == level  # the workbench's logging is silenced only while it runs
    assert len(recwarn) == 0


# --- levers ----------------------------------------------------------------------------------
def lever_table() -> tuple[pd.DataFrame, dict]:
    """3 futures × 2 policies. capacity_loss.mean by future (rows) and policy (columns):
    policy 0: 0.1, 0.8, 0.6; policy 1: 0.3, 0.7, 0.9."""
    table = pd.DataFrame({
        "future": np.array([0, 0, 1, 1, 2, 2], dtype=np.int64),
        "policy": np.array([0, 1, 0, 1, 0, 1], dtype=np.int64),
        "aimpoint_kill_probability": [0.2, 0.2, 0.5, 0.5, 0.8, 0.8],
        "missiles": [10.0, 30.0, 10.0, 30.0, 10.0, 30.0],
        "restrikes": [2.0, 0.0, 2.0, 0.0, 2.0, 0.0],
        COLUMN: [0.1, 0.3, 0.8, 0.7, 0.6, 0.9],
    })
    manifest = {"uncertain": {"aimpoint_kill_probability": [0.1, 0.9]},
                "levers": {"missiles": [10, 30], "restrikes": [0, 2]},
                "futures": 3, "policies": 2, "samples": 10, "seed": 0, "outputs": [OUTPUT]}
    return table, manifest


def test_lever_robustness_and_regret_when_higher_is_better():
    table, manifest = lever_table()
    result = discover(table, manifest, OUTPUT, at_least=0.5)
    first, second = result.policy_robustness
    assert (first.policy, second.policy) == (0, 1)
    assert first.levers == {"missiles": 10.0, "restrikes": 2.0}
    assert second.levers == {"missiles": 30.0, "restrikes": 0.0}
    assert first.share_met == pytest.approx(2 / 3) and second.share_met == pytest.approx(2 / 3)
    # best per future: 0.3, 0.8, 0.9 → policy 0 falls short by 0.2, 0, 0.3; policy 1 by
    # 0, 0.1, 0 (P90 of three values: 0.8 of the way from the 2nd to the 3rd smallest)
    assert (first.regret_mean, first.regret_p90, first.regret_max) == pytest.approx(
        (0.5 / 3, 0.28, 0.3), abs=1e-12)
    assert (second.regret_mean, second.regret_p90, second.regret_max) == pytest.approx(
        (0.1 / 3, 0.08, 0.1), abs=1e-12)
    assert first.mean_value == pytest.approx(1.5 / 3) and second.mean_value == pytest.approx(
        1.9 / 3)
    missiles = result.by_lever["missiles"]
    assert not missiles.binned
    assert [(g.low, g.high, g.policies, g.experiments) for g in missiles.groups] == [
        (10.0, 10.0, 1, 3), (30.0, 30.0, 1, 3)]
    assert [g.share_met for g in missiles.groups] == pytest.approx([2 / 3, 2 / 3])
    assert [g.low for g in result.by_lever["restrikes"].groups] == [0.0, 2.0]


def test_regret_when_lower_is_better():
    table, manifest = lever_table()
    result = discover(table, manifest, OUTPUT, at_most=0.5)
    first, second = result.policy_robustness
    assert first.share_met == pytest.approx(1 / 3) and second.share_met == pytest.approx(1 / 3)
    # best (lowest) per future: 0.1, 0.7, 0.6 → policy 0 exceeds it by 0, 0.1, 0;
    # policy 1 by 0.2, 0, 0.3
    assert (first.regret_mean, first.regret_p90, first.regret_max) == pytest.approx(
        (0.1 / 3, 0.08, 0.1), abs=1e-12)
    assert (second.regret_mean, second.regret_p90, second.regret_max) == pytest.approx(
        (0.5 / 3, 0.28, 0.3), abs=1e-12)
    lines = discover_lines(result)
    policies = [line for line in lines if line.startswith("  Policy ")]
    assert policies[0].startswith("  Policy 0 (missiles 10 missiles, restrikes 2 salvos): met "
                                  "in 33 %; regret mean 0.0333, P90 0.08, max 0.1")


def test_a_lever_with_many_values_is_reported_in_quartile_bins():
    futures, policies = 5, 20
    rng = np.random.default_rng(0)
    level = np.arange(1.0, policies + 1)  # the lever's value of each policy
    future_value = rng.uniform(size=futures)
    table = pd.DataFrame({
        "future": np.repeat(np.arange(futures), policies).astype(np.int64),
        "policy": np.tile(np.arange(policies), futures).astype(np.int64),
        "repair_days": np.repeat(future_value, policies),
        "missiles": np.tile(level, futures),
    })
    table[COLUMN] = (table["missiles"] > 10).astype(float)  # met when missiles > 10
    manifest = {"uncertain": {"repair_days": [0, 1]}, "levers": {"missiles": [1, 20]}}
    result = discover(table, manifest, OUTPUT, at_least=0.5)
    missiles = result.by_lever["missiles"]
    assert missiles.binned
    assert [(g.low, g.high, g.policies, g.experiments, g.share_met) for g in missiles.groups] == [
        (1.0, 5.0, 5, 25, 0.0), (6.0, 10.0, 5, 25, 0.0), (11.0, 15.0, 5, 25, 1.0),
        (16.0, 20.0, 5, 25, 1.0)]
    # and PRIM finds the lever's threshold
    assert list(result.boxes[0].limits) == ["missiles"]
    assert 10 < result.boxes[0].limits["missiles"][0] <= 11


# --- nothing to separate ---------------------------------------------------------------------
@pytest.mark.parametrize(("goal", "share"), [({"at_least": 5.0}, 0.0), ({"at_most": 5.0}, 1.0)])
def test_a_goal_met_nowhere_or_everywhere_gives_a_result_without_boxes(goal, share):
    table, manifest = lever_table()
    result = discover(table, manifest, OUTPUT, **goal)
    assert result.share_met == share
    assert result.boxes == () and result.cart == () and result.feature_scores == {}
    assert "nothing to separate" in result.note
    assert len(result.policy_robustness) == 2  # the levers are still compared
    lines = discover_lines(result)
    assert lines[0] == (f"capacity_loss (mean) {'≥' if 'at_least' in goal else '≤'} 5 in "
                        f"{100 * share:.0f} % of 6 experiments (3 futures × 2 policies).")
    assert json.loads(json.dumps(result.to_dict(), allow_nan=False))["boxes"] == []


# --- refused input ---------------------------------------------------------------------------
def _drop(column):
    def change(table, manifest):
        return table.drop(columns=column), manifest
    return change


def _set(column, row, value):
    def change(table, manifest):
        table = table.copy()
        table[column] = table[column].astype(object if isinstance(value, str) else float)
        table.loc[row, column] = value
        return table, manifest
    return change


def _manifest(**entries):
    def change(table, manifest):
        return table, {**manifest, **entries}
    return change


BAD_CALLS = [
    ({"output": "nope"}, None, "output: 'nope' is not a model output; allowed capacity_loss"),
    ({"output": ["capacity_loss"]}, None, "output: .* is not a model output"),
    ({"output": "drones_denied"}, None, "output: 'drones_denied' is not in this ensemble"),
    ({"statistic": "p95"}, None, "statistic: 'p95' is not allowed; allowed mean, p10, p50, p90"),
    ({"at_most": 0.5}, None, "goal: give exactly one of at_least and at_most \\(got both\\)"),
    ({"at_least": None}, None, "goal: .*\\(got neither\\)"),
    ({"at_least": float("nan")}, None, "at_least: nan is not a finite number"),
    ({"at_least": float("inf")}, None, "at_least: inf is not a finite number"),
    ({"at_least": "0.5"}, None, "at_least: '0.5' is not a finite number"),
    ({"at_least": True}, None, "at_least: True is not a finite number"),
    ({"at_least": 10**400}, None, "at_least: a number of about 401 digits is not a finite"),
    ({"at_least": None, "at_most": float("-inf")}, None, "at_most: -inf is not a finite"),
    ({"max_boxes": -1}, None, "max_boxes: -1 is out of range; allowed whole numbers 0 to 20"),
    ({"max_boxes": 2.0}, None, "max_boxes: 2 is out of range"),
    ({"min_density": 0}, None, "min_density: 0 is out of range; allowed a number in \\(0, 1\\]"),
    ({"min_density": 1.5}, None, "min_density: 1.5 is out of range"),
    ({"mass_min": 0.9}, None, "mass_min: 0.9 is out of range; allowed a number in \\(0, 0.5\\]"),
    ({"peel_alpha": float("nan")}, None, "peel_alpha: nan is out of range"),
    ({"seed": -1}, None, "seed: -1 is out of range"),
    ({}, _drop("missiles"), "table: missing column\\(s\\) missiles; a results table has"),
    ({}, _drop(["future", COLUMN]), "table: missing column\\(s\\) future, capacity_loss.mean"),
    ({"statistic": "p50"}, None, "table: missing column\\(s\\) capacity_loss.p50"),
    ({}, _set(COLUMN, 2, np.nan), "table: column capacity_loss.mean has values that are not "
     "finite"),
    ({}, _set("aimpoint_kill_probability", 0, np.inf), "table: column "
     "aimpoint_kill_probability has values that are not finite"),
    ({}, _set("missiles", 0, "many"), "table: column missiles is not numeric"),
    ({}, _set("policy", 1, 0), "table: future 0 under policy 0 appears twice"),
    ({}, _set("policy", 5, 0.5), "table: column policy holds values that are not whole"),
    ({}, lambda t, m: (t.iloc[:5], m), "table: future 2 has no row under policy 1; every "
     "future must be run under every policy"),
    ({}, _set("missiles", 2, 20.0), "table: lever missiles varies within a policy"),
    ({}, lambda t, m: (t.iloc[:0], m), "table: has no experiments"),
    ({}, lambda t, m: (t.to_dict(), m), "table: is a dict, not a pandas DataFrame"),
    ({}, lambda t, m: (t, None), "manifest: is None, not a mapping"),
    ({}, lambda t, m: (t, {"levers": m["levers"]}), "manifest: has no 'uncertain'"),
    ({}, _manifest(uncertain={}, levers={}), "manifest: has no explored inputs"),
    ({}, _manifest(uncertain=["x"]), "manifest: 'uncertain' is .*, not a mapping"),
    ({}, _manifest(uncertain={"missiles": [1, 2]}), "manifest: missiles is both uncertain and "
     "a lever"),
    ({}, _manifest(outputs="capacity_loss"), "manifest: 'outputs' is .*not a list of names"),
]


@pytest.mark.parametrize(("arguments", "change", "message"), BAD_CALLS,
                         ids=[message[:40] for _, _, message in BAD_CALLS])
def test_bad_input_is_refused_naming_it(arguments, change, message):
    table, manifest = lever_table()
    if change is not None:
        table, manifest = change(table, manifest)
    call = {"output": OUTPUT, "at_least": 0.5, **arguments}
    with pytest.raises(ParameterError, match=f"^{message}") as caught:
        discover(table, manifest, **call)
    assert isinstance(caught.value, ValueError)
    assert "\n" not in str(caught.value)


# --- the dictionary and the text -------------------------------------------------------------
def test_to_dict_is_json_safe_and_has_the_documented_shape(planted):
    _, _, result = planted
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert {"output", "statistic", "goal", "share_met", "boxes", "cart", "feature_scores",
            "levers"} <= data.keys()
    assert (data["output"], data["statistic"], data["goal"]) == (OUTPUT, "mean",
                                                                 {"at_least": 0.5})
    assert data["share_met"] == result.share_met
    box = data["boxes"][0]
    assert {"coverage", "density", "mass", "limits", "trajectory", "point"} <= box.keys()
    assert set(box["limits"]) == {"x1", "x2"}
    assert box["limits"]["x1"] == list(result.boxes[0].limits["x1"])
    assert len(box["trajectory"]) == len(result.boxes[0].trajectory)
    assert set(box["trajectory"][0]) == {"coverage", "density", "mass", "restricted", "limits"}
    assert {"coverage", "density", "mass", "limits"} <= data["cart"][0].keys()
    assert list(data["feature_scores"]) == list(result.feature_scores)
    assert data["levers"] == {"names": [], "policies": [], "by_lever": {}}


def test_to_dict_with_levers():
    table, manifest = lever_table()
    data = json.loads(json.dumps(discover(table, manifest, OUTPUT, at_least=0.5).to_dict(),
                                 allow_nan=False))
    policy = data["levers"]["policies"][0]
    assert policy["levers"] == {"missiles": 10.0, "restrikes": 2.0}
    assert set(policy["regret"]) == {"mean", "p90", "max"}
    assert data["levers"]["by_lever"]["missiles"]["groups"][0] == {
        "low": 10.0, "high": 10.0, "policies": 1, "experiments": 3, "share_met": 2 / 3}


def test_discover_lines_of_the_planted_box(planted):
    table, _, result = planted
    lines = discover_lines(result)
    share = round(100 * success_of(table).mean())
    assert lines[0] == f"capacity_loss (mean) ≥ 0.5 in {share} % of 3,000 experiments."
    box = result.boxes[0]
    assert lines[2] == (f"  Box 1: coverage {100 * box.coverage:.0f} %, density "
                        f"{100 * box.density:.0f} %, mass {100 * box.mass:.0f} %: "
                        f"x1 ≥ {box.limits['x1'][0]:.3g}; x2 ≤ {box.limits['x2'][1]:.3g}")
    assert any(line.startswith("  Region 1: coverage") for line in lines)
    scores = lines.index("What decides it (extra-trees feature scores, summing to 1):")
    assert lines[scores + 1].split()[0] in ("x1", "x2")


def test_discover_lines_use_the_registry_units_and_whole_numbers():
    ranges = {"aimpoint_kill_probability": (0.1, 0.95), "defense_engagements": (0.0, 30.0),
              "repair_days": (30.0, 400.0), "missile_unit_cost": (1e6, 3e6)}
    box = Box(coverage=0.8, density=0.85, mass=0.1, successes=80, experiments=94,
              limits={"aimpoint_kill_probability": (0.6, 0.95),
                      "defense_engagements": (0.0, 12.5), "repair_days": (90.0, 200.0),
                      "missile_unit_cost": (1e6, 2.5e6)},
              point=3, cumulative_coverage=0.8)
    result = DiscoveryResult(
        output="drones_denied", statistic="p10", goal="at_least", threshold=2500.0,
        experiments=1000, futures=1000, policies=1, successes=420, inputs=tuple(ranges),
        levers=(), ranges=ranges, boxes=(box,), cart=(),
        feature_scores={"repair_days": 0.5, "aimpoint_kill_probability": 0.3,
                        "defense_engagements": 0.15, "missile_unit_cost": 0.05},
        settings={"max_boxes": 3, "min_density": 0.8})
    lines = discover_lines(result)
    assert lines[0] == "drones_denied (p10) ≥ 2,500 drones in 42 % of 1,000 experiments."
    assert lines[2] == ("  Box 1: coverage 80 %, density 85 %, mass 10 %: "
                        "aimpoint_kill_probability ≥ 0.6; defense_engagements ≤ 12 missiles; "
                        "repair_days 90 to 200 days; missile_unit_cost ≤ $2.5M")
    assert "CART: no region of the tree predicts the goal is met." in lines
    assert "  repair_days                0.500  (Days to restore the plant's lost capacity)" in (
        lines)
