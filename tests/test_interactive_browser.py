"""The interactive brief as a reader sees it: opened from disk in headless Chromium with the
network blocked (an offline context, and every request recorded), its charts drawn under
its own Content-Security-Policy, each control moving the headline figure, the table and a
chart to the precomputed values, and the scenario's text inert."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

from chart_layout import VEGA_BOXES, chart_problems  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from whatif import interactive  # noqa: E402
from whatif import presentation as look  # noqa: E402
from whatif.interactive import plan_grid, quantize  # noqa: E402
from whatif.outputs import OUTPUTS  # noqa: E402
from whatif.scenario import Scenario  # noqa: E402

LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
XSS = "</script><script>alert(1)</script>"
KEY = list(OUTPUTS).index("drones_denied")


@pytest.fixture(scope="module")
def brief(tmp_path_factory):
    """A small interactive brief of a scenario whose title, note and stage names are
    scripts; two live assumptions at 3 levels and the salvo size."""
    scenario = Scenario.from_dict({
        "title": f"{XSS} Kagan", "note": "<b>bold?</b>",
        "assumptions": {"missiles": {"low": 25, "high": 30, "dist": "uniform"},
                        "stages": [{"name": XSS, "aimpoints": 8},
                                   {"name": "engines", "aimpoints": 4},
                                   {"name": "final_assembly", "aimpoints": 8}]},
    })
    grid = plan_grid(scenario, ["repair_days", "aimpoint_kill_probability"], 3, 200, 1, 50)
    html, answers = interactive.interactive_html(grid, "xss.yaml")
    path = tmp_path_factory.mktemp("interactive") / "brief.html"
    path.write_text(html, encoding="utf-8")
    return path, grid, answers


@pytest.fixture
def page(brief):
    """The brief opened offline; ``page.requests``, ``.dialogs``, ``.problems`` (console
    errors, page errors and CSP violations) recorded."""
    path = brief[0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(offline=True, viewport={"width": 1280, "height": 1200})
        tab = context.new_page()
        tab.requests, tab.dialogs, tab.problems = [], [], []
        tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
        tab.on("console", lambda m: m.type == "error" and tab.problems.append(m.text))
        tab.on("pageerror", lambda e: tab.problems.append(str(e)))

        def route(r):
            tab.requests.append(r.request.url)
            r.continue_() if r.request.url == path.as_uri() else r.abort()

        context.route("**/*", route)
        tab.add_init_script("document.addEventListener('securitypolicyviolation', e => "
                            "console.error('CSP violation: ' + e.violatedDirective))")
        tab.goto(path.as_uri())
        tab.wait_for_selector("body[data-ready=yes]", timeout=30_000)
        yield tab
        browser.close()


def aria(page, pattern: str) -> list[str]:
    """The aria-labels of the charts' marks that match ``pattern`` (a regular expression)."""
    labels = page.evaluate("Array.from(document.querySelectorAll('#whatif-charts svg "
                           "[aria-label]')).map(e => e.getAttribute('aria-label'))")
    return [label for label in labels if re.search(pattern, label)]


def headline(page) -> str:
    return page.locator("#whatif-charts svg [aria-label='headline 0']").first.text_content()


def expected_headline(answers, point: int) -> str:
    t = answers.table[point]
    return (f"{OUTPUTS['drones_denied'].label}: {t[KEY, 2]}  (P10–P90 {t[KEY, 1]} – "
            f"{t[KEY, 3]})")


def weekly_hits_shown(page) -> list[float]:
    """The "After strike" bars of the hits chart, week by week, as drawn."""
    bars = aria(page, r"series: After strike; week: \d+; hits: ")
    found = {int(re.search(r"week: (\d+);", b).group(1)):
             float(re.search(r"hits: ([\d,.]+)", b).group(1).replace(",", "")) for b in bars}
    return [found[w] for w in sorted(found)]


def expected_hits(answers, point: int) -> list[float]:
    ints, exponent = quantize(answers.hits[point, 1][None, :])
    return [float(i * 10.0 ** int(exponent)) for i in ints[0]]


