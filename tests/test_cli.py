"""Tests of the ``whatif`` command line (``whatif/cli.py``).

The contract (from the project's issue):

* ``whatif run SCENARIO.yaml [--samples N] [--seed S] [--set name=value ...] [--json]``
  prints the summary table, or JSON ``{title, samples, seed, outputs, assumptions}``.
* ``whatif solve SCENARIO.yaml --objective ... --at-least ... --confidence ... [--json]``
  prints the missiles needed and the curve (JSON ``missiles_needed`` null if unreachable).
* ``whatif params`` lists every assumption with unit, range, default and source.
* Bad input exits with code 2 and ONE clear line on stderr naming the parameter (and for
  range errors its unit and allowed range); never a traceback, never NaN in the output.

Most error cases run in-process through ``whatif.cli.main`` (which returns the exit code);
a few run as real subprocesses (``python -m whatif.cli``) to check the process boundary.
The model is numba-compiled with an on-disk cache, so the number of subprocesses is kept
small (about 20).
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

from whatif.cli import main
from whatif.outputs import OBJECTIVES, OUTPUTS
from whatif.params import REGISTRY, Assumption

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "data" / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"
SAMPLES = "500"
STATS = ("mean", "p10", "p50", "p90")
RUN_KEYS = {"title", "samples", "seed", "outputs", "assumptions"}
NAN_WORD = re.compile(r"\bnan\b|\binf\b", re.IGNORECASE)


# --- helpers ---------------------------------------------------------------------------

def central_of(value):
    """A scenario value's central number: plain, or the mode of a {low, mode, high, dist} map
    (a fixed value with a documented range is written as such a map)."""
    return value["mode"] if isinstance(value, dict) else value

def run_cli(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """``python -m whatif.cli ARGS`` with the running interpreter, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "whatif.cli", *map(str, args)],
        cwd=REPO, capture_output=True, text=True, timeout=timeout,
    )


def _reject_constant(name: str):
    raise AssertionError(f"JSON contains the non-finite constant {name}")


def strict_json(text: str):
    """Parse JSON, failing on NaN / Infinity (which ``json.loads`` would accept)."""
    return json.loads(text, parse_constant=_reject_constant)


def call_main(argv: list[str], capsys) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


def assert_bad_input(rc: int, out: str, err: str, *needles: str) -> str:
    """Exit code 2, nothing on stdout, exactly one non-empty stderr line containing needles."""
    assert "Traceback" not in out and "Traceback" not in err, err
    assert rc == 2, f"exit code {rc}, stderr {err!r}"
    assert out == "", f"unexpected stdout on an error: {out!r}"
    lines = err.splitlines()
    assert len(lines) == 1, f"expected exactly one stderr line, got {lines!r}"
    line = lines[0]
    assert line.strip(), "the error line is empty"
    assert line.startswith("whatif: error: "), line
    for needle in needles:
        assert needle in line, f"{needle!r} not in the error line {line!r}"
    return line


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assumptions_yaml(body: str) -> str:
    """A scenario file whose ``assumptions:`` block is ``body`` (one entry per line)."""
    indented = "".join(f"  {line}\n" for line in body.strip("\n").splitlines())
    return f"title: test\nassumptions:\n{indented}"


def assert_finite_outputs(outputs: dict) -> None:
    assert set(outputs) == set(OUTPUTS)
    for name, row in outputs.items():
        assert set(row) == set(STATS), name
        for stat in STATS:
            value = row[stat]
            assert isinstance(value, (int, float)) and not isinstance(value, bool), (name, stat)
            assert math.isfinite(value), (name, stat, value)
        assert row["p10"] <= row["p50"] <= row["p90"], (name, row)


