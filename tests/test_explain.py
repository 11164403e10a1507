"""`explain`: the conditions that make a salvo enough, checked by plugging them back in."""

from __future__ import annotations

import functools
import json
import math

import pytest

from whatif.cli import main
from whatif.engine import simulate
from whatif.errors import ParameterError
from whatif.params import NUMERIC, REGISTRY
from whatif.scenario import Scenario
from whatif.sensitivity import explain


def _objective(scenario, name, value, missiles, objective):
    s = scenario.with_values(missiles=missiles, **{name: value})
    return float(simulate(s, samples=0).summary.loc[objective, "p50"])


@pytest.mark.parametrize("objective, at_least", [("capacity_loss", 0.5),
                                                 ("drones_denied", 20_000.0)])
def test_thresholds_meet_the_objective_exactly_at_the_boundary(objective, at_least):
    scenario = Scenario.from_yaml("data/scenarios/stated-target.yaml")
    frame = explain(scenario, 30, objective, at_least)
    binding = frame[frame["condition"].isin([">=", "<="])]
    assert len(binding) >= 3
    for row in binding.itertuples(index=False):
        value = _objective(scenario, row.parameter, row.threshold, 30, objective)
        if REGISTRY[row.parameter].kind == "integer":  # whole numbers: met there
            assert value >= at_least
            step = 1 if row.condition == ">=" else -1
            before = _objective(scenario, row.parameter, row.threshold - step, 30, objective)
            assert before < at_least
        else:
            assert value == pytest.approx(at_least, rel=1e-6), row.parameter
            assert value >= at_least


#: (scenario file, missiles, objective, at least): two goals on the defaults, and one whose
#: conditions include a "between" and a "ranges" (met on separate ranges of re-strike gaps)
GOALS = {
    "capacity_loss": ("data/scenarios/baseline.yaml", 30, "capacity_loss", 0.5),
    "drones_denied": ("data/scenarios/stated-target.yaml", 30, "drones_denied", 20_000.0),
    "trend_drones": ("data/scenarios/baseline.yaml", 30, "drones_denied", 1_500.0),
    "energy_hits": ("data/scenarios/dispersal-restrikes.yaml", 30, "energy_hit_reduction",
                    0.014, {"production_path": "target"}),
}
SWEPT = [n for n in NUMERIC if n != "missiles"]  # the salvo is given


def _goal(goal: str):
    """(scenario, missiles, objective, at_least) of a goal (a file, with changes if given)."""
    path, missiles, objective, at_least, *changes = GOALS[goal]
    scenario = Scenario.from_yaml(path).with_values(**(changes[0] if changes else {}))
    return scenario, missiles, objective, at_least


@functools.lru_cache
def _explained(goal: str):
    scenario, missiles, objective, at_least = _goal(goal)
    return explain(scenario, missiles, objective, at_least).set_index("parameter")


def _meets(goal: str, name: str, value: float) -> bool:
    """The goal, checked by a direct deterministic run with ``name`` at ``value``."""
    scenario, missiles, objective, at_least = _goal(goal)
    return _objective(scenario, name, value, missiles, objective) >= at_least


def test_the_goals_cover_every_condition():
    conditions = set()
    for goal in GOALS:
        conditions |= set(_explained(goal)["condition"])
    assert conditions == {">=", "<=", "between", "ranges", "any", "none"}


@pytest.mark.parametrize("name", SWEPT)
@pytest.mark.parametrize("goal", list(GOALS))
def test_every_reported_end_meets_the_goal_and_just_beyond_does_not(goal, name):
    frame = _explained(goal)
    row = frame.loc[name]
    p = REGISTRY[name]
    lower, upper = p.lower_bound, p.upper_bound
    # how far the bisection leaves an end from a value that fails: 1 for whole numbers
    precision = 1.0 if p.kind == "integer" else (
        (upper - lower) / (frame.attrs["grid"] - 1) / 2 ** frame.attrs["refine"])
    beyond = 2 * precision
    ranges = row["ranges"]
    for low, high in ranges:
        assert lower <= low <= high <= upper
        assert _meets(goal, name, low) and _meets(goal, name, high), (low, high)
        if low > lower:  # a boundary inside the allowed range: just below fails
            assert not _meets(goal, name, max(lower, low - beyond)), low
        if high < upper:
            assert not _meets(goal, name, min(upper, high + beyond)), high
    if p.kind == "integer":
        assert all(float(v).is_integer() for r in ranges for v in r)
    # the condition says what the ranges say
    condition, threshold, threshold_high = row["condition"], row["threshold"], row["threshold_high"]
    expected = {"none": [], "any": [[lower, upper]], ">=": [[threshold, upper]],
                "<=": [[lower, threshold]], "between": [[threshold, threshold_high]]}
    if condition == "ranges":
        assert len(ranges) >= 2 and threshold is None and threshold_high is None
    else:
        assert ranges == expected[condition]
    if condition in ("none", "any"):
        assert threshold is None and threshold_high is None
        for value in (lower, row["central"], upper):
            assert _meets(goal, name, value) == (condition == "any"), value
    if condition in (">=", "<=", "between"):
        assert isinstance(threshold, float) and lower < threshold < upper


