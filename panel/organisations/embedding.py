"""Who may frame a touchpoint: the organisation's list of website origins.

Framed touchpoint pages answer with ``frame-ancestors`` naming exactly those origins; every
other page of Stoop keeps the app's ``frame-ancestors 'none'``. An organisation with no origins
listed gets ``'none'`` on its framed pages too: embedding is opt-in.
"""

from __future__ import annotations

from flask import current_app

from panel.organisations.models import Organisation
from panel.organisations.service import EMBED_ORIGINS_SETTING


def embed_origins(organisation: Organisation) -> list[str]:
    """The origins (``https://host[:port]``) allowed to frame the organisation's touchpoints."""
    origins = organisation.setting(EMBED_ORIGINS_SETTING, []) or []
    return [o for o in origins if isinstance(o, str)]


def frame_policy(origins: list[str]) -> str:
    """The app's CSP with ``frame-ancestors`` opened to ``origins`` (or kept at ``'none'``)."""
    from panel.app import content_security_policy

    policy = content_security_policy(current_app.config["STOOP"])
    ancestors = " ".join(origins) if origins else "'none'"
    return policy.replace("frame-ancestors 'none'", f"frame-ancestors {ancestors}")
