"""Staff pages of panels."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from flask_login import login_required

bp = Blueprint("panels", __name__)


@bp.get("/app/panels")
@login_required
def index() -> Any:
    """The organisation's panels."""
    return ""
