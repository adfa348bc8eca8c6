"""Keyset pagination for API lists: ``?limit=&after=<cursor>`` → ``{"items", "next"}``.

Keyset rather than offsets: a page is one indexed range read however deep the client goes, and
rows added or removed meanwhile neither repeat nor vanish from the walk. Clients treat the cursor
as opaque; it is ``k1.`` and the last id seen in hexadecimal, so lists are ordered by id. Its
form is in the document, and any cursor of that form is a place in the walk (one past every id
simply ends it), so a well-formed cursor is never refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from panel.core.api.schemas import Text, WholeNumber
from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import MAX_DB_ID

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
CURSOR_PATTERN = "^k1\\.[0-9a-f]{1,16}$"
_CURSOR = re.compile(CURSOR_PATTERN)


class PageQuerySchema(Schema):
    """The query parameters of every paginated list."""

    limit = WholeNumber(
        query=True,
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Items per page, 1 to {MAX_LIMIT}."},
    )
    after = Text(
        pattern=CURSOR_PATTERN,
        pattern_error=_l("Not a cursor: pass the “next” value of the previous page."),
        metadata={"description": "The `next` cursor of the previous page; omit for the first."},
    )


def encode_cursor(last_id: int) -> str:
    """The cursor that continues after the row with ``last_id``."""
    return f"k1.{last_id:x}"


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor continues after; ValidationError (422) for text that is not a cursor."""
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
    # Past every id there can be: read as the last one, so that the database sees a number its
    # integer column holds (PostgreSQL refuses to compare with a larger one).
    return min(int(cursor[3:], 16), MAX_DB_ID)


@dataclass
class Page:
    """One page of a list and the cursor of the next (None on the last page)."""

    items: list[Any]
    next: str | None


def keyset_page(
    session: Session,
    query: sa.Select[Any],
    key: Any,
    *,
    limit: int,
    after: str | None,
    descending: bool = False,
) -> Page:
    """One page of ``query`` ordered by the unique integer column ``key``."""
    last = decode_cursor(after)
    if last is not None:
        query = query.where(key < last if descending else key > last)
    query = query.order_by(key.desc() if descending else key.asc()).limit(limit + 1)
    rows = list(session.scalars(query).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(_key_of(rows[-1], key)) if more else None)


def _key_of(row: Any, key: Any) -> int:
    return getattr(row, key.key)


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """A ``{"items": [item...], "next": cursor}`` schema named ``name`` in the document."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item), required=True),
            "next": fields.String(
                required=True,
                allow_none=True,
                metadata={"description": "Pass as `after` for the next page; null on the last."},
            ),
        },
        name=name,
    )
