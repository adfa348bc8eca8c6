"""Touchpoint: a lasting placement with a short slug. Its schedule and kinds come later."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel.core.db import Base, TimestampMixin, intpk, str120
from panel.core.scoping import OrgScoped


class TouchpointKind(enum.StrEnum):
    EMBED = "embed"
    QR = "qr"
    LINK = "link"
    EMAIL = "email"
    SMS = "sms"
    TRIGGER = "trigger"
    VOICE = "voice"


class Touchpoint(OrgScoped, TimestampMixin, Base):
    """A placement: ``/t/<slug>`` shows its current question."""

    __tablename__ = "touchpoint"

    id: Mapped[intpk]
    slug: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[TouchpointKind] = mapped_column(
        sa.Enum(
            TouchpointKind,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        )
    )
    name: Mapped[str120]
    place_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("place.id", ondelete="SET NULL"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
