"""The wheel: built from the repository, installed with its ``app`` extra in a fresh virtual
environment (no system or development site-packages), and run from a folder outside the
repository. Checks that the data and notebooks travel inside the package
(``whatif._data``, ``whatif._notebooks``) and that ``$WHATIF_DATA_DIR`` still overrides them.

Slow (a few minutes: the install is most of it, from pip's cache); deselect locally with
``-m "not slow"``. It runs by default, and in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from html import escape
from pathlib import Path

import pytest
from test_resources import MODIFIED_MISSILES, MODIFIED_TITLE, flat, modified_data_copy

from whatif.cli import main
from whatif.engine import simulate
from whatif.formatting import format_value
from whatif.outputs import OUTPUTS
from whatif.scenario import Scenario

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "data" / "scenarios"
BUNDLED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))
DATA_FILES = ["assumptions.csv", "reference_cases.yaml", "historical/uav_launches_monthly.csv",
              "historical/production_estimates.csv", "historical/README.md",
              *(f"scenarios/{name}.yaml" for name in BUNDLED)]
SOURCES = ("pyproject.toml", "README.md", "whatif", "data", "notebooks")
RUN = ["--samples", "2000", "--seed", "3", "--json"]
BRIEF_SECTIONS = ("Bottom line", "Headline figures", "Charts", "What drives the spread",
                  "The record beside the model", "Assumptions", "Reproduce")


def _check(cmd: list, cwd: Path, env: dict | None = None, timeout: float = 900) -> str:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the sources (no stale build/ of the checkout)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc", "user",
                                    ".ipynb_checkpoints")
    for name in SOURCES:
        item = REPO / name
        if item.is_dir():
            shutil.copytree(item, source / name, ignore=ignore)
        else:
            shutil.copy2(item, source / name)
    _check([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", root / "dist", source],
           root)
    (built,) = (root / "dist").glob("whatif-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """A fresh venv with ``whatif[app]`` from the wheel; the commands' folder and environment."""
    root = tmp_path_factory.mktemp("installed")
    venv = root / "venv"
    _check([sys.executable, "-m", "venv", venv], root)
    python = venv / "bin" / "python"
    _check([python, "-m", "pip", "install", "--no-compile", f"{wheel}[app]"], root,
           timeout=1800)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WHATIF_", "PYTHON", "VIRTUAL_ENV", "JUPYTER"))}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               WHATIF_CACHE_DIR=str(root / "numba-cache"),
               JUPYTER_DATA_DIR=str(root / "jupyter"))  # no user kernelspec overrides ours
    elsewhere = root / "elsewhere"
    elsewhere.mkdir()
    return {"whatif": venv / "bin" / "whatif", "python": python, "cwd": elsewhere, "env": env,
            "venv": venv}


def test_wheel_holds_the_data_and_notebooks(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for name in DATA_FILES:
            assert archive.read(f"whatif/_data/{name}") == (REPO / "data" / name).read_bytes()
        for name in NOTEBOOKS:
            assert archive.read(f"whatif/_notebooks/{name}") == (
                REPO / "notebooks" / name).read_bytes()
    assert not [n for n in names if "/user/" in n or n.startswith(("data/", "notebooks/"))]
    assert "whatif/resources.py" in names


def test_installed_package_reads_its_own_data(installed):
    where = _check([installed["python"], "-c",
                    "import whatif.resources as r; from whatif.cli import app_command; "
                    "print(r.data_dir()); print(r.notebook('brief.ipynb')); "
                    "print(app_command('baseline', '127.0.0.1', 8866)[1]['WHATIF_SCENARIO'])"],
                   installed["cwd"], installed["env"])
    site = installed["venv"].resolve()
    data, notebook, scenario = (Path(line).resolve() for line in where.splitlines())
    assert site in data.parents and data.name == "_data" and data.parent.name == "whatif"
    assert site in notebook.parents and notebook.parent.name == "_notebooks"
    assert scenario == data / "scenarios" / "baseline.yaml"


def test_installed_params_and_scenarios(installed):
    from whatif.params import REGISTRY

    params = _check([installed["whatif"], "params"], installed["cwd"], installed["env"])
    assert [line.split()[0] for line in params.splitlines()
            if line and not line.startswith((" ", "=="))] == list(REGISTRY)
    listing = _check([installed["whatif"], "scenarios"], installed["cwd"], installed["env"])
    titles = {name: Scenario.from_yaml(SCENARIOS / f"{name}.yaml").title for name in BUNDLED}
    assert [line.split(None, 1) for line in listing.splitlines()] == [
        [name, titles[name]] for name in BUNDLED]


def test_installed_run_equals_the_development_install(installed, capsys):
    wheel_run = json.loads(_check([installed["whatif"], "run", "baseline", *RUN],
                                  installed["cwd"], installed["env"]))
    assert main(["run", str(SCENARIOS / "baseline.yaml"), *RUN]) == 0
    dev_run = json.loads(capsys.readouterr().out)
    assert {k: wheel_run[k] for k in ("title", "samples", "seed", "assumptions")} == {
        k: dev_run[k] for k in ("title", "samples", "seed", "assumptions")}
    assert flat(wheel_run["outputs"]) == pytest.approx(flat(dev_run["outputs"]), rel=1e-9)
    assert 0.5 < wheel_run["outputs"]["capacity_loss"]["p50"] <= 1.0


def test_installed_brief(installed):
    out = installed["cwd"] / "brief.html"
    _check([installed["whatif"], "brief", "baseline", "-o", out.name, "--samples", "1000"],
           installed["cwd"], installed["env"])
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "<script" not in html.lower()
    title = Scenario.from_yaml(SCENARIOS / "baseline.yaml").title
    assert f'<h1 class="brief-title">{title}</h1>' in html
    positions = [html.find(f"<h2>{section}") for section in BRIEF_SECTIONS]
    assert -1 not in positions and positions == sorted(positions), positions
    assert "1,000 Monte Carlo samples, seed 0" in html and "<svg" in html
    # the headline table holds the development install's numbers for the same samples, seed
    dev = simulate(Scenario.from_yaml(SCENARIOS / "baseline.yaml"), samples=1000, seed=0)
    for name, row in dev.summary.iterrows():
        cells = "".join(f"<td>{escape(format_value(row[k], OUTPUTS[name].unit))}</td>"
                        for k in ("p10", "p50", "p90", "mean"))
        assert f"<th>{escape(OUTPUTS[name].label)}</th>{cells}" in html, name


def test_installed_data_dir_override(installed, tmp_path):
    modified_data_copy(tmp_path / "copy")
    env = {**installed["env"], "WHATIF_DATA_DIR": str(tmp_path / "copy")}
    run = json.loads(_check([installed["whatif"], "run", "baseline", "--samples", "0", "--json"],
                            installed["cwd"], env))
    assert run["title"] == MODIFIED_TITLE
    assert run["assumptions"]["missiles"] == MODIFIED_MISSILES
    expected = simulate(Scenario.from_yaml(SCENARIOS / "baseline.yaml").with_values(
        missiles=MODIFIED_MISSILES), samples=0).to_dict()["outputs"]
    bundled = simulate(Scenario.from_yaml(SCENARIOS / "baseline.yaml"), samples=0)
    assert flat(run["outputs"]) == pytest.approx(flat(expected), rel=1e-9)
    assert (run["outputs"]["capacity_loss"]["mean"]
            > bundled.to_dict()["outputs"]["capacity_loss"]["mean"])
