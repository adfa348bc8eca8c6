"""The tenant's side of answers: the thank-you page after an answer, the upload of a recorded
clip that follows its answer, and ``/me/<token>``, the tenant's own page with their answers,
the organisation's replies to each and a form to write back (a follow-up in the answer's
thread: :mod:`panel.threads.tenant`), their panels, and their consent to each answer, which
they can change at any time.

Public: no login. A token is all a visitor has; an unknown one gets the same plain 404 page,
which tells nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for

from media.service import recording_limit
from panel.answers import clips, mine, web
from panel.answers.models import Answer
from panel.answers.service import Consent, set_consent
from panel.core.errors import NotFound, ValidationError
from panel.core.extensions import csrf, db, limiter
from panel.core.i18n import lazy_text as _l
from panel.core.i18n import use_tenant_language
from panel.organisations.embedding import embed_origins, frame_policy
from panel.organisations.models import Organisation
from panel.panels.models import MemberStatus, PanelConsentVersion
from panel.privacy import erasure
from panel.threads.service import thread_of_answer
from panel.threads.tenant import MAX_MESSAGE, conversations, write_back

bp = Blueprint("answers_public", __name__)

NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
# A clip's upload is started again after a cut connection: a few per minute are plenty.
CLIP_LIMIT_IP = "30 per minute;300 per hour"
CLIP_LIMIT_PER_ANSWER = "12 per minute"


def _not_found() -> Any:
    return render_template("panels/tenant_404.html"), 404


def _speak(organisation: Organisation, *known: str | None) -> str:
    """The page's language (:func:`~panel.core.i18n.use_tenant_language`): the switch, the
    person's, the browser's, the company's."""
    return use_tenant_language(*known, default=organisation.default_language)


def _owner(token: str) -> tuple[mine.Owner | None, Organisation | None]:
    session = db.session()
    owner = mine.owner_of(session, token)
    if owner is None:
        return None, None
    return owner, session.get(Organisation, owner.organisation_id)


@bp.get("/thanks/<token>")
def thanks(token: str) -> Any:
    """Thank you: the answer is safe; the tenant's own page is where replies will show."""
    owner, organisation = _owner(token)
    if owner is None or owner.answer is None:
        return _not_found()
    answer = owner.answer
    _speak(organisation, answer.language)
    embedded = request.args.get("embed") == "1"
    page = render_template(
        "answers/thanks.html",
        organisation=organisation,
        answer=answer,
        token=token,
        embedded=embedded,
    )
    headers = dict(NO_STORE)
    if embedded:
        # Answered inside a website's frame: the thanks shows there too, for the same sites.
        headers["Content-Security-Policy"] = frame_policy(embed_origins(organisation))
    return page, 200, headers


@bp.get("/me/<token>")
def me(token: str) -> Any:
    """The tenant's own page: their answers with their consent and the conversation that
    follows each, their panels, a way out."""
    owner, organisation = _owner(token)
    if owner is None:
        return _not_found()
    return _me_page(token, owner, organisation), 200, NO_STORE


def _me_page(
    token: str,
    owner: mine.Owner,
    organisation: Organisation | None,
    *,
    draft: dict[int, tuple[str, Any]] | None = None,
) -> str:
    """The page; ``draft`` keeps a message that could not be sent, with why, by answer."""
    session = db.session()
    contact = owner.contact
    _speak(
        organisation,
        contact.language if contact else (owner.answer.language if owner.answer else None),
    )
    answers = mine.answers_of(session, owner)
    memberships = mine.memberships_of(session, owner)
    version_ids = {m.consent_version_id for m in memberships if m.consent_version_id}
    versions = {
        v.id: v
        for v in session.scalars(
            sa.select(PanelConsentVersion).where(PanelConsentVersion.id.in_(version_ids))
        )
    }
    return render_template(
        "answers/me.html",
        organisation=organisation,
        contact=contact,
        token=token,
        answers=answers,
        conversations=conversations(session, answers),
        message_limit=MAX_MESSAGE,
        draft=draft or {},
        memberships=memberships,
        versions=versions,
        welcome=request.args.get("welcome", type=int),
        left=request.args.get("left", type=int),
        saved=request.args.get("saved", type=int),
        sent=request.args.get("sent", type=int),
        active=MemberStatus.ACTIVE,
        erasure=erasure.open_request(session, contact.id) if contact else None,
        erase_within=erasure.CONFIRM_WITHIN_DAYS,
    )


def answer_limit() -> str:
    """Messages a minute from one address (``STOOP_ANSWER_RATE_LIMIT``, as answers)."""
    return current_app.config["STOOP"].answer_rate_limit


def _page_limit() -> str:
    return current_app.config["STOOP"].answer_link_rate_limit


def _page_key() -> str:
    return "me-message:" + (request.view_args or {}).get("token", "")[:64]


