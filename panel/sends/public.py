"""The personal link ``/a/<token>``: the question a person was invited to answer, and their
answer to it.

The page shows the question as the tenant pages do, records that the link was opened, and
takes one answer (a plain form POST; see panel.answers.web). A link answered before shows
that answer's thank-you page instead of a second form.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, g, redirect, render_template, request, url_for

from panel.answers import web
from panel.answers.models import Answer, AnswerChannel
from panel.answers.service import QuestionClosed, record_answer
from panel.core.db import utcnow
from panel.core.errors import ValidationError
from panel.core.extensions import csrf, db, limiter
from panel.core.i18n import switched_language, use_tenant_language
from panel.core.scoping import scope_session
from panel.organisations.models import Organisation
from panel.questions.playback import player_for
from panel.questions.service import accepts_answers
from panel.sends.models import Invitation
from panel.sends.service import find_invitation, mark_opened

bp = Blueprint("sends_public", __name__)

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def answer_limit() -> str:
    """Answers a minute from one address (``STOOP_ANSWER_RATE_LIMIT``)."""
    return current_app.config["STOOP"].answer_rate_limit


def _link_limit() -> str:
    return current_app.config["STOOP"].answer_link_rate_limit


def _link_key() -> str:
    return "answer-link:" + (request.view_args or {}).get("token", "")[:64]


def _invitation(token: str) -> tuple[Invitation | None, Organisation | None]:
    """The invitation a link names, the request then scoped to its organisation and spoken in
    the tenant's language (:func:`~panel.core.i18n.use_tenant_language`: the switch, the
    contact's, the browser's, else the question's)."""
    session = db.session()
    invitation = find_invitation(session, token)
    if invitation is None:
        return None, None
    scope_session(session, invitation.organisation_id)
    organisation = session.get(Organisation, invitation.organisation_id)
    contact = invitation.contact
    use_tenant_language(
        contact.language if contact else None,
        fallback=invitation.question.language,
        default=organisation.default_language,
    )
    return invitation, organisation


def _gone(invitation: Invitation | None, organisation: Organisation | None) -> Any | None:
    """The friendly 404 for an unknown or expired link, or None when the link works."""
    if invitation is None:
        return render_template("sends/link_unknown.html"), 404
    if invitation.expires_at <= utcnow():
        page = render_template(
            "sends/link_expired.html", organisation=organisation, question=invitation.question
        )
        return page, 404
    return None


def _page(
    invitation: Invitation,
    organisation: Organisation,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Any:
    question = invitation.question
    page = render_template(
        "sends/answer.html",
        organisation=organisation,
        question=question,
        player=player_for(question.media),
        language=str(g.locale),
        accepting=accepts_answers(question),
        action=url_for(".answer", token=invitation.token, lang=switched_language()),
        submission=web.new_submission_key(),
        values=values or {},
        errors=errors or {},
    )
    return page, status, NO_STORE


def _answered(invitation: Invitation) -> Answer | None:
    if invitation.answered_at is None:
        return None
    return db.session().scalar(sa.select(Answer).where(Answer.invitation_id == invitation.id))


@bp.get("/a/<token>")
def answer(token: str) -> Any:
    """The invited person's question and the answer form (a friendly 404 for a link that does
    not exist or has expired; it reveals nothing)."""
    invitation, organisation = _invitation(token)
    gone = _gone(invitation, organisation)
    if gone is not None:
        return gone
    session = db.session()
    mark_opened(session, invitation, utcnow())
    session.commit()
    given = _answered(invitation)
    if given is not None:
        return redirect(url_for("answers_public.thanks", token=given.me_token), 303)
    return _page(invitation, organisation)


@bp.post("/a/<token>")
@csrf.exempt  # the link's token is the credential; a forged POST would need it
@limiter.limit(answer_limit)
@limiter.limit(_link_limit, key_func=_link_key)
def submit(token: str) -> Any:
    """Store the answer, then thank the tenant. A form with a mistake comes back with what was
    typed and says what to change; a closed question says so."""
    invitation, organisation = _invitation(token)
    gone = _gone(invitation, organisation)
    if gone is not None:
        return gone
    session = db.session()
    form = request.form
    question = invitation.question
    try:
        recorded = record_answer(
            session,
            question,
            web.given_from(form),
            channel=AnswerChannel(invitation.channel)
            if invitation.channel in {"email", "sms"}
            else AnswerChannel.WEB,
            language=str(g.locale),
            invitation=invitation,
            submission_key=web.submission_key(form),
        )
    except QuestionClosed:
        session.rollback()
        return _page(invitation, organisation, status=409)
    except ValidationError as exc:
        session.rollback()
        if web.wants_json():
            raise
        errors = web.error_messages(exc.details)
        return _page(
            invitation, organisation, values=web.kept_values(form), errors=errors, status=422
        )
    session.commit()
    return web.after_answer(recorded.answer, recorded.created)
