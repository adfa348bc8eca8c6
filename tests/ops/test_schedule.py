"""The embedded default's beat: without a broker, the web process runs every periodic job of
every room itself, and each does its work.

The schedule is ticked by hand (the thread the first request starts ticks it once a second);
tasks run inline in the test app, in sessions of their own, as they would in the thread pool.
"""

from __future__ import annotations

import datetime as dt
import secrets
import subprocess
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from media.models import MediaFile, MediaStatus
from media.storage import current_storage
from notifications.models import Channel, DeliveryState, OutboundMessage
from panel.core.celery import InProcessSchedule
from panel.core.db import utcnow
from panel.questions.models import Question, QuestionStatus
from tests.factories import UserFactory


def _stalled_clip(session: Session, organisation_id: int, tmp_path: Path) -> MediaFile:
    """A real one-second clip, uploaded a while ago and never processed (a lost task)."""
    source = tmp_path / "clip.webm"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "lavfi", "-i",
         "testsrc=size=160x120:rate=15:duration=1", "-c:v", "libvpx", str(source)],
        check=True,
    )  # fmt: skip
    public_id = secrets.token_urlsafe(24)
    key = f"{organisation_id}/{public_id}/original.webm"
    with source.open("rb") as body:
        current_storage().put(key, body, content_type="video/webm", max_bytes=10_000_000)
    media = MediaFile(
        organisation_id=organisation_id,
        public_id=public_id,
        status=MediaStatus.UPLOADED,
        original_key=key,
        content_type="video/webm",
        size_bytes=source.stat().st_size,
        renditions={},
    )
    session.add(media)
    session.flush()
    long_ago = utcnow() - dt.timedelta(hours=1)
    session.execute(
        sa.update(MediaFile).where(MediaFile.id == media.id).values(updated_at=long_ago)
    )
    return media


def test_every_periodic_job_runs_in_process_and_does_its_work(
    app: Flask, db_session: Session, organisation, email_outbox, tmp_path: Path
) -> None:
    owner = UserFactory(organisation=organisation)
    question = Question(
        organisation_id=organisation.id,
        owner_id=owner.id,
        title="Hur trivs du?",
        prompt="Berätta!",
        language="sv",
        answer_modes=["text"],
        choices=[],
        status=QuestionStatus.LIVE,
        closes_at=utcnow() - dt.timedelta(minutes=5),
    )
    message = OutboundMessage(  # written without its delivery task: only the sweep finds it
        organisation_id=organisation.id,
        channel=Channel.EMAIL,
        purpose="test",
        dedupe_key="schedule-1",
        recipient="hyresgast@example.org",
        subject="Left in the outbox by a restart",
        body_text="Hej!",
    )
    db_session.add_all([question, message])
    clip = _stalled_clip(db_session, organisation.id, tmp_path)
    db_session.commit()
    celery = app.extensions["celery"]
    schedule = InProcessSchedule(app, celery)

    started = schedule.tick(now=1_000.0)

    declared = {entry["task"] for entry in celery.conf.beat_schedule.values()}
    assert set(started) == declared
    assert len(declared) >= 3
    assert schedule.tick(now=1_001.0) == []  # nothing is due again a second later
    db_session.expire_all()
    assert db_session.get(Question, question.id).status == QuestionStatus.CLOSED
    assert db_session.get(OutboundMessage, message.id).state == DeliveryState.SENT
    assert email_outbox.last("hyresgast@example.org").subject == "Left in the outbox by a restart"
    assert db_session.get(MediaFile, clip.id).status == MediaStatus.READY


def test_a_fresh_web_process_has_every_periodic_job_registered(tmp_path: Path) -> None:
    """In a process that only built the app (as gunicorn or `stoop serve` does, importing no
    task module itself), every beat entry names a registered task. Before the rooms declared
    their task modules, close_due was 'NotRegistered' in the demo every minute."""
    import sys

    instance = str(tmp_path / "instance")
    script = (
        "from panel.app import create_app\n"
        f"app = create_app({{'env': 'development', 'instance_dir': {instance!r}}})\n"
        "celery = app.extensions['celery']\n"
        "missing = [e['task'] for e in celery.conf.beat_schedule.values()"
        " if e['task'] not in celery.tasks]\n"
        "print(len(celery.conf.beat_schedule), missing)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    count, missing = run.stdout.split(" ", 1)
    assert int(count) >= 3
    assert missing.strip() == "[]"
