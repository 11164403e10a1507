"""The app's first screen on a laptop (issue 14): ``whatif app`` (Voilà) in headless Chromium
at 1366×768 and 1280×720, and the notebook in JupyterLab.

What a person sees without scrolling: the controls in a side panel that scrolls on its own,
the headline strip, and the production and P(success) charts whole, each with its legend.
On every chart of every tab: no legend box on a data mark, and no title, axis label or tick
label past the edge of its SVG (boxes as Chromium draws them, :mod:`chart_layout`). Every
axis of every chart carries its unit (no browser needed).

Set ``WHATIF_APP_SCREENSHOT=docs/app-1366x768.png`` to write the README's screenshot of the
first screen at 1366×768 (nothing is written otherwise).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import bqplot as bq
import pytest

from whatif.ui import WhatifApp
from whatif.ui.charts import ChartBox, legend_entries

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
FIRST_LOAD_MS = 180_000  # the first kernel may compile the numba model
STEP_MS = 20_000
SIZES = [(1366, 768), (1280, 720)]
TABS = ["Charts", "What matters most?", "When does it work?", "Compare scenarios", "Plan",
        "Record vs model"]


# --- without a browser -----------------------------------------------------------------

def _widgets(root):
    """Every widget under ``root`` (depth first)."""
    yield root
    for child in getattr(root, "children", ()):
        yield from _widgets(child)


@pytest.fixture(scope="module")
def app():
    return WhatifApp(immediate=True)


def test_the_working_sits_closed_under_the_headline(app):
    main = next(w for w in _widgets(app) if "whatif-main" in w._dom_classes)
    order = list(main.children)
    assert order.index(app.working_slot) == order.index(app.headline) + 1
    assert order.index(app.tabs) == order.index(app.working_slot) + 1
    assert app.working_slot.children == (app.working_section,)
    assert app.working_section.children == (app.working,)
    assert app.working_section.selected_index is None and not app.working_shown
    side = next(w for w in _widgets(app) if "whatif-side" in w._dom_classes)
    assert side is app.side_panel and side.tabbable is True
    assert app.settings_panel in side.children and app.scenario_bar in side.children


def test_every_axis_has_its_unit(app):
    """Each value axis says its unit in brackets; only axes whose tick labels are dates or
    the assumptions' names go without."""
    app.record_panel.show_backtest()
    figures = [w for w in _widgets(app) if isinstance(w, bq.Figure)]
    assert len(figures) == 12  # 4 charts, tornado, Sobol, trade-off, compare, sites, 3 record
    for figure in figures:
        for axis in figure.axes:
            label = axis.label
            if isinstance(axis.scale, bq.DateScale) or (axis.tick_labels or label == ""):
                continue  # dates, or the assumptions' names
            assert label.endswith("]") and "[" in label, (figure.title, label)
        dated = [a for a in figure.axes if isinstance(a.scale, bq.DateScale)]
        assert all(a.label for a in dated), figure.title  # e.g. "month"


def test_every_chart_has_its_legend_below_it(app):
    """Each chart is a figure and, below it, its legend: every label of the marks shown in
    the legend, in its mark's colour."""
    boxes = [w for w in _widgets(app) if isinstance(w, ChartBox)]
    assert len(boxes) == 12
    for box in boxes:
        assert box.children == (box.figure, box.legend)
        entries = legend_entries(box.figure.marks)
        labels = [label for m in box.figure.marks if m.display_legend for label in m.labels]
        assert [e[0] for e in entries] == labels and labels, box.figure.title
        for label, color, _, _ in entries:
            assert f"{color};" in box.legend.value and label in box.legend.value
    production = app.production_chart.box.legend.value
    assert "whatif-key-dashed" in production and "whatif-key-line" in production
    assert "whatif-key-area" in app.success_chart.box.legend.value  # the debate's band


# --- in the browser --------------------------------------------------------------------

