"""The tenant's answer page and a text answer, beside a bare endpoint of the same app.

``GET /t/<slug>`` (a touchpoint with a live question and a ready video) and ``POST /t/<slug>``
(a text answer with a score, stored and counted in the funnel) against ``GET /healthz``, all
served by one gunicorn with the Procfile's settings on PostgreSQL (SQLite when it is not
reachable). Three figures:

* CPU time of the gunicorn processes per request, and its ratio to the bare endpoint's
  (targets: the page at most 2x, the answer at most 4x);
* at a fixed rate (open loop: each request has its moment, latency counts from that moment,
  so a slow server cannot hide behind fewer requests): requests per second served and p99;
* the page's weight as a phone downloads it: HTML plus its stylesheets, compressed
  (target: at most 30 KB).

    python -m tests.benchmarks.bench_answering [--requests 300] [--rounds 3] [--rate 40]
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import queue
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.benchmarks.bench_busy_pages import (
    _children,
    _free_port,
    _settings,
    cpu_seconds,
    make_database,
    start_gunicorn,
)

PAGE_TARGET = 2.0
ANSWER_TARGET = 4.0
WEIGHT_TARGET = 30 * 1024
FORM = "application/x-www-form-urlencoded"
TEXT = (
    "Trapphuset är mycket bättre sedan renoveringen, men dörren till cykelrummet går trögt "
    "och lampan på tredje våningen blinkar. "
) * 3


def seed(database_url: str, instance: Path) -> str:
    """A housing company with a live question (ready video) on a QR touchpoint; its slug."""
    from media.models import MediaFile, MediaStatus
    from panel.accounts.models import Role
    from panel.accounts.service import create_user
    from panel.app import create_app
    from panel.core.db import utcnow
    from panel.core.extensions import db
    from panel.core.scoping import scoped_to
    from panel.organisations.models import Organisation
    from panel.places.service import ensure_path
    from panel.questions.models import Question, QuestionStatus
    from touchpoints.service import create_touchpoint

    app = create_app(_settings(database_url, instance, env="development"), serving=False)
    with app.app_context():
        session = db.session()
        org = Organisation(name="Bostadsbolaget Ängsbacken", slug="angsbacken")
        session.add(org)
        session.flush()
        with scoped_to(session, org.id):
            owner = create_user(
                session,
                org,
                "asa@example.org",
                Role.STAFF,
                "stairwell-lantern-meadow",
                name="Åsa Öberg",
            )
            for area in range(3):
                for building in range(4):
                    for stairs in "ABC":
                        ensure_path(
                            session, [f"Område {area}", f"Hus {building}", f"Trapp {stairs}"]
                        )
            media = MediaFile(
                organisation_id=org.id,
                public_id=uuid.uuid4().hex,
                status=MediaStatus.READY,
                kind="video",
                duration_seconds=42.5,
                width=1280,
                height=720,
                language="sv",
                renditions={"mp4": "m/q.mp4", "poster": "m/q.jpg", "audio": "m/q.mp3"},
                captions_vtt="WEBVTT\n\n00:00.000 --> 00:04.000\nHej! Hur trivs du?\n",
                progress=100,
                processed_at=utcnow(),
            )
            session.add(media)
            session.flush()
            question = Question(
                organisation_id=org.id,
                owner_id=owner.id,
                title="Hur trivs du i trapphuset på Ängsbacksvägen?",
                prompt="Hej! Jag heter Åsa och är förvaltare här. Berätta hur du trivs. " * 4,
                language="sv",
                answer_modes=["score", "text", "video", "audio"],
                choices=[],
                status=QuestionStatus.LIVE,
                published_at=utcnow(),
                media_id=media.id,
            )
            session.add(question)
            session.flush()
            touchpoint = create_touchpoint(
                session, {"name": "Flygblad", "kind": "link"}, [(question.id, utcnow().date())]
            )
            session.commit()
            return touchpoint.slug


class Client:
    """One keep-alive connection, as a phone's browser holds one."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(
        self, method: str, path: str, body: str | None = None, **headers: str
    ) -> tuple[int, bytes, Any]:
        self.connection.request(method, path, body=body, headers={"User-Agent": "bench", **headers})
        response = self.connection.getresponse()
        return response.status, response.read(), response.headers


def answer_body() -> str:
    return urlencode({"submission": secrets.token_urlsafe(18), "text": TEXT, "score": "8"})


def calls(slug: str) -> dict[str, Any]:
    """name: a function making one request on a client (status, body, headers)."""
    return {
        "bare    GET /healthz": lambda c: c.request("GET", "/healthz"),
        "page    GET /t/<slug>": lambda c: c.request(
            "GET", f"/t/{slug}?src=qr", **{"Accept-Encoding": "gzip, br"}
        ),
        "answer  POST /t/<slug>": lambda c: c.request(
            "POST", f"/t/{slug}?src=qr", answer_body(), **{"Content-Type": FORM}
        ),
    }


