"""The question a placement shows today, asked for by the phone channels through a seam.

An SMS from someone never asked is answered with the organisation's current ``sms`` or ``link``
question; a call to a ``voice`` touchpoint's number hears that touchpoint's current question.
Placements are the touchpoints room's, which ``panel`` never imports: the touchpoints room
registers a finder when the app is built (:func:`register_placement_finder`), as contacts plug
into notifications' seams. Without one (an app built without touchpoints) nothing is placed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Flask, current_app
from sqlalchemy.orm import Session

from panel.questions.models import Question

FINDER_KEY = "answers.placement_finder"


@dataclass(frozen=True)
class Placed:
    """A live question where a placement shows it: which touchpoint, its place, its page."""

    question: Question
    touchpoint_id: int
    place_id: int | None
    link: str


PlacementFinder = Callable[[Session, int, Sequence[str], str | None], Placed | None]


def register_placement_finder(app: Flask, finder: PlacementFinder) -> None:
    """Make ``finder(session, organisation_id, kinds, phone_number)`` the way to find the
    current question of the organisation's first active touchpoint of one of ``kinds`` (and,
    when given, with that phone number). It runs scoped to the organisation."""
    app.extensions[FINDER_KEY] = finder


def placed_question(
    session: Session,
    organisation_id: int,
    kinds: Sequence[str],
    *,
    phone_number: str | None = None,
) -> Placed | None:
    """The current question of a touchpoint of ``kinds`` (None without a finder or a question)."""
    finder: PlacementFinder | None = current_app.extensions.get(FINDER_KEY)
    return finder(session, organisation_id, kinds, phone_number) if finder else None
