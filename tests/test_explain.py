"""`explain`: the conditions that make a salvo enough, checked by plugging them back in."""

from __future__ import annotations

import json
import math

import pytest

from whatif.cli import main
from whatif.engine import simulate
from whatif.params import REGISTRY
from whatif.scenario import Scenario
from whatif.sensitivity import explain


def _objective(scenario, name, value, missiles, objective):
    s = scenario.with_values(missiles=missiles, **{name: value})
    return float(simulate(s, samples=0).summary.loc[objective, "p50"])


@pytest.mark.parametrize("objective, at_least", [("capacity_loss", 0.5),
                                                 ("drones_denied", 20_000.0)])
def test_thresholds_meet_the_objective_exactly_at_the_boundary(objective, at_least):
    scenario = Scenario.default()
    frame = explain(scenario, 30, objective, at_least)
    binding = frame[frame["condition"].isin([">=", "<="])]
    assert len(binding) >= 3
    for row in binding.itertuples(index=False):
        value = _objective(scenario, row.parameter, row.threshold, 30, objective)
        if REGISTRY[row.parameter].kind == "integer":  # whole numbers: met there
            assert value >= at_least
            step = 1 if row.condition == ">=" else -1
            assert _objective(scenario, row.parameter, row.threshold - step, 30, objective) < at_least
        else:
            assert value == pytest.approx(at_least, rel=1e-6), row.parameter
            assert value >= at_least


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
    scenario = Scenario.default()
    row = explain(scenario, 30, objective, at_least).set_index("parameter").loc["horizon_days"]
    assert row["condition"] == condition
    days = int(row["threshold"])
    step = 1 if condition == ">=" else -1
    assert _objective(scenario, "horizon_days", days, 30, objective) >= at_least
    assert _objective(scenario, "horizon_days", days - step, 30, objective) < at_least
