"""Touchpoints on the phone: a ``voice`` touchpoint owns one of the organisation's numbers, and
the answers room asks, through its seam, which question a placement shows today.

The seams (:func:`panel.answers.placements.register_placement_finder`, and
:func:`panel.organisations.numbers.register_number_users` for the settings page's list of
numbers) are registered when the app is built (``room.setup``): ``panel`` never imports
touchpoints, so the finders come to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import sqlalchemy as sa
from flask import Flask, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from notifications.senders import find_sender_number, sender_numbers
from panel.answers.models import Answer, AnswerChannel
from panel.answers.phone import calls_to_touchpoint
from panel.answers.placements import Placed, register_placement_finder
from panel.contacts.phones import (
    PhoneNumberError,
    display_phone,
    normalise_phone,
    region_for_language,
)
from panel.core.errors import Conflict, StoopError, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.scoping import ALL_ORGS_OPTION, required_organisation
from panel.organisations.models import Organisation
from panel.organisations.numbers import NumberUse, register_number_users
from touchpoints.links import public_url
from touchpoints.models import Touchpoint, TouchpointKind
from touchpoints.service import (
    clean_values,
    current_question,
    free_slug,
    organisation_today,
    set_schedule,
    update_touchpoint,
)

KEEP: Any = object()  # update_voice_touchpoint: leave the number as it is


def init_app(app: Flask) -> None:
    """Plug touchpoints into the answers room's placement seam, and tell the settings page
    which touchpoint answers each number."""
    register_placement_finder(app, find_placed)
    register_number_users(app, number_users)


def find_placed(
    session: Session, organisation_id: int, kinds: Sequence[str], phone_number: str | None
) -> Placed | None:
    """The current question of the organisation's first active touchpoint of ``kinds`` (oldest
    first) that has one today; with ``phone_number``, only the touchpoint of that number."""
    query = sa.select(Touchpoint).where(
        Touchpoint.organisation_id == organisation_id,
        Touchpoint.kind.in_([TouchpointKind(kind) for kind in kinds]),
        Touchpoint.is_active.is_(True),
    )
    if phone_number is not None:
        query = query.where(Touchpoint.phone_number == phone_number)
    touchpoints = session.scalars(query.order_by(Touchpoint.id)).unique().all()
    if not touchpoints:
        return None
    today = organisation_today(session.get(Organisation, organisation_id))
    for touchpoint in touchpoints:
        question = current_question(session, touchpoint, today)
        if question is not None:
            return Placed(question, touchpoint.id, touchpoint.place_id, public_url(touchpoint))
    return None


def clean_phone_number(
    session: Session, organisation_id: int, value: Any, *, touchpoint_id: int | None = None
) -> str:
    """A voice touchpoint's number, written as people write it (read in the organisation's
    country), in E.164. It must be one of the organisation's own numbers that takes calls (so
    calls to it reach Stoop), and no other touchpoint's (``touchpoint_id`` is the one being
    changed). Not a number: 422; not ours, taking no calls, or taken: 409, a conflict with what
    is stored."""
    number = _parse(session, organisation_id, value)
    shown = display_phone(number)
    owned = find_sender_number(session, number)
    if owned is None or owned.organisation_id != organisation_id:
        _refuse(
            Conflict,
            "phone_number_not_ours",
            _l(
                "%(number)s is not one of your organisation's numbers. An admin adds it under "
                "Settings, Phone numbers, first.",
                number=shown,
            ),
        )
    elif not owned.voice:
        _refuse(
            Conflict,
            "phone_number_takes_no_calls",
            _l(
                "%(number)s takes SMS only, not calls. An admin can add it again, with calls, "
                "under Settings, Phone numbers.",
                number=shown,
            ),
        )
    query = (
        sa.select(Touchpoint.id)
        .where(Touchpoint.phone_number == number)
        .execution_options(**{ALL_ORGS_OPTION: True})
    )
    if touchpoint_id is not None:
        query = query.where(Touchpoint.id != touchpoint_id)
    if session.scalar(query) is not None:
        _refuse(Conflict, "phone_number_taken", _taken(shown))
    return number


def _parse(session: Session, organisation_id: int, value: Any) -> str:
    text = str(value or "").strip() if isinstance(value, str | None) else ""
    if not text:
        _refuse(ValidationError, "invalid", _l("Choose the phone number tenants call."))
    organisation = session.get(Organisation, organisation_id)
    region = region_for_language(organisation.default_language if organisation else None)
    try:
        return normalise_phone(text, region)
    except PhoneNumberError as exc:
        _refuse(ValidationError, "invalid", exc.args[0])
    raise AssertionError("unreachable")  # _refuse always raises


def _taken(shown: str) -> Any:
    return _l("Another touchpoint already answers calls to %(number)s.", number=shown)


def _refuse(kind: type[StoopError], code: str, message: Any) -> NoReturn:
    raise kind(message, code=code, details={"phone_number": [message]})


def free_voice_numbers(
    session: Session, organisation_id: int, keep: str | None = None
) -> list[tuple[str, str]]:
    """The organisation's numbers that take calls and no touchpoint answers (plus ``keep``,
    the number of the touchpoint being changed), as (E.164, written for people)."""
    used = set(
        session.scalars(
            sa.select(Touchpoint.phone_number).where(Touchpoint.phone_number.is_not(None))
        )
    )
    return [
        (number.phone_number, display_phone(number.phone_number))
        for number in sender_numbers(session, organisation_id)
        if number.phone_number == keep or (number.voice and number.phone_number not in used)
    ]


def number_users(session: Session, organisation_id: int) -> dict[str, NumberUse]:
    """Which touchpoint answers each of the organisation's numbers (for its settings page)."""
    rows = session.execute(
        sa.select(Touchpoint.id, Touchpoint.name, Touchpoint.phone_number).where(
            Touchpoint.organisation_id == organisation_id, Touchpoint.phone_number.is_not(None)
        )
    ).all()
    return {
        number: NumberUse(name, url_for("touchpoints.show", touchpoint_id=touchpoint_id))
        for touchpoint_id, name, number in rows
    }


