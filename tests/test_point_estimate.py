"""The point estimate (samples=0) is the exact expectation of what Monte Carlo draws, where
that expectation is exact (MODEL.md §1: whole missiles spread evenly), and
``point_estimate_is_exact`` says where it is; the bottleneck salvo aims at the smallest stage
in both modes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import fixed_scenario

from whatif.engine import point_estimate_is_exact, simulate
from whatif.errors import ParameterError

SAMPLES = 20_000
Z = 4.0  # CLT bound in standard errors: a false alarm about once in 16,000 cases


def strike_only(**values):
    """Every assumption fixed; no defence, one stage unless given, no re-strikes, no stock."""
    spec = dict(launch_reliability=0.9, aimpoint_kill_probability=0.7, defense_engagements=0,
                intercept_probability=0.5, restrikes=0, stockpile_days=0.0, allocation="even")
    spec.update(values)
    return fixed_scenario(**spec)


def point(scenario, output="capacity_loss") -> float:
    return float(simulate(scenario, samples=0).outputs[output].iloc[0])


def monte_carlo(scenario, output="capacity_loss", seed=11):
    """Mean and the CLT tolerance (Z standard errors) of ``output`` over SAMPLES outcomes."""
    values = simulate(scenario, samples=SAMPLES, seed=seed).outputs[output].to_numpy()
    return values.mean(), Z * values.std(ddof=1) / math.sqrt(values.size)


@pytest.mark.parametrize(("missiles", "aimpoints"), [
    (2, 4), (1, 3), (3, 8), (7, 4), (13, 5), (30, 20), (10, 10), (25, 8),
])
def test_point_estimate_is_the_monte_carlo_mean_for_one_stage(missiles, aimpoints):
    sc = strike_only(missiles=missiles, stages=f"plant:{aimpoints}")
    assert point_estimate_is_exact(sc)
    mean, tolerance = monte_carlo(sc)
    assert abs(point(sc) - mean) <= tolerance
    aq = 0.9 * 0.7
    if missiles % aimpoints == 0:  # MODEL.md: when N/A is whole, 1 - (1 - a q)^(N/A)
        assert point(sc) == pytest.approx(1 - (1 - aq) ** (missiles // aimpoints), rel=1e-14)
    elif missiles < 2 * aimpoints:  # a fractional spread, 1 - (1 - a q)^(N/A), is far off
        assert abs(1 - (1 - aq) ** (missiles / aimpoints) - mean) > 3 * tolerance


@pytest.mark.parametrize("missiles", [2, 5, 7, 11])
def test_point_estimate_is_the_monte_carlo_mean_for_bottleneck_allocation(missiles):
    # three stages, the salvo on the 3 aimpoints of the middle one (N < A, N mod A ≠ 0 included)
    sc = strike_only(missiles=missiles, stages="a:8;b:3;c:8", allocation="bottleneck")
    assert point_estimate_is_exact(sc)
    mean, tolerance = monte_carlo(sc)
    assert abs(point(sc) - mean) <= tolerance


def test_point_estimate_exact_when_the_defence_engages_every_missile():
    # N <= D: every launched missile is engaged, so each arrives with r (1 - p_i)
    sc = strike_only(missiles=7, stages="plant:4", defense_engagements=10,
                     intercept_probability=0.5)
    assert point_estimate_is_exact(sc)
    mean, tolerance = monte_carlo(sc)
    assert abs(point(sc) - mean) <= tolerance


@pytest.mark.parametrize("output", ["drones_denied", "target_share_denied",
                                    "energy_hits_averted", "grid_gw_days_averted",
                                    "cost_exchange_ratio"])
def test_downstream_point_estimates_exact_where_linear_in_the_loss(output):
    # one salvo, no stock: every one of these is linear in the capacity lost
    sc = strike_only(missiles=13, stages="plant:5")
    assert point_estimate_is_exact(sc, output)
    mean, tolerance = monte_carlo(sc, output)
    assert abs(point(sc, output) - mean) <= tolerance


def test_two_certain_kills_on_four_aimpoints_lose_half_in_both_modes():
    sc = strike_only(missiles=2, stages="plant:4", launch_reliability=1.0,
                     aimpoint_kill_probability=1.0)
    assert point(sc) == 0.5
    drawn = simulate(sc, samples=500, seed=3).outputs["capacity_loss"]
    assert (drawn == 0.5).all()


def test_several_stages_even_the_point_estimate_is_each_stages_expectation():
    # the plant loses its worst stage, whose expectation is above each stage's: not exact
    sc = strike_only(missiles=30, stages="a:8;b:4;c:8")
    assert not point_estimate_is_exact(sc)
    mean, tolerance = monte_carlo(sc)
    assert mean > point(sc) + tolerance
    # each stage's exact expectation: 10 of the 20 aimpoints get two missiles, 10 get one
    aq = 0.9 * 0.7
    assert point(sc) == pytest.approx((10 * (1 - (1 - aq) ** 2) + 10 * aq) / 20, rel=1e-14)


@pytest.mark.parametrize(("values", "expected"), [
    ({}, {"capacity_loss": True, "drones_denied": True, "energy_hits_averted": True}),
    ({"stages": "a:8;b:4"}, {"capacity_loss": False, "strike_cost_usd": True}),
    ({"stages": "a:8;b:4", "allocation": "bottleneck"}, {"capacity_loss": True}),
    ({"defense_engagements": 8}, {"capacity_loss": False}),  # 30 missiles, 8 engaged
    ({"defense_engagements": 30}, {"capacity_loss": True}),
    ({"defense_engagements": 8, "intercept_probability": 0.0}, {"capacity_loss": True}),
    ({"restrikes": 1}, {"capacity_loss": True, "drones_denied": False,
                        "cost_exchange_ratio": False}),
    ({"stockpile_days": 30.0}, {"drones_denied": True, "energy_hits_averted": False,
                                "energy_hit_reduction": False, "grid_gw_days_averted": False}),
    ({}, {"days_disrupted": False, "strike_cost_usd": True}),
    ({"production_path": "trend"}, {"capacity_loss": True, "drones_denied": False,
                                    "target_share_denied": False}),
    ({"production_path": "custom"}, {"drones_denied": True}),
])
def test_point_estimate_is_exact_says_where(values, expected):
    sc = strike_only(missiles=30, stages="plant:20").with_values(**values)
    for output, exact in expected.items():
        assert point_estimate_is_exact(sc, output) is exact, (values, output)


def test_point_estimate_is_exact_rejects_unknown_output():
    with pytest.raises(ParameterError, match="output"):
        point_estimate_is_exact(strike_only(), "nonsense")


# --- the bottleneck salvo aims at the smallest stage, in both modes --------------------------

@pytest.mark.parametrize("stages", ["a:8;b:4;c:8", "a:4;b:8;c:8", "a:8;b:8;c:4"])
def test_bottleneck_salvo_aims_at_the_smallest_stage(stages):
    # certain kills: 4 missiles destroy the whole 4-aimpoint stage (aimed at an 8-aimpoint
    # stage they would take half of it); 6 with a q = 0.5: two aimpoints get 2 missiles,
    # two get 1 → 1 - 0.5 (1 - 0.5 × 2/4) = 0.625 (on an 8-aimpoint stage: 0.375)
    certain = strike_only(missiles=4, stages=stages, allocation="bottleneck",
                          launch_reliability=1.0, aimpoint_kill_probability=1.0)
    assert point(certain) == 1.0
    assert (simulate(certain, samples=300, seed=2).outputs["capacity_loss"] == 1.0).all()
    half = strike_only(missiles=6, stages=stages, allocation="bottleneck",
                       launch_reliability=1.0, aimpoint_kill_probability=0.5)
    assert point(half) == 0.625
    mean, tolerance = monte_carlo(half)
    assert abs(mean - 0.625) <= tolerance
    # and the loss flows down the chain: more denied than spreading over every stage
    even = half.with_values(allocation="even")
    assert point(even) == pytest.approx(6 * 0.5 / 20, rel=1e-14)
    assert point(half, "drones_denied") > point(even, "drones_denied")


def test_monte_carlo_losses_are_whole_aimpoints_of_the_targeted_stage():
    sc = strike_only(missiles=5, stages="a:8;b:3;c:8", allocation="bottleneck")
    losses = simulate(sc, samples=2000, seed=4).outputs["capacity_loss"].to_numpy()
    assert set(np.round(losses * 3, 9)) <= {0.0, 1.0, 2.0, 3.0}
    assert len(set(np.round(losses * 3, 9))) >= 3


def test_trend_point_estimate_is_not_the_monte_carlo_mean_but_target_is():
    # every assumption fixed: only the strike outcome and (trend) the fit's draws vary
    for path, exact in (("target", True), ("trend", False)):
        sc = strike_only(missiles=30, stages="plant:20", production_path=path, horizon_days=90)
        point = simulate(sc, samples=0).summary.loc["drones_denied", "mean"]
        draws = simulate(sc, samples=20_000, seed=1).outputs["drones_denied"]
        error = 4 * draws.std() / np.sqrt(draws.size)
        assert point_estimate_is_exact(sc, "drones_denied") is exact
        if exact:
            assert abs(draws.mean() - point) < error
