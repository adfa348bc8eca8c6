"""The staff page's door to the export: the button on a contact's page posts here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import current_user, login_required

from panel.contacts.service import get_contact
from panel.core.extensions import db
from panel.privacy.access import check_may_export, export_response

bp = Blueprint("contact_export", __name__)


@bp.post("/app/contacts/<int:contact_id>/export")
@login_required
def export_contact(contact_id: int) -> Any:
    """Download the contact's data as a ZIP (a POST: it is recorded in the audit log)."""
    check_may_export(current_user)
    session = db.session()
    return export_response(session, get_contact(session, contact_id), current_user)
