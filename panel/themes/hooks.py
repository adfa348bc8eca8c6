"""A clip's transcript, when it changes, is read again as its answer's words."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from media.models import MediaFile
from media.signals import transcript_changed
from panel.answers.models import Answer
from panel.themes.analysis import analyse_later


def init_app(app: Flask) -> None:
    transcript_changed.connect(on_transcript_changed, weak=False)


def on_transcript_changed(media: MediaFile, *, session: Session, **_: Any) -> None:
    """Read again, after the commit, the answer whose clip this is."""
    for answer in session.scalars(sa.select(Answer).where(Answer.media_id == media.id)):
        analyse_later(session, answer)
