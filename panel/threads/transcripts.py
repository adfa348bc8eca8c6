"""A clip's transcript in the thread's search text: a spoken word finds the answer in the inbox.

The machine's draft is added when it is made; a person's correction takes the draft's place.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from media.models import MediaFile
from media.signals import transcript_changed
from panel.answers.models import Answer
from panel.threads.models import Comment, Thread
from panel.threads.service import _index


def init_app(app: Flask) -> None:
    transcript_changed.connect(on_transcript_changed, weak=False)


def on_transcript_changed(media: MediaFile, *, session: Session, **_: Any) -> None:
    """Put the clip's words in the search text of the thread of its answer or comment."""
    threads = session.scalars(
        sa.select(Thread).where(
            sa.or_(
                Thread.answer_id.in_(sa.select(Answer.id).where(Answer.media_id == media.id)),
                Thread.id.in_(sa.select(Comment.thread_id).where(Comment.media_id == media.id)),
            )
        )
    ).all()
    for thread in threads:
        text = thread.search_text or ""
        draft = media.transcript_draft or ""
        if draft and draft in text and media.transcript != draft:
            thread.search_text = text.replace(draft, media.transcript or "")
            _index(session, thread)
        elif media.transcript and media.transcript not in text:
            _index(session, thread, added=media.transcript)
