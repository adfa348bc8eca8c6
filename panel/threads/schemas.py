"""The API's shapes of threads (``/api/v1/threads``): the list and its filters, one thread with
its answer and comments, a new comment, a hand-over and a status change, every rule stated.

What the tenant wrote is always shown; who they are (name, e-mail, phone) only when they let
the asker see it (the answer's ``consent.identity``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from panel.answers.schemas import CHANNELS, AnswerSchema, QueryFlag
from panel.core.api.schemas import VISIBLE, Id, Text
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import PageQuerySchema, page_schema
from panel.threads.models import CommentKind, ThreadStatus
from panel.threads.paging import CURSOR_PATTERN
from panel.threads.search import MAX_QUERY
from panel.threads.service import MAX_BODY, MAX_REASON

STATUSES = [s.value for s in ThreadStatus]
KINDS = [k.value for k in CommentKind]
STAFF_KINDS = [CommentKind.REPLY.value, CommentKind.NOTE.value]
REPLY_CHANNELS = ["sms", "email", "web"]
NEEDS_WORDS = _l("Write something, or (for a reply) send a clip with it.")
NO_CLIP_ON_NOTES = _l("A note takes no clip; only a reply does.")


class ThreadQuerySchema(PageQuerySchema):
    after = Text(
        pattern=CURSOR_PATTERN,
        pattern_error=_l("Not a cursor: pass the “next” value of the previous page."),
        metadata={"description": "The `next` cursor of the previous page; omit for the first."},
    )
    status = fields.String(validate=validate.OneOf(STATUSES))
    owner_id = Id(query=True, metadata={"description": "Owned by this colleague"})
    mine = QueryFlag(
        metadata={"description": "true: only the threads the token's user owns; false: anyone's"}
    )
    unread = QueryFlag(
        metadata={
            "description": "true: with activity the token's user has not seen (in the app); "
            "false: seen. Reading a thread through the API does not mark it read."
        }
    )
    question_id = Id(query=True)
    touchpoint_id = Id(query=True)
    channel = fields.String(
        validate=validate.OneOf(CHANNELS),
        metadata={"description": "The channel the answer came by"},
    )
    place_id = Id(query=True, metadata={"description": "At this place or anywhere below it"})
    since = fields.Date(metadata={"description": "Last activity on or after this day (UTC)"})
    until = fields.Date(metadata={"description": "Last activity on or before this day (UTC)"})
    has_video = QueryFlag(metadata={"description": "true: the answer came with a video clip"})
    q = Text(
        validate=validate.Length(max=MAX_QUERY),
        metadata={
            "description": "Words in the answer, its transcript or the comments. On "
            "PostgreSQL a web search in every language tenants answer in (“quoted phrases”, "
            "-not, or); on SQLite every word must appear.",
            "example": "hissen",
        },
    )


class PersonSchema(Schema):
    """A colleague, as threads name them."""

    id = fields.Integer()
    name = fields.String(metadata={"description": "Their name, or else their e-mail address"})


class ClipSchema(Schema):
    id = fields.Integer(metadata={"description": "The media id"})
    kind = fields.String(allow_none=True, metadata={"description": "video or audio"})
    status = fields.String(metadata={"description": "pending, uploaded, processing, ready, failed"})
    urls = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "mp4, poster, audio, vtt: present once the clip is ready"},
    )


class ReplyDeliverySchema(Schema):
    """How far a reply's message to the tenant got."""

    channel = fields.String(metadata={"enum": ["email", "sms"]})
    state = fields.String(
        metadata={
            "description": "queued, claimed, sending, sent, delivered, undelivered, failed, "
            "unknown, suppressed"
        }
    )
    sent_at = fields.DateTime(allow_none=True)
    status_at = fields.DateTime(
        allow_none=True, metadata={"description": "When the provider last reported on it"}
    )


class EventSchema(Schema):
    """What an ``event`` comment records."""

    type = fields.String(metadata={"description": "handed_over or status"})
    from_user_id = fields.Integer(allow_none=True, metadata={"description": "handed_over"})
    to_user_id = fields.Integer(allow_none=True, metadata={"description": "handed_over"})
    from_status = fields.String(allow_none=True, metadata={"description": "status"})
    to_status = fields.String(allow_none=True, metadata={"description": "status"})


class CommentSchema(Schema):
    id = fields.Integer()
    kind = fields.String(
        metadata={
            "enum": KINDS,
            "description": "reply: staff to the tenant; note: staff to colleagues only; "
            "follow_up: the tenant wrote again; event: a hand-over or a status change",
        }
    )
    author = fields.Nested(
        PersonSchema,
        allow_none=True,
        metadata={"description": "The colleague who wrote it; null for the tenant's follow-ups"},
    )
    body = fields.String(metadata={"description": "The words; an event's reason, if any"})
    language = fields.String(allow_none=True)
    channel = fields.String(
        allow_none=True,
        metadata={
            "description": "How a reply went (sms, email, or web: the tenant's own page only) "
            "or a follow-up came; null for notes and events"
        },
    )
    created_at = fields.DateTime()
    clip = fields.Nested(ClipSchema, allow_none=True)
    delivery = fields.Nested(
        ReplyDeliverySchema,
        allow_none=True,
        metadata={"description": "A reply's message to the tenant; null for the others"},
    )
    mentions = fields.List(
        fields.Integer(), metadata={"description": "The colleagues a note mentions (user ids)"}
    )
    event = fields.Nested(EventSchema, allow_none=True)


