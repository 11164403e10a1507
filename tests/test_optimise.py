"""The plan optimiser: one truth with simulate, brute force on small systems, the supply
chokepoint, the inventory, the CLI."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from whatif.cli import main
from whatif.engine import simulate
from whatif.errors import ParameterError
from whatif.optimise import _compositions, count_splits, optimise_plan
from whatif.scenario import Scenario

#: a steady plant world: flat output, no stock, linear repair, a light default defence
WORLD = dict(production_path="target", production_now=100.0, ramp_days=0.0,
             stockpile_days=0.0, dispersal_share=0.0, repair_days=60.0, horizon_days=120,
             launch_reliability=0.9, defense_engagements=2, intercept_probability=0.5,
             aimpoint_kill_probability=0.8, allocation="even")


def system(engine_defence=None, engine_aimpoints=2):
    engines = {"name": "engines", "role": "component", "supplies": ["line-a", "line-b"],
               "stages": f"engines:{engine_aimpoints}"}
    if engine_defence:
        engines.update(engine_defence)
    sites = [{"name": "line-a", "role": "assembly", "share": 0.6, "stages": "a:4;b:4"},
             {"name": "line-b", "role": "assembly", "share": 0.3, "stages": "c:3"},
             engines]
    return Scenario.default().with_values(**WORLD).with_plan(sites=sites)


def plan_value(scenario, salvos, objective, samples, seed=0, at_least=None):
    """The objective of one plan straight from simulate (the optimiser must agree)."""
    result = simulate(scenario.with_plan(plan=salvos), samples=samples, seed=seed)
    values = result.outputs[objective].to_numpy()
    return float(values.mean()) if at_least is None else float(np.mean(values >= at_least))


def test_compositions_are_every_split_once():
    splits = list(_compositions(5, 3))
    assert len(splits) == len(set(splits)) == count_splits(5, 3) == 21
    assert all(sum(s) == 5 and min(s) >= 0 for s in splits)


def test_the_best_value_is_simulates_value_of_that_plan():
    scenario = system()
    result = optimise_plan(scenario, 8, objective="drones_denied", samples=400, seed=3)
    direct = plan_value(scenario, result.best.plan.salvos(result.sites), "drones_denied",
                        400, seed=3)
    assert result.best.value == pytest.approx(direct, rel=1e-12)
    assert result.scenario.plan_dict()["plan"] == result.best.plan.salvos(result.sites)
    assert simulate(result.scenario, samples=400, seed=3).summary.loc[
        "drones_denied", "mean"] == pytest.approx(result.best.value, rel=1e-12)


@pytest.mark.parametrize(("samples", "objective", "at_least"), [
    (0, "capacity_loss", None), (300, "capacity_loss", None), (300, "drones_denied", None),
    (300, "capacity_loss", 0.5)])
def test_exhaustive_and_exchange_search_match_brute_force(samples, objective, at_least):
    scenario = system()
    missiles = 7
    brute = {split: plan_value(scenario, [{"day": 0, "missiles": dict(
        zip(("line-a", "line-b", "engines"), split, strict=True))}], objective, samples,
        at_least=at_least)
        for split in _compositions(missiles, 3)}
    best_value = max(brute.values())
    exhaustive = optimise_plan(scenario, missiles, objective=objective, at_least=at_least,
                               samples=samples, exhaustive=True)
    search = optimise_plan(scenario, missiles, objective=objective, at_least=at_least,
                           samples=samples, exhaustive=False)
    assert exhaustive.method == "exhaustive" and search.method == "exchange search"
    assert exhaustive.evaluations == count_splits(missiles, 3)
    assert exhaustive.best.value == pytest.approx(best_value, rel=1e-12, abs=1e-15)
    assert search.best.value == pytest.approx(best_value, rel=1e-12, abs=1e-15)
    assert search.evaluations < exhaustive.evaluations
    # the alternatives are the next best plans, in order, each no better than the best
    values = [a.value for a in exhaustive.alternatives]
    assert values == sorted(values, reverse=True)
    assert values[0] == pytest.approx(sorted(brute.values())[-2], rel=1e-12, abs=1e-15)


def test_it_finds_the_supply_chokepoint():
    """A lightly defended engine maker (two aimpoints) feeds both lines: striking it stops
    both, so the best plan sends most missiles there."""
    result = optimise_plan(system(), 12, samples=0)
    engines = result.best.plan.missiles[0][2]
    assert engines >= 8
    assert result.best.value > result.obvious.value + 0.1


def test_it_moves_away_from_a_heavily_defended_chokepoint():
    heavy = {"defense_engagements": 50, "intercept_probability": 0.95}
    result = optimise_plan(system(engine_defence=heavy), 12, samples=0)
    assert result.best.plan.missiles[0][2] <= 1
    light = optimise_plan(system(), 12, samples=0)
    assert result.best.value < light.best.value


def test_two_salvos_respect_the_inventory_and_match_brute_force():
    """A single plant, 6 missiles in 2 salvos, 4 in hand and 2 delivered on day 30: the
    second salvo cannot fire more than the delivery allows; the search matches brute force
    over every feasible (days, split)."""
    scenario = Scenario.default().with_values(**{**WORLD, "horizon_days": 42}).with_plan(
        inventory={"on_hand": 4, "delivered_per_30_days": 2})
    result = optimise_plan(scenario, 6, salvos=2, objective="drones_denied", samples=200)
    first, second = result.best.plan.totals
    assert first <= 4 and first + second == 6
    best = -1.0
    grid = range(0, 42, 7)
    for d1, d2 in itertools.combinations(grid, 2):
        for n1 in range(1, 6):
            n2 = 6 - n1
            in_hand_2 = 4 + 2 * (d2 // 30) - n1
            if n1 > 4 or n2 > in_hand_2:
                continue
            salvos = [{"day": d1, "missiles": {"plant": n1}},
                      {"day": d2, "missiles": {"plant": n2}}]
            best = max(best, plan_value(scenario, salvos, "drones_denied", 200))
    assert result.best.value == pytest.approx(best, rel=1e-12)


def test_common_random_numbers_make_reruns_identical():
    a = optimise_plan(system(), 9, samples=500, seed=2)
    b = optimise_plan(system(), 9, samples=500, seed=2)
    assert a.to_dict() == b.to_dict()


@pytest.mark.parametrize(("kwargs", "message"), [
    (dict(missiles=0), "missiles: 0 is out of range; allowed 1 to 100,000"),
    (dict(missiles=5, salvos=6), "salvos: 6 salvos need at least 6 missiles"),
    (dict(missiles=5, objective="strike_cost_usd"), "objective"),
    (dict(missiles=5, confidence=0.8), "confidence: a confidence needs --at-least"),
    (dict(missiles=40), "40 missiles in 1 salvo\\(s\\) do not fit the inventory"),
])
def test_bad_requests_name_the_parameter(kwargs, message):
    scenario = system().with_plan(inventory={"on_hand": 30})
    with pytest.raises(ParameterError, match=message):
        optimise_plan(scenario, **{"samples": 0, **kwargs})


def test_cli_plan_optimise_json_shape(capsys):
    code = main(["plan", "optimise", "system-two-lines", "--missiles", "20", "--samples", "300",
                 "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    best = data["best"]
    assert set(best) >= {"salvos", "objective", "value", "p10", "p90"}
    assert sum(sum(s["missiles"].values()) for s in best["salvos"]) == 20
    assert best["objective"] == "capacity_loss"
    assert best["p10"] <= best["value"] <= best["p90"] or best["p10"] == best["p90"]
    assert data["alternatives"] and all(a["worse_by"] >= 0 for a in data["alternatives"])


def test_cli_plan_optimise_text_and_bad_input(capsys):
    assert main(["plan", "optimise", "system-two-lines", "--missiles", "10", "--samples",
                 "0", "--at-least", "0.5", "--confidence", "0.8"]) == 0
    out = capsys.readouterr().out
    assert "Best plan" in out and "the required confidence 80%" in out
    assert main(["plan", "optimise", "system-two-lines", "--missiles", "500"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "do not fit the inventory" in err
