"""The staff app's landing page and the site root."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user, login_required

from panel.contacts.models import Contact
from panel.core.extensions import db
from panel.places.models import Place, PlaceKind

bp = Blueprint("home", __name__)


@bp.get("/")
def root() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("home.dashboard"))
    return redirect(url_for("accounts.login"))


@bp.get("/app/")
@login_required
def dashboard() -> Any:
    session = db.session()
    counts = {
        "contacts": session.scalar(sa.select(sa.func.count(Contact.id))) or 0,
        "areas": session.scalar(
            sa.select(sa.func.count(Place.id)).where(Place.kind == PlaceKind.AREA)
        )
        or 0,
        "stairwells": session.scalar(
            sa.select(sa.func.count(Place.id)).where(Place.kind == PlaceKind.STAIRWELL)
        )
        or 0,
    }
    return render_template("home/dashboard.html", counts=counts)
