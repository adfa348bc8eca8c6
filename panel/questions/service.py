"""Questions: the rules for their fields, and their life cycle draft → live → closed.

Every door (the app's forms, the API, the demo seed) goes through these functions, so a
question means the same thing whichever way it was made. Transitions are explicit:

* ``publish_question``: draft → live. Needs a title, at least one answer mode, and something to
  ask: a ready video or a written prompt. A video still being processed (or that failed) stops
  it, with a message that says what to do.
* ``close_question``: draft or live → closed. Final: a closed question takes no answers and is
  not edited again; duplicate it to ask again.
* A live question keeps its video and its answer modes (answers already given refer to them);
  only the title, the wording of the prompt and the closing date can still change.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session, joinedload, lazyload

from media.models import MediaFile, MediaStatus
from panel.accounts.models import Role, User
from panel.core.db import utcnow
from panel.core.errors import Conflict, Forbidden, NotFound, ValidationError
from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.core.scoping import required_organisation
from panel.organisations.models import Organisation
from panel.questions.models import AnswerMode, Question, QuestionStatus

LANGUAGES = ("sv", "nl", "en")
ANSWER_MODES = tuple(mode.value for mode in AnswerMode)
STATUSES = tuple(status.value for status in QuestionStatus)
MAX_TITLE = 200
MAX_PROMPT = 5_000
MAX_CHOICES = 20
MAX_CHOICE = 200
MIN_CHOICES = 2
EDITABLE = ("title", "prompt", "language", "answer_modes", "choices", "closes_at")
# Answers given to a live question refer to these: changing them would change their meaning.
FIXED_ONCE_LIVE = ("language", "answer_modes", "choices")
# Which roles may change any question of their organisation (others only their own).
EDITOR_ROLES = (Role.ADMIN, Role.COMMUNICATOR)


# --- field rules ---------------------------------------------------------------------------


class FieldInvalid(ValueError):
    """One field's value is not acceptable; ``text`` says why (translated where shown)."""

    def __init__(self, text: LazyText) -> None:
        super().__init__(text)
        self.text = text


# What the messages call each field; the sentences start with it.
LABELS = {"title": _l("The title"), "prompt": _l("The written question"), "option": _l("An option")}


def _text(value: Any, field: str, limit: int, *, multiline: bool = False) -> str:
    if value is None:
        return ""
    label = LABELS[field]
    if not isinstance(value, str):
        raise FieldInvalid(_l("%(field)s must be text.", field=label))
    if "\x00" in value:
        raise FieldInvalid(_l("%(field)s contains a NUL character.", field=label))
    # A prompt keeps its line breaks (a teleprompter reads them); a title is one line.
    text = value.replace("\r\n", "\n").strip() if multiline else " ".join(value.split())
    if len(text) > limit:
        raise FieldInvalid(
            _l("%(field)s can be at most %(limit)s characters.", field=label, limit=limit)
        )
    return text


def _title(value: Any) -> str:
    title = _text(value, "title", MAX_TITLE)
    if not title:
        raise FieldInvalid(
            _l("Give the question a title, e.g. “How safe do you feel in the stairwell?”")
        )
    return title


def _language(value: Any) -> str:
    if value not in LANGUAGES:
        raise FieldInvalid(_l("Choose the language: sv (Swedish), nl (Dutch) or en (English)."))
    return value


def _answer_modes(value: Any) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise FieldInvalid(_l("Answer modes must be a list, e.g. [“score”, “text”]."))
    modes = []
    for mode in value:
        if mode not in ANSWER_MODES:
            raise FieldInvalid(
                _l(
                    "“%(mode)s” is not an answer mode: use %(modes)s.",
                    mode=mode,
                    modes=", ".join(ANSWER_MODES),
                )
            )
        if mode not in modes:
            modes.append(mode)
    if not modes:
        raise FieldInvalid(
            _l("Choose at least one way to answer (text, video, audio, score, choice).")
        )
    # Stored in a fixed order, so the tenant's page does not depend on how they were ticked.
    return [mode for mode in ANSWER_MODES if mode in modes]