needs_browser = pytest.mark.skipif(not CHROMIUM.exists(),
                                   reason="needs Debian's chromium at /usr/bin/chromium")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    import app_server as server

    proc, url = server.start(tmp_path_factory.mktemp("whatif-app") / "server.log")
    yield url
    server.stop(proc)


@pytest.fixture(scope="module")
def browser():
    import app_server as server

    yield from server.chromium()


def _local_only(route) -> None:
    import app_server as server

    server.local_only(route)


def open_app(browser, url: str, width: int, height: int):
    """A fresh page (and kernel) on the defaults at ``width``×``height``, drawn."""
    import app_server as server

    context = browser.new_context(viewport={"width": width, "height": height})
    context.route("**/*", _local_only)
    page = context.new_page()
    page.goto(url, timeout=FIRST_LOAD_MS)
    page.wait_for_function(server.SHOWN_JS, timeout=FIRST_LOAD_MS)
    page.wait_for_function(LEGENDS_DRAWN_JS, timeout=STEP_MS)
    page.set_default_timeout(STEP_MS)
    return context, page


#: the first two charts' legends are filled in (the page is settled)
LEGENDS_DRAWN_JS = """() => { const charts = [...document.querySelectorAll('.whatif-chart')];
  return charts.length >= 4 && charts.slice(0, 2).every(c =>
    c.querySelectorAll('.whatif-legend li').length >= 3
    && [...c.querySelectorAll('path.line')].some(p => (p.getAttribute('d') || '').length > 20));
}"""

#: where things are on the first screen, in viewport pixels
FIRST_SCREEN_JS = """() => {
  const box = (el) => { const r = el.getBoundingClientRect();
    return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; };
  const q = (s) => document.querySelector(s);
  const charts = [...document.querySelectorAll('.whatif-chart')].slice(0, 2);
  const side = q('.whatif-side'), cells = q('#rendered_cells');
  return {
    viewport: {width: innerWidth, height: innerHeight},
    scrolled: cells.scrollTop + document.documentElement.scrollTop,
    side: box(side), main: box(q('.whatif-main')),
    side_scroll: {overflow: getComputedStyle(side).overflowY, client: side.clientHeight,
                  content: side.scrollHeight},
    cards: [...document.querySelectorAll('.whatif-card')].map(box),
    headline: box(q('.whatif-headline')), slot: box(q('.whatif-working-slot')),
    charts: charts.map(c => ({title: c.querySelector('text.mainheading').textContent,
                              box: box(c), figure: box(c.querySelector('.bqplot.figure')),
                              legend: box(c.querySelector('.whatif-legend ul'))})),
    page_width: Math.max(document.documentElement.scrollWidth, cells.scrollWidth),
  };
}"""


def _inside(box: dict, width: float, height: float, tolerance: float = 0.5) -> bool:
    return (box["x0"] >= -tolerance and box["y0"] >= -tolerance
            and box["x1"] <= width + tolerance and box["y1"] <= height + tolerance)


