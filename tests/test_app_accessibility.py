"""The app used by keyboard and screen reader (issue 14): ``whatif app`` (Voilà) in headless
Chromium at 1366×768.

axe-core (:func:`accessibility.axe_violations`) finds no critical or serious violation on the
first screen, in every tab, with every section of the side panel open, and on the Plan tab
of a system of sites. Every control is named by its label and unit; a slider moves from the
keyboard and the headline follows; Tab goes through the page in its order; headings nest
h1 → h2 → h3; the side panel that scrolls is a named region reached by Tab; the side
panel's sections open from the keyboard. Most of this is ipywidgets' markup, fixed from our
side (the widgets' descriptions, the app's CSS and the Voilà template's script): see
docs/ACCESSIBILITY.md. No axe rule is excluded.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

from accessibility import axe_violations, describe  # noqa: E402
from playwright.sync_api import expect  # noqa: E402
from test_app_layout import (  # noqa: E402, F401
    FIRST_LOAD_MS,
    TABS,
    _show_tab,
    app_url,
    browser,
    open_app,
)

from whatif.outputs import OUTPUTS  # noqa: E402
from whatif.params import GROUPS, REGISTRY  # noqa: E402
from whatif.ui.working import WORKING_TITLE  # noqa: E402

CARD = "div.whatif-card[data-key=capacity_loss] .whatif-card-value"
SIDE_SECTIONS = [*GROUPS, "Uncertainty"]
REGISTRY_OUTPUT_LABEL = OUTPUTS["capacity_loss"].label


@pytest.fixture
def page(app_url, browser):  # noqa: F811
    context, page = open_app(browser, app_url, 1366, 768)
    yield page
    context.close()


def _open_section(page, name: str) -> None:
    """Open the side panel's section ``name`` (a click on its header)."""
    header = page.locator(".whatif-side .jupyter-widget-Collapse-header", has_text=name)
    if header.get_attribute("aria-expanded") != "true":
        header.click()
    expect(header).to_have_attribute("aria-expanded", "true")
    page.wait_for_timeout(300)


def test_axe_finds_no_critical_or_serious_violation(page):
    found = {}

    def audit(state: str) -> None:
        violations = axe_violations(page)
        print(f"{state}: {len(violations)} critical or serious")
        if violations:
            found[state] = describe(violations)

    audit("first screen")
    for tab in TABS[1:]:
        _show_tab(page, tab)
        audit(f"tab {tab!r}")
    for section in SIDE_SECTIONS[1:]:
        _open_section(page, section)
        audit(f"section {section!r}")
    # the Plan tab's tables of a system of sites (an input per site and salvo)
    page.locator(".widget-dropdown", has_text="Scenario").locator("select").select_option(
        label="system-two-lines.yaml")
    expect(page.locator(".whatif-status")).to_contain_text("Loaded system-two-lines.yaml")
    _show_tab(page, "Plan")
    expect(page.locator(".whatif-plan input[placeholder='name']")).to_have_count(3)
    audit("Plan tab, system of sites")
    assert found == {}


def _name(parameter) -> str:
    return f"{parameter.label} [{parameter.unit}]" if parameter.unit else parameter.label


def test_every_control_is_named_by_its_label_and_unit(page):
    for section in SIDE_SECTIONS:
        _open_section(page, section)
        for p in REGISTRY.values():
            if p.group != section:
                continue
            name = _name(p)
            roles = {"choice": ["combobox"], "stages": ["textbox"], "points": ["textbox"]}.get(
                p.kind, ["slider", "textbox"])
            for role in roles:
                expect(page.get_by_role(role, name=name, exact=True)).to_have_count(1)
    # the settings (the goal's threshold says its unit, which follows the goal)
    for role, name in [("combobox", "Samples"), ("spinbutton", "Seed"), ("combobox", "Goal"),
                       ("textbox", "at least [share]"), ("slider", "Confidence")]:
        expect(page.get_by_role(role, name=name, exact=True)).to_have_count(1)
    page.get_by_role("combobox", name="Goal", exact=True).select_option(label="Days national "
                                                                        "output is below 90% "
                                                                        "of baseline")
    expect(page.get_by_role("textbox", name="at least [days]", exact=True)).to_have_count(1)
    # the scenario bar's inputs
    for role, name in [("combobox", "Scenario"), ("textbox", "Name for the saved scenario"),
                       ("combobox", "Samples file format")]:
        expect(page.get_by_role(role, name=name, exact=True)).to_have_count(1)


