"""Themes in open answers, the codes communicators tag answers with, and what the offline
models made of each answer.

- :class:`AnswerAnalysis`: one row per answer with words in it (text or transcript): the
  sentence embedding of those words (float32 bytes), the hash of the words it was made from
  (a corrected transcript makes a new one), and the sentiment where a model exists for the
  language.
- :class:`Theme`: a group of answers within a scope (a question, a touchpoint or a report), with
  its label (the most telling words until a communicator renames it) and its centroid, so an
  answer that arrives later is placed in the nearest theme.
- :class:`AnswerTheme`: which theme of a scope an answer is in; ``by_hand`` when a
  communicator moved it, which a new clustering keeps.
- :class:`Code` and :class:`AnswerCode`: an organisation's own tags, put on answers by hand.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel.core.db import Base, TimestampMixin, UTCDateTime, intpk, timestamp, utcnow
from panel.core.scoping import OrgScoped


class AnswerAnalysis(OrgScoped, Base):
    __tablename__ = "answer_analysis"

    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("answer.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    text_hash: Mapped[str] = mapped_column(sa.String(64))
    embedding_model: Mapped[str | None] = mapped_column(sa.String(80))
    embedding: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    sentiment: Mapped[str | None] = mapped_column(sa.String(8))  # positive | neutral | negative
    sentiment_model: Mapped[str | None] = mapped_column(sa.String(80))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Theme(OrgScoped, TimestampMixin, Base):
    __tablename__ = "theme"
    __table_args__ = (sa.Index("ix_theme_scope", "organisation_id", "scope_kind", "scope_id"),)

    id: Mapped[intpk]
    scope_kind: Mapped[str] = mapped_column(sa.String(12))  # question | touchpoint | report
    scope_id: Mapped[int]
    label: Mapped[str] = mapped_column(sa.String(200))
    named_by_hand: Mapped[bool] = mapped_column(default=False)
    keywords: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    centroid: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    position: Mapped[int] = mapped_column(default=0)


class AnswerTheme(OrgScoped, Base):
    __tablename__ = "answer_theme"
    __table_args__ = (sa.UniqueConstraint("answer_id", "scope_kind", "scope_id"),)

    id: Mapped[intpk]
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answer.id", ondelete="CASCADE"))
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("theme.id", ondelete="CASCADE"), index=True)
    scope_kind: Mapped[str] = mapped_column(sa.String(12))
    scope_id: Mapped[int]
    similarity: Mapped[float | None]
    by_hand: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[timestamp]


class Code(OrgScoped, TimestampMixin, Base):
    __tablename__ = "code"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(sa.String(80))


class AnswerCode(OrgScoped, Base):
    __tablename__ = "answer_code"
    __table_args__ = (sa.UniqueConstraint("answer_id", "code_id"),)

    id: Mapped[intpk]
    answer_id: Mapped[int] = mapped_column(sa.ForeignKey("answer.id", ondelete="CASCADE"))
    code_id: Mapped[int] = mapped_column(sa.ForeignKey("code.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[timestamp]
