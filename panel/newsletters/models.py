"""Newsletters ("you said, we did"): a communicator's message back to tenants.

A :class:`Newsletter` goes to a panel (or one of its segments) or to the contacts of a place,
by e-mail and/or a short SMS with a link to its web page ``/n/<token>``. It carries the
communicator's text, figures and quotes picked from a report, a clip link, the actions taken and
a link to join a panel. It is written to the outbox through the messages service, like sends.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.db import Base, TimestampMixin, intpk
from panel.core.scoping import OrgScoped


class Newsletter(OrgScoped, TimestampMixin, Base):
    """``status``: draft → sending → sent. ``content`` holds what was picked: figure keys,
    quote answer ids, a clip answer id, action item ids (kept as chosen; consent is checked again
    when the newsletter is shown). ``recipients``/``skipped`` are written when it is sent."""

    __tablename__ = "newsletter"

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str] = mapped_column(sa.String(2), default="sv")
    report_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("report.id", ondelete="SET NULL"), index=True
    )
    panel_id: Mapped[int | None] = mapped_column(sa.ForeignKey("panel.id", ondelete="SET NULL"))
    segment_id: Mapped[int | None] = mapped_column(sa.ForeignKey("segment.id", ondelete="SET NULL"))
    place_id: Mapped[int | None] = mapped_column(sa.ForeignKey("place.id", ondelete="SET NULL"))
    join_panel_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("panel.id", ondelete="SET NULL")
    )
    channels: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    content: Mapped[dict[str, list[int] | list[str] | int | None]] = mapped_column(
        sa.JSON, default=dict
    )
    token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="draft")
    sent_at: Mapped[dt.datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )

    report = relationship("Report")
    panel = relationship("Panel", foreign_keys=[panel_id])
    segment = relationship("Segment")
    place = relationship("Place")