def cpu_per_request(
    port: int, pids: list[int], slug: str, requests: int, rounds: int
) -> dict[str, float]:
    client = Client(port)
    targets = calls(slug)
    for call in targets.values():
        for _ in range(30):
            status, body, _headers = call(client)
            assert status in (200, 303), f"{status}: {body[:300]!r}"
    cpu = dict.fromkeys(targets, 0.0)
    for _ in range(rounds):
        for name, call in targets.items():
            before = cpu_seconds(pids)
            for _ in range(requests):
                call(client)
            cpu[name] += cpu_seconds(pids) - before
    return {name: total / (requests * rounds) for name, total in cpu.items()}


def at_fixed_rate(
    port: int, call: Any, rate: float, seconds: float, threads: int = 8
) -> tuple[float, float]:
    """Open loop: request i is due at start + i / rate; returns (served per second, p99 ms)."""
    due: queue.Queue[float | None] = queue.Queue()
    latencies: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        client = Client(port)
        while (moment := due.get()) is not None:
            delay = moment - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            status, _body, _headers = call(client)
            took = time.perf_counter() - moment
            assert status in (200, 303), status
            with lock:
                latencies.append(took)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start = time.perf_counter() + 0.2
    count = int(rate * seconds)
    for i in range(count):
        due.put(start + i / rate)
    for _ in workers:
        due.put(None)
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - start
    return len(latencies) / elapsed, statistics.quantiles(latencies, n=100)[98] * 1000


def page_weight(port: int, slug: str) -> tuple[int, int, int]:
    """(HTML as served, stylesheets as served, both gzip-compressed here) in bytes."""
    client = Client(port)
    status, raw, headers = client.request("GET", f"/t/{slug}", **{"Accept-Encoding": "gzip, br"})
    assert status == 200
    html = _decoded(raw, headers)
    css_served, css_plain = 0, b""
    for href in re.findall(rb'<link rel="stylesheet" href="([^"]+)"', html):
        status, body, sheet_headers = client.request(
            "GET", href.decode(), **{"Accept-Encoding": "gzip, br"}
        )
        css_served += len(body)
        css_plain += _decoded(body, sheet_headers)
    compressed = (
        len(gzip.compress(html, 9)) + len(gzip.compress(css_plain, 9))
        if css_plain
        else len(gzip.compress(html, 9))
    )
    return len(raw), css_served, compressed


def _decoded(body: bytes, headers: Any) -> bytes:
    encoding = headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli  # type: ignore[import-not-found]

        return brotli.decompress(body)
    return body


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=40.0, help="requests/s at the fixed rate")
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    database_url, drop = make_database()
    instance = Path(tempfile.mkdtemp(prefix="stoop-bench-instance-"))
    os.environ["STOOP_ANSWER_RATE_LIMIT"] = "1000000 per minute"  # one client sends them all
    redis = _redis()
    if redis:
        # As in production: caches and counters in Redis, and background work for the workers
        # (none run here), so the web processes do only the requests being measured.
        os.environ["STOOP_REDIS_URL"] = redis
        os.environ["STOOP_BROKER_URL"] = redis
    try:
        slug = seed(database_url, instance)
        kind = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
        shared = "Redis" if redis else "no Redis (in-process cache, counts in the database)"
        print(
            f"a live question on a touchpoint, on {kind} with {shared}; gunicorn as in the Procfile"
        )
        port = _free_port()
        server = start_gunicorn(database_url, instance, port)
        try:
            pids = [server.pid, *_children(server.pid)]
            cpu = cpu_per_request(port, pids, slug, args.requests, args.rounds)
            rates = {
                name: at_fixed_rate(port, call, args.rate, args.seconds)
                for name, call in calls(slug).items()
            }
            weight = page_weight(port, slug)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        return report(cpu, rates, weight, args.rate)
    finally:
        drop()
        shutil.rmtree(instance, ignore_errors=True)
        os.environ.pop("STOOP_ANSWER_RATE_LIMIT", None)
        os.environ.pop("STOOP_REDIS_URL", None)
        os.environ.pop("STOOP_BROKER_URL", None)


def _redis() -> str | None:
    """A Redis database of its own for the run, emptied; None when Redis is not running."""
    url = os.environ.get("STOOP_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except Exception:  # noqa: BLE001 - no Redis: measure the embedded way
        return None
    return url


def report(
    cpu: dict[str, float],
    rates: dict[str, tuple[float, float]],
    weight: tuple[int, int, int],
    rate: float,
) -> int:
    bare = cpu["bare    GET /healthz"]
    targets = {"page": PAGE_TARGET, "answer": ANSWER_TARGET}
    at_rate = f"req/s @{rate:g}"
    print(
        f"{'endpoint':26} {'CPU ms/req':>10} {'ratio':>7} {'target':>7} {at_rate:>10} {'p99 ms':>8}"
    )
    for name, seconds in cpu.items():
        ratio = seconds / bare if bare else float("inf")
        target = targets.get(name.split()[0])
        served, p99 = rates[name]
        mark = f"≤{target:g}x" if target else ""
        print(f"{name:26} {seconds * 1000:10.2f} {ratio:6.1f}x {mark:>7} {served:10.1f} {p99:8.1f}")
    html, css, compressed = weight
    print(
        f"answer page: HTML {html / 1024:.1f} KB + CSS {css / 1024:.1f} KB as served; "
        f"{compressed / 1024:.1f} KB compressed (target ≤ {WEIGHT_TARGET // 1024} KB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
