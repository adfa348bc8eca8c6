"""Telling the people an action item concerns that someone commented on it: the person
responsible and whoever created it (not the one who wrote), each in their own language, once
per comment (the outbox's dedupe key ``action-comment-<comment>-<user>``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from notifications.messages import Recipient, queue
from panel.accounts.models import User
from panel.actions.models import ActionComment, ActionItem

PURPOSE = "action-comment"
TEMPLATE = "actions/email/comment"
EXCERPT = 600


def tell_about_comment(session: Session, item: ActionItem, comment: ActionComment) -> int:
    """Queue the e-mails about ``comment`` (the caller commits); how many were written."""
    wanted = {item.responsible_id, item.created_by_id} - {None, comment.author_id}
    if not wanted:
        return 0
    people = session.scalars(
        sa.select(User).where(User.id.in_(wanted), User.is_active.is_(True)).order_by(User.id)
    ).all()
    author = session.scalar(sa.select(User).where(User.id == comment.author_id))
    base = current_app.config["STOOP"].base_url
    written = 0
    for person in people:
        if not person.email:
            continue
        written += len(
            queue(
                session,
                organisation_id=item.organisation_id,
                template=TEMPLATE,
                purpose=PURPOSE,
                recipients=[
                    Recipient(
                        address=person.email,
                        dedupe_key=f"action-comment-{comment.id}-{person.id}",
                        language=person.locale,
                    )
                ],
                context={
                    "title": item.title,
                    "author": author.display_name if author else "",
                    "body": comment.body[:EXCERPT],
                    "link": f"{base}/app/actions/{item.id}#comment-{comment.id}",
                },
                ref=f"action_item:{item.id}",
            )
        )
    return written
