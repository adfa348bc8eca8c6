"""A touchpoint's public addresses, absolute (they are printed, pasted and scanned elsewhere)."""

from __future__ import annotations

from flask import current_app

from touchpoints.models import Touchpoint


def base_url() -> str:
    """The public base URL Stoop is reached at (``STOOP_BASE_URL``)."""
    return str(current_app.config["STOOP"].base_url).rstrip("/")


def public_url(touchpoint: Touchpoint, src: str | None = None) -> str:
    """``<base>/t/<slug>``, with ``?src=`` when the link is for one source."""
    url = f"{base_url()}/t/{touchpoint.slug}"
    return f"{url}?src={src}" if src else url


def short_url(touchpoint: Touchpoint) -> str:
    """The address as a person types it off paper: no scheme."""
    return public_url(touchpoint).split("://", 1)[-1]


def embed_snippet(touchpoint: Touchpoint, mode: str = "button") -> str:
    """The HTML a web editor pastes into a page to show the touchpoint."""
    return (
        f'<script src="{base_url()}/embed.js" data-touchpoint="{touchpoint.slug}" '
        f'data-mode="{mode}" async></script>'
    )
