"""Hostile or careless input is refused in bounded time and memory (issue 9, item 2).

Every path in — the CLI, the ``Scenario`` API, the app's upload — refuses bad input
with the project's own error (a ``ValueError`` subclass from ``whatif.errors``). On the
CLI that is exit code 2 and exactly one line of at most 300 characters on stderr, no
traceback, naming the limit that was met, within a few seconds. The hostile files are
written here: a "billion laughs" of YAML aliases, 5,000 levels of nesting, 400- and
100,000-digit numbers, ``/dev/zero``, a FIFO, a file's child, a 300-character file name,
escape sequences in keys and titles, 100,000 stages, 2^30 samples.

Most cases run in-process through ``whatif.cli.main`` (the time measured is the
command's own, without Python's start-up); one runs as a subprocess under an address
space limit, to show that the billion laughs is refused without being expanded.
"""

from __future__ import annotations

import errno
import html
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from whatif.cli import main
from whatif.engine import MAX_SAMPLES, MAX_WORK, missiles_needed, simulate
from whatif.errors import (
    MAX_MESSAGE_CHARS,
    ParameterError,
    ScenarioError,
    WhatifError,
    escape_controls,
    show,
)
from whatif.inputs import MAX_FILE_BYTES, MAX_NUMBER_DIGITS, MAX_SCALAR_CHARS, MAX_YAML_DEPTH
from whatif.params import MAX_STAGES, MAX_TOTAL_AIMPOINTS, parse_stages
from whatif.scenario import Scenario
from whatif.sensitivity import (
    MAX_EXPLAIN_GRID,
    MAX_EXPLAIN_REFINE,
    MAX_SOBOL_SAMPLES,
    explain,
    sobol,
)

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "data" / "scenarios" / "baseline.yaml"
SECONDS = 5.0  # a refusal takes milliseconds; this is generous for a loaded machine
MAX_LINE = 300


# --- hostile files ---------------------------------------------------------------------

