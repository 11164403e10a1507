"""Launches and the grid (MODEL.md §3): stockpile drawdown, energy hits, damaged grid."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROW, run_chain, simple_scenario
from numpy.testing import assert_allclose, assert_array_equal

from whatif.engine import simulate
from whatif.model.campaign import energy_hits

# --- launches ----------------------------------------------------------------------------


@pytest.mark.parametrize("ramp_days", [0.0, 365.0])
def test_no_stockpile_launches_equal_production(ramp_days):
    _, series = run_chain(stockpile_days=0.0, ramp_days=ramp_days, horizon_days=120)
    assert_array_equal(series[ROW["launches_baseline"]], series[ROW["production_baseline"]])
    assert_allclose(series[ROW["launches_strike"]], series[ROW["production_strike"]],
                    rtol=1e-13)


def test_no_stockpile_every_shortfall_is_a_launch_deficit():
    out, _ = run_chain(stockpile_days=0.0)
    assert out["launches_denied"] == pytest.approx(out["drones_denied"], rel=1e-12)
    assert out["baseline_launches"] == pytest.approx(100.0 * 180, rel=1e-12)


def test_stockpile_covers_the_first_shortfall():
    # stock = 5 days × P_base(0) = 500 drones; shortfall(t) = 100 × 0.5 × (1 - (t + 0.5)/60)
    out, series = run_chain(stockpile_days=5.0)
    shortfall = series[ROW["production_baseline"]] - series[ROW["production_strike"]]
    cumulative = np.cumsum(shortfall)
    # cumulative launch deficit = max(0, cumulative shortfall - stock)
    deficit = series[ROW["launches_baseline"]] - series[ROW["launches_strike"]]
    assert_allclose(np.cumsum(deficit), np.maximum(0.0, cumulative - 500.0), atol=1e-9)
    # launches stay at the no-strike rate while the stock lasts
    first_short = int(np.argmax(cumulative > 500.0))
    assert first_short > 0
    assert_array_equal(deficit[:first_short], 0.0)
    assert deficit[first_short] > 0
    # total: P L T/2 - stock = 1500 - 500
    assert out["drones_denied"] == pytest.approx(1500.0, rel=1e-12)
    assert out["launches_denied"] == pytest.approx(1000.0, rel=1e-12)


def test_stockpile_larger_than_the_shortfall_keeps_launches():
    # 30 days of stock = 3000 drones > 1500 denied: launches never fall
    out, series = run_chain(stockpile_days=30.0)
    assert out["launches_denied"] == 0.0
    assert_array_equal(series[ROW["launches_strike"]], series[ROW["launches_baseline"]])
    assert out["grid_mw_days"] == 0.0


def test_stock_is_stockpile_days_of_day0_baseline_with_a_ramp():
    # ramp from 100 to 1000 over 100 days; stock = 2 × P_base(0) = 200 drones
    out, series = run_chain(production_now=100.0, production_target=1000.0, ramp_days=100.0,
                            stockpile_days=2.0)
    shortfall = series[ROW["production_baseline"]] - series[ROW["production_strike"]]
    assert out["launches_denied"] == pytest.approx(shortfall.sum() - 200.0, rel=1e-12)


# --- energy hits -----------------------------------------------------------------------


def test_energy_hits_hand_values():
    # launches × e × (1 - δ): 1000 × 0.5 × 0.15 = 75
    assert float(energy_hits(1000.0, 0.5, 0.85)) == pytest.approx(75.0)
    assert float(energy_hits(200.0, 1.0, 0.0)) == 200.0
    assert float(energy_hits(200.0, 0.5, 1.0)) == 0.0
    # broadcasts like the other model functions
    launches = np.array([[100.0, 200.0], [300.0, 400.0]])
    defeat = np.array([0.8, 0.9])
    assert_allclose(energy_hits(launches, 0.5, defeat), launches * 0.5 * (1 - defeat))
    scalars = [[float(energy_hits(launches[i, j], 0.5, defeat[j])) for j in range(2)]
               for i in range(2)]
    assert_array_equal(energy_hits(launches, 0.5, defeat), scalars)


def test_energy_hit_series_follow_launches():
    out, series = run_chain(stockpile_days=5.0, energy_share=0.4, defeat_rate=0.85)
    assert_allclose(series[ROW["energy_hits_baseline"]],
                    energy_hits(series[ROW["launches_baseline"]], 0.4, 0.85), rtol=1e-12)
    assert_allclose(series[ROW["energy_hits_strike"]],
                    energy_hits(series[ROW["launches_strike"]], 0.4, 0.85), rtol=1e-12)


def test_energy_outputs_through_simulate():
    # simple scenario: no stock, so launches denied = drones denied = 1500;
    # energy hits averted = 1500 × 0.5 × (1 - 0.8) = 150; reduction = 1500 / (100 × 180)
    result = simulate(simple_scenario(), samples=0, series=True)
    summary = result.summary["mean"]
    assert summary["energy_hits_averted"] == pytest.approx(150.0, rel=1e-12)
    assert summary["energy_hit_reduction"] == pytest.approx(1500.0 / 18000.0, rel=1e-12)
    averted = (result.series[("energy_hits_baseline", "mean")]
               - result.series[("energy_hits_strike", "mean")]).sum()
    assert averted == pytest.approx(150.0, rel=1e-12)


# --- the grid: G(t+1) = G(t) + h(t) m - G(t)/τ ----------------------------------------------


def test_grid_one_day_deficit_hand_case():
    # T = 1: only day 0 loses output, 100 × 1 × (1 - 0.5/1) = 50 drones; no stock → 50 fewer
    # launches, × e (1 - δ) = 0.5 × 0.2 → 5 fewer hits, × m = 4 → 20 MW less damage (day 1).
    # Then the gap decays by (1 - 1/τ) = 0.9 a day: gap(t) = 20 × 0.9^(t-1) for t >= 1.
    horizon = 30
    out, series = run_chain(salvo_losses=(1.0,), repair_days=1.0, energy_share=0.5,
                            defeat_rate=0.8, mw_per_hit=4.0, grid_repair_days=10.0,
                            horizon_days=horizon)
    assert out["drones_denied"] == pytest.approx(50.0)
    hits_gap = series[ROW["energy_hits_baseline"]] - series[ROW["energy_hits_strike"]]
    assert hits_gap[0] == pytest.approx(5.0)
    assert_array_equal(hits_gap[1:], 0.0)
    # no-strike equilibrium: G = h m τ = (100 × 0.1) × 4 × 10 = 400 MW every day
    assert_allclose(series[ROW["grid_damaged_baseline"]], 400.0, rtol=1e-12)
    gap = series[ROW["grid_damaged_baseline"]] - series[ROW["grid_damaged_strike"]]
    expected_gap = np.array([0.0] + [20.0 * 0.9 ** (t - 1) for t in range(1, horizon)])
    assert_allclose(gap, expected_gap, rtol=1e-12, atol=1e-12)
    assert series[ROW["grid_damaged_strike"], 1] == pytest.approx(380.0)
    assert series[ROW["grid_damaged_strike"], 2] == pytest.approx(382.0)
    # MW·days averted: Σ_{t=1}^{H-1} 20 × 0.9^(t-1) = 200 (1 - 0.9^(H-1))
    assert out["grid_mw_days"] == pytest.approx(200 * (1 - 0.9 ** (horizon - 1)), rel=1e-12)


def test_grid_series_follow_the_recursion_with_a_ramp():
    out, series = run_chain(production_now=100.0, ramp_days=200.0, stockpile_days=3.0,
                            energy_share=0.6, defeat_rate=0.85, mw_per_hit=5.0,
                            grid_repair_days=40.0, horizon_days=150)
    m, tau = 5.0, 40.0
    for base_or_strike in ("baseline", "strike"):
        g = series[ROW[f"grid_damaged_{base_or_strike}"]]
        h = series[ROW[f"energy_hits_{base_or_strike}"]]
        assert_allclose(g[1:], g[:-1] + h[:-1] * m - g[:-1] / tau, rtol=1e-10)
    # starts at the no-strike equilibrium G(0) = h(0) m τ, for both
    h0 = series[ROW["energy_hits_baseline"], 0]
    assert series[ROW["grid_damaged_baseline"], 0] == pytest.approx(h0 * m * tau)
    assert series[ROW["grid_damaged_strike"], 0] == pytest.approx(h0 * m * tau)
    gap = series[ROW["grid_damaged_baseline"]] - series[ROW["grid_damaged_strike"]]
    assert out["grid_mw_days"] == pytest.approx(gap.sum(), rel=1e-10)
    assert out["grid_mw_days"] > 0


def test_grid_gw_days_averted_output_equals_series_sum():
    sc = simple_scenario(repair_days=90.0, stockpile_days=10.0, grid_repair_days=45.0)
    result = simulate(sc, samples=0, series=True)
    gap = (result.series[("grid_damaged_baseline", "mean")]
           - result.series[("grid_damaged_strike", "mean")])
    gw_days = result.summary.loc["grid_gw_days_averted", "mean"]
    assert gw_days > 0
    assert gw_days == pytest.approx(gap.sum() / 1000.0, rel=1e-10)


# --- recording the series does not change the outputs ------------------------------------


@pytest.mark.parametrize(
    "case",
    [
        {},
        {"stockpile_days": 5.0},
        {"repair_days": 1.0, "grid_repair_days": 10.0, "horizon_days": 30},
        {"salvo_losses": (0.4, 0.4), "restrike_interval_days": 10.0, "repair_days": 100.0},
        {"salvo_losses": (0.6, 0.3, 0.2), "restrike_interval_days": 45.0, "repair_days": 30.5,
         "stockpile_days": 2.0, "ramp_days": 365.0, "logistic": 1, "dispersal_share": 0.3},
        {"exponential": 1, "stockpile_days": 10.0, "ramp_days": 100.0},
        {"repair_days": 400.0, "horizon_days": 180},  # horizon shorter than the repair
        {"grid_repair_days": 1.0, "stockpile_days": 1.0},  # the grid recovers in a day
    ],
)
def test_outputs_same_with_and_without_recording(case):
    recorded, _ = run_chain(**case, record=True)
    plain, _ = run_chain(**case, record=False)
    for name, value in recorded.items():
        assert plain[name] == pytest.approx(value, rel=1e-9, abs=1e-9), name
