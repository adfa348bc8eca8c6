"""The personal link ``/a/<token>``: the question a person was invited to answer.

The answer form itself comes with the answers; this page shows the question as the tenant
pages do, in the tenant's language (the switch, the contact's, the browser's, else the
question's), and records that the link was opened.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from panel.core.db import utcnow
from panel.core.extensions import db
from panel.core.i18n import use_tenant_language
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.questions.playback import player_for
from panel.sends.service import find_invitation, mark_opened

bp = Blueprint("sends_public", __name__)


@bp.get("/a/<token>")
def answer(token: str) -> Any:
    """The invited person's question (404 for a link that does not exist, reveals nothing)."""
    session = db.session()
    invitation = find_invitation(session, token)
    if invitation is None:
        return render_template("sends/link_unknown.html"), 404
    with scoped_to(session, invitation.organisation_id):
        organisation = session.get(Organisation, invitation.organisation_id)
        question = invitation.question
        contact = invitation.contact
        language = use_tenant_language(
            contact.language if contact else None,
            fallback=question.language,
            default=organisation.default_language,
        )
        now = utcnow()
        if invitation.expires_at <= now:
            return render_template(
                "sends/link_expired.html", organisation=organisation, question=question
            ), 410
        mark_opened(session, invitation, now)
        session.commit()
        response = render_template(
            "sends/answer.html",
            organisation=organisation,
            question=question,
            player=player_for(question.media),
            language=language,
        )
    return response, 200, {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
