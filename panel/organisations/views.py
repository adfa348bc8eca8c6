"""The organisation's settings page (admins). One page for the organisation-wide settings;
each setting is a section of it (``templates/organisations/_<setting>.html``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from panel.core.errors import Forbidden, StoopError
from panel.core.extensions import db
from panel.organisations.fatigue import MAX_CAP, MIN_CAP, set_fatigue_cap
from panel.organisations.models import Organisation

bp = Blueprint("organisations", __name__)


def _require_admin() -> None:
    if not current_user.is_admin:
        raise Forbidden(_("Only admins change the organisation's settings."))


def _organisation() -> Organisation:
    return db.session().get(Organisation, current_user.organisation_id)


def _page(organisation: Organisation, status: int = 200, **context: Any) -> Any:
    fatigue = {
        "value": context.pop("fatigue_value", organisation.fatigue_cap),
        "error": context.pop("fatigue_error", None),
        "min": MIN_CAP,
        "max": MAX_CAP,
    }
    page = render_template(
        "organisations/settings.html", organisation=organisation, fatigue=fatigue, **context
    )
    return page, status


@bp.get("/app/settings")
@login_required
def settings() -> Any:
    """The organisation's settings."""
    _require_admin()
    return _page(_organisation())


@bp.post("/app/settings/fatigue-cap")
@login_required
def save_fatigue_cap() -> Any:
    """Save "at most N questions a month per panel member" (blank: no limit)."""
    _require_admin()
    session = db.session()
    organisation = _organisation()
    value = (request.form.get("fatigue_cap") or "").strip()
    try:
        cap = set_fatigue_cap(organisation, value)
    except StoopError as exc:
        return _page(organisation, 422, fatigue_value=value[:10], fatigue_error=exc.message)
    session.commit()
    if cap is None:
        flash(_("Saved: no limit on questions a month."), "success")
    else:
        flash(_("Saved: at most %(num)s questions a month per member.", num=cap), "success")
    return redirect(url_for(".settings", _anchor="fatigue"), 303)
