"""The import rules of docs/ARCHITECTURE.md, checked on the source (ast): each module
imports only from its own layer or the layers below; the model imports nothing from
whatif outside whatif.model; only whatif.ui imports ipywidgets or bqplot, and only the
static-figure modules matplotlib; nothing in whatif imports the tests or benchmarks."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "whatif"
DOC = ROOT / "docs" / "ARCHITECTURE.md"

#: the layers, lowest first, as in docs/ARCHITECTURE.md (a name ending in "." is a package)
LAYERS = {
    "model": ("whatif.model.",),
    "base": ("whatif.errors", "whatif.formatting", "whatif.resources",
             "whatif.inputs"),
    "inputs": ("whatif.params", "whatif.sampling", "whatif.scenario", "whatif.sites",
               "whatif.plans"),
    "analysis": ("whatif", "whatif.engine", "whatif.outputs", "whatif.sensitivity",
                 "whatif.calibrate", "whatif.record", "whatif.backtest", "whatif.optimise",
                 "whatif.discover", "whatif.explore", "whatif.working"),
    "presentation": ("whatif.presentation", "whatif.figures"),
    "front ends": ("whatif.views.", "whatif.brief", "whatif.cli", "whatif.reference",
                   "whatif.launch", "whatif.__main__", "whatif.exports", "whatif.interactive"),
    "ui": ("whatif.ui.",),
}
WIDGETS = {"ipywidgets", "bqplot", "bqscales", "traitlets", "IPython", "voila"}
STATIC_FIGURES = {"matplotlib"}
TEST_CODE = {"tests", "conftest", "app_server", "benchmarks", "numpy_reference", "pytest",
             "hypothesis", "playwright"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> int:
    """Index of the layer ``module`` belongs to (KeyError if none)."""
    for index, names in enumerate(LAYERS.values()):
        for name in names:
            if module == name or (name.endswith(".") and (module + ".").startswith(name)):
                return index
    raise KeyError(module)


def resolve(name: str) -> str:
    """The whatif module or package a dotted import name refers to (its longest prefix
    that is a file or a package: ``whatif.engine.simulate`` → ``whatif.engine``)."""
    parts = name.split(".")
    while len(parts) > 1:
        path = ROOT.joinpath(*parts)
        if path.with_suffix(".py").exists() or (path / "__init__.py").exists():
            break
        parts.pop()
    return ".".join(parts)


def imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module ``source`` imports, at the top or inside functions (absolute names;
    whatif names resolved to their module: ``from whatif import presentation`` imports
    ``whatif.presentation``)."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from the module's package
                base = module.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module
            found.update(f"{prefix}.{alias.name}" for alias in node.names)
    return {resolve(name) if name.startswith("whatif") else name for name in found}


def violations(module: str, imported: set[str]) -> list[str]:
    """The import rules ``module`` breaks by importing ``imported``."""
    problems = []
    own = layer_of(module)
    layer_names = list(LAYERS)
    for name in sorted(imported):
        top = name.split(".")[0]
        if top == "whatif":
            if module.startswith("whatif.model") and not name.startswith("whatif.model"):
                problems.append(f"{module} (model) imports {name}")
                continue
            try:
                other = layer_of(name)
            except KeyError:
                problems.append(f"{module} imports {name}, which is in no layer")
                continue
            if other > own:
                problems.append(f"{module} ({layer_names[own]}) imports {name} "
                                f"({layer_names[other]}, a higher layer)")
        elif top in WIDGETS and not module.startswith("whatif.ui"):
            problems.append(f"{module} imports {name}: only whatif.ui may import widgets")
        elif top in STATIC_FIGURES and layer_names[own] != "presentation":
            problems.append(f"{module} imports {name}: only whatif.presentation and "
                            "whatif.figures draw static figures")
        elif top in TEST_CODE:
            problems.append(f"{module} imports {name}: test code")
    return problems


SOURCES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_module_keeps_the_import_rules(path):
    module = module_name(path)
    imported = imports(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
    assert violations(module, imported) == []


def test_every_module_is_in_a_layer_and_in_the_document():
    doc = DOC.read_text(encoding="utf-8")
    for path in SOURCES:
        module = module_name(path)
        layer_of(module)  # KeyError: a new module must be placed in a layer
        if path.name != "__init__.py" and not path.name.startswith("_"):
            assert f"`{path.relative_to(ROOT).as_posix()}`" in doc or (
                f"`{path.parent.relative_to(ROOT).as_posix()}/`" in doc), module


def test_the_rules_catch_violations():
    def check(module, source):
        return violations(module, imports(source, module))

    assert check("whatif.model.strike", "from whatif.errors import WhatifError")
    assert check("whatif.model.strike", "from whatif.model.rng import sub_key") == []
    assert check("whatif.presentation", "def f():\n    import ipywidgets") != []
    assert check("whatif.views.run", "import bqplot as bq") != []
    assert check("whatif.ui.charts", "import bqplot as bq") == []
    assert check("whatif.engine", "from whatif import presentation") != []  # upwards
    assert check("whatif.engine", "from whatif.ui.app import WhatifApp") != []
    assert check("whatif.presentation", "from whatif.views.run import run") != []
    assert check("whatif.views.run", "from whatif.presentation import STRIKE") == []
    assert check("whatif.brief", "import matplotlib") != []
    assert check("whatif.cli", "from app_server import start") != []
    assert check("whatif.cli", "from tests.conftest import ROW") != []
    assert check("whatif.ui.app", "from .charts import ChartsPanel") == []
    assert check("whatif.views.run", "from ..ui import app") != []