# --- 1. bad input: in-process ----------------------------------------------------------
# Each case: a scenario file body (or None to use baseline.yaml), the extra CLI arguments
# (``{path}`` is replaced by the scenario path), and the substrings the error line must hold.
BAD_SCENARIOS = {
    # structure of the file
    "list-not-mapping": ("- missiles\n- 30\n", ["expected a mapping", "title", "assumptions"]),
    "scalar-not-mapping": ("just text\n", ["expected a mapping"]),
    "unknown-top-level-key": ("title: x\nmissiles: 30\n",
                              ["unknown key", "missiles", "assumptions"]),
    "assumptions-not-mapping": ("title: x\nassumptions: [1, 2]\n", ["'assumptions'", "mapping"]),
    "title-not-text": ("title: [1, 2]\n", ["title", "text"]),
    # unknown parameter
    "unknown-parameter": (assumptions_yaml("missle: 30"), ["missle", "unknown parameter"]),
    # range
    "out-of-range": (assumptions_yaml("launch_reliability: 1.5"),
                     ["launch_reliability", "1.5", "out of range", "0 to 1 probability"]),
    "below-range": (assumptions_yaml("site_share: -0.1"),
                    ["site_share", "-0.1", "0 to 1 share"]),
    "negative-missiles": (assumptions_yaml("missiles: -5"),
                          ["missiles", "-5", "out of range", "1 to 1000 missiles"]),
    "zero-missiles": (assumptions_yaml("missiles: 0"), ["missiles", "1 to 1000 missiles"]),
    "non-integer-missiles": (assumptions_yaml("missiles: 30.5"),
                             ["missiles", "30.5", "whole number", "1 to 1000 missiles"]),
    "non-integer-restrikes": (assumptions_yaml("restrikes: 1.5"),
                              ["restrikes", "whole number", "0 to 20 salvos"]),
    "huge-value": (assumptions_yaml("repair_days: 1.0e+400"),
                   ["repair_days", "finite", "1 to 1095 days"]),
    # wrong type
    "string-for-number": (assumptions_yaml("launch_reliability: high"),
                          ["launch_reliability", "'high'", "not a number", "0 to 1 probability"]),
    "list-for-number": (assumptions_yaml("launch_reliability: [0.5, 0.6]"),
                        ["launch_reliability", "not a number", "0 to 1 probability"]),
    "bool-for-number": (assumptions_yaml("launch_reliability: true"),
                        ["launch_reliability", "not a number", "0 to 1 probability"]),
    "bool-for-missiles": (assumptions_yaml("missiles: yes"),
                          ["missiles", "not a number", "1 to 1000 missiles"]),
    "null-for-number": (assumptions_yaml("missiles: ~"),
                        ["missiles", "not a number", "1 to 1000 missiles"]),
    # distributions
    "unknown-dist": (assumptions_yaml("repair_days: {low: 30, high: 60, dist: gamma}"),
                     ["repair_days", "gamma", "uniform", "triangular", "lognormal"]),
    "low-above-high": (assumptions_yaml("repair_days: {low: 90, high: 60, dist: uniform}"),
                       ["repair_days", "low 90", "high 60", "days"]),
    "mode-outside": (
        assumptions_yaml("repair_days: {low: 30, mode: 90, high: 60, dist: triangular}"),
        ["repair_days", "mode 90", "low 30", "high 60", "days"]),
    "mode-below-low": (
        assumptions_yaml("launch_reliability: {low: 0.5, mode: 0.4, high: 0.9, dist: pert}"),
        ["launch_reliability", "mode 0.4", "outside"]),
    "triangular-without-mode": (
        assumptions_yaml("repair_days: {low: 30, high: 60, dist: triangular}"),
        ["repair_days", "triangular", "mode"]),
    "pert-without-mode": (assumptions_yaml("repair_days: {low: 30, high: 60, dist: pert}"),
                          ["repair_days", "pert", "mode"]),
    "uniform-without-high": (assumptions_yaml("repair_days: {low: 30, dist: uniform}"),
                             ["repair_days", "low and high", "1 to 1095 days"]),
    "fixed-without-mode": (assumptions_yaml("repair_days: {low: 30, high: 60, dist: fixed}"),
                           ["repair_days", "fixed", "mode"]),
    "lognormal-low-zero": (assumptions_yaml("production_now: {low: 0, high: 200, dist: lognormal}"),
                           ["production_now", "lognormal", "low > 0"]),
    "lognormal-low-negative": (
        assumptions_yaml("production_now: {low: -5, high: 200, dist: lognormal}"),
        ["production_now", "-5", "0 to 5000 drones/day"]),
    "dist-bound-out-of-range": (assumptions_yaml("repair_days: {low: 30, high: 5000}"),
                                ["repair_days", "5000", "high", "1 to 1095 days"]),
    "dist-unknown-key": (assumptions_yaml("repair_days: {low: 30, hgh: 60}"),
                         ["repair_days", "hgh", "low, mode, high and dist"]),
    "dist-non-number": (assumptions_yaml("repair_days: {low: 30, high: abc}"),
                        ["repair_days", "'abc'", "not a number", "1 to 1095 days"]),
    "horizon-distribution": (assumptions_yaml("horizon_days: {low: 100, high: 200, dist: uniform}"),
                             ["horizon_days", "single value", "7 to 1095 days"]),
    # choices
    "bad-choice": (assumptions_yaml("allocation: random"),
                   ["allocation", "'random'", "one of even, bottleneck"]),
    "number-for-choice": (assumptions_yaml("ramp_shape: 1"),
                          ["ramp_shape", "one of linear, logistic"]),
    # stages
    "stages-empty": (assumptions_yaml("stages: []"),
                     ["stages", "no stages", "1 to 500 aimpoints"]),
    "stages-empty-text": (assumptions_yaml("stages: ''"), ["stages", "no stages"]),
    "stages-aimpoints-zero": (assumptions_yaml("stages: [{name: a, aimpoints: 0}]"),
                              ["stages", "aimpoints of stage a", "out of range",
                               "1 to 500 aimpoints"]),
    "stages-aimpoints-too-many": (assumptions_yaml("stages: [{name: a, aimpoints: 501}]"),
                                  ["stages", "501", "1 to 500 aimpoints"]),
    "stages-aimpoints-fraction": (assumptions_yaml("stages: [{name: a, aimpoints: 2.5}]"),
                                  ["stages", "2.5", "whole number", "1 to 500 aimpoints"]),
    "stages-aimpoints-text": (assumptions_yaml("stages: 'a:x;b:4'"),
                              ["stages", "whole number", "1 to 500 aimpoints"]),
    "stages-aimpoints-bool": (assumptions_yaml("stages: [{name: a, aimpoints: true}]"),
                              ["stages", "whole number"]),
    "stages-missing-aimpoints": (assumptions_yaml("stages: [{name: a}]"),
                                 ["stages", "name, aimpoints", "1 to 500 aimpoints"]),
    "stages-unknown-stage-key": (assumptions_yaml("stages: [{name: a, aimpoints: 3, size: 2}]"),
                                 ["stages", "name, aimpoints"]),
    "stages-mapping": (assumptions_yaml("stages: {name: a, aimpoints: 3}"),
                       ["stages", "not a list of stages"]),
    "stages-number": (assumptions_yaml("stages: 5"), ["stages", "not a list of stages"]),
    "stages-garbage-text": (assumptions_yaml("stages: garbage"),
                            ["stages", "name:aimpoints", "1 to 500 aimpoints"]),
}


