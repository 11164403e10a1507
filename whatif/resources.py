"""Where whatif's data and notebooks live: the one module that knows.

The repository keeps one copy of each: ``data/`` (assumptions, scenarios, the launch
record, reference cases) and ``notebooks/``. The build maps them into the package as
``whatif._data`` and ``whatif._notebooks`` (``[tool.setuptools.package-dir]`` in
pyproject.toml), so a wheel carries them and an editable install reads the repository's
folders; both are found here with :mod:`importlib.resources`.

Environment
-----------
``WHATIF_DATA_DIR``
    A folder laid out like ``data/`` that replaces the bundled data for every command,
    including the notebooks that ``whatif app`` and ``whatif brief`` run in kernel
    subprocesses (:func:`kernel_environment` passes it on as an absolute path).
``WHATIF_USER_DIR``
    Where the app saves scenarios and exported briefs. Default: the user data folder
    (``~/.local/share/whatif/scenarios`` on Linux, ``~/Library/Application
    Support/whatif/scenarios`` on macOS, ``%LOCALAPPDATA%\\whatif\\scenarios`` on
    Windows), never the installed package, which may be read-only.

A scenario is given as a YAML file or as the name of a bundled scenario
(:func:`scenario_path`; ``whatif scenarios`` lists them).
"""

from __future__ import annotations

import atexit
import contextlib
import os
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from whatif.errors import ScenarioError, WhatifError, show, show_text

DATA_ENV = "WHATIF_DATA_DIR"
USER_ENV = "WHATIF_USER_DIR"
DATA_PACKAGE = "whatif._data"
NOTEBOOK_PACKAGE = "whatif._notebooks"
SCENARIO_SUFFIX = ".yaml"

# Files extracted by as_file (only when a resource is not a plain file, e.g. a zipped
# install) stay until the interpreter exits.
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def _on_disk(resource: Traversable) -> Path:
    """A real filesystem path for ``resource`` (wheels install as plain files: no copy)."""
    if isinstance(resource, Path):
        return resource
    return _extracted.enter_context(resources.as_file(resource))


def _package_files(package: str) -> Traversable:
    try:
        return resources.files(package)
    except ModuleNotFoundError:  # e.g. an editable install made before the mapping existed
        raise WhatifError(f"{package} is missing from this install of whatif: reinstall it "
                          "(`make venv`, or `pip install -e .` in the checkout)") from None


def data_dir() -> Path:
    """The data folder: ``$WHATIF_DATA_DIR`` (absolute) if set, else the bundled data."""
    override = os.environ.get(DATA_ENV)
    if override:
        folder = Path(override).expanduser().absolute()
        if not folder.is_dir():
            raise WhatifError(f"{DATA_ENV}: {show(override)} is not a folder")
        if not (folder / "assumptions.csv").is_file():
            raise WhatifError(f"{DATA_ENV}: {show(override)} has no assumptions.csv (copy "
                              "the bundled data folder and edit it)")
        return folder
    return _on_disk(_package_files(DATA_PACKAGE))


def data_file(*parts: str) -> Path:
    """A file of the data folder, e.g. ``data_file("historical", "uav_launches_monthly.csv")``."""
    return data_dir().joinpath(*parts)


def notebook(name: str) -> Path:
    """A bundled notebook (``whatif.ipynb``, ``brief.ipynb``, ...) as a real file path."""
    resource = _package_files(NOTEBOOK_PACKAGE) / name
    if not resource.is_file():
        raise WhatifError(f"no bundled notebook {name!r}")
    return _on_disk(resource)


def scenario_dir() -> Path:
    """The folder of the bundled scenarios (``scenarios/`` of the data folder)."""
    return data_dir() / "scenarios"


def bundled_scenarios() -> dict[str, Path]:
    """Bundled scenario files by name (the file name without ``.yaml``), sorted by name."""
    return {path.stem: path for path in sorted(scenario_dir().glob(f"*{SCENARIO_SUFFIX}"))}


def scenario_path(scenario: str | os.PathLike) -> Path:
    """The file of a scenario given as a path or as a bundled name (``baseline``).

    An existing file wins; otherwise a bundled name, with or without ``.yaml``. A name
    that is neither raises :class:`~whatif.errors.ScenarioError` listing the bundled names.
    """
    path = Path(scenario)
    if _exists(path, file=True):
        return path
    text = os.fspath(scenario)
    name = text[: -len(SCENARIO_SUFFIX)] if text.endswith(SCENARIO_SUFFIX) else text
    bundled = bundled_scenarios()
    if name in bundled:
        return bundled[name]
    if _exists(path) or _unreachable(path):  # a folder, a file's child...: the reader says
        return path
    names = ", ".join(bundled) or "none"
    raise ScenarioError(f"{show_text(text, 60)}: no such scenario file or bundled scenario "
                        f"(bundled: {names}; see `whatif scenarios`)")


def _exists(path: Path, file: bool = False) -> bool:
    try:
        return path.is_file() if file else path.exists()
    except (OSError, ValueError):  # a name too long, a NUL byte...
        return False


def _unreachable(path: Path) -> bool:
    """Whether ``path`` looks like a path (a folder in it, or a YAML suffix) and looking it
    up fails for a reason other than its absence (a file's child, a name too long, a NUL
    byte, no permission): the reader then names that reason."""
    text = os.fspath(path)
    if os.sep not in text and not text.endswith((".yaml", ".yml")):
        return False  # a bare name: the bundled names are the better answer
    try:
        os.stat(path)
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True
    return False


def user_dir() -> Path:
    """Where the app saves scenarios and briefs: ``$WHATIF_USER_DIR``, else the user data
    folder (see the module docstring). Not created here."""
    override = os.environ.get(USER_ENV)
    if override:
        return Path(override).expanduser().absolute()
    import platformdirs  # comes with the app extra

    return platformdirs.user_data_path("whatif") / "scenarios"


def kernel_environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a kernel subprocess (Voilà, papermill): ``base`` (default
    ``os.environ``) with ``$WHATIF_DATA_DIR`` made absolute, as kernels run in other folders."""
    env = dict(os.environ if base is None else base)
    if env.get(DATA_ENV):
        env[DATA_ENV] = str(Path(env[DATA_ENV]).expanduser().absolute())
    return env
