"""``/api/v1/threads``: the organisation's threads, latest activity first and filtered; one
thread with its answer and comments; a reply or a note; a hand-over; closing and reopening.

Writes go through :mod:`panel.threads.service`, as the app's do: a reply reaches the tenant
over the channel they answered by, a note tells the colleagues it mentions, a hand-over tells
the new owner. A clip or colleague named in a body that is not the organisation's (or cannot
be used) is a conflict with what is stored (409, as for the other resources); 404 is for a
thread in the URL that is not the organisation's.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from sqlalchemy.orm import Session, lazyload, selectinload

from media.models import MediaFile, MediaStatus
from panel.accounts.models import User
from panel.answers.clips import PURPOSE as TENANT_CLIPS  # the purpose of tenants' clips
from panel.answers.models import Answer
from panel.contacts.models import Contact
from panel.core.api import Blueprint
from panel.core.api.schemas import error_responses
from panel.core.errors import Conflict
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import PageQuerySchema, keyset_page
from panel.threads import delivery, service
from panel.threads.filters import ThreadFilter, thread_filters
from panel.threads.models import Comment, CommentKind, Thread
from panel.threads.paging import activity_page
from panel.threads.schemas import (
    AssignInSchema,
    CommentInSchema,
    CommentPageSchema,
    CommentSchema,
    ThreadDetailSchema,
    ThreadPageSchema,
    ThreadPatchSchema,
    ThreadQuerySchema,
)
from panel.threads.shapes import dump_comment, dump_thread, dump_thread_detail, listed_columns

blp = Blueprint(
    "api_threads",
    __name__,
    description="Threads: the conversation every answer opens, owned by the person who asked; "
    "replies to the tenant, internal notes, hand-overs.",
)
CLIP_KINDS = ("video", "audio")
NOBODY = 0  # an owner id no user has


def _filter_of(args: dict[str, Any], user: User) -> ThreadFilter:
    """The list's filters; ``mine`` is the token's user (with another ``owner_id``: nobody)."""
    names = ("status", "owner_id", "question_id", "touchpoint_id", "channel", "place_id")
    values = {name: args.get(name) for name in (*names, "since", "until", "has_video", "q")}
    if args.get("mine"):
        values["owner_id"] = user.id if values["owner_id"] in (None, user.id) else NOBODY
    return ThreadFilter(**values, unread=args.get("unread"), unread_for=user.id)


def _comments_query() -> sa.Select[Any]:
    return sa.select(Comment).options(
        selectinload(Comment.author),
        selectinload(Comment.media),
        selectinload(Comment.outbound_message),
    )


def _is_unread(session: Session, thread: Thread, user: User) -> bool:
    query = sa.select(service.unread_clause(user.id)).where(Thread.id == thread.id)
    return bool(session.scalar(query))


def _detail(session: Session, thread: Thread) -> dict[str, Any]:
    comments = session.scalars(
        _comments_query().where(Comment.thread_id == thread.id).order_by(Comment.id)
    ).all()
    route = delivery.route_for(session, thread)
    unread = _is_unread(session, thread, g.api_user)
    return dump_thread_detail(thread, unread, route.channel, list(comments))


def _clip(session: Session, media_id: int | None) -> int | None:
    """The id of a clip a reply may send: the organisation's, video or audio, ready, and
    recorded by staff (a tenant's own clip never goes to another tenant). 409 otherwise."""
    if media_id is None:
        return None
    media = session.get(MediaFile, media_id)
    if media is None:
        refusal = ("media_not_found", _l("There is no media file with id %(id)s.", id=media_id))
    elif media.purpose == TENANT_CLIPS:
        refusal = ("media_not_allowed", _l("A tenant's clip cannot go with a reply."))
    elif media.status != MediaStatus.READY:
        refusal = (
            "media_not_ready",
            _l("This clip is not ready yet: wait until its status is “ready”."),
        )
    elif media.kind not in CLIP_KINDS:
        refusal = ("media_not_a_clip", _l("Only a video or audio clip can go with a reply."))
    else:
        return media.id
    code, message = refusal
    raise Conflict(message, code=code, details={"media_id": [message]})


def _colleague(session: Session, thread: Thread, user_id: int) -> User:
    """An active colleague to hand the thread to (409 otherwise)."""
    colleague = session.get(User, user_id)
    if colleague is None or not colleague.is_active:
        message = _l("There is no active colleague with that id.")
        raise Conflict(message, code="user_not_found", details={"user_id": [message]})
    if colleague.id == thread.owner_id:
        message = _l("%(name)s already owns this conversation.", name=colleague.display_name)
        raise Conflict(message, code="already_owner", details={"user_id": [message]})
    return colleague


@blp.route("/")
class Threads(MethodView):
    @blp.arguments(ThreadQuerySchema, location="query")
    @blp.response(200, ThreadPageSchema)
    @error_responses(blp, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """List threads, latest activity first, a page at a time; filter by status, owner,
        question, touchpoint, channel, place (any level), days of last activity, video,
        unread, and words. Reading threads here does not mark them read."""
        session = db.session()
        user = g.api_user
        dialect = session.get_bind().dialect.name
        query = (
            sa.select(Thread, service.unread_clause(user.id).label("unread"), *listed_columns())
            .join(Answer, Answer.id == Thread.answer_id)
            .outerjoin(Contact, Contact.id == Answer.contact_id)
            .where(*thread_filters(_filter_of(args, user), dialect))
            # The columns above are all the list shows of the answer: not the whole row, nor
            # the question, owner and video that loading an Answer would join.
            .options(lazyload(Thread.answer))
        )
        page = activity_page(session, query, limit=args["limit"], after=args.get("after"))
        return {"items": [dump_thread(*row) for row in page.items], "next": page.next}


@blp.route("/<int:thread_id>")
class ThreadResource(MethodView):
    @blp.response(200, ThreadDetailSchema)
    @error_responses(blp, 404)
    def get(self, thread_id: int) -> Any:
        """One thread: its status and owner, the answer that opened it (who answered only
        when the tenant allowed it), where a reply would go, and every comment, oldest
        first. Reading it here does not mark it read."""
        session = db.session()
        return _detail(session, service.get_thread(session, thread_id))

    @blp.arguments(ThreadPatchSchema)
    @blp.response(200, ThreadDetailSchema)
    @error_responses(blp, 404, 413, 422)
    def patch(self, data: dict[str, Any], thread_id: int) -> Any:
        """Close the thread, or open it again; the history records who did it. Setting the
        status it has changes nothing."""
        session = db.session()
        thread = service.get_thread(session, thread_id)
        service.set_status(session, thread, g.api_user, data["status"])
        session.commit()
        return _detail(session, thread)


@blp.route("/<int:thread_id>/comments")
class Comments(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, CommentPageSchema)
    @error_responses(blp, 404, 422)
    def get(self, args: dict[str, Any], thread_id: int) -> Any:
        """The thread's comments, oldest first, a page at a time."""
        session = db.session()
        thread = service.get_thread(session, thread_id)
        page = keyset_page(
            session,
            _comments_query().where(Comment.thread_id == thread.id),
            Comment.id,
            limit=args["limit"],
            after=args.get("after"),
        )
        return {"items": [dump_comment(c) for c in page.items], "next": page.next}

    @blp.arguments(CommentInSchema)
    @blp.response(201, CommentSchema)
    @error_responses(blp, 404, 409, 413, 422)
    def post(self, data: dict[str, Any], thread_id: int) -> Any:
        """Reply to the tenant, or write a note for colleagues. A reply goes over the channel
        the tenant answered by (an SMS, an e-mail whose replies come back here, or only their
        own page) and marks the thread replied; a note tells each colleague it @mentions.
        409 for a clip that is not the organisation's (`media_not_found`), a tenant's own
        (`media_not_allowed`), not ready (`media_not_ready`) or not video or audio
        (`media_not_a_clip`)."""
        session = db.session()
        thread = service.get_thread(session, thread_id)
        user = g.api_user
        if data["kind"] == CommentKind.REPLY.value:
            media_id = _clip(session, data.get("media_id"))
            comment = service.reply(session, thread, user, data.get("body"), media_id=media_id)
        else:
            comment = service.note(session, thread, user, data.get("body"))
        session.commit()
        return dump_comment(comment)


@blp.route("/<int:thread_id>/assign")
class Assign(MethodView):
    @blp.arguments(AssignInSchema)
    @blp.response(200, ThreadDetailSchema)
    @error_responses(blp, 404, 409, 413, 422)
    def post(self, data: dict[str, Any], thread_id: int) -> Any:
        """Hand the thread to a colleague, who is told (with the reason); the history keeps
        who, when and why. 409 when the colleague is not an active user of the organisation,
        or already owns the thread."""
        session = db.session()
        thread = service.get_thread(session, thread_id)
        colleague = _colleague(session, thread, data["user_id"])
        service.hand_over(session, thread, g.api_user, colleague, data.get("reason"))
        session.commit()
        return _detail(session, thread)
