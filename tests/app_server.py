"""Start and stop ``whatif app`` (Voilà) as a subprocess on 127.0.0.1.

Test-harness code, used by the browser tests and the app benchmark; a person runs
``whatif app`` instead.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: the page is "shown" once its sliders and its four charts are drawn: five or more slider
#: handles, the first visible, and each of the first four figures visible with a drawn line
#: or bars
SHOWN_JS = """() => {
  const visible = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const handles = document.querySelectorAll('.noUi-handle');
  if (handles.length < 5 || !visible(handles[0])) return false;
  const figures = [...document.querySelectorAll('.bqplot.figure')].slice(0, 4);
  return figures.length === 4 && figures.every(f => visible(f) && (
    [...f.querySelectorAll('path.line')].some(p => (p.getAttribute('d') || '').length > 20)
    || f.querySelectorAll('rect.bar').length > 0));
}"""


def free_port() -> int:
    """A port nothing listens on, on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    """True once the server answers HTTP (a HEAD request, which starts no kernel)."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=2)
    except urllib.error.HTTPError:
        return True  # Voilà answers HEAD with 405: it is up
    except OSError:
        return False
    return True


def descendants(pid: int) -> list:
    """The process's children, recursively (psutil objects; empty if it is gone)."""
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def kernels(pid: int) -> list[int]:
    """Kernel processes started by the server."""
    found = []
    for proc in descendants(pid):
        try:
            if any("ipykernel_launcher" in part for part in proc.cmdline()):
                found.append(proc.pid)
        except Exception:  # exited while we looked
            pass
    return found


def start(log: Path, *args: str, timeout: float = 120) -> tuple[subprocess.Popen, str]:
    """Run ``whatif app ARGS --port P`` and wait until it answers; returns (process, url)."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "whatif.cli", "app", *args, "--port", str(port)],
        cwd=REPO, stdout=Path(log).open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + timeout
    while not answers(url):
        if proc.poll() is not None:
            raise RuntimeError(
                f"whatif app exited with {proc.returncode}:\n{Path(log).read_text()}")
        if time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(
                f"whatif app did not answer in {timeout} s:\n{Path(log).read_text()}")
        time.sleep(0.25)
    return proc, url


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the app's process group (Voilà shuts its kernels down), then make sure."""
    leftovers = descendants(proc.pid)
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
    time.sleep(1)
    for child in leftovers:  # kernels run in their own sessions
        try:
            if child.is_running():
                child.kill()
        except Exception:
            pass


# --- the browser the tests drive --------------------------------------------------------------
#: Debian's Chromium (apt); Playwright never downloads a browser
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium():
    """Debian's Chromium driven by Playwright, for a module-scoped fixture to ``yield from``."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def local_only(route) -> None:
    """A Playwright route handler: requests to this machine go through, all others fail."""
    url = route.request.url
    if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "data:", "blob:")):
        route.continue_()
    else:
        route.abort()
