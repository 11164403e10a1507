"""Scenario files in the app: which are offered, saving one, exporting the brief, the
samples of the run on screen as a file, and the side-by-side table of two scenarios (the
"Compare scenarios" tab) and its export.

Downloads are data: links (:func:`download_html`): the file travels to the page inside
the link, with no server round trip, so its size is bounded (:data:`MAX_DOWNLOAD_CELLS`).
"""

from __future__ import annotations

import base64
import re
from html import escape
from pathlib import Path

import pandas as pd

from whatif.engine import SimulationResult, SolveResult
from whatif.errors import WhatifError
from whatif.exports import FORMATS, column_info, samples_bytes, table_bytes
from whatif.outputs import OUTPUTS, STATS
from whatif.resources import bundled_scenarios, user_dir
from whatif.scenario import Scenario
from whatif.views.headline import Figure, headline_figures

#: the pickers' first choice: the settings on screen
CURRENT = "(current settings)"
#: the formats the app's downloads offer: label → extension (see whatif.exports.FORMATS)
DOWNLOAD_FORMATS = {"CSV": ".csv", "Excel": ".xlsx"}
#: the largest samples table the app offers as a download, in cells (rows × columns): the
#: app's largest run (10,000 samples × about 45 columns) fits, a CSV of about 6 MB; larger
#: tables: ``whatif run SCENARIO --samples-out FILE``
MAX_DOWNLOAD_CELLS = 1_000_000


def scenario_files(save_dir: Path | None = None) -> dict[str, Path]:
    """Scenario files offered in the app: the bundled ones and those saved in ``save_dir``
    (default :func:`whatif.resources.user_dir`)."""
    files = {p.name: p for p in bundled_scenarios().values()}
    saved = Path(save_dir) if save_dir is not None else user_dir()
    files.update({f"saved/{p.name}": p for p in sorted(saved.glob("*.yaml"))})
    return files


def picker_options(save_dir: Path | None = None) -> list[str]:
    """The scenario pickers' choices: the current settings, then every file offered."""
    return [CURRENT, *scenario_files(save_dir)]


def slug(text: str, fallback: str) -> str:
    """A file name stem from ``text``: letters, digits, ``_`` and ``-``, lower case, at most
    80 characters (file systems refuse long names).

    >>> slug("Baseline — public-figure defaults", "scenario")
    'baseline-public-figure-defaults'
    >>> slug("???", "brief")
    'brief'
    """
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text)[:80].strip("-").lower() or fallback


def download_html(filename: str, text: str | bytes, mime: str) -> str:
    """A link that downloads ``text`` (UTF-8 encoded) or ``bytes`` as ``filename`` (a
    data: URL, no server round trip)."""
    data = base64.b64encode(text.encode("utf-8") if isinstance(text, str) else text
                            ).decode("ascii")
    return (f'<a download="{escape(filename)}" href="data:{mime};base64,{data}">'
            f"Download {escape(filename)}</a>")


def save_scenario(scenario: Scenario, name: str, save_dir: Path) -> tuple[Path, str]:
    """Write ``scenario`` titled ``name`` (its own title if blank) as YAML in ``save_dir``.

    Returns the path written and the YAML text.
    """
    title = name.strip() or scenario.title
    text = scenario.with_text(title=title).to_yaml()
    save_dir.mkdir(parents=True, exist_ok=True)
    path = save_dir / f"{slug(title, 'scenario')}.yaml"
    path.write_text(text, encoding="utf-8")
    return path, text


def export_brief(scenario: Scenario, samples: int, seed: int, save_dir: Path) -> tuple[Path, str]:
    """Write the HTML brief of ``scenario`` in ``save_dir``; returns the path and the HTML."""
    from whatif.brief import brief_html

    html = brief_html(scenario, samples=samples, seed=seed)
    save_dir.mkdir(parents=True, exist_ok=True)
    path = save_dir / f"{slug(scenario.title, 'brief')}.html"
    path.write_text(html, encoding="utf-8")
    return path, html


def picked_scenario(choice: str, current: Scenario, save_dir: Path) -> tuple[str, Scenario]:
    """A picker's choice as (label, scenario): the current settings or a file's.

    Raises :class:`~whatif.errors.WhatifError` if the file cannot be read.
    """
    if choice == CURRENT:
        return "current", current
    return choice, Scenario.from_yaml(scenario_files(save_dir)[choice])


