"""Thread, Comment, ThreadRead and SavedReply: the conversation that follows an answer.

Every answer opens one thread, owned by the question's owner. Its comments are the staff's
replies (delivered to the tenant over the answer's channel), internal notes, the tenant's
follow-ups and events (a hand-over, a status change). The thread copies what the inbox filters
and orders by from its answer (question, touchpoint, channel, place, a clip) so that one index
range answers a page however many threads there are.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from media.models import MediaFile
from panel.core.db import Base, UTCDateTime, intpk, timestamp
from panel.core.scoping import OrgScoped


class ThreadStatus(enum.StrEnum):
    """open: the tenant spoke last (an answer or a follow-up) → replied: staff answered →
    closed: nothing more to do (a follow-up opens it again)."""

    OPEN = "open"
    REPLIED = "replied"
    CLOSED = "closed"


class CommentKind(enum.StrEnum):
    REPLY = "reply"  # staff → tenant, delivered over the answer's channel
    NOTE = "note"  # staff → colleagues only
    FOLLOW_UP = "follow_up"  # tenant → staff (SMS, e-mail reply, the /me page)
    EVENT = "event"  # handed over, closed, reopened: the history


# A tsvector on PostgreSQL (full-text search with a GIN index); plain text elsewhere, unused.
SearchVector = sa.Text().with_variant(postgresql.TSVECTOR(), "postgresql")
# What an inbox row and its filters read besides the keyset (see panel.threads.inbox).
INBOX_COLUMNS = (
    "answer_id",
    "status",
    "question_id",
    "touchpoint_id",
    "place_id",
    "channel",
    "has_video",
    "waiting_since",
)
OWNER_UNREAD = sa.text("owner_read_at IS NULL OR owner_read_at < last_activity_at")


class Thread(OrgScoped, Base):
    """The conversation about one answer. ``token`` is the secret of its reply-to address
    (``reply+<token>@<reply domain>``). ``last_activity_at`` orders the inbox (with ``id`` as
    the tie-break of its keyset); ``waiting_since`` is when the tenant spoke last without a
    reply (None once replied or closed), which flags threads left too long."""

    __tablename__ = "thread"
    __table_args__ = (
        # On PostgreSQL the inbox's indexes carry every column its filters and rows read, so a
        # filtered page is an index-only scan that never touches the wide rows (search text).
        sa.Index(
            "ix_thread_inbox",
            "organisation_id",
            "last_activity_at",
            "id",
            postgresql_include=("owner_id", *INBOX_COLUMNS),
        ),
        sa.Index(
            "ix_thread_owner_inbox",
            "organisation_id",
            "owner_id",
            "last_activity_at",
            "id",
            postgresql_include=INBOX_COLUMNS,
        ),
        # The menu's unread count: only the threads their owner has not seen since they moved.
        sa.Index(
            "ix_thread_owner_unread",
            "organisation_id",
            "owner_id",
            postgresql_where=OWNER_UNREAD,
            sqlite_where=OWNER_UNREAD,
        ),
        # GIN on PostgreSQL; on SQLite the column stays empty (search reads search_text).
        sa.Index("ix_thread_search", "search_vector", postgresql_using="gin"),
        # The few new threads whose owner has not been told yet, for the sweep of lost tasks.
        sa.Index(
            "ix_thread_untold",
            "created_at",
            postgresql_where=sa.text("NOT owner_told"),
            sqlite_where=sa.text("NOT owner_told"),
        ),
    )

    id: Mapped[intpk]
    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("answer.id", ondelete="CASCADE"), unique=True
    )
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(10), default=ThreadStatus.OPEN.value)
    token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    # Copied from the answer for the inbox's filters.
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    touchpoint_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("touchpoint.id", ondelete="SET NULL"), index=True
    )
    place_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("place.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(sa.String(10))
    has_video: Mapped[bool] = mapped_column(default=False)
    language: Mapped[str] = mapped_column(sa.String(5), default="sv")
    created_at: Mapped[timestamp]
    last_activity_at: Mapped[timestamp]
    waiting_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # When the owner last read it (their ThreadRead's read_at, kept here for the unread count).
    owner_read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # Everything the tenant and staff wrote (answer, transcripts, comments), for search: the
    # text on SQLite (LIKE), and on PostgreSQL also a tsvector in the thread's language.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    search_vector: Mapped[Any] = mapped_column(SearchVector, nullable=True)
    # False from the answer's commit until a task has told the owner (by e-mail, if they chose
    # so): the tenant's request does not wait for the notice, and a lost task is found again.
    owner_told: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    answer = relationship("Answer", lazy="joined", innerjoin=True)
    owner = relationship("User", foreign_keys=[owner_id])
    question = relationship("Question", viewonly=True)
    comments: Mapped[list[Comment]] = relationship(
        order_by="Comment.id",
        back_populates="thread",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class Comment(OrgScoped, Base):
    """One entry of a thread. A reply names the outbound message that carries it (its delivery
    state shows on the thread); a follow-up names the inbound message it came as, which makes
    a redelivered SMS or e-mail one follow-up. ``data`` holds an event's details (who handed
    the thread to whom, and why) and the colleagues a note mentions."""

    __tablename__ = "thread_comment"
    __table_args__ = (sa.Index("ix_thread_comment_thread", "thread_id", "id"),)

    id: Mapped[intpk]
    thread_id: Mapped[int] = mapped_column(sa.ForeignKey("thread.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(10))
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    body: Mapped[str] = mapped_column(sa.Text, default="")
    language: Mapped[str | None] = mapped_column(sa.String(5))
    # How it travelled: a reply's or follow-up's channel (sms, email, web); None for notes.
    channel: Mapped[str | None] = mapped_column(sa.String(10))
    media_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("media_file.id", ondelete="SET NULL"), index=True
    )
    outbound_message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("outbound_message.id", ondelete="SET NULL"), index=True
    )
    inbound_message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inbound_message.id", ondelete="SET NULL"), unique=True
    )
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[timestamp]

    thread: Mapped[Thread] = relationship(back_populates="comments")
    author = relationship("User", foreign_keys=[author_id])
    media: Mapped[MediaFile | None] = relationship()
    outbound_message = relationship("OutboundMessage")


class ThreadRead(Base):
    """When a staff member last read a thread: unread is activity after it."""

    __tablename__ = "thread_read"

    thread_id: Mapped[int] = mapped_column(
        sa.ForeignKey("thread.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[timestamp]


class SavedReply(OrgScoped, Base):
    """A reply the organisation writes often, in one language, inserted in one click."""

    __tablename__ = "saved_reply"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "title", "language"),)

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(sa.String(120))
    language: Mapped[str] = mapped_column(sa.String(5))
    body: Mapped[str] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[timestamp]