@bp.post("/me/<token>/answers/<int:answer_id>/message")
@csrf.exempt  # the page's token is the credential; a forged POST would need it
@limiter.limit(answer_limit)
@limiter.limit(_page_limit, key_func=_page_key)
def message(token: str, answer_id: int) -> Any:
    """The tenant writes back about one of their answers: a follow-up in its thread. A message
    that cannot be sent (empty, too long) shows the page again with it and says why."""
    owner, organisation = _owner(token)
    if owner is None:
        return _not_found()
    session = db.session()
    answer = session.get(Answer, answer_id)
    if answer is None or answer not in mine.answers_of(session, owner):
        return _not_found()
    thread = thread_of_answer(session, answer.id)
    if thread is None:
        return _not_found()
    text = request.form.get("message", "")
    try:
        write_back(session, thread, text)
    except ValidationError as problem:
        draft = {answer.id: (text[: MAX_MESSAGE * 2], problem.text)}  # worded on the page
        return _me_page(token, owner, organisation, draft=draft), 422, NO_STORE
    session.commit()
    return redirect(url_for(".me", token=token, sent=answer.id, _anchor=f"answer-{answer.id}"), 303)


@bp.post("/me/<token>/answers/<int:answer_id>/consent")
@csrf.exempt  # the page's token is the credential; a forged POST would need it
@limiter.limit("30 per minute")
def consent(token: str, answer_id: int) -> Any:
    """Change what the tenant allows for one of their answers."""
    owner, _organisation = _owner(token)
    if owner is None:
        return _not_found()
    session = db.session()
    answer = session.get(Answer, answer_id)
    if answer is None or answer not in mine.answers_of(session, owner):
        return _not_found()
    form = web.given_from(request.form).consent
    set_consent(answer, Consent(form.identity, form.quote, form.show_clip))
    session.commit()
    return redirect(
        url_for(".me", token=token, saved=answer.id, _anchor=f"answer-{answer.id}"), 303
    )


@bp.post("/me/<token>/erase")
@csrf.exempt  # the page's token is the credential; a forged POST would need it
@limiter.limit("10 per minute")
def ask_erasure(token: str) -> Any:
    """The tenant asks to have everything about them erased: a request an admin confirms."""
    owner, _organisation = _owner(token)
    if owner is None or owner.contact is None:
        return _not_found()
    session = db.session()
    erasure.ask(session, owner.contact, source="me")
    session.commit()
    return redirect(url_for(".me", token=token, _anchor="erase-title"), 303)


@bp.app_template_global()
def answer_clip_seconds(organisation: Organisation | None) -> int:
    """The longest clip a tenant may record for ``organisation`` (its ``max_recording_seconds``
    setting, else the app's), for the answer form's recorder."""
    return recording_limit(organisation)


def _token_key() -> str:
    return "answer-clip:" + (request.view_args or {}).get("token", "")[:64]


def _clip_answer(token: str) -> Answer:
    """The answer a thank-you token names, the request spoken in the answer's language."""
    owner, organisation = _owner(token)
    if owner is None or owner.answer is None:
        raise NotFound(_l("This answer does not exist."))
    _speak(organisation, owner.answer.language)
    return owner.answer


def _declared(body: Any) -> tuple[str, str, int]:
    if not isinstance(body, dict):
        raise ValidationError(_l("Send JSON with filename, content_type and size."))
    filename, content_type, size = body.get("filename"), body.get("content_type"), body.get("size")
    if not isinstance(filename, str) or not isinstance(content_type, str):
        raise ValidationError(_l("Send JSON with filename, content_type and size."))
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValidationError(_l("Send JSON with filename, content_type and size."))
    return filename, content_type, size


@bp.post("/thanks/<token>/clip")
@csrf.exempt  # the answer's token is the credential; a forged POST would need it
@limiter.limit(CLIP_LIMIT_IP)
@limiter.limit(CLIP_LIMIT_PER_ANSWER, key_func=_token_key)
def clip_start(token: str) -> Any:
    """Start the upload of an answer's announced clip: JSON ``{filename, content_type, size}``
    → ``{"media", "upload", "complete"}`` (send the bytes as ``upload`` says, then POST to
    ``complete``). Only while the answer awaits its clip."""
    answer = _clip_answer(token)
    filename, content_type, size = _declared(request.get_json(silent=True))
    session = db.session()
    started = clips.start_clip(
        session, answer, filename=filename, content_type=content_type, size=size
    )
    session.commit()
    body = {
        "media": started.media.public_id,
        "upload": started.upload,
        "complete": url_for(".clip_finish", token=token, receipt=started.receipt),
    }
    return jsonify(body), 201, NO_STORE


@bp.post("/thanks/<token>/clip/<receipt>")
@csrf.exempt  # the answer's token is the credential; a forged POST would need it
@limiter.limit(CLIP_LIMIT_IP)
@limiter.limit(CLIP_LIMIT_PER_ANSWER, key_func=_token_key)
def clip_finish(token: str, receipt: str) -> Any:
    """The clip's bytes are sent: check them, attach the clip to the answer, start processing.
    ``{"answer", "clip_kind", "status", "thanks"}``; a refused file is a 422 that says why."""
    answer = _clip_answer(token)
    session = db.session()
    clips.finish_clip(session, answer, receipt[:200])
    session.commit()
    body = clips.clip_state(answer) | {"thanks": url_for(".thanks", token=token)}
    return jsonify(body), 200, NO_STORE
