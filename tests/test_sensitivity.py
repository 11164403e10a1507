"""Sensitivity: Sobol indices on cases whose answer is known, and the CLI commands."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from whatif.cli import main
from whatif.errors import ParameterError
from whatif.params import NUMERIC, REGISTRY
from whatif.scenario import Scenario
from whatif.sensitivity import sobol, sobol_indices_of, tornado


def _only_uncertain(**specs):
    """Defaults with every assumption fixed at its central value, except ``specs``."""
    fixed = {n: REGISTRY[n].default.central for n, p in REGISTRY.items() if p.is_numeric}
    return Scenario.default().with_values(**{**fixed, **specs})


def _narrow(**wide):
    """Defaults with every uncertain real assumption narrowed to ±1 % of its central value,
    everything else fixed at central (no documented range either), except ``wide``."""
    specs = {}
    for name, p in REGISTRY.items():
        if not p.is_numeric:
            continue
        c = p.default.central
        if p.default.is_fixed or p.kind == "integer":
            specs[name] = c
        else:
            specs[name] = {"low": max(p.lower_bound, 0.99 * c), "mode": c,
                           "high": min(p.upper_bound, 1.01 * c), "dist": "triangular"}
    return Scenario.default().with_values(**{**specs, **wide})


# --- the Sobol machinery on a function whose indices are known --------------------------

def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami & Homma (1990): f = sin x1 + a sin² x2 + b x3⁴ sin x1 (x: rows x1, x2, x3)."""
    return np.sin(x[0]) + a * np.sin(x[1]) ** 2 + b * x[2] ** 4 * np.sin(x[0])


#: published indices for a = 7, b = 0.1, inputs uniform on [-π, π] (e.g. Saltelli et al. 2010)
ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
ISHIGAMI_SAMPLES = 2**15
# Tolerance from the sample size: each estimate is a mean over N points of a term whose
# standard deviation is at most 1.5 for Ishigami (measured on 2^20 plain Monte Carlo points:
# 1.46 for S1 of x1, the largest), so plain Monte Carlo would have a standard error of at
# most 1.5 / sqrt(N) = 0.008 at N = 2^15. Three of those bound any seed's error; the
# scrambled Sobol' points scipy uses do far better (largest error 0.002 over 40 seeds).
ISHIGAMI_TOL = 3 * 1.5 / np.sqrt(ISHIGAMI_SAMPLES)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 2026])
def test_sobol_machinery_recovers_the_ishigami_indices(seed):
    uniform = stats.uniform(loc=-np.pi, scale=2 * np.pi)
    frame = sobol_indices_of(ishigami, [uniform] * 3, ["x1", "x2", "x3"],
                             samples=ISHIGAMI_SAMPLES, seed=seed).set_index("parameter")
    assert list(frame.index) == ["x1", "x2", "x3"]  # sorted by total order
    for name in ISHIGAMI_S1:
        assert frame.loc[name, "first_order"] == pytest.approx(ISHIGAMI_S1[name], abs=ISHIGAMI_TOL)
        assert frame.loc[name, "total_order"] == pytest.approx(ISHIGAMI_ST[name], abs=ISHIGAMI_TOL)


INDICES = ("first_order", "total_order")
BOUNDS = ("first_order_low", "first_order_high", "total_order_low", "total_order_high")
COLUMNS = ["parameter", "first_order", "first_order_low", "first_order_high",
           "total_order", "total_order_low", "total_order_high"]


def _ishigami_indices(samples, seed, **kwargs):
    uniform = stats.uniform(loc=-np.pi, scale=2 * np.pi)
    return sobol_indices_of(ishigami, [uniform] * 3, ["x1", "x2", "x3"], samples=samples,
                            seed=seed, **kwargs).set_index("parameter").sort_index()


def test_sobol_machinery_is_seeded():
    a = _ishigami_indices(256, 4)
    b = _ishigami_indices(256, 4)
    assert a.equals(b) and a.attrs == b.attrs
    # another seed: other scrambled points and other resamples, so other values throughout
    other = _ishigami_indices(256, 5)
    for column in INDICES + BOUNDS:
        assert (np.abs(other[column] - a[column]) > 1e-6).all(), column