@dataclass(frozen=True)
class CallFigures:
    """A phone touchpoint's calls and the answers they left, since a day."""

    calls: int
    answers: int


def call_figures(session: Session, touchpoint: Touchpoint, since: dt.date) -> CallFigures:
    """How many calls heard the touchpoint's question from ``since`` on, and how many answers
    came by phone through it (a score pressed, a spoken answer, or both: one answer a call)."""
    start = dt.datetime.combine(since, dt.time(), dt.UTC)
    answers = session.scalar(
        sa.select(sa.func.count())
        .select_from(Answer)
        .where(
            Answer.touchpoint_id == touchpoint.id,
            Answer.channel == AnswerChannel.VOICE,
            Answer.created_at >= start,
        )
    )
    calls = calls_to_touchpoint(session, touchpoint.organisation_id, touchpoint.id, start)
    return CallFigures(calls=calls, answers=answers or 0)


def create_voice_touchpoint(
    session: Session,
    values: Mapping[str, Any],
    phone_number: str,
    schedule: Iterable[tuple[Any, Any]] | None = None,
) -> Touchpoint:
    """A ``voice`` touchpoint: calls to ``phone_number`` hear its current question."""
    organisation_id = required_organisation(session, "a voice touchpoint")
    number = clean_phone_number(session, organisation_id, phone_number)
    values = {k: v for k, v in values.items() if k != "kind"}
    cleaned = clean_values(session, {"is_active": True, **values})
    if "name" not in cleaned:
        cleaned.update(clean_values(session, {"name": None}))  # raises the name's message
    touchpoint = Touchpoint(
        slug=free_slug(session), kind=TouchpointKind.VOICE, phone_number=number, **cleaned
    )
    session.add(touchpoint)
    if schedule is not None:
        set_schedule(session, touchpoint, schedule)
    _flush(session, number)
    return touchpoint


def update_voice_touchpoint(
    session: Session,
    touchpoint: Touchpoint,
    values: Mapping[str, Any],
    schedule: Iterable[tuple[Any, Any]] | None = None,
    *,
    phone_number: Any = KEEP,
) -> Touchpoint:
    """Change a voice touchpoint's fields, schedule and (unless :data:`KEEP`) its number; an
    empty number frees it: calls to it are then answered by no touchpoint."""
    values = {k: v for k, v in values.items() if k != "kind"}
    update_touchpoint(session, touchpoint, values, schedule)
    if phone_number is not KEEP:
        touchpoint.phone_number = (
            clean_phone_number(
                session, touchpoint.organisation_id, phone_number, touchpoint_id=touchpoint.id
            )
            if phone_number not in (None, "")
            else None
        )
    _flush(session, touchpoint.phone_number)
    return touchpoint


def _flush(session: Session, number: str | None) -> None:
    """Flush in a savepoint: the same number taken by a request running at the same moment is
    a 409, and the caller's transaction lives on."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        _refuse(Conflict, "phone_number_taken", _taken(display_phone(number)))
