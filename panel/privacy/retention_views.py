"""The retention section of the settings page: how many months media and answers are kept
(:mod:`panel.privacy.retention`). Admins only."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from panel.core.errors import Forbidden, ValidationError
from panel.core.extensions import db
from panel.organisations.models import Organisation
from panel.privacy import audit, retention

bp = Blueprint("retention", __name__)


@bp.post("/app/settings/retention")
@login_required
def save() -> Any:
    """Save ``media_retention_months`` and ``answer_retention_months`` (blank: keep)."""
    if not current_user.is_admin:
        raise Forbidden(_("Only admins change the organisation's settings."))
    session = db.session()
    organisation = session.get(Organisation, current_user.organisation_id)
    try:
        retention.save_settings(organisation, request.form)
    except ValidationError as exc:
        session.rollback()
        from panel.organisations.views import settings as settings_page

        g.retention_refused = {
            "values": {key: str(request.form.get(key) or "")[:10] for key in retention.SETTINGS},
            "error": exc.message,
        }
        page, _status = settings_page()
        return page, exc.status
    audit.record_changes(session, "settings.change", organisation, section="retention")
    session.commit()
    flash(_("Saved how long media and answers are kept."), "success")
    return redirect(url_for("organisations.settings", _anchor="retention"), 303)
