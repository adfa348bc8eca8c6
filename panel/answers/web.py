"""The answer form on the tenant pages: reading a POST into what the tenant gave, the choice
of places a touchpoint offers, and the response after a send.

Shared by the personal link (``/a/<token>``, panel.sends.public) and the touchpoint page
(``/t/<slug>``, touchpoints.public), so both behave alike: a plain form POST that needs no
JavaScript; with JavaScript (``answer.js``) the same POST asks for JSON and goes on to upload a
recorded clip.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import jsonify, redirect, request, url_for
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from panel.answers.models import Answer
from panel.answers.service import MAX_TEXT, Consent, Given
from panel.places.models import Place

# A form's one-time key: the same key twice (a double click, a re-sent form) is one answer.
SUBMISSION_BYTES = 18
MAX_PLACES = 600
HONEYPOT = "website"


def new_submission_key() -> str:
    return secrets.token_urlsafe(SUBMISSION_BYTES)


def submission_key(form: MultiDict[str, str]) -> str | None:
    """The form's one-time key, when it looks like one we made."""
    key = (form.get("submission") or "").strip()
    return key if 16 <= len(key) <= 64 and key.replace("-", "").replace("_", "").isalnum() else None


def _flag(form: MultiDict[str, str], name: str) -> bool:
    return form.get(name) in {"1", "on", "true", "yes"}


def given_from(form: MultiDict[str, str]) -> Given:
    """What the tenant gave, read from the form (checked later by ``record_answer``)."""
    return Given(
        text=(form.get("text") or "")[: MAX_TEXT * 4],
        score=form.get("score") or None,
        choice=form.get("choice") or None,
        clip_kind=form.get("clip_kind") or None,
        consent=Consent(
            identity=_flag(form, "consent_identity"),
            quote=_flag(form, "consent_quote"),
            show_clip=_flag(form, "consent_show_clip"),
        ),
        place_id=form.get("place") or None,
        name=form.get("name"),
        email=form.get("email"),
        phone=form.get("phone"),
        may_contact=_flag(form, "may_contact"),
    )


def is_bot(form: MultiDict[str, str]) -> bool:
    """The hidden field people never see was filled in: a form-filling robot."""
    return bool((form.get(HONEYPOT) or "").strip())


def kept_values(form: MultiDict[str, str]) -> dict[str, Any]:
    """What to put back in the form when it comes back with an error, so nothing is lost."""
    names = ("text", "score", "choice", "place", "name", "email", "phone")
    values: dict[str, Any] = {name: form.get(name) for name in names}
    for flag in ("may_contact", "consent_identity", "consent_quote", "consent_show_clip"):
        values[flag] = _flag(form, flag)
    return values


def error_messages(details: Any) -> dict[str, list[str]]:
    """A ValidationError's details as the form's field errors (strings)."""
    return {field: [str(m) for m in messages] for field, messages in (details or {}).items()}


@dataclass(frozen=True)
class PlaceChoice:
    id: int
    label: str


def place_choices(session: Session) -> list[PlaceChoice]:
    """The organisation's places as a picker shows them ("Area / Building / Stairwell"); none
    when the tree is too large to list (the place is optional)."""
    rows = session.execute(
        sa.select(Place.id, Place.path).order_by(Place.path).limit(MAX_PLACES + 1)
    ).all()
    if len(rows) > MAX_PLACES:
        return []
    return [PlaceChoice(row.id, row.path) for row in rows]


def wants_json() -> bool:
    """The page's script sent the form and reads the answer as JSON."""
    return request.accept_mimetypes.best == "application/json"


def after_answer(answer: Answer, created: bool) -> Any:
    """Where the tenant goes next: the thank-you page (a plain form), or its address in JSON
    for the page's script, which then uploads the announced clip to ``clip`` (given while the
    answer awaits one)."""
    # Inside a website's frame the thank-you page is framed too (it says so to be allowed).
    embedded = "1" if request.args.get("embed") == "1" else None
    thanks = url_for("answers_public.thanks", token=answer.me_token, embed=embedded)
    if wants_json():
        body: dict[str, Any] = {
            "answer": answer.id,
            "created": created,
            "thanks": thanks,
            "awaits_clip": answer.awaits_clip,
        }
        if answer.awaits_clip:
            body["clip"] = url_for("answers_public.clip_start", token=answer.me_token)
        return jsonify(body), 201 if created else 200
    return redirect(thanks, 303)
