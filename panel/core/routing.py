"""URL converters shared by every route.

``<int:...>`` is bounded to what a database id column holds, so an absurd id in any route is
a 404 from the router rather than an integer overflow in PostgreSQL (a 500).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.routing import IntegerConverter

MAX_DB_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    """A positive id that fits a 32-bit signed integer column."""

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
