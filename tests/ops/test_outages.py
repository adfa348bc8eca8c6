"""When a part fails, the app keeps working or says so clearly.

- Redis (the rate limits' storage) stopped or hanging: people still log in, and the limits
  still hold, counted in the process's memory until Redis is back.
- The database unreachable (dropped, a port nothing listens on, an SQLite file that cannot be
  opened): 503 with Retry-After and a page or JSON that says the service is briefly
  unavailable. A logged-in person is not logged out by it.

The broker's outage, with a real worker, is in ``tests/integration/test_broker_outage.py``.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from panel.accounts.models import User
from panel.core.extensions import db
from panel.core.migrate import upgrade
from tests.conftest import free_port, savepoint_binding
from tests.factories import PASSWORD, UserFactory, api_headers, system_session
from tests.fixtures.outages import RedisProcess

WRONG = "The e-mail address or password is not right."
UNAVAILABLE = "The service is briefly unavailable. Please try again in a minute."


def _text(response) -> str:
    return response.get_data(as_text=True)


def _app(make_app: Callable[..., Flask], **overrides) -> Flask:
    """An app with these settings whose forms the test client may post (CSRF off)."""
    app = make_app(**overrides)
    app.config["WTF_CSRF_ENABLED"] = False
    return app


# --- Redis, the rate limits' storage --------------------------------------------------------


@pytest.fixture
def limiter_app(make_app: Callable[..., Flask], database_factory) -> Iterator[Callable[..., Flask]]:
    """Builds apps whose limits live in a Redis of the test's own, on a database of their own
    (the per-test savepoint would reset the limits' storage, which is the thing that is down).

    Flask-Limiter is one object per process: afterwards its storage is memory again, as the
    rest of the suite expects.
    """
    url = database_factory()
    yield lambda **overrides: _app(make_app, database_url=url, **overrides)
    make_app(redis_url="memory://")


def _user(app: Flask, **values: str) -> str:
    with app.app_context():
        return UserFactory(**values).email


class Remember(logging.Handler):
    """Keeps the messages logged to it."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def limiter_log() -> Iterator[Remember]:
    """What flask-limiter logs during the test."""
    log = Remember()
    logging.getLogger("flask-limiter").addHandler(log)
    yield log
    logging.getLogger("flask-limiter").removeHandler(log)


def test_login_works_with_redis_stopped(
    limiter_app, own_redis: RedisProcess, limiter_log: Remember
):
    # As in the README's default: no STOOP_REDIS_URL, so the limits use the Redis broker.
    app = limiter_app(broker_url=own_redis.url(0))
    assert app.config["STOOP"].redis_url == own_redis.url(0)
    email = _user(app, name="Åsa Öberg")
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": "nope"}).status_code == 200
    own_redis.stop()

    wrong = client.post("/login", data={"email": email, "password": "not it at all"})
    right = client.post("/login", data={"email": email, "password": PASSWORD})

    assert (wrong.status_code, right.status_code) == (200, 303)
    assert WRONG in _text(wrong)
    assert "Åsa Öberg" in _text(client.get("/app/"))
    assert any("unreachable" in m for m in limiter_log.messages), limiter_log.messages


def test_the_login_limit_still_holds_while_redis_is_down(limiter_app, own_redis: RedisProcess):
    app = limiter_app(broker_url=own_redis.url(0))
    email = _user(app)
    own_redis.stop()
    client = app.test_client()

    statuses = [
        client.post("/login", data={"email": email, "password": f"wrong {n}"}).status_code
        for n in range(12)
    ]

    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]


def test_a_hanging_redis_costs_a_login_at_most_about_a_second(limiter_app, silent_port: int):
    app = limiter_app(redis_url=f"redis://127.0.0.1:{silent_port}/0")
    email = _user(app)
    client = app.test_client()
    timings = []
    for _ in range(3):
        started = time.monotonic()
        response = client.post("/login", data={"email": email, "password": PASSWORD})
        timings.append(time.monotonic() - started)
        assert response.status_code == 303
        client.post("/logout")

    # Short socket timeouts: finding out costs about a second, and so does each of
    # flask-limiter's later checks whether Redis is back (1 s, 2 s, 4 s… apart); in between the
    # in-memory fallback answers at once. No login waits on a hung Redis.
    assert max(timings) < 3, timings


# --- the database -------------------------------------------------------------------------


def _logged_in(app: Flask) -> tuple[object, dict[str, str]]:
    """A browser logged in to ``app`` and API headers of the same staff member."""
    with app.app_context():
        user = UserFactory(name="Zeynep Yılmaz")
        headers = api_headers(user)
        email = user.email
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 303
    assert client.get("/app/questions").status_code == 200
    return client, headers


def _assert_unavailable_page(response) -> None:
    assert response.status_code == 503
    # At least our 30 s; a rate-limited route's own Retry-After may be longer.
    assert int(response.headers["Retry-After"]) >= 30
    assert response.mimetype == "text/html"
    assert UNAVAILABLE in _text(response)


