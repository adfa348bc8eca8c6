"""Touchpoints: making them, their schedules, and the question each shows today."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.core.db import utcnow
from panel.core.errors import NotFound, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.core.scoping import ALL_ORGS_OPTION
from panel.organisations.models import Organisation
from panel.places.service import get_place
from panel.questions.forms import DEFAULT_TIMEZONE, local_day
from panel.questions.models import Question, QuestionStatus
from panel.questions.service import get_question
from touchpoints.models import PLACEABLE_KINDS, ScheduleEntry, Touchpoint, TouchpointKind
from touchpoints.schedule import Step, current_entry, timeline

# No 0/o, 1/i/l: a slug read off a flyer in a dim stairwell is typed right the first time.
SLUG_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
SLUG_LENGTH = 7
MAX_NAME = 120
MAX_ENTRIES = 100


def new_slug() -> str:
    """A short, readable, random slug (31⁷ ≈ 2.7·10¹⁰ of them)."""
    return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


def organisation_today(organisation: Organisation) -> dt.date:
    """Today in the organisation's time zone: a schedule changes at local midnight."""
    zone = str(organisation.setting("timezone", DEFAULT_TIMEZONE))
    return local_day(utcnow(), zone) or utcnow().date()


# --- reading ---------------------------------------------------------------------------------


def get_touchpoint(session: Session, touchpoint_id: Any) -> Touchpoint:
    """The touchpoint of the session's organisation, or NotFound."""
    touchpoint = None
    if (parsed := parse_id(touchpoint_id)) is not None:
        touchpoint = session.scalar(sa.select(Touchpoint).where(Touchpoint.id == parsed))
    if touchpoint is None:
        raise NotFound(_l("There is no such touchpoint. It may have been deleted."))
    return touchpoint


def find_by_slug(session: Session, slug: str) -> Touchpoint | None:
    """The touchpoint a public URL names, in whichever organisation owns it (the one lookup
    that crosses organisations; the caller scopes itself to the row's organisation after)."""
    if not slug or len(slug) > 40:
        return None
    return session.scalar(
        sa.select(Touchpoint)
        .where(Touchpoint.slug == slug.lower())
        .execution_options(**{ALL_ORGS_OPTION: True})
    )


def list_touchpoints(session: Session) -> list[Touchpoint]:
    """The organisation's touchpoints, newest first."""
    return list(session.scalars(sa.select(Touchpoint).order_by(Touchpoint.id.desc())).unique())


def current_question(
    session: Session, touchpoint: Touchpoint, today: dt.date | None = None
) -> Question | None:
    """The question ``touchpoint`` shows on ``today``: its current schedule entry's, if live.

    A draft or closed question on the current step shows nothing (the page says so kindly)
    rather than the step before it: staff chose that step, and tenants must not answer a
    question staff have moved on from.
    """
    if not touchpoint.is_active:
        return None
    if today is None:
        today = organisation_today(session.get(Organisation, touchpoint.organisation_id))
    entry = current_entry(touchpoint.entries, today)
    if entry is None or entry.question.status != QuestionStatus.LIVE:
        return None
    return entry.question


def schedule_timeline(touchpoint: Touchpoint, today: dt.date) -> list[Step[ScheduleEntry]]:
    """The touchpoint's schedule as past, current and upcoming steps."""
    return timeline(touchpoint.entries, today)


# --- writing ---------------------------------------------------------------------------------


def _name(value: Any) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise ValidationError(
            _l("The name must be text."), details={"name": [_l("The name must be text.")]}
        )
    name = " ".join(value.split())
    if not name:
        message = _l("Give the touchpoint a name, e.g. “Flyer in stairwell 3B”.")
        raise ValidationError(message, details={"name": [message]})
    if len(name) > MAX_NAME:
        message = _l("The name can be at most %(limit)s characters.", limit=MAX_NAME)
        raise ValidationError(message, details={"name": [message]})
    return name


def _kind(value: Any) -> TouchpointKind:
    try:
        kind = TouchpointKind(value)
    except ValueError:
        kind = None
    if kind not in PLACEABLE_KINDS:
        message = _l("Choose the kind: embed, qr, link, email or sms.")
        raise ValidationError(message, details={"kind": [message]})
    return kind  # type: ignore[return-value]