def compare_table_html(a: Scenario, b: Scenario, figures_a: list[Figure],
                       figures_b: list[Figure]) -> str:
    """The headline figures of scenarios ``a`` and ``b`` side by side (titles escaped)."""
    rows = "".join(
        f"<tr><td>{fa.label}</td><td><b>{fa.value}</b><br><small>{fa.spread}</small></td>"
        f"<td><b>{fb.value}</b><br><small>{fb.spread}</small></td></tr>"
        for fa, fb in zip(figures_a, figures_b, strict=True)
    )
    return ("<table class='whatif-compare' style='border-collapse:collapse'>"
            f"<tr><th>Figure</th><th>A: {escape(a.title)}</th><th>B: {escape(b.title)}</th></tr>"
            f"{rows}</table>")


def size_text(size: int) -> str:
    """A file's size [bytes] as people read it.

    >>> size_text(950), size_text(81_234), size_text(8_400_000)
    ('950 bytes', '81 kB', '8.4 MB')
    """
    if size < 1000:
        return f"{size} bytes"
    if size < 1_000_000:
        return f"{size / 1e3:.0f} kB"
    return f"{size / 1e6:.1f} MB"


def samples_download(result: SimulationResult, suffix: str = ".csv") -> tuple[str, bytes, str]:
    """The samples of the run on screen as a file (:func:`whatif.exports.samples_table`):
    ``(file name, bytes, MIME type)``, in the format of ``suffix`` (.csv or .xlsx).

    Raises :class:`~whatif.errors.WhatifError` for a table above :data:`MAX_DOWNLOAD_CELLS`.
    """
    rows = len(result.outputs)
    columns = len(column_info(result.scenario))
    if rows * columns > MAX_DOWNLOAD_CELLS:
        raise WhatifError(f"samples: {rows:,} rows × {columns} columns are more than the app "
                          f"offers as a download ({MAX_DOWNLOAD_CELLS:,} values); use `whatif "
                          "run SCENARIO --samples N --samples-out FILE`")
    name = f"{slug(result.scenario.title, 'run')}-samples{suffix}"
    return name, samples_bytes(result, suffix), FORMATS[suffix][1]


def compare_table(a: Scenario, b: Scenario,
                  runs: list[tuple[SimulationResult, SolveResult | None]]) -> pd.DataFrame:
    """The Compare tab's table as data: one row per headline figure, as
    :func:`compare_table_html` shows them.

    Columns: ``output`` (its key), ``figure`` (its label), ``unit``; ``A: <title>`` and
    ``B: <title>`` (the P50 as shown) with ``A P10–P90`` and ``B P10–P90`` (the spread as
    shown); then the numbers in the unit: ``A mean``, ``A p10``, ``A p50``, ``A p90`` and
    the same for B. The missiles row has its number as the P50 (empty if no salvo up to the
    solver's largest reaches the goal).
    """
    figures = [headline_figures(result, solve) for result, solve in runs]
    rows = []
    for fa, fb in zip(*figures, strict=True):
        row = {"output": fa.key, "figure": fa.label,
               "unit": OUTPUTS[fa.key].unit if fa.key in OUTPUTS else "missiles",
               f"A: {a.title}": fa.value, "A P10–P90": fa.spread,
               f"B: {b.title}": fb.value, "B P10–P90": fb.spread}
        for side, (result, solve) in zip("AB", runs, strict=True):
            numbers = _figure_numbers(fa.key, result, solve)  # (B's figures have A's keys)
            row.update({f"{side} {stat}": value for stat, value in numbers.items()})
        rows.append(row)
    return pd.DataFrame(rows)


def _figure_numbers(key: str, result: SimulationResult,
                    solve: SolveResult | None) -> dict[str, float]:
    """A headline figure's mean, P10, P50 and P90 in its unit (the missiles: P50 only)."""
    if key in OUTPUTS:
        return {stat: float(result.summary.loc[key, stat]) for stat in STATS}
    if solve is None:  # a plan: the missiles it fires
        missiles = float(sum(salvo.total for salvo in result.scenario.plan))
    else:
        missiles = float("nan") if solve.missiles_needed is None else solve.missiles_needed
    return {"mean": float("nan"), "p10": float("nan"), "p50": missiles, "p90": float("nan")}


def compare_download(a: Scenario, b: Scenario, table: pd.DataFrame,
                     suffix: str = ".csv") -> tuple[str, bytes, str]:
    """The Compare tab's :func:`compare_table` as a file: ``(file name, bytes, MIME type)``."""
    name = (f"compare-{slug(a.title, 'a')[:38]}-vs-{slug(b.title, 'b')[:38]}{suffix}")
    data = table_bytes(table, suffix, about={"A": a.title, "B": b.title}, sheet="compare")
    return name, data, FORMATS[suffix][1]
