"""Every package the code imports is declared in pyproject.toml, and environment.yml lists
the same packages with the same lower bounds."""

from __future__ import annotations

import ast
import json
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
CODE = ("whatif", "tests", "benchmarks", "notebooks")
#: installed from PyPI by environment.yml's pip section (`-e .[test]`), not from conda
PIP_ONLY = {"playwright", "axe-playwright-python"}
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements() -> dict[str, str]:
    """Declared distributions (normalised name -> version specifier), all extras included."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = list(project["dependencies"])
    for extra in project["optional-dependencies"].values():
        lines += extra
    found = {}
    for line in lines:
        name, _, spec = _NAME.match(line).groups()
        if _normal(name) != "whatif":  # whatif[app] inside another extra
            found[_normal(name)] = spec.replace(" ", "")
    return found


def _sources(root: Path):
    for path in sorted(root.rglob("*.py")):
        yield path, path.read_text(encoding="utf-8")
    for path in sorted(root.rglob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                yield path, "".join(cell["source"])


def _imported() -> dict[str, set[str]]:
    """Top-level modules imported anywhere in the code (module -> files)."""
    local = {"whatif"} | {p.stem for folder in ("tests", "benchmarks")
                          for p in (REPO / folder).glob("*.py")}
    found: dict[str, set[str]] = {}
    for folder in CODE:
        for path, text in _sources(REPO / folder):
            for node in ast.walk(ast.parse(text)):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top not in sys.stdlib_module_names and top not in local:
                        found.setdefault(top, set()).add(str(path.relative_to(REPO)))
    return found


def test_every_imported_package_is_declared():
    declared = _requirements()
    owners = packages_distributions()
    missing = {}
    for module, files in _imported().items():
        distributions = {_normal(d) for d in owners.get(module, [module])}
        if not distributions & declared.keys():
            missing[module] = sorted(files)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
    assert {"nbformat", "ipython", "psutil", "platformdirs", "nbclient"} <= declared.keys()


def test_environment_yml_matches_pyproject():
    environment = yaml.safe_load((REPO / "environment.yml").read_text(encoding="utf-8"))
    conda = {}
    for item in environment["dependencies"]:
        if isinstance(item, str):
            name, _, spec = _NAME.match(item).groups()
            conda[_normal(name)] = spec.replace(" ", "")
    declared = _requirements()
    assert {name: declared[name] for name in declared.keys() - PIP_ONLY} == {
        name: conda[name] for name in declared.keys() - PIP_ONLY if name in conda}
    extra = conda.keys() - declared.keys() - {"python", "pip"}
    assert not extra, f"in environment.yml but not in pyproject.toml: {extra}"
