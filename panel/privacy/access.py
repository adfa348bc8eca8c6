"""Who may export a contact's data, and the download response both doors give.

Admins and communicators: they already see contacts and answers with names, and handle a
tenant's request; other staff answer threads and have no need for a person's whole file.
"""

from __future__ import annotations

from typing import Any

from flask import Response, send_file
from sqlalchemy.orm import Session

from media.storage import current_storage
from panel.accounts.models import Role
from panel.contacts.models import Contact
from panel.core.errors import Forbidden
from panel.core.i18n import lazy_text as _l
from panel.privacy import audit
from panel.privacy.export import filename, write_zip

EXPORTERS = (Role.ADMIN, Role.COMMUNICATOR)


def may_export(user: Any) -> bool:
    """True when ``user`` may download a contact's data."""
    return user is not None and user.role in EXPORTERS


def check_may_export(user: Any) -> None:
    """Forbidden unless ``user`` is an admin or a communicator."""
    if not may_export(user):
        raise Forbidden(
            _l("Only admins and communicators export a contact's data."), code="export_forbidden"
        )


def export_response(session: Session, contact: Contact, user: Any) -> Response:
    """The contact's ZIP as a download (written, then streamed from a temporary file)."""
    archive, counts = write_zip(session, contact, current_storage(), user.organisation.name)
    audit.record(
        session,
        "contact.export",
        organisation_id=contact.organisation_id,
        target_type="contact",
        target_id=contact.id,
        details=counts,
    )
    session.commit()
    response = send_file(
        archive,
        mimetype="application/zip",
        as_attachment=True,
        download_name=filename(contact),
        max_age=0,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
