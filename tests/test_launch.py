"""Tests of ``whatif.launch``: the address is given only once the server answers (and its
first page is ready); a server that exits or never answers gives one clear line.

Stand-in servers are small Python one-liners (``http.server`` for one that answers), so
these run in seconds and need neither Voilà nor a browser.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from whatif import launch
from whatif.errors import WhatifError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_server(port: int, delay: float = 0.0, lifetime: float = 4.0) -> list[str]:
    """A server that starts listening after ``delay`` s and exits after ``lifetime`` s."""
    code = (f"import http.server, threading, time, os; time.sleep({delay}); "
            f"s = http.server.HTTPServer(('127.0.0.1', {port}), "
            "http.server.SimpleHTTPRequestHandler); "
            f"threading.Timer({lifetime}, lambda: os._exit(0)).start(); s.serve_forever()")
    return [sys.executable, "-c", code]


def test_address_given_only_once_the_server_answers(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    answered_when_ready: list[int] = []

    def on_ready() -> None:  # the first request right away: no retry
        with urllib.request.urlopen(url, timeout=5) as response:
            answered_when_ready.append(response.status)

    started = time.monotonic()
    code = launch.serve(http_server(port, delay=1.0, lifetime=3.0), {}, url, None, on_ready,
                        timeout=30)
    assert answered_when_ready == [200]
    assert time.monotonic() - started >= 1.0  # it did wait for the server
    assert code == 0


def test_waits_for_the_ready_file_too(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    ready = tmp_path / "ready"
    seen: list[bool] = []
    threading.Timer(1.5, lambda: ready.write_text("1")).start()  # the page is ready later
    launch.serve(http_server(port, lifetime=3.0), {}, url, ready,
                 lambda: seen.append(ready.exists() and launch.answers(url)), timeout=30)
    assert seen == [True]


def test_a_server_that_exits_first_gives_one_line_with_its_reason():
    script = ("import sys; print('[Voila] starting', file=sys.stderr); "
              "print('[Voila] ERROR: no available port could be found.', file=sys.stderr); "
              "sys.exit(1)")
    called: list[bool] = []
    with pytest.raises(WhatifError) as info:
        launch.serve([sys.executable, "-c", script], {}, f"http://127.0.0.1:{free_port()}/",
                      None, lambda: called.append(True), timeout=30)
    message = str(info.value)
    assert "\n" not in message
    assert "exited (code 1)" in message
    assert message.endswith("ERROR: no available port could be found.")
    assert called == []


def test_a_server_that_never_answers_is_stopped_with_one_line(tmp_path):
    marker = tmp_path / "still-running"
    script = (f"import time, pathlib\np = pathlib.Path({str(marker)!r})\n"
              "for _ in range(600):\n    p.write_text(str(time.time()))\n    time.sleep(0.1)\n")
    pattern = r"did not answer on http://127\.0\.0\.1:\d+/ within 1 s"
    with pytest.raises(WhatifError, match=pattern):
        launch.serve([sys.executable, "-c", script], {}, f"http://127.0.0.1:{free_port()}/",
                     None, lambda: None, timeout=1)
    last = marker.stat().st_mtime
    time.sleep(0.5)
    assert marker.stat().st_mtime == last  # the server was stopped


def test_answers_counts_any_http_reply_as_up(tmp_path):
    import http.server

    port = free_port()
    assert launch.answers(f"http://127.0.0.1:{port}/", timeout=1) is False  # refused
    server = http.server.HTTPServer(("127.0.0.1", port), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        assert launch.answers(f"http://127.0.0.1:{port}/no-such-page", timeout=5) is True  # 404
    finally:
        server.shutdown()
        server.server_close()


def test_held_log_keeps_the_last_error_line():
    log = launch._HeldLog(iter(["[Voila] a\n", "[Voila] ERROR | boom one\n", "[X] fine\n", "\n"]))
    log.run()
    assert log.reason() == "ERROR | boom one"
    log = launch._HeldLog(iter(["[Voila] nothing wrong\n"]))
    log.run()
    assert log.reason() == "nothing wrong"


def test_serve_restores_the_signal_handlers(tmp_path):
    """serve() restores the signal handlers it replaced."""
    import signal

    before = {sig: signal.getsignal(sig) for sig in launch.FORWARDED}
    with pytest.raises(WhatifError):
        launch.serve([sys.executable, "-c", "raise SystemExit(3)"], {},
                     f"http://127.0.0.1:{free_port()}/", Path(tmp_path / "r"), lambda: None,
                     timeout=5)
    assert {sig: signal.getsignal(sig) for sig in launch.FORWARDED} == before


def test_the_app_says_it_is_ready_once_computed(tmp_path, monkeypatch):
    """The app's side: ``from_environment`` computes before returning (so a pre-heated
    kernel holds a finished page) and then writes ``$WHATIF_READY_FILE``."""
    from whatif.ui.app import WhatifApp

    ready = tmp_path / "ready"
    monkeypatch.setenv("WHATIF_READY_FILE", str(ready))
    monkeypatch.setenv("WHATIF_SCENARIO", str(Path(__file__).resolve().parent.parent / "data"
                                              / "scenarios" / "kagan-25-30.yaml"))
    app = WhatifApp.from_environment()
    assert ready.read_text().strip().isdigit()
    assert app.result is not None and app.solve is not None
    assert app.scenario.title.startswith("Kagan — 25 to 30")  # $WHATIF_SCENARIO taken in
    monkeypatch.setenv("WHATIF_READY_FILE", str(tmp_path / "no-such-folder" / "ready"))
    assert WhatifApp.from_environment().result is not None  # cannot write it: no matter