def clean_values(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    """The touchpoint fields given in ``values``, checked (name, kind, place_id, is_active)."""
    cleaned: dict[str, Any] = {}
    if "name" in values:
        cleaned["name"] = _name(values["name"])
    if "kind" in values:
        cleaned["kind"] = _kind(values["kind"])
    if "place_id" in values:
        place_id = values["place_id"]
        if place_id is None or place_id == "":
            cleaned["place_id"] = None
        else:
            # get_place answers NotFound for what is not an id, as for another's place.
            cleaned["place_id"] = get_place(session, parse_id(place_id) or 0).id
    if "is_active" in values:
        cleaned["is_active"] = bool(values["is_active"])
    return cleaned


def create_touchpoint(
    session: Session,
    values: Mapping[str, Any],
    schedule: Iterable[tuple[Any, Any]] | None = None,
) -> Touchpoint:
    """A new touchpoint with a fresh slug, and its schedule ((question_id, starts_on) pairs)."""
    cleaned = clean_values(session, {"is_active": True, **values})
    for field in ("name", "kind"):
        if field not in cleaned:
            cleaned.update(clean_values(session, {field: None}))  # raises the field's message
    touchpoint = Touchpoint(slug=free_slug(session), **cleaned)
    session.add(touchpoint)
    if schedule is not None:
        set_schedule(session, touchpoint, schedule)
    session.flush()
    return touchpoint


def free_slug(session: Session) -> str:
    """A slug no touchpoint of any organisation has."""
    for _attempt in range(10):
        slug = new_slug()
        taken = session.scalar(
            sa.select(Touchpoint.id)
            .where(Touchpoint.slug == slug)
            .execution_options(**{ALL_ORGS_OPTION: True})
        )
        if taken is None:
            return slug
    raise RuntimeError("no free touchpoint slug after 10 tries")  # 1 in 10^90: a broken RNG


def update_touchpoint(
    session: Session,
    touchpoint: Touchpoint,
    values: Mapping[str, Any],
    schedule: Iterable[tuple[Any, Any]] | None = None,
) -> Touchpoint:
    """Change a touchpoint's fields and, when given, replace its schedule."""
    for key, value in clean_values(session, values).items():
        setattr(touchpoint, key, value)
    if schedule is not None:
        set_schedule(session, touchpoint, schedule)
    session.flush()
    return touchpoint


def _starts_on(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(
        _l("Give each step a start date, e.g. 2026-03-01."),
        details={"schedule": [_l("Give each step a start date, e.g. 2026-03-01.")]},
    )


def set_schedule(
    session: Session, touchpoint: Touchpoint, schedule: Iterable[tuple[Any, Any]]
) -> None:
    """Replace the schedule with ``(question_id, starts_on)`` pairs: one question a day at most;
    every question must be the organisation's (404 otherwise)."""
    pairs = list(schedule)
    if len(pairs) > MAX_ENTRIES:
        message = _l("A schedule can have at most %(limit)s steps.", limit=MAX_ENTRIES)
        raise ValidationError(message, details={"schedule": [message]})
    wanted: dict[dt.date, Question] = {}
    for question_id, starts_on in pairs:
        day = _starts_on(starts_on)
        if day in wanted:
            message = _l(
                "Two steps start on %(day)s. Give each step its own day.", day=day.isoformat()
            )
            raise ValidationError(message, details={"schedule": [message]})
        if parse_id(question_id) is None:
            message = _l("Choose a question for each step.")
            raise ValidationError(message, details={"schedule": [message]})
        wanted[day] = get_question(session, parse_id(question_id))
    kept = {entry.starts_on: entry for entry in touchpoint.entries}
    for day, entry in list(kept.items()):
        if day not in wanted:
            touchpoint.entries.remove(entry)
    # Removals reach the database before the new rows, so a day freed and taken again in one
    # change does not trip the one-step-a-day constraint.
    session.flush()
    for day, question in sorted(wanted.items()):
        if day in kept:
            kept[day].question = question
        else:
            touchpoint.entries.append(ScheduleEntry(question=question, starts_on=day))
    touchpoint.entries.sort(key=lambda e: e.starts_on)