class ThreadSchema(Schema):
    id = fields.Integer()
    answer_id = fields.Integer()
    question_id = fields.Integer()
    touchpoint_id = fields.Integer(allow_none=True)
    place_id = fields.Integer(allow_none=True)
    channel = fields.String(metadata={"description": "The channel the answer came by"})
    language = fields.String()
    status = fields.String(
        metadata={
            "enum": STATUSES,
            "description": "open: the tenant spoke last; replied: staff answered; closed",
        }
    )
    owner_id = fields.Integer(allow_none=True)
    has_video = fields.Boolean()
    created_at = fields.DateTime()
    last_activity_at = fields.DateTime()
    waiting_since = fields.DateTime(
        allow_none=True,
        metadata={"description": "Since when the tenant has waited for a reply; null if not"},
    )
    unread = fields.Boolean(
        metadata={"description": "Activity the token's user has not seen in the app"}
    )
    excerpt = fields.String(metadata={"description": "The start of the answer's text"})
    score = fields.Integer(allow_none=True, metadata={"description": "The answer's score, 1 to 10"})
    respondent_name = fields.String(
        allow_none=True,
        metadata={"description": "Only when the tenant allowed the asker to see who answered"},
    )


class ThreadDetailSchema(ThreadSchema):
    owner = fields.Nested(PersonSchema, allow_none=True)
    reply_channel = fields.String(
        metadata={
            "enum": REPLY_CHANNELS,
            "description": "Where a reply would go now: sms, email, or web (the tenant's own "
            "page only, when they left no way to reach them)",
        }
    )
    answer = fields.Nested(
        AnswerSchema,
        metadata={
            "description": "The answer that opened the thread. Its `respondent` (name, e-mail, "
            "phone) is there only when the tenant allowed the asker to see who answered"
        },
    )
    comments = fields.List(fields.Nested(CommentSchema), metadata={"description": "Oldest first"})


class CommentInSchema(Schema):
    """A reply to the tenant or a note for colleagues."""

    # Words are needed, except by a reply that sends a clip; a note takes no clip.
    OPENAPI_RULES: dict[str, Any] = {
        "anyOf": [
            {"required": ["body"]},
            {"required": ["media_id"], "properties": {"kind": {"enum": ["reply"]}}},
        ],
        "not": {"required": ["media_id"], "properties": {"kind": {"enum": ["note"]}}},
        "example": {"kind": "note", "body": "@bengt kan du titta på hissen i 3B?"},
    }

    kind = fields.String(
        required=True,
        validate=validate.OneOf(STAFF_KINDS),
        metadata={
            "description": "reply: sent to the tenant over the channel they answered by (an "
            "SMS, an e-mail whose replies come back to the thread, or their own page); note: "
            "for colleagues only, and each colleague it @mentions (by e-mail address or the "
            "part before the @) is told"
        },
    )
    body = Text(
        pattern=VISIBLE,
        pattern_error=_l("Write something first."),
        validate=validate.Length(1, MAX_BODY),
        metadata={"description": "Needed, except by a reply that sends a clip"},
    )
    media_id = Id(
        metadata={
            "description": "A reply's video or audio clip: a media id of your organisation "
            "(uploaded as for a question), processed and ready; never a tenant's own clip "
            "(409 otherwise)"
        }
    )

    @validates_schema
    def _words_or_clip(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data.get("kind") == CommentKind.NOTE.value and "media_id" in data:
            raise ValidationError([NO_CLIP_ON_NOTES], "media_id")
        if "body" not in data and not (
            data.get("kind") == CommentKind.REPLY.value and "media_id" in data
        ):
            raise ValidationError([NEEDS_WORDS], "body")


class AssignInSchema(Schema):
    """Whom to hand the thread to, and why."""

    user_id = Id(
        required=True,
        metadata={"description": "An active colleague of your organisation", "example": 2},
    )
    reason = Text(
        validate=validate.Length(max=MAX_REASON),
        metadata={
            "description": "Told to the new owner and kept in the history",
            "example": "Du har hand om Ängsbacken.",
        },
    )


class ThreadPatchSchema(Schema):
    """A status to set: close a thread, or open it again."""

    status = fields.String(
        required=True,
        validate=validate.OneOf([ThreadStatus.OPEN.value, ThreadStatus.CLOSED.value]),
        metadata={"description": "closed, or open again"},
    )


ThreadPageSchema = page_schema(ThreadSchema, "ThreadPage")
CommentPageSchema = page_schema(CommentSchema, "CommentPage")
