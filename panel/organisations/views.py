"""The organisation's settings page (admins): the websites allowed to embed its touchpoints.

One page for the organisation-wide settings; each setting is a section of it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import TextAreaField

from panel.core.errors import Forbidden, StoopError
from panel.core.extensions import db
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
    return render_template("organisations/settings.html", organisation=organisation, form=form)


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
    return (
        render_template("organisations/settings.html", organisation=organisation, form=form),
        422,
    )
