"""An organisation's logo as messages and pages show it: where its facts are kept, its public
path, and the size to draw it at.

The logo itself is stored by ``panel.organisations.brand`` (a PNG in media storage) and
described in the organisation's settings under :data:`LOGO_SETTING`; notifications reads that
description by table name, as it reads the organisation's name, because it may not import the
domain. The public path carries a hash of the PNG, so the file behind a path never changes and
can be cached for a year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

LOGO_SETTING = "logo"  # Organisation.settings[LOGO_SETTING] = {"key", "digest", "width", "height"}
DIGEST = re.compile(r"[0-9a-f]{16}")
EMAIL_BOX = (360, 56)  # the most an e-mail's header draws the logo at, in CSS pixels
PAGE_BOX = (320, 40)  # the same on a tenant page's header bar


@dataclass(frozen=True)
class Logo:
    """A stored logo: its storage key, the hash in its URL, and its size in pixels."""

    key: str
    digest: str
    width: int
    height: int

    @classmethod
    def from_settings(cls, settings: dict[str, Any] | None) -> Logo | None:
        """The logo an organisation's settings describe, or None (none, or not readable)."""
        found = (settings or {}).get(LOGO_SETTING)
        if not isinstance(found, dict):
            return None
        try:
            logo = cls(
                key=str(found["key"]),
                digest=str(found["digest"]),
                width=int(found["width"]),
                height=int(found["height"]),
            )
        except (KeyError, TypeError, ValueError):
            return None
        if not DIGEST.fullmatch(logo.digest) or logo.width < 1 or logo.height < 1:
            return None
        return logo

    def as_setting(self) -> dict[str, Any]:
        """The JSON value kept under :data:`LOGO_SETTING`."""
        return {"key": self.key, "digest": self.digest, "width": self.width, "height": self.height}

    def path(self, slug: str) -> str:
        """The public path of the logo (``/o/<slug>/logo-<digest>.png``)."""
        return logo_path(slug, self.digest)

    def fit(self, box: tuple[int, int]) -> tuple[int, int]:
        """Width and height to draw the logo at inside ``box``: scaled down, never up (the
        stored PNG is up to 120 px tall, so a 40 px header draws it sharp on a dense screen)."""
        max_width, max_height = box
        scale = min(max_width / self.width, max_height / self.height, 1.0)
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))


LOGO_RULE = "/o/<slug>/logo-<digest>.png"  # the organisations room's route for it


def logo_path(slug: str, digest: str) -> str:
    """The public path of a logo: :data:`LOGO_RULE` filled in."""
    return f"/o/{slug}/logo-{digest}.png"
