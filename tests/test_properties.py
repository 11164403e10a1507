"""Invariants with hypothesis: monotone where the physics is monotone, shares in [0, 1],
outputs always finite for valid assumptions."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import ROW, fixed_scenario, key, run_chain, salvo_loss
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from whatif.engine import simulate
from whatif.model.production import baseline_production
from whatif.model.strike import capacity_loss
from whatif.params import NUMERIC, REGISTRY

PROPERTY = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

probability = st.floats(0.0, 1.0, allow_nan=False, allow_subnormal=False)
stage_lists = st.lists(st.integers(1, 40), min_size=1, max_size=4)
allocations = st.sampled_from(["even", "bottleneck"])


# --- strike: more missiles never lower the capacity lost -----------------------------------


@PROPERTY
@given(n1=st.integers(0, 400), extra=st.integers(0, 400), r=probability,
       d=st.integers(0, 100), p=probability, q=probability, stages=stage_lists,
       allocation=allocations)
def test_capacity_loss_non_decreasing_in_missiles(n1, extra, r, d, p, q, stages, allocation):
    n2 = n1 + extra
    small = capacity_loss(n1, r, d, p, q, tuple(stages), allocation)
    large = capacity_loss(n2, r, d, p, q, tuple(stages), allocation)
    assert 0.0 <= small <= 1.0 and 0.0 <= large <= 1.0
    assert large >= small - 1e-12


@PROPERTY
@given(seed=st.integers(0, 2**32 - 1), n1=st.integers(0, 150), extra=st.integers(0, 150),
       r=probability, d=st.integers(0, 60), p=probability, q=probability, stages=stage_lists,
       bottleneck=st.booleans())
def test_sampled_loss_non_decreasing_in_missiles_for_a_fixed_key(seed, n1, extra, r, d, p, q,
                                                                  stages, bottleneck):
    k = key(seed)
    small = salvo_loss(k, n1, r, d, p, q, stages, bottleneck)
    large = salvo_loss(k, n1 + extra, r, d, p, q, stages, bottleneck)
    assert 0.0 <= small <= large <= 1.0
    # the loss is a whole number of aimpoints of some stage
    assert any(abs(small * s - round(small * s)) < 1e-9 for s in stages)


# --- defeat rate: a higher rate never raises energy hits --------------------------------------


@PROPERTY
@given(d1=probability, d2=probability, stock=st.floats(0.0, 60.0, allow_subnormal=False),
       loss=probability, ramp=st.floats(0.0, 400.0, allow_subnormal=False), energy=probability)
def test_higher_defeat_rate_never_raises_energy_hits(d1, d2, stock, loss, ramp, energy):
    low, high = sorted((d1, d2))
    kwargs = dict(salvo_losses=(loss,), stockpile_days=stock, ramp_days=ramp,
                  energy_share=energy, horizon_days=120)
    _, at_low = run_chain(defeat_rate=low, **kwargs)
    _, at_high = run_chain(defeat_rate=high, **kwargs)
    for row in ("energy_hits_baseline", "energy_hits_strike", "grid_damaged_baseline",
                "grid_damaged_strike"):
        assert np.all(at_high[ROW[row]] <= at_low[ROW[row]] * (1 + 1e-12) + 1e-9), row


@PROPERTY
@given(d1=probability, d2=probability)
def test_higher_defeat_rate_never_raises_hits_through_simulate(d1, d2):
    low, high = sorted((d1, d2))
    sc = fixed_scenario(stockpile_days=3.0)
    at_low = simulate(sc.with_values(defeat_rate=low), samples=0, series=True)
    at_high = simulate(sc.with_values(defeat_rate=high), samples=0, series=True)
    strike_low = at_low.series[("energy_hits_strike", "p50")].to_numpy()
    strike_high = at_high.series[("energy_hits_strike", "p50")].to_numpy()
    assert np.all(strike_high <= strike_low * (1 + 1e-12) + 1e-9)
    averted_low = at_low.summary.loc["energy_hits_averted", "mean"]
    averted_high = at_high.summary.loc["energy_hits_averted", "mean"]
    assert averted_high <= averted_low * (1 + 1e-12) + 1e-9


# --- random valid scenarios ---------------------------------------------------------------


def _value(name: str):
    param = REGISTRY[name]
    lo, hi = param.lower_bound, param.upper_bound
    if param.kind == "integer":
        return st.integers(int(lo), int(hi))
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@st.composite
def valid_values(draw, horizon_max: int = 400):
    """A value within its bounds for every numeric assumption, plus choices and stages."""
    values = {name: draw(_value(name)) for name in NUMERIC if name != "horizon_days"}
    values["horizon_days"] = draw(st.integers(7, horizon_max))
    values["stages"] = [{"name": f"s{i}", "aimpoints": a}
                        for i, a in enumerate(draw(st.lists(st.integers(1, 60), min_size=1,
                                                            max_size=4)))]
    for name in ("allocation", "ramp_shape", "recovery"):
        values[name] = draw(st.sampled_from(REGISTRY[name].choices))
    return values


def _check_outputs(result, values):
    out = result.outputs
    assert np.isfinite(out.to_numpy()).all()
    assert out["capacity_loss"].between(0.0, 1.0).all()
    assert out["energy_hit_reduction"].between(0.0, 1.0).all()
    assert (out["drones_denied"] >= 0).all()
    assert (out["energy_hits_averted"] >= -1e-9).all()
    assert (out["grid_gw_days_averted"] >= -1e-9).all()
    assert out["days_disrupted"].between(0, values["horizon_days"]).all()
    # never more than the whole no-strike output over the horizon
    days = np.arange(float(values["horizon_days"]))
    logistic = int(values["ramp_shape"] == "logistic")
    with np.errstate(over="ignore"):  # t / ramp_days may overflow to inf for a tiny ramp: → 1
        baseline = baseline_production(days, values["production_now"],
                                       values["production_target"], values["ramp_days"],
                                       logistic).sum()
    assert (out["drones_denied"] <= baseline * (1 + 1e-9) + 1e-9).all()
    if values["production_now"] <= values["production_target"]:
        # output climbs towards the target, so at most the target every day
        assert out["target_share_denied"].between(0.0, 1.0 + 1e-12).all()


@PROPERTY
@given(values=valid_values())
def test_valid_scenarios_give_finite_bounded_outputs(values):
    sc = fixed_scenario(**values)
    det = simulate(sc, samples=0)  # raises FloatingPointError on a non-finite output
    _check_outputs(det, values)
    mc = simulate(sc, samples=8, seed=0)  # sampled strike outcomes
    _check_outputs(mc, values)


@PROPERTY
@given(values=valid_values(horizon_max=200))
def test_recording_series_does_not_change_outputs(values):
    sc = fixed_scenario(**values)
    plain = simulate(sc, samples=0).outputs.to_numpy()
    recorded = simulate(sc, samples=0, series=True)
    np.testing.assert_allclose(recorded.outputs.to_numpy(), plain, rtol=1e-9, atol=1e-9)
    # and the recorded series add up to the outputs
    s = recorded.series
    denied = (s[("production_baseline", "p50")] - s[("production_strike", "p50")]).sum()
    assert denied == pytest.approx(recorded.outputs["drones_denied"].iloc[0], rel=1e-9, abs=1e-6)
    gap = (s[("grid_damaged_baseline", "p50")] - s[("grid_damaged_strike", "p50")]).sum()
    assert gap / 1000 == pytest.approx(recorded.outputs["grid_gw_days_averted"].iloc[0],
                                       rel=1e-9, abs=1e-6)


@PROPERTY
@given(values=valid_values(), low_share=probability, high_share=probability)
def test_shares_in_unit_interval_with_uncertain_assumptions(values, low_share, high_share):
    lo, hi = sorted((low_share, high_share))
    mode = (lo + hi) / 2
    sc = fixed_scenario(**values).with_values(
        site_share={"low": lo, "mode": mode, "high": hi, "dist": "triangular"},
        aimpoint_kill_probability={"low": lo, "high": hi, "dist": "uniform"},
    )
    result = simulate(sc, samples=16, seed=1)
    _check_outputs(result, values)


# --- edge cases that once broke the model ----------------------------------------------------


def test_tiny_positive_ramp_days_gives_finite_outputs():
    sc = fixed_scenario(ramp_days=1e-310)
    result = simulate(sc, samples=0)
    # a ramp of (almost) no length: output is at the target from day 1
    assert np.isfinite(result.outputs.to_numpy()).all()


def test_target_share_denied_is_a_ratio_to_the_target_and_may_exceed_one():
    sc = fixed_scenario(production_now=2000.0, production_target=1000.0, ramp_days=0.0,
                        site_share=1.0, stages="plant:1", missiles=10, launch_reliability=1.0,
                        defense_engagements=0, aimpoint_kill_probability=1.0,
                        repair_days=1095.0, horizon_days=180, dispersal_share=0.0)
    share = simulate(sc, samples=0).summary.loc["target_share_denied", "mean"]
    # 2000/day fully lost against a 1000/day target: the ratio is above 1 (not clipped);
    # linear repair over 1095 days: sum of (1 - (t+0.5)/1095) over 180 days
    lost_days = sum(1 - (t + 0.5) / 1095 for t in range(180))
    assert share == pytest.approx(2000 * lost_days / (1000 * 180), rel=1e-12)
    assert share > 1.0
