"""``/api/v1/questions``: list (keyset pages), create, read, update, publish, close, duplicate,
and the video upload (instructions, then complete).

A video reaches a question in two calls: ``POST /questions/{id}/media`` with the file's name,
type and size answers where to send the bytes (a presigned POST to the bucket in s3 mode, the
media room's expiring upload capability URL in local mode: the same ones the staff pages use);
once they are sent, ``POST /questions/{id}/media/complete`` with the ``media_id`` checks what
arrived, starts processing and makes it the question's video.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify
from flask.views import MethodView

from media.rejections import MediaRejected
from panel.core.api import Blueprint
from panel.core.api.schemas import error_responses
from panel.core.errors import Conflict, NotFound
from panel.core.extensions import db
from panel.core.pagination import decode_cursor, encode_cursor
from panel.questions import service
from panel.questions.listing import list_questions, list_statement
from panel.questions.models import Question
from panel.questions.schemas import (
    CompleteInSchema,
    QuestionCreateSchema,
    QuestionInSchema,
    QuestionPageSchema,
    QuestionQuerySchema,
    QuestionSchema,
    UploadInSchema,
    UploadOutSchema,
    dump_question,
)

blp = Blueprint(
    "api_questions",
    __name__,
    description="Questions to tenants: title, written prompt, answer modes, an optional video, "
    "status draft → live → closed.",
)


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
        filters = service.question_filters(status=args.get("status"), owner_id=args.get("owner_id"))
        query = list_statement().where(*filters)
        last = decode_cursor(args.get("after"))
        if last is not None:
            query = query.where(Question.id > last)
        items, more = list_questions(db.session(), query.order_by(Question.id), limit=args["limit"])
        # Read as columns and dumped by hand (the schema above documents the answer; a test
        # holds the two equal): see questions/listing.py and schemas.dump_question.
        return jsonify(
            items=[dump_question(q) for q in items],
            next=encode_cursor(items[-1].id) if more else None,
        )

    @blp.arguments(QuestionCreateSchema)
    @blp.response(201, QuestionSchema)
    @error_responses(blp, 413, 422)
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
    @error_responses(blp, 403, 404, 409, 413, 422)
    def patch(self, data: dict[str, Any], question_id: int) -> Any:
        """Change the given fields. A live question keeps its language, answer modes and
        options (409); a closed one changes no more (409); what the change would break in the
        question as stored (a choice question left with fewer than 2 options) is a 409 too."""
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
    @error_responses(blp, 403, 404, 409)
    def post(self, question_id: int) -> Any:
        """draft → live. 409 when the question is not a draft, has nothing to ask (a ready
        video or a written prompt), its video is still processing or failed, or its closing
        date has passed."""
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
    @error_responses(blp, 403, 404, 409, 413, 422)
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
        if upload["url"].startswith("/"):  # the app's own capability URL: make it absolute
            upload = {**upload, "url": current_app.config["STOOP"].base_url + upload["url"]}
        return {"media_id": media.id, "upload": upload}


@blp.route("/<int:question_id>/media/complete")
class MediaComplete(MethodView):
    @blp.arguments(CompleteInSchema)
    @blp.response(200, QuestionSchema)
    @error_responses(blp, 403, 404, 409, 413, 422)
    def post(self, data: dict[str, Any], question_id: int) -> Any:
        """The upload has been sent: check it, start processing, make it the question's video.
        Follow `media.status` (and `media.progress`) on the question until `ready`. What is
        wrong with the upload is a 409 with its reason as `code`: `media_not_found`,
        `not_received` (nothing arrived yet: send it, then call again), or the file's refusal
        (e.g. `text`, `too_long`), and the question keeps the video it had. Calling again once
        it succeeded changes nothing."""
        session = db.session()
        question = _editable(question_id)
        try:
            media = service.get_media(session, data["media_id"])
        except NotFound as exc:  # the body names it: a conflict, not a missing question
            raise Conflict(exc.text, code="media_not_found") from exc
        try:
            service.attach_upload(session, question, media)
        except MediaRejected as problem:  # a fact about the upload, not about the request
            raise Conflict(problem.text, code=problem.code) from problem
        session.commit()
        session.refresh(media)
        return question