@pytest.mark.parametrize("body, needles", list(BAD_SCENARIOS.values()), ids=list(BAD_SCENARIOS))
def test_bad_scenario_file_run(tmp_path, capsys, body, needles):
    path = write(tmp_path, body)
    rc, out, err = call_main(["run", path, "--samples", "0"], capsys)
    assert_bad_input(rc, out, err, *needles)


@pytest.mark.parametrize("key", ["unknown-parameter", "out-of-range", "bad-choice", "stages-empty"])
def test_bad_scenario_file_solve(tmp_path, capsys, key):
    body, needles = BAD_SCENARIOS[key]
    path = write(tmp_path, body)
    rc, out, err = call_main(["solve", path, "--at-least", "0.5", "--samples", "0"], capsys)
    assert_bad_input(rc, out, err, *needles)


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "nope.yaml"
    rc, out, err = call_main(["run", path], capsys)
    assert_bad_input(rc, out, err, str(path), "no such scenario file")


def test_directory_instead_of_file(tmp_path, capsys):
    rc, out, err = call_main(["run", tmp_path, "--samples", "0"], capsys)
    assert_bad_input(rc, out, err, str(tmp_path), "cannot read")


def test_undecodable_file(tmp_path, capsys):
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00\x80 not utf-8")
    rc, out, err = call_main(["run", path, "--samples", "0"], capsys)
    assert_bad_input(rc, out, err, str(path), "cannot read")


@pytest.mark.parametrize("text, line", [
    # unclosed bracket: the parser notices at the next entry (line 4)
    ("title: x\nassumptions:\n  missiles: [30, 40\n  launch_reliability: 0.9\n", 4),
    ("title: x\nassumptions:\n  launch_reliability: {low: 0.5, high: 0.9\nnote: y\n", 4),
    ("title: x\nassumptions:\n\tmissiles: 3\n", 3),
    ("title: \"unclosed\nassumptions: {}\n", 3),
], ids=["unclosed-bracket", "unclosed-brace", "tab-indent", "unclosed-quote"])
def test_malformed_yaml_names_the_line(tmp_path, capsys, text, line):
    path = write(tmp_path, text)
    rc, out, err = call_main(["run", path, "--samples", "0"], capsys)
    message = assert_bad_input(rc, out, err, str(path), "malformed YAML")
    found = re.search(r"line (\d+)", message)
    assert found, message
    assert int(found.group(1)) == line, message


