"""Recording answers: every channel (the web form, an SMS reply, a phone call) ends here.

``record_answer`` checks what was given against the question (its modes, its choices, a score
from 1 to 10), writes one row in the caller's transaction and marks the invitation answered. A
repeated delivery (a double-clicked button, a re-sent form, a webhook delivered twice) finds the
answer it already made by its submission key, provider id or personal link, and makes none.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, make_transient_to_detached, object_session

from media.storage import current_storage
from panel.answers.models import Answer, AnswerChannel, AnswerPicture, ClipKind
from panel.answers.tasks import answer_arrived
from panel.contacts.phones import PhoneNumberError, normalise_phone, region_for_language
from panel.core.celery import enqueue_after_commit
from panel.core.db import utcnow
from panel.core.errors import Conflict, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.places.models import Place
from panel.questions.models import AnswerMode, Question
from panel.questions.service import accepts_answers
from panel.reports.reel_renders import withdraw_clip
from panel.sends.models import Invitation
from panel.threads.service import open_thread
from panel.webhooks.events import ANSWER_CREATED, answer_created
from panel.webhooks.service import emit

MAX_TEXT = 2000
SCORES = range(1, 11)
MAX_NAME = 120


@dataclass(frozen=True)
class Consent:
    """What the tenant allowed: the asker may see who answered (``identity``), the answer may
    be quoted in reports (``quote``), the clip may be shown to colleagues or at a workshop
    (``show_clip``). Nothing is allowed unless ticked."""

    identity: bool = False
    quote: bool = False
    show_clip: bool = False


@dataclass
class Given:
    """What the tenant gave, as the form, the SMS or the call brought it (not yet checked)."""

    text: str | None = None
    score: Any = None
    choice: str | None = None
    clip_kind: str | None = None  # a recorded or picked clip follows by upload
    consent: Consent = field(default_factory=Consent)
    place_id: Any = None
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    may_contact: bool = False


@dataclass(frozen=True)
class Recorded:
    """The answer, and whether this call wrote it (False: a repeat found the first one)."""

    answer: Answer
    created: bool


class QuestionClosed(Conflict):
    """The question no longer takes answers; the tenant page shows a friendly page for it."""


def new_token() -> str:
    """A ``/me`` token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def _invalid(errors: dict[str, list[Any]]) -> ValidationError:
    first = next(iter(errors.values()))[0]
    return ValidationError(first, details=errors)


def clean(question: Question, given: Given, *, with_pictures: bool = False) -> dict[str, Any]:
    """The answer's fields from ``given``, checked against the question; a ValidationError
    names every field that is wrong, in words a tenant understands. An answer may be only
    pictures (``with_pictures``: the photos of an MMS)."""
    modes = set(question.answer_modes or ())
    errors: dict[str, list[Any]] = {}
    values: dict[str, Any] = {"text": None, "score": None, "choice": None, "clip_kind": None}
    text = (given.text or "").replace("\r\n", "\n").strip()
    if text:
        if AnswerMode.TEXT not in modes and not _spoken(modes, given):
            errors["text"] = [_l("This question does not take written answers.")]
        elif len(text) > MAX_TEXT:
            errors["text"] = [_l("Please shorten your answer to %(max)s characters.", max=MAX_TEXT)]
        values["text"] = text
    if given.score not in (None, ""):
        score = _score(given.score)
        if AnswerMode.SCORE not in modes:
            errors["score"] = [_l("This question does not take a score.")]
        elif score is None:
            errors["score"] = [_l("Choose a score from 1 to 10.")]
        values["score"] = score
    if given.choice:
        if AnswerMode.CHOICE not in modes:
            errors["choice"] = [_l("This question does not take a choice.")]
        elif given.choice not in (question.choices or []):
            errors["choice"] = [_l("Choose one of the answers shown.")]
        values["choice"] = given.choice
    if given.clip_kind:
        if given.clip_kind not in {k.value for k in ClipKind} or given.clip_kind not in modes:
            errors["clip"] = [_l("This question does not take recordings of that kind.")]
        values["clip_kind"] = given.clip_kind
    if not errors and not any(values.values()) and not with_pictures:
        errors["answer"] = [_l("Your answer is empty. Write, choose or record something first.")]
    if errors:
        raise _invalid(errors)
    return values


