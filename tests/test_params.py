"""The parameter registry (data/assumptions.csv) and validation at the boundary."""

from __future__ import annotations

import csv

import pytest

from whatif.errors import ParameterError
from whatif.model.chain import INPUTS
from whatif.params import (
    ASSUMPTIONS_CSV,
    DISTRIBUTIONS,
    GROUPS,
    KINDS,
    NUMERIC,
    REGISTRY,
    Assumption,
    Stage,
    lookup,
    parse_stages,
)
from whatif.scenario import Scenario

with open(ASSUMPTIONS_CSV, newline="", encoding="utf-8") as _handle:
    ROWS = list(csv.DictReader(_handle))


def test_registry_matches_the_csv():
    assert [row["name"] for row in ROWS] == list(REGISTRY)
    assert len(set(REGISTRY)) == len(ROWS)


@pytest.mark.parametrize("row", ROWS, ids=[r["name"] for r in ROWS])
def test_every_row_has_unit_source_and_valid_metadata(row):
    param = REGISTRY[row["name"]]
    assert param.kind in KINDS
    assert param.group in GROUPS
    assert param.label
    assert row["source"].strip() and param.source == row["source"].strip()
    if param.kind == "choice":
        assert len(param.choices) >= 2
        assert param.default in param.choices
    else:
        assert row["unit"].strip(), f"{param.name} has no unit"
        assert param.unit == row["unit"].strip()
    assert row["distribution"].strip() in DISTRIBUTIONS


@pytest.mark.parametrize("name", NUMERIC)
def test_bounds_contain_low_central_high(name):
    param = REGISTRY[name]
    a = param.default
    assert isinstance(a, Assumption)
    assert param.lower_bound is not None and param.upper_bound is not None
    assert param.lower_bound <= a.low <= a.central <= a.high <= param.upper_bound
    if param.kind == "integer":
        for value in (a.low, a.central, a.high, param.lower_bound, param.upper_bound):
            assert value == int(value)


def test_stage_defaults_within_bounds():
    param = REGISTRY["stages"]
    stages = param.default
    assert stages and all(isinstance(s, Stage) for s in stages)
    assert all(param.lower_bound <= s.aimpoints <= param.upper_bound for s in stages)
    # the documented default plant: 8 + 4 + 8 aimpoints
    assert [s.aimpoints for s in stages] == [8, 4, 8]


def test_model_inputs_are_the_numeric_parameters_in_registry_order():
    # the engine hands the drawn matrix to the model without reordering it (the choices
    # follow as codes: tests/test_layout.py)
    assert tuple(INPUTS[: len(NUMERIC)]) == tuple(NUMERIC)


# --- validation ------------------------------------------------------------------------


def test_parse_number_gives_fixed_assumption():
    assert REGISTRY["site_share"].parse(0.7) == Assumption(0.7, 0.7, 0.7, "fixed")
    assert REGISTRY["missiles"].parse(25) == Assumption(25.0, 25.0, 25.0, "fixed")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("site_share", 1.5),
        ("site_share", -0.1),
        ("launch_reliability", float("nan")),
        ("missiles", 0),  # bounds 1..1000
        ("missiles", 2.5),  # integer
        ("repair_days", "soon"),
        ("site_share", True),
        ("allocation", "random"),
        ("stages", "airframes:0"),
        ("stages", "airframes:2.5"),
        ("stages", []),
    ],
)
def test_invalid_values_raise_parameter_error_naming_the_field(name, value):
    with pytest.raises(ParameterError) as info:
        REGISTRY[name].parse(value)
    assert str(info.value).startswith(f"{name}:")
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "spec",
    [
        {"low": 0.9, "mode": 0.8, "high": 0.7, "dist": "triangular"},  # low > high
        {"low": 0.5, "mode": 0.95, "high": 0.9, "dist": "triangular"},  # mode outside
        {"low": 0.5, "high": 0.9, "dist": "pert"},  # pert needs a mode
        {"low": 0.0, "high": 0.9, "dist": "lognormal"},  # lognormal needs low > 0
        {"low": 0.5, "high": 1.2, "dist": "uniform"},  # beyond the bound
        {"low": 0.5, "high": 0.9, "dist": "gamma"},  # unknown distribution
        {"low": 0.5, "high": 0.9, "shape": 2},  # unknown key
    ],
)
def test_invalid_distributions_raise(spec):
    with pytest.raises(ParameterError, match="^site_share:"):
        REGISTRY["site_share"].parse(spec)


def test_structural_parameter_takes_no_distribution():
    with pytest.raises(ParameterError, match="horizon_days"):
        REGISTRY["horizon_days"].parse({"low": 100, "high": 200, "dist": "uniform"})


def test_distribution_parsing():
    assert REGISTRY["site_share"].parse({"low": 0.6, "mode": 0.8, "high": 0.9}) == Assumption(
        0.8, 0.6, 0.9, "triangular")
    # uniform without a mode: central is the midpoint
    assert REGISTRY["site_share"].parse({"low": 0.6, "high": 0.9}) == Assumption(
        0.75, 0.6, 0.9, "uniform")
    # lognormal without a mode: central is the geometric mean
    parsed = REGISTRY["mw_per_hit"].parse({"low": 1.0, "high": 16.0, "dist": "lognormal"})
    assert parsed.central == pytest.approx(4.0) and parsed.dist == "lognormal"


def test_unknown_parameter_is_named():
    with pytest.raises(ParameterError, match="^missles:"):
        lookup("missles")
    with pytest.raises(ParameterError):
        Scenario.default().with_values(missles=30)


def test_parse_stages_forms():
    expected = (Stage("a", 8), Stage("b", 4))
    assert parse_stages("a:8;b:4") == expected
    assert parse_stages([{"name": "a", "aimpoints": 8}, {"name": "b", "aimpoints": 4}]) == expected
    assert parse_stages(list(expected)) == expected


def test_scenario_with_values_is_a_copy():
    base = Scenario.default()
    changed = base.with_values(site_share=0.5, allocation="bottleneck")
    assert base.central("site_share") == 0.85 and base.central("allocation") == "even"
    assert changed.central("site_share") == 0.5 and changed.central("allocation") == "bottleneck"
    assert changed.overrides == ("site_share", "allocation")
    with pytest.raises(TypeError):
        changed.values["site_share"] = Assumption(0.1, 0.1, 0.1)  # read-only mapping
