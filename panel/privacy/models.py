"""What privacy keeps: the audit log and erasure requests.

- :class:`AuditEvent`: who did what to which record, when and from where. Append-only: the app
  never updates or deletes a row, and on PostgreSQL a trigger refuses ``UPDATE`` and ``DELETE``
  (migration 0016). It holds ids, never a tenant's name, e-mail or phone, so erasing a contact
  leaves it as it is. ``organisation_id`` is a plain column (no foreign key): a failed login for
  an unknown address has no organisation, and the log outlives what it tells of.
- :class:`ErasureRequest`: a contact's erasure, asked by a tenant from ``/me`` (an admin
  confirms it), by staff or by the API; worked through in steps recorded in ``steps_done`` so
  an erasure killed half-way resumes where it stopped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from panel.core.db import Base, UTCDateTime, intpk, timestamp
from panel.core.scoping import OrgScoped


class AuditEvent(Base):
    """One audited action. ``action`` is dotted (``auth.login``, ``auth.login_failed``,
    ``contact.export``, ``contact.erase``, ``report.share``, ``user.role``, ``token.create``,
    ``token.use``, ``settings.change``, ``retention.delete``); ``target_type``/``target_id``
    name the record; ``actor`` says who in words kept when the account is gone."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_organisation_created", "organisation_id", "created_at"),
        sa.Index("ix_audit_event_action", "organisation_id", "action"),
    )

    id: Mapped[intpk]
    organisation_id: Mapped[int | None] = mapped_column(index=False)
    actor_user_id: Mapped[int | None]
    actor: Mapped[str] = mapped_column(sa.String(200), default="")
    action: Mapped[str] = mapped_column(sa.String(60))
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[timestamp]


class ErasureRequest(OrgScoped, Base):
    """``state``: requested (by a tenant, waiting for an admin) → confirmed → running → done;
    or declined. ``contact_id`` is kept as a plain number: the contact row is gone at the end.
    ``steps_done`` lists the steps finished, ``counts`` what each removed."""

    __tablename__ = "erasure_request"
    __table_args__ = (sa.Index("ix_erasure_request_state", "state"),)

    id: Mapped[intpk]
    contact_id: Mapped[int] = mapped_column(index=True)
    source: Mapped[str] = mapped_column(sa.String(10))  # me | staff | api
    state: Mapped[str] = mapped_column(sa.String(10), default="requested")
    requested_at: Mapped[timestamp]
    requested_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL")
    )
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    steps_done: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    counts: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    error: Mapped[str | None] = mapped_column(sa.Text)
