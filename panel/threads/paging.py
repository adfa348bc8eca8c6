"""Keyset pages of threads in the inbox's order: latest activity first, ``id`` breaking ties.

The cursor is opaque to clients; it is ``a1.`` + the last row's ``last_activity_at`` in
microseconds since 1970 (UTC) + ``.`` + its id, both in hexadecimal. As with
:mod:`panel.core.pagination`, any cursor of that form is a place in the walk (one past every
moment simply starts at the top), so a well-formed cursor is never refused; and threads that
share a moment are neither repeated nor skipped, because the id orders them.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import Page
from panel.core.routing import MAX_DB_ID
from panel.threads.models import Thread

CURSOR_PATTERN = "^a1\\.[0-9a-f]{1,16}\\.[0-9a-f]{1,16}$"
_CURSOR = re.compile(CURSOR_PATTERN)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# The last moment both Python and the databases hold.
LATEST = dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC)
_LATEST_US = (LATEST - EPOCH) // dt.timedelta(microseconds=1)


def encode_cursor(thread: Thread) -> str:
    """The cursor that continues after ``thread``."""
    micros = (thread.last_activity_at - EPOCH) // dt.timedelta(microseconds=1)
    return f"a1.{micros:x}.{thread.id:x}"


def decode_cursor(cursor: str | None) -> tuple[dt.datetime, int] | None:
    """The (moment, id) a cursor continues after; ValidationError (422) for other text."""
    if not cursor:
        return None
    if not _CURSOR.fullmatch(cursor):
        raise ValidationError(
            _l(
                "This is not a cursor this list gave out: pass the “next” value of the "
                "previous page."
            ),
            code="invalid_cursor",
            details={"after": [_l("Not a cursor.")]},
        )
    _prefix, micros, last_id = cursor.split(".")
    moment = int(micros, 16)
    if moment > _LATEST_US:  # past every moment there can be: from the top
        return LATEST, MAX_DB_ID
    return EPOCH + dt.timedelta(microseconds=moment), min(int(last_id, 16), MAX_DB_ID)


def activity_page(
    session: Session, query: sa.Select[Any], *, limit: int, after: str | None
) -> Page:
    """One page of ``query`` (which selects Thread first, then any extra columns) in the
    inbox's order. Items are the rows: the thread and its extra columns."""
    last = decode_cursor(after)
    if last is not None:
        moment, last_id = last
        # The first condition alone is an index range; the second settles the shared moment.
        query = query.where(
            Thread.last_activity_at <= moment,
            sa.or_(
                Thread.last_activity_at < moment,
                sa.and_(Thread.last_activity_at == moment, Thread.id < last_id),
            ),
        )
    query = query.order_by(Thread.last_activity_at.desc(), Thread.id.desc()).limit(limit + 1)
    rows = list(session.execute(query).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1][0]) if more else None)
