"""Where data and notebooks are found (whatif/resources.py): bundled names for scenarios,
``whatif scenarios``, ``$WHATIF_DATA_DIR`` for every command (also in kernel subprocesses),
and where the app saves. The installed wheel is tested in test_wheel.py."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from whatif import resources
from whatif.cli import app_command, main
from whatif.engine import simulate
from whatif.errors import ScenarioError, WhatifError
from whatif.resources import DATA_ENV, USER_ENV, scenario_path
from whatif.scenario import Scenario

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "data" / "scenarios"
BUNDLED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
MODIFIED_TITLE = "Baseline (modified copy of the data)"
MODIFIED_MISSILES = 60


def modified_data_copy(dest: Path) -> Path:
    """A copy of data/ in ``dest`` with three changes a reader can see: the default salvo is
    60 missiles (fixed), the baseline's title is :data:`MODIFIED_TITLE`, and every month of
    the launch record has twice the UAVs launched and destroyed (same shares)."""
    shutil.copytree(REPO / "data", dest,
                    ignore=shutil.ignore_patterns("__pycache__", "user", "*.py"))

    def rewrite(path: Path, change) -> None:
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            fields, rows = reader.fieldnames, [change(row) for row in reader]
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)

    def salvo(row: dict) -> dict:
        if row["name"] == "missiles":
            row.update(central=MODIFIED_MISSILES, low=MODIFIED_MISSILES, high=MODIFIED_MISSILES,
                       distribution="fixed")
        return row

    def doubled(row: dict) -> dict:
        row.update(uav_launched=2 * int(row["uav_launched"]),
                   uav_destroyed=2 * int(row["uav_destroyed"]))
        return row

    rewrite(dest / "assumptions.csv", salvo)
    rewrite(dest / "historical" / "uav_launches_monthly.csv", doubled)
    baseline = dest / "scenarios" / "baseline.yaml"
    text = baseline.read_text(encoding="utf-8")
    title = text.splitlines()[0]
    assert title.startswith("title: ")
    baseline.write_text(text.replace(title, f"title: {MODIFIED_TITLE}", 1), encoding="utf-8")
    return dest


def flat(outputs: dict) -> dict:
    """``{output: {statistic: value}}`` as ``{"output.statistic": value}`` (for approx)."""
    return {f"{name}.{k}": v for name, stats in outputs.items() for k, v in stats.items()}


def call_main(argv: list[str], capsys) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return rc, captured.out, captured.err


# --- where things are (editable install: the repository's folders) -------------------------

def test_data_and_notebooks_are_the_repository_folders(monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    assert resources.data_dir() == REPO / "data"
    assert resources.data_file("assumptions.csv") == REPO / "data" / "assumptions.csv"
    assert resources.notebook("whatif.ipynb") == REPO / "notebooks" / "whatif.ipynb"
    assert resources.notebook("brief.ipynb").is_file()
    with pytest.raises(WhatifError, match="no bundled notebook 'nope.ipynb'"):
        resources.notebook("nope.ipynb")


def test_a_stale_install_without_the_data_package_says_so(monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    monkeypatch.setattr(resources, "DATA_PACKAGE", "whatif._no_such_data")
    with pytest.raises(WhatifError, match=r"whatif._no_such_data is missing .* reinstall"):
        resources.data_dir()


def test_bundled_scenarios_are_the_yaml_files_by_name(monkeypatch):
    monkeypatch.delenv(DATA_ENV, raising=False)
    bundled = resources.bundled_scenarios()
    assert list(bundled) == BUNDLED and "baseline" in BUNDLED
    assert all(bundled[name] == SCENARIOS / f"{name}.yaml" for name in BUNDLED)


def test_data_dir_override_is_absolute_and_must_exist(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mydata").mkdir()
    (tmp_path / "mydata" / "assumptions.csv").write_text("name\n")
    monkeypatch.setenv(DATA_ENV, "mydata")
    assert resources.data_dir() == tmp_path / "mydata"
    assert resources.bundled_scenarios() == {}  # no scenarios/ folder in it
    env = resources.kernel_environment({DATA_ENV: "mydata", "OTHER": "x"})
    assert env == {DATA_ENV: str(tmp_path / "mydata"), "OTHER": "x"}
    monkeypatch.setenv(DATA_ENV, "missing")
    with pytest.raises(WhatifError, match=f"{DATA_ENV}: 'missing' is not a folder"):
        resources.data_dir()
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv(DATA_ENV, "empty")
    with pytest.raises(WhatifError, match=f"{DATA_ENV}: 'empty' has no assumptions.csv"):
        resources.data_dir()


def test_user_dir_is_outside_the_package(monkeypatch, tmp_path):
    import platformdirs

    monkeypatch.delenv(USER_ENV, raising=False)
    default = resources.user_dir()
    assert default == platformdirs.user_data_path("whatif") / "scenarios"
    assert REPO not in default.parents and resources.data_dir() not in default.parents
    monkeypatch.setenv(USER_ENV, str(tmp_path / "saved"))
    assert resources.user_dir() == tmp_path / "saved"


# --- a scenario: a file or a bundled name -------------------------------------------------

@pytest.mark.parametrize("name", BUNDLED)
def test_a_bundled_name_is_its_file(name, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # no such file here
    assert scenario_path(name) == SCENARIOS / f"{name}.yaml"
    assert scenario_path(f"{name}.yaml") == SCENARIOS / f"{name}.yaml"


def test_an_existing_file_wins_over_a_bundled_name(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "baseline.yaml").write_text("title: mine\n", encoding="utf-8")
    assert scenario_path("baseline.yaml") == Path("baseline.yaml")
    assert Scenario.from_yaml(scenario_path("baseline.yaml")).title == "mine"
    assert scenario_path("baseline") == SCENARIOS / "baseline.yaml"  # no file "baseline"
    assert scenario_path(tmp_path) == tmp_path  # a folder: from_yaml names the problem


@pytest.mark.parametrize("text", ["nope", "baseline.yml", "scenarios/baseline", "x" * 5000,
                                  "a\0b"])
def test_neither_file_nor_name_lists_the_bundled_names(text, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as error:
        scenario_path(text)
    message = str(error.value)
    assert "no such scenario file or bundled scenario" in message and "\n" not in message
    assert f"(bundled: {', '.join(BUNDLED)}; see `whatif scenarios`)" in message


@pytest.mark.parametrize("argv", [["run", "nope", "--samples", "0"],
                                  ["solve", "nope", "--at-least", "0.5"],
                                  ["tornado", "nope"], ["explain", "nope"],
                                  ["calibrate", "nope"], ["app", "nope"],
                                  ["brief", "nope", "-o", "x.html"]])
def test_cli_unknown_name_is_one_line_exit_2(argv, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    rc, out, err = call_main(argv, capsys)
    assert (rc, out) == (2, "")
    assert err.count("\n") == 1 and err.startswith("whatif: error: nope: no such scenario")
    assert all(name in err for name in BUNDLED)
    assert not (tmp_path / "x.html").exists()


def test_cli_run_by_name_equals_run_by_path(capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    args = ["--samples", "300", "--seed", "4", "--json", "--set", "missiles=20"]
    rc, by_name, _ = call_main(["run", "kagan-25-30", *args], capsys)
    assert rc == 0
    rc, by_path, _ = call_main(["run", SCENARIOS / "kagan-25-30.yaml", *args], capsys)
    assert rc == 0 and json.loads(by_name) == json.loads(by_path)
    assert json.loads(by_name)["assumptions"]["missiles"] == 20


def test_cli_scenarios_lists_names_and_titles(capsys):
    titles = {name: Scenario.from_yaml(SCENARIOS / f"{name}.yaml").title for name in BUNDLED}
    rc, out, err = call_main(["scenarios"], capsys)
    assert (rc, err) == (0, "")
    width = max(map(len, BUNDLED))
    assert out.splitlines() == [f"{name:<{width}}  {titles[name]}" for name in BUNDLED]
    rc, out, _ = call_main(["scenarios", "--json"], capsys)
    assert rc == 0
    assert json.loads(out) == [{"name": name, "title": titles[name],
                                "path": str(SCENARIOS / f"{name}.yaml")} for name in BUNDLED]


# --- the app and its kernels -------------------------------------------------------------

def test_app_command_gets_absolute_paths(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "copy").mkdir()
    monkeypatch.setenv(DATA_ENV, "copy")
    monkeypatch.setattr(resources, "bundled_scenarios",
                        lambda: {"baseline": SCENARIOS / "baseline.yaml"})
    cmd, env = app_command("baseline", "127.0.0.1", 8866)
    assert cmd[1:4] == ["-m", "voila", str(REPO / "notebooks" / "whatif.ipynb")]
    assert env["WHATIF_SCENARIO"] == str(SCENARIOS / "baseline.yaml")
    assert env[DATA_ENV] == str(tmp_path / "copy")  # the kernel runs in another folder
    monkeypatch.delenv(DATA_ENV)
    cmd, env = app_command(None, "127.0.0.1", 8866)
    assert DATA_ENV not in env and "WHATIF_SCENARIO" not in env


def test_app_starts_on_a_bundled_name_and_saves_in_the_user_dir(monkeypatch, tmp_path):
    from whatif.ui import WhatifApp
    from whatif.views.scenarios import scenario_files

    monkeypatch.setenv("WHATIF_SCENARIO", "kagan-25-30")
    monkeypatch.setenv(USER_ENV, str(tmp_path / "saved"))
    app = WhatifApp.from_environment()
    assert app.scenario == Scenario.from_yaml(SCENARIOS / "kagan-25-30.yaml")
    assert app.save_dir == tmp_path / "saved"
    app.save_name.value = "my plan"
    assert app.save() == tmp_path / "saved" / "my-plan.yaml"
    assert scenario_files()["saved/my-plan.yaml"] == tmp_path / "saved" / "my-plan.yaml"
    assert scenario_files()["baseline.yaml"] == SCENARIOS / "baseline.yaml"


# --- $WHATIF_DATA_DIR reaches every command ------------------------------------------------

def _run(args: list[str], cwd: Path, data_dir: str, timeout: float = 600) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WHATIF_")}
    env[DATA_ENV] = data_dir
    proc = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_data_dir_override_reaches_params_run_scenarios_and_calibrate(tmp_path):
    modified_data_copy(tmp_path / "copy")
    script = (
        "import contextlib, io, json\n"
        "from whatif.cli import main\n"
        "out = {}\n"
        "for argv in (['params', '--json'], ['run', 'baseline', '--samples', '0', '--json'],\n"
        "             ['scenarios', '--json'], ['calibrate', '--json']):\n"
        "    buffer = io.StringIO()\n"
        "    with contextlib.redirect_stdout(buffer):\n"
        "        assert main(argv) == 0\n"
        "    out[argv[0]] = json.loads(buffer.getvalue())\n"
        "print(json.dumps(out))\n")
    out = json.loads(_run(["-c", script], tmp_path, "copy"))  # relative to the cwd
    missiles = next(row for row in out["params"] if row["name"] == "missiles")
    assert missiles["default"] == MODIFIED_MISSILES
    run = out["run"]
    assert run["title"] == MODIFIED_TITLE
    assert run["assumptions"]["missiles"] == MODIFIED_MISSILES
    expected = simulate(Scenario.from_yaml(SCENARIOS / "baseline.yaml").with_values(
        missiles=MODIFIED_MISSILES), samples=0).to_dict()["outputs"]
    # (the trend path is refitted to the copy's record: twice the launches fit the same
    # shape, so the outputs agree up to the fit's rounding)
    assert flat(run["outputs"]) == pytest.approx(flat(expected), rel=1e-9)
    bundled = simulate(Scenario.from_yaml(SCENARIOS / "baseline.yaml"), samples=0)
    assert (run["outputs"]["capacity_loss"]["mean"]
            > bundled.to_dict()["outputs"]["capacity_loss"]["mean"])
    titles = {row["name"]: row["title"] for row in out["scenarios"]}
    assert titles["baseline"] == MODIFIED_TITLE
    assert {row["path"] for row in out["scenarios"]} == {
        str(tmp_path / "copy" / "scenarios" / f"{name}.yaml") for name in BUNDLED}
    from whatif.calibrate import calibrate

    fitted, original = out["calibrate"]["production_now"], calibrate().production_now
    assert fitted["value"] == pytest.approx(2 * original.value, rel=1e-3)  # twice the launches
    assert out["calibrate"]["defeat_rate"]["value"] == pytest.approx(
        calibrate().defeat_rate.value, rel=1e-6)  # same shares


def test_data_dir_override_reaches_the_brief_kernel(tmp_path):
    modified_data_copy(tmp_path / "copy")
    _run(["-m", "whatif.cli", "brief", "baseline", "-o", "out.html", "--samples", "0"],
         tmp_path, "copy")
    html = (tmp_path / "out.html").read_text(encoding="utf-8")
    # computed in the papermill kernel, which runs in this folder with this environment
    assert f'<h1 class="brief-title">{MODIFIED_TITLE}</h1>' in html
    assert (f"<code>missiles</code></td><td>missiles</td><td>{MODIFIED_MISSILES}</td>"
            in html)


@pytest.mark.parametrize("problem", ["missing", "a-file", "empty"])
def test_a_bad_data_dir_is_one_line_and_exit_2_from_the_command(problem, tmp_path):
    """``import whatif`` reads no data, so the command itself reports a bad
    ``$WHATIF_DATA_DIR`` (before: a traceback raised while importing the package)."""
    target = tmp_path / problem
    if problem == "a-file":
        target.write_text("not a folder\n")
    elif problem == "empty":
        target.mkdir()  # a folder without assumptions.csv
    env = {**os.environ, DATA_ENV: str(target)}
    imported = subprocess.run([sys.executable, "-c", "import whatif; print(whatif.__version__)"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0 and imported.stdout.strip() == "0.1.0", imported.stderr
    proc = subprocess.run([sys.executable, "-m", "whatif", "run", "baseline", "--samples", "0"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("whatif: error: "), proc.stderr
    assert DATA_ENV in lines[0] or "assumptions" in lines[0]


def test_the_command_entry_point_is_the_guarded_main():
    import tomllib

    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {"whatif": "whatif.__main__:main"}
    from whatif.__main__ import main as guarded

    assert guarded(["scenarios", "--json"]) == 0
