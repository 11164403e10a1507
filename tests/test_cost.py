"""Costs (MODEL.md §4): cost_exchange_ratio = denied (c_d + c_def) / (N (1 + R) c_m)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import simple_scenario
from numpy.testing import assert_allclose, assert_array_equal

from whatif.engine import simulate
from whatif.model.cost import cost_exchange_ratio


@pytest.mark.parametrize(
    ("denied", "drone", "defence", "missiles", "salvos", "missile", "expected"),
    [
        # 1000 × (50k + 30k) / (30 × 1 × 2M) = 80M / 60M (docstring example)
        (1000, 50_000, 30_000, 30, 1, 2_000_000, 4 / 3),
        # two salvos halve it
        (1000, 50_000, 30_000, 30, 2, 2_000_000, 2 / 3),
        # 1500 × 80k / (1 × 2M) = 60
        (1500, 50_000, 30_000, 1, 1, 2_000_000, 60.0),
        # break-even: 25 drones × 80k = 2M = one missile
        (25, 50_000, 30_000, 1, 1, 2_000_000, 1.0),
        (0, 50_000, 30_000, 30, 4, 2_000_000, 0.0),
        # costless drones and defence
        (5000, 0, 0, 30, 1, 2_000_000, 0.0),
    ],
)
def test_cost_exchange_ratio_hand_values(denied, drone, defence, missiles, salvos, missile,
                                         expected):
    value = cost_exchange_ratio(denied, drone, defence, missiles, salvos, missile)
    assert value == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_cost_exchange_ratio_scalar_array_batch_identical():
    denied = np.array([[0.0, 1000.0, 2500.0], [10_000.0, 1500.0, 25.0]])
    salvos = np.array([1.0, 2.0, 4.0])
    scalars = np.array([[cost_exchange_ratio(denied[i, j], 50e3, 30e3, 30.0, salvos[j], 2e6)
                         for j in range(3)] for i in range(2)])
    batch = cost_exchange_ratio(denied, 50e3, 30e3, 30.0, salvos, 2e6)
    assert batch.shape == (2, 3)
    assert_array_equal(batch, scalars)
    assert_allclose(batch, denied * 80e3 / (30.0 * salvos * 2e6), rtol=1e-14)


def test_cost_outputs_through_simulate():
    # simple scenario: 1500 drones denied by 1 missile at the default 2M; drones 50k,
    # defence 30k → 1500 × 80k / 2M = 60; strike cost 2M
    result = simulate(simple_scenario(), samples=0)
    summary = result.summary["mean"]
    assert summary["cost_exchange_ratio"] == pytest.approx(60.0, rel=1e-12)
    assert summary["strike_cost_usd"] == pytest.approx(2e6)


def test_cost_counts_every_salvo():
    # 10 missiles per salvo, 2 re-strikes → 30 missiles × 1.5M = 45M spent
    sc = simple_scenario(missiles=10, restrikes=2, restrike_interval_days=60,
                         missile_unit_cost=1.5e6, drone_unit_cost=40e3,
                         defense_cost_per_drone=10e3)
    summary = simulate(sc, samples=0).summary["mean"]
    assert summary["strike_cost_usd"] == pytest.approx(45e6)
    assert summary["cost_exchange_ratio"] == pytest.approx(
        summary["drones_denied"] * 50e3 / 45e6, rel=1e-12)
