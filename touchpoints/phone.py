"""Touchpoints on the phone: a ``voice`` touchpoint owns one of the organisation's numbers, and
the answers room asks, through its seam, which question a placement shows today.

The seam (:func:`panel.answers.placements.register_placement_finder`) is registered when the
app is built (``room.setup``): ``panel`` never imports touchpoints, so the finder comes to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from notifications.senders import E164, organisation_for_number
from panel.answers.placements import Placed, register_placement_finder
from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.scoping import ALL_ORGS_OPTION, required_organisation
from panel.organisations.models import Organisation
from touchpoints.links import public_url
from touchpoints.models import Touchpoint, TouchpointKind
from touchpoints.service import (
    clean_values,
    current_question,
    free_slug,
    organisation_today,
    set_schedule,
)


def init_app(app: Flask) -> None:
    """Plug touchpoints into the answers room's placement seam."""
    register_placement_finder(app, find_placed)


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


def clean_phone_number(session: Session, organisation_id: int, value: Any) -> str:
    """A voice touchpoint's number: E.164, one of the organisation's own numbers (so calls to
    it reach Stoop), and no other touchpoint's."""
    number = "".join(str(value or "").split())
    problem = None
    if not E164.match(number):
        problem = _l("Write the phone number in international form, e.g. +46701234567.")
    elif organisation_for_number(session, number) != organisation_id:
        problem = _l(
            "%(number)s is not one of your organisation's numbers. Add it under the "
            "organisation's sender settings first.",
            number=number,
        )
    elif session.scalar(
        sa.select(Touchpoint.id)
        .where(Touchpoint.phone_number == number)
        .execution_options(**{ALL_ORGS_OPTION: True})
    ):
        problem = _l("Another touchpoint already answers calls to %(number)s.", number=number)
    if problem is not None:
        raise ValidationError(problem, details={"phone_number": [problem]})
    return number


def create_voice_touchpoint(
    session: Session,
    values: Mapping[str, Any],
    phone_number: str,
    schedule: Iterable[tuple[Any, Any]] | None = None,
) -> Touchpoint:
    """A ``voice`` touchpoint: calls to ``phone_number`` hear its current question."""
    organisation_id = required_organisation(session, "a voice touchpoint")
    number = clean_phone_number(session, organisation_id, phone_number)
    cleaned = clean_values(session, {"is_active": True, **values, "kind": "link"})
    cleaned["kind"] = TouchpointKind.VOICE
    if "name" not in cleaned:
        cleaned.update(clean_values(session, {"name": None}))  # raises the name's message
    touchpoint = Touchpoint(slug=free_slug(session), phone_number=number, **cleaned)
    session.add(touchpoint)
    if schedule is not None:
        set_schedule(session, touchpoint, schedule)
    session.flush()
    return touchpoint
