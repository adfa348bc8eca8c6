"""Retention: what each organisation keeps, and for how long, deleted on schedule.

Per organisation (``Organisation.settings``; empty keeps everything):

- ``media_retention_months``: what tenants sent, older than this, loses its files and its
  ``media_file`` row: an answer's clip (the answer keeps its row, ``media_id`` empties), its
  pictures, and a tenant's follow-up clips in threads. Staff's own media (question videos,
  reply videos) are the organisation's, not a tenant's, and are kept.
- ``answer_retention_months``: answers older than this are deleted, and with them (database
  cascades) their thread and its comments, their machine translations and analyses, and their
  quotes in reports. Report figures drop accordingly: that is what retention means.

For every organisation, messages handed to a provider keep their body only
:data:`OUTBOX_BODY_DAYS` days after sending: then ``body_text``/``body_html`` empty and the
``.eml`` copies of the embedded outbox go (the row stays, for delivery statistics).

:func:`apply_retention` runs daily from beat. It is safe to run twice at once: each batch
deletes what is still there (a file already gone is no error) and commits. Each organisation
where something was deleted gets one ``retention.delete`` audit row with the counts.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from media.lifecycle import discard_files
from media.models import MediaFile
from media.storage import Storage, current_storage
from notifications import mailbox
from notifications.models import DeliveryState, OutboundMessage
from panel.answers.models import Answer, AnswerPicture
from panel.core.db import utcnow
from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.scoping import all_organisations, scoped_to
from panel.organisations.models import Organisation
from panel.privacy import audit
from panel.threads.models import Thread, Comment

MEDIA_SETTING = "media_retention_months"
ANSWER_SETTING = "answer_retention_months"
SETTINGS = (MEDIA_SETTING, ANSWER_SETTING)
MIN_MONTHS, MAX_MONTHS = 1, 120
OUTBOX_BODY_DAYS = 30
BATCH = 200
KEPT_BODY_STATES = (DeliveryState.SENT, DeliveryState.DELIVERED)


@dataclass
class Removed:
    """What one run removed in one organisation."""

    media: int = 0
    answers: int = 0
    outbox_bodies: int = 0

    def counts(self) -> dict[str, int]:
        """The non-zero counts, for the audit row."""
        found = {
            "media": self.media,
            "answers": self.answers,
            "outbox_bodies": self.outbox_bodies,
        }
        return {key: value for key, value in found.items() if value}


def months_before(moment: dt.datetime, months: int) -> dt.datetime:
    """``moment`` minus whole calendar months (the 31st becomes the month's last day)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return moment.replace(year=year, month=month, day=min(moment.day, last_day))


def clean_months(value: Any) -> int | None:
    """A retention setting from a form: blank is None (keep); else a whole number 1 to 120."""
    text = str(value if value is not None else "").strip()
    if not text:
        return None
    if not text.isdigit() or not MIN_MONTHS <= int(text) <= MAX_MONTHS:
        raise ValidationError(
            _l(
                "Write a number of months from %(low)s to %(high)s, or leave it empty to keep "
                "everything.",
                low=MIN_MONTHS,
                high=MAX_MONTHS,
            ),
            code="invalid_retention",
        )
    return int(text)


def months_of(organisation: Organisation, setting: str) -> int | None:
    """The organisation's retention in months for ``setting``; None keeps everything."""
    value = (organisation.settings or {}).get(setting)
    return value if isinstance(value, int) and MIN_MONTHS <= value <= MAX_MONTHS else None


def save_settings(organisation: Organisation, form: Any) -> dict[str, int | None]:
    """Validate both settings from ``form`` and set them (the caller commits)."""
    values = {key: clean_months(form.get(key)) for key in SETTINGS}
    organisation.settings = {**(organisation.settings or {}), **values}
    return values


# --- the scheduled run -----------------------------------------------------------------------


def _tenant_media() -> sa.ColumnElement[bool]:
    """Media a tenant sent: an answer's clip or picture, or a follow-up in a thread."""
    return sa.or_(
        MediaFile.id.in_(sa.select(Answer.media_id).where(Answer.media_id.is_not(None))),
        MediaFile.id.in_(sa.select(AnswerPicture.media_id)),
        MediaFile.id.in_(
            sa.select(Comment.media_id).where(
                Comment.media_id.is_not(None), Comment.author_id.is_(None)
            )
        ),
    )


def _delete_media(session: Session, storage: Storage, media_ids: list[int]) -> int:
    """Delete the files, then the rows, of these clips (answers' ``media_id`` empties)."""
    gone = 0
    for media in session.scalars(sa.select(MediaFile).where(MediaFile.id.in_(media_ids))):
        discard_files(storage, media)
        gone += 1
    session.execute(
        sa.delete(MediaFile)
        .where(MediaFile.id.in_(media_ids))
        .execution_options(synchronize_session=False)
    )
    return gone


def expire_media(
    session: Session, storage: Storage, organisation: Organisation, now: dt.datetime
) -> int:
    """Delete what tenants sent longer ago than the organisation keeps media."""
    months = months_of(organisation, MEDIA_SETTING)
    if months is None:
        return 0
    cutoff = months_before(now, months)
    total = 0
    while True:
        ids = list(
            session.scalars(
                sa.select(MediaFile.id)
                .where(MediaFile.created_at < cutoff, _tenant_media())
                .order_by(MediaFile.id)
                .limit(BATCH)
            )
        )
        if not ids:
            return total
        total += _delete_media(session, storage, ids)
        session.commit()


def expire_answers(
    session: Session, storage: Storage, organisation: Organisation, now: dt.datetime
) -> tuple[int, int]:
    """Delete answers older than the organisation keeps them, with their media and threads;
    how many answers and how many clips went."""
    months = months_of(organisation, ANSWER_SETTING)
    if months is None:
        return 0, 0
    cutoff = months_before(now, months)
    total = clips = 0
    while True:
        ids = list(
            session.scalars(
                sa.select(Answer.id)
                .where(Answer.created_at < cutoff)
                .order_by(Answer.id)
                .limit(BATCH)
            )
        )
        if not ids:
            return total, clips
        media_ids = {
            *session.scalars(sa.select(Answer.media_id).where(Answer.id.in_(ids))),
            *session.scalars(
                sa.select(AnswerPicture.media_id).where(AnswerPicture.answer_id.in_(ids))
            ),
            *session.scalars(
                sa.select(Comment.media_id)
                .join(Thread, Thread.id == Comment.thread_id)
                .where(Thread.answer_id.in_(ids), Comment.author_id.is_(None))
            ),
        } - {None}
        if media_ids:
            clips += _delete_media(session, storage, sorted(media_ids))  # type: ignore[arg-type]
        total += session.execute(
            sa.delete(Answer).where(Answer.id.in_(ids)).execution_options(synchronize_session=False)
        ).rowcount
        session.commit()


def empty_outbox_bodies(session: Session, organisation: Organisation, now: dt.datetime) -> int:
    """Empty the bodies of messages sent more than :data:`OUTBOX_BODY_DAYS` days ago, and
    delete their ``.eml`` copies in the embedded outbox folder."""
    cutoff = now - dt.timedelta(days=OUTBOX_BODY_DAYS)
    total = 0
    while True:
        ids = list(
            session.scalars(
                sa.select(OutboundMessage.id)
                .where(
                    OutboundMessage.state.in_(KEPT_BODY_STATES),
                    OutboundMessage.sent_at < cutoff,
                    sa.or_(OutboundMessage.body_text != "", OutboundMessage.body_html.is_not(None)),
                )
                .order_by(OutboundMessage.id)
                .limit(BATCH)
            )
        )
        if not ids:
            return total
        session.execute(
            sa.update(OutboundMessage)
            .where(OutboundMessage.id.in_(ids))
            .values(body_text="", body_html=None)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        mailbox.delete_mail(current_app.config["STOOP"].outbox_dir, organisation.id, set(ids))
        total += len(ids)


def apply_retention(
    session: Session, *, now: dt.datetime | None = None, storage: Storage | None = None
) -> dict[int, dict[str, int]]:
    """Apply every organisation's retention; the counts deleted, per organisation."""
    now = now or utcnow()
    storage = storage or current_storage()
    with all_organisations(session):
        organisation_ids = list(session.scalars(sa.select(Organisation.id).order_by("id")))
        session.commit()
    done: dict[int, dict[str, int]] = {}
    for organisation_id in organisation_ids:
        with scoped_to(session, organisation_id):
            organisation = session.get(Organisation, organisation_id)
            if organisation is None:
                continue
            media = expire_media(session, storage, organisation, now)
            answers, clips = expire_answers(session, storage, organisation, now)
            removed = Removed(
                media=media + clips,
                answers=answers,
                outbox_bodies=empty_outbox_bodies(session, organisation, now),
            )
            if counts := removed.counts():
                audit.record(
                    session,
                    "retention.delete",
                    organisation_id=organisation_id,
                    actor=audit.SYSTEM,
                    details=counts,
                )
                session.commit()
                done[organisation_id] = counts
    return done
