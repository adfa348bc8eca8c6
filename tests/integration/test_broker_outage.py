"""The broker stopped: every committed request still answers success, fast, and its work is
done once the broker is back.

A redis-server of the test's own is the broker. It is stopped; staff invite a colleague, ask
for a reset link and upload a video; then it is started again with a real ``stoop worker``,
beat's tick of the outbox sweep is sent (beat sends it every 30 s), and the e-mails arrive at
the SMTP server.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from media.lifecycle import LOST_AFTER
from media.models import MediaFile, MediaStatus
from notifications.models import DeliveryState, OutboundMessage
from panel.accounts.models import User
from panel.core.db import utcnow
from panel.questions.models import Question, QuestionStatus
from tests.conftest import TEST_SECRET
from tests.factories import OrganisationFactory, UserFactory, api_headers, login, system_session
from tests.fixtures.outages import RedisProcess

pytestmark = pytest.mark.integration

STOOP = Path(sys.executable).with_name("stoop")
BROKER_DB = 14
FAST = 3.0  # seconds a request may take with the broker down (it fails fast, then carries on)
DELIVERY_TIMEOUT = 60.0


def _one_second_webm(folder: Path) -> bytes:
    path = folder / "question.webm"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
         "testsrc2=size=160x120:rate=15:duration=1", "-c:v", "libvpx", "-b:v", "100k", str(path)],
        check=True,
    )  # fmt: skip
    return path.read_bytes()


def _timed(call, *args, **kwargs):
    started = time.monotonic()
    response = call(*args, **kwargs)
    elapsed = time.monotonic() - started
    assert elapsed < FAST, f"{args[0]} took {elapsed:.1f} s with the broker down"
    return response


@pytest.fixture
def worker_env(own_redis: RedisProcess, database_factory, smtp_server, tmp_path: Path) -> dict:
    return {
        **os.environ,
        "STOOP_ENV": "testing",
        "STOOP_SECRET_KEY": TEST_SECRET,
        "STOOP_BROKER_URL": own_redis.url(BROKER_DB),
        "STOOP_DATABASE_URL": database_factory(),
        "STOOP_SMTP_URL": smtp_server.url,
        "STOOP_INSTANCE_DIR": str(tmp_path / "instance"),
        "STOOP_LOG_JSON": "0",
    }


@pytest.fixture
def start_worker(worker_env: dict, tmp_path: Path) -> Iterator:
    started: list[subprocess.Popen[bytes]] = []
    log = tmp_path / "worker.log"

    def start() -> Path:
        with log.open("ab") as out:
            process = subprocess.Popen(
                [str(STOOP), "worker", "-c", "2", "--without-gossip", "--without-mingle"],
                env=worker_env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(process)
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text(errors="replace"):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        return log

    yield start
    for process in started:
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        except ProcessLookupError:
            pass


def test_with_the_broker_stopped_committed_requests_succeed_and_their_work_is_done_later(
    make_app, own_redis: RedisProcess, worker_env: dict, start_worker, smtp_server, tmp_path
):
    app = make_app(
        database_url=worker_env["STOOP_DATABASE_URL"],
        broker_url=worker_env["STOOP_BROKER_URL"],
        smtp_url=smtp_server.url,
        redis_url="memory://",  # the outage under test is the broker's
    )
    app.config["WTF_CSRF_ENABLED"] = False
    assert "stoop.executor" not in app.extensions  # tasks go through the broker
    with app.app_context():
        organisation = OrganisationFactory(name="Bostäder Väst", default_language="en")
        admin = UserFactory(organisation=organisation, admin=True, name="Maria Admin", locale="en")
        staff = UserFactory(organisation=organisation, name="Åsa Öberg", locale="en")
        question = Question(
            organisation_id=organisation.id,
            owner_id=staff.id,
            title="Hur trivs du i trapphuset?",
            prompt="Hej! Hur trivs du i ditt trapphus?",
            language="sv",
            answer_modes=["score", "text"],
            choices=[],
            status=QuestionStatus.DRAFT,
        )
        system_session().add(question)
        system_session().commit()
        headers = api_headers(staff)
        question_id, staff_email = question.id, staff.email
    clip = _one_second_webm(tmp_path)
    browser = app.test_client()
    login(browser, admin)

    own_redis.stop()

    invited = _timed(
        browser.post,
        "/app/team/invite",
        data={"email": "zeynep.yilmaz@example.org", "name": "Zeynep", "role": "staff"},
    )
    reset = _timed(app.test_client().post, "/login/forgot", data={"email": staff_email})
    api = app.test_client()
    media_url = f"/api/v1/questions/{question_id}/media"
    declared = {"filename": "fraga.webm", "content_type": "video/webm", "size": len(clip)}
    started = _timed(api.post, media_url, json=declared, headers=headers)
    assert started.status_code == 201, started.get_data(as_text=True)
    body = started.get_json()
    sent = _timed(
        api.post,
        body["upload"]["url"],
        data=clip,
        headers={**headers, "Content-Type": "video/webm"},
    )
    completed = _timed(
        api.post, f"{media_url}/complete", json={"media_id": body["media_id"]}, headers=headers
    )

    assert invited.status_code == 303
    assert "Invitation sent to zeynep.yilmaz@example.org" in browser.get("/app/team").get_data(
        as_text=True
    )
    assert reset.status_code == 200
    assert sent.status_code == 204
    assert completed.status_code == 200, completed.get_data(as_text=True)
    with app.app_context():
        session = system_session()
        assert session.scalar(sa.select(User).where(User.email == "zeynep.yilmaz@example.org"))
        queued = session.scalars(sa.select(OutboundMessage)).all()
        assert sorted(m.purpose for m in queued) == ["invite", "password_reset"]
        assert {m.state for m in queued} == {DeliveryState.QUEUED}
        media = session.get(MediaFile, body["media_id"])
        assert media.status == MediaStatus.UPLOADED  # committed; the media sweep processes it
        assert session.get(Question, question_id).media_id == media.id

    # The broker is back; a worker starts; beat's next tick of the outbox sweep arrives.
    own_redis.start()
    start_worker()
    app.extensions["celery"].send_task("notifications.tasks.deliver_due")

    mails = smtp_server.wait_for(2, timeout=DELIVERY_TIMEOUT)
    by_recipient = {mail["To"]: mail for mail in mails}
    assert "invited you to Bostäder Väst" in by_recipient["zeynep.yilmaz@example.org"]["Subject"]
    assert by_recipient[staff_email]["Subject"] == "Choose a new password for Stoop"
    deadline = time.monotonic() + DELIVERY_TIMEOUT
    while True:  # the worker records "sent" just after the SMTP server has the message
        with app.app_context():
            states = set(system_session().scalars(sa.select(OutboundMessage.state)))
        if states == {DeliveryState.SENT} or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert states == {DeliveryState.SENT}

    # The clip whose processing task was lost with the broker: once it has waited longer than
    # a lost task may (backdated here instead of waiting two minutes), beat's media sweep
    # hands it to the worker, which makes it ready.
    with app.app_context():
        session = system_session()
        long_ago = utcnow() - LOST_AFTER - dt.timedelta(seconds=5)
        session.execute(
            sa.update(MediaFile).where(MediaFile.id == body["media_id"]).values(updated_at=long_ago)
        )
        session.commit()
    app.extensions["celery"].send_task("media.tasks.reclaim_stalled")
    deadline = time.monotonic() + 90
    while True:
        with app.app_context():
            status = (
                system_session().get(MediaFile, body["media_id"], populate_existing=True).status
            )
        if status in (MediaStatus.READY, MediaStatus.FAILED) or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert status == MediaStatus.READY
