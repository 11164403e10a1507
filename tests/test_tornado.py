"""One truth: every end of every tornado bar is a direct deterministic run of the scenario with
that one assumption changed — for every assumption with a range (integer, structural and
choice assumptions included) and every output."""

from __future__ import annotations

from pathlib import Path

import pytest

from whatif.engine import simulate
from whatif.outputs import OUTPUTS
from whatif.params import REGISTRY
from whatif.scenario import Scenario
from whatif.sensitivity import tornado

SCENARIOS = Path(__file__).resolve().parent.parent / "data" / "scenarios"


def _flipped() -> Scenario:
    """The defaults with every choice at its other value and re-strikes on."""
    return Scenario.default().with_values(
        allocation="bottleneck", ramp_shape="logistic", recovery="exponential",
        restrikes={"low": 0, "mode": 1, "high": 3, "dist": "triangular"},
        horizon_days={"low": 90, "mode": 120, "high": 365, "dist": "fixed"})


SCENARIO_CASES = {
    "defaults": Scenario.default,
    "baseline": lambda: Scenario.from_yaml(SCENARIOS / "baseline.yaml"),
    "dispersal-restrikes": lambda: Scenario.from_yaml(SCENARIOS / "dispersal-restrikes.yaml"),
    "choices-flipped": _flipped,
    "stated-target": lambda: Scenario.from_yaml(SCENARIOS / "stated-target.yaml"),
}


def ranged(scenario: Scenario) -> set[str]:
    """Every assumption of the registry with a range: low < high, or another choice."""
    names = set()
    for name, p in REGISTRY.items():
        value = scenario.values[name]
        if (p.is_numeric and value.low < value.high) or (p.kind == "choice" and len(p.choices) > 1):
            names.add(name)
    return names


@pytest.mark.parametrize("case", SCENARIO_CASES)
def test_every_tornado_end_is_a_direct_run(case):
    scenario = SCENARIO_CASES[case]()
    frames = {output: tornado(scenario, output).set_index("parameter") for output in OUTPUTS}
    names = ranged(scenario)
    assert {"allocation", "ramp_shape", "recovery"} <= names and len(names) > 10
    if case != "dispersal-restrikes":  # (which fixes these without a range)
        assert {"horizon_days", "missiles", "restrikes", "defense_engagements"} <= names
    central = simulate(scenario, samples=0).outputs.iloc[0]
    for output, frame in frames.items():
        assert set(frame.index) == names, output
        assert frame.attrs["central"] == central[output]
    runs = {}  # (name, value) → a direct run's outputs
    for name in sorted(names):
        for output, frame in frames.items():
            # (a choice with more than two values may pick another end for each output)
            for end in ("low", "high"):
                value = frame.loc[name, f"{end}_value"]
                if (name, value) not in runs:
                    runs[name, value] = simulate(scenario.with_values(**{name: value}),
                                                 samples=0).outputs.iloc[0]
                assert frame.loc[name, f"output_at_{end}"] == runs[name, value][output], (
                    name, end, output)


def test_horizon_bar_is_the_run_at_the_other_horizon():
    # the bug this fixes: 180 → 365 days showed no change in target_share_denied although a
    # direct run at 365 days about halves it (the denied drones come in the first months)
    frame = tornado(Scenario.default(), "target_share_denied").set_index("parameter")
    row = frame.loc["horizon_days"]
    assert (row["low_value"], row["high_value"]) == (180, 365)
    assert row["output_at_low"] == frame.attrs["central"]
    assert row["output_at_high"] < 0.6 * row["output_at_low"]
    direct = simulate(Scenario.default().with_values(horizon_days=365), samples=0)
    assert row["output_at_high"] == direct.outputs["target_share_denied"].iloc[0]


@pytest.mark.parametrize("case", ["defaults", "choices-flipped"])
def test_choice_bars_run_from_the_central_choice_to_the_other(case):
    scenario = SCENARIO_CASES[case]()
    frame = tornado(scenario, "drones_denied").set_index("parameter")
    # the ramp's shape matters on the target path only; the stock policy moves launches
    # and hits, not drones denied (its bar: the choice that moves the output most, or the
    # first alternative on a tie)
    for name in ("allocation", "recovery", "production_path") + (
            ("ramp_shape",) if scenario.central("production_path") == "target" else ()):
        row = frame.loc[name]
        assert row["low_value"] == scenario.central(name)
        assert row["high_value"] in set(REGISTRY[name].choices) - {row["low_value"]}
        assert row["output_at_low"] == frame.attrs["central"]
        assert row["swing"] == abs(row["output_at_high"] - row["output_at_low"]) > 0


def test_a_choice_of_three_takes_the_alternative_that_moves_the_output_most():
    scenario = Scenario.default().with_values(stock_policy="drawdown")
    hits = tornado(scenario, "energy_hits_averted").set_index("parameter").loc["stock_policy"]
    direct = {policy: simulate(scenario.with_values(stock_policy=policy),
                               samples=0).outputs["energy_hits_averted"].iloc[0]
              for policy in ("hold", "rebuild")}
    central = simulate(scenario, samples=0).outputs["energy_hits_averted"].iloc[0]
    best = max(direct, key=lambda p: abs(direct[p] - central))
    assert hits["high_value"] == best and hits["output_at_high"] == direct[best]
    assert hits["swing"] > 0
