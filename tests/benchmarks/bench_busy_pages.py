"""The two busiest pages beside a bare endpoint of the same app, under gunicorn.

``GET /app/questions`` (a logged-in staff member) and ``GET /api/v1/questions/`` (an API token)
against ``GET /healthz``, all served by one gunicorn with the Procfile's settings (gthread, 2
workers, 8 threads) in production mode, on a realistic organisation: 48 questions with ready
videos, a team, an API token. What is measured is the CPU time of the gunicorn processes (from
``/proc/<pid>/stat``, before and after N requests per endpoint, in interleaved rounds), per
request, and its ratio to the bare endpoint's. Target: each page at most 5x.

PostgreSQL when ``STOOP_BENCH_DATABASE_URL`` (or the Makefile's PG_URL default) is reachable,
else SQLite. ``--profile`` instead profiles each endpoint in-process with cProfile (the Flask
test client, same database and settings) and prints where the time goes.

    python -m tests.benchmarks.bench_busy_pages [--requests 300] [--rounds 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import os
import pstats
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("STOOP_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET = "bench-secret-key-that-is-long-enough-for-production"
PASSWORD = "correct horse battery staple"
QUESTIONS = 48
TARGET = 5.0
CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:04.000\nHej! Hur trivs du i trapphuset?\n"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Org:
    email: str
    token: str


# --- the database and the organisation --------------------------------------------------------


def make_database() -> tuple[str, Any]:
    """A fresh migrated database; returns (url, cleanup)."""
    from panel.core.migrate import upgrade

    url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        admin = sa.create_engine(
            url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3}
        )
        name = f"stoop_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        made = sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

    except sa.exc.OperationalError:
        folder = Path(tempfile.mkdtemp(prefix="stoop-bench-"))
        made = f"sqlite:///{folder / 'bench.sqlite3'}"

        def drop() -> None:
            shutil.rmtree(folder, ignore_errors=True)

    upgrade(made)
    return made, drop


def seed(database_url: str, instance: Path) -> Org:
    """A housing company as it looks after a few months: a team, 48 questions in every state,
    each with a ready video, long Swedish texts."""
    from media.models import MediaFile, MediaStatus
    from panel.accounts.models import Role
    from panel.accounts.service import create_user
    from panel.accounts.tokens import create_token
    from panel.app import create_app
    from panel.core.db import utcnow
    from panel.core.extensions import db
    from panel.core.scoping import scoped_to
    from panel.organisations.models import Organisation
    from panel.questions.models import Question, QuestionStatus

    app = create_app(_settings(database_url, instance, env="development"), serving=False)
    with app.app_context():
        session = db.session()
        org = Organisation(
            name="Bostadsbolaget Ängsbacken", slug="angsbacken", default_language="sv"
        )
        session.add(org)
        session.flush()
        with scoped_to(session, org.id):
            staff = create_user(
                session, org, "asa.oberg@example.org", Role.STAFF, PASSWORD, name="Åsa Öberg"
            )
            team = [
                create_user(
                    session,
                    org,
                    f"kollega{n}@example.org",
                    Role.STAFF,
                    PASSWORD,
                    name=f"Kollega {n} Ĳsbrand",
                )
                for n in range(8)
            ]
            _row, token = create_token(session, staff, "benchmark")
            statuses = [QuestionStatus.LIVE, QuestionStatus.DRAFT, QuestionStatus.CLOSED]
            for n in range(QUESTIONS):
                media = MediaFile(
                    organisation_id=org.id,
                    public_id=uuid.uuid4().hex,
                    status=MediaStatus.READY,
                    kind="video",
                    duration_seconds=42.5,
                    width=1280,
                    height=720,
                    content_type="video/webm",
                    language="sv",
                    renditions={"mp4": f"m/{n}.mp4", "poster": f"m/{n}.jpg", "audio": f"m/{n}.mp3"},
                    captions_vtt=CAPTIONS,
                    progress=100,
                    processed_at=utcnow(),
                )
                session.add(media)
                session.flush()
                session.add(
                    Question(
                        organisation_id=org.id,
                        owner_id=(staff if n % 3 == 0 else team[n % len(team)]).id,
                        title=f"Hur trivs du i trapphuset på Ängsvägen {n}? Berätta gärna mer",
                        prompt="Hej! Jag heter Åsa och är förvaltare här. " * 8,
                        language="sv",
                        answer_modes=["score", "text", "video"],
                        choices=[],
                        status=statuses[n % 3],
                        published_at=utcnow() if n % 3 != 1 else None,
                        media_id=media.id,
                    )
                )
            session.commit()
    return Org(email="asa.oberg@example.org", token=token)


def _settings(database_url: str, instance: Path, env: str = "production") -> Any:
    from panel.core.config import Settings

    return Settings.from_env(environ=_environ(database_url, instance, env))


def _environ(database_url: str, instance: Path, env: str = "production") -> dict[str, str]:
    return {
        "STOOP_ENV": env,
        "STOOP_SECRET_KEY": SECRET,
        "STOOP_DATABASE_URL": database_url,
        "STOOP_INSTANCE_DIR": str(instance),
        "STOOP_ALLOW_INSECURE": "1",  # SQLite when PostgreSQL is not reachable
        "STOOP_BASE_URL": "http://127.0.0.1",
        "STOOP_LOG_JSON": "1",
        # Logged-in staff read pages all day: keep the login limits out of the way.
        "STOOP_LOGIN_RATE_LIMIT": "1000 per minute",
    }


# --- gunicorn --------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url: str, instance: Path, port: int) -> subprocess.Popen[bytes]:
    """gunicorn as the Procfile's ``web:`` line starts it."""
    procfile = (ROOT / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    command = web.split(":", 1)[1].strip()
    command = command.replace("${WEB_CONCURRENCY:-2}", "2").replace(
        "0.0.0.0:${PORT:-8000}", f"127.0.0.1:{port}"
    )
    args = [sys.executable, "-m"] + [a.strip("'") for a in command.split()]
    env = {**os.environ, **_environ(database_url, instance), "PYTHONPATH": str(ROOT)}
    log = (instance / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                if len(_children(process.pid)) >= 2:
                    return process
        except OSError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not start:\n{(instance / 'gunicorn.log').read_text()[-3000:]}")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes, in seconds."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / CLOCK_TICKS


class Browser:
    """One keep-alive HTTP connection with a cookie jar of one session."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        sent = {"User-Agent": "stoop-bench"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        sent.update(headers or {})
        if sent.get("Cookie") == "-":
            del sent["Cookie"]
        self.connection.request(method, path, body=body, headers=sent)
        response = self.connection.getresponse()
        text = response.read().decode(errors="replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text

    def log_in(self, email: str) -> None:
        _status, page = self.request("GET", "/login")
        csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
            r'name="csrf_token" value="([^"]+)"', page
        )
        assert csrf, "no CSRF token on the login page"
        from urllib.parse import urlencode

        form = urlencode({"csrf_token": csrf.group(1), "email": email, "password": PASSWORD})
        status, _ = self.request(
            "POST", "/login", form, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 303, f"login answered {status}"


# --- measuring ---------------------------------------------------------------------------------


def endpoints(org: Org) -> dict[str, tuple[str, dict[str, str]]]:
    """name: (path, headers). The bare endpoint is called as a health checker calls it: no
    session cookie (``Cookie: -`` stands for none)."""
    return {
        "bare  GET /healthz": ("/healthz", {"Cookie": "-"}),
        "page  GET /app/questions": ("/app/questions", {}),
        "api   GET /api/v1/questions/": (
            "/api/v1/questions/",
            {"Authorization": f"Bearer {org.token}"},
        ),
    }


def measure(port: int, pids: list[int], org: Org, requests: int, rounds: int) -> dict[str, Any]:
    browser = Browser(port)
    browser.log_in(org.email)
    targets = endpoints(org)
    for path, headers in targets.values():  # warm up every worker and cache
        for _ in range(40):
            status, body = browser.request("GET", path, headers=headers)
            assert status == 200, f"{path} answered {status}: {body[:300]}"
    cpu: dict[str, float] = dict.fromkeys(targets, 0.0)
    wall: dict[str, list[float]] = {name: [] for name in targets}
    for _ in range(rounds):
        for name, (path, headers) in targets.items():
            before = cpu_seconds(pids)
            for _ in range(requests):
                started = time.perf_counter()
                status, _body = browser.request("GET", path, headers=headers)
                wall[name].append(time.perf_counter() - started)
                assert status == 200
            cpu[name] += cpu_seconds(pids) - before
    total = requests * rounds
    return {name: (cpu[name] / total, statistics.median(wall[name])) for name in targets}


def report(results: dict[str, Any]) -> int:
    bare_cpu = results["bare  GET /healthz"][0]
    print(f"{'endpoint':34} {'CPU ms/req':>10} {'ratio':>7} {'wall ms (median)':>17}")
    failed = 0
    for name, (cpu, wall) in results.items():
        ratio = cpu / bare_cpu if bare_cpu else float("inf")
        print(f"{name:34} {cpu * 1000:10.2f} {ratio:6.1f}x {wall * 1000:17.2f}")
        failed += not name.startswith("bare") and ratio > TARGET
    verdict = "within" if not failed else "OVER"
    print(f"target: each page at most {TARGET:.0f}x the bare endpoint: {verdict}")
    return 0


# --- profiling ---------------------------------------------------------------------------------


def profile(database_url: str, instance: Path, org: Org, requests: int) -> None:
    """cProfile of each endpoint through the Flask test client (same app, same settings)."""
    from panel.app import create_app

    app = create_app(_settings(database_url, instance))
    app.config["WTF_CSRF_ENABLED"] = False
    browser = app.test_client()
    browser.post("/login", data={"email": org.email, "password": PASSWORD})
    for name, (path, headers) in endpoints(org).items():
        client = app.test_client() if headers.pop("Cookie", None) == "-" else browser
        for _ in range(20):
            client.get(path, headers=headers)
        profiler = cProfile.Profile(time.process_time)  # CPU time, as the benchmark measures
        profiler.enable()
        for _ in range(requests):
            client.get(path, headers=headers)
        profiler.disable()
        print(f"\n===== {name}: {requests} requests")
        for order, lines in (("cumulative", 45), ("tottime", 25)):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(lines)
            print("\n".join(out.getvalue().splitlines()[2:]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile instead of measuring")
    args = parser.parse_args()
    database_url, drop = make_database()
    instance = Path(tempfile.mkdtemp(prefix="stoop-bench-instance-"))
    try:
        org = seed(database_url, instance)
        kind = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
        print(f"{QUESTIONS} questions with ready videos on {kind}; gunicorn as in the Procfile")
        if args.profile:
            profile(database_url, instance, org, args.requests)
            return 0
        port = _free_port()
        server = start_gunicorn(database_url, instance, port)
        try:
            pids = [server.pid, *_children(server.pid)]
            results = measure(port, pids, org, args.requests, args.rounds)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        return report(results)
    finally:
        drop()
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