def test_sobol_machinery_checks_its_arguments():
    uniform = stats.uniform(loc=-np.pi, scale=2 * np.pi)
    names = ["x1", "x2", "x3"]
    with pytest.raises(ParameterError, match="power of 2"):
        sobol_indices_of(ishigami, [uniform] * 3, names, samples=1000)
    with pytest.raises(ParameterError, match="2 distributions for 3 inputs"):
        sobol_indices_of(ishigami, [uniform] * 2, names)
    for level in (0, 1, 1.5, -0.1, True, "0.9"):
        with pytest.raises(ParameterError, match="confidence_level.*strictly between 0 and 1"):
            sobol_indices_of(ishigami, [uniform] * 3, names, samples=64, confidence_level=level)
    for resamples in (0, 98, 500.0, True):
        with pytest.raises(ParameterError, match="n_resamples.*>= 99"):
            sobol_indices_of(ishigami, [uniform] * 3, names, samples=64, n_resamples=resamples)
    with pytest.raises(ParameterError, match="seed"):
        sobol_indices_of(ishigami, [uniform] * 3, names, samples=64, seed=-1)


def test_sobol_point_estimates_are_scipys():
    # the estimator kept for the bootstrap is scipy's own Saltelli (2010) estimator
    uniform = stats.uniform(loc=-np.pi, scale=2 * np.pi)
    frame = _ishigami_indices(1024, 7)
    expected = stats.sobol_indices(func=ishigami, n=1024, dists=[uniform] * 3,
                                   rng=np.random.default_rng(7))
    assert frame["first_order"].to_numpy() == pytest.approx(expected.first_order, abs=1e-12)
    assert frame["total_order"].to_numpy() == pytest.approx(expected.total_order, abs=1e-12)
    assert list(_ishigami_indices(64, 0).reset_index().columns) == COLUMNS
    assert frame.attrs == {"confidence_level": 0.95, "samples": 1024, "seed": 7,
                           "n_resamples": 999}


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 2026])
def test_sobol_intervals_contain_the_ishigami_indices(seed):
    # 95 % intervals from 4,096 base samples: about ±0.03 to ±0.04 wide, ten times the
    # error of the scrambled Sobol' estimates at that size (0.001 to 0.004), so the
    # analytic indices must fall inside every one (and a too-narrow interval would miss)
    frame = _ishigami_indices(4096, seed)
    for name in ISHIGAMI_S1:
        row = frame.loc[name]
        assert row["first_order_low"] <= ISHIGAMI_S1[name] <= row["first_order_high"], name
        assert row["total_order_low"] <= ISHIGAMI_ST[name] <= row["total_order_high"], name
        for index in INDICES:  # each interval holds its estimate and is not degenerate
            assert row[f"{index}_low"] < row[index] < row[f"{index}_high"], (name, index)
            assert row[f"{index}_high"] - row[f"{index}_low"] < 0.2


def test_sobol_intervals_shrink_as_one_over_root_n():
    # four times the samples: the bootstrap standard error, hence the width, halves
    small, large = _ishigami_indices(1024, 3), _ishigami_indices(4096, 3)
    for index in INDICES:
        ratio = ((large[f"{index}_high"] - large[f"{index}_low"])
                 / (small[f"{index}_high"] - small[f"{index}_low"]))
        assert ((ratio > 0.35) & (ratio < 0.65)).all(), (index, ratio.tolist())
    # a lower confidence level: a narrower interval from the same resamples
    half = _ishigami_indices(1024, 3, confidence_level=0.5)
    assert half.attrs["confidence_level"] == 0.5
    for index in INDICES:
        assert ((half[f"{index}_high"] - half[f"{index}_low"])
                < 0.6 * (small[f"{index}_high"] - small[f"{index}_low"])).all()


