"""Scenario files in the app: which are offered, saving one, exporting the brief, and
the side-by-side table of two scenarios (the "Compare scenarios" tab)."""

from __future__ import annotations

import base64
import re
from html import escape
from pathlib import Path

from whatif.resources import bundled_scenarios, user_dir
from whatif.scenario import Scenario
from whatif.views.headline import Figure

#: the pickers' first choice: the settings on screen
CURRENT = "(current settings)"


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


def download_html(filename: str, text: str, mime: str) -> str:
    """A link that downloads ``text`` as ``filename`` (a data: URL, no server round trip)."""
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
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
            f"<tr><th></th><th>A: {escape(a.title)}</th><th>B: {escape(b.title)}</th></tr>"
            f"{rows}</table>")
