"""The "forgot password" form tells nothing about which addresses have accounts: not in its
answer, and not in its timing, because the look-up and the e-mail happen in a task after the
answer."""

from __future__ import annotations

import statistics
import time

from tests.accounts.helpers import mail_to, page_text
from tests.factories import UserFactory

SENT = "If an account exists for"


def test_known_and_unknown_addresses_get_the_same_answer(client):
    user = UserFactory()

    known = client.post("/login/forgot", data={"email": user.email})
    unknown = client.post("/login/forgot", data={"email": "nobody.here@example.org"})

    assert known.status_code == unknown.status_code == 200
    assert page_text(known).replace(user.email, "@") == page_text(unknown).replace(
        "nobody.here@example.org", "@"
    )
    assert SENT in page_text(known)


def test_the_request_takes_as_long_for_an_unknown_address(make_app, database_factory):
    # Tasks run as in production without a broker: in a thread, after the answer.
    app = make_app(
        database_url=database_factory(), tasks_inline=False, login_rate_limit="1000 per minute"
    )
    app.config["WTF_CSRF_ENABLED"] = False
    executor = app.extensions["stoop.executor"]
    with app.app_context():
        known = UserFactory(name="Ĳsbrand Janssen").email
    client = app.test_client()
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    for n in range(40):
        for kind, email in (("known", known), ("unknown", f"nobody{n}@example.org")):
            started = time.perf_counter()
            response = client.post("/login/forgot", data={"email": email})
            timings[kind].append(time.perf_counter() - started)
            assert response.status_code == 200
            executor.drain()  # the task's work is not part of the next request's time

    known_ms = statistics.median(timings["known"]) * 1000
    unknown_ms = statistics.median(timings["unknown"]) * 1000
    assert abs(known_ms - unknown_ms) < max(0.5, 0.15 * unknown_ms), (known_ms, unknown_ms)
    # And the work was done: one reset e-mail (the rest were the same message, deduplicated).
    assert len(mail_to(app, known)) == 1
