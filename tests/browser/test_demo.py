"""`stoop demo` on an empty instance: the admin login it prints works in Chromium."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.test_login import log_in
from tests.conftest import TEST_MODELS_DIR, free_port

pytestmark = [pytest.mark.browser, pytest.mark.integration]

STOOP = Path(sys.executable).parent / "stoop"
START_TIMEOUT = 120  # seeding 300 contacts and hashing three passwords on a busy 2-core box


def _wait_until_serving(url: str, process: subprocess.Popen[str], output: list[str]) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"stoop demo exited with {process.returncode}:\n" + "".join(output))
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail("stoop demo did not start serving in time:\n" + "".join(output))


def _read_admin_login(process: subprocess.Popen[str], output: list[str]) -> tuple[str, str]:
    """Read stdout until the line that starts with 'admin': '  admin  EMAIL  password: PW'."""
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            pytest.fail("stoop demo printed no admin login:\n" + "".join(output))
        output.append(line)
        if line.strip().startswith("admin"):
            match = re.search(r"(\S+@\S+)\s+password:\s*(\S+)", line)
            assert match, f"cannot read the admin login from {line!r}"
            return match.group(1), match.group(2)
    pytest.fail("stoop demo printed no admin login in time:\n" + "".join(output))


def _drain(process: subprocess.Popen[str], output: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line)


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """`stoop demo` in its own process group on a free port; yields (url, email, password)."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STOOP_")}
    env.update(
        STOOP_INSTANCE_DIR=str(tmp_path / "instance"),
        STOOP_MODELS_DIR=str(TEST_MODELS_DIR),  # the speech model, joined once for the run
        PYTHONUNBUFFERED="1",
    )
    process = subprocess.Popen(
        [str(STOOP), "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    try:
        email, password = _read_admin_login(process, output)
        # Keep reading so the server never blocks on a full pipe (it logs every request).
        threading.Thread(target=_drain, args=(process, output), daemon=True).start()
        url = f"http://127.0.0.1:{port}"
        _wait_until_serving(url, process, output)
        yield url, email, password
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def test_demo_admin_login_works_in_chromium(demo_server, page):
    url, email, password = demo_server

    log_in(page, email, password, base_url=url)

    page.wait_for_url(re.compile(r"/app/?$"))
    assert page.get_by_text("Demo Bostäder").first.is_visible()
