"""The working's markup in Chromium: each <details> opens from the keyboard, and axe-core
finds no critical or serious violation in the app panel's HTML or the brief's appendix."""

from __future__ import annotations

from html import escape
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

from accessibility import axe_violations, describe  # noqa: E402

from whatif.brief import page as brief_page  # noqa: E402
from whatif.engine import simulate  # noqa: E402
from whatif.resources import scenario_path  # noqa: E402
from whatif.scenario import Scenario  # noqa: E402
from whatif.views.working import WORKING_STYLE, brief_appendix, working_html  # noqa: E402
from whatif.working import HEADLINE, working  # noqa: E402


@pytest.fixture(scope="module")
def browser():
    import app_server as server

    yield from server.chromium()


@pytest.fixture(scope="module")
def run():
    scenario = Scenario.from_yaml(scenario_path("system-two-lines"))
    return working(scenario, samples=300), simulate(scenario, samples=300, seed=0, series=True)


def test_panel_opens_by_keyboard_and_passes_axe(browser, run):
    work, result = run
    page = browser.new_page(viewport={"width": 1366, "height": 768})
    page.set_content("<!DOCTYPE html><html lang='en'><head><title>working</title></head><body>"
                     "<main><h1>whatif</h1>" + WORKING_STYLE + working_html(work, result)
                     + "</main></body></html>")
    details = page.locator("details.whatif-working-chain")
    assert details.count() == len(HEADLINE)
    first = details.nth(0)
    assert not first.evaluate("d => d.open")
    assert not first.locator("table").is_visible()
    page.keyboard.press("Tab")  # the first summary takes the focus, Enter opens it
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    page.keyboard.press("Enter")
    assert first.evaluate("d => d.open") and first.locator("table").is_visible()
    page.keyboard.press("Tab")
    page.keyboard.press(" ")  # the second by the space bar
    assert details.nth(1).evaluate("d => d.open")
    for i in range(details.count()):  # audit the steps too, every section open
        details.nth(i).evaluate("d => { d.open = true; }")
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.close()


def test_brief_appendix_passes_axe(browser, run):
    _, result = run
    page = browser.new_page()
    page.set_content(brief_page("<h1>" + escape(result.scenario.title) + "</h1>"
                                + brief_appendix(result), result.scenario.title))
    assert page.locator("h2").inner_text() == "Appendix: the working"
    assert page.locator("h3").count() == len(HEADLINE)
    assert axe_violations(page) == [], describe(axe_violations(page))
    page.close()