def check_point(page, grid, answers, point: int) -> None:
    """Every figure of the table, the headline and the hits chart show ``point``'s values."""
    page.wait_for_function("want => document.querySelector(\"#whatif-charts svg "
                           "[aria-label='headline 0']\").textContent === want",
                           arg=expected_headline(answers, point), timeout=10_000)
    for k, stat in ((1, "P10"), (2, "P50"), (3, "P90"), (0, "mean")):  # (STATS' order)
        cells = {int(re.search(r"k: (\d+);", c).group(1)): c.split("; text: ", 1)[1]
                 for c in aria(page, rf"^column: {stat}; k: \d+; text: ")}
        assert [cells[o + 1] for o in range(len(OUTPUTS))] == list(answers.table[point, :, k])
    shown, want = weekly_hits_shown(page), expected_hits(answers, point)
    assert len(shown) == len(want) == -(-grid.days // 7)
    assert np.allclose(shown, want, atol=0.051, rtol=0)  # (drawn to one decimal)


def test_offline_drawn_under_its_policy_and_inert(page, brief):
    path = brief[0]
    assert page.requests == [path.as_uri()]  # the file itself, nothing else
    assert page.problems == [] and page.dialogs == []
    assert page.locator("h1").inner_text() == f"{XSS} Kagan"
    assert page.evaluate("document.querySelectorAll('script').length") == 4
    assert "<b>bold?</b>" in page.locator("main > p").nth(1).inner_text()
    assert page.locator("td", has_text=XSS).count() == 1  # the stage, in the fixed table
    # the charts are drawn: bands, lines, bars, the table and the success curve
    svg = page.locator("#whatif-charts svg")
    assert svg.count() == 1 and svg.bounding_box()["width"] > 900
    for mark, least in (("area", 4), ("line", 5), ("rect", 40), ("text", 40)):
        assert page.locator(f"#whatif-charts svg .mark-{mark} path, "
                            f"#whatif-charts svg .mark-{mark} text").count() >= least, mark
    assert page.locator("#whatif-status").inner_text() == ""


def test_each_control_moves_the_figures_to_the_precomputed_values(page, brief):
    _, grid, answers = brief
    index = list(grid.start())
    point = int(np.ravel_multi_index(index, grid.shape))
    check_point(page, grid, answers, point)
    selects = page.locator("#whatif-controls select")
    assert selects.count() == len(grid.controls) == 2
    seen = {expected_headline(answers, point)}
    for i, control in enumerate(grid.controls):
        index[i] = (index[i] + 1) % len(control.levels)
        selects.nth(i).select_option(index=index[i])
        point = int(np.ravel_multi_index(index, grid.shape))
        check_point(page, grid, answers, point)
        seen.add(expected_headline(answers, point))
    # the salvo size: a range input over the grid's sizes
    sizes = grid.salvo.levels
    for size_index in (0, len(sizes) - 1):
        page.evaluate("v => { const el = document.querySelector('#whatif-controls "
                      "input[type=range]'); el.value = v; el.dispatchEvent(new Event('input'))"
                      " }", sizes[size_index])
        index[-1] = size_index
        point = int(np.ravel_multi_index(index, grid.shape))
        check_point(page, grid, answers, point)
        seen.add(expected_headline(answers, point))
        picked = aria(page, r"^missiles per salvo \[missiles\]: [\d.]+; "
                            r"P\(success\) \[% of samples\]: [\d.]+%$")
        assert any(label.startswith(f"missiles per salvo [missiles]: {sizes[size_index]:g};")
                   for label in picked)
    assert len(seen) >= 4  # the headline did change
    # the command that reproduces the picked point
    values = grid.point_values(point)
    command = page.locator("#whatif-charts svg [aria-label='headline 2']").first.text_content()
    assert command.endswith(" ".join(f"--set {k}={v:g}" for k, v in values.items()))
    assert page.problems == [] and page.dialogs == []
    assert page.requests == [brief[0].as_uri()]


#: every colour the page's SVG paints with (fill and stroke attributes), as drawn by Vega
PAINTED = """(svg) => [...new Set([...svg.querySelectorAll("*")].flatMap(el =>
  ["fill", "stroke"].map(a => el.getAttribute(a)).filter(v => v)))]"""


def test_charts_legends_clear_of_data_text_inside_and_palette_only(page):
    # no legend box on a data mark, no title or label past the SVG's edge
    assert chart_problems(page, "#whatif-charts svg", VEGA_BOXES) == {}
    legends = page.locator("#whatif-charts svg g.role-legend")
    assert legends.count() == 5  # success, production, grid, hits, tornado
    painted = {c.lower() for c in page.locator("#whatif-charts svg").evaluate(PAINTED)}
    painted -= {"none", "transparent"}
    greys = {c for c in painted if to_hex(c)[1:3] == to_hex(c)[3:5] == to_hex(c)[5:7]}
    assert {to_hex(c) for c in painted - greys} <= {to_hex(c) for c in look.OKABE_ITO}
    assert {look.NO_STRIKE, look.STRIKE, look.AT_LOW, look.AT_HIGH} <= painted


def test_controls_named_with_label_and_unit_and_charts_described(page, brief):
    _, grid, _ = brief
    for control in grid.controls:
        picker = page.get_by_role("combobox", name=control.input_label)
        assert picker.count() == 1 and "[" in control.input_label  # (the unit)
    slider = page.get_by_role("slider", name=grid.salvo.input_label)
    assert slider.count() == 1 and grid.salvo.input_label == "Missiles per salvo [missiles]"
    # the slider works from the keyboard: each arrow key one salvo step
    start = float(slider.input_value())
    slider.focus()
    page.keyboard.press("ArrowRight")
    assert float(slider.input_value()) == start + grid.salvo.levels[0]
    svg = page.locator("#whatif-charts svg")
    assert svg.get_attribute("role") == "graphics-document"
    assert svg.get_attribute("aria-label").startswith("The interactive brief's charts:")
    described = page.evaluate("Array.from(document.querySelectorAll('#whatif-charts svg "
                              "g[aria-roledescription=\"group mark\"]')).map(g => "
                              "g.getAttribute('aria-label'))")
    for text in (look.PRODUCTION.text, look.GRID.text, look.HITS):
        assert any(d and d.startswith(f"{text.title}. x axis: {text.x_label}; y axis: "
                                      f"{text.y_label}") for d in described), text.title
