"""``GET /api/v1/contacts/{id}/export``: a contact's data as a ZIP (admins and communicators)."""

from __future__ import annotations

from typing import Any

from flask import g
from flask.views import MethodView

from panel.contacts.service import get_contact
from panel.core.api import Blueprint
from panel.core.api.schemas import error_responses
from panel.core.extensions import db
from panel.privacy.access import check_may_export, export_response

blp = Blueprint(
    "api_privacy",
    __name__,
    description="A contact's data, for a tenant who asks what is kept about them.",
)

ZIP_DESCRIPTION = (
    "A ZIP: `contact.json` (profile, consent log, opt-outs, panel memberships with the consent "
    "text agreed to, invitations, answers with their consent flags, transcripts, replies and "
    "follow-ups, messages sent and received), `media/<id>/…` (each clip's original and MP4, "
    "pictures) and `README.txt`, a summary in the contact's language. Staff's internal notes "
    "are not included."
)


@blp.route("/<int:contact_id>/export")
class ContactExport(MethodView):
    @blp.response(
        200,
        {"type": "string", "format": "binary"},
        content_type="application/zip",
        description=ZIP_DESCRIPTION,
    )
    @error_responses(blp, 403, 404)
    def get(self, contact_id: int) -> Any:
        """Everything about one contact, as a ZIP file. Admins and communicators only (403)."""
        check_may_export(g.api_user)
        session = db.session()
        return export_response(session, get_contact(session, contact_id), g.api_user)