BAD_ARGS = {
    # --set
    "set-unknown-parameter": (["--set", "foo_bar=3"], ["foo_bar", "unknown parameter"]),
    "set-out-of-range": (["--set", "launch_reliability=1.5"],
                         ["launch_reliability", "1.5", "0 to 1 probability"]),
    "set-negative-missiles": (["--set", "missiles=-1"], ["missiles", "1 to 1000 missiles"]),
    "set-non-integer-missiles": (["--set", "missiles=30.5"],
                                 ["missiles", "30.5", "whole number", "1 to 1000 missiles"]),
    "set-string": (["--set", "repair_days=long"],
                   ["repair_days", "'long'", "not a number", "1 to 1095 days"]),
    "set-list": (["--set", "repair_days=[1, 2]"],
                 ["repair_days", "not a number", "1 to 1095 days"]),
    "set-bool": (["--set", "site_share=true"], ["site_share", "not a number", "0 to 1 share"]),
    "set-empty-value": (["--set", "missiles="], ["missiles", "not a number", "1 to 1000 missiles"]),
    "set-nan": (["--set", "launch_reliability=.nan"],
                ["launch_reliability", "finite", "0 to 1 probability"]),
    "set-inf": (["--set", "repair_days=.inf"], ["repair_days", "finite", "1 to 1095 days"]),
    "set-no-equals": (["--set", "missiles"], ["--set", "NAME=VALUE", "missiles"]),
    "set-no-name": (["--set", "=3"], ["--set", "NAME=VALUE"]),
    "set-malformed-value": (["--set", "launch_reliability=[1"],
                            ["launch_reliability", "cannot read"]),
    "set-bad-dist": (["--set", "repair_days={low: 30, high: 60, dist: gamma}"],
                     ["repair_days", "gamma"]),
    "set-low-above-high": (["--set", "repair_days={low: 90, high: 60}"],
                           ["repair_days", "low 90", "high 60", "days"]),
    "set-horizon-dist": (["--set", "horizon_days={low: 100, high: 200}"],
                         ["horizon_days", "single value", "7 to 1095 days"]),
    "set-bad-choice": (["--set", "allocation=random"], ["allocation", "one of even, bottleneck"]),
    "set-stages-zero": (["--set", "stages=a:0;b:4"],
                        ["stages", "aimpoints of stage a", "1 to 500"]),
    "set-stages-garbage": (["--set", "stages=garbage"], ["stages", "name:aimpoints"]),
    # --samples / --seed
    "samples-negative": (["--samples", "-1"], ["samples", "-1", "0 to 2000000"]),
    "samples-too-many": (["--samples", "3000000"], ["samples", "3000000", "0 to 2000000"]),
    "samples-abc": (["--samples", "abc"], ["--samples", "'abc'"]),
    "samples-fraction": (["--samples", "1.5"], ["--samples", "'1.5'"]),
    "seed-negative": (["--seed", "-5"], ["seed", "-5", ">= 0"]),
    "seed-abc": (["--seed", "abc"], ["--seed", "'abc'"]),
    "unknown-option": (["--frob"], ["--frob"]),
}


@pytest.mark.parametrize("args, needles", list(BAD_ARGS.values()), ids=list(BAD_ARGS))
def test_bad_run_arguments(capsys, args, needles):
    argv = ["run", BASELINE, *args]
    if "--samples" not in args:
        argv += ["--samples", "0"]
    rc, out, err = call_main(argv, capsys)
    assert_bad_input(rc, out, err, *needles)


BAD_SOLVE = {
    "unknown-objective": (["--objective", "foo", "--at-least", "0.5"],
                          ["objective", "'foo'", "capacity_loss"]),
    "non-objective-output": (["--objective", "strike_cost_usd", "--at-least", "1"],
                             ["objective", "strike_cost_usd", "capacity_loss"]),
    "at-least-above-share": (["--at-least", "1.5"],
                             ["at_least", "1.5", "capacity_loss", "0 to 1 share"]),
    "at-least-negative": (["--at-least", "-0.1"], ["at_least", "-0.1", "0 to 1 share"]),
    "at-least-nan": (["--at-least", "nan"], ["at_least", "0 to 1 share"]),
    "at-least-inf-count": (["--objective", "drones_denied", "--at-least", "inf"],
                           ["at_least", "drones_denied", ">= 0 drones"]),
    "at-least-abc": (["--at-least", "abc"], ["--at-least", "'abc'"]),
    "at-least-missing": ([], ["--at-least"]),
    "confidence-zero": (["--at-least", "0.5", "--confidence", "0"],
                        ["confidence", "0", "above 0 up to 1 probability"]),
    "confidence-above-one": (["--at-least", "0.5", "--confidence", "1.5"],
                             ["confidence", "1.5", "above 0 up to 1 probability"]),
    "confidence-negative": (["--at-least", "0.5", "--confidence", "-0.2"],
                            ["confidence", "-0.2", "up to 1 probability"]),
    "confidence-nan": (["--at-least", "0.5", "--confidence", "nan"],
                       ["confidence", "up to 1 probability"]),
    "max-missiles-zero": (["--at-least", "0.5", "--max-missiles", "0"],
                          ["max_missiles", "0", "1 to 1000 missiles"]),
    "max-missiles-too-many": (["--at-least", "0.5", "--max-missiles", "1001"],
                              ["max_missiles", "1001", "1 to 1000 missiles"]),
    "max-missiles-abc": (["--at-least", "0.5", "--max-missiles", "abc"], ["--max-missiles"]),
    "samples-negative": (["--at-least", "0.5", "--samples", "-1"], ["samples", "0 to 2000000"]),
    "seed-negative": (["--at-least", "0.5", "--seed", "-5"], ["seed", "-5"]),
    "set-out-of-range": (["--at-least", "0.5", "--set", "missiles=0"],
                         ["missiles", "1 to 1000 missiles"]),
}


