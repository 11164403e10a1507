"""The kernel's layout (whatif/model/layout.py): one table, the constants generated from it,
and agreement with the parameter registry, the output registry and the series."""

from __future__ import annotations

import numpy as np
import pytest

from whatif.engine import choice_code, compile_scenario
from whatif.model import campaign, chain, layout
from whatif.model.layout import INPUTS, OUTPUTS, SERIES
from whatif.outputs import OUTPUTS as OUTPUT_REGISTRY
from whatif.outputs import series_frame
from whatif.params import NUMERIC, REGISTRY
from whatif.scenario import Scenario


@pytest.mark.parametrize("table", [INPUTS, OUTPUTS, SERIES], ids=["inputs", "outputs", "series"])
def test_index_constants_are_the_table_positions(table):
    for index, column in enumerate(table):
        assert getattr(layout, column.name.upper()) == index
        assert layout.CONSTANTS[column.name.upper()] == index
        for code, choice in enumerate(column.choices):
            assert getattr(layout, f"{column.name}_{choice}".upper()) == code
    assert len({c.name for c in table}) == len(table)


def test_constants_are_plain_ints_numba_can_freeze():
    assert all(type(v) is int for v in layout.CONSTANTS.values())
    assert layout.N_INPUTS == len(INPUTS) and layout.N_OUTPUTS == len(OUTPUTS)
    assert layout.N_SERIES == len(SERIES)


def test_inputs_are_the_numeric_registry_in_order_then_its_choices_then_the_trend():
    names = layout.INPUT_NAMES
    assert names[: len(NUMERIC)] == NUMERIC  # the drawn matrix goes in as it is
    choices = tuple(n for n, p in REGISTRY.items() if p.kind == "choice")
    end = len(NUMERIC) + len(choices)
    assert names[len(NUMERIC):end] == choices == layout.CHOICE_INPUTS
    assert names[end:] == layout.DERIVED_INPUTS == (
        "trend_start_level", "trend_end_level", "trend_midpoint_day", "trend_growth_rate")
    # every assumption reaches the kernel: as a row value or (stages, points) in Shared
    assert set(REGISTRY) - set(names) == {"stages", "production_points"}
    assert chain.INPUTS == names


@pytest.mark.parametrize("column", [c for c in INPUTS if c.name not in layout.DERIVED_INPUTS],
                         ids=[c.name for c in INPUTS if c.name not in layout.DERIVED_INPUTS])
def test_input_units_and_choices_match_the_registry(column):
    parameter = REGISTRY[column.name]
    assert column.unit == parameter.unit
    assert column.choices == parameter.choices
    assert column.meaning


def test_outputs_match_the_output_registry():
    assert layout.OUTPUT_NAMES == tuple(OUTPUT_REGISTRY) == chain.OUTPUTS
    for column in OUTPUTS:
        assert column.unit == OUTPUT_REGISTRY[column.name].unit, column.name


def test_series_names_and_units_are_the_tables():
    assert campaign.SERIES == layout.SERIES_NAMES
    assert campaign.SERIES_UNITS == tuple(c.unit for c in SERIES)
    daily = np.zeros((len(SERIES), 3, 2))  # (series, days, samples)
    assert series_frame(daily).attrs["units"] == {c.name: c.unit for c in SERIES}
    with pytest.raises(ValueError, match=r"\(series, days, samples\) with 9 series"):
        series_frame(np.zeros((2, len(SERIES), 3)))  # sample-major: refused, not misread


# --- the records read the columns they are named after -----------------------------------------

def _distinct_row() -> np.ndarray:
    row = 1000.0 + np.arange(layout.N_INPUTS)  # each column a different value
    row[layout.ALLOCATION] = layout.ALLOCATION_BOTTLENECK
    row[layout.RAMP_SHAPE] = layout.RAMP_SHAPE_LOGISTIC
    row[layout.RECOVERY] = layout.RECOVERY_LINEAR
    return row


def test_strike_params_read_their_columns():
    row = _distinct_row()
    strike = chain.strike_params(row)
    for field in layout.StrikeParams._fields[:-1]:
        assert getattr(strike, field) == row[layout.CONSTANTS[field.upper()]], field
    assert strike.bottleneck is True
    row[layout.ALLOCATION] = layout.ALLOCATION_EVEN
    assert chain.strike_params(row).bottleneck is False


def test_daily_inputs_read_their_columns():
    row = _distinct_row()
    inputs = chain.daily_inputs(row)
    for field in layout.DailyInputs._fields:
        if field in layout.CONSTANTS:
            assert getattr(inputs, field) == row[layout.CONSTANTS[field.upper()]], field
    assert inputs.logistic == 1 and inputs.exponential == 0
    assert inputs.horizon_days == int(row[layout.HORIZON_DAYS])
    row[layout.RAMP_SHAPE], row[layout.RECOVERY] = (layout.RAMP_SHAPE_LINEAR,
                                                    layout.RECOVERY_EXPONENTIAL)
    inputs = chain.daily_inputs(row)
    assert inputs.logistic == 0 and inputs.exponential == 1


def test_salvos_are_day_and_missiles_arrays():
    row = _distinct_row()
    row[layout.RESTRIKES], row[layout.RESTRIKE_INTERVAL_DAYS] = 2.0, 30.0
    day, missiles = np.full(5, -1.0), np.full(5, -1, dtype=np.int64)
    shared = compile_scenario(Scenario.default(), 0)[0].shared
    assert chain.salvo_schedule(row, 25, shared, day, missiles) == 3
    assert day[:3].tolist() == [0.0, 30.0, 60.0]
    assert missiles[:3].tolist() == [25, 25, 25]
    # a plan gives the days and the missiles instead
    planned = compile_scenario(Scenario.default().with_plan(plan=[
        {"day": 3, "missiles": {"plant": 7}}, {"day": 40, "missiles": {"plant": 2}}]), 0)
    assert chain.salvo_schedule(row, 25, planned[0].shared, day, missiles) == 2
    assert day[:2].tolist() == [3.0, 40.0] and missiles[:2].tolist() == [7, 2]


def test_compiled_scenario_carries_choices_horizon_and_stages():
    scenario = Scenario.default().with_values(allocation="bottleneck", recovery="exponential",
                                              horizon_days=90, stages="a:5;b:3")
    compiled, inputs = compile_scenario(scenario, 4, 0)
    theta = compiled.theta
    assert theta.shape == (4, layout.N_INPUTS) and theta.flags.f_contiguous
    assert (theta[:, layout.ALLOCATION] == layout.ALLOCATION_BOTTLENECK).all()
    assert (theta[:, layout.RECOVERY] == layout.RECOVERY_EXPONENTIAL).all()
    assert (theta[:, layout.RAMP_SHAPE] == layout.RAMP_SHAPE_LINEAR).all()
    assert (theta[:, layout.HORIZON_DAYS] == 90).all()
    np.testing.assert_array_equal(theta[:, : len(NUMERIC)], inputs.to_numpy())
    assert compiled.shared.stage_aimpoints.tolist() == [[5, 3]]
    assert compiled.shared.stage_count.tolist() == [2]
    assert compiled.stochastic is True
    assert choice_code("allocation", "bottleneck") == 1.0 == layout.ALLOCATION_BOTTLENECK
