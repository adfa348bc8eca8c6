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


def test_the_request_does_the_same_work_for_an_unknown_address(make_app, database_factory):
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
            # The request's own CPU time (it runs in this thread): the work it does, unblurred
            # by the other processes of this machine. Tasks run in other threads.
            started = time.thread_time()
            response = client.post("/login/forgot", data={"email": email})
            timings[kind].append(time.thread_time() - started)
            assert response.status_code == 200
            executor.drain()  # the task's work is not part of the next request's time

    known_ms = statistics.median(timings["known"]) * 1000
    unknown_ms = statistics.median(timings["unknown"]) * 1000
    # Compared in pairs (each known request beside the unknown one right after it), so that a
    # busy moment of the machine weighs on both sides alike rather than on one median.
    gaps = [(u - k) * 1000 for k, u in zip(timings["known"], timings["unknown"], strict=True)]
    gap_ms = statistics.median(gaps)
    assert abs(gap_ms) < max(0.5, 0.15 * unknown_ms), (gap_ms, known_ms, unknown_ms)
    # And the work was done: one reset e-mail (the rest were the same message, deduplicated).
    deadline = time.monotonic() + 10
    while not mail_to(app, known) and time.monotonic() < deadline:
        executor.drain()  # the delivery is a task the reset task started
        time.sleep(0.05)
    assert len(mail_to(app, known)) == 1