@pytest.mark.parametrize("args, needles", list(BAD_SOLVE.values()), ids=list(BAD_SOLVE))
def test_bad_solve_arguments(capsys, args, needles):
    argv = ["solve", BASELINE, *args]
    if "--samples" not in args:
        argv += ["--samples", "0"]
    rc, out, err = call_main(argv, capsys)
    assert_bad_input(rc, out, err, *needles)


@pytest.mark.parametrize("argv, needles", [
    ([], ["command"]),
    (["frob"], ["frob", "run", "solve", "params"]),
    (["run"], ["scenario"]),
    (["solve", BASELINE], ["--at-least"]),
    (["params", "extra"], ["extra"]),
    (["tornado", BASELINE, "--output", "foo"], ["output", "'foo'", "drones_denied"]),
], ids=["no-subcommand", "unknown-subcommand", "run-without-scenario", "solve-without-at-least",
        "params-extra-argument", "tornado-unknown-output"])
def test_bad_command_line(capsys, argv, needles):
    rc, out, err = call_main(argv, capsys)
    assert_bad_input(rc, out, err, *needles)


# Inputs that once crashed with a traceback: now exit 2 with one line.
@pytest.mark.parametrize("body, needles", [
    pytest.param(assumptions_yaml("1: 30"), ["1"], id="integer-key"),
    pytest.param(assumptions_yaml("true: 30"), ["True"], id="bool-key"),
    pytest.param(assumptions_yaml("~: 30"), ["None"], id="null-key"),
    pytest.param(assumptions_yaml("stages: [{name: a, aimpoints: .nan}]"),
                 ["stages", "1 to 500 aimpoints"], id="stage-aimpoints-nan"),
    pytest.param(assumptions_yaml("stages: [{name: a, aimpoints: .inf}]"),
                 ["stages", "1 to 500 aimpoints"], id="stage-aimpoints-inf"),
    pytest.param(assumptions_yaml("missiles: {mode: 30.5, dist: fixed}"),
                 ["missiles", "30.5", "whole number", "1 to 1000 missiles"],
                 id="non-integer-missiles-as-fixed-distribution"),
])
def test_bad_scenario_former_crashes(tmp_path, capsys, body, needles):
    path = write(tmp_path, body)
    rc, out, err = call_main(["run", path, "--samples", "0"], capsys)
    assert_bad_input(rc, out, err, *needles)


# --- 1b. bad input: real processes ------------------------------------------------------
@pytest.mark.parametrize("case", ["missing-file", "malformed-yaml", "out-of-range", "samples-abc",
                                  "no-subcommand"])
def test_bad_input_subprocess(tmp_path, case):
    if case == "missing-file":
        args, needles = ["run", tmp_path / "missing.yaml"], ["missing.yaml", "no such"]
    elif case == "malformed-yaml":
        path = write(tmp_path, "title: x\nassumptions:\n  missiles: [30, 40\n  defeat_rate: 0.9\n")
        args, needles = ["run", path], ["malformed YAML", "line 4"]
    elif case == "out-of-range":
        path = write(tmp_path, assumptions_yaml("launch_reliability: 1.5"))
        args, needles = ["run", path, "--samples", "0"], ["launch_reliability", "probability",
                                                          "0 to 1"]
    elif case == "samples-abc":
        args, needles = ["run", BASELINE, "--samples", "abc"], ["--samples", "abc"]
    else:
        args, needles = [], ["command"]
    proc = run_cli(*args)
    assert_bad_input(proc.returncode, proc.stdout, proc.stderr, *needles)


def test_non_string_assumption_key_subprocess(tmp_path):
    path = write(tmp_path, assumptions_yaml("1: 30"))
    proc = run_cli("run", path, "--samples", "0")
    assert_bad_input(proc.returncode, proc.stdout, proc.stderr)


def test_console_script_exit_code(tmp_path):
    script = Path(sys.executable).with_name("whatif")
    if not script.exists():
        pytest.skip("console script not installed next to the interpreter")
    proc = subprocess.run([str(script), "run", str(tmp_path / "missing.yaml")], cwd=REPO,
                          capture_output=True, text=True, timeout=900)
    assert_bad_input(proc.returncode, proc.stdout, proc.stderr, "no such scenario file")