def test_thresholds_do_not_depend_on_the_grid():
    # bisection takes every threshold to the same value from a coarse or a fine sweep
    coarse = explain(Scenario.default(), 30, "capacity_loss", 0.5, grid=17).set_index("parameter")
    fine = _explained("capacity_loss")
    assert (coarse["condition"] == fine.loc[coarse.index, "condition"]).all()
    binding = fine[fine["condition"].isin([">=", "<="])]
    assert len(binding) >= 3
    for name, row in binding.iterrows():
        assert coarse.loc[name, "threshold"] == pytest.approx(row["threshold"], rel=1e-9), name


@pytest.mark.parametrize("argument, value, needle", [
    ("grid", 1, "grid: 1 is out of range; allowed 2 to 2049"),
    ("grid", 0, "grid"), ("grid", -3, "grid"), ("grid", 10**7, "grid"),
    ("grid", 12.5, "grid"), ("grid", True, "grid"), ("grid", "257", "grid"),
    ("refine", -1, "refine: -1 is out of range; allowed 0 to 64"),
    ("refine", 2.5, "refine"), ("refine", 65, "refine"), ("refine", None, "refine"),
])
def test_explain_rejects_unusable_arguments(argument, value, needle):
    with pytest.raises(ParameterError, match=needle):
        explain(Scenario.default(), 30, "capacity_loss", 0.5, **{argument: value})


def test_a_coarse_unrefined_sweep_still_reports_values_that_meet():
    # refine = 0: the ends are the sweep's own points on the side that meets
    frame = explain(Scenario.default(), 30, "capacity_loss", 0.5, grid=2, refine=0)
    assert set(frame["condition"]) <= {"any", "none", ">=", "<="}
    for row in frame[frame["condition"].isin([">=", "<="])].itertuples():
        p = REGISTRY[row.parameter]
        assert row.threshold == (p.upper_bound if row.condition == ">=" else p.lower_bound)


def test_known_thresholds_for_the_defaults():
    frame = explain(Scenario.default(), 30, "capacity_loss", 0.5).set_index("parameter")
    # 30 missiles on 20 aimpoints: 10 get two, 10 get one (MODEL.md §1), so with x = a q the
    # loss is 1 - (1 - x)(1 - x/2) = 0.5 ⇔ x² - 3x + 1 = 0: x = (3 - √5)/2, a = 23/30
    q = (3 - math.sqrt(5)) / 2 / (23 / 30)
    assert frame.loc["aimpoint_kill_probability", "condition"] == ">="
    assert frame.loc["aimpoint_kill_probability", "threshold"] == pytest.approx(q, rel=1e-6)
    assert frame.loc["energy_share", "condition"] == "any"  # downstream of the strike


def test_explain_cli_json(capsys):
    assert main(["explain", "data/scenarios/baseline.yaml", "--missiles", "30", "--objective",
                 "capacity_loss", "--at-least", "0.5", "--confidence", "0.8", "--samples", "500",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["met"] is True and data["probability_at_missiles"] >= 0.8
    names = [c["parameter"] for c in data["conditions"]]
    assert names[0] == "aimpoint_kill_probability" and "missiles" not in names


def test_explain_cli_bad_input(capsys):
    assert main(["explain", "data/scenarios/baseline.yaml", "--missiles", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missiles" in err[0] and "1 to 1000" in err[0]


@pytest.mark.parametrize("objective, at_least, condition", [("target_share_denied", 0.012, "<="),
                                                            ("drones_denied", 2000.0, ">=")])
def test_horizon_threshold_is_where_a_direct_run_crosses(objective, at_least, condition):
    # the kernel reads each row's own horizon, so explain sweeps it like any whole number
    scenario = Scenario.from_yaml("data/scenarios/stated-target.yaml")
    row = explain(scenario, 30, objective, at_least).set_index("parameter").loc["horizon_days"]
    assert row["condition"] == condition
    days = int(row["threshold"])
    step = 1 if condition == ">=" else -1
    assert _objective(scenario, "horizon_days", days, 30, objective) >= at_least
    assert _objective(scenario, "horizon_days", days - step, 30, objective) < at_least
