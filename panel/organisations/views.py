"""The organisation's settings page (admins): the websites allowed to embed its touchpoints,
and the fatigue cap (at most N questions a month per panel member).

One page for the organisation-wide settings; each setting is a section of it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from panel.core.errors import Forbidden, StoopError
from panel.core.extensions import db
from panel.organisations.fatigue import MAX_CAP, MIN_CAP, set_fatigue_cap
from panel.organisations.models import Organisation
from panel.organisations.service import EMBED_ORIGINS_SETTING, clean_origins

bp = Blueprint("organisations", __name__)


class EmbedOriginsForm(FlaskForm):
    """The websites (origins) that may show the organisation's touchpoints in a frame."""

    origins = TextAreaField(
        _l("Websites that may show your touchpoints"),
        description=_l(
            "One a line, as the browser's address bar shows it without the path, e.g. "
            "https://www.example.se. Other websites cannot show your questions in a frame."
        ),
    )


def _require_admin() -> None:
    if not current_user.is_admin:
        raise Forbidden(_("Only admins change the organisation's settings."))


def _organisation() -> Organisation:
    return db.session().get(Organisation, current_user.organisation_id)


@bp.get("/app/settings")
@login_required
def settings() -> Any:
    """The organisation's settings."""
    _require_admin()
    organisation = _organisation()
    origins = organisation.setting(EMBED_ORIGINS_SETTING, []) or []
    form = EmbedOriginsForm(origins="\n".join(origins))
    return _page(organisation, form)


def _page(organisation: Organisation, form: FlaskForm, status: int = 200, **fatigue: Any) -> Any:
    """The settings page; ``fatigue`` overrides what the fatigue-cap section shows (a value
    that was refused, and why)."""
    section = {"value": organisation.fatigue_cap, "error": None, "min": MIN_CAP, "max": MAX_CAP}
    section.update(fatigue)
    page = render_template(
        "organisations/settings.html", organisation=organisation, form=form, fatigue=section
    )
    return page, status


@bp.post("/app/settings/embed-origins")
@login_required
def save_embed_origins() -> Any:
    """Save the list of websites allowed to embed touchpoints."""
    _require_admin()
    session = db.session()
    organisation = _organisation()
    form = EmbedOriginsForm()
    if form.validate_on_submit():
        try:
            origins = clean_origins(form.origins.data or "")
        except StoopError as exc:
            form.origins.errors = [exc.message]
        else:
            # A new dict: the JSON column notices reassignment, not changes in place.
            organisation.settings = {
                **(organisation.settings or {}),
                EMBED_ORIGINS_SETTING: origins,
            }
            session.commit()
            flash(_("Saved the websites that may show your touchpoints."), "success")
            return redirect(url_for(".settings", _anchor="embedding"), 303)
    return _page(organisation, form, 422)


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
        origins = organisation.setting(EMBED_ORIGINS_SETTING, []) or []
        form = EmbedOriginsForm(formdata=None, origins="\n".join(origins))
        return _page(organisation, form, 422, value=value[:10], error=exc.message)
    session.commit()
    if cap is None:
        flash(_("Saved: no limit on questions a month."), "success")
    else:
        flash(_("Saved: at most %(num)s questions a month per member.", num=cap), "success")
    return redirect(url_for(".settings", _anchor="fatigue"), 303)