def test_sobol_intervals_agree_with_scipys_own_bootstrap():
    # scipy's SobolResult.bootstrap (BCa, unseeded, O(N²) jackknife) on the same design:
    # its bounds and ours (percentile) agree to a fifth of the interval's width
    uniform = stats.uniform(loc=-np.pi, scale=2 * np.pi)
    frame = _ishigami_indices(1024, 9)
    result = stats.sobol_indices(func=ishigami, n=1024, dists=[uniform] * 3,
                                 rng=np.random.default_rng(9))
    scipy_boot = result.bootstrap(confidence_level=0.95, n_resamples=999)
    for index in INDICES:
        interval = getattr(scipy_boot, index).confidence_interval
        width = frame[f"{index}_high"] - frame[f"{index}_low"]
        assert (np.abs(frame[f"{index}_low"] - interval.low) < 0.2 * width).all()
        assert (np.abs(frame[f"{index}_high"] - interval.high) < 0.2 * width).all()


def test_sobol_of_the_chain_is_the_machinery_on_the_chain():
    # sobol() is sobol_indices_of() on the deterministic chain: a single uncertain input
    # (which scipy alone cannot handle: it squeezes the indices to a scalar) carries it all
    s = _only_uncertain(missile_unit_cost={"low": 1e6, "high": 3e6, "dist": "uniform"})
    frame = sobol(s, "strike_cost_usd", samples=256)
    assert frame["parameter"].tolist() == ["missile_unit_cost"]
    assert frame["first_order"].iloc[0] == pytest.approx(1.0, abs=0.01)
    assert frame["total_order"].iloc[0] == pytest.approx(1.0, abs=0.01)
    # an output the uncertain assumption does not touch has no variance: every index 0
    flat = sobol(s, "capacity_loss", samples=256)
    assert (flat[["first_order", "total_order", *BOUNDS]] == 0.0).all().all()


def test_sobol_of_the_chain_is_seeded():
    a = sobol(Scenario.default(), "drones_denied", samples=256, seed=11).set_index("parameter")
    b = sobol(Scenario.default(), "drones_denied", samples=256, seed=11).set_index("parameter")
    assert a.equals(b)
    assert a.attrs == {"confidence_level": 0.95, "samples": 256, "seed": 11, "n_resamples": 999}
    other = sobol(Scenario.default(), "drones_denied", samples=256, seed=12).set_index(
        "parameter").loc[a.index]
    moved = a["total_order"] > 0.01  # assumptions that matter: their estimates move
    assert moved.sum() >= 5
    for column in INDICES + BOUNDS:
        assert (np.abs(other[column] - a[column])[moved] > 1e-6).all(), column


# --- tornado ------------------------------------------------------------------------------

def test_tornado_ranks_a_dominant_assumption_first():
    # dispersal_share ranks 10th for drones_denied on the defaults; given a range
    # from 0 to 1 while every other assumption is within ±1 %, it must come first
    defaults = tornado(Scenario.default(), "drones_denied")
    assert defaults["parameter"].tolist().index("dispersal_share") > 3
    s = _narrow(dispersal_share={"low": 0.0, "mode": 0.3, "high": 1.0, "dist": "triangular"})
    frame = tornado(s, "drones_denied")
    frame = frame[frame["parameter"].isin(NUMERIC)].reset_index(drop=True)  # choices not narrowed
    assert frame["parameter"].iloc[0] == "dispersal_share"
    assert frame["swing"].iloc[0] > 5 * frame["swing"].iloc[1]
    # more dispersed production at the strike: fewer drones denied
    assert frame["output_at_high"].iloc[0] < frame.attrs["central"] < frame["output_at_low"].iloc[0]
    indices = sobol(s, "drones_denied", samples=1024)
    assert indices["parameter"].iloc[0] == "dispersal_share"
    assert indices["total_order"].iloc[0] > 0.9


# --- Sobol indices of the model on cases whose answer is known -------------------------

def test_output_driven_by_one_assumption():
    # strike cost = missiles × salvos × missile_unit_cost: all its variance is the unit cost's
    s = _only_uncertain(missile_unit_cost={"low": 1e6, "high": 3e6, "dist": "uniform"},
                        energy_share={"low": 0.2, "high": 0.8, "dist": "uniform"})
    frame = sobol(s, "strike_cost_usd", samples=1024).set_index("parameter")
    assert frame.loc["missile_unit_cost", "first_order"] == pytest.approx(1.0, abs=0.02)
    assert frame.loc["missile_unit_cost", "total_order"] == pytest.approx(1.0, abs=0.02)
    assert frame.loc["energy_share", "total_order"] == pytest.approx(0.0, abs=0.02)


