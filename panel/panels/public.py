"""The tenant pages of panels: ``/join/<slug>`` (with its confirmation by e-mail link or SMS
code), and leaving a panel from ``/me/<token>`` (the page itself is in panel.answers).

Public: no login. A page finds its panel or member across organisations by slug or token
(the one look-up allowed to), then scopes the request's session to that organisation.
Unknown slugs and tokens get the same plain 404 page, which tells nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _

from panel.answers.mine import owner_of
from panel.contacts.service import LANGUAGES as CONTACT_LANGUAGES
from panel.core.errors import StoopError
from panel.core.extensions import db, limiter
from panel.core.i18n import use_tenant_language
from panel.core.scoping import scope_session
from panel.organisations.models import Organisation
from panel.panels import join as joining
from panel.panels import service
from panel.panels.models import Panel, PanelMember

bp = Blueprint("panels_public", __name__)

# Per address: enough for a family sharing a connection, too few to flood inboxes and phones.
JOIN_LIMIT = "10 per hour;3 per minute"
CODE_LIMIT = "20 per hour"


def _organisation(organisation_id: int) -> Organisation:
    return db.session().get(Organisation, organisation_id)


def _use_language(organisation: Organisation, *known: str | None) -> str:
    """The page's language (:func:`~panel.core.i18n.use_tenant_language`): the switch, what we
    know of the tenant, the browser's, the company's."""
    return use_tenant_language(*known, default=organisation.default_language)


def _not_found() -> Any:
    return render_template("panels/tenant_404.html"), 404


def _panel(slug: str) -> Panel | None:
    """The panel behind a join page, the request then scoped to its organisation."""
    if len(slug) > 60:
        return None
    session = db.session()
    panel = session.scalar(
        sa.select(Panel).where(Panel.slug == slug).execution_options(all_organisations=True)
    )
    if panel is not None:
        scope_session(session, panel.organisation_id)
    return panel


# --- /join/<slug> ------------------------------------------------------------------------------


@bp.route("/join/<slug>", methods=["GET", "POST"])
@limiter.limit(JOIN_LIMIT, methods=["POST"])
def join(slug: str) -> Any:
    """The join page: the panel, its consent text, and a form. POST starts the double opt-in."""
    panel = _panel(slug)
    if panel is None:
        return _not_found()
    session = db.session()
    organisation = _organisation(panel.organisation_id)
    form = {k: (request.form.get(k) or "").strip() for k in ("name", "email", "phone", "language")}
    language = _use_language(organisation, form["language"] or None)
    # Questions come in Swedish, Dutch or English: a page read in Arabic leaves the choice open.
    form["language"] = form["language"] or (language if language in CONTACT_LANGUAGES else "")
    version = service.current_consent(session, panel)
    page = {"panel": panel, "organisation": organisation, "consent": version, "form": form}
    if not panel.is_open or version is None:
        return render_template("panels/join_closed.html", **page)
    if request.method == "GET":
        return render_template("panels/join.html", errors={}, **page)
    errors: dict[str, list[Any]] = {}
    if request.form.get("consent_version") != str(version.id):
        # The text changed while the form was open: show the new one before they agree to it.
        errors["consent"] = [_("The consent text has just changed. Read it again, then agree.")]
    elif not request.form.get("agree"):
        errors["consent"] = [_("Tick the box to agree, or you cannot join.")]
    try:
        cleaned = joining.clean_request(organisation, **form)
    except StoopError as exc:
        errors.update(exc.details or {})
    if errors:
        return render_template("panels/join.html", errors=errors, **page), 422
    started = joining.start(session, organisation, panel, cleaned, version)
    session.commit()
    if started.by == "email":
        return render_template("panels/join_check_email.html", email=cleaned.email, **page)
    return redirect(url_for(".code", slug=panel.slug, ticket=started.ticket), 303)


@bp.route("/join/<slug>/confirm/<token>", methods=["GET", "POST"])
def confirm(slug: str, token: str) -> Any:
    """The e-mailed link. GET shows a button and POST confirms: mail scanners that open every
    link must not join anyone."""
    panel = _panel(slug)
    if panel is None:
        return _not_found()
    session = db.session()
    organisation = _organisation(panel.organisation_id)
    _use_language(organisation)
    member = joining.pending_by_ticket(session, panel, token)
    page = {"panel": panel, "organisation": organisation}
    if member is None or member.confirm_code_hash is not None or joining.expired(member):
        return render_template("panels/join_link_invalid.html", **page), 410
    _use_language(organisation, member.contact.language)
    if request.method == "GET":
        return render_template("panels/join_confirm.html", token=token, **page)
    joining.confirm(session, member)
    session.commit()
    return redirect(url_for("answers_public.me", token=member.me_token, welcome=panel.id), 303)


@bp.route("/join/<slug>/code/<ticket>", methods=["GET", "POST"])
@limiter.limit(CODE_LIMIT, methods=["POST"])
def code(slug: str, ticket: str) -> Any:
    """Where the SMS code is typed: a few tries, then the tenant starts again."""
    panel = _panel(slug)
    if panel is None:
        return _not_found()
    session = db.session()
    organisation = _organisation(panel.organisation_id)
    member = joining.pending_by_ticket(session, panel, ticket)
    page = {"panel": panel, "organisation": organisation}
    if member is None or member.confirm_code_hash is None:
        _use_language(organisation)
        return render_template("panels/join_link_invalid.html", **page), 410
    _use_language(organisation, member.contact.language)
    error = None
    if request.method == "POST":
        result = joining.check_code(session, member, ticket, request.form.get("code", ""))
        session.commit()
        if result == joining.CodeResult.CONFIRMED:
            return redirect(
                url_for("answers_public.me", token=member.me_token, welcome=panel.id), 303
            )
        if result == joining.CodeResult.EXPIRED:
            return render_template("panels/join_link_invalid.html", expired=True, **page), 410
        if result == joining.CodeResult.EXHAUSTED:
            return render_template("panels/join_link_invalid.html", exhausted=True, **page), 410
        error = _(
            "That is not the code we sent. %(num)s tries left.", num=joining.tries_left(member)
        )
    status = 422 if error else 200
    return render_template(
        "panels/join_code.html", ticket=ticket, error=error, phone=member.contact.phone, **page
    ), status


# --- /me/<token> -------------------------------------------------------------------------------


@bp.post("/me/<token>/leave/<int:panel_id>")
def leave(token: str, panel_id: int) -> Any:
    """Leave one panel (the consent log records the withdrawal)."""
    session = db.session()
    owner = owner_of(session, token)
    if owner is None or owner.contact is None:
        return _not_found()
    target = session.scalar(
        sa.select(PanelMember).where(
            PanelMember.contact_id == owner.contact.id, PanelMember.panel_id == panel_id
        )
    )
    if target is None:
        return _not_found()
    service.leave(session, target, method="me")
    session.commit()
    return redirect(url_for("answers_public.me", token=token, left=panel_id), 303)
