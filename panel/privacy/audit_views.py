"""The audit log page for admins: ``/app/audit``, newest first, filtered by action, person,
record and dates, and exported as CSV with the same filters.

``AuditEvent`` is not ``OrgScoped`` (a failed login for an unknown address has no
organisation), so every query here names the admin's organisation itself. Nothing here
changes a row: the page only reads, and the only write is the export's own audit row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from panel.accounts.models import User
from panel.core.csv_files import formula_safe, spooled_csv
from panel.core.errors import Forbidden, ValidationError
from panel.core.extensions import db
from panel.core.pagination import keyset_page
from panel.core.routing import parse_id
from panel.privacy import audit
from panel.privacy.models import AuditEvent

bp = Blueprint("audit", __name__)

PAGE_SIZE = 50
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class AuditFilter:
    """What the admin asked to see (every field optional)."""

    action: str = ""
    person: int | None = None
    target_type: str = ""
    target_id: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def args(self) -> dict[str, Any]:
        """The filter as query arguments (for links to the next page and the export)."""
        values = {
            "action": self.action,
            "person": self.person,
            "target_type": self.target_type,
            "target_id": self.target_id,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }
        return {key: value for key, value in values.items() if value}


def _date(name: str) -> dt.date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw[:10])
    except ValueError:
        raise ValidationError(
            _("Write the date as YYYY-MM-DD, for example 2026-03-31."),
            code="invalid_date",
            details={name: [_("Not a date.")]},
        ) from None


def read_filter() -> AuditFilter:
    """The filter in the query string (ValidationError for a date that is not one)."""
    return AuditFilter(
        action=(request.args.get("action") or "").strip()[:60],
        person=parse_id(request.args.get("person")),
        target_type=(request.args.get("target_type") or "").strip()[:40],
        target_id=(request.args.get("target_id") or "").strip()[:64],
        date_from=_date("from"),
        date_to=_date("to"),
    )


def filtered(organisation_id: int, shown: AuditFilter) -> sa.Select[Any]:
    """The organisation's audit rows that ``shown`` lets through."""
    query = sa.select(AuditEvent).where(AuditEvent.organisation_id == organisation_id)
    if shown.action:
        query = query.where(AuditEvent.action == shown.action)
    if shown.person is not None:
        query = query.where(AuditEvent.actor_user_id == shown.person)
    if shown.target_type:
        query = query.where(AuditEvent.target_type == shown.target_type)
    if shown.target_id:
        query = query.where(AuditEvent.target_id == shown.target_id)
    if shown.date_from:
        start = dt.datetime.combine(shown.date_from, dt.time(), dt.UTC)
        query = query.where(AuditEvent.created_at >= start)
    if shown.date_to:
        end = dt.datetime.combine(shown.date_to + dt.timedelta(days=1), dt.time(), dt.UTC)
        query = query.where(AuditEvent.created_at < end)
    return query


def _require_admin() -> None:
    if not current_user.is_admin:
        raise Forbidden(_("Only admins read the audit log. Ask an admin of your organisation."))


def _choices(session: Session, organisation_id: int, column: Any) -> list[str]:
    return list(
        session.scalars(
            sa.select(column)
            .where(AuditEvent.organisation_id == organisation_id, column.is_not(None))
            .distinct()
            .order_by(column)
        )
    )


@bp.get("/app/audit")
@login_required
def index() -> Any:
    """The audit log, newest first, 50 rows a page."""
    _require_admin()
    session = db.session()
    organisation_id = current_user.organisation_id
    shown = read_filter()
    page = keyset_page(
        session,
        filtered(organisation_id, shown),
        AuditEvent.id,
        limit=PAGE_SIZE,
        after=request.args.get("after"),
        descending=True,
    )
    people = session.scalars(sa.select(User).order_by(User.name, User.email)).all()
    return render_template(
        "privacy/audit.html",
        events=page.items,
        next_url=url_for(".index", **shown.args(), after=page.next) if page.next else None,
        export_url=url_for(".export", **shown.args()),
        shown=shown,
        shown_after=bool(request.args.get("after")),
        is_filtered=bool(shown.args()),
        actions=_choices(session, organisation_id, AuditEvent.action),
        target_types=_choices(session, organisation_id, AuditEvent.target_type),
        people=people,
    )


CSV_COLUMNS = (
    "id",
    "created_at",
    "action",
    "actor",
    "actor_user_id",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "details",
)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dict):
        value = ", ".join(f"{key}={value[key]}" for key in sorted(value))
    if isinstance(value, str):
        return formula_safe(value)
    return value


def csv_rows(session: Session, query: sa.Select[Any]) -> Iterator[list[Any]]:
    """The filtered log's rows for the CSV, newest first, read :data:`EXPORT_BATCH` at a time
    by id (no cell starts a formula)."""
    after: str | None = None
    while True:
        page = keyset_page(
            session, query, AuditEvent.id, limit=EXPORT_BATCH, after=after, descending=True
        )
        for event in page.items:
            yield [_csv_cell(getattr(event, column)) for column in CSV_COLUMNS]
        if page.next is None:
            return
        after = page.next


@bp.get("/app/audit/export.csv")
@login_required
def export() -> Any:
    """The filtered log as a CSV download."""
    _require_admin()
    session = db.session()
    shown = read_filter()
    query = filtered(current_user.organisation_id, shown)
    audit.record(session, "audit.export", details={"filter": shown.args()})
    session.commit()
    # Written to a temporary file batch by batch, then sent from it (as the report exports
    # are): memory stays flat, and the database is done with before the first byte goes out.
    out = spooled_csv(CSV_COLUMNS, csv_rows(session, query))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
    response = send_file(
        out, mimetype="text/csv", as_attachment=True, download_name=f"audit-log-{stamp}.csv"
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response
