"""``/api/v1/touchpoints``: list, create, read and change touchpoints with their schedules.

A place, question or phone number named in the body that is not the organisation's is a
conflict with what is stored (409, as for places), not a missing resource: the request's own URL
exists. So is a number another touchpoint answers, or one that takes no calls.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g
from flask.views import MethodView

from panel.core.api import Blueprint
from panel.core.api.schemas import error_responses
from panel.core.errors import Conflict, NotFound
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import decode_cursor, encode_cursor
from panel.places.service import get_place
from panel.questions.service import get_question
from touchpoints import phone, service
from touchpoints.models import Touchpoint, TouchpointKind
from touchpoints.schemas import (
    TouchpointInSchema,
    TouchpointPageSchema,
    TouchpointPatchSchema,
    TouchpointQuerySchema,
    TouchpointSchema,
    dump_touchpoint,
)

blp = Blueprint(
    "api_touchpoints",
    __name__,
    description="Touchpoints: lasting placements of a question (embed, QR flyer, link, e-mail "
    "or SMS to an area, or a phone number tenants call) with a short public URL and a schedule "
    "of questions.",
)


def _today() -> Any:
    return service.organisation_today(g.api_user.organisation)


def _check_references(data: dict[str, Any]) -> None:
    """409 for a place or question the organisation does not have."""
    session = db.session()
    if data.get("place_id") is not None:
        try:
            get_place(session, data["place_id"])
        except NotFound as exc:
            raise Conflict(
                exc.text, code="place_not_found", details={"place_id": [exc.text]}
            ) from exc
    days = [step["starts_on"] for step in data.get("schedule") or []]
    for day in days:
        if days.count(day) > 1:
            # A rule across items that JSON Schema cannot state: a conflict, like the
            # questions API's rules across fields.
            message = _l(
                "Two steps start on %(day)s. Give each step its own day.", day=day.isoformat()
            )
            raise Conflict(message, code="same_day", details={"schedule": [message]})
    for step in data.get("schedule") or []:
        try:
            get_question(session, step["question_id"])
        except NotFound as exc:
            raise Conflict(
                exc.text, code="question_not_found", details={"schedule": [exc.text]}
            ) from exc


def _pairs(data: dict[str, Any]) -> list[tuple[int, Any]] | None:
    if "schedule" not in data:
        return None
    return [(step["question_id"], step["starts_on"]) for step in data["schedule"]]


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ("name", "kind", "place_id", "is_active") if k in data}


def _check_kind(touchpoint: Touchpoint, data: dict[str, Any]) -> None:
    """409 for a change across the line between voice and the other kinds."""
    voice = touchpoint.kind == TouchpointKind.VOICE
    if "kind" in data and (data["kind"] == TouchpointKind.VOICE.value) != voice:
        message = _l(
            "A voice touchpoint stays a voice touchpoint, and the others never become one: "
            "make a new touchpoint instead."
        )
        raise Conflict(message, code="kind_change", details={"kind": [message]})
    if "phone_number" in data and not voice:
        message = _l("Only a voice touchpoint has a phone number.")
        raise Conflict(message, code="not_voice", details={"phone_number": [message]})


@blp.route("/")
class Touchpoints(MethodView):
    @blp.arguments(TouchpointQuerySchema, location="query")
    @blp.response(200, TouchpointPageSchema)
    @error_responses(blp, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """List touchpoints, ordered by id, a page at a time; filter by kind or place."""
        session = db.session()
        query = sa.select(Touchpoint).order_by(Touchpoint.id)
        if args.get("kind"):
            query = query.where(Touchpoint.kind == TouchpointKind(args["kind"]))
        if args.get("place_id") is not None:
            query = query.where(Touchpoint.place_id == args["place_id"])
        last = decode_cursor(args.get("after"))
        if last is not None:
            query = query.where(Touchpoint.id > last)
        rows = list(session.scalars(query.limit(args["limit"] + 1)).unique())
        more = len(rows) > args["limit"]
        rows = rows[: args["limit"]]
        today = _today()
        return {
            "items": [dump_touchpoint(session, t, today) for t in rows],
            "next": encode_cursor(rows[-1].id) if more else None,
        }

    @blp.arguments(TouchpointInSchema)
    @blp.response(201, TouchpointSchema)
    @error_responses(blp, 409, 413, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a touchpoint with a fresh slug, and its schedule; a ``voice`` one with its
        phone number. 409 when the place, a question or the number is not the organisation's,
        when two steps start on the same day, or when the number takes no calls or another
        touchpoint answers it."""
        session = db.session()
        _check_references(data)
        if data["kind"] == TouchpointKind.VOICE.value:
            touchpoint = phone.create_voice_touchpoint(
                session, _fields(data), data["phone_number"], _pairs(data)
            )
        else:
            touchpoint = service.create_touchpoint(session, _fields(data), _pairs(data))
        session.commit()
        return dump_touchpoint(session, touchpoint, _today())


@blp.route("/<int:touchpoint_id>")
class TouchpointResource(MethodView):
    @blp.response(200, TouchpointSchema)
    @error_responses(blp, 404)
    def get(self, touchpoint_id: int) -> Any:
        """One touchpoint, with its schedule as a timeline and the question shown today."""
        session = db.session()
        return dump_touchpoint(session, service.get_touchpoint(session, touchpoint_id), _today())

    @blp.arguments(TouchpointPatchSchema)
    @blp.response(200, TouchpointSchema)
    @error_responses(blp, 404, 409, 413, 422)
    def patch(self, data: dict[str, Any], touchpoint_id: int) -> Any:
        """Change the given fields; a ``schedule`` replaces the whole schedule. 409 as for
        creating, and for a change of kind to or from ``voice``."""
        session = db.session()
        touchpoint = service.get_touchpoint(session, touchpoint_id)
        _check_kind(touchpoint, data)
        _check_references(data)
        if touchpoint.kind == TouchpointKind.VOICE:
            phone.update_voice_touchpoint(
                session,
                touchpoint,
                _fields(data),
                _pairs(data),
                phone_number=data.get("phone_number", phone.KEEP),
            )
        else:
            service.update_touchpoint(session, touchpoint, _fields(data), _pairs(data))
        session.commit()
        return dump_touchpoint(session, touchpoint, _today())
