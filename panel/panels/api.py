"""``/api/v1/panels``."""

from __future__ import annotations

from panel.core.api import Blueprint

blp = Blueprint("api_panels", __name__, description="Panels and their members.")
