"""Both briefs audited as a keyboard or screen-reader user meets them: axe-core
(``tests/accessibility.py``) finds no violation of any impact on the static brief (``whatif
brief baseline -o x.html``) or the interactive brief (``--interactive``); the page has a
language, one h1 and headings nested h1 → h2 → h3; every chart is named; the interactive
brief's controls are named with their label and unit and reached by Tab in page order.

Before issue 14 both briefs had 0 critical or serious violations, but the static one broke
three lesser rules (landmark-one-main, region: 24 nodes; empty-table-header: 2 nodes) and
the interactive one two (landmark-one-main, region: 12 nodes)."""

from __future__ import annotations

from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

from accessibility import axe_violations, describe  # noqa: E402

from whatif import interactive  # noqa: E402
from whatif.brief import render  # noqa: E402
from whatif.scenario import Scenario  # noqa: E402

EVERY_IMPACT = ("critical", "serious", "moderate", "minor")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The static brief of the baseline (as `whatif brief baseline -o x.html` writes it, at
    fewer samples) and a small interactive brief of it (the default controls at 3 levels)."""
    folder = tmp_path_factory.mktemp("briefs")
    static = render("baseline", folder / "static.html", samples=1000, seed=0)
    grid = interactive.plan_grid(Scenario.default(), None, 3, 200, 0, 40)
    html, _ = interactive.interactive_html(grid, "baseline")
    live = folder / "interactive.html"
    live.write_text(html, encoding="utf-8")
    return {"static": static, "interactive": live, "grid": grid}


@pytest.fixture(scope="module")
def browser():
    import app_server as server

    yield from server.chromium()


def open_offline(browser, path: Path):
    """``path`` in a 1366×768 offline tab (every request but the file refused)."""
    context = browser.new_context(offline=True, viewport={"width": 1366, "height": 768})
    context.route("**/*", lambda r: r.continue_() if r.request.url == path.as_uri()
                  else r.abort())
    page = context.new_page()
    page.goto(path.as_uri())
    if path.name == "interactive.html":
        page.wait_for_selector("body[data-ready=yes]", timeout=30_000)
    return context, page


@pytest.mark.parametrize("kind", ["static", "interactive"])
def test_axe_finds_no_violation(files, browser, kind):
    context, page = open_offline(browser, files[kind])
    try:
        blocking = axe_violations(page)
        assert blocking == [], describe(blocking)  # the bar: 0 critical or serious
        every = axe_violations(page, impacts=EVERY_IMPACT)
        assert every == [], describe(every)  # and nothing lesser either
    finally:
        context.close()


HEADINGS = ("Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6'))"
            ".map(h => [Number(h.tagName[1]), h.textContent.trim()])")


@pytest.mark.parametrize("kind", ["static", "interactive"])
def test_language_headings_and_tab_order(files, browser, kind):
    context, page = open_offline(browser, files[kind])
    try:
        assert page.evaluate("document.documentElement.lang") == "en"
        assert page.locator("main").count() == 1
        headings = page.evaluate(HEADINGS)
        levels = [level for level, _ in headings]
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), headings
        assert all(text for _, text in headings)
        # focus follows the page: nothing jumps the queue with a positive tabindex
        assert page.locator("[tabindex]:not([tabindex='0']):not([tabindex='-1'])").count() == 0
    finally:
        context.close()


def test_static_charts_and_tables_are_named(files, browser):
    context, page = open_offline(browser, files["static"])
    try:
        charts = page.locator("figure.brief-chart svg")
        assert charts.count() >= 9
        for role, label in charts.evaluate_all(
                "s => s.map(x => [x.getAttribute('role'), x.getAttribute('aria-label')])"):
            assert role == "img" and " axis: " in label and "[" in label  # units named
        # every table's first row is headers, none empty
        heads = page.evaluate("Array.from(document.querySelectorAll('table')).map(t => "
                              "Array.from(t.rows[0].cells).map(c => [c.tagName, "
                              "c.textContent.trim()]))")
        assert heads and all(tag == "TH" and text for row in heads for tag, text in row)
    finally:
        context.close()


def test_interactive_controls_named_with_unit_in_tab_order(files, browser):
    grid = files["grid"]
    context, page = open_offline(browser, files["interactive"])
    try:
        names = [c.input_label for c in grid.controls] + [grid.salvo.input_label]
        assert all(name.endswith("]") for name in names)  # label [unit]
        for control in grid.controls:
            assert page.get_by_role("combobox", name=control.input_label).count() == 1
        assert page.get_by_role("slider", name=grid.salvo.input_label).count() == 1
        # Tab from the top reaches the controls in the order they are on the page
        reached = []
        for _ in range(12):
            page.keyboard.press("Tab")
            name = page.evaluate("document.activeElement.name || ''")
            if name and name not in reached:
                reached.append(name)
        assert reached[:len(names)] == [f"c{i}" for i in range(len(grid.controls))] + ["salvo"]
        # the salvo size moves by keyboard, one step of the grid a key
        slider = page.get_by_role("slider", name=grid.salvo.input_label)
        before = float(slider.input_value())
        assert before > grid.salvo.levels[0]
        slider.focus()
        page.keyboard.press("ArrowLeft")
        assert float(slider.input_value()) == before - grid.salvo.levels[0]
    finally:
        context.close()