def parse_choices(text: str) -> list[str]:
    """The options of a textarea written one per line (blank lines ignored)."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _choices(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise FieldInvalid(_l("Choices must be a list of options."))
    options: list[str] = []
    for raw in value:
        option = _text(raw, "option", MAX_CHOICE)
        if not option:
            continue
        # The same words twice; "Yes" and "yes" are two spellings a person may want.
        if option in options:
            raise FieldInvalid(_l("The option “%(option)s” is there twice.", option=option))
        options.append(option)
    if len(options) > MAX_CHOICES:
        raise FieldInvalid(_l("A question can have at most %(limit)s options.", limit=MAX_CHOICES))
    return options


def _closes_at(value: Any) -> dt.datetime | None:
    """A closing moment; one already past is allowed (the question then takes no answers):
    the staff form asks for a future day, the API takes what it is given."""
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        raise FieldInvalid(_l("The closing date must be a date and time."))
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


CLEANERS = {
    "title": _title,
    "prompt": lambda v: _text(v, "prompt", MAX_PROMPT, multiline=True),
    "language": _language,
    "answer_modes": _answer_modes,
    "choices": _choices,
    "closes_at": _closes_at,
}


def clean_question(values: Mapping[str, Any], current: Question | None = None) -> dict[str, Any]:
    """The given fields cleaned; ValidationError (details: field → message) when any is not.

    Only the fields present are cleaned (a PATCH); the rules across fields (a choice question
    needs options) are checked on the question as it would be after the change. When that
    breaks only because of what is stored (options sent to a choice question that has too
    few), the error is a Conflict: the request alone was fine.
    """
    cleaned: dict[str, Any] = {}
    problems: dict[str, LazyText] = {}
    for name in EDITABLE:
        if name not in values:
            continue
        try:
            cleaned[name] = CLEANERS[name](values[name])
        except FieldInvalid as exc:
            problems[name] = exc.text
    if current is None and "title" not in cleaned and "title" not in problems:
        problems["title"] = _problem(_title, "")
    if current is None and "answer_modes" not in values:
        problems["answer_modes"] = _problem(_answer_modes, [])
    if problems:
        raise invalid(problems)
    modes = cleaned.get("answer_modes", current.answer_modes if current else [])
    choices = cleaned.get("choices", current.choices if current else [])
    if AnswerMode.CHOICE in modes and len(choices) < MIN_CHOICES:
        message = _l(
            "A multiple-choice question needs at least %(count)s options, one per line.",
            count=MIN_CHOICES,
        )
        if current is None or ("answer_modes" in cleaned and "choices" in cleaned):
            raise invalid({"choices": message})
        raise Conflict(message, code="too_few_options", details={"choices": [message]})
    return cleaned


def _problem(cleaner: Any, value: Any) -> LazyText:
    try:
        cleaner(value)
    except FieldInvalid as exc:
        return exc.text
    raise AssertionError(f"{cleaner.__name__}({value!r}) found no problem")


def invalid(problems: Mapping[str, LazyText]) -> ValidationError:
    """One ValidationError for several fields: the first message, and all of them as details."""
    first = next(iter(problems.values()))
    more = len(problems) - 1
    message = first if not more else _l("%(first)s (and %(more)s more)", first=first, more=more)
    return ValidationError(message, details={k: [v] for k, v in problems.items()})


# --- reading -------------------------------------------------------------------------------


def get_question(session: Session, question_id: int) -> Question:
    """The question of the session's organisation, or NotFound."""
    question = session.get(Question, question_id) if parse_id(question_id) else None
    if question is None:
        raise NotFound(_l("No such question. It may have been removed."))
    return question


def get_media(session: Session, media_id: Any) -> MediaFile:
    """A media file of the session's organisation, or NotFound."""
    if isinstance(media_id, str) or parse_id(media_id) is None:
        raise ValidationError(
            _l("media_id must be the id of an uploaded file."),
            details={"media_id": [_l("Not an id.")]},
        )
    media = session.get(MediaFile, media_id)
    if media is None:
        raise NotFound(_l("No such video or audio file. Upload it again."))
    return media


def question_filters(
    *, status: str | None = None, owner_id: int | None = None
) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses for a list of questions (the organisation is added by the session)."""
    clauses: list[sa.ColumnElement[bool]] = []
    if status in STATUSES:
        clauses.append(Question.status == QuestionStatus(status))
    if owner_id is not None:
        clauses.append(Question.owner_id == owner_id)
    return clauses


@functools.cache  # built once: loader options cost more to build than the query to run
def listing(*, with_owner: bool) -> sa.Select[tuple[Question]]:
    """SELECT questions for a list: the clip joined (without its transcript), the owner only
    when the list shows who it is, and never the owner's organisation again (it is the
    reader's, already loaded). Each joined column costs on every row of every page."""
    media = joinedload(Question.media).defer(MediaFile.transcript)
    owner = (
        joinedload(Question.owner).lazyload(User.organisation)
        if with_owner
        else lazyload(Question.owner)
    )
    return sa.select(Question).options(media, owner)


def status_counts(session: Session, owner_id: int | None = None) -> dict[str, int]:
    """How many questions there are in each status (and ``all``)."""
    return status_counts_with_everyone(session, owner_id)[0]


