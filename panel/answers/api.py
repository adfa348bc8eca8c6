"""``/api/v1/answers``: every answer of the organisation, newest first, filtered; and one
answer with its clip's URLs, the tenant's consent and the transcript. Read-only: answers come
from tenants."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask.views import MethodView
from sqlalchemy.orm import selectinload

from panel.answers.listing import filters_from
from panel.answers.models import Answer
from panel.answers.schemas import (
    AnswerDetailQuerySchema,
    AnswerDetailSchema,
    AnswerPageSchema,
    AnswerQuerySchema,
)
from panel.core.api import Blueprint
from panel.core.api.schemas import error_responses
from panel.core.errors import NotFound
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import keyset_page
from panel.language.shown import for_answer

blp = Blueprint(
    "api_answers",
    __name__,
    description="Tenants' answers, by every channel, with their consent and clips.",
)


@blp.route("/")
class Answers(MethodView):
    @blp.arguments(AnswerQuerySchema, location="query")
    @blp.response(200, AnswerPageSchema)
    @error_responses(blp, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """List answers, newest first, a page at a time; filter by question, touchpoint,
        channel, place (any level), days, and whether a clip came with them."""
        query = (
            sa.select(Answer)
            .where(*filters_from(args))
            .options(
                selectinload(Answer.media),
                selectinload(Answer.contact),
                selectinload(Answer.pictures),
            )
        )
        return keyset_page(
            db.session(),
            query,
            Answer.id,
            limit=args["limit"],
            after=args.get("after"),
            descending=True,
        )


@blp.route("/<int:answer_id>")
class AnswerResource(MethodView):
    @blp.arguments(AnswerDetailQuerySchema, location="query")
    @blp.response(200, AnswerDetailSchema)
    @error_responses(blp, 404, 422)
    def get(self, args: dict[str, Any], answer_id: int) -> Any:
        """One answer, with its clip's URLs, the tenant's consent, the transcript, and the
        machine translations made of them (``language`` asks for one)."""
        session = db.session()
        answer = session.get(Answer, answer_id)
        if answer is None:
            raise NotFound(_l("There is no answer with id %(id)s.", id=answer_id))
        if args.get("language"):
            made = for_answer(
                session,
                answer,
                [],
                args["language"],
                settings=current_app.config["STOOP"],
                transcript_shown=True,
            )
            if made.changed:
                session.commit()
        return answer
