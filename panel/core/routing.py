"""The one id type: what a row id may be, in a path, a query string or a JSON body.

An id is a whole number from 1 to 2**31 - 1 (what an integer column holds), written in ASCII
digits. Anything else names no row: the router answers 404, :func:`parse_id` gives None, and
the API's :class:`~panel.core.api.schemas.Id` field refuses it (422). So an absurd id never
reaches PostgreSQL as "integer out of range" (a 500), and ``٣`` (an Arabic-Indic three, which
Python's ``int()`` and the regex ``\\d`` both accept) is not read as 3.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

MAX_DB_ID = 2**31 - 1
# At most 10 digits: enough for MAX_DB_ID, and int() never sees a 10,000-digit string.
ID_DIGITS = re.compile(r"[0-9]{1,10}")


def parse_id(value: Any) -> int | None:
    """The id ``value`` stands for (an int, or a string of ASCII digits), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        if not ID_DIGITS.fullmatch(value):
            return None
        value = int(value)
    if isinstance(value, int) and 1 <= value <= MAX_DB_ID:
        return value
    return None


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>``: a positive id in ASCII digits that fits a 32-bit signed integer column."""

    # werkzeug's \d+ also matches the digits of other scripts.
    regex = r"[0-9]+"
    signed_regex = r"-?[0-9]+"

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_DB_ID)
        super().__init__(map, *args, **kwargs)


def init_routing(app: Flask) -> None:
    """Install the converters; call before any blueprint is registered."""
    app.url_map.converters["int"] = DatabaseIdConverter


def id_param_schema(converter: DatabaseIdConverter) -> dict[str, Any]:
    """The OpenAPI schema of an id path parameter."""
    return {"type": "integer", "minimum": 1, "maximum": MAX_DB_ID}
