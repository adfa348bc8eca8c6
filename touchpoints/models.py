"""Touchpoints: lasting placements with a short slug, their schedules and their funnels.

A touchpoint's current question comes from its schedule: each entry names a question and the day
it starts; it stays current until the next entry's day. The funnel keeps one counter per
touchpoint, day, source and event, and nothing about the people behind the numbers.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.db import Base, TimestampMixin, intpk, str120
from panel.core.scoping import OrgScoped
from panel.places.models import Place
from panel.questions.models import Question


class TouchpointKind(enum.StrEnum):
    EMBED = "embed"
    QR = "qr"
    LINK = "link"
    EMAIL = "email"
    SMS = "sms"
    TRIGGER = "trigger"
    VOICE = "voice"


# The kinds staff make here; ``trigger`` and ``voice`` come with their own features.
PLACEABLE_KINDS = (
    TouchpointKind.EMBED,
    TouchpointKind.QR,
    TouchpointKind.LINK,
    TouchpointKind.EMAIL,
    TouchpointKind.SMS,
)


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
    # A ``voice`` touchpoint's phone number (E.164): a call to it hears the current question.
    phone_number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)

    place: Mapped[Place | None] = relationship(lazy="joined")
    entries: Mapped[list[ScheduleEntry]] = relationship(
        back_populates="touchpoint",
        order_by="ScheduleEntry.starts_on",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ScheduleEntry(OrgScoped, Base):
    """One step of a touchpoint's timeline: ``question`` from ``starts_on`` on."""

    __tablename__ = "touchpoint_schedule_entry"
    __table_args__ = (sa.UniqueConstraint("touchpoint_id", "starts_on"),)

    id: Mapped[intpk]
    touchpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("touchpoint.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[dt.date]

    touchpoint: Mapped[Touchpoint] = relationship(back_populates="entries")
    question: Mapped[Question] = relationship(lazy="joined")


class FunnelEvent(enum.StrEnum):
    VIEW = "view"
    START = "start"
    ANSWER = "answer"


class FunnelSource(enum.StrEnum):
    """Where a visitor came from (``?src=``); anything else counts as ``direct``."""

    QR = "qr"
    EMBED = "embed"
    LINK = "link"
    EMAIL = "email"
    SMS = "sms"
    DIRECT = "direct"


class FunnelCount(OrgScoped, Base):
    """How many views, starts or answers one touchpoint had from one source on one day."""

    __tablename__ = "touchpoint_funnel"
    __table_args__ = (sa.UniqueConstraint("touchpoint_id", "day", "source", "event"),)

    id: Mapped[intpk]
    touchpoint_id: Mapped[int] = mapped_column(
        sa.ForeignKey("touchpoint.id", ondelete="CASCADE"), index=True
    )
    day: Mapped[dt.date]
    source: Mapped[str] = mapped_column(sa.String(10))
    event: Mapped[str] = mapped_column(sa.String(10))
    count: Mapped[int] = mapped_column(default=0)
