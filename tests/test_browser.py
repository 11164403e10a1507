"""Browser tests of the app as a person uses it: ``whatif app`` (Voilà) in headless Chromium.

A module-scoped fixture serves the app with ``python -m whatif.cli app --port P`` on
127.0.0.1; every test opens its own page (so its own kernel, on the defaults) and checks
what is on screen: the headline cards, the controls' text boxes and error lines, the
status line and the bqplot charts' SVG.

The browser is Debian's ``/usr/bin/chromium`` driven by the Python Playwright package;
no browser is ever downloaded (``playwright install`` is never run). Requests to anything
but 127.0.0.1 are blocked (the widgets ask a CDN for Font Awesome; the page works without).

The first kernel on a fresh machine compiles the numba model (30-60 s), so the first page
load may take long; later loads take a few seconds each.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("browser tests need Debian's chromium at /usr/bin/chromium (apt-get install "
                "chromium); no browser is downloaded", allow_module_level=True)

import app_server as server  # noqa: E402  (tests/app_server.py)
from playwright.sync_api import Page, expect  # noqa: E402

from whatif.params import REGISTRY  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SCENARIOS = REPO / "data" / "scenarios"
FIRST_LOAD_MS = 180_000  # the first kernel may compile the numba model
STEP_MS = 15_000  # anything after the page is up
SERVER_START_S = 120

HEADLINE_KEYS = ("missiles_needed", "capacity_loss", "days_disrupted", "drones_denied",
                 "energy_hits_averted", "energy_hits_deferred", "grid_gw_days_averted",
                 "cost_exchange_ratio")

MALFORMED_YAML = "title: [unclosed\nassumptions: {missiles: 40\n"
GOOD_YAML = "title: Uploaded test scenario\nassumptions:\n  missiles: 60\n"

# The production chart's "After strike (P50)" line (bqplot draws each line of a Lines mark
# as a g.curve holding path.line and a text.curve_label).
STRIKE_PATH_JS = """() => {
  const title = [...document.querySelectorAll('svg text.mainheading')]
      .find(t => t.textContent.startsWith('National Shahed-type production'));
  const label = [...title.closest('.bqplot.figure').querySelectorAll('text.curve_label')]
      .find(t => t.textContent === 'After strike (P50)');
  return label.closest('g.curve').querySelector('path.line');
}"""


# --- the server ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    """``whatif app`` on a free port; yields (process, url)."""
    log = tmp_path_factory.mktemp("whatif-app") / "server.log"
    proc, url = server.start(log)
    yield proc, url
    server.stop(proc)


@pytest.fixture(scope="module")
def browser():
    yield from server.chromium()


_local_only = server.local_only


def _open(browser, url: str):
    context = browser.new_context(viewport={"width": 1600, "height": 1200})
    context.route("**/*", _local_only)
    page = context.new_page()
    page.page_errors = []
    page.on("pageerror", lambda exc: page.page_errors.append(str(exc)))
    page.goto(url, timeout=FIRST_LOAD_MS)
    page.wait_for_selector(card_selector("capacity_loss"), timeout=FIRST_LOAD_MS)
    page.wait_for_function("() => document.querySelectorAll('.bqplot.figure').length >= 4",
                           timeout=STEP_MS)
    page.set_default_timeout(STEP_MS)
    return context, page


@pytest.fixture
def page(app_server, browser):
    """A fresh page (and kernel) on the defaults, the headline shown."""
    context, page = _open(browser, app_server[1])
    yield page
    context.close()


@pytest.fixture(scope="module")
def expected():
    """The headline texts the model gives for the defaults with ``values`` applied
    (point estimate), computed in-process: what the page should show."""
    from whatif.ui.app import WhatifApp, headline_text

    def headline(**values) -> dict[str, str]:
        app = WhatifApp(immediate=True)
        for name, value in values.items():
            app.set_value(name, value)
        return headline_text(app)

    return headline


# --- helpers ---------------------------------------------------------------------------

def card_selector(key: str) -> str:
    return f"div.whatif-card[data-key={key}] .whatif-card-value"


def card(page: Page, key: str) -> str:
    return page.inner_text(card_selector(key)).strip()


def headline(page: Page) -> dict[str, str]:
    return {key: card(page, key) for key in HEADLINE_KEYS}


def control(page: Page, name: str):
    return page.locator(f".whatif-param-{name}")


def value_box(page: Page, name: str):
    return control(page, name).locator(".whatif-value input")


def type_value(page: Page, name: str, text: str) -> None:
    box = value_box(page, name)
    box.fill(text)
    box.press("Enter")


def upload(page: Page, path: Path) -> None:
    """Choose ``path`` in the "Upload YAML" FileUpload. ipywidgets 8 keeps its
    ``<input type=file>`` out of the DOM and clicks it from the button, so the file goes
    through the file chooser the click opens (Playwright's set_files on that input)."""
    with page.expect_file_chooser() as chooser:
        page.locator("button.widget-upload").click()
    chooser.value.set_files(str(path))


def percent(text: str) -> float:
    match = re.fullmatch(r"(-?[\d.]+)%", text)
    assert match, f"not a percentage: {text!r}"
    return float(match.group(1))


def wait_for_card_change(page: Page, key: str, old: str) -> str:
    page.wait_for_function(
        "([sel, old]) => { const e = document.querySelector(sel);"
        " return e && e.innerText.trim() !== old; }",
        arg=[card_selector(key), old],
    )
    return card(page, key)


def settle(page: Page, seconds: float = 0.6) -> None:
    """Give a (wrongly) triggered model run time to reach the page."""
    page.wait_for_timeout(seconds * 1000)


# --- tests -----------------------------------------------------------------------------

def test_page_shows_the_headline_on_the_defaults(page, expected):
    shown = headline(page)
    assert shown["capacity_loss"] == "66.1%"
    assert re.fullmatch(r"\d[\d,]*", shown["missiles_needed"]), shown["missiles_needed"]
    assert shown == expected()
    # point estimate: no ranges under the figures
    assert page.locator(".whatif-headline .whatif-spread").count() == 0
    expect(page.locator(".whatif-app h2")).to_have_text("Baseline — public-figure defaults")
    expect(value_box(page, "missiles")).to_have_value("30")
    assert page.locator(".bqplot.figure svg text.mainheading").all_text_contents()[:4] == [
        "National Shahed-type production per day",
        "Chance of reaching the goal vs missiles per salvo",
        "Weekly hits on energy infrastructure (mean)",
        "Grid capacity out of action",
    ]
    assert page.page_errors == []


def test_slider_moves_headline_and_charts_in_place(page, expected):
    before = card(page, "capacity_loss")
    page.evaluate("(find) => { window.__strike = eval(find)();"
                  " window.__strikeD = window.__strike.getAttribute('d');"
                  " window.__svg = window.__strike.ownerSVGElement; }", STRIKE_PATH_JS)
    control(page, "missiles").locator(".noUi-handle").focus()
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    expect(value_box(page, "missiles")).to_have_value("40")
    want = expected(missiles=40)["capacity_loss"]
    expect(page.locator(card_selector("capacity_loss"))).to_have_text(want)
    assert percent(want) > percent(before)
    # the chart's line changed in place: the same SVG elements, a new path
    page.wait_for_function("() => window.__strike.getAttribute('d') !== window.__strikeD")
    assert page.evaluate("(find) => window.__strike.isConnected && eval(find)() === "
                         "window.__strike && window.__strike.ownerSVGElement === window.__svg",
                         STRIKE_PATH_JS)
    # every coalesced change taken in: the whole headline is the model's at 40 missiles
    settle(page)
    assert headline(page) == expected(missiles=40)


def test_out_of_range_value_shows_error_and_keeps_headline(page, expected):
    before = headline(page)
    type_value(page, "launch_reliability", "1.5")
    error = control(page, "launch_reliability").locator(".whatif-error")
    expect(error).to_contain_text("launch_reliability")
    expect(error).to_contain_text("0 to 1")
    expect(error).to_be_visible()
    settle(page)
    assert headline(page) == before
    # a good value clears the error and is taken in
    type_value(page, "launch_reliability", "0.8")
    expect(error).to_have_text("")
    want = expected(launch_reliability=0.8)
    assert want["capacity_loss"] != before["capacity_loss"]
    expect(page.locator(card_selector("capacity_loss"))).to_have_text(want["capacity_loss"])
    settle(page)
    assert headline(page) == want


PRODUCTION_AREAS_JS = """() => [...[...document.querySelectorAll('.bqplot.figure')][0]
    .querySelectorAll('path.area')].map(p => p.getAttribute('d') || '')"""


def test_monte_carlo_shows_ranges(page):
    areas = page.evaluate(PRODUCTION_AREAS_JS)
    page.locator(".jupyter-widget-Collapse-header", has_text="Uncertainty").click()
    # the Uncertainty panel's dropdown (not the discovery tab's "judged on")
    samples = (page.locator(".jupyter-widget-Collapse", has_text="Uncertainty")
               .locator(".widget-dropdown", has_text="Samples").locator("select"))
    expect(samples).to_have_value("2000")
    page.get_by_role("button", name="Monte Carlo").click()
    for key in ("capacity_loss", "days_disrupted", "drones_denied"):
        expect(page.locator(f"div.whatif-card[data-key={key}] .whatif-spread")
               ).to_contain_text("P10–P90")
    # the production chart now draws P10-P90 bands around its lines
    page.wait_for_function(f"([old]) => JSON.stringify(({PRODUCTION_AREAS_JS})()) !== old",
                           arg=[json.dumps(areas, separators=(",", ":"))])
    # and back to the point estimate: the ranges go, the default figure returns
    page.get_by_role("button", name="Point estimate").click()
    expect(page.locator(".whatif-headline .whatif-spread")).to_have_count(0)
    expect(page.locator(card_selector("capacity_loss"))).to_have_text("66.1%")


def test_scenario_dropdown_then_reset(page):
    from whatif.scenario import Scenario

    optimistic = Scenario.from_yaml(SCENARIOS / "kagan-optimistic.yaml")
    before = headline(page)
    picker = page.locator(".widget-dropdown", has_text="Scenario").locator("select")
    picker.select_option(label="kagan-optimistic.yaml")
    title = page.locator(".whatif-app h2")
    expect(title).to_have_text(optimistic.title)
    expect(page.locator(".whatif-status")).to_contain_text("Loaded kagan-optimistic.yaml")
    after = wait_for_card_change(page, "capacity_loss", before["capacity_loss"])
    assert percent(after) > percent(before["capacity_loss"])
    assert headline(page) != before
    page.get_by_role("button", name="Reset to defaults").click()
    expect(page.locator(card_selector("capacity_loss"))).to_have_text("66.1%")
    expect(value_box(page, "missiles")).to_have_value("30")
    expect(title).not_to_have_text(optimistic.title)
    settle(page)
    assert headline(page) == before


def test_reset_replaces_the_loaded_message(page):
    picker = page.locator(".widget-dropdown", has_text="Scenario").locator("select")
    picker.select_option(label="kagan-optimistic.yaml")
    status = page.locator(".whatif-status")
    expect(status).to_contain_text("Loaded kagan-optimistic.yaml")
    page.get_by_role("button", name="Reset to defaults").click()
    expect(page.locator(card_selector("capacity_loss"))).to_have_text("66.1%")
    expect(status).not_to_contain_text("kagan-optimistic", timeout=3000)


def test_upload_malformed_then_valid_yaml(page, tmp_path, expected):
    bad = tmp_path / "broken.yaml"
    bad.write_text(MALFORMED_YAML, encoding="utf-8")
    good = tmp_path / "uploaded.yaml"
    good.write_text(GOOD_YAML, encoding="utf-8")
    # a change of our own first, to see that a bad file keeps it
    type_value(page, "missiles", "40")
    expect(page.locator(card_selector("capacity_loss"))).to_have_text(
        expected(missiles=40)["capacity_loss"])
    before = headline(page)
    title = page.locator(".whatif-app h2").inner_text()

    upload(page, bad)
    status = page.locator(".whatif-status")
    expect(status).to_contain_text("broken.yaml")
    expect(status).to_contain_text("malformed YAML")
    expect(status).to_contain_text("⚠")
    settle(page)
    assert headline(page) == before
    expect(value_box(page, "missiles")).to_have_value("40")
    expect(page.locator(".whatif-app h2")).to_have_text(title)

    upload(page, good)
    expect(status).to_have_text("Loaded uploaded.yaml.")
    expect(page.locator(".whatif-app h2")).to_have_text("Uploaded test scenario")
    expect(value_box(page, "missiles")).to_have_value("60")
    expect(page.locator(card_selector("capacity_loss"))).to_have_text(
        expected(missiles=60)["capacity_loss"])


def test_uploading_the_same_file_again_reloads_it(page, tmp_path):
    good = tmp_path / "uploaded.yaml"
    good.write_text(GOOD_YAML, encoding="utf-8")
    upload(page, good)
    expect(value_box(page, "missiles")).to_have_value("60")
    type_value(page, "missiles", "45")
    expect(value_box(page, "missiles")).to_have_value("45")
    settle(page)
    upload(page, good)  # back to the file's settings
    expect(value_box(page, "missiles")).to_have_value("60", timeout=5000)


def test_a_closed_page_kernel_is_shut_down(browser, tmp_path):
    """Voilà's own shutdown on leaving a page can fail (voila#1458); `whatif app` culls
    kernels idle with no page connected (here after 3 s instead of the default 600 s),
    but not the pre-heated one kept for the next page."""
    pytest.importorskip("psutil")
    proc, url, _ = start_printing(tmp_path / "server.log", "--idle-timeout", "3")
    try:
        heated = set(server.kernels(proc.pid))  # the address comes once a page is heated
        assert len(heated) == 1
        context, page = _open(browser, url)  # takes the pre-heated kernel
        page.wait_for_selector(card_selector("capacity_loss"), timeout=FIRST_LOAD_MS)
        page.goto("about:blank")
        context.close()
        deadline = time.monotonic() + 60
        while heated & set(server.kernels(proc.pid)) and time.monotonic() < deadline:
            time.sleep(1)
        assert not heated & set(server.kernels(proc.pid)), "the page's kernel is still there"
        time.sleep(6)  # twice the idle timeout: the next pre-heated kernel stays
        assert len(server.kernels(proc.pid)) == 1
    finally:
        server.stop(proc)


# --- starting as a person does ---------------------------------------------------------

SHOWN_JS = server.SHOWN_JS  # sliders visible and the four charts drawn



def start_printing(log: Path, *args: str, timeout: float = SERVER_START_S):
    """Run ``whatif app ARGS --port P`` and read its output until it prints its address;
    returns (process, the address printed, the lines printed). Nothing is polled: the
    address is used as the command gives it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "whatif.cli", "app", *args, "--port", str(port)], cwd=REPO,
        stdout=subprocess.PIPE, stderr=Path(log).open("w"), text=True, start_new_session=True,
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    printed = []
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            server.stop(proc)
            raise RuntimeError(f"no address printed in {timeout} s:\n{Path(log).read_text()}"
                               ) from None
        printed.append(line.rstrip())
        match = re.search(r"serving on (http://\S+)", line)
        if match:
            return proc, match.group(1), printed


def test_printed_address_answers_the_first_request(tmp_path):
    """`whatif app` prints its address only once the server answers: the first request
    to it (made at once, no retry) gets the page."""
    proc, url, printed = start_printing(tmp_path / "server.log")
    try:
        assert url == url.rstrip("/") + "/" and url.startswith("http://127.0.0.1:")
        assert printed[-1] == f"whatif app: serving on {url}  (Ctrl-C to stop)"
        with urllib.request.urlopen(url, timeout=120) as response:
            assert response.status == 200
            page = response.read().decode("utf-8")
        assert "how many missiles would it take" in page  # the app's notebook, rendered
        assert "jupyter-widgets" in page or "application/vnd.jupyter.widget-view+json" in page
    finally:
        server.stop(proc)


def test_page_shows_sliders_and_charts(browser, tmp_path):
    """A page opened on the printed address shows its sliders and its four charts,
    drawn (timed in the page; reported, not asserted: the machine may be busy)."""
    proc, url, _ = start_printing(tmp_path / "server.log")
    try:
        context = browser.new_context(viewport={"width": 1600, "height": 1200})
        context.route("**/*", _local_only)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(url, wait_until="commit", timeout=FIRST_LOAD_MS)
        page.wait_for_function(SHOWN_JS, polling="raf", timeout=FIRST_LOAD_MS)
        shown_ms = page.evaluate("() => performance.now()")
        numeric = sum(p.kind in ("real", "integer") for p in REGISTRY.values())
        assert page.locator(".noUi-handle").count() == numeric + 1  # and the confidence
        expect(control(page, "missiles").locator(".noUi-handle")).to_be_visible()
        expect(value_box(page, "missiles")).to_have_value("30")
        figures = page.evaluate("""() => [...document.querySelectorAll('.bqplot.figure')]
            .slice(0, 4).map(f => ({
              title: f.querySelector('text.mainheading').textContent,
              width: f.getBoundingClientRect().width,
              points: Math.max(0, ...[...f.querySelectorAll('path.line')]
                  .map(p => (p.getAttribute('d') || '').split(/[ML]/).length - 1)),
              bars: f.querySelectorAll('rect.bar').length}))""")
        assert [f["title"] for f in figures] == [
            "National Shahed-type production per day",
            "Chance of reaching the goal vs missiles per salvo",
            "Weekly hits on energy infrastructure (mean)",
            "Grid capacity out of action",
        ]
        assert all(f["width"] > 300 for f in figures), figures
        horizon = int(REGISTRY["horizon_days"].default.central)
        assert figures[0]["points"] >= horizon  # one point a day (and more for the bands)
        assert figures[3]["points"] >= horizon
        assert figures[1]["points"] > 10  # the chance curve over salvo sizes
        assert figures[2]["bars"] >= horizon // 7  # a pair of bars a week
        assert errors == []
        print(f"first render {shown_ms:.0f} ms")
        context.close()
    finally:
        server.stop(proc)


# --- the command, no browser -----------------------------------------------------------

@pytest.mark.parametrize("args, needles", [
    (["{bad}"], ["broken.yaml", "malformed YAML"]),
    (["{missing}"], ["no-such.yaml"]),
    (["--port", "70000"], ["port", "1 to 65535"]),
], ids=["malformed-scenario", "missing-scenario", "bad-port"])
def test_app_with_bad_input_exits_2_with_one_line(tmp_path, args, needles):
    bad = tmp_path / "broken.yaml"
    bad.write_text(MALFORMED_YAML, encoding="utf-8")
    argv = [a.format(bad=bad, missing=tmp_path / "no-such.yaml") for a in args]
    result = subprocess.run([sys.executable, "-m", "whatif.cli", "app", *argv], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "serving on" not in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("whatif: error:"), lines[0]
    assert "Traceback" not in result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_app_on_a_taken_port_exits_2_with_one_line():
    """The server cannot listen: no address is printed, one line says why."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "whatif.cli", "app", "--port", str(port)],
                                cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "serving on" not in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("whatif: error: the app server exited"), lines[0]
    assert f"http://127.0.0.1:{port}/" in lines[0]
    assert "could not be started" in lines[0]  # Voilà's own reason
    assert "Traceback" not in result.stderr


def test_terminating_the_app_stops_the_server(tmp_path):
    proc, url = server.start(tmp_path / "server.log")
    try:
        os.kill(proc.pid, signal.SIGTERM)  # the whatif process only, as a supervisor would
        proc.wait(timeout=20)
        deadline = time.monotonic() + 4
        while server.answers(url) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not server.answers(url), f"{url} still answers after `whatif app` was terminated"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # the Voilà left behind, same group
        except ProcessLookupError:
            pass


RECORD_FIGURE_JS = """() => {
  const title = [...document.querySelectorAll('svg text.mainheading')]
      .find(t => t.textContent.startsWith('Launch record and the model'));
  if (!title) return null;
  const fig = title.closest('.bqplot.figure');
  const box = fig.getBoundingClientRect();
  return {dots: fig.querySelectorAll('.dot').length, width: box.width, height: box.height,
          labels: [...fig.closest('.whatif-chart').querySelectorAll('.whatif-legend li')]
              .map(t => t.textContent)};
}"""


def test_record_tab_shows_the_record_beside_the_live_baseline(page):
    page.get_by_role("tab", name="Record vs model").click()
    check = page.locator("table.whatif-record-check")
    expect(check).to_be_visible()
    expect(check).to_contain_text("production_now")
    assert check.inner_text().count("inside the fit's 90% interval") == 2
    page.wait_for_function(
        f"() => {{ const r = ({RECORD_FIGURE_JS})(); return r && r.dots >= 40; }}")
    figure = page.evaluate(RECORD_FIGURE_JS)
    assert figure["dots"] == 40  # one per month of the record
    assert figure["width"] > 300 and figure["height"] > 200
    assert "Model baseline (Shahed-type)" in figure["labels"]
    # the scenario's side moves with the controls
    page.locator(".jupyter-widget-Collapse-header", has_text="Production").click()
    type_value(page, "production_now", "160")
    expect(check).to_contain_text("outside the fit's 90% interval")
    expect(check).to_contain_text("160")


#: the Sobol chart's bars (vertical centre and thickness) and its whiskers' horizontal
#: strokes (vertical position), all in page pixels
SOBOL_GEOMETRY_JS = """() => {
  const title = [...document.querySelectorAll('svg text.mainheading')]
      .find(t => t.textContent.startsWith('Sobol indices:'));
  if (!title) return null;
  const fig = title.closest('.bqplot.figure');
  const bars = [...fig.querySelectorAll('rect.bar')].map(r => r.getBoundingClientRect())
      .map(b => ({centre: b.top + b.height / 2, height: b.height}));
  const path = fig.querySelector('path.line');
  const ctm = path.getScreenCTM(), svg = path.ownerSVGElement;
  const strokes = [];
  for (const part of (path.getAttribute('d') || '').split('M')) {
    const xy = (part.match(/-?\\d*\\.?\\d+(?:e[-+]?\\d+)?/gi) || []).map(Number);
    if (xy.length < 4) continue;
    const at = (i) => { const p = svg.createSVGPoint(); p.x = xy[2 * i]; p.y = xy[2 * i + 1];
                        return p.matrixTransform(ctm); };
    const a = at(0), b = at(xy.length / 2 - 1);
    if (Math.abs(a.y - b.y) < 0.01) strokes.push(a.y);  // horizontal: not an end cap
  }
  return {bars, strokes};
}"""


def test_sobol_whiskers_sit_on_their_bars(page):
    page.get_by_role("tab", name="What matters most?").click()
    page.locator(".bqplot.figure", has_text="Sobol indices:").scroll_into_view_if_needed(
        timeout=60_000)  # the indices and their bootstrap are computed when the tab opens
    page.wait_for_function(f"() => {{ const g = ({SOBOL_GEOMETRY_JS})(); "
                           "return g && g.strokes.length == 24 && g.bars[0].height > 5; }")
    geometry = page.evaluate(SOBOL_GEOMETRY_JS)
    strokes, bars = geometry["strokes"], geometry["bars"]
    assert len(strokes) == 24  # S1 and ST of the 12 assumptions shown
    for y in strokes:  # each whisker through the middle of a bar (the nearest one)
        nearest = min(bars, key=lambda b: abs(b["centre"] - y))
        assert nearest["height"] > 5 and abs(nearest["centre"] - y) <= 1.5, (y, nearest)


def test_plan_tab_loads_a_system_optimises_and_takes_the_best_plan(page):
    """Pick the two-line system: the Plan tab shows its sites and salvo, the headline
    counts the plan's missiles; Optimise reports the best plan, which can be taken; a
    refused table shows its message beside it and the page keeps working."""
    picker = page.locator(".widget-dropdown", has_text="Scenario").locator("select")
    picker.select_option(label="system-two-lines.yaml")
    expect(page.locator(".whatif-status")).to_contain_text("Loaded system-two-lines.yaml")
    expect(page.locator(card_selector("missiles_needed"))).to_have_text("30")
    page.get_by_role("tab", name="Plan").click()
    panel = page.locator(".whatif-plan")
    # the site table and the per-site chart (one line per site and national output) follow
    # the loaded system; under load they may be drawn a moment after the headline
    page.wait_for_function("""() => {
      const names = [...document.querySelectorAll('.whatif-plan .widget-text input')]
          .map(e => e.value);
      return ['line-a', 'line-b', 'engines'].every(n => names.includes(n)); }""",
                           timeout=STEP_MS)
    page.wait_for_function("""() => {
      const title = [...document.querySelectorAll('svg text.mainheading')]
          .find(t => t.textContent.startsWith('Capacity in action by site'));
      if (!title) return false;
      const labels = [...title.closest('.bqplot.figure').querySelectorAll('text.curve_label')]
          .map(t => t.textContent);
      return labels.length === 4 && labels.slice(0, 3).join() === 'line-a,line-b,engines';
    }""", timeout=STEP_MS)
    # optimise 12 missiles on the point estimate
    # (by name: each salvo's inputs are named "Missiles at <site> [missiles]")
    panel.get_by_role("spinbutton", name="Missiles", exact=True).fill("12")
    panel.get_by_role("spinbutton", name="Samples", exact=True).fill("0")
    panel.get_by_role("button", name="Optimise").click()
    report = panel.locator("table.whatif-table")
    expect(report).to_contain_text("Best", timeout=60_000)
    before = card(page, "capacity_loss")
    panel.get_by_role("button", name="Use the best plan").click()
    expect(page.locator(card_selector("missiles_needed"))).to_have_text("12")
    assert wait_for_card_change(page, "capacity_loss", before) != before
    # a refused table: a supplier that is not listed
    supplies = panel.locator("input[placeholder='share (0–1) or supplied sites']").nth(2)
    supplies.fill("line-a, nowhere")
    panel.get_by_role("button", name="Apply plan").click()
    expect(panel.locator(".whatif-plan-message")).to_contain_text(
        "supplies nowhere, which is not a listed site")
    expect(page.locator(card_selector("missiles_needed"))).to_have_text("12")
    assert page.page_errors == []


def test_download_samples_saves_the_run_on_screen(page, tmp_path):
    import pandas as pd

    from whatif.engine import simulate
    from whatif.scenario import Scenario

    page.get_by_role("button", name="Download samples").click()
    link = page.locator("a[download$='-samples.csv']")
    expect(link).to_have_text("Download baseline-public-figure-defaults-samples.csv")
    expect(page.locator(".whatif-status")).to_contain_text("Samples of the run on screen: 1 row")
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    table = pd.read_csv(saved)  # the point estimate on screen: one row
    result = simulate(Scenario.from_yaml(SCENARIOS / "baseline.yaml"), samples=0)
    assert len(table) == 1 and table.loc[0, "missiles"] == 30
    assert table[list(result.outputs)].iloc[0].tolist() == result.outputs.iloc[0].tolist()
    assert f"{table.loc[0, 'capacity_loss']:.1%}" == card(page, "capacity_loss") == "66.1%"


#: the markers of the "When does it work?" trade-off chart (the trajectory and the box)
TRADE_OFF_JS = """() => {
  const title = [...document.querySelectorAll('svg text.mainheading')]
      .find(t => t.textContent.startsWith('When does it work?'));
  if (!title) return null;
  const fig = title.closest('.bqplot.figure');
  const dots = [...fig.querySelectorAll('.dot')].filter(d => !d.closest('.g_legend'));
  // the legend: HTML below the chart (bqplot's own, inside the plot area, is hidden)
  return {dots: dots.length,
          labels: [...fig.closest('.whatif-chart').querySelectorAll('.whatif-legend li')]
              .map(t => t.textContent)};
}"""


def test_when_does_it_work_tab_finds_the_box_on_demand(page):
    """Nothing is computed until the button is pressed; a bad threshold is refused beside
    it; then the tab shows the box the views logic finds, and the trade-off's points."""
    from whatif.scenario import Scenario
    from whatif.views.discovery import conditions, when_it_works

    page.get_by_role("tab", name="When does it work?").click()
    panel = page.locator(".whatif-discovery-panel")
    button = panel.get_by_role("button", name="Find when it works")
    expect(button).to_be_visible()
    assert panel.locator(".whatif-discovery").inner_text().strip() == ""
    threshold = panel.locator(".widget-text", has_text="at least").locator("input")
    threshold.fill("1.5")
    threshold.press("Enter")
    expect(panel.locator(".whatif-error")).to_contain_text("out of range for capacity_loss")
    threshold.fill("0.9")
    threshold.press("Enter")
    expect(panel.locator(".whatif-error")).to_have_text("")
    button.click()
    report = panel.locator(".whatif-discovery")
    expect(report).to_contain_text("It works when:", timeout=60_000)
    expected = when_it_works(Scenario.from_yaml(SCENARIOS / "baseline.yaml"),
                             "capacity_loss", 0.9, seed=0)
    for text in conditions(expected.result, expected.box):
        expect(report).to_contain_text(text)
    expect(panel.locator(".whatif-discovery-status")).to_contain_text("400 futures × 200")
    page.wait_for_function(f"() => {{ const r = ({TRADE_OFF_JS})(); "
                           "return r && r.dots > 1; }")
    chart = page.evaluate(TRADE_OFF_JS)
    assert chart["dots"] == len(expected.box.trajectory) + 1  # every step, and the box
    assert {"Each step of the peeling", "The box shown"} <= set(chart["labels"])
    assert page.page_errors == []
