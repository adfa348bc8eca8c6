"""Fixtures of the webhook tests: a real HTTP receiver on loopback that records what it gets
and answers what it is told to, an admin's webhook pointing at it, and the periodic sweep run
as beat would run it (in an app context of its own)."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa

from panel.core.scoping import scoped_to
from panel.webhooks import service, tasks
from panel.webhooks.models import Webhook


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A threading HTTP server on 127.0.0.1. ``answer(500, 500)`` sets the next statuses;
    after those it answers ``default``. ``delay`` makes it think before answering."""

    requests: list[Received] = field(default_factory=list)
    replies: list[int] = field(default_factory=list)
    default: int = 200
    delay: float = 0.0
    _server: http.server.ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> Receiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver._record(Received(self.path, dict(self.headers), body))
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                reply = b"nope" if status >= 400 else b""
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def _record(self, received: Received) -> int:
        with self._lock:
            self.requests.append(received)
            return self.replies.pop(0) if self.replies else self.default

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/stoop?from=stoop"

    def answer(self, *statuses: int) -> None:
        self.replies.extend(statuses)

    def clear(self) -> None:
        self.requests.clear()
        self.replies.clear()
        self.default = 200
        self.delay = 0.0


@pytest.fixture(scope="session")
def _receiver_session() -> Iterator[Receiver]:
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def receiver(_receiver_session: Receiver) -> Receiver:
    """The loopback receiver, emptied for this test."""
    _receiver_session.clear()
    return _receiver_session


@pytest.fixture
def settings(app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app's settings, with retries due at once (a base of 0 s)."""
    stoop = app.config["STOOP"]
    monkeypatch.setattr(stoop, "webhook_retry_base_seconds", 0.0)
    return stoop


def make_webhook(db_session: Any, admin: Any, url: str, events: list[str]) -> tuple[Webhook, str]:
    """A webhook of the admin's organisation, committed; with its secret."""
    with scoped_to(db_session, admin.organisation_id):
        webhook, secret = service.create_webhook(db_session, admin, url=url, events=events)
        db_session.commit()
    return webhook, secret


@pytest.fixture
def webhook(db_session: Any, admin: Any, receiver: Receiver, settings: Any) -> Any:
    """A webhook of the admin's organisation for every event, pointing at the receiver."""
    found, secret = make_webhook(db_session, admin, receiver.url, list(service.EVENTS))
    found.test_secret = secret  # type: ignore[attr-defined]
    return found


def emit_and_commit(db_session: Any, organisation_id: int, event: str, data: dict) -> None:
    """Emit an event in a transaction of its own and commit it (its deliveries start)."""
    with scoped_to(db_session, organisation_id):
        service.emit(db_session, organisation_id, event, data)
        db_session.commit()


def sweep(app: Any) -> int:
    """One run of the periodic job, in an app context of its own, as beat runs it."""
    with app.app_context():
        return tasks.deliver_due.run()


def sweep_until_quiet(app: Any, most: int = 50) -> int:
    """Run the sweep until it finds nothing due; how many runs found something."""
    for runs in range(most):
        if not sweep(app):
            return runs
    raise AssertionError("the sweep kept finding deliveries")


def fresh(db_session: Any, model: Any, row_id: int) -> Any:
    """A row read afresh from the database."""
    db_session.expire_all()
    return db_session.scalar(sa.select(model).where(model.id == row_id))
