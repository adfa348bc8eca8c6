"""Panels in notifications' unsubscribe seam: an unsubscribe from the list ``panel-<id>`` (the
List-Unsubscribe link of a send's e-mail) is the member leaving that panel (``room.setup``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from notifications import optouts
from panel.panels.models import PanelMember
from panel.panels.service import leave

PREFIX = "panel-"


def init_app(app: Flask) -> None:
    """Register the handler of unsubscribes from a panel's list."""
    optouts.register_unsubscribe_handler(app, PREFIX, member_unsubscribed)


def member_unsubscribed(session: Session, contact_id: int | None, list_key: str) -> None:
    """The contact leaves the panel named by ``list_key`` (nothing when they are not in it)."""
    panel_id = list_key.removeprefix(PREFIX)
    if contact_id is None or not panel_id.isdigit():
        return
    member = session.scalar(
        sa.select(PanelMember)
        .where(PanelMember.panel_id == int(panel_id), PanelMember.contact_id == contact_id)
        .execution_options(all_organisations=True)
    )
    if member is not None:
        leave(session, member, method="unsubscribe")