def status_counts_with_everyone(
    session: Session, owner_id: int | None = None
) -> tuple[dict[str, int], int]:
    """The counts of :func:`status_counts`, and how many questions the organisation has in
    all, from one query (the list page shows both on every visit)."""
    mine = (
        sa.func.count(Question.id)
        if owner_id is None
        else sa.func.count(sa.case((Question.owner_id == owner_id, Question.id)))
    )
    query = (
        sa.select(Question.status, mine, sa.func.count(Question.id))
        .where(Question.organisation_id == required_organisation(session, "Counting questions"))
        .group_by(Question.status)
    )
    counts = {status: 0 for status in STATUSES}
    everyone = 0
    # On the connection, past the ORM's execution path: the organisation is filtered above.
    for status, count, total in session.connection().execute(query):
        counts[QuestionStatus(status).value] = count
        everyone += total
    counts["all"] = sum(counts.values())
    return counts, everyone


def max_recording_seconds(organisation: Organisation) -> int:
    """The longest recording the organisation allows: the media room's one rule (setting
    ``max_recording_seconds``), the same for the recorder page, uploads and the API."""
    from media.service import recording_limit

    return recording_limit(organisation)


def accepts_answers(question: Question, now: dt.datetime | None = None) -> bool:
    """True while tenants may answer: live, and not past its closing date."""
    now = now or utcnow()
    return question.is_live and (question.closes_at is None or question.closes_at > now)


# --- who may change a question -------------------------------------------------------------


def can_edit(user: User, question: Question) -> bool:
    """Its owner may change a question; so may admins and communicators (who help colleagues)."""
    return question.owner_id == user.id or user.role in EDITOR_ROLES


def require_editor(user: User, question: Question) -> None:
    """Forbidden unless ``user`` may change ``question``."""
    if not can_edit(user, question):
        raise Forbidden(
            _l(
                "This question belongs to %(owner)s. Ask them, a communicator or an admin to "
                "change it, or duplicate it to make your own.",
                owner=question.owner.display_name,
            )
        )


# --- changes -------------------------------------------------------------------------------


def create_question(session: Session, owner: User, values: Mapping[str, Any]) -> Question:
    """A new draft owned by ``owner``; ``values`` needs a title and answer modes."""
    cleaned = clean_question(values)
    cleaned.setdefault("language", owner.organisation.default_language or "sv")
    if cleaned["language"] not in LANGUAGES:
        cleaned["language"] = "sv"
    question = Question(
        organisation_id=owner.organisation_id,
        owner_id=owner.id,
        status=QuestionStatus.DRAFT,
        **{"prompt": "", "choices": [], **cleaned},
    )
    if AnswerMode.CHOICE not in question.answer_modes:
        question.choices = []
    session.add(question)
    session.flush()
    return question


def update_question(session: Session, question: Question, values: Mapping[str, Any]) -> Question:
    """Change the given fields; what a live question can no longer change is refused (409)."""
    if question.is_closed:
        raise Conflict(
            _l("This question is closed and can no longer be changed. Duplicate it."),
            code="question_closed",
        )
    cleaned = clean_question(values, current=question)
    if question.is_live:
        changed = [
            f for f in FIXED_ONCE_LIVE if f in cleaned and cleaned[f] != getattr(question, f)
        ]
        if changed:
            raise Conflict(
                _l(
                    "A live question keeps its language, answer modes and options, so answers "
                    "already given keep their meaning. Duplicate it to ask differently."
                ),
                code="fixed_once_live",
                details={f: [_l("Fixed once the question is live.")] for f in changed},
            )
        prompt = cleaned.get("prompt", question.prompt)
        if not prompt and not _has_ready_video(question):
            message = _l("A live question without a video needs a written prompt.")
            raise Conflict(message, code="nothing_to_ask", details={"prompt": [message]})
    for name, value in cleaned.items():
        setattr(question, name, value)
    if AnswerMode.CHOICE not in question.answer_modes:
        question.choices = []
    session.flush()
    return question


def duplicate_question(session: Session, question: Question, owner: User) -> Question:
    """A new draft with the same fields and the same video (no copy of the file), owned by
    ``owner``; a closing date already past is left out."""
    closes_at = question.closes_at if question.closes_at and question.closes_at > utcnow() else None
    copy = Question(
        organisation_id=question.organisation_id,
        owner_id=owner.id,
        title=_copy_title(question.title),
        prompt=question.prompt,
        language=question.language,
        answer_modes=list(question.answer_modes),
        choices=list(question.choices),
        closes_at=closes_at,
        media_id=question.media_id,
        status=QuestionStatus.DRAFT,
    )
    session.add(copy)
    session.flush()
    return copy


def _copy_title(title: str) -> str:
    # In the language of whoever copies it: it is their draft now.
    suffix = " " + gettext("(copy)")
    return title[: MAX_TITLE - len(suffix)] + suffix


def _has_ready_video(question: Question) -> bool:
    return question.media is not None and question.media.status == MediaStatus.READY


