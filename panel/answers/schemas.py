"""The API's shapes of answers: ``/api/v1/answers`` (a filtered list, newest first) and
``/api/v1/answers/{id}`` (one, with its clip's URLs, consent and transcript)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from media.service import media_urls
from panel.answers.models import Answer, AnswerChannel
from panel.core.api.schemas import Id
from panel.core.extensions import db
from panel.core.i18n import LANGUAGES
from panel.core.pagination import PageQuerySchema, page_schema
from panel.language.service import answer_translations

CHANNELS = [c.value for c in AnswerChannel]


class QueryFlag(fields.Boolean):
    """``true`` or ``false`` in a query string, and nothing else."""

    truthy = {"true"}
    falsy = {"false"}


class AnswerQuerySchema(PageQuerySchema):
    question_id = Id(query=True)
    touchpoint_id = Id(query=True)
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    place_id = Id(query=True, metadata={"description": "At this place or anywhere below it"})
    since = fields.Date(metadata={"description": "Answered on or after this day (UTC)"})
    until = fields.Date(metadata={"description": "Answered on or before this day (UTC)"})
    has_media = QueryFlag(metadata={"description": "true: with a clip; false: without"})


class ConsentSchema(Schema):
    identity = fields.Boolean(
        attribute="consent_identity",
        metadata={"description": "The asker may see who answered"},
    )
    quote = fields.Boolean(
        attribute="consent_quote", metadata={"description": "The answer may be quoted in reports"}
    )
    show_clip = fields.Boolean(
        attribute="consent_show_clip",
        metadata={"description": "The clip may be shown to colleagues or at a workshop"},
    )
    changed_at = fields.DateTime(attribute="consent_changed_at", allow_none=True)


class RespondentSchema(Schema):
    """Who answered, only when they allowed the asker to see it."""

    contact_id = fields.Integer(allow_none=True)
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    may_contact = fields.Boolean()


def _respondent(answer: Answer) -> dict[str, Any] | None:
    if not answer.consent_identity:
        return None
    contact = answer.contact
    return {
        "contact_id": answer.contact_id,
        "name": answer.respondent_name or (contact.name if contact else None),
        "email": answer.respondent_email or (contact.email if contact else None),
        "phone": answer.respondent_phone or (contact.phone if contact else None),
        "may_contact": answer.may_contact or contact is not None,
    }


def _media(answer: Answer) -> dict[str, Any] | None:
    if answer.clip_kind is None:
        return None
    media = answer.media
    return {
        "kind": answer.clip_kind,
        "status": media.status.value if media else "awaiting_upload",
        "duration_seconds": media.duration_seconds if media else None,
        "urls": media_urls(media, absolute=True) if media else {},
    }


def _pictures(answer: Answer) -> list[str]:
    """The URLs of the pictures sent with the answer (an MMS's photos), in the order sent."""
    urls = (media_urls(picture.media, absolute=True) for picture in answer.pictures)
    return [found["picture"] for found in urls if "picture" in found]


class ClipSchema(Schema):
    kind = fields.String(metadata={"description": "video or audio"})
    status = fields.String(
        metadata={"description": "awaiting_upload, then the media's status (processing, ready…)"}
    )
    duration_seconds = fields.Float(allow_none=True)
    urls = fields.Dict(keys=fields.String(), values=fields.String())


class AnswerSchema(Schema):
    id = fields.Integer()
    question_id = fields.Integer()
    channel = fields.String(metadata={"description": ", ".join(CHANNELS)})
    language = fields.String()
    text = fields.String(allow_none=True)
    score = fields.Integer(allow_none=True, metadata={"description": "1 to 10"})
    choice = fields.String(allow_none=True)
    place_id = fields.Integer(allow_none=True)
    touchpoint_id = fields.Integer(allow_none=True)
    source = fields.String(allow_none=True)
    external_ref = fields.String(
        allow_none=True, metadata={"description": "The triggering system's reference"}
    )
    created_at = fields.DateTime()
    consent = fields.Function(lambda a: ConsentSchema().dump(a), metadata={"type": "object"})
    respondent = fields.Function(
        _respondent,
        allow_none=True,
        metadata={"description": "Only when the tenant allowed the asker to see who answered"},
    )
    clip = fields.Function(_media, allow_none=True)
    pictures = fields.Function(
        _pictures,
        metadata={
            "type": "array",
            "items": {"type": "string"},
            "description": "URLs of the pictures sent with the answer (the photos of an MMS)",
        },
    )


class AnswerDetailQuerySchema(Schema):
    language = fields.String(
        validate=validate.OneOf(LANGUAGES),
        metadata={
            "description": "Translate the answer's words and transcript into this staff "
            "language (made now when short and a model is installed; a longer text is queued "
            "and made for the languages the organisation's staff read)"
        },
    )


class AnswerDetailSchema(AnswerSchema):
    transcript = fields.Function(
        lambda a: a.media.transcript if a.media is not None else None,
        allow_none=True,
        metadata={"type": "string", "description": "What is said in the clip (the record)"},
    )
    transcript_state = fields.Function(
        lambda a: a.media.transcript_state if a.media is not None else None,
        allow_none=True,
        metadata={
            "type": "string",
            "enum": ["queued", "draft", "corrected", "empty", "failed"],
            "description": "draft: made offline by the speech model, not yet checked by a "
            "person; corrected: a person's words",
        },
    )
    translations = fields.Function(
        lambda a: answer_translations(db.session(), a),
        metadata={
            "type": "array",
            "description": "Machine translations made so far (offline models), each of the "
            "answer's `text` or its `transcript`: always beside the original, never the record",
            "items": {
                "type": "object",
                "properties": {
                    "of": {"type": "string", "enum": ["text", "transcript"]},
                    "language": {"type": "string"},
                    "text": {"type": "string"},
                    "engine": {"type": "string"},
                    "machine_translation": {"type": "boolean"},
                },
            },
        },
    )


AnswerPageSchema = page_schema(AnswerSchema, "AnswerPage")