@needs_browser
@pytest.mark.parametrize("width, height", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_first_screen_shows_the_headline_and_two_charts(app_url, browser, width, height):
    context, page = open_app(browser, app_url, width, height)
    try:
        shown = page.evaluate(FIRST_SCREEN_JS)
        print(f"{width}x{height}: headline {shown['headline']['y0']:.0f}–"
              f"{shown['headline']['y1']:.0f} px, charts "
              + ", ".join(f"{c['title']!r} {c['box']['y0']:.0f}–{c['box']['y1']:.0f} px"
                          for c in shown["charts"]))
        assert shown["scrolled"] == 0
        assert shown["page_width"] <= width  # nothing wider than the window
        # the side panel: left of the rest, whole on screen, scrolling on its own
        side, main = shown["side"], shown["main"]
        assert side["x1"] <= main["x0"] and _inside(side, width, height)
        assert shown["side_scroll"]["overflow"] == "auto"
        assert shown["side_scroll"]["content"] > shown["side_scroll"]["client"]
        # every headline figure, and the production and P(success) charts with their legends
        assert len(shown["cards"]) == 8
        assert all(_inside(card, width, height) for card in shown["cards"])
        titles = [c["title"] for c in shown["charts"]]
        assert titles == ["National Shahed-type production per day",
                          "Chance of reaching the goal vs missiles per salvo"]
        for chart in shown["charts"]:
            for part in ("box", "figure", "legend"):
                assert _inside(chart[part], width, height), (chart["title"], part, chart)
            assert chart["figure"]["x1"] - chart["figure"]["x0"] >= 360
        left, right = (c["figure"] for c in shown["charts"])
        assert left["x1"] <= right["x0"] and abs(left["y0"] - right["y0"]) < 1  # side by side
        # the working: right under the headline, one closed line above the charts
        slot = shown["slot"]
        assert 0 < slot["y1"] - slot["y0"] <= 40 and slot["y0"] >= shown["headline"]["y1"] - 0.5
        assert slot["y1"] <= min(c["box"]["y0"] for c in shown["charts"]) + 0.5

        # the side panel scrolls alone: the headline and charts stay where they are
        page.locator(".whatif-side").evaluate("(el) => { el.scrollTop = 400; }")
        page.wait_for_timeout(100)
        after = page.evaluate(FIRST_SCREEN_JS)
        assert page.locator(".whatif-side").evaluate("(el) => el.scrollTop") > 0
        assert after["scrolled"] == 0 and after["charts"] == shown["charts"]
        page.locator(".whatif-side").evaluate("(el) => { el.scrollTop = 0; }")

        screenshot = os.environ.get("WHATIF_APP_SCREENSHOT")
        if screenshot and (width, height) == (1366, 768):
            page.wait_for_timeout(500)
            page.screenshot(path=str(REPO / screenshot))

        # Monte Carlo: each figure gains its P10–P90, and the first screen still holds
        page.locator(".jupyter-widget-Collapse-header", has_text="Uncertainty").click()
        page.get_by_role("button", name="Monte Carlo").click()
        page.locator(".whatif-card .whatif-spread").nth(6).wait_for()
        page.wait_for_timeout(500)
        page.evaluate("() => { document.querySelector('#rendered_cells').scrollTop = 0; }")
        ranges = page.evaluate(FIRST_SCREEN_JS)
        assert all(_inside(card, width, height) for card in ranges["cards"])
        for chart in ranges["charts"]:
            assert _inside(chart["box"], width, height), (chart["title"], chart)
        print(f"{width}x{height}, Monte Carlo: charts end at "
              f"{max(c['box']['y1'] for c in ranges['charts']):.0f} px")
    finally:
        context.close()


#: one chart's boxes for :func:`chart_layout.collisions`: its marks (clipped to the plot
#: area, as drawn), every legend (bqplot's inside the SVG when shown, the HTML one below)
#: and its texts (title, axis labels, tick labels)
BQPLOT_BOXES = """(fig) => {
  const box = (el, name) => { const r = el.getBoundingClientRect();
    return {name, x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; };
  const svg = fig.querySelector('text.mainheading').ownerSVGElement;  // (bqplot draws the
  const plot = box(fig.querySelector('rect.plotarea_background'), 'plot');  // plot area apart)
  const clip = (b) => ({name: b.name, x0: Math.max(b.x0, plot.x0), y0: Math.max(b.y0, plot.y0),
                        x1: Math.min(b.x1, plot.x1), y1: Math.min(b.y1, plot.y1)});
  const shown = (el) => { const s = getComputedStyle(el); const r = el.getBoundingClientRect();
    return s.display !== 'none' && s.visibility !== 'hidden' && r.width + r.height > 0; };
  const marks = [...fig.querySelectorAll('path.line, path.area, path.dot, rect.bar')]
      .filter(e => !e.closest('.g_legend') && shown(e))
      .map(e => clip(box(e, e.getAttribute('class'))))
      .filter(b => b.x1 >= b.x0 && b.y1 >= b.y0);
  const legends = [...fig.querySelectorAll('g.g_legend')].filter(shown)
      .map(g => box(g, 'bqplot legend'));
  const html = fig.closest('.whatif-chart').querySelector('.whatif-legend ul');
  if (html) legends.push(box(html, 'legend below'));
  const texts = [...fig.querySelectorAll('text.mainheading, text.axislabel, g.tick text')]
      .filter(t => t.textContent.trim() && shown(t)).map(t => box(t, t.textContent));
  return {title: svg.querySelector('text.mainheading').textContent, svg: box(svg, 'svg'),
          marks, legends, texts};
}"""

#: the charts of the tab shown (those of hidden tabs have no size)
VISIBLE_CHARTS = ".whatif-chart:visible"


def _scroll_to(page, chart) -> None:
    """Scroll the page with the mouse wheel, as a person does, until ``chart`` is whole on
    screen (bqplot lays out a figure shown in a tab when it scrolls into view)."""
    page.mouse.move(900, 300)
    for _ in range(40):
        top, bottom, height = chart.evaluate("""(c) => { const r = c.getBoundingClientRect();
                                                      return [r.top, r.bottom, innerHeight]; }""")
        if top >= 0 and bottom <= height:
            return
        page.mouse.wheel(0, max(-300, min(300, top - 40 if top < 0 else bottom - height + 10)))
        page.wait_for_timeout(120)


def chart_boxes(page) -> list[dict]:
    """:data:`BQPLOT_BOXES` of each chart of the tab shown. bqplot draws a figure only once
    it is on screen, so each is scrolled into view and measured when its marks are drawn."""
    found = []
    charts = page.locator(VISIBLE_CHARTS)
    for i in range(charts.count()):
        chart = charts.nth(i)
        if chart.evaluate("(c) => getComputedStyle(c).visibility") == "hidden":
            continue  # e.g. the trade-off before its button is pressed
        _scroll_to(page, chart)
        figure = chart.locator(".bqplot.figure")
        figure.evaluate("""(fig) => new Promise((done) => { const t0 = performance.now();
          const drawn = () => [...fig.querySelectorAll('path.line, path.area, path.dot, rect.bar')]
            .some(e => { const r = e.getBoundingClientRect(); return r.width + r.height > 4; });
          const wait = () => (drawn() || performance.now() - t0 > 10000) ? done()
                             : requestAnimationFrame(wait);
          wait(); })""")
        page.wait_for_timeout(150)
        found.append(figure.evaluate(BQPLOT_BOXES))
    return found


def _show_tab(page, name: str) -> None:
    """Open tab ``name`` and wait until its charts are drawn (pressing the buttons that
    compute them)."""
    page.get_by_role("tab", name=name).click()
    if name == "What matters most?":
        page.wait_for_function("""() => [...document.querySelectorAll('text.mainheading')]
            .some(t => t.textContent.startsWith('Sobol indices:'))""", timeout=90_000)
    elif name == "When does it work?":
        page.get_by_role("button", name="Find when it works").click()
        page.locator(".whatif-discovery").filter(has_text="It works when:").wait_for(
            timeout=90_000)
    elif name == "Compare scenarios":
        before = page.locator(".whatif-chart", has_text="National production per day (P50)")
        page.get_by_role("button", name="Compare").click()
        before.locator(".whatif-legend", has_text="kagan").wait_for(timeout=60_000)
    elif name == "Record vs model":
        page.wait_for_function("""() => [...document.querySelectorAll('text.mainheading')]
            .some(t => t.textContent.startsWith('Backtest:')
                  && t.ownerSVGElement.querySelectorAll('path.dot').length > 5)""",
                               timeout=60_000)
    page.wait_for_timeout(600)  # the last redraw


@needs_browser
def test_no_legend_on_the_data_and_no_text_cut_off_on_any_chart(app_url, browser):
    """Every chart of every tab at 1280×720 (the narrowest): no legend box overlaps a
    mark's box, and no title, axis label or tick label goes past its SVG."""
    from chart_layout import collisions

    context, page = open_app(browser, app_url, 1280, 720)
    try:
        seen, problems = [], {}
        for tab in TABS:
            _show_tab(page, tab)
            for boxes in chart_boxes(page):
                seen.append(boxes["title"])
                assert boxes["marks"], boxes["title"]  # drawn
                assert boxes["legends"], boxes["title"]
                found = collisions(boxes)
                if found:
                    problems[boxes["title"]] = found
        assert problems == {}
        # the four charts, tornado, Sobol, trade-off, compare, sites, three record charts
        assert len(seen) == 12, seen
    finally:
        context.close()


# --- JupyterLab ------------------------------------------------------------------------

@needs_browser
@pytest.mark.skipif(shutil.which("jupyter-lab", path=str(Path(sys.executable).parent)) is None,
                    reason="no JupyterLab beside this Python")
def test_layout_holds_in_jupyterlab(browser, tmp_path):
    """The notebook run in JupyterLab at 1366×768: the side panel scrolls on its own beside
    the rest, nothing is wider than the notebook, the charts keep their size."""
    import app_server as server

    root = tmp_path / "lab"
    root.mkdir()
    shutil.copy(REPO / "notebooks" / "whatif.ipynb", root / "whatif.ipynb")
    port = server.free_port()
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "workspaces"),
           "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
         "--IdentityProvider.token=test", "--ServerApp.port_retries=0", "--allow-root",
         f"--ServerApp.root_dir={root}",
         "--ServerApp.ip=127.0.0.1"],
        env=env, stdout=(tmp_path / "lab.log").open("w"), stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}/lab/tree/whatif.ipynb?token=test&reset"
        deadline = time.monotonic() + 90
        while not server.answers(f"http://127.0.0.1:{port}/api?token=test"):
            assert proc.poll() is None and time.monotonic() < deadline, \
                (tmp_path / "lab.log").read_text()
            time.sleep(0.5)
        context = browser.new_context(viewport={"width": 1366, "height": 768})
        context.route("**/*", _local_only)
        page = context.new_page()
        page.goto(url, timeout=FIRST_LOAD_MS)
        page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
        # run the cell once the kernel is ready (before that the run is not queued)
        page.get_by_text("Python 3 (ipykernel) | Idle").wait_for(timeout=120_000)
        page.locator(".jp-Notebook .jp-Cell").first.click()
        page.keyboard.press("Shift+Enter")
        try:
            page.wait_for_function(LEGENDS_DRAWN_JS, timeout=FIRST_LOAD_MS)
        finally:
            page.screenshot(path=str(tmp_path / "jupyterlab.png"))
        shown = page.evaluate("""() => {
          const box = (el) => { const r = el.getBoundingClientRect();
            return {x0: r.left, y0: r.top, x1: r.right, y1: r.bottom}; };
          const side = document.querySelector('.whatif-side');
          const notebook = document.querySelector('.jp-NotebookPanel-notebook');
          return {side: box(side), main: box(document.querySelector('.whatif-main')),
                  notebook: box(notebook), overflow: getComputedStyle(side).overflowY,
                  client: side.clientHeight, content: side.scrollHeight,
                  wide: notebook.scrollWidth - notebook.clientWidth,
                  figures: [...document.querySelectorAll('.whatif-chart .bqplot.figure')]
                      .slice(0, 4).map(box)};
        }""")
        assert shown["side"]["x1"] <= shown["main"]["x0"]
        assert shown["overflow"] == "auto" and shown["content"] > shown["client"]
        assert shown["client"] <= 768
        assert shown["wide"] <= 1  # no sideways scrolling in the notebook
        for figure in shown["figures"]:
            assert figure["x1"] - figure["x0"] >= 360
            assert figure["x1"] <= shown["notebook"]["x1"] + 0.5
        context.close()
    finally:
        server.stop(proc)  # (its kernels too: they run in their own sessions)
