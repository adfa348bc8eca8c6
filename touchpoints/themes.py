"""A touchpoint's themes: the answers that came through it, grouped as a question's are
(``/app/touchpoints/<id>/themes``; the pages are :mod:`panel.themes.views`)."""

from __future__ import annotations

from flask import Blueprint, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from panel.themes.scopes import of_touchpoint
from panel.themes.views import ScopePage, add_scope_routes
from touchpoints.service import get_touchpoint

bp = Blueprint("touchpoint_themes", __name__)


def touchpoint_page(session: Session, touchpoint_id: int) -> ScopePage:
    touchpoint = get_touchpoint(session, touchpoint_id)
    return ScopePage(
        scope=of_touchpoint(touchpoint.id),
        title=touchpoint.name,
        section=_("Touchpoints"),
        section_url=url_for("touchpoints.index"),
        back_url=url_for("touchpoints.show", touchpoint_id=touchpoint.id),
        endpoint="touchpoint_themes",
        variable="touchpoint_id",
    )


add_scope_routes(bp, "/app/touchpoints", "touchpoint_id", touchpoint_page)