def test_a_slider_moves_from_the_keyboard_and_the_headline_follows(page):
    from whatif.ui.app import WhatifApp, headline_text

    def expected(missiles: int) -> str:
        app = WhatifApp(immediate=True)
        app.set_value("missiles", missiles)
        return headline_text(app)["capacity_loss"]

    slider = page.get_by_role("slider", name="Missiles per salvo [missiles]", exact=True)
    box = page.get_by_role("textbox", name="Missiles per salvo [missiles]", exact=True)
    before = page.inner_text(CARD).strip()
    slider.focus()
    page.keyboard.press("ArrowRight")
    expect(slider).to_have_attribute("aria-valuenow", re.compile(r"^31(\.0)?$"))
    expect(box).to_have_value("31")
    expect(page.locator(CARD)).to_have_text(expected(31))
    page.keyboard.press("End")
    top = int(float(slider.get_attribute("aria-valuemax")))
    expect(box).to_have_value(str(top))
    expect(page.locator(CARD)).to_have_text(expected(top))
    assert page.inner_text(CARD).strip() != before


#: the focused element: its place in the page (document order) and where it is
FOCUSED_JS = """() => { const e = document.activeElement;
  const all = [...document.querySelectorAll('*')];
  return {index: all.indexOf(e), side: !!e.closest('.whatif-side'),
          main: !!e.closest('.whatif-main'), role: e.getAttribute('role') || e.tagName,
          name: e.getAttribute('aria-label') || (e.textContent || '').trim().slice(0, 40)}; }"""


def test_tab_goes_through_the_page_in_its_order(page):
    assert page.evaluate("() => [...document.querySelectorAll('[tabindex]')]"
                         ".filter(e => e.tabIndex > 0).length") == 0
    page.locator("body").focus()
    stops = []
    for _ in range(60):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED_JS))
        if stops[-1]["main"] and stops[-1]["role"] == "tab":
            break
    indices = [s["index"] for s in stops]
    assert indices == sorted(indices) and len(set(indices)) == len(indices), stops
    # the side panel (a named region), its controls, then the rest: its sections, the tabs
    assert stops[0]["role"] == "region" and stops[0]["side"]
    assert stops[1]["role"] in ("SELECT", "combobox") and stops[1]["side"]  # the scenario
    sides = [s["side"] for s in stops]
    assert sides == sorted(sides, reverse=True)  # never back to the side panel
    assert stops[-1]["main"] and stops[-1]["role"] == "tab", stops  # the tabs are reached
    assert any(s["role"] == "slider" for s in stops)  # the open section's sliders


def test_headings_nest(page):
    levels = page.evaluate("() => [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]"
                           ".map(h => Number(h.tagName[1]))")
    assert levels[0] == 1 and levels.count(1) == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, levels
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "whatif — how many missiles would it take, and what would it buy?")
    expect(page.get_by_role("heading", level=2)).to_have_text(
        "Baseline — public-figure defaults")


def test_side_panel_scrolls_from_the_keyboard(page):
    panel = page.get_by_role("region", name="Scenario, assumptions and settings")
    expect(panel).to_have_attribute("tabindex", "0")
    assert panel.evaluate("(el) => el.scrollHeight > el.clientHeight")
    page.locator("body").focus()
    page.keyboard.press("Tab")  # the first stop of the page
    assert panel.evaluate("(el) => el === document.activeElement")
    for _ in range(3):
        page.keyboard.press("PageDown")
    page.wait_for_function("() => document.querySelector('.whatif-side').scrollTop > 100")


def test_side_panel_sections_open_from_the_keyboard(page):
    header = page.get_by_role("button", name="Production", exact=True)
    expect(header).to_have_attribute("aria-expanded", "false")
    repair = page.get_by_role("slider", name=_name(REGISTRY["repair_days"]), exact=True)
    expect(repair).to_be_hidden()
    header.focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-expanded", "true")
    expect(repair).to_be_visible()
    strike = page.get_by_role("button", name="Strike", exact=True)
    expect(strike).to_have_attribute("aria-expanded", "false")  # one open at a time
    strike.focus()
    page.keyboard.press(" ")
    expect(strike).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("slider", name="Missiles per salvo [missiles]", exact=True)
           ).to_be_visible()


def test_the_working_opens_from_the_keyboard_and_ends_at_the_headline(page):
    """"Show the working" is one closed line under the headline strip; Enter opens it, and
    Enter on a figure's section shows its steps, whose last value is the figure on its card.
    axe-core finds nothing critical or serious with it open."""
    header = page.get_by_role("button", name=WORKING_TITLE, exact=True)
    expect(header).to_have_attribute("aria-expanded", "false")
    header.focus()
    page.keyboard.press("Enter")
    expect(header).to_have_attribute("aria-expanded", "true")
    section = page.locator(".whatif-working details[data-key=capacity_loss]")
    # the first working after a fresh checkout compiles the model's step-by-step run
    expect(section).to_be_visible(timeout=FIRST_LOAD_MS)
    card = page.locator(CARD).inner_text()
    summary = section.locator("summary")
    assert summary.inner_text() == f"{REGISTRY_OUTPUT_LABEL}: {card}"
    summary.focus()
    page.keyboard.press("Enter")
    last = section.locator("tbody tr").last
    expect(last).to_be_visible()
    assert card in last.inner_text()  # the chain's last step is the figure itself
    violations = axe_violations(page)
    assert violations == [], describe(violations)
