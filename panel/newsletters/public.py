"""The web version of a newsletter ``/n/<token>``: public, without a login, a tenant page.

The token is the link in the e-mail and the SMS. A draft has no page (only its preview for
staff); the page speaks the reader's language around the newsletter's own words (the switch,
the browser's, else the newsletter's language), and shows only quotes whose tenant still
allows them.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template
from flask_babel import format_decimal

from panel.core.extensions import db
from panel.core.i18n import text_direction, use_tenant_language
from panel.core.scoping import scope_session
from panel.newsletters import service
from panel.newsletters.models import Newsletter
from panel.organisations.models import Organisation

bp = Blueprint("newsletters_public", __name__)


@bp.app_template_filter("newsletter_number")
def number(value: float | None, decimals: int = 1) -> str:
    """A figure as the reader's language writes it (``7,8`` in Swedish, ``7.8`` in English)."""
    if value is None:
        return "\u2013"
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return format_decimal(round(float(value), decimals), format=pattern)


HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def page(newsletter: Newsletter, organisation: Organisation, *, preview: bool = False) -> Any:
    """The newsletter's web page (``preview``: shown to staff before it is sent)."""
    session = db.session()
    if not preview:
        use_tenant_language(
            fallback=newsletter.language, default=organisation.default_language or "sv"
        )
    body = render_template(
        "newsletters/web.html",
        newsletter=newsletter,
        organisation=organisation,
        preview=preview,
        language=str(g.get("locale") or newsletter.language),
        dir=text_direction(newsletter.language),
        **service.view(session, newsletter),
    )
    return body, 200, HEADERS


@bp.get("/n/<token>")
def read(token: str) -> Any:
    """A sent newsletter's web page; a friendly 404 for a link that does not work."""
    session = db.session()
    newsletter = service.find_by_token(session, token)
    if newsletter is None:
        use_tenant_language(default="sv")
        return render_template("newsletters/web_unknown.html"), 404, HEADERS
    scope_session(session, newsletter.organisation_id)
    organisation = session.get(Organisation, newsletter.organisation_id)
    return page(newsletter, organisation)
