"""The demo's report (filled in below)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def seed_demo_report(session: Session, organisation: Any) -> None:
    """One full report in the demo organisation."""
    return None
