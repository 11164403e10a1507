"""The brief as a reader sees it: opened from disk in headless Chromium with the network
blocked, every chart visible, the XSS title inert, and a clean A4 PDF."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("needs Debian's chromium at /usr/bin/chromium", allow_module_level=True)

from chart_layout import MATPLOTLIB_BOXES, chart_problems  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from whatif import presentation as look  # noqa: E402
from whatif.brief import render  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def brief_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("brief")
    scenario = folder / "xss.yaml"
    scenario.write_text(f'title: "{XSS} Kagan"\nnote: "<b>bold?</b>"\nassumptions:\n'
                        "  missiles: {low: 25, high: 30, dist: uniform}\n", encoding="utf-8")
    return render(scenario, folder / "brief.html", samples=1000, seed=0)


def test_brief_offline_charts_visible_and_inert(brief_file, tmp_path):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        requests, dialogs = [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

        def route(r):
            requests.append(r.request.url)
            r.continue_() if r.request.url.startswith("file:") else r.abort()

        page.route("**/*", route)
        page.goto(brief_file.as_uri())
        # the title shows the script as text, and nothing ran
        assert page.locator("h1.brief-title").inner_text().startswith(XSS)
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        assert dialogs == []
        assert page.locator(".brief-note").inner_text() == "<b>bold?</b>"
        # every chart is an inline SVG with real size and drawn content
        charts = page.locator("figure.brief-chart svg")
        # production, P(success), hits, grid, tornado, Sobol, 2 record charts, the backtest,
        # and "When does it work?"'s trade-off (this scenario's goal has a box)
        assert charts.count() == 10
        for i in range(10):
            box = charts.nth(i).bounding_box()
            assert box["width"] > 300 and box["height"] > 150
            assert charts.nth(i).locator("path").count() > 5
        assert [u for u in requests if not u.startswith("file:")] == []
        pdf = tmp_path / "brief.pdf"
        page.pdf(path=str(pdf), format="A4")
        browser.close()
    reader = PdfReader(pdf)
    # (the discovery section adds about a page, the legends below the charts one, the
    # working appendix two)
    assert 4 <= len(reader.pages) <= 14
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert abs(width - 595) < 2 and abs(height - 842) < 2  # A4 in points
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    text = unicodedata.normalize("NFKC", text)  # fonts set "fi" as one ligature glyph
    for words in ("Bottom line", "Headline figures", "What drives the spread", "Assumptions",
                  "Reproduce", XSS):
        assert words in text


def test_brief_charts_legends_clear_of_data_and_text_inside(brief_file):
    """Each chart's legend sits outside its axes (on no line, band, bar or point) and no
    title, axis label or legend text runs past its SVG's edge; each chart is an image named
    by its title, axes with units and legend."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(offline=True, viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.goto(brief_file.as_uri())
        charts = page.locator("figure.brief-chart svg")
        assert charts.count() == 10
        assert page.locator("figure.brief-chart svg g[id^=legend_]").count() == 10
        assert chart_problems(page, "figure.brief-chart svg", MATPLOTLIB_BOXES) == {}
        names = charts.evaluate_all("s => s.map(svg => [svg.getAttribute('role'), "
                                    "svg.getAttribute('aria-label'), "
                                    "svg.querySelector('title').textContent])")
        browser.close()
    for role, label, title in names:
        assert role == "img" and label == title and " axis: " in label and "[" in label
    assert names[0][1].startswith(f"{look.PRODUCTION.text.title}. x axis: "
                                  f"{look.PRODUCTION.text.x_label}; y axis: "
                                  f"{look.PRODUCTION.text.y_label}. Legend: "
                                  f"{look.NO_STRIKE_P50}, ")