def _assert_unavailable_json(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.get_json() == {"error": {"code": "unavailable", "message": UNAVAILABLE}}


@pytest.mark.postgres_only
def test_a_dropped_postgres_database_answers_503(
    make_app: Callable[..., Flask], database_factory, is_postgres: bool
):
    if not is_postgres:
        pytest.skip("needs PostgreSQL (STOOP_TEST_DATABASE_URL)")
    url = database_factory()
    app = _app(make_app, database_url=url)
    client, headers = _logged_in(app)
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(
        sa.engine.make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()

    page = client.get("/app/questions")
    api = client.get("/api/v1/questions/", headers=headers)
    media = client.post("/app/media/1/complete", headers={"Accept": "application/json"})
    login = app.test_client().post("/login", data={"email": "a@example.org", "password": "x" * 12})

    _assert_unavailable_page(page)  # not a redirect to /login: nobody was logged out
    _assert_unavailable_json(api)
    _assert_unavailable_json(media)
    _assert_unavailable_page(login)


def test_a_database_port_nothing_listens_on_answers_503(make_app: Callable[..., Flask]):
    app = _app(make_app, database_url=f"postgresql://stoop@127.0.0.1:{free_port()}/stoop")
    client = app.test_client()

    login = client.post("/login", data={"email": "a@example.org", "password": "x" * 12})
    api = client.get("/api/v1/questions/", headers={"Authorization": "Bearer stp_" + "x" * 43})
    anonymous = client.get("/app/questions")

    _assert_unavailable_page(login)
    _assert_unavailable_json(api)
    assert anonymous.status_code == 302  # no session: off to the login page, no database needed
    assert client.get("/login").status_code == 200  # a page that needs no database still works
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 503


def test_an_sqlite_file_that_cannot_be_opened_answers_503_and_nobody_is_logged_out(
    make_app: Callable[..., Flask], tmp_path: Path
):
    path = tmp_path / "own" / "stoop.sqlite3"
    upgrade(f"sqlite:///{path}")
    app = _app(make_app, database_url=f"sqlite:///{path}")
    client, headers = _logged_in(app)
    aside = path.with_suffix(".aside")
    # Root may read any file whatever its mode: a folder in its place cannot be opened by anyone.
    os.rename(path, aside)
    path.mkdir()
    with app.app_context():
        db.engine.dispose()  # as a fresh web process would, connect anew

    _assert_unavailable_page(client.get("/app/questions"))
    swedish = client.get("/app/questions", headers={"Accept-Language": "sv"})
    assert swedish.status_code == 503
    assert "Tjänsten är tillfälligt otillgänglig" in _text(swedish)
    assert 'href="/app/questions">Försök igen' in _text(swedish)
    _assert_unavailable_json(client.get("/api/v1/questions/", headers=headers))

    shutil.rmtree(path)
    os.rename(aside, path)
    with app.app_context():
        db.engine.dispose()
    page = client.get("/app/questions")
    assert page.status_code == 200  # still logged in: the outage did not end the session
    assert "Zeynep Yılmaz" in _text(page)


def test_the_unavailable_page_speaks_the_browser_s_language(make_app: Callable[..., Flask]):
    app = _app(make_app, database_url=f"postgresql://stoop@127.0.0.1:{free_port()}/stoop")

    response = app.test_client().post(
        "/login",
        data={"email": "a@example.org", "password": "x" * 12},
        headers={"Accept-Language": "sv"},
    )

    assert response.status_code == 503
    assert '<html lang="sv">' in _text(response)
    assert "Tjänsten är tillfälligt otillgänglig" in _text(response)


def test_a_bug_in_sql_is_not_an_outage(db_session):
    # Only an unreachable database is 503: a constraint our code breaks stays a logged 500.
    from panel.core.errors import database_unavailable

    user = UserFactory()
    with pytest.raises(sa.exc.IntegrityError) as raised:
        UserFactory(email=user.email)
    db_session.rollback()

    assert not database_unavailable(raised.value)


# --- the broker ---------------------------------------------------------------------------


def test_a_hung_broker_costs_a_committed_request_seconds_not_forever(
    make_app: Callable[..., Flask], silent_port: int
):
    # A broker that accepts connections and never answers (before: the request hung for good).
    app = _app(make_app, broker_url=f"redis://127.0.0.1:{silent_port}/0", redis_url="memory://")
    with savepoint_binding(app):
        admin = UserFactory(admin=True, name="Maria Admin")
        client = app.test_client()
        assert (
            client.post("/login", data={"email": admin.email, "password": PASSWORD}).status_code
            == 303
        )

        started = time.monotonic()
        response = client.post(
            "/app/team/invite", data={"email": "nils@example.org", "name": "Nils", "role": "staff"}
        )
        elapsed = time.monotonic() - started

        assert response.status_code == 303
        assert elapsed < 8, f"the invitation took {elapsed:.1f} s"
        invited = system_session().scalar(sa.select(User).where(User.email == "nils@example.org"))
        assert invited is not None  # committed; the outbox sweep sends the e-mail later
