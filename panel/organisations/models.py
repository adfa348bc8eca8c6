"""Organisation: one housing company. Every other row belongs to exactly one."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel.core.db import Base, intpk, str40, str120, timestamp


class Organisation(Base):
    """One housing company; every other row belongs to exactly one."""

    __tablename__ = "organisation"

    id: Mapped[intpk]
    name: Mapped[str120]
    slug: Mapped[str40] = mapped_column(unique=True)
    default_language: Mapped[str] = mapped_column(sa.String(2), default="sv")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # At most this many questions a month reach one panel member (None: no cap); sends honour it.
    fatigue_cap: Mapped[int | None] = mapped_column(default=None)
    # The time zone the answers' rollup counts days in (PostgreSQL: set by a trigger from
    # ``settings["timezone"]``, see panel.reports.rollup; never written by the app).
    rollup_zone: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    created_at: Mapped[timestamp]

    def setting(self, key: str, default: Any = None) -> Any:
        """One organisation setting (e.g. ``max_recording_seconds``), or the default."""
        return (self.settings or {}).get(key, default)
