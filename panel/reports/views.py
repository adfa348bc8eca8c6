"""Report pages (communicators)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("reports", __name__, url_prefix="/app/reports")


@bp.get("/")
@login_required
def index() -> str:
    return render_template("reports/index.html")
