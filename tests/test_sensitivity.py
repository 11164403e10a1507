"""Sensitivity: Sobol indices on cases whose answer is known, and the CLI commands."""

from __future__ import annotations

import pytest

from whatif.cli import main
from whatif.engine import sobol
from whatif.params import REGISTRY
from whatif.scenario import Scenario


def _only_uncertain(**specs):
    """Defaults with every assumption fixed at its central value, except ``specs``."""
    fixed = {n: REGISTRY[n].default.central for n, p in REGISTRY.items() if p.is_numeric}
    return Scenario.default().with_values(**{**fixed, **specs})


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


@pytest.mark.parametrize("argv, needle", [
    (["sobol", "data/scenarios/baseline.yaml", "--samples", "1000"], "power of 2"),
    (["sobol", "data/scenarios/baseline.yaml", "--output", "nope"], "output"),
])
def test_sobol_cli_bad_input(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_sobol_and_tornado_cli(capsys):
    assert main(["sobol", "data/scenarios/baseline.yaml", "--samples", "256"]) == 0
    out = capsys.readouterr().out
    assert "repair_days" in out and "total" in out
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
    # restrikes is fixed at 0 in the defaults: in the tornado (documented range) but not drawn
    restrikes = next(r for r in data["rows"] if r["parameter"] == "restrikes")
    assert "total_order" not in restrikes
