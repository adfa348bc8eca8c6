"""``/api/v1/questions``: list (keyset pages), create, read, update, publish, close, duplicate,
and the video upload (instructions, then complete).

A video reaches a question in two calls: ``POST /questions/{id}/media`` with the file's name,
type and size answers where to send the bytes (a presigned POST to the bucket in s3 mode, the
app's streaming URL in local mode); once they are sent, ``POST /questions/{id}/media/complete``
with the ``media_id`` checks what arrived, starts processing and makes it the question's video.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from media.models import MediaStatus
from media.rejections import MediaRejected
from panel.core.api.schemas import Text, error_responses
from panel.core.errors import Conflict, ValidationError, error_response
from panel.core.extensions import db
from panel.core.pagination import PageQuerySchema, keyset_page, page_schema
from panel.questions import service
from panel.questions.models import Question
from panel.questions.playback import player_for

blp = Blueprint(
    "api_questions",
    __name__,
    description="Questions to tenants: title, written prompt, answer modes, an optional video, "
    "status draft → live → closed.",
)
MAX_ID = 2**63 - 1


class MediaSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "pending, uploaded, processing, ready, failed"})
    progress = fields.Integer(metadata={"description": "Processing progress, 0 to 100"})
    error = fields.String(allow_none=True, metadata={"description": "Why processing failed"})
    kind = fields.String(allow_none=True, metadata={"description": "video or audio"})
    duration = fields.Float(allow_none=True, metadata={"description": "Seconds"})
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    urls = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "mp4, poster, audio, vtt: present once the video is ready"},
    )


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
        lambda q: _media(q),
        allow_none=True,
        metadata={"type": "object", "description": "The video and its state; null without one"},
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


def _media(question: Question) -> dict[str, Any] | None:
    player = player_for(question.media)
    # Already JSON-ready, with MediaSchema's keys and types (tests/questions/test_api.py checks
    # it against the schema): dumping it again cost half the time of listing questions.
    return player.as_dict() if player else None


class QuestionInSchema(Schema):
    title = Text(
        validate=validate.Length(max=service.MAX_TITLE),
        metadata={"example": "How safe do you feel in your stairwell?"},
    )
    prompt = Text(
        validate=validate.Length(max=service.MAX_PROMPT),
        metadata={"description": "The question written out (what the video says)"},
    )
    language = fields.String(validate=validate.OneOf(service.LANGUAGES))
    answer_modes = fields.List(
        fields.String(validate=validate.OneOf(service.ANSWER_MODES)),
        validate=validate.Length(min=1, max=len(service.ANSWER_MODES)),
        metadata={"example": ["score", "text"]},
    )
    choices = fields.List(
        Text(validate=validate.Length(max=service.MAX_CHOICE)),
        validate=validate.Length(max=service.MAX_CHOICES),
        metadata={"description": "The options of a `choice` question (at least 2)"},
    )
    closes_at = fields.AwareDateTime(
        allow_none=True,
        default_timezone=dt.UTC,
        metadata={"description": "No answers after this moment; null: open until closed"},
    )


class QuestionCreateSchema(QuestionInSchema):
    title = Text(
        required=True,
        validate=validate.Length(min=1, max=service.MAX_TITLE),
        metadata={"example": "How safe do you feel in your stairwell?"},
    )
    answer_modes = fields.List(
        fields.String(validate=validate.OneOf(service.ANSWER_MODES)),
        required=True,
        validate=validate.Length(min=1, max=len(service.ANSWER_MODES)),
        metadata={"example": ["score", "text"]},
    )


class QuestionQuerySchema(PageQuerySchema):
    status = fields.String(load_default=None, validate=validate.OneOf(service.STATUSES))
    owner_id = fields.Integer(
        load_default=None,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "Only the questions of this staff member"},
    )


class UploadInSchema(Schema):
    filename = Text(
        required=True,
        validate=validate.Length(1, 255),
        metadata={"example": "question.mp4"},
    )
    content_type = fields.String(
        required=True,
        validate=validate.Length(1, 100),
        metadata={"example": "video/mp4"},
    )
    size = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={"description": "Bytes", "example": 1048576},
    )


class UploadInstructionsSchema(Schema):
    method = fields.String(metadata={"example": "POST"})
    url = fields.String()
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


class UploadOutSchema(Schema):
    media_id = fields.Integer()
    upload = fields.Nested(UploadInstructionsSchema)


class CompleteInSchema(Schema):
    media_id = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, MAX_ID), metadata={"example": 1}
    )


QuestionPageSchema = page_schema(QuestionSchema, "QuestionPage")


def _question(question_id: int) -> Question:
    return service.get_question(db.session(), question_id)


def _editable(question_id: int) -> Question:
    question = _question(question_id)
    service.require_editor(g.api_user, question)
    return question


@blp.route("/")
class Questions(MethodView):
    @blp.arguments(QuestionQuerySchema, location="query")
    @blp.response(200, QuestionPageSchema)
    @error_responses(blp, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """List questions, ordered by id, a page at a time; filter by status or owner."""
        filters = service.question_filters(status=args["status"], owner_id=args["owner_id"])
        query = service.listing(with_owner=False).where(*filters)
        return keyset_page(
            db.session(), query, Question.id, limit=args["limit"], after=args["after"]
        )

    @blp.arguments(QuestionCreateSchema)
    @blp.response(201, QuestionSchema)
    @error_responses(blp, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a question as a draft owned by the token's user."""
        session = db.session()
        question = service.create_question(session, g.api_user, data)
        session.commit()
        return question


