"""Public pages of panels: /join/<slug> and /me/<token>."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("panels_public", __name__)