def test_additive_output_splits_by_variance():
    # ratio ∝ (drone_unit_cost + defense_cost_per_drone): equal uniform spreads → 1/2 each
    spec = {"low": 10_000, "high": 50_000, "dist": "uniform"}
    s = _only_uncertain(drone_unit_cost=spec, defense_cost_per_drone=spec)
    frame = sobol(s, "cost_exchange_ratio", samples=4096).set_index("parameter")
    for name in ("drone_unit_cost", "defense_cost_per_drone"):
        assert frame.loc[name, "first_order"] == pytest.approx(0.5, abs=0.05)
        assert frame.loc[name, "total_order"] == pytest.approx(0.5, abs=0.05)


def test_defaults_repair_time_dominates_drones_denied():
    frame = sobol(Scenario.default(), "drones_denied", samples=1024)
    assert frame["parameter"].iloc[0] == "repair_days"
    assert frame["total_order"].iloc[0] > 0.5
    assert ((frame["first_order"] > -0.05) & (frame["total_order"] < 1.05)).all()
    # each interval holds its estimate; repair time's lies well clear of every other's
    for index in INDICES:
        assert (frame[f"{index}_low"] <= frame[index]).all()
        assert (frame[index] <= frame[f"{index}_high"]).all()
    assert frame["total_order_low"].iloc[0] > frame["total_order_high"].iloc[1:].max()


@pytest.mark.parametrize("argv, needle", [
    (["sobol", "data/scenarios/baseline.yaml", "--samples", "1000"], "power of 2"),
    (["sobol", "data/scenarios/baseline.yaml", "--output", "nope"], "output"),
])
def test_sobol_cli_bad_input(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_sobol_and_tornado_cli(capsys):
    import json

    assert main(["sobol", "data/scenarios/baseline.yaml", "--samples", "256", "--seed", "2"]) == 0
    out = capsys.readouterr().out
    expected = sobol(Scenario.from_yaml("data/scenarios/baseline.yaml"), samples=256, seed=2)
    top = expected.iloc[0]
    assert "95% bootstrap confidence intervals (999 resamples)" in out
    assert (f"repair_days {top.first_order:.3f} [{top.first_order_low:.3f}, "
            f"{top.first_order_high:.3f}] {top.total_order:.3f} [{top.total_order_low:.3f}, "
            f"{top.total_order_high:.3f}]") in " ".join(out.split())
    assert main(["sobol", "data/scenarios/baseline.yaml", "--samples", "256", "--seed", "2",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {k: data[k] for k in ("confidence_level", "samples", "seed", "n_resamples")} == {
        "confidence_level": 0.95, "samples": 256, "seed": 2, "n_resamples": 999}
    assert data["rows"] == expected.to_dict(orient="records")
    assert list(data["rows"][0]) == COLUMNS
    assert main(["tornado", "data/scenarios/baseline.yaml", "--output", "capacity_loss"]) == 0
    assert "aimpoint_kill_probability" in capsys.readouterr().out


def test_sensitivity_cli_json_combines_tornado_and_sobol(capsys):
    import json

    assert main(["sensitivity", "data/scenarios/baseline.yaml", "--samples", "256", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["output"] == "drones_denied" and data["rows"][0]["parameter"] == "repair_days"
    first = data["rows"][0]
    assert first["output_at_low"] < data["central"] < first["output_at_high"]
    assert 0.5 < first["total_order"] <= 1.05
    assert first["total_order_low"] < first["total_order"] < first["total_order_high"]
    assert first["first_order_low"] < first["first_order"] < first["first_order_high"]
    assert data["sobol_confidence_level"] == 0.95 and data["sobol_n_resamples"] == 999
    # restrikes is fixed at 0 in the defaults: in the tornado (documented range) but not drawn
    restrikes = next(r for r in data["rows"] if r["parameter"] == "restrikes")
    assert "total_order" not in restrikes
