"""Run the app server (Voilà) as a child process and give its address only once it is usable.

``whatif app`` starts the server, waits until it answers HTTP and its pre-heated page is
ready (the page's kernel writes ``$WHATIF_READY_FILE``, see
:meth:`whatif.ui.app.WhatifApp.from_environment`), and only then prints the address; so
the first request is never refused and the first page shows at once. Until then the
server's log is held back; if the server exits or never answers, the command fails with
one line saying why. Afterwards the log passes through and the command waits for the
server, passing it SIGINT (Ctrl-C), SIGTERM and SIGHUP.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from whatif.errors import WhatifError

#: how long the server may take to answer and heat its first page [s]
START_TIMEOUT_S = 120.0
POLL_S = 0.05
FORWARDED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                  if hasattr(signal, name))

#: the app's Voilà template (``voila/templates/whatif`` under :data:`TEMPLATE_ROOT`): Voilà's
#: lab template and a small script that names the sliders' handles and the side panel and
#: makes the accordion's headers keyboard buttons (see docs/ACCESSIBILITY.md)
APP_TEMPLATE = "whatif"
#: a Jupyter data folder holding the template (shipped in the package)
TEMPLATE_ROOT = Path(__file__).resolve().parent / "ui" / "jupyter"


def use_app_template(cmd: list[str], env: dict[str, str]) -> None:
    """Make the Voilà command ``cmd`` serve the app with :data:`APP_TEMPLATE`: the option,
    and :data:`TEMPLATE_ROOT` first on ``$JUPYTER_PATH`` in ``env`` (where Voilà looks for
    templates)."""
    cmd.append(f"--template={APP_TEMPLATE}")
    paths = [str(TEMPLATE_ROOT), *filter(None, env.get("JUPYTER_PATH", "").split(os.pathsep))]
    env["JUPYTER_PATH"] = os.pathsep.join(dict.fromkeys(paths))


def answers(url: str, timeout: float = 2.0) -> bool:
    """True if ``url`` answers HTTP at all (a HEAD request; Voilà's 405 counts)."""
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


class _HeldLog(threading.Thread):
    """Reads the server's stderr: held back (the last lines kept) until :meth:`release`,
    then passed through to our stderr."""

    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.held: collections.deque[str] = collections.deque(maxlen=200)
        self.released = False
        self.lock = threading.Lock()

    def run(self) -> None:
        for line in self.stream:  # read to the end, whatever happens to our stderr
            with self.lock:
                if not self.released:
                    self.held.append(line)
                    continue
                try:
                    sys.stderr.write(line)
                    sys.stderr.flush()
                except (OSError, ValueError):  # closed or broken: the server must not block
                    pass

    def release(self) -> None:
        with self.lock:
            try:
                sys.stderr.writelines(self.held)
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
            self.held.clear()
            self.released = True

    def reason(self) -> str:
        """The server's last error line (or last line), for a one-line message."""
        with self.lock:
            lines = [line.strip() for line in self.held if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        text = (errors or lines or ["no message"])[-1]
        text = text.split("] ", 1)[1] if text.startswith("[") and "] " in text else text
        return text[:300]


def _die_with_parent() -> None:  # runs in the child before exec (Linux: prctl)
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def serve(cmd: list[str], env: dict[str, str], url: str, ready_file: Path | None,
          on_ready: Callable[[], None], timeout: float = START_TIMEOUT_S) -> int:
    """Run ``cmd``; call ``on_ready`` once ``url`` answers and ``ready_file`` exists (or,
    the server answering, ``timeout`` seconds have passed); return the server's exit code.

    Raises :class:`~whatif.errors.WhatifError` (one line) if the server exits first or
    does not answer within ``timeout`` seconds; the server is then stopped.
    """
    child = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True,
                             errors="replace", start_new_session=True,
                             preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    log = _HeldLog(child.stderr)
    log.start()
    stopping: list[int] = []

    def forward(signum, frame) -> None:
        stopping.append(signum)
        if child.poll() is None:
            child.send_signal(signum)

    previous = {sig: signal.signal(sig, forward) for sig in FORWARDED}
    try:
        deadline = time.monotonic() + timeout
        up = False
        while not stopping:
            if child.poll() is not None:
                raise WhatifError(f"the app server exited (code {child.returncode}) before "
                                  f"answering on {url}: {log.reason()}")
            up = up or answers(url, timeout=1.0)
            if up and (ready_file is None or ready_file.exists()):
                break
            if time.monotonic() > deadline:
                if not up:
                    raise WhatifError(f"the app server did not answer on {url} within "
                                      f"{timeout:.0f} s: {log.reason()}")
                print(f"whatif app: the first page is still being prepared after {timeout:.0f} "
                      "s; it may take a while to show", file=sys.stderr, flush=True)
                break
            time.sleep(POLL_S)
        log.release()
        if not stopping:
            on_ready()
        return child.wait()
    finally:
        if child.poll() is None:  # a failed start, or we were interrupted: stop it
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.join(timeout=2)
