"""Retention: with the clock moved forward, the daily job deletes exactly the media and
answers past each organisation's limits, empties old outbox bodies, and says so once in the
audit log."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from media.models import MediaFile, MediaStatus
from media.service import new_public_id
from media.storage.local import LocalStorage
from notifications import mailbox
from notifications.models import Channel, DeliveryState, OutboundMessage
from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.privacy.models import AuditEvent
from panel.privacy.retention import apply_retention, months_before
from panel.questions.models import Question
from tests.factories import OrganisationFactory, UserFactory

DAY = dt.timedelta(days=1)


def _clip(session: Any, storage: LocalStorage, org_id: int, made: dt.datetime, purpose: str) -> int:
    media = MediaFile(
        organisation_id=org_id,
        public_id=new_public_id(),
        purpose=purpose,
        status=MediaStatus.READY,
        renditions={},
        created_at=made,
    )
    media.original_key = f"{media.storage_prefix}original.webm"
    session.add(media)
    session.flush()
    for key in (media.original_key, f"{media.storage_prefix}video.mp4"):
        _put(storage, key)
    return media.id


def _put(storage: LocalStorage, key: str) -> None:
    import io

    storage.put(key, io.BytesIO(b"clip"), content_type="video/mp4")


def _answer(session: Any, question: Question, made: dt.datetime, media_id: int | None) -> int:
    answer = Answer(
        organisation_id=question.organisation_id,
        question_id=question.id,
        channel="web",
        language="sv",
        text="Trapphuset är mörkt",
        clip_kind="video" if media_id else None,
        media_id=media_id,
        me_token=secrets.token_urlsafe(24),
        created_at=made,
    )
    session.add(answer)
    session.flush()
    return answer.id


def test_the_daily_job_deletes_exactly_what_is_past_the_limits(
    app: Any, db_session: Any, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path / "media")
    base = utcnow()
    now = base + 200 * DAY  # the clock moved forward
    org = OrganisationFactory(settings={"media_retention_months": 6, "answer_retention_months": 12})
    keeper = OrganisationFactory()  # no limits: keeps everything
    s = db_session
    owner, other_owner = UserFactory(organisation=org), UserFactory(organisation=keeper)
    question_video = _clip(s, storage, org.id, base - 400 * DAY, "question")
    question = Question(
        organisation_id=org.id,
        owner_id=owner.id,
        title="Trapphus",
        prompt="Hur är det?",
        language="sv",
        answer_modes=["text"],
        choices=[],
        media_id=question_video,
    )
    elsewhere = Question(
        organisation_id=keeper.id,
        owner_id=other_owner.id,
        title="X",
        prompt="Y",
        language="sv",
        answer_modes=["text"],
        choices=[],
    )
    s.add_all([question, elsewhere])
    s.flush()
    old_clip = _clip(s, storage, org.id, base - 200 * DAY, "answer")
    gone = _answer(s, question, base - 200 * DAY, old_clip)  # 400 days at `now`: > 12 months
    mid_clip = _clip(s, storage, org.id, base, "answer")
    stripped = _answer(s, question, base, mid_clip)  # 200 days: clip > 6 months, answer kept
    new_clip = _clip(s, storage, org.id, base + 100 * DAY, "answer")
    fresh = _answer(s, question, base + 100 * DAY, new_clip)  # 100 days: all kept
    kept_elsewhere = _answer(s, elsewhere, base - 900 * DAY, None)
    # Two sent e-mails: 40 and 10 days old at `now`; only the older loses its body.
    outbox = Path(app.config["STOOP"].outbox_dir)
    messages = []
    for age in (40, 10):
        message = OutboundMessage(
            organisation_id=org.id,
            channel=Channel.EMAIL,
            purpose="test",
            dedupe_key=secrets.token_hex(8),
            recipient="hyresgast@example.org",
            body_text="Hej!",
            body_html="<p>Hej!</p>",
            state=DeliveryState.DELIVERED,
            sent_at=now - age * DAY,
        )
        s.add(message)
        s.flush()
        mailbox.write_mail(
            outbox, mailbox.file_name(org.id, message.id, now), b"Subject: x\r\n\r\nHej"
        )
        messages.append(message.id)
    s.commit()

    assert apply_retention(s, now=now, storage=storage) == {
        org.id: {"media": 2, "answers": 1, "outbox_bodies": 1}
    }
    s.expire_all()
    assert sorted(s.scalars(sa.select(Answer.id))) == sorted([stripped, fresh, kept_elsewhere])
    assert s.get(Answer, stripped).media_id is None and s.get(Answer, fresh).media_id == new_clip
    assert sorted(s.scalars(sa.select(MediaFile.id))) == sorted([question_video, new_clip])
    files = {p.relative_to(tmp_path / "media").parts[1] for p in (tmp_path / "media").rglob("*.*")}
    assert files == {
        s.get(MediaFile, question_video).public_id,
        s.get(MediaFile, new_clip).public_id,
    }
    old, recent = (s.get(OutboundMessage, i) for i in messages)
    assert (old.body_text, old.body_html, recent.body_text) == ("", None, "Hej!")
    assert [m.organisation_id for m in mailbox.list_mail(outbox)].count(org.id) >= 1
    assert not any(f"-{org.id}-{messages[0]}.eml" in p.name for p in outbox.iterdir())
    [row] = s.scalars(sa.select(AuditEvent).where(AuditEvent.action == "retention.delete"))
    assert (row.actor, row.organisation_id, row.ip) == ("system", org.id, None)
    assert row.details == {"media": 2, "answers": 1, "outbox_bodies": 1}
    assert gone not in s.scalars(sa.select(Answer.id)).all()

    # Safe to run twice: nothing left to delete, no second audit row.
    assert apply_retention(s, now=now, storage=storage) == {}


def test_months_are_calendar_months() -> None:
    moment = dt.datetime(2026, 3, 31, 12, tzinfo=dt.UTC)
    assert months_before(moment, 1) == dt.datetime(2026, 2, 28, 12, tzinfo=dt.UTC)
    assert months_before(moment, 15) == dt.datetime(2024, 12, 31, 12, tzinfo=dt.UTC)


def test_admins_set_the_limits_within_bounds(
    admin_client: Any, organisation: Any, db_session: Any
) -> None:
    form = {"media_retention_months": "6", "answer_retention_months": ""}
    assert admin_client.post("/app/settings/retention", data=form).status_code == 303
    db_session.refresh(organisation)
    assert organisation.settings["media_retention_months"] == 6
    assert organisation.settings["answer_retention_months"] is None
    refused = admin_client.post("/app/settings/retention", data={"media_retention_months": "121"})
    assert refused.status_code == 422 and "from 1 to 120" in refused.get_data(as_text=True)
    [row] = db_session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "settings.change"))
    assert row.details["keys"] == ["settings.media_retention_months"]  # empty stayed empty