@blp.route("/<int:question_id>")
class QuestionResource(MethodView):
    @blp.response(200, QuestionSchema)
    @error_responses(blp, 404)
    def get(self, question_id: int) -> Any:
        """One question, with its video's state and URLs."""
        return _question(question_id)

    @blp.arguments(QuestionInSchema)
    @blp.response(200, QuestionSchema)
    @error_responses(blp, 403, 404, 409, 422)
    def patch(self, data: dict[str, Any], question_id: int) -> Any:
        """Change the given fields. A live question keeps its language, answer modes and
        options (409); a closed one changes no more (409)."""
        session = db.session()
        question = _editable(question_id)
        service.update_question(session, question, data)
        session.commit()
        return question


def _transition(question_id: int, change: Any) -> Question:
    session = db.session()
    question = _editable(question_id)
    change(session, question)
    session.commit()
    return question


@blp.route("/<int:question_id>/publish")
class Publish(MethodView):
    @blp.response(200, QuestionSchema)
    @error_responses(blp, 403, 404, 409, 422)
    def post(self, question_id: int) -> Any:
        """draft → live. Needs a ready video or a written prompt (422); 409 while the video is
        still processing or failed, or when the question is not a draft."""
        return _transition(question_id, service.publish_question)


@blp.route("/<int:question_id>/close")
class Close(MethodView):
    @blp.response(200, QuestionSchema)
    @error_responses(blp, 403, 404, 409)
    def post(self, question_id: int) -> Any:
        """draft or live → closed: no more answers or changes (409 if already closed)."""
        return _transition(question_id, service.close_question)


@blp.route("/<int:question_id>/duplicate")
class Duplicate(MethodView):
    @blp.response(201, QuestionSchema)
    @error_responses(blp, 404)
    def post(self, question_id: int) -> Any:
        """A copy as a new draft owned by the token's user, with the same video."""
        session = db.session()
        copy = service.duplicate_question(session, _question(question_id), g.api_user)
        session.commit()
        return copy


@blp.route("/<int:question_id>/media")
class Media(MethodView):
    @blp.arguments(UploadInSchema)
    @blp.response(201, UploadOutSchema)
    @error_responses(blp, 403, 404, 409, 422)
    def post(self, data: dict[str, Any], question_id: int) -> Any:
        """Where to upload the question's video: send the file as `upload` says, then call
        `/media/complete`. Size and type are checked here already (422)."""
        from media.service import create_upload

        session = db.session()
        question = _editable(question_id)
        service.ensure_video_can_change(question)
        media, upload = create_upload(
            session,
            organisation_id=question.organisation_id,
            filename=data["filename"],
            content_type=data["content_type"],
            size=data["size"],
            purpose="question",
            max_duration_seconds=service.max_recording_seconds(g.api_user.organisation),
            language=question.language,
        )
        session.commit()
        if not upload.get("fields"):
            # Local mode: the app's own upload URL wants a login; API clients send the bytes
            # to the API with their token instead.
            base = current_app.config["STOOP"].base_url
            path = f"/api/v1/questions/{question.id}/media/{media.id}/upload"
            upload = {"method": "POST", "url": base + path, "fields": {}}
        return {"media_id": media.id, "upload": upload}


@blp.route("/<int:question_id>/media/<int:media_id>/upload")
class MediaUpload(MethodView):
    @blp.doc(
        requestBody={
            "required": True,
            "description": "The file's bytes as the body, with its Content-Type.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    )
    @blp.response(204)
    @error_responses(blp, 403, 404, 409, 413, 422)
    def post(self, question_id: int, media_id: int) -> Any:
        """Local mode only: the file's raw bytes (streamed to storage, never held in memory).
        In s3 mode send the file to the presigned POST instead (409 here)."""
        from media.service import max_upload_bytes, receive_upload

        session = db.session()
        question = _editable(question_id)
        service.ensure_video_can_change(question)
        media = service.get_media(session, media_id)
        if current_app.config["STOOP"].media_backend != "local":
            raise Conflict("Send the file to the presigned upload URL, not to the API.")
        if media.status != MediaStatus.PENDING:
            raise Conflict("This upload was completed already; start a new one.")
        # Media may be larger than other request bodies; the stream itself stays bounded.
        request.max_content_length = max_upload_bytes() + 64 * 1024
        try:
            receive_upload(session, media, request.stream, request.content_length)
        except MediaRejected as problem:
            session.commit()  # the clip is failed, its partial file deleted
            status = 413 if problem.code == "too_large" else problem.status
            return error_response(status, problem.code, problem.message)
        session.commit()
        return None


@blp.route("/<int:question_id>/media/complete")
class MediaComplete(MethodView):
    @blp.arguments(CompleteInSchema)
    @blp.response(200, QuestionSchema)
    @error_responses(blp, 403, 404, 409, 422)
    def post(self, data: dict[str, Any], question_id: int) -> Any:
        """The upload has been sent: check it, start processing, make it the question's video.
        Follow `media.status` (and `media.progress`) on the question until `ready`."""
        from media.service import complete_upload

        session = db.session()
        question = _editable(question_id)
        service.ensure_video_can_change(question)
        media = service.get_media(session, data["media_id"])
        if media.status != MediaStatus.PENDING:
            raise Conflict(
                "This upload was completed already; start a new one with POST .../media."
            )
        complete_upload(session, media)
        if media.status == MediaStatus.FAILED:
            # Keep the record of the refusal; the question keeps the video it had.
            session.commit()
            raise ValidationError(media.error or "The file could not be used.", code="bad_media")
        service.attach_media(session, question, media)
        session.commit()
        session.refresh(media)
        return question
