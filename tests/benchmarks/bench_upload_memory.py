"""Benchmark: memory of the web process while a 1 GiB clip is uploaded in local mode.

Run with ``make bench`` or ``python -m tests.benchmarks.bench_upload_memory``. Starts the app
the way the Procfile does (gunicorn, ``-k gthread``, one worker) on loopback with a fresh SQLite
database in a temporary folder, signs in a staff member through the login form, and sends the
real upload flow: ``POST /app/media/uploads``, then the raw body to the streaming upload URL
with the page's CSRF token. The body is generated on the fly (an EBML header and zeros), once
with a Content-Length and once chunked, so the client holds no more than a chunk either.

The worker's resident memory is sampled from ``/proc/<pid>/status`` every 20 ms, and its peak
(``VmHWM``, reset through ``/proc/<pid>/clear_refs`` after warming up) is compared with its
resident size at rest just before. Target: under 100 MB above idle. The stored file's size is
checked, then everything is removed.

Options: ``--mib N`` (upload size, default 1024), ``--no-chunked``.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

TARGET_MIB = 100
CHUNK = 1024 * 1024
BIN = Path(sys.executable).parent
PASSWORD = "a long benchmark password"


class GeneratedBody:
    """``size`` bytes made on the fly: a WebM signature, then zeros. Sized, so requests sends
    a Content-Length and reads it piece by piece."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.sent = 0
        self._zeros = bytes(CHUNK)

    def __len__(self) -> int:
        return self.size

    def read(self, amount: int = -1) -> bytes:
        amount = CHUNK if amount is None or amount < 0 else min(amount, CHUNK)
        amount = min(amount, self.size - self.sent)
        if amount <= 0:
            return b""
        head = b"\x1a\x45\xdf\xa3" if self.sent == 0 else b""
        chunk = head + self._zeros[: amount - len(head)]
        self.sent += amount
        return chunk

    def chunks(self) -> Iterator[bytes]:
        """The same bytes as a generator (requests then sends them chunked)."""
        while chunk := self.read(CHUNK):
            yield chunk


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def status_kib(pid: int, field: str) -> int:
    """A ``VmRSS``/``VmHWM`` line of /proc/<pid>/status, in KiB."""
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB", text, re.MULTILINE)
    return int(found.group(1)) if found else 0


def reset_peak(pid: int) -> bool:
    """Reset the kernel's peak-RSS counter of ``pid`` (Linux 4.0+); False if not allowed."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def worker_pid(master: int, timeout: float = 20.0) -> int:
    """The one gunicorn worker of ``master``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def stoop(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "stoop"), *args], env=env, check=True, capture_output=True, text=True
    )
    return result.stdout.strip()


@contextmanager
def web_server(env: dict[str, str], port: int) -> Iterator[tuple[str, int]]:
    """gunicorn as in the Procfile (one gthread worker); yields (base URL, worker pid)."""
    command = [
        str(BIN / "gunicorn"), "-k", "gthread", "--workers", "1", "--threads", "4",
        "--timeout", "120", "--bind", f"127.0.0.1:{port}", "panel.app:create_app()",
    ]  # fmt: skip
    master = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base, worker_pid(master.pid)
    finally:
        master.send_signal(signal.SIGTERM)
        master.wait(timeout=30)


def sign_in(base: str, email: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = session.post(
        f"{base}/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code in (302, 303), response.text[:300]
    return session, token


class Sampler:
    """Samples a process's VmRSS in a thread; ``peak_kib`` is the highest seen."""

    def __init__(self, pid: int, every: float = 0.02) -> None:
        self.pid, self.every = pid, every
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, status_kib(self.pid, "VmRSS"))
            time.sleep(self.every)


def upload(base: str, session: requests.Session, token: str, size: int, chunked: bool) -> str:
    """The browser's upload flow for ``size`` generated bytes; returns the upload URL."""
    headers = {"X-CSRFToken": token, "Accept": "application/json"}
    started = session.post(
        f"{base}/app/media/uploads",
        json={"filename": "big.webm", "content_type": "video/webm", "size": size},
        headers=headers,
        timeout=10,
    )
    assert started.status_code == 201, started.text
    url = base + started.json()["upload"]["url"]
    body = GeneratedBody(size)
    sent = session.post(
        url,
        data=body.chunks() if chunked else body,
        headers={**headers, "Content-Type": "video/webm"},
        timeout=600,
    )
    assert sent.status_code == 204, sent.text[:300]
    return url


def measure(base: str, pid: int, email: str, size: int, chunked: bool) -> tuple[int, int, float]:
    """(idle KiB, peak KiB, seconds) of one upload of ``size`` bytes."""
    session, token = sign_in(base, email)
    upload(base, session, token, 4 * CHUNK, chunked)  # warm the code path up
    time.sleep(0.3)
    idle = status_kib(pid, "VmRSS")
    exact_peak = reset_peak(pid)
    started = time.perf_counter()
    with Sampler(pid) as sampler:
        upload(base, session, token, size, chunked)
    seconds = time.perf_counter() - started
    peak = max(sampler.peak_kib, status_kib(pid, "VmHWM") if exact_peak else 0)
    return idle, peak, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=1024)
    parser.add_argument("--no-chunked", action="store_true")
    args = parser.parse_args(argv)
    size = args.mib * CHUNK

    with tempfile.TemporaryDirectory(prefix="stoop-bench-upload-") as folder:
        env = {
            **os.environ,
            "STOOP_ENV": "development",
            "STOOP_INSTANCE_DIR": folder,
            "STOOP_SECRET_KEY": "bench-" + "x" * 40,
            "STOOP_MEDIA_MAX_UPLOAD_MB": str(args.mib + 16),
            "STOOP_LOG_JSON": "0",
        }
        stoop(env, "db", "upgrade")
        slug = stoop(env, "org", "create", "Bench Bostäder")
        email = "bench@example.org"
        stoop(env, "user", "create", "--org", slug, "--email", email, "--role", "staff",
              "--password", PASSWORD)  # fmt: skip
        ways = [False] if args.no_chunked else [False, True]
        failed = False
        with web_server(env, free_port()) as (base, pid):
            for chunked in ways:
                idle, peak, seconds = measure(base, pid, email, size, chunked)
                stored = sorted(Path(folder, "media").rglob("original.webm"))
                assert any(p.stat().st_size == size for p in stored), "the upload was not stored"
                for path in stored:
                    path.unlink()
                above = (peak - idle) / 1024
                label = "chunked" if chunked else "Content-Length"
                print(
                    f"{args.mib} MiB upload ({label}): {seconds:5.1f} s "
                    f"({args.mib / seconds:5.0f} MiB/s); worker RSS idle {idle / 1024:5.1f} MiB, "
                    f"peak {peak / 1024:5.1f} MiB, above idle {above:5.1f} MiB "
                    f"(target < {TARGET_MIB})",
                    flush=True,
                )
                failed |= above >= TARGET_MIB
        print("TARGET MISSED" if failed else "target met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
