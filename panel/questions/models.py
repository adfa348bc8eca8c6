"""Question: a staff member's question to tenants, with its answer modes and optional video."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from media.models import MediaFile
from panel.accounts.models import User
from panel.core.db import Base, TimestampMixin, intpk
from panel.core.scoping import OrgScoped


class QuestionStatus(enum.StrEnum):
    """draft (being written) → live (tenants may answer) → closed (no more answers)."""

    DRAFT = "draft"
    LIVE = "live"
    CLOSED = "closed"


class AnswerMode(enum.StrEnum):
    """The ways a tenant may answer; a question allows one or several."""

    TEXT = "text"
    VIDEO = "video"
    AUDIO = "audio"
    SCORE = "score"  # a whole number from 1 to 10
    CHOICE = "choice"  # one of the question's ``choices``


class Question(OrgScoped, TimestampMixin, Base):
    """One question, owned by the staff member who asks it (answers land in their threads)."""

    __tablename__ = "question"

    id: Mapped[intpk]
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    prompt: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str] = mapped_column(sa.String(2), default="sv")
    answer_modes: Mapped[list[str]] = mapped_column(default=list)
    choices: Mapped[list[str]] = mapped_column(default=list)
    status: Mapped[QuestionStatus] = mapped_column(
        sa.Enum(
            QuestionStatus,
            native_enum=False,
            length=20,
            values_callable=lambda e: [m.value for m in e],
        ),
        default=QuestionStatus.DRAFT,
        index=True,
    )
    closes_at: Mapped[dt.datetime | None]
    published_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    media_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("media_file.id", ondelete="SET NULL"), index=True
    )

    owner: Mapped[User] = relationship(lazy="joined")
    media: Mapped[MediaFile | None] = relationship(lazy="joined")

    @property
    def is_draft(self) -> bool:
        return self.status == QuestionStatus.DRAFT

    @property
    def is_live(self) -> bool:
        return self.status == QuestionStatus.LIVE

    @property
    def is_closed(self) -> bool:
        return self.status == QuestionStatus.CLOSED
