"""Public pages of panels: /join/<slug> and /me/<token>."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

bp = Blueprint("panels_public", __name__)


@bp.route("/join/<slug>", methods=["GET", "POST"])
def join(slug: str) -> Any:
    """The public join page (built in step 3)."""
    return ""
