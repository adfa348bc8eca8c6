"""Kept for migration 0001, which landed while the database module lived here and names
``panel.db.UTCDateTime``. Application code imports :mod:`panel.core.db`; later migrations
render the column type without importing the app."""

from panel.core.db import UTCDateTime

__all__ = ["UTCDateTime"]
