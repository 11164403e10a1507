"""Grids of assumption values run at once (`engine.compile_grid`, `engine.run_grid`): each
point is exactly `simulate` with those values set, the same samples and the same seed."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from whatif.engine import run_grid, simulate
from whatif.errors import ParameterError
from whatif.outputs import OUTPUTS
from whatif.resources import scenario_path
from whatif.scenario import Scenario


@pytest.mark.parametrize("samples", [0, 300])
def test_each_grid_point_is_a_direct_simulate(samples):
    scenario = Scenario.default()
    names = ["repair_days", "aimpoint_kill_probability", "missiles"]
    values = np.array(list(itertools.product([30.0, 90.0], [0.5, 0.9], [10.0, 45.0])))
    outputs = run_grid(scenario, names, values, samples, seed=7, batch_rows=900)
    assert outputs.shape == (8, max(samples, 1), len(OUTPUTS))
    for p in (0, 3, 5, 7):
        direct = simulate(scenario.with_values(**dict(zip(names, values[p], strict=True))),
                          samples=samples, seed=7)
        np.testing.assert_array_equal(outputs[p], direct.outputs.to_numpy())
    # the points differ where their values do
    assert outputs[0, :, 0].mean() != outputs[1, :, 0].mean()


def test_a_plan_scenario_grid_and_refusals():
    campaign = Scenario.from_yaml(scenario_path("campaign"))
    values = np.array([[60.0], [200.0]])
    outputs = run_grid(campaign, ["repair_days"], values, 200, seed=2)
    for p in range(2):
        direct = simulate(campaign.with_values(repair_days=values[p, 0]), samples=200, seed=2)
        np.testing.assert_array_equal(outputs[p], direct.outputs.to_numpy())
    with pytest.raises(ParameterError, match="missiles: is not a numeric assumption this "
                                             "scenario uses"):
        run_grid(campaign, ["missiles"], np.array([[10.0]]), 10, seed=0)
    with pytest.raises(ParameterError, match="repair_days: 5000 is out of range"):
        run_grid(Scenario.default(), ["repair_days"], np.array([[5000.0]]), 10, seed=0)
