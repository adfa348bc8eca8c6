"""Keyset pagination for API lists: ``?limit=&after=<cursor>`` → ``{"items", "next"}``.

Keyset rather than offsets: a page is one indexed range read however deep the client goes, and
rows added or removed meanwhile neither repeat nor vanish from the walk. The cursor is opaque to
clients (base64 of the last id seen); today it only carries an id, so lists are ordered by id.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from panel.core.errors import ValidationError

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
_PREFIX = "k1:"


class PageQuerySchema(Schema):
    """The query parameters of every paginated list."""

    limit = fields.Integer(
        load_default=DEFAULT_LIMIT,
        validate=validate.Range(1, MAX_LIMIT),
        metadata={"description": f"Items per page, 1 to {MAX_LIMIT}."},
    )
    after = fields.String(
        load_default=None,
        validate=validate.Length(max=100),
        metadata={"description": "The `next` cursor of the previous page; omit for the first."},
    )


def encode_cursor(last_id: int) -> str:
    """An opaque cursor that continues after the row with ``last_id``."""
    return base64.urlsafe_b64encode(f"{_PREFIX}{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor continues after; ValidationError (422) for one we did not give out."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if text.startswith(_PREFIX) and text[len(_PREFIX) :].isdigit():
            value = int(text[len(_PREFIX) :])
            if value < 2**63:
                return value
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ValidationError(
        "'after' is not a cursor this API gave out: pass the 'next' value of the previous page.",
        details={"after": ["Not a valid cursor."]},
    )


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
