"""The API's shapes of questions: what ``/api/v1/questions`` reads and writes, every rule stated.

A title needs a visible character; an option is written tidily (no spaces at either end or two
in a row) and each once; a ``choice`` question sent with its options needs at least two. What
depends on the stored question (its status, its video, the options it already has) is refused
with 409, never 422.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from media.uploads import ACCEPTED_TYPES
from panel.core.api.schemas import TIDY, VISIBLE, Id, Text
from panel.core.config import Settings
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import PageQuerySchema, page_schema
from panel.questions import service
from panel.questions.listing import ListedQuestion
from panel.questions.models import AnswerMode, Question
from panel.questions.playback import player_for

TOO_FEW_OPTIONS = _l("A choice question needs at least 2 options.")
OTHER_MODES = [mode for mode in service.ANSWER_MODES if mode != AnswerMode.CHOICE.value]
# A choice question sent with its options has at least two (OpenAPI 3.0 has no if/then).
CHOICE_RULE: dict[str, Any] = {
    "anyOf": [
        {"properties": {"answer_modes": {"items": {"enum": OTHER_MODES}}}},
        {"properties": {"choices": {"minItems": service.MIN_CHOICES}}},
    ]
}


class MediaSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "pending, uploaded, processing, ready, failed"})
    progress = fields.Integer(metadata={"description": "Processing progress, 0 to 100"})
    error = fields.String(
        allow_none=True,
        metadata={"description": "Why the file was refused, in the request's language"},
    )
    error_code = fields.String(
        allow_none=True,
        metadata={"description": "Why the file was refused, for programs: e.g. text, too_long"},
    )
    error_params = fields.Dict(
        keys=fields.String(),
        metadata={"description": "The refusal's details, e.g. duration and limit in seconds"},
    )
    kind = fields.String(allow_none=True, metadata={"description": "video or audio"})
    duration = fields.Float(allow_none=True, metadata={"description": "Seconds"})
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    urls = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "mp4, poster, audio, vtt: present once the video is ready"},
    )


def _media(question: Question | ListedQuestion) -> dict[str, Any] | None:
    player = player_for(question.media)
    # Already JSON-ready, with MediaSchema's keys and types (tests/questions/test_api.py checks
    # it against the schema): dumping it again cost half the time of listing questions.
    return player.as_dict() if player else None


class QuestionSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    prompt = fields.String()
    language = fields.String()
    answer_modes = fields.List(fields.String())
    choices = fields.List(fields.String())
    status = fields.Function(lambda q: q.status.value, metadata={"type": "string"})
    closes_at = fields.DateTime(allow_none=True)
    published_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    owner_id = fields.Integer()
    media = fields.Function(
        _media,
        allow_none=True,
        metadata={"type": "object", "description": "The video and its state; null without one"},
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment is not None else None


def dump_question(question: Question | ListedQuestion) -> dict[str, Any]:
    """What :class:`QuestionSchema` dumps, written out: the list answers up to 500 questions,
    and marshmallow's generic field machinery took a third of its time. A test holds the two
    equal for questions in every state."""
    return {
        "id": question.id,
        "title": question.title,
        "prompt": question.prompt,
        "language": question.language,
        "answer_modes": list(question.answer_modes or []),
        "choices": list(question.choices or []),
        "status": question.status.value,
        "closes_at": _iso(question.closes_at),
        "published_at": _iso(question.published_at),
        "closed_at": _iso(question.closed_at),
        "owner_id": question.owner_id,
        "media": _media(question),
        "created_at": _iso(question.created_at),
        "updated_at": _iso(question.updated_at),
    }


def _title(**kwargs: Any) -> Text:
    return Text(
        validate=validate.Length(min=1, max=service.MAX_TITLE),
        pattern=VISIBLE,
        pattern_error=_l("Needs a character other than spaces."),
        metadata={"example": "How safe do you feel in your stairwell?"},
        **kwargs,
    )


def _answer_modes(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(service.ANSWER_MODES)),
        validate=validate.Length(min=1, max=len(service.ANSWER_MODES)),
        metadata={"example": ["score", "text"]},
        **kwargs,
    )


class QuestionInSchema(Schema):
    """The fields of a question; any subset (a PATCH)."""

    OPENAPI_RULES = CHOICE_RULE

    title = _title()
    prompt = Text(
        validate=validate.Length(max=service.MAX_PROMPT),
        metadata={"description": "The question written out (what the video says)"},
    )
    language = fields.String(validate=validate.OneOf(service.LANGUAGES))
    answer_modes = _answer_modes()
    choices = fields.List(
        Text(
            validate=validate.Length(min=1, max=service.MAX_CHOICE),
            pattern=TIDY,
            pattern_error=_l("Words separated by single spaces, no spaces at either end."),
        ),
        validate=validate.Length(max=service.MAX_CHOICES),
        metadata={
            "description": "The options of a `choice` question (at least 2), each once",
            "uniqueItems": True,
        },
    )
    closes_at = fields.AwareDateTime(
        allow_none=True,
        default_timezone=dt.UTC,
        metadata={
            "description": "No answers after this moment (one already past: none at all); "
            "null: open until closed"
        },
    )

    @validates_schema
    def _choice_rule(self, data: dict[str, Any], **kwargs: Any) -> None:
        choices = data.get("choices")
        if choices is not None and len(set(choices)) != len(choices):
            raise ValidationError([_l("Each option once.")], "choices")
        modes = data.get("answer_modes") or []
        too_few = choices is not None and len(choices) < service.MIN_CHOICES
        if AnswerMode.CHOICE.value in modes and too_few:
            raise ValidationError([TOO_FEW_OPTIONS], "choices")


class QuestionCreateSchema(QuestionInSchema):
    """A new question: a title and answer modes at least; a choice question needs options."""

    OPENAPI_RULES = {
        "anyOf": [
            {"properties": {"answer_modes": {"items": {"enum": OTHER_MODES}}}},
            {"required": ["choices"], "properties": {"choices": {"minItems": service.MIN_CHOICES}}},
        ]
    }

    title = _title(required=True)
    answer_modes = _answer_modes(required=True)

    @validates_schema
    def _choices_given(self, data: dict[str, Any], **kwargs: Any) -> None:
        if AnswerMode.CHOICE.value in data.get("answer_modes", []) and "choices" not in data:
            raise ValidationError([TOO_FEW_OPTIONS], "choices")


class QuestionQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(service.STATUSES))
    owner_id = Id(
        query=True,
        metadata={"description": "Only the questions of this staff member"},
    )


QuestionPageSchema = page_schema(QuestionSchema, "QuestionPage")


# --- the video upload (instructions, then complete) ------------------------------------------

# The declared type must be one media/ accepts; the size at most the default upload limit.
UPLOAD_TYPES = sorted(ACCEPTED_TYPES)
MAX_UPLOAD_BYTES = Settings.media_max_upload_mb * 1024 * 1024


class UploadInSchema(Schema):
    filename = Text(
        required=True,
        validate=validate.Length(1, 255),
        metadata={"example": "question.mp4"},
    )
    content_type = fields.String(
        required=True,
        validate=validate.OneOf(UPLOAD_TYPES),
        metadata={"example": "video/mp4"},
    )
    size = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1, max=MAX_UPLOAD_BYTES),
        metadata={"description": "Bytes (at most the configured upload limit)", "example": 1048576},
    )


class UploadInstructionsSchema(Schema):
    method = fields.String(metadata={"example": "POST"})
    url = fields.String(
        metadata={
            "description": "Where to send the file. In s3 mode the bucket's presigned POST. "
            "In local mode an upload capability URL that needs no token: POST the raw bytes "
            "as the body with the file's Content-Type; it answers 204 (stored), 404 (not a "
            "valid link), 409 (upload finished already), 410 (expired: start again), 413 "
            "(over the size limit) or 422 (empty), errors as JSON."
        }
    )
    fields_ = fields.Dict(
        data_key="fields",
        attribute="fields",
        keys=fields.String(),
        values=fields.String(),
        metadata={
            "description": "Form fields to send before the file (multipart, file last). "
            "Empty: send the raw bytes as the body, with the file's Content-Type."
        },
    )
    expires_at = fields.String(
        metadata={
            "description": "Start sending before this moment (ISO 8601); an upload never "
            "completed is deleted a while after it",
            "format": "date-time",
        }
    )


class UploadOutSchema(Schema):
    media_id = fields.Integer()
    upload = fields.Nested(UploadInstructionsSchema)


class CompleteInSchema(Schema):
    media_id = Id(required=True, metadata={"example": 1})