def _spoken(modes: set[str], given: Given) -> bool:
    # A written note beside a recording is welcome even where text is not a mode of its own.
    return bool(given.clip_kind) and given.clip_kind in modes


def _score(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if number in SCORES else None


def clean_respondent(given: Given, language: str) -> dict[str, Any]:
    """The optional name, e-mail and phone left on a touchpoint's form, checked."""
    errors: dict[str, list[Any]] = {}
    name = (given.name or "").strip() or None
    if name and (len(name) > MAX_NAME or any(c in name for c in "\r\n\x00")):
        errors["name"] = [_l("Please write your name on one line, at most 120 characters.")]
    email = (given.email or "").strip() or None
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = [
                _l("This e-mail address does not look right. Check it, or leave it out.")
            ]
    phone = (given.phone or "").strip() or None
    if phone:
        try:
            phone = normalise_phone(phone, region_for_language(language))
        except PhoneNumberError:
            errors["phone"] = [
                _l("This phone number does not look right. Check it, or leave it out.")
            ]
    if errors:
        raise _invalid(errors)
    return {
        "respondent_name": name,
        "respondent_email": email,
        "respondent_phone": phone,
        "may_contact": bool(given.may_contact and (email or phone)),
    }


def clean_place(session: Session, place_id: Any) -> int | None:
    """A place the tenant picked (one of this organisation's), or None; anything else is
    ignored rather than refused: the place is a help, not a gate."""
    try:
        number = int(str(place_id))
    except (TypeError, ValueError):
        return None
    if not 0 < number < 2**31:
        return None
    # A query, not get(): the scoped session filters out another organisation's place.
    return session.scalar(sa.select(Place.id).where(Place.id == number))


def find_repeat(
    session: Session,
    *,
    submission_key: str | None = None,
    provider_id: str | None = None,
    invitation_id: int | None = None,
) -> Answer | None:
    """The answer a repeated delivery already made, if any."""
    conditions = []
    if submission_key:
        conditions.append(Answer.submission_key == submission_key)
    if provider_id:
        conditions.append(Answer.provider_id == provider_id)
    if invitation_id:
        conditions.append(Answer.invitation_id == invitation_id)
    if not conditions:
        return None
    return session.scalar(sa.select(Answer).where(sa.or_(*conditions)).limit(1))


def record_answer(
    session: Session,
    question: Question,
    given: Given,
    *,
    channel: AnswerChannel | str,
    language: str,
    invitation: Invitation | None = None,
    contact_id: int | None = None,
    touchpoint_id: int | None = None,
    place_id: int | None = None,
    source: str | None = None,
    external_ref: str | None = None,
    submission_key: str | None = None,
    provider_id: str | None = None,
    media_id: int | None = None,
    picture_ids: Sequence[int] = (),
    now: dt.datetime | None = None,
) -> Recorded:
    """Store one answer in the caller's transaction (the caller commits).

    Raises QuestionClosed when the question takes no answers, ValidationError when what was
    given does not fit the question. A repeat (same submission key, provider id or personal
    link) returns the first answer with ``created=False``. ``picture_ids`` are pictures sent
    with the answer (ready MediaFiles of kind ``picture``), kept in that order.
    """
    now = now or utcnow()
    invitation_id = invitation.id if invitation else None
    if not accepts_answers(question, now):
        repeat = find_repeat(
            session,
            submission_key=submission_key,
            provider_id=provider_id,
            invitation_id=invitation_id,
        )
        if repeat is not None:
            return Recorded(repeat, False)
        raise QuestionClosed(_l("This question is closed."))
    values = clean(question, given, with_pictures=bool(picture_ids))
    if media_id is not None and values["clip_kind"] is None:
        values["clip_kind"] = given.clip_kind or ClipKind.AUDIO.value
    row = {
        "organisation_id": question.organisation_id,
        "question_id": question.id,
        "channel": AnswerChannel(channel).value,
        "language": language,
        **values,
        **clean_respondent(given, language),
        "media_id": media_id,
        "place_id": place_id if place_id is not None else _place_of(invitation),
        "contact_id": contact_id if contact_id is not None else _contact_of(invitation),
        "invitation_id": invitation_id,
        "touchpoint_id": touchpoint_id or (invitation.touchpoint_id if invitation else None),
        "source": source,
        "external_ref": external_ref or (invitation.external_ref if invitation else None),
        "consent_identity": given.consent.identity,
        "consent_quote": given.consent.quote,
        "consent_show_clip": given.consent.show_clip,
        "consent_changed_at": None,
        "submission_key": submission_key,
        "provider_id": provider_id,
        "me_token": new_token(),
        "created_at": now,
    }
    answer_id = _insert_once(session, row)
    if answer_id is None:
        # The same submission key, provider id or personal link made an answer before (or
        # at the same moment, in another request): that one stands.
        repeat = find_repeat(
            session,
            submission_key=submission_key,
            provider_id=provider_id,
            invitation_id=invitation_id,
        )
        if repeat is None:
            raise Conflict(_l("Your answer could not be stored. Please send it again."))
        return Recorded(repeat, False)
    answer = _persistent(session, Answer(id=answer_id, **row))
    for position, media in enumerate(picture_ids):
        session.add(
            AnswerPicture(
                organisation_id=question.organisation_id,
                answer_id=answer_id,
                media_id=media,
                position=position,
            )
        )
    if invitation is not None and invitation.answered_at is None:
        invitation.answered_at = now
    open_thread(session, answer, question.owner_id)
    # Its owner told, its words read and translated: in a task once this is committed.
    enqueue_after_commit(session, answer_arrived, answer_id)
    emit(session, question.organisation_id, ANSWER_CREATED, answer_created(answer), now=now)
    return Recorded(answer, True)


def _insert_statement(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, built once per dialect (the values are
    bound at execution, so the compiled statement is reused)."""
    found = _INSERTS.get(dialect)
    if found is None:
        insert = (postgresql if dialect == "postgresql" else sqlite).insert(Answer.__table__)
        found = _INSERTS[dialect] = insert.on_conflict_do_nothing().returning(Answer.__table__.c.id)
    return found


_INSERTS: dict[str, Any] = {}


def _insert_once(session: Session, row: dict[str, Any]) -> int | None:
    """Insert the answer unless one with its submission key, provider id or personal link is
    there: one statement, which a concurrent twin cannot slip past. Its id, or None."""
    statement = _insert_statement(session.get_bind().dialect.name)
    return session.execute(statement, row).scalar()


def _persistent(session: Session, answer: Answer) -> Answer:
    """The row just inserted as a session object, without reading it back."""
    make_transient_to_detached(answer)
    session.add(answer)
    return answer


def _place_of(invitation: Invitation | None) -> int | None:
    contact = invitation.contact if invitation else None
    return contact.place_id if contact is not None else None


def _contact_of(invitation: Invitation | None) -> int | None:
    return invitation.contact_id if invitation else None


def set_consent(answer: Answer, consent: Consent, now: dt.datetime | None = None) -> bool:
    """Change an answer's consent (the tenant, from ``/me``); True when something changed.

    A clip no longer to be shown leaves every highlight reel now: rendered MP4s that may hold
    it are deleted and rendered again without it (:func:`panel.reports.reel_renders.
    withdraw_clip`), in the caller's transaction."""
    old = (answer.consent_identity, answer.consent_quote, answer.consent_show_clip)
    new = (consent.identity, consent.quote, consent.show_clip)
    if old == new:
        return False
    answer.consent_identity, answer.consent_quote, answer.consent_show_clip = new
    answer.consent_changed_at = now or utcnow()
    session = object_session(answer)
    if old[2] and not consent.show_clip and session is not None:
        session.flush()
        withdraw_clip(session, answer, current_storage())
    return True


def attach_clip(answer: Answer, media_id: int) -> None:
    """The announced clip has arrived: link it to the answer."""
    answer.media_id = media_id
