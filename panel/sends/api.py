"""``/api/v1/panels/{id}/sends`` and ``/api/v1/sends/{id}``: sending a live question to a
panel over the API, and following it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g
from flask.views import MethodView

from panel.core.api import Blueprint
from panel.core.api.schemas import error_responses
from panel.core.errors import NotFound
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.panels.models import Segment
from panel.panels.service import get_panel
from panel.questions.service import get_question
from panel.sends import service
from panel.sends.models import Send
from panel.sends.schemas import SendInSchema, SendListSchema, SendSchema

panel_sends = Blueprint(
    "api_panel_sends",
    __name__,
    description="Send a live question to a panel (or a segment) by e-mail and SMS.",
)
sends = Blueprint(
    "api_sends", __name__, description="A send's state and figures; cancelling a scheduled one."
)


def _dump(send: Send) -> Send:
    # The schema reads the figures as an attribute of the send, worked out for this answer.
    send.figures = service.progress(db.session(), send)  # type: ignore[attr-defined]
    return send


@panel_sends.route("/<int:panel_id>/sends")
class PanelSends(MethodView):
    @panel_sends.response(200, SendListSchema)
    @error_responses(panel_sends, 404)
    def get(self, panel_id: int) -> Any:
        """The panel's sends, newest first (at most 100)."""
        session = db.session()
        panel = get_panel(session, panel_id)
        found = session.scalars(
            sa.select(Send).where(Send.panel_id == panel.id).order_by(Send.id.desc()).limit(100)
        ).all()
        return {"items": [_dump(send) for send in found]}

    @panel_sends.arguments(SendInSchema)
    @panel_sends.response(201, SendSchema)
    @error_responses(panel_sends, 404, 409, 413, 422)
    def post(self, data: dict[str, Any], panel_id: int) -> Any:
        """Send a live question to the panel now or at ``scheduled_at``. 409 when the question
        does not take answers (a draft, closed, or closing before the send would start)."""
        session = db.session()
        panel = get_panel(session, panel_id)
        question = get_question(session, data["question_id"])
        segment = None
        if data["segment_id"] is not None:
            segment = session.get(Segment, data["segment_id"])
            if segment is None or segment.panel_id != panel.id:
                raise NotFound(_l("There is no such segment of this panel."))
        send = service.create_send(
            session,
            g.api_user,
            question,
            panel,
            segment=segment,
            channels=data["channels"],
            scheduled_at=data["scheduled_at"],
            remind_after_days=data["remind_after_days"],
            max_reminders=data["max_reminders"],
        )
        session.commit()
        return _dump(send)


@sends.route("/<int:send_id>")
class OneSend(MethodView):
    @sends.response(200, SendSchema)
    @error_responses(sends, 404)
    def get(self, send_id: int) -> Any:
        """A send with its figures: invited, skipped, messages by state, opened, answered."""
        return _dump(service.get_send(db.session(), send_id))


@sends.route("/<int:send_id>/cancel")
class CancelSend(MethodView):
    @sends.response(200, SendSchema)
    @error_responses(sends, 404, 409)
    def post(self, send_id: int) -> Any:
        """Cancel a scheduled send (409 once it has started)."""
        session = db.session()
        send = service.get_send(session, send_id)
        service.cancel_send(session, send)
        session.commit()
        return _dump(send)