def publish_question(session: Session, question: Question) -> Question:
    """draft → live, once it has something to ask and a way to answer.

    Every refusal is a Conflict: publishing sends nothing but the wish, so what stops it is the
    question as it is stored.
    """
    if question.is_live:
        raise Conflict(_l("This question is already live."), code="already_live")
    if question.is_closed:
        raise Conflict(
            _l("This question is closed; duplicate it to ask it again."), code="question_closed"
        )
    media = question.media
    if media is not None and media.status in (
        MediaStatus.PENDING,
        MediaStatus.UPLOADED,
        MediaStatus.PROCESSING,
    ):
        raise Conflict(
            _l("The video is still being processed. Publish it once it is ready."),
            code="video_processing",
        )
    if media is not None and media.status == MediaStatus.FAILED:
        raise Conflict(
            _l(
                "The video could not be used. Upload or record another one, or remove it "
                "and publish with the written prompt only."
            ),
            code="video_failed",
        )
    if not question.prompt.strip() and not _has_ready_video(question):
        message = _l("Record a video or write the question out before publishing it.")
        raise Conflict(message, code="nothing_to_ask", details={"prompt": [message]})
    # Checked again: the rules may have tightened since the draft was saved.
    try:
        clean_question(
            {
                "title": question.title,
                "answer_modes": question.answer_modes,
                "choices": question.choices,
            }
        )
    except ValidationError as exc:
        raise Conflict(exc.text, code="not_publishable", details=exc.details) from exc
    if question.closes_at is not None and question.closes_at <= utcnow():
        message = _l("The closing date has passed: change or clear it first.")
        raise Conflict(message, code="closing_date_passed", details={"closes_at": [message]})
    question.status = QuestionStatus.LIVE
    question.published_at = utcnow()
    session.flush()
    return question


def close_question(session: Session, question: Question) -> Question:
    """draft or live → closed: no more answers, no more changes."""
    if question.is_closed:
        raise Conflict(_l("This question is already closed."), code="question_closed")
    question.status = QuestionStatus.CLOSED
    question.closed_at = utcnow()
    session.flush()
    return question


def ensure_captions_can_change(question: Question) -> None:
    """Conflict once the question is closed: closing is final, its captions included."""
    if question.is_closed:
        raise Conflict("This question is closed: its captions can no longer change.")


def ensure_video_can_change(question: Question) -> None:
    """Conflict unless the question is a draft: a live question keeps the video tenants see."""
    if not question.is_draft:
        raise Conflict(
            _l(
                "Only a draft can get a new video: a live or closed question keeps the one "
                "tenants saw. Duplicate it to record it again."
            ),
            code="not_a_draft",
        )


def attach_media(session: Session, question: Question, media: MediaFile) -> Question:
    """Make ``media`` (an upload of the same organisation) the question's video (drafts only)."""
    ensure_video_can_change(question)
    if media.organisation_id != question.organisation_id:
        raise NotFound(_l("No such video or audio file. Upload it again."))
    if media.status == MediaStatus.PENDING:
        raise Conflict(
            _l("The upload of this file has not finished. Send the file, then try again."),
            code="upload_unfinished",
        )
    question.media_id = media.id
    question.media = media
    session.flush()
    return question


def attach_upload(session: Session, question: Question, media: MediaFile) -> Question:
    """Make a finished upload the question's video, in one call (the recorder page and the
    API): the upload is completed first if it was not (checked, processing started).

    A refused file raises its refusal (``MediaRejected``, a 422 in the reader's language);
    the refusal is committed, and the question keeps the video it had. Nothing arrived yet:
    ``MediaRejected`` with code ``not_received``, and the upload stays open.
    """
    from media.service import complete_upload, refusal

    ensure_video_can_change(question)
    if media.organisation_id != question.organisation_id:
        raise NotFound(_l("No such video or audio file. Upload it again."))
    complete_upload(session, media)
    if media.status == MediaStatus.FAILED:
        session.commit()  # the refusal is the record of what happened to this file
        raise refusal(media)
    return attach_media(session, question, media)


def remove_media(session: Session, question: Question) -> Question:
    """Take the video off a draft (the file stays until retention removes it)."""
    ensure_video_can_change(question)
    question.media_id = None
    question.media = None
    session.flush()
    return question


def close_due_questions(session: Session, now: dt.datetime | None = None) -> int:
    """Close every live question whose closing date has passed; returns how many."""
    now = now or utcnow()
    due = session.scalars(
        sa.select(Question).where(
            Question.status == QuestionStatus.LIVE,
            Question.closes_at.is_not(None),
            Question.closes_at <= now,
        )
    ).all()
    for question in due:
        question.status = QuestionStatus.CLOSED
        question.closed_at = now
    session.flush()
    return len(due)