# --- 2. run ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def run_json_mc():
    proc = run_cli("run", BASELINE, "--samples", SAMPLES, "--seed", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    return proc


def test_run_json_schema(run_json_mc):
    assert run_json_mc.stderr == ""
    data = strict_json(run_json_mc.stdout)
    assert set(data) == RUN_KEYS
    assert data["title"] == "Baseline — public-figure defaults"
    assert data["samples"] == int(SAMPLES)
    assert data["seed"] == 3
    assert_finite_outputs(data["outputs"])
    assert list(data["outputs"]) == list(OUTPUTS)  # table order
    assert set(data["assumptions"]) == set(REGISTRY)
    assert central_of(data["assumptions"]["missiles"]) == 30
    assert data["assumptions"]["allocation"] == "even"
    assert data["assumptions"]["stages"] == [
        {"name": "airframes", "aimpoints": 8},
        {"name": "engines_and_avionics", "aimpoints": 4},
        {"name": "final_assembly", "aimpoints": 8},
    ]
    assert data["assumptions"]["launch_reliability"] == {
        "low": 0.75, "mode": 0.9, "high": 0.98, "dist": "triangular"}
    # Monte Carlo: at least one output actually varies
    assert any(row["p10"] < row["p90"] for row in data["outputs"].values())
    # shares are shares
    for name, spec in OUTPUTS.items():
        if spec.unit == "share":
            for stat in STATS:
                assert 0 <= data["outputs"][name][stat] <= 1, (name, stat)


def test_run_same_seed_is_identical(run_json_mc):
    again = run_cli("run", BASELINE, "--samples", SAMPLES, "--seed", "3", "--json")
    assert again.returncode == 0, again.stderr
    assert again.stdout == run_json_mc.stdout


def test_run_in_process_matches_subprocess(run_json_mc, capsys):
    rc, out, err = call_main(["run", BASELINE, "--samples", SAMPLES, "--seed", "3", "--json"],
                             capsys)
    assert rc == 0 and err == ""
    assert strict_json(out) == strict_json(run_json_mc.stdout)


def test_run_different_seed_differs(run_json_mc, capsys):
    rc, out, err = call_main(["run", BASELINE, "--samples", SAMPLES, "--seed", "4", "--json"],
                             capsys)
    assert rc == 0 and err == ""
    other = strict_json(out)
    assert other["seed"] == 4
    assert other["outputs"] != strict_json(run_json_mc.stdout)["outputs"]


@pytest.fixture(scope="module")
def run_json_deterministic():
    proc = run_cli("run", BASELINE, "--samples", "0", "--json")
    assert proc.returncode == 0, proc.stderr
    return strict_json(proc.stdout)


def test_run_deterministic(run_json_deterministic):
    data = run_json_deterministic
    assert set(data) == RUN_KEYS
    assert data["samples"] == 0
    assert_finite_outputs(data["outputs"])
    for name, row in data["outputs"].items():
        assert row["mean"] == row["p10"] == row["p50"] == row["p90"], name
    # documented in whatif/__init__.py: the default scenario loses 66.1% of capacity
    assert data["outputs"]["capacity_loss"]["mean"] == pytest.approx(0.661, abs=5e-4)
    assert data["outputs"]["strike_cost_usd"]["mean"] == pytest.approx(30 * 2_000_000)


def test_run_set_missiles(run_json_deterministic):
    proc = run_cli("run", BASELINE, "--samples", "0", "--json", "--set", "missiles=60")
    assert proc.returncode == 0, proc.stderr
    data = strict_json(proc.stdout)
    assert set(data) == RUN_KEYS
    assert_finite_outputs(data["outputs"])
    assert data["assumptions"]["missiles"] == 60
    assert central_of(run_json_deterministic["assumptions"]["missiles"]) == 30
    # only missiles changed in the echo
    changed = {k for k in data["assumptions"]
               if data["assumptions"][k] != run_json_deterministic["assumptions"][k]}
    assert changed == {"missiles"}
    assert (data["outputs"]["capacity_loss"]["mean"]
            > run_json_deterministic["outputs"]["capacity_loss"]["mean"])
    assert data["outputs"]["strike_cost_usd"]["mean"] == pytest.approx(60 * 2_000_000)


def test_run_set_several_in_process(capsys):
    rc, out, err = call_main([
        "run", BASELINE, "--samples", "0", "--json",
        "--set", "missiles=40", "--set", "missiles=50",  # the last one wins
        "--set", "repair_days={low: 30, mode: 60, high: 365, dist: pert}",
        "--set", "allocation=bottleneck",
        "--set", "stages=a:8;b:4",
    ], capsys)
    assert rc == 0 and err == ""
    data = strict_json(out)
    assert_finite_outputs(data["outputs"])
    echo = data["assumptions"]
    assert echo["missiles"] == 50
    assert echo["repair_days"] == {"low": 30, "mode": 60, "high": 365, "dist": "pert"}
    assert echo["allocation"] == "bottleneck"
    assert echo["stages"] == [{"name": "a", "aimpoints": 8}, {"name": "b", "aimpoints": 4}]


def test_run_table():
    proc = run_cli("run", BASELINE, "--samples", SAMPLES)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    text = proc.stdout
    assert "Traceback" not in text
    assert not NAN_WORD.search(text), text
    assert "n/a" not in text
    lines = text.splitlines()
    assert lines[0] == "Baseline — public-figure defaults"
    assert f"{int(SAMPLES):,} samples, seed 0" in lines[1]
    header = next(line for line in lines if line.startswith("output"))
    for column in ("mean", "P10", "P50", "P90"):
        assert column in header
    for spec in OUTPUTS.values():
        rows = [line for line in lines if line.startswith(spec.label)]
        assert len(rows) == 1, spec.label
        assert len(rows[0][len(spec.label):].split()) == 4, rows[0]  # four cells
    # shares are shown as percentages
    capacity = next(line for line in lines if line.startswith(OUTPUTS["capacity_loss"].label))
    assert capacity.count("%") == 4


def test_run_table_deterministic_in_process(capsys):
    rc, out, err = call_main(["run", BASELINE, "--samples", "0"], capsys)
    assert rc == 0 and err == ""
    assert "deterministic" in out.splitlines()[1]
    assert not NAN_WORD.search(out)
    capacity = next(line for line in out.splitlines()
                    if line.startswith(OUTPUTS["capacity_loss"].label))
    assert capacity.split()[-4:] == ["66.1%"] * 4


# --- 3. solve --------------------------------------------------------------------------
SOLVE_ARGS = ("--objective", "capacity_loss", "--at-least", "0.5", "--confidence", "0.8",
              "--samples", SAMPLES)


@pytest.fixture(scope="module")
def solve_json():
    proc = run_cli("solve", BASELINE, *SOLVE_ARGS, "--json")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return strict_json(proc.stdout)


def check_curve(curve: list, max_missiles: int = 300) -> None:
    assert isinstance(curve, list)
    assert [row[0] for row in curve] == list(range(max_missiles + 1))
    for row in curve:
        assert len(row) == 2
        missiles, probability = row
        assert isinstance(missiles, int) and not isinstance(missiles, bool)
        assert isinstance(probability, (int, float)) and math.isfinite(probability)
        assert 0 <= probability <= 1
    probabilities = [row[1] for row in curve]
    assert all(a <= b for a, b in zip(probabilities, probabilities[1:], strict=False)), \
        "curve decreases"


def test_solve_json(solve_json):
    data = solve_json
    assert {"missiles_needed", "curve"} <= set(data)
    assert data["objective"] == "capacity_loss"
    assert data["at_least"] == 0.5 and data["confidence"] == 0.8
    check_curve(data["curve"])
    needed = data["missiles_needed"]
    assert isinstance(needed, int) and not isinstance(needed, bool)
    assert 1 <= needed <= 300
    probability = dict((m, p) for m, p in data["curve"])
    assert probability[needed] >= 0.8
    assert probability[needed - 1] < 0.8
    assert probability[0] == 0.0  # no missiles, no damage
    assert probability[300] >= 0.8


def test_solve_text(solve_json):
    proc = run_cli("solve", BASELINE, *SOLVE_ARGS)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    assert not NAN_WORD.search(text)
    assert "Traceback" not in text + proc.stderr
    assert text.splitlines()[0] == "Baseline — public-figure defaults"
    assert "with probability >= 80%" in text
    assert f"Missiles needed per salvo: {solve_json['missiles_needed']}\n" in text
    assert "No salvo" not in text
    rows = re.findall(r"^\s*(\d+)\s+(\d+\.\d)%$", text, re.MULTILINE)
    assert rows, text
    assert rows[0][0] == "0" and rows[-1][0] == "300"
    probability = dict((m, p) for m, p in solve_json["curve"])
    for missiles, percent in rows:  # the printed curve agrees with the JSON one
        assert float(percent) == pytest.approx(100 * probability[int(missiles)], abs=0.051)


def test_solve_deterministic_in_process(capsys):
    rc, out, err = call_main(["solve", BASELINE, "--at-least", "0.5", "--samples", "0", "--json",
                              "--max-missiles", "100"], capsys)
    assert rc == 0 and err == ""
    data = strict_json(out)
    check_curve(data["curve"], max_missiles=100)
    assert {p for _, p in data["curve"]} <= {0.0, 1.0}
    needed = data["missiles_needed"]
    assert isinstance(needed, int)
    assert data["curve"][needed][1] == 1.0 and data["curve"][needed - 1][1] == 0.0


def test_solve_ignores_scenario_missiles(capsys):
    """The salvo is what is solved for: the scenario's own missiles value doesn't matter."""
    results = []
    for missiles in ("5", "200"):
        rc, out, err = call_main(["solve", BASELINE, "--at-least", "0.5", "--samples", "0",
                                  "--json", "--set", f"missiles={missiles}"], capsys)
        assert rc == 0 and err == ""
        results.append(strict_json(out))
    assert results[0]["missiles_needed"] == results[1]["missiles_needed"]
    assert results[0]["curve"] == results[1]["curve"]


@pytest.fixture(scope="module")
def impossible_scenario(tmp_path_factory):
    """No missile ever kills anything: no salvo reaches any positive capacity loss."""
    path = tmp_path_factory.mktemp("impossible") / "impossible.yaml"
    path.write_text(assumptions_yaml("aimpoint_kill_probability: 0"), encoding="utf-8")
    return path


UNREACHABLE = ("--at-least", "1.0", "--confidence", "1.0", "--samples", SAMPLES)


def test_solve_unreachable_json(impossible_scenario):
    proc = run_cli("solve", impossible_scenario, *UNREACHABLE, "--json")
    assert proc.returncode == 0, proc.stderr
    data = strict_json(proc.stdout)
    assert "missiles_needed" in data and data["missiles_needed"] is None
    check_curve(data["curve"])
    assert all(p == 0.0 for _, p in data["curve"])


def test_solve_unreachable_text(impossible_scenario):
    proc = run_cli("solve", impossible_scenario, *UNREACHABLE)
    assert proc.returncode == 0, proc.stderr
    assert "No salvo up to 300 missiles reaches it" in proc.stdout
    assert "Missiles needed per salvo" not in proc.stdout
    assert not NAN_WORD.search(proc.stdout)


def test_solve_unreachable_in_process_max_missiles(capsys):
    """Reachable with enough missiles, but not within --max-missiles 3."""
    rc, out, err = call_main(["solve", BASELINE, "--at-least", "0.5", "--samples", "0",
                              "--max-missiles", "3"], capsys)
    assert rc == 0 and err == ""
    assert "No salvo up to 3 missiles reaches it" in out
    rc, out, err = call_main(["solve", BASELINE, "--at-least", "0.5", "--samples", "0",
                              "--max-missiles", "3", "--json"], capsys)
    data = strict_json(out)
    assert data["missiles_needed"] is None
    check_curve(data["curve"], max_missiles=3)


@pytest.mark.parametrize("objective", OBJECTIVES)
def test_solve_every_objective_in_process(capsys, objective):
    rc, out, err = call_main(["solve", BASELINE, "--objective", objective, "--at-least", "0",
                              "--samples", "0", "--json", "--max-missiles", "10"], capsys)
    assert rc == 0 and err == ""
    data = strict_json(out)
    assert data["objective"] == objective
    assert data["missiles_needed"] == 0  # anything reaches "at least 0"
    check_curve(data["curve"], max_missiles=10)


# --- 4. params -------------------------------------------------------------------------
def test_params_text():
    proc = run_cli("params")
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    text = proc.stdout
    for name, p in REGISTRY.items():
        header = re.search(rf"^{re.escape(name)}  \[(.*?)\]  (.*)$", text, re.MULTILINE)
        assert header, f"{name} is not listed"
        assert header.group(1) == (p.unit or "-"), name
        assert header.group(2) == p.label
        block = text[header.end():].split("\n", 3)
        assert block[1].strip().startswith(f"range: {p.range_text()}"), (name, block[1])
        assert "default: " in block[1]
        assert block[2].strip().startswith(f"source: {p.source}"), name
    for group in {p.group for p in REGISTRY.values()}:
        assert f"== {group} ==" in text


def test_params_json():
    proc = run_cli("params", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = strict_json(proc.stdout)
    assert isinstance(rows, list)
    assert [row["name"] for row in rows] == list(REGISTRY)
    for row in rows:
        p = REGISTRY[row["name"]]
        for key in ("name", "group", "label", "unit", "kind", "range", "default", "source",
                    "source_url", "source_date", "reliability"):
            assert key in row, (row["name"], key)
        assert isinstance(row["source"], str) and row["source"].strip(), row["name"]
        assert row["unit"] == p.unit
        assert row["range"] == p.range_text()
        assert row["kind"] == p.kind
    by_name = {row["name"]: row for row in rows}
    assert by_name["missiles"]["default"] == {"low": 25, "mode": 30, "high": 30, "dist": "fixed"}
    assert by_name["launch_reliability"]["unit"] == "probability"
    assert by_name["launch_reliability"]["range"] == "0 to 1 probability"
    assert by_name["allocation"]["default"] == "even"
    assert by_name["stages"]["default"] == [
        "airframes:8", "engines_and_avionics:4", "final_assembly:8"]
    assert by_name["repair_days"]["default"] == {
        "low": 30, "mode": 60, "high": 365, "dist": "triangular"}


def test_params_in_process_defaults_are_valid(capsys):
    """Every default printed by `params --json` is itself an acceptable --set value."""
    rc, out, err = call_main(["params", "--json"], capsys)
    assert rc == 0 and err == ""
    for row in strict_json(out):
        value = row["default"]
        if row["kind"] == "stages":
            value = ";".join(value)
        parsed, default = REGISTRY[row["name"]].parse(value), REGISTRY[row["name"]].default
        if isinstance(default, Assumption):
            # a fixed default prints only its central value (its documented low/high, used
            # by `tornado`, are not shown), so compare what the JSON carries
            assert (parsed.central, parsed.dist) == (default.central, default.dist), row["name"]
            if default.dist != "fixed":
                assert parsed == default, row["name"]
        else:
            assert parsed == default, row["name"]
