"""Action plans: what an organisation does about what tenants said.

An :class:`ActionItem` is tied to a place (usually an area or a stairwell) and, when it came out
of one, to a report; a staff member is responsible for it by a due date; it moves planned →
doing → done. :class:`ActionComment` holds the conversation about it.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.db import Base, TimestampMixin, intpk, timestamp
from panel.core.scoping import OrgScoped


class ActionStatus(enum.StrEnum):
    PLANNED = "planned"
    DOING = "doing"
    DONE = "done"


class ActionItem(OrgScoped, TimestampMixin, Base):
    """What is done, where, by whom, by when. ``reminded_at`` keeps the reminder before the due
    date from going out twice."""

    __tablename__ = "action_item"
    __table_args__ = (
        sa.Index("ix_action_item_place", "organisation_id", "place_id"),
        sa.Index("ix_action_item_due", "status", "due_on"),
    )

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    report_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("report.id", ondelete="SET NULL"), index=True
    )
    place_id: Mapped[int | None] = mapped_column(sa.ForeignKey("place.id", ondelete="SET NULL"))
    responsible_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    due_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(10), default=ActionStatus.PLANNED.value)
    done_at: Mapped[dt.datetime | None]
    reminded_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    place = relationship("Place")
    report = relationship("Report")
    responsible = relationship("User", foreign_keys=[responsible_id])
    comments: Mapped[list[ActionComment]] = relationship(
        order_by="ActionComment.created_at",
        cascade="all, delete-orphan",
        passive_deletes=True,
        back_populates="item",
    )


class ActionComment(OrgScoped, Base):
    __tablename__ = "action_comment"

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("action_item.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[timestamp]

    item: Mapped[ActionItem] = relationship(back_populates="comments")
    author = relationship("User")
