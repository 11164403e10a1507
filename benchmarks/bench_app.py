"""App responsiveness in the browser: first render, and slider change → headline and charts.

    .venv/bin/python benchmarks/bench_app.py [--moves 40] [--bursts 5] [--tab-moves 32]
        [--first-renders 5] [--baseline-root DIR --baseline-label COMMIT] [--write]
    .venv/bin/python benchmarks/bench_app.py --first-render-only [--first-renders 5]

First render: ``whatif app`` is started as a person starts it and timed until it prints
its address (which must answer the first request at once); then, each time on an idle
server (a pre-heated page ready), a fresh browser context requests the page, timed in
the page from the navigation's start until the sliders and the four charts are drawn.
``--baseline-root`` times another whatif tree the same way (e.g. ``git archive`` of the
commit before a change, unpacked), for a before/after.

Starts ``whatif app`` (Voilà) on a free port on 127.0.0.1, opens it in headless Chromium
(Debian's ``/usr/bin/chromium`` driven by Playwright; no browser is downloaded) and moves
sliders from the keyboard, one step at a time, first in point-estimate mode and then in
Monte Carlo mode at 2,000 samples.

How a move is timed, in the page: a ``keydown`` listener (capture phase) records
``performance.now()`` when the key reaches the page; MutationObservers on the headline
container and on each of the four chart figures record ``performance.now()`` of every DOM
change after it. The move is over once nothing has changed for ``--quiet-ms`` (600 ms);
its latency is the time of the *last* change in the headline or the charts (so the
headline and every chart the move affects are up to date), and "headline" is the
time of the last change in the headline alone. ``requestAnimationFrame`` after the last
change gives the frame that shows it ("to next frame"). Each move is one slider step
(ArrowRight/ArrowLeft; PageUp/PageDown = 5 steps for the sliders whose step is 0.001),
alternating in direction, over several sliders (missiles, repair_days, site_share,
energy_share). A move whose display does not change at all is counted but not timed.

Then the "What matters most?" tab is opened (point estimate, Sobol at its default 1,024
base samples) and ``--tab-moves`` more slider steps are timed the same way, with
MutationObservers on the tornado and the Sobol figures too: "tornado" is the last change
in the tornado chart, "tornado and Sobol" the last change in either (sliders that bear on
drones denied: missiles, repair_days, site_share, aimpoint_kill_probability).

"Bursts" imitate a drag: 10 steps 40 ms apart on the missiles slider; timed from the
*last* key press to the display settled (what a person waits for after letting go),
with the number of headline updates the page drew along the way.

The server side (``WhatifApp.last_refresh_seconds``) is not visible from the browser, so
it is estimated in-process, before the browser run: ``WhatifApp(immediate=True)`` and
the same kind of one-step changes, in both modes.

With ``--write`` the section "## App responsiveness (browser)" of docs/BENCHMARKS.md is
replaced (or appended; the file is created if missing). Nothing else in it is touched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import queue
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test harness's server helpers

import app_server  # noqa: E402  (tests/app_server.py)

DOC = ROOT / "docs" / "BENCHMARKS.md"
SECTION = "## App responsiveness (browser)"
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
TARGETS = {"point": 200.0, "mc": 400.0}  # P95 of slider → headline and charts, ms
TARGET_TORNADO = 300.0  # P95 of slider → tornado chart updated, ms (its tab shown)
MODE_LABEL = {"point": "Point estimate", "mc": "Monte Carlo, 2,000 samples"}
CARD = "div.whatif-card[data-key=capacity_loss] .whatif-card-value"

#: (accordion group, parameter, key up, key down) — a step each
SLIDERS = [
    ("Strike", "missiles", "ArrowRight", "ArrowLeft"),
    ("Production", "repair_days", "ArrowRight", "ArrowLeft"),
    ("Production", "site_share", "PageUp", "PageDown"),
    ("Campaign & grid", "energy_share", "PageUp", "PageDown"),
]

#: for the "What matters most?" tab: each moves the tornado of drones denied
TAB_SLIDERS = [
    ("Strike", "missiles", "ArrowRight", "ArrowLeft"),
    ("Production", "repair_days", "ArrowRight", "ArrowLeft"),
    ("Production", "site_share", "PageUp", "PageDown"),
    ("Strike", "aimpoint_kill_probability", "PageUp", "PageDown"),
]
TAB_TITLE = "What matters most?"

INSTRUMENT_JS = r"""
() => {
  if (window.__bench) return window.__bench.figures;
  const B = window.__bench = {t0: null, head: [], chart: [], frame: null, figures: 0};
  const headline = document.querySelector('.whatif-headline');
  const figures = [...document.querySelectorAll('.bqplot.figure')].slice(0, 4);
  B.figures = figures.length;
  const opts = {subtree: true, childList: true, characterData: true, attributes: true};
  const record = (list) => () => {
    if (B.t0 === null) return;
    const t = performance.now();
    list.push(t);
    requestAnimationFrame(() => { B.frame = performance.now(); });
  };
  new MutationObserver(record(B.head)).observe(headline, opts);
  figures.forEach(f => new MutationObserver(record(B.chart)).observe(f, opts));
  window.addEventListener('keydown', () => {
    B.t0 = performance.now(); B.head.length = 0; B.chart.length = 0; B.frame = null;
    B.keys = (B.keys || 0) + 1;
  }, true);
  return B.figures;
}
"""

#: observers on the tornado and Sobol figures (found by their titles), reset on keydown
TAB_INSTRUMENT_JS = r"""
() => {
  const B = window.__bench;
  if (B.tornado) return true;
  const figures = [...document.querySelectorAll('.bqplot.figure')];
  const titled = (prefix) => figures.find(f => [...f.querySelectorAll('text.mainheading')]
    .some(t => t.textContent.startsWith(prefix)));
  const tornado = titled('What matters most'), sobol = titled('Sobol indices');
  if (!tornado || !sobol) return false;
  B.tornado = []; B.sobol = [];
  const opts = {subtree: true, childList: true, characterData: true, attributes: true};
  const record = (list) => () => {
    if (B.t0 === null) return;
    list.push(performance.now());
    requestAnimationFrame(() => { B.frame = performance.now(); });
  };
  new MutationObserver(record(B.tornado)).observe(tornado, opts);
  new MutationObserver(record(B.sobol)).observe(sobol, opts);
  window.addEventListener('keydown', () => { B.tornado.length = 0; B.sobol.length = 0; }, true);
  return true;
}
"""

SETTLED_JS = """([quiet, giveUp]) => {
  const B = window.__bench, now = performance.now();
  if (B.t0 === null) return false;
  const end = a => (a && a.length) ? a[a.length - 1] : -1;
  const last = Math.max(end(B.head), end(B.chart), end(B.tornado), end(B.sobol));
  if (last < 0) return now - B.t0 > giveUp;
  return now - last > quiet && (B.frame !== null);
}"""

RESULT_JS = """() => {
  const B = window.__bench, last = a => (a && a.length) ? a[a.length - 1] - B.t0 : null;
  const all = B.head.concat(B.chart, B.tornado || [], B.sobol || []);
  return {headline: last(B.head), charts: last(B.chart), tornado: last(B.tornado),
          sobol: last(B.sobol),
          any: all.length ? Math.max(...all) - B.t0 : null,
          frame: B.frame === null ? null : B.frame - B.t0,
          headline_updates: B.head.length, keys: B.keys};
}"""


SHOWN_JS = app_server.SHOWN_JS  # sliders and the four charts drawn

TARGET_FIRST_RENDER_S = 3.0  # request → sliders and charts shown, compiled model cached


#: the tables' header rows (markdown)
FIRST_RENDER_HEADER = ("| Code | Address printed after [s] | First request to the printed address "
                       "| First render, median [s] | Fastest – slowest [s] | Runs |")
SLIDER_HEADER = ("| Mode | Moves | Median [ms] | P95 [ms] | Slowest [ms] "
                 "| Headline only, median / P95 | Charts only, median / P95 "
                 "| To next frame, median / P95 | Server-side refresh, median / P95 |")
TAB_HEADER = ("| Mode | Moves | Tornado median [ms] | Tornado P95 [ms] | Tornado slowest [ms] "
              "| Sobol, median / P95 | Everything, median / P95 | Headline, median / P95 "
              "| Server-side refresh, median / P95 |")


# --- machine ---------------------------------------------------------------------------

def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def chromium_version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    match = re.search(r"Chromium [\d.]+", out)
    return match.group(0) if match else out.strip().splitlines()[0]


def git_commit() -> str:
    """The commit, marked when the app's code (whatif/, notebooks/) has uncommitted edits."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "whatif", "notebooks"],
                               cwd=ROOT, capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return head + (" + uncommitted edits to whatif/ or notebooks/" if dirty.strip() else "")


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("voila", "ipywidgets", "bqplot", "playwright"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "?"
    return out


# --- statistics ------------------------------------------------------------------------

def percentile(values: list[float], q: float) -> float:
    """Linear-interpolation percentile (as numpy's default)."""
    xs = sorted(values)
    if not xs:
        return float("nan")
    k = (len(xs) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "median": statistics.median(values) if values else float("nan"),
            "p95": percentile(values, 95), "max": max(values) if values else float("nan")}


def ms(x: float) -> str:
    return "—" if x != x else (f"{x:,.0f}" if x >= 100 else f"{x:.1f}")


# --- server side, in-process -------------------------------------------------------------

def server_side(repeats: int, samples: int) -> dict[str, dict[str, float]]:
    """``WhatifApp(immediate=True).refresh()`` times (ms) for one-step slider changes: in
    point-estimate and Monte Carlo mode, then ("tab") in point-estimate mode with the
    "What matters most?" tab shown (tornado and Sobol indices recomputed too)."""
    from whatif.ui.app import WhatifApp

    app = WhatifApp(immediate=True)
    app.samples.value = samples
    out = {}
    steps = [("missiles", 30, 31), ("repair_days", 60.0, 61.0), ("site_share", 0.85, 0.855),
             ("energy_share", 0.5, 0.505)]
    for mode in ("point", "mc", "tab"):
        app.mode.value = "mc" if mode == "mc" else "point"
        app.tabs.selected_index = 1 if mode == "tab" else 0
        app.refresh()  # warm-up
        times = []
        for i in range(repeats):
            name, a, b = steps[i % len(steps)]
            app.set_value(name, b if (i // len(steps)) % 2 == 0 else a)
            times.append(app.last_refresh_seconds * 1000)
        for name, a, _ in steps:
            app.set_value(name, a)
        out[mode] = summary(times)
    return out


# --- the app server -------------------------------------------------------------------

# --- the browser ------------------------------------------------------------------------

def local_only(route) -> None:
    if route.request.url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
        route.continue_()
    else:
        route.abort()  # e.g. the widgets' Font Awesome CSS from a CDN


def open_group(page, title: str, name: str) -> None:
    control = page.locator(f".whatif-param-{name}")
    if not control.is_visible():
        page.locator(".jupyter-widget-Collapse-header", has_text=title).click()
    control.wait_for(state="visible")


def wait_settled(page, quiet_ms: float, give_up_ms: float = 5000) -> dict:
    page.wait_for_function(SETTLED_JS, arg=[quiet_ms, give_up_ms], polling=25,
                           timeout=give_up_ms + 60_000)
    return page.evaluate(RESULT_JS)


def idle(page, quiet_ms: float) -> None:
    """Wait until the headline and charts have been still for ``quiet_ms``."""
    page.evaluate("() => { const B = window.__bench; B.t0 = performance.now();"
                  " B.head.length = 0; B.chart.length = 0; B.frame = null;"
                  " if (B.tornado) { B.tornado.length = 0; B.sobol.length = 0; } }")
    wait_settled(page, quiet_ms, give_up_ms=quiet_ms)


def measure_moves(page, moves: int, quiet_ms: float, sliders=SLIDERS) -> list[dict]:
    out = []
    per = [moves // len(sliders) + (1 if i < moves % len(sliders) else 0)
           for i in range(len(sliders))]
    for (group, name, up, down), count in zip(sliders, per, strict=False):
        open_group(page, group, name)
        handle = page.locator(f".whatif-param-{name} .noUi-handle")
        box = page.locator(f".whatif-param-{name} .whatif-value input")
        idle(page, quiet_ms)
        for i in range(count):
            handle.focus()
            before = box.input_value()
            key = up if i % 2 == 0 else down
            page.keyboard.press(key)
            result = wait_settled(page, quiet_ms)
            result.update(slider=name, key=key, before=before, after=box.input_value())
            out.append(result)
    return out


def measure_bursts(page, bursts: int, quiet_ms: float, steps: int = 10,
                   gap_ms: float = 40) -> list[dict]:
    out = []
    open_group(page, "Strike", "missiles")
    handle = page.locator(".whatif-param-missiles .noUi-handle")
    box = page.locator(".whatif-param-missiles .whatif-value input")
    start = box.input_value()
    idle(page, quiet_ms)
    for b in range(bursts):
        handle.focus()
        key = "ArrowRight" if b % 2 == 0 else "ArrowLeft"
        heads = 0
        for s in range(steps):
            if s:  # headline redraws since the previous key press
                heads += page.evaluate("() => window.__bench.head.length")
            page.keyboard.press(key)
            if s < steps - 1:
                page.wait_for_timeout(gap_ms)
        result = wait_settled(page, quiet_ms)  # t0 = the last key press
        heads += result["headline_updates"]
        result.update(headline_draws=heads, steps=steps)
        out.append(result)
    if box.input_value() != start:  # an odd number of bursts: back to where it started
        box.fill(start)
        box.press("Enter")
        idle(page, quiet_ms)
    return out


def set_mode(page, mode: str, samples: int, quiet_ms: float) -> None:
    header = page.locator(".jupyter-widget-Collapse-header", has_text="Uncertainty")
    buttons = page.get_by_role("button", name="Monte Carlo")
    if not buttons.is_visible():
        header.click()
    picker = page.get_by_role("combobox", name="Samples", exact=True)  # (the Uncertainty one)
    if picker.input_value() != str(samples):
        picker.select_option(str(samples))
    page.get_by_role("button", name="Monte Carlo" if mode == "mc" else "Point estimate").click()
    if mode == "mc":
        page.locator("div.whatif-card[data-key=capacity_loss] .whatif-spread").wait_for(
            timeout=60_000)
    idle(page, quiet_ms)


def open_sensitivity_tab(page, quiet_ms: float) -> None:
    """Back to point estimates, then the "What matters most?" tab, its charts instrumented."""
    set_mode(page, "point", 2000, quiet_ms)
    page.locator(".lm-TabBar-tab", has_text=TAB_TITLE).click()
    page.wait_for_function("() => [...document.querySelectorAll('.bqplot.figure text.mainheading')]"
                           ".some(t => t.textContent.includes('base samples'))", timeout=60_000)
    page.wait_for_function(TAB_INSTRUMENT_JS, timeout=30_000)
    idle(page, quiet_ms)


def browser_run(url: str, moves: int, bursts: int, samples: int, quiet_ms: float,
                tab_moves: int = 32) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        context = browser.new_context(viewport={"width": 1600, "height": 1200})
        context.route("**/*", local_only)
        page = context.new_page()
        started = time.perf_counter()
        page.goto(url, timeout=180_000)
        page.wait_for_selector(CARD, timeout=180_000)
        results["load_seconds"] = time.perf_counter() - started
        page.set_default_timeout(30_000)
        page.wait_for_function("() => document.querySelectorAll('.bqplot.figure').length >= 4")
        figures = page.evaluate(INSTRUMENT_JS)
        assert figures == 4, figures
        idle(page, quiet_ms)
        for mode in ("point", "mc"):
            if mode == "mc":
                set_mode(page, "mc", samples, quiet_ms)
            print(f"  {MODE_LABEL[mode]}: {moves} moves ...", flush=True)
            results[mode] = {"moves": measure_moves(page, moves, quiet_ms),
                             "bursts": measure_bursts(page, bursts, quiet_ms)}
        print(f"  {TAB_TITLE} tab, point estimate: {tab_moves} moves ...", flush=True)
        open_sensitivity_tab(page, quiet_ms)
        results["tab"] = {"moves": measure_moves(page, tab_moves, quiet_ms, TAB_SLIDERS)}
        page.screenshot(path=str(Path(os.environ.get("TMPDIR", "/tmp")) / "bench_app_last.png"))
        context.close()
        browser.close()
    return results


# --- first render -----------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str, method: str = "HEAD", timeout: float = 60) -> int | None:
    """The HTTP status of one request to ``url`` (None: refused or no answer)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method),
                                    timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _tree(pid: int) -> list:
    import psutil

    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.Error:
        return []


def wait_idle(pid: int, cores: float = 0.1, quiet: int = 3, timeout: float = 180) -> float:
    """Wait until the app's processes (server, kernels) have used less than ``cores`` CPUs
    for ``quiet`` seconds in a row, e.g. a pre-heated kernel has finished heating;
    returns seconds waited."""
    import psutil

    started = time.monotonic()
    still = 0
    while time.monotonic() - started < timeout and still < quiet:
        procs = _tree(pid)
        for proc in procs:
            try:
                proc.cpu_percent(None)
            except psutil.Error:
                pass
        time.sleep(1.0)
        used = 0.0
        for proc in procs:
            try:
                used += proc.cpu_percent(None) / 100
            except psutil.Error:
                pass
        still = still + 1 if used < cores else 0
    return time.monotonic() - started


def start_app(log: Path, env: dict | None = None, cwd: Path = ROOT, timeout: float = 300) -> dict:
    """``whatif app --port P`` as a person runs it: the seconds until it prints its address
    (and until each line it prints), then one request to that address at once."""
    port = _free_port()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "whatif.cli", "app", "--port", str(port)],
                            cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=log.open("w"), text=True,
                            start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()
    printed, url = [], None
    while url is None:
        try:
            line = lines.get(timeout=max(0.1, timeout - (time.perf_counter() - started)))
        except queue.Empty:
            stop_app(proc)
            raise RuntimeError(f"whatif app printed no address in {timeout:.0f} s:\n"
                               f"{log.read_text()}") from None
        printed.append((round(time.perf_counter() - started, 2), line.rstrip()))
        match = re.search(r"serving on (http://\S+)", line)
        if match:
            url = match.group(1)
    url_seconds = time.perf_counter() - started
    first = time.perf_counter()
    status = _answers(url, method="GET", timeout=120)  # the first request, no retry
    first_seconds = time.perf_counter() - first
    answered_after = 0.0
    if status is None:  # the old behaviour: the address came before the server
        while _answers(url) is None:
            time.sleep(0.05)
        answered_after = time.perf_counter() - first
    return {"proc": proc, "url": url, "url_seconds": url_seconds, "printed": printed,
            "first_status": status, "first_seconds": first_seconds,
            "answered_after": answered_after}


def stop_app(proc: subprocess.Popen) -> None:
    """SIGTERM ``whatif app`` as a supervisor would, then make sure nothing is left."""
    leftovers = _tree(proc.pid)[1:]
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    time.sleep(1)
    for child in leftovers:
        try:
            if child.is_running():
                child.kill()
        except Exception:
            pass


def first_render(runs: int, log: Path, env: dict | None = None, cwd: Path = ROOT) -> dict:
    """Start ``whatif app``; then ``runs`` times, each on an idle server: a fresh browser
    context requests the page, timed in the page from the navigation's start
    (``performance.now()``, checked every frame) until the sliders and the four charts
    are drawn (:data:`SHOWN_JS`)."""
    from playwright.sync_api import sync_playwright

    app = start_app(log, env, cwd)
    proc = app.pop("proc")
    time.sleep(4)  # the first request took a pre-heated page: its refill starts (Voilà)
    loads = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            for _ in range(runs):
                wait_idle(proc.pid)  # e.g. the pre-heated kernel taken by the last request
                context = browser.new_context(viewport={"width": 1600, "height": 1200})
                context.route("**/*", local_only)
                page = context.new_page()
                requested = time.monotonic()
                page.goto(app["url"], wait_until="commit", timeout=180_000)
                page.wait_for_function(SHOWN_JS, polling="raf", timeout=180_000)
                loads.append(page.evaluate("() => performance.now()") / 1000)
                context.close()
                time.sleep(max(0.0, 4.0 - (time.monotonic() - requested)))  # refill starts
            browser.close()
    finally:
        stop_app(proc)
    app["loads"] = loads
    return app


# --- report -----------------------------------------------------------------------------

def analyse(results: dict) -> dict:
    out = {}
    for mode in ("point", "mc"):
        moves = results[mode]["moves"]
        timed = [m for m in moves if m["any"] is not None]
        slowest = max(timed, key=lambda m: m["any"]) if timed else None
        out[mode] = {
            "full": summary([m["any"] for m in timed]),
            "frame": summary([m["frame"] for m in timed if m["frame"] is not None]),
            "headline": summary([m["headline"] for m in timed if m["headline"] is not None]),
            "charts": summary([m["charts"] for m in timed if m["charts"] is not None]),
            "untimed": len(moves) - len(timed),
            "no_headline": sum(1 for m in timed if m["headline"] is None),
            "slowest": slowest,
            "per_slider": {name: summary([m["any"] for m in timed if m["slider"] == name])
                           for _, name, _, _ in SLIDERS},
            "bursts": summary([b["any"] for b in results[mode]["bursts"] if b["any"] is not None]),
            "burst_draws": [b["headline_draws"] for b in results[mode]["bursts"]],
        }
    moves = results["tab"]["moves"]
    out["tab"] = {
        "n": len(moves),
        "tornado": summary([m["tornado"] for m in moves if m["tornado"] is not None]),
        "sobol": summary([m["sobol"] for m in moves if m["sobol"] is not None]),
        "full": summary([m["any"] for m in moves if m["any"] is not None]),
        "headline": summary([m["headline"] for m in moves if m["headline"] is not None]),
        "no_tornado": sum(1 for m in moves if m["tornado"] is None),
        "per_slider": {name: summary([m["tornado"] for m in moves
                                      if m["slider"] == name and m["tornado"] is not None])
                       for _, name, _, _ in TAB_SLIDERS},
    }
    return out


def first_render_rows(first: dict) -> tuple[list[str], float]:
    """Table rows of the first-render runs (this code, and the baseline if measured);
    and this code's median."""
    rows = []
    for label, run in first.items():
        loads = run["loads"]
        if run["first_status"] is None:
            request = f"refused; answered {run['answered_after']:.1f} s later"
        else:
            request = f"HTTP {run['first_status']} in {run['first_seconds']:.2f} s"
        # each message the command printed before the address, with when it came
        steps = "; ".join(f"{t:.1f} s: {text.split(': ', 1)[-1].split(' (')[0].rstrip('.')}"
                          for t, text in run["printed"][:-1])
        rows.append(f"| {label} | **{run['url_seconds']:.1f}** ({steps}) | {request} "
                    f"| **{statistics.median(loads):.2f}** | {min(loads):.2f} – {max(loads):.2f} "
                    f"| {len(loads)} |")
    return rows, statistics.median(first["this code"]["loads"])


def render(info: dict, stats: dict, server: dict, args, date: str, first: dict) -> str:
    rows = []
    for mode in ("point", "mc"):
        s = stats[mode]
        f, h, c, fr = s["full"], s["headline"], s["charts"], s["frame"]
        rows.append(f"| {MODE_LABEL[mode]} | {f['n']} | **{ms(f['median'])}** | **{ms(f['p95'])}** "
                    f"| {ms(f['max'])} | {ms(h['median'])} / {ms(h['p95'])} "
                    f"| {ms(c['median'])} / {ms(c['p95'])} | {ms(fr['median'])} / {ms(fr['p95'])} "
                    f"| {ms(server[mode]['median'])} / {ms(server[mode]['p95'])} |")
    target_rows = []
    for mode in ("point", "mc"):
        p95 = stats[mode]["full"]["p95"]
        verdict = "PASS" if p95 < TARGETS[mode] else "FAIL"
        target_rows.append(f"| P95 slider → headline and charts, {MODE_LABEL[mode]} "
                           f"< {TARGETS[mode]:.0f} ms | {ms(p95)} ms | {verdict} |")
    slider_rows = []
    for _, name, up, _ in SLIDERS:
        per = [stats[m]["per_slider"][name] for m in ("point", "mc")]
        cells = " | ".join(f"{ms(s['median'])} / {ms(s['p95'])}" for s in per)
        step = "1 step" if up.startswith("Arrow") else "5 steps, PageUp/PageDown"
        slider_rows.append(f"| `{name}` ({step}) | {cells} |")
    burst_rows = []
    for mode in ("point", "mc"):
        b = stats[mode]["bursts"]
        draws = ", ".join(map(str, stats[mode]["burst_draws"]))
        burst_rows.append(f"| {MODE_LABEL[mode]} | {b['n']} | {ms(b['median'])} | {ms(b['p95'])} "
                          f"| {ms(b['max'])} | {draws} |")
    notes = []
    for mode in ("point", "mc"):
        s = stats[mode]
        slow = s["slowest"]
        if slow:
            notes.append(f"Slowest move, {MODE_LABEL[mode]}: `{slow['slider']}` "
                         f"{slow['before']} → {slow['after']} ({slow['key']}), "
                         f"{ms(slow['any'])} ms.")
        if s["no_headline"]:
            notes.append(f"{MODE_LABEL[mode]}: {s['no_headline']} of {s['full']['n']} moves "
                         "changed the charts but no headline figure (timed on the charts).")
        if s["untimed"]:
            notes.append(f"{MODE_LABEL[mode]}: {s['untimed']} moves changed nothing on screen "
                         "(not timed).")
    notes = [f"- {n}" for n in notes]
    tab = stats["tab"]
    tab_rows = (f"| Point estimate, tab shown | {tab['n']} | **{ms(tab['tornado']['median'])}** "
                f"| **{ms(tab['tornado']['p95'])}** | {ms(tab['tornado']['max'])} "
                f"| {ms(tab['sobol']['median'])} / {ms(tab['sobol']['p95'])} "
                f"| {ms(tab['full']['median'])} / {ms(tab['full']['p95'])} "
                f"| {ms(tab['headline']['median'])} / {ms(tab['headline']['p95'])} "
                f"| {ms(server['tab']['median'])} / {ms(server['tab']['p95'])} |")
    tab_sliders = "\n".join(
        f"| `{name}` ({'1 step' if up.startswith('Arrow') else '5 steps, PageUp/PageDown'}) "
        f"| {ms(tab['per_slider'][name]['median'])} / {ms(tab['per_slider'][name]['p95'])} |"
        for _, name, up, _ in TAB_SLIDERS)
    tab_note = (f"\n\n{tab['no_tornado']} of {tab['n']} moves left the tornado unchanged "
                "(not in the tornado columns)." if tab["no_tornado"] else "")
    tornado_p95 = tab["tornado"]["p95"]
    target_rows.append(f"| P95 slider → tornado chart updated, {TAB_TITLE} tab "
                       f"< {TARGET_TORNADO:.0f} ms | {ms(tornado_p95)} ms "
                       f"| {'PASS' if tornado_p95 < TARGET_TORNADO else 'FAIL'} |")
    first_rows, first_median = first_render_rows(first)
    target_rows.insert(0, f"| First render (request → sliders and charts shown), median "
                          f"< {TARGET_FIRST_RENDER_S:.0f} s | {first_median:.2f} s "
                          f"| {'PASS' if first_median < TARGET_FIRST_RENDER_S else 'FAIL'} |")
    baseline = (f" `--baseline-root` ran the code before this change ({args.baseline_label}) "
                "the same way, from a copy of its tree." if len(first) > 1 else "")
    machine = "\n".join(f"| {k} | {v} |" for k, v in info.items())
    command = (f".venv/bin/python benchmarks/bench_app.py --moves {args.moves} "
               f"--tab-moves {args.tab_moves} --write")
    return f"""{SECTION}

Generated by `{command}`
on {date}. `whatif app` (Voilà) on 127.0.0.1, the page in headless Chromium
(Playwright, `/usr/bin/chromium --headless --disable-gpu`); browser, server and kernel
share the machine below.

| | |
|---|---|
{machine}

**First render** (the compiled model cached on disk). `whatif app --port P` is started as
a person starts it, and timed until it prints its address (the times of the lines it
prints before are in brackets); one request goes to that address at once. Then
{args.first_renders} times: once the server and its kernels are idle (a pre-heated page
ready), a fresh browser context (empty cache) requests the page, timed in the page from
the start of the navigation (`performance.now()`, checked every animation frame) until
the sliders and the four charts are drawn: five or more slider handles, the first
visible, and each chart's figure visible with a drawn line or bars.{baseline}

{FIRST_RENDER_HEADER}
|---|---|---|---:|---:|---:|
{chr(10).join(first_rows)}

**Method.** One slider step at a time from the keyboard on the focused noUiSlider handle,
alternating direction, over `missiles`, `repair_days`, `site_share` and `energy_share`
({args.moves} moves per mode), first in point-estimate mode, then in Monte Carlo mode at
{args.samples:,} samples. In the page, a capture-phase `keydown` listener stamps
`performance.now()`; MutationObservers on the headline cards and on the four chart figures
stamp every DOM change after it. A move is over when nothing has changed for
{args.quiet_ms:.0f} ms; its latency is the **last** change in the headline or the charts, so
the headline and every chart the move affects are up to date (the keydown → kernel →
model → widget messages → DOM round trip). "Next frame" is the first
`requestAnimationFrame` after that change (when it can be on screen). The server-side
column is `WhatifApp(immediate=True).refresh()` timed in-process
(`last_refresh_seconds`; the model and the widget updates in Python, no browser) for
the same kind of changes, {args.server_repeats} runs per mode.

{SLIDER_HEADER}
|---|---:|---:|---:|---:|---:|---:|---:|---:|
{chr(10).join(rows)}

Per slider, slider → headline and charts, median / P95 [ms]:

| Slider | Point estimate | Monte Carlo |
|---|---:|---:|
{chr(10).join(slider_rows)}

{chr(10).join(notes)}

**Drag-like bursts** ({args.bursts} per mode): 10 steps of `missiles`, 40 ms apart; timed from
the last key press to the display settled. "Headline draws" is how many times the
headline was redrawn during each burst of 10 (fewer than 10: changes were coalesced).

| Mode | Bursts | Median [ms] | P95 [ms] | Slowest [ms] | Headline draws per burst |
|---|---:|---:|---:|---:|---|
{chr(10).join(burst_rows)}

**Live "{TAB_TITLE}" tab** ({args.tab_moves} moves): back in point-estimate mode, the
tab opened (tornado of drones denied, Sobol indices at the app's default 1,024 base
samples, seed 0), then one slider step at a time over `missiles`, `repair_days`,
`site_share` and `aimpoint_kill_probability` (each bears on drones denied), timed as
above with MutationObservers on the tornado and Sobol figures as well. "Tornado" is the
last change in the tornado chart; "Sobol" the last in the Sobol chart; "everything" the
last change anywhere (headline, charts, tornado, Sobol). The server-side column is the
in-process refresh with the tab shown (model, tornado, Sobol indices, widget updates).

{TAB_HEADER}
|---|---:|---:|---:|---:|---:|---:|---:|---:|
{tab_rows}

Per slider, slider → tornado, median / P95 [ms]:

| Slider | Tab shown |
|---|---:|
{tab_sliders}{tab_note}

### Targets

| Target | Measured | Result |
|---|---|---|
{chr(10).join(target_rows)}
"""


def write_section(text: str) -> None:
    """Replace (or append) the section in docs/BENCHMARKS.md, set off from what precedes it
    by a rule; create the file if missing. The rest of the file is left as it is."""
    DOC.parent.mkdir(exist_ok=True)
    doc = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
    lines = doc.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if line.rstrip() == SECTION), len(lines))
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].startswith("## ") or lines[i].startswith("# ")), len(lines))
    head = "".join(lines[:start]).rstrip("\n")
    if head and not head.endswith("---"):
        head += "\n\n---"
    tail = "".join(lines[end:])
    out = (head + "\n\n" if head else "") + text.rstrip("\n") + "\n" + ("\n" + tail if tail else "")
    DOC.write_text(out, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=40, help="slider moves per mode (default 40)")
    parser.add_argument("--bursts", type=int, default=5,
                        help="drag-like bursts per mode (default 5)")
    parser.add_argument("--samples", type=int, default=2000, choices=(500, 1000, 2000, 5000, 10000),
                        help="Monte Carlo samples (default 2000)")
    parser.add_argument("--tab-moves", type=int, default=32,
                        help="slider moves with the 'What matters most?' tab shown (default 32)")
    parser.add_argument("--quiet-ms", type=float, default=600,
                        help="a move is over after this long without a DOM change (default 600)")
    parser.add_argument("--server-repeats", type=int, default=40,
                        help="in-process refresh timings per mode (default 40)")
    parser.add_argument("--first-renders", type=int, default=5,
                        help="first-render runs, each from a fresh browser context (default 5)")
    parser.add_argument("--baseline-root", type=Path,
                        help="also time the first render of the whatif tree there (e.g. a "
                             "`git archive` of the commit before a change), for comparison")
    parser.add_argument("--baseline-label", default="baseline",
                        help="how the baseline is named in the report (e.g. its commit)")
    parser.add_argument("--first-render-only", action="store_true",
                        help="time the first render only and print it (no --write)")
    parser.add_argument("--json", type=Path, help="also save the raw per-move timings here")
    parser.add_argument("--write", action="store_true",
                        help=f"replace the '{SECTION}' section of docs/BENCHMARKS.md")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"bench_app: {CHROMIUM} not found (apt-get install chromium)", file=sys.stderr)
        return 2

    load_before = os.getloadavg()[0]
    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    first = {}
    print(f"first render, {args.first_renders} runs ...", flush=True)
    log = tmp / f"bench_app_first_{os.getpid()}.log"
    first["this code"] = first_render(args.first_renders, log)
    if args.baseline_root:
        print(f"first render of {args.baseline_root}, {args.first_renders} runs ...", flush=True)
        env = dict(os.environ, PYTHONPATH=str(args.baseline_root.resolve()))
        first[f"before ({args.baseline_label})"] = first_render(
            args.first_renders, tmp / f"bench_app_first_base_{os.getpid()}.log", env,
            args.baseline_root.resolve())
    for label, run in first.items():
        loads = ", ".join(f"{x:.2f}" for x in run["loads"])
        print(f"  {label}: address after {run['url_seconds']:.1f} s, first request "
              f"{run['first_status']} in {run['first_seconds']:.2f} s; first render [s]: {loads}")
    if args.first_render_only:
        return 0
    print("server side, in-process (WhatifApp(immediate=True).refresh()) ...", flush=True)
    server = server_side(args.server_repeats, args.samples)
    for mode in ("point", "mc", "tab"):
        s = server[mode]
        print(f"  {MODE_LABEL.get(mode, TAB_TITLE):<28} median {ms(s['median'])} ms, "
              f"P95 {ms(s['p95'])} ms")

    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench_app_server_{os.getpid()}.log"
    print("starting whatif app ...", flush=True)
    proc, url = app_server.start(log)
    try:
        print(f"browser on {url}", flush=True)
        results = browser_run(url, args.moves, args.bursts, args.samples, args.quiet_ms,
                              args.tab_moves)
    finally:
        app_server.stop(proc)
    load_after = os.getloadavg()[0]
    stats = analyse(results)

    info = {
        "CPU": cpu_model(),
        "Cores": f"{os.cpu_count()} logical",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "Chromium": chromium_version(),
        "Voilà / ipywidgets / bqplot / Playwright": " / ".join(versions().values()),
        "Code": git_commit(),
        "Load average (1 min) before / after": f"{load_before:.2f} / {load_after:.2f}",
    }
    date = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = render(info, stats, server, args, date, first)
    print()
    print(text)
    if args.json:
        args.json.write_text(json.dumps({"server": server, "browser": results,
                                         "first_render": first}, indent=1))
    if args.write:
        write_section(text)
        print(f"wrote the '{SECTION}' section of {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
