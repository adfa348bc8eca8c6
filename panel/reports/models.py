"""Insight reports and what hangs off them.

- :class:`Report`: what a communicator chose (questions and/or touchpoints, a date range, a
  place at any level, segments, weekly or monthly trend) and their own text between sections.
  Figures are never stored: they are computed from the answers each time
  (:mod:`panel.reports.figures`).
- :class:`ReportItem`: a quote or a clip picked for the report, in the communicator's order,
  with the in and out points of a clip (the highlight reel plays and renders them).
- :class:`CompositeIndex` and :class:`IndexComponent`: an organisation's own index (a weighted
  set of score questions, e.g. a service index) with its targets.
- :class:`ShareLink`: a read-only link to a report, revocable, with an optional expiry and an
  option to hide personal data.
- :class:`ReelRender`: the highlight reel rendered as one MP4 in the background.
- :class:`BenchmarkFigure`: an opted-in organisation's index figures for one quarter, compared
  anonymously with the other opted-in organisations'.
- :class:`ReportExport`: the answers behind a report written to a CSV or XLSX file in the
  background, for a report too large to export within a request.
- :class:`AnswerRollup`: the answers counted per day, question, touchpoint and channel, with
  their scores' distribution: what a report's totals, scores and trend read on PostgreSQL
  instead of every answer (:mod:`panel.reports.rollup`).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from panel.core.db import Base, TimestampMixin, UTCDateTime, intpk, str120, timestamp
from panel.core.scoping import OrgScoped


class Report(OrgScoped, TimestampMixin, Base):
    """One insight report. ``question_ids``/``touchpoint_ids``/``segment_ids`` are the
    organisation's own ids (checked when saved); an empty list of both questions and
    touchpoints means every answer of the organisation. ``texts`` holds the communicator's text
    keyed by section (``intro``, ``figures``, ``breakdown``, ``trend``, ``themes``,
    ``quotes``, ``closing``)."""

    __tablename__ = "report"

    id: Mapped[intpk]
    title: Mapped[str] = mapped_column(sa.String(200))
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    question_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    touchpoint_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    segment_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    place_id: Mapped[int | None] = mapped_column(sa.ForeignKey("place.id", ondelete="SET NULL"))
    starts_on: Mapped[dt.date | None] = mapped_column(sa.Date)
    ends_on: Mapped[dt.date | None] = mapped_column(sa.Date)  # inclusive
    period: Mapped[str] = mapped_column(sa.String(5), default="month")  # week | month
    index_ids: Mapped[list[int]] = mapped_column(sa.JSON, default=list)
    texts: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)

    created_by = relationship("User")
    place = relationship("Place")
    items: Mapped[list[ReportItem]] = relationship(
        order_by="ReportItem.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        back_populates="report",
    )


class ReportItem(OrgScoped, Base):
    """A quote (``kind="quote"``) or a clip (``kind="clip"``) in a report, at ``position``.
    ``starts_at``/``ends_at`` (seconds) trim a clip; None plays it from the start or to the
    end. Shown only while the answer's consent allows it (quote: ``consent_quote``; clip:
    ``consent_show_clip``)."""

    __tablename__ = "report_item"
    __table_args__ = (sa.UniqueConstraint("report_id", "answer_id", "kind"),)

    id: Mapped[intpk]
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id", ondelete="CASCADE"))
    answer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("answer.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(5))  # quote | clip
    position: Mapped[int] = mapped_column(default=0)
    starts_at: Mapped[float | None]
    ends_at: Mapped[float | None]
    created_at: Mapped[timestamp]

    report: Mapped[Report] = relationship(back_populates="items")
    answer = relationship("Answer", lazy="joined")


class CompositeIndex(OrgScoped, TimestampMixin, Base):
    """A weighted set of score questions with targets: the mean of the weighted question means
    at least ``target_mean`` and at least ``target_share`` percent of answers at or above the
    organisation's score target. ``benchmark_key`` (``service``, ``product``, ``safety``,
    ``overall``) says which national kind of index it is, for the benchmark across
    organisations."""

    __tablename__ = "composite_index"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "name"),)

    id: Mapped[intpk]
    name: Mapped[str120]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    target_mean: Mapped[float | None]
    target_share: Mapped[float | None]  # percent, 0-100
    benchmark_key: Mapped[str | None] = mapped_column(sa.String(20))

    components: Mapped[list[IndexComponent]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, back_populates="index"
    )


class IndexComponent(OrgScoped, Base):
    __tablename__ = "index_component"
    __table_args__ = (sa.UniqueConstraint("index_id", "question_id"),)

    id: Mapped[intpk]
    index_id: Mapped[int] = mapped_column(sa.ForeignKey("composite_index.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        sa.ForeignKey("question.id", ondelete="CASCADE"), index=True
    )
    weight: Mapped[float] = mapped_column(default=1.0)

    index: Mapped[CompositeIndex] = relationship(back_populates="components")
    question = relationship("Question")


class ShareLink(OrgScoped, Base):
    """A read-only link ``/r/<token>`` to a report (token ≥ 128 bits, random)."""

    __tablename__ = "share_link"

    id: Mapped[intpk]
    report_id: Mapped[int] = mapped_column(
        sa.ForeignKey("report.id", ondelete="CASCADE"), index=True
    )
    token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    label: Mapped[str] = mapped_column(sa.String(120), default="")
    hide_personal: Mapped[bool] = mapped_column(default=True)
    expires_at: Mapped[dt.datetime | None]
    revoked_at: Mapped[dt.datetime | None]
    last_opened_at: Mapped[dt.datetime | None]
    opened: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[timestamp]


class ReelRender(OrgScoped, Base):
    """One rendering of a report's highlight reel as an MP4. ``plan_hash`` is the hash of what
    was rendered (the clips, their in/out points and the title cards): a reel whose clips
    changed (consent revoked, a clip moved) gets a new render, and the old file goes.
    ``state``: queued → rendering → done | failed; ``progress`` 0-100 while rendering."""

    __tablename__ = "reel_render"
    __table_args__ = (sa.Index("ix_reel_render_report", "report_id", "created_at"),)

    id: Mapped[intpk]
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id", ondelete="CASCADE"))
    plan_hash: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(10), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    storage_key: Mapped[str | None] = mapped_column(sa.String(300))
    duration: Mapped[float | None]
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    clips: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[timestamp]
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class BenchmarkFigure(OrgScoped, Base):
    """An opted-in organisation's figure for one kind of index in one quarter (``2026Q4``).
    Others see only quartiles of these, never whose they are."""

    __tablename__ = "benchmark_figure"
    __table_args__ = (
        sa.UniqueConstraint("organisation_id", "quarter", "benchmark_key"),
        sa.Index("ix_benchmark_figure_quarter", "quarter", "benchmark_key"),
    )

    id: Mapped[intpk]
    quarter: Mapped[str] = mapped_column(sa.String(6))
    benchmark_key: Mapped[str] = mapped_column(sa.String(20))
    mean: Mapped[float | None]
    share_at_target: Mapped[float | None]  # percent
    answers: Mapped[int] = mapped_column(default=0)
    computed_at: Mapped[timestamp]


SCORE_COLUMNS = tuple(f"s{score}" for score in range(1, 11))


class AnswerRollup(OrgScoped, Base):
    """Answers counted per (day on the organisation's clock, question, touchpoint, channel):
    how many, and how many gave each score 1 to 10 (``s1`` .. ``s10``). ``touchpoint_id`` 0:
    not through a touchpoint. Written by triggers on ``answer`` on PostgreSQL only, as rows of
    changes (``compacted`` false: +n for answers added, -n for answers removed) which a periodic
    task merges into one ``compacted`` row per key; figures add up every row of a key, so they
    are right before the merge too. See :mod:`panel.reports.rollup`."""

    __tablename__ = "answer_rollup"
    __table_args__ = (
        sa.Index("ix_answer_rollup_day", "organisation_id", "day"),
        sa.Index(
            "ux_answer_rollup_key",
            "organisation_id",
            "day",
            "question_id",
            "touchpoint_id",
            "channel",
            unique=True,
            postgresql_where=sa.text("compacted"),
            sqlite_where=sa.text("compacted"),
        ),
        sa.Index(
            "ix_answer_rollup_fresh",
            "id",
            postgresql_where=sa.text("NOT compacted"),
            sqlite_where=sa.text("NOT compacted"),
        ),
    )

    id: Mapped[int] = mapped_column(
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    day: Mapped[dt.date] = mapped_column(sa.Date)
    # No foreign keys: the rows that take away a deleted question's answers outlive it.
    question_id: Mapped[int]
    touchpoint_id: Mapped[int] = mapped_column(default=0)
    channel: Mapped[str] = mapped_column(sa.String(10))
    answers: Mapped[int] = mapped_column(default=0)
    s1: Mapped[int] = mapped_column(default=0)
    s2: Mapped[int] = mapped_column(default=0)
    s3: Mapped[int] = mapped_column(default=0)
    s4: Mapped[int] = mapped_column(default=0)
    s5: Mapped[int] = mapped_column(default=0)
    s6: Mapped[int] = mapped_column(default=0)
    s7: Mapped[int] = mapped_column(default=0)
    s8: Mapped[int] = mapped_column(default=0)
    s9: Mapped[int] = mapped_column(default=0)
    s10: Mapped[int] = mapped_column(default=0)
    compacted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())


class ReportExport(OrgScoped, Base):
    """The answers behind a report written to a CSV or XLSX file in the background (a report
    too large to export within a request), kept in media storage until ``expires_at``.
    ``state``: queued → writing → done | failed, and expired once its file is deleted;
    ``progress`` 0-100 while writing, ``rows`` written so far of ``total``."""

    __tablename__ = "report_export"
    __table_args__ = (sa.Index("ix_report_export_report", "report_id", "created_at"),)

    id: Mapped[intpk]
    report_id: Mapped[int] = mapped_column(sa.ForeignKey("report.id", ondelete="CASCADE"))
    format: Mapped[str] = mapped_column(sa.String(4))  # csv | xlsx
    state: Mapped[str] = mapped_column(sa.String(10), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    rows: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    storage_key: Mapped[str | None] = mapped_column(sa.String(300))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[timestamp]
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
