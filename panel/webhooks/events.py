"""The events a webhook can subscribe to, and the ``data`` each carries.

Every delivery's body is ``{"id": <delivery uuid>, "event": <name>, "created_at": <ISO 8601>,
"data": {...}}``. The ``data`` of each event (docs/webhooks.md shows examples):

- ``answer.created`` — ``{"answer": {...}}``: id, question_id, channel, language, created_at,
  text, score, choice, clip_kind, place_id, touchpoint_id, source, external_ref,
  ``consent`` {identity, quote, show_clip} and ``respondent`` {contact_id, name, email, phone}
  — the respondent only when the tenant allowed the asker to see who answered, else null.
- ``send.finished`` — ``{"send": {...}}``: id, question_id, panel_id, segment_id, channels,
  status ("sent"), scheduled_at, started_at, finished_at, invited, skipped {reason: count}.
  It fires once every invitation of the send is written to the outbox (the send's own
  "finished" moment); delivery figures follow on ``GET /api/v1/sends/{id}``.
- ``thread.replied`` — ``{"thread": {id, answer_id, question_id, status, channel},
  "comment": {id, kind, author_id, channel, language, created_at, body}}``: staff replied to
  a tenant.
- ``comment.created`` — the same shape: any new comment (``comment.kind``: ``reply``,
  ``note`` for staff only, or ``follow_up`` from the tenant).

The rooms where these happen call :func:`panel.webhooks.service.emit` with the builders here,
e.g. ``emit(session, thread.organisation_id, COMMENT_CREATED, comment_created(thread,
comment))``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from panel.answers.models import Answer
    from panel.sends.models import Send
    from panel.threads.models import Comment, Thread

ANSWER_CREATED = "answer.created"
THREAD_REPLIED = "thread.replied"
COMMENT_CREATED = "comment.created"
SEND_FINISHED = "send.finished"
EVENTS = (ANSWER_CREATED, THREAD_REPLIED, COMMENT_CREATED, SEND_FINISHED)


def answer_created(answer: Answer) -> dict[str, Any]:
    """The ``data`` of ``answer.created``: the answer as given, with the tenant's consent, and
    who answered only if they allowed it (never a name, address or number otherwise)."""
    return {
        "answer": {
            "id": answer.id,
            "question_id": answer.question_id,
            "channel": answer.channel,
            "language": answer.language,
            "created_at": answer.created_at,
            "text": answer.text,
            "score": answer.score,
            "choice": answer.choice,
            "clip_kind": answer.clip_kind,
            "place_id": answer.place_id,
            "touchpoint_id": answer.touchpoint_id,
            "source": answer.source,
            "external_ref": answer.external_ref,
            "consent": {
                "identity": answer.consent_identity,
                "quote": answer.consent_quote,
                "show_clip": answer.consent_show_clip,
            },
            "respondent": _respondent(answer),
        }
    }


def _respondent(answer: Answer) -> dict[str, Any] | None:
    if not answer.consent_identity:
        return None
    contact = answer.contact if answer.contact_id is not None else None
    return {
        "contact_id": answer.contact_id,
        "name": answer.respondent_name or (contact.name if contact else None),
        "email": answer.respondent_email or (contact.email if contact else None),
        "phone": answer.respondent_phone or (contact.phone if contact else None),
    }


def send_finished(send: Send) -> dict[str, Any]:
    """The ``data`` of ``send.finished``: the send and whom it invited or skipped."""
    return {
        "send": {
            "id": send.id,
            "question_id": send.question_id,
            "panel_id": send.panel_id,
            "segment_id": send.segment_id,
            "channels": list(send.channels or []),
            "status": str(send.status),
            "scheduled_at": send.scheduled_at,
            "started_at": send.started_at,
            "finished_at": send.finished_at,
            "invited": send.invited,
            "skipped": dict(send.skipped or {}),
        }
    }


def comment_created(thread: Thread, comment: Comment) -> dict[str, Any]:
    """The ``data`` of ``comment.created`` and of ``thread.replied`` (a comment of kind
    ``reply``): the thread and the comment."""
    return {
        "thread": {
            "id": thread.id,
            "answer_id": thread.answer_id,
            "question_id": thread.question_id,
            "status": thread.status,
            "channel": thread.channel,
        },
        "comment": {
            "id": comment.id,
            "kind": comment.kind,
            "author_id": comment.author_id,
            "channel": comment.channel,
            "language": comment.language,
            "created_at": comment.created_at,
            "body": comment.body,
        },
    }