def billion_laughs() -> str:
    """Ten levels of nine aliases: 10^9 strings once expanded, 474 bytes as written."""
    items = ['&a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    items += [f"&a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    return "assumptions:\n  missiles: [" + ", ".join(items) + "]\n"


HOSTILE_YAML = {
    "billion-laughs": (billion_laughs(), ["alias", "not allowed"]),
    "deep-flow": ("assumptions: {missiles: " + "[" * 5000 + "]" * 5000 + "}\n",
                  [f"more than {MAX_YAML_DEPTH} levels", f"at most {MAX_YAML_DEPTH}"]),
    "deep-flow-mapping": ("title: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n",
                          [f"more than {MAX_YAML_DEPTH} levels"]),
    "deep-block-sequence": ("assumptions:\n  missiles:\n    " + "- " * 5000 + "1\n",
                            [f"more than {MAX_YAML_DEPTH} levels"]),
    # 5,000 indented levels are 12.5 MB: refused by size before any parsing
    "deep-block-mapping": ("".join(" " * i + f"k{i}:\n" for i in range(5000)) + " " * 5000
                           + "x\n", [f"{MAX_FILE_BYTES:,} bytes"]),
    "int-400-digits": ("assumptions:\n  missiles: " + "9" * 400 + "\n",
                       ["400 characters", f"at most {MAX_NUMBER_DIGITS}"]),
    "int-100000-digits": ("assumptions:\n  missiles: " + "9" * 100_000 + "\n",
                          [f"{MAX_FILE_BYTES:,} bytes"]),
    "float-1e400": ("assumptions:\n  missiles: 1e400\n",
                    ["missiles", "not a finite number", "1 to 1000 missiles"]),
    "sexagesimal-int": ("assumptions:\n  missiles: " + ":".join(["59"] * 40) + "\n",
                        [f"at most {MAX_NUMBER_DIGITS}"]),
    "long-note": ("note: " + "x" * (MAX_SCALAR_CHARS + 1) + "\n",
                  [f"at most {MAX_SCALAR_CHARS:,} characters"]),
    "long-title": ("title: " + "t" * 201 + "\n", ["title", "at most 200"]),
    "key-with-escapes": ('assumptions:\n  "mis\\nsiles\\e[31m": 3\n',
                         ["mis\\nsiles\\x1b[31m", "unknown parameter"]),
    "top-key-with-escapes": ('"\\e]0;pwned\\a": 1\n', ["\\x1b]0;pwned\\x07", "unknown key"]),
    "many-stages": ("assumptions:\n  stages: ["
                    + ", ".join(f"{{name: s{i}, aimpoints: 1}}" for i in range(MAX_STAGES + 1))
                    + "]\n", ["stages", f"more than {MAX_STAGES} stages"]),
    "stage-name-escapes": ('assumptions:\n  stages: [{name: "a\\e[2J", aimpoints: 3}]\n',
                           ["stages", "'a\\x1b[2J'", "not a stage name"]),
    "too-many-aimpoints": ("assumptions:\n  stages: ["
                           + ", ".join(f"{{name: s{i}, aimpoints: 500}}" for i in range(11))
                           + "]\n", ["5500 aimpoints in all", f"at most {MAX_TOTAL_AIMPOINTS}"]),
    "huge-stages-text": ("assumptions:\n  stages: \"" + ";".join(f"s{i}:1" for i in range(2000))
                         + "\"\n", ["stages", f"more than {MAX_STAGES} stages"]),
    "bad-timestamp": ("assumptions:\n  missiles: 2020-13-45\n", ["cannot read the YAML"]),
    "python-tag": ("assumptions:\n  missiles: !!python/object/apply:os.system [ls]\n",
                   ["malformed YAML", "line 2"]),
    "nul-byte": ("title: a\x00b\n", ["malformed YAML", "not allowed"]),
}


# --- helpers -----------------------------------------------------------------------------

def run_main(argv: list, capsys) -> tuple[int, str, str, float]:
    started = time.monotonic()
    rc = main([str(a) for a in argv])
    elapsed = time.monotonic() - started
    captured = capsys.readouterr()
    return rc, captured.out, captured.err, elapsed


def assert_refused(rc: int, out: str, err: str, elapsed: float, *needles: str) -> str:
    """Exit 2, nothing on stdout, one short stderr line naming ``needles``, quickly."""
    assert "Traceback" not in err and "Traceback" not in out, err[-2000:]
    assert rc == 2, f"exit code {rc}; stderr {err[:500]!r}"
    assert out == "", out[:500]
    lines = err.split("\n")
    assert lines[-1] == "" and len(lines) == 2, f"expected one stderr line, got {err[:600]!r}"
    line = lines[0]
    assert line.startswith("whatif: error: ")
    assert len(line) <= MAX_LINE, f"{len(line)} characters: {line!r}"
    assert line.isprintable(), f"unescaped control characters in {line!r}"
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"
    return line


def assert_api_refused(call, error=WhatifError, *needles: str) -> str:
    started = time.monotonic()
    with pytest.raises(error) as info:
        call()
    elapsed = time.monotonic() - started
    message = str(info.value)
    assert isinstance(info.value, ValueError)
    assert len(message) <= MAX_MESSAGE_CHARS and message.isprintable(), message
    for needle in needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    assert elapsed < SECONDS, f"took {elapsed:.1f} s"
    return message


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


class _Alarm(Exception):
    pass


@pytest.fixture()
def alarm():
    """Fail (instead of hanging for ever) if the test blocks for more than 20 s."""
    def ring(signum, frame):
        raise _Alarm("blocked for 20 s")

    previous = signal.signal(signal.SIGALRM, ring)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


# --- scenario files through the CLI and the API -------------------------------------------

@pytest.mark.parametrize("case", sorted(HOSTILE_YAML))
def test_hostile_scenario_file_cli(tmp_path, capsys, case):
    text, needles = HOSTILE_YAML[case]
    path = write(tmp_path, "hostile.yaml", text)
    rc, out, err, elapsed = run_main(["run", path, "--samples", "0"], capsys)
    assert_refused(rc, out, err, elapsed, *needles)


@pytest.mark.parametrize("case", sorted(HOSTILE_YAML))
def test_hostile_scenario_api(tmp_path, case):
    text, needles = HOSTILE_YAML[case]
    path = write(tmp_path, "hostile.yaml", text)
    assert_api_refused(lambda: Scenario.from_yaml(path), WhatifError, *needles)
    assert_api_refused(lambda: Scenario.from_text(text), WhatifError, *needles)
    assert_api_refused(lambda: Scenario.from_bytes(text.encode()), WhatifError, *needles)


def test_hostile_set_values(capsys):
    cases = [
        ("missiles=[&a [1, 2], *a]", ["missiles", "alias"]),
        ("missiles=" + "[" * 5000 + "]" * 5000, ["missiles", f"at most {MAX_YAML_DEPTH}"]),
        ("missiles=" + "9" * 400, ["missiles", f"at most {MAX_NUMBER_DIGITS}"]),
        ("stages=" + ";".join(f"s{i}:1" for i in range(100_000)),
         ["stages", f"{MAX_FILE_BYTES:,} bytes"]),
        ("mis\nsiles\x1b[2J=3", ["mis\\nsiles\\x1b[2J", "unknown parameter"]),
    ]
    for item, needles in cases:
        rc, out, err, elapsed = run_main(["run", BASELINE, "--samples", "0", "--set", item],
                                         capsys)
        assert_refused(rc, out, err, elapsed, *needles)


def test_billion_laughs_built_in_python_is_shown_short():
    laughs = ["lol"] * 9
    for _ in range(9):
        laughs = [laughs] * 9  # 9^10 strings if expanded
    message = assert_api_refused(
        lambda: Scenario.from_dict({"assumptions": {"missiles": laughs}}), ParameterError,
        "missiles", "is not a number", "1 to 1000 missiles")
    assert "..." in message


def test_huge_integers_through_the_api():
    for number, digits in ((10**400, "401"), (10**100_000, "100,001"), (-(10**500), "501")):
        message = assert_api_refused(
            lambda n=number: Scenario.default().with_values(missiles=n), ParameterError,
            "missiles", "is out of range", "1 to 1000 missiles", f"about {digits} digits")
        assert "0000000000" not in message
    assert_api_refused(lambda: Scenario.default().with_values(repair_days="9" * 100_000),
                       ParameterError, "repair_days", "longer than 100 characters")
    assert_api_refused(lambda: simulate(Scenario.default(), samples=10**100_000),
                       ParameterError, "samples", f"0 to {MAX_SAMPLES}")
    assert_api_refused(lambda: simulate(Scenario.default(), samples=0, seed=2**70),
                       ParameterError, "seed", "2^64 - 1")


def test_hundred_thousand_stages_through_the_api():
    stages = [{"name": f"s{i}", "aimpoints": 1} for i in range(100_000)]
    assert_api_refused(lambda: Scenario.default().with_values(stages=stages), ParameterError,
                       "stages", f"more than {MAX_STAGES} stages")
    text = ";".join(f"s{i}:1" for i in range(100_000))
    assert_api_refused(lambda: parse_stages(text), ParameterError, f"more than {MAX_STAGES}")
    # at the limits, accepted
    assert len(parse_stages([{"name": f"s{i}", "aimpoints": 100} for i in range(MAX_STAGES)])
               ) == MAX_STAGES
    assert sum(s.aimpoints for s in parse_stages([{"name": f"s{i}", "aimpoints": 500}
                                                   for i in range(10)])) == MAX_TOTAL_AIMPOINTS


def test_titles_and_notes_limits_through_the_api():
    assert_api_refused(lambda: Scenario.default().with_text(title="t" * 10_000), ScenarioError,
                       "title", "at most 200")
    assert_api_refused(lambda: Scenario.default().with_text(note=["a"]), ScenarioError,
                       "must be text")
    assert_api_refused(lambda: Scenario.from_dict({"title": "x", "note": "n" * 10**6}),
                       ScenarioError, "note", f"at most {MAX_SCALAR_CHARS:,}")
    assert_api_refused(lambda: Scenario.from_text(b"title: x"), ScenarioError, "YAML text")


# --- paths that cannot be read ------------------------------------------------------------

def test_dev_zero_is_refused(capsys, alarm):
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    rc, out, err, elapsed = run_main(["run", "/dev/zero"], capsys)
    assert_refused(rc, out, err, elapsed, "/dev/zero", "not a regular file")


def test_fifo_does_not_hang(tmp_path, capsys, alarm):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    fifo = tmp_path / "scenario.yaml"
    os.mkfifo(fifo)  # nobody will ever write to it
    rc, out, err, elapsed = run_main(["run", fifo], capsys)
    assert_refused(rc, out, err, elapsed, "scenario.yaml", "not a regular file")
    assert_api_refused(lambda: Scenario.from_yaml(fifo), ScenarioError, "not a regular file")


def test_unreadable_paths(tmp_path, capsys):
    a_file = write(tmp_path, "plain.yaml", "title: x\n")
    cases = [
        (a_file / "child.yaml", ["child.yaml", "not a folder"]),
        (tmp_path / ("x" * 300 + ".yaml"), ["xxx...xxx", "too long"]),
        (tmp_path, ["is a directory"]),
        (tmp_path / "no\n\x1b[31mfile.yaml", ["no\\n\\x1b[31mfile.yaml", "no such scenario file"]),
        ("nul\x00byte.yaml", ["nul\\x00byte.yaml", "not a usable path"]),
    ]
    for path, needles in cases:
        rc, out, err, elapsed = run_main(["run", path], capsys)
        assert_refused(rc, out, err, elapsed, *needles)
        assert_api_refused(lambda p=path: Scenario.from_yaml(p), ScenarioError, *needles)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root reads any file")
def test_permission_denied(tmp_path, capsys):
    path = write(tmp_path, "secret.yaml", "title: x\n")
    path.chmod(0)
    rc, out, err, elapsed = run_main(["run", path], capsys)
    assert_refused(rc, out, err, elapsed, "secret.yaml", "permission denied")


def test_undecodable_upload_names_the_byte():
    assert_api_refused(lambda: Scenario.from_bytes(b"title: \xff\xfe", "up.yaml"), ScenarioError,
                       "up.yaml", "not UTF-8", "byte 7")
    assert_api_refused(lambda: Scenario.from_bytes(bytes(MAX_FILE_BYTES + 1), "big.yaml"),
                       ScenarioError, "big.yaml", f"{MAX_FILE_BYTES:,} bytes")


# --- work limits ---------------------------------------------------------------------------

HUGE = str(2**30)


@pytest.mark.parametrize("argv, needles", [
    (["run", BASELINE, "--samples", HUGE], ["samples", f"0 to {MAX_SAMPLES}"]),
    (["solve", BASELINE, "--at-least", "0.5", "--samples", HUGE],
     ["samples", f"0 to {MAX_SAMPLES}"]),
    (["sobol", BASELINE, "--samples", HUGE], ["samples", f"64 to {MAX_SOBOL_SAMPLES}"]),
    (["sensitivity", BASELINE, "--samples", HUGE], ["samples", f"64 to {MAX_SOBOL_SAMPLES}"]),
    (["explain", BASELINE, "--samples", HUGE], ["samples", f"0 to {MAX_SAMPLES}"]),
    (["solve", BASELINE, "--at-least", "0.5", "--samples", "2000000"],
     ["samples", "salvos of up to 300 missiles", "too much work", f"{MAX_WORK:.0e}"]),
    (["solve", BASELINE, "--at-least", "0.5", "--max-missiles", "-5"],
     ["max_missiles", "1 to 1000"]),
    (["run", BASELINE, "--samples", "1" + "0" * 400], ["samples", "about 401 digits"]),
    (["run", BASELINE, "--seed", str(2**64)], ["seed", "2^64 - 1"]),
    (["explain", BASELINE, "--missiles", "1" + "0" * 400], ["missiles", "1 to 1000"]),
    (["explain", BASELINE, "--missiles", "1" + "0" * 5000], ["--missiles", "invalid int"]),
])
def test_work_limits_cli(capsys, argv, needles):
    rc, out, err, elapsed = run_main(argv, capsys)
    assert_refused(rc, out, err, elapsed, *needles)


def test_run_work_limit_depends_on_the_scenario(tmp_path, capsys):
    heavy = write(tmp_path, "heavy.yaml", (
        "title: heavy\nassumptions:\n  missiles: 1000\n  restrikes: 20\n  horizon_days: 1095\n"
        "  stages: [{name: a, aimpoints: 500}, {name: b, aimpoints: 500}]\n"))
    rc, out, err, elapsed = run_main(["run", heavy, "--samples", "100000"], capsys)
    # 200 + 21 × (1000 + 1000 + 1095) = 65,195 work units per sample
    line = assert_refused(rc, out, err, elapsed, "samples", "too much work",
                          f"0 to {MAX_WORK // 65_195} samples here")
    assert "salvos × (missiles + aimpoints + horizon days)" in line


def test_sobol_work_limit_depends_on_the_scenario():
    heavy = Scenario.default().with_values(restrikes=20, horizon_days=1095)
    # 18 uncertain inputs: 20 runs of 200 + 21 × 1095 = 23,195 units per base sample
    per_sample = 20 * 23_195
    most = 1 << ((MAX_WORK // per_sample).bit_length() - 1)
    assert_api_refused(lambda: sobol(heavy, samples=MAX_SOBOL_SAMPLES), ParameterError,
                       "samples", "too much work", f"at most {most} base samples here")


def test_explain_and_solve_arguments():
    s = Scenario.default()
    for kwargs, needles in [
        ({"grid": 0}, ["grid", f"2 to {MAX_EXPLAIN_GRID}"]),
        ({"grid": 1}, ["grid", f"2 to {MAX_EXPLAIN_GRID}"]),
        ({"grid": 10**9}, ["grid", f"2 to {MAX_EXPLAIN_GRID}"]),
        ({"grid": 2.5}, ["grid"]),
        ({"refine": -1}, ["refine", f"0 to {MAX_EXPLAIN_REFINE}"]),
        ({"refine": 10**6}, ["refine", f"0 to {MAX_EXPLAIN_REFINE}"]),
        ({"missiles": np.bool_(True)}, ["missiles"]),
    ]:
        assert_api_refused(lambda k=kwargs: explain(s, **k), ParameterError, *needles)
    assert_api_refused(lambda: missiles_needed(s, max_missiles=-3), ParameterError,
                       "max_missiles", "1 to 1000")
    assert_api_refused(lambda: missiles_needed(s, samples=10**6, max_missiles=1000),
                       ParameterError, "samples", "too much work")


# --- NumPy scalars are numbers -------------------------------------------------------------

def test_numpy_scalars_are_accepted_like_python_numbers():
    s = Scenario.default()
    a = s.with_values(missiles=np.int64(40), repair_days=np.float64(90.0),
                      stages=[{"name": "a", "aimpoints": np.int64(4)}],
                      launch_reliability={"low": np.float32(0.5), "mode": np.int8(1),
                                          "high": np.float64(1.0)})
    b = s.with_values(missiles=40, repair_days=90.0, stages=[{"name": "a", "aimpoints": 4}],
                      launch_reliability={"low": 0.5, "mode": 1, "high": 1.0})
    assert a.values == b.values
    ra = simulate(a, samples=np.int64(300), seed=np.int64(7))
    rb = simulate(b, samples=300, seed=7)
    assert ra.samples == 300 and ra.outputs.equals(rb.outputs)
    sa = missiles_needed(a, "capacity_loss", np.float64(0.5), np.float64(0.8),
                         samples=np.int64(200), seed=np.uint8(3), max_missiles=np.int64(60))
    sb = missiles_needed(b, "capacity_loss", 0.5, 0.8, samples=200, seed=3, max_missiles=60)
    assert sa.missiles_needed == sb.missiles_needed and sa.curve.equals(sb.curve)
    assert missiles_needed(b, at_least=np.int64(1), confidence=np.int64(1), samples=0
                           ).at_least == 1.0
    ea = explain(a, np.int64(30), grid=np.int64(65), refine=np.int64(10))
    eb = explain(b, 30, grid=65, refine=10)
    assert ea.equals(eb)
    fa = sobol(a, samples=np.int64(64), seed=np.int64(1))
    assert fa.equals(sobol(b, samples=64, seed=1))


def test_numpy_booleans_are_not_numbers():
    assert_api_refused(lambda: Scenario.default().with_values(missiles=np.bool_(True)),
                       ParameterError, "missiles", "not a number")
    assert_api_refused(lambda: simulate(Scenario.default(), samples=np.bool_(True)),
                       ParameterError, "samples")
    assert_api_refused(lambda: missiles_needed(Scenario.default(), at_least=np.bool_(True)),
                       ParameterError, "at_least")


# --- the brief ------------------------------------------------------------------------------

def test_brief_output_paths_are_checked_first(tmp_path, capsys, monkeypatch):
    import papermill

    def must_not_run(*args, **kwargs):
        raise AssertionError("the notebook ran")

    monkeypatch.setattr(papermill, "execute_notebook", must_not_run)
    a_file = write(tmp_path, "plain.txt", "x")
    cases = [
        (["-o", tmp_path], ["--output", "is a folder"]),
        (["-o", tmp_path / "missing" / "brief.html"], ["--output", "does not exist"]),
        (["-o", a_file / "brief.html"], ["--output", "does not exist"]),
        (["-o", tmp_path / ("b" * 300 + ".html")], ["--output", "too long"]),
        (["-o", tmp_path / "b.html", "--notebook", tmp_path], ["--notebook", "is a folder"]),
        (["-o", tmp_path / "b.html", "--samples", "2000000"],
         ["samples", "daily series", "allowed 0 to"]),
        (["-o", tmp_path / "b.html", "--samples", HUGE], ["samples", f"0 to {MAX_SAMPLES}"]),
        (["-o", tmp_path / "b.html", "--seed", "-1"], ["seed"]),
    ]
    for extra, needles in cases:
        rc, out, err, elapsed = run_main(["brief", BASELINE, *extra], capsys)
        assert_refused(rc, out, err, elapsed, *needles)


def test_brief_sobol_work_is_checked_first(tmp_path, capsys, monkeypatch):
    import papermill

    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: 1 / 0)
    heavy = write(tmp_path, "heavy.yaml",
                  "title: heavy\nassumptions:\n  restrikes: 20\n  horizon_days: 1095\n")
    rc, out, err, elapsed = run_main(["brief", heavy, "-o", tmp_path / "b.html", "--samples",
                                      "0"], capsys)
    assert_refused(rc, out, err, elapsed, "base samples", "too much work")


def test_brief_failure_in_the_notebook_is_one_line(tmp_path, capsys, monkeypatch):
    import papermill
    from papermill.exceptions import PapermillExecutionError

    def fail(*args, **kwargs):
        raise PapermillExecutionError(
            cell_index=3, exec_count=3, source="1/0", ename="ZeroDivisionError",
            evalue="division by zero\nsecond line",
            traceback=["Traceback (most recent call last):", "  File x", "ZeroDivisionError"])

    monkeypatch.setattr(papermill, "execute_notebook", fail)
    out_path = tmp_path / "b.html"
    rc, out, err, elapsed = run_main(["brief", BASELINE, "-o", out_path, "--samples", "0"],
                                     capsys)
    assert_refused(rc, out, err, elapsed, "the notebook failed", "ZeroDivisionError",
                   "division by zero\\nsecond line")
    assert not out_path.exists()


def test_brief_write_error_is_one_line(tmp_path, capsys, monkeypatch):
    import nbformat
    import papermill

    def no_space(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: None)
    monkeypatch.setattr(nbformat, "read", lambda *a, **k: nbformat.v4.new_notebook())
    monkeypatch.setattr(Path, "write_text", no_space)
    rc, out, err, elapsed = run_main(["brief", BASELINE, "-o", tmp_path / "b.html", "--samples",
                                      "0"], capsys)
    assert_refused(rc, out, err, elapsed, "--output", "b.html", "No space left on device")


# --- terminal output ---------------------------------------------------------------------------

def test_title_escape_sequences_are_escaped_on_the_terminal(tmp_path, capsys):
    path = write(tmp_path, "evil.yaml", 'title: "evil\\n\\e[2J\\e]0;owned\\atitle"\n')
    rc = main(["run", str(path), "--samples", "0"])
    out = capsys.readouterr().out
    assert rc == 0
    first = out.splitlines()[0]
    assert first == "evil\\n\\x1b[2J\\x1b]0;owned\\x07title"
    assert "\x1b" not in out and "\x07" not in out


# --- the message helper ------------------------------------------------------------------------

class _BrokenRepr:
    def __repr__(self):
        raise RuntimeError("no")


def test_show_is_short_escaped_and_safe():
    assert show(30) == "30" and show(30.0) == "30" and show(0.5) == "0.5"
    assert show(np.int64(7)) == "7" and show(np.float64(2.5)) == "2.5"
    assert show("a\nb\x1b") == "'a\\nb\\x1b'"
    assert show(10**100_000) == "a number of about 100,001 digits"
    assert show(_BrokenRepr()).startswith("<_BrokenRepr")
    loop: list = [1]
    loop.append(loop)
    assert show(loop) == "[1, [1, [1, [...]]]]"  # reprlib stops at 3 levels
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    assert len(show(deep)) <= 60
    assert len(show("x" * 10**6)) <= 60 and len(show(list(range(10**6)))) <= 60
    assert escape_controls("ok\u2028\x7f") == "ok\\u2028\\x7f"
    assert len(str(WhatifError("y" * 10**6))) == MAX_MESSAGE_CHARS
    assert "\n" not in str(WhatifError("a\nb"))


# --- the app --------------------------------------------------------------------------------

def test_app_upload_refuses_hostile_files_and_keeps_running(tmp_path):
    from whatif.ui import WhatifApp, headline_text

    app = WhatifApp(immediate=True, save_dir=tmp_path / "saved")
    before = headline_text(app)
    for name, (text, needles) in sorted(HOSTILE_YAML.items()):
        started = time.monotonic()
        assert not app.load_text(text.encode("utf-8"), f"{name}.yaml")
        assert time.monotonic() - started < SECONDS
        status = html.unescape(app.status.value)
        assert "⚠" in status and "\x1b" not in status, status
        assert len(status) < 600, status
        for needle in needles:
            assert needle in status, (needle, status)
    assert not app.load_text(b"\xff\xfe", "bin.yaml")
    assert "not UTF-8" in app.status.value
    assert headline_text(app) == before
    assert app.load_text(b"title: fine\nassumptions: {missiles: 44}\n", "fine.yaml")
    assert app.scenario.central("missiles") == 44
    # text boxes: a beside-the-control message naming the limit, the state unchanged
    typed = [("missiles", "text", "9" * 100_000, "longer than 100 characters"),
             ("stages", "input", ";".join(f"s{i}:1" for i in range(100_000)),
              f"more than {MAX_STAGES} stages"),
             ("stages", "input", "a\x1b[2J:3", "not a list of name:aimpoints")]
    for name, box, text, needle in typed:
        control = app.controls[name]
        started = time.monotonic()
        getattr(control, box).value = text
        assert time.monotonic() - started < SECONDS
        message = html.unescape(control.error.value)
        assert needle in message and len(message) < 600 and "\x1b" not in message, message
    assert app.scenario.central("missiles") == 44 and len(app.scenario.stages) == 3
    app.at_least.value = "7" * 100_000
    assert "at_least" in app.at_least_error.value and len(app.at_least_error.value) < 600
    # an over-long name to save under: a message beside the button, nothing written
    app.save_name.value = "n" * 5000
    assert app.save() is None and "at most 200" in app.status.value


# --- the process boundary under a memory limit -----------------------------------------------

def test_billion_laughs_under_an_address_space_limit(tmp_path):
    """1.5 GB of address space is plenty to refuse it; expanding it would need ~10 GB."""
    path = write(tmp_path, "laughs.yaml", billion_laughs())
    limit = 1536 * 1024 * 1024

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    proc = subprocess.run([sys.executable, "-m", "whatif.cli", "run", str(path)], cwd=REPO,
                          capture_output=True, text=True, timeout=600, preexec_fn=limit_memory)
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and len(lines[0]) <= MAX_LINE and "alias" in lines[0], lines
