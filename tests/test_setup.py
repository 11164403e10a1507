"""The README's two commands: `make app` starts JupyterLab on the main notebook."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from app_server import free_port

REPO = Path(__file__).resolve().parent.parent


def test_readme_shows_exactly_two_setup_commands():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quick, flags=re.S)
    assert [b.strip() for b in blocks] == ["make app", "make test"]
    assert "make test" in (REPO / ".ci" / "run").read_text()


@pytest.mark.skipif(not (REPO / ".venv" / "bin" / "jupyter").exists(), reason="no .venv")
def test_make_app_serves_the_main_notebook():
    port = free_port()
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "app", f"LAB_ARGS=--no-browser --port={port} "
         "--ServerApp.token=test --ServerApp.port_retries=0"],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        url = f"http://127.0.0.1:{port}/api/contents/whatif.ipynb?token=test"
        status = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    status = response.status
                    break
            except OSError:
                time.sleep(0.5)
        assert status == 200, proc.stdout.read() if proc.poll() is not None else "no answer"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
