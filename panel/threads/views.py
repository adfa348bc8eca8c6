"""The thread page: one answer and the conversation that follows it, with the reply composer
(words, a saved reply, a recorded video), internal notes, and closing or reopening.

Every form posts, then redirects back to the page (post/redirect/get). A refusal shows the page
again with the form as it was sent and the reason beside the field: what a person typed is
never lost. Another organisation's thread is not found (the session's scope), on every route.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from media import transcribe
from media.models import MediaFile, MediaStatus
from media.service import recording_limit
from panel.accounts.models import User
from panel.answers import summary as answers_summary
from panel.core.errors import NotFound, StoopError, ValidationError
from panel.core.extensions import db
from panel.core.i18n import LANGUAGE_NAMES
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.language import replies as translated
from panel.language.shown import for_answer as translations_for
from panel.questions.playback import player_for
from panel.threads import delivery, page, saved_replies, service
from panel.threads.forms import NoteForm, ReplyForm, StatusForm, show_problems
from panel.threads.models import Thread, ThreadStatus

bp = Blueprint("threads", __name__)

# Languages the media room transcribes in (a reply's video is tagged with one of them).
MEDIA_LANGUAGES = ("en", "sv", "nl")
SENT_BY = {
    "sms": _l("Your reply is on its way by SMS."),
    "email": _l("Your reply is on its way by e-mail."),
    "web": _l("Your reply is on the tenant's own page."),
}


def _inbox_url() -> str | None:
    """The inbox's address, when the app has one (another room draws it)."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule.rstrip("/") == "/app/inbox" and "GET" in (rule.methods or ()):
            return rule.rule
    return None


def _render(
    thread: Thread,
    *,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    preview: translated.Preview | None = None,
    status: int = 200,
) -> Any:
    """The page, with the forms as sent (values and errors) or empty; with ``preview``, the
    reply's translation to check before it is sent."""
    session = db.session()
    answer = thread.answer
    tenant = page.tenant_of(answer)
    route = delivery.route_for(session, thread)
    replies = saved_replies.saved_replies(session, route.language)
    reader = current_user.locale
    offer = translated.offer(reader, route.language)
    if reply_form is None:
        reply_form = ReplyForm(formdata=None)
        # Offered ready: ticked, since a reply in a language the tenant may not read helps
        # little; the staff member sees the translation before anything is sent.
        reply_form.translate.data = offer is not None and offer.ready
    reply_form.saved_reply.choices = [("", _("Choose a saved reply…"))] + [
        (str(r.id), f"{r.title} · {LANGUAGE_NAMES.get(r.language, r.language)}") for r in replies
    ]
    attached = _attached_media(session, reply_form.media_id.data)
    if attached is None or attached.status == MediaStatus.FAILED:
        reply_form.media_id.data = ""  # refused or gone: the next try goes without it
    organisation = current_user.organisation
    shown = answers_summary.visible(answer, current_user, thread.owner_id or 0)
    entries = page.timeline(session, thread, tenant)
    translations = translations_for(
        session,
        answer,
        [
            (e.comment.id, e.comment.body, e.comment.language)
            for e in entries
            if e.kind == "follow_up"
        ],
        reader,
        settings=current_app.config["STOOP"],
        transcript_shown=bool(answer.media and shown.clip_urls),
        with_reasons=current_user.is_admin,
    )
    if translations.changed:
        session.commit()  # keeps what was translated on the spot; queues what takes longer
    body = render_template(
        "threads/thread.html",
        thread=thread,
        answer=answer,
        question=answer.question,
        shown=shown,
        tenant=tenant,
        entries=entries,
        translations=translations,
        reply_offer=offer,
        reply_preview=preview,
        route=route,
        route_kind=page.route_kind(route, answer),
        saved=replies,
        reply_form=reply_form,
        note_form=note_form or NoteForm(formdata=None),
        status_form=StatusForm(formdata=None),
        attached=attached,
        attached_player=player_for(attached) if attached is not None else None,
        media_language=route.language if route.language in MEDIA_LANGUAGES else None,
        max_seconds=recording_limit(organisation),
        can_manage_saved=saved_replies.can_manage(current_user),
        inbox_url=_inbox_url(),
        language_names=LANGUAGE_NAMES,
        note_open=bool(note_form and note_form.errors),
        transcript_corrected_by=_corrected_by(session, answer.media),
    )
    return body, status


def _corrected_by(session: Session, media: MediaFile | None) -> str | None:
    if media is None or media.transcript_corrected_by_id is None:
        return None
    person = session.get(User, media.transcript_corrected_by_id)
    return person.display_name if person is not None else None


def _attached_media(session: Session, raw: Any) -> MediaFile | None:
    """The video a re-shown form still carries (an upload of this organisation), if any."""
    media_id = parse_id(raw) if raw else None
    return session.get(MediaFile, media_id) if media_id is not None else None


@bp.get("/app/threads/<int:thread_id>")
@login_required
def thread(thread_id: int) -> Any:
    """The conversation; opening it marks it read for the reader."""
    session = db.session()
    item = service.get_thread(session, thread_id)
    service.mark_read(session, item, current_user)
    session.commit()
    return _render(item)


def _stored_video(session: Session, raw: Any) -> int | None:
    """The id of the reply's video once its upload is complete and stored; a refusal says why
    (still uploading, refused, gone)."""
    if not raw:
        return None
    media_id = parse_id(raw)
    media = session.get(MediaFile, media_id) if media_id is not None else None
    if media is None:
        raise ValidationError(
            _l("The video could not be found. Record or choose it again."),
            details={"media_id": [_l("Not found.")]},
        )
    if media.status == MediaStatus.PENDING:
        from media.service import complete_upload

        complete_upload(session, media)  # raises while nothing has arrived yet
    if media.status == MediaStatus.FAILED:
        from media.service import refusal

        session.commit()  # the refusal is the record of what happened to this file
        raise refusal(media)
    return media.id


def _insert_saved_reply(session: Session, form: ReplyForm) -> None:
    """Without JavaScript: the chosen saved reply goes at the end of the words typed so far."""
    if not form.saved_reply.data:
        form.saved_reply.errors = [_("Choose a saved reply first.")]
        return
    try:
        saved = saved_replies.get_saved_reply(session, form.saved_reply.data)
    except NotFound as exc:
        form.saved_reply.errors = [exc.message]
        return
    typed = (form.body.data or "").rstrip()
    form.body.data = f"{typed}\n\n{saved.body}" if typed else saved.body
    form.saved_reply.data = ""


@bp.post("/app/threads/<int:thread_id>/reply")
@login_required
def reply(thread_id: int) -> Any:
    """Send a reply to the tenant (or, ``action=insert``, put a saved reply in the form)."""
    session = db.session()
    item = service.get_thread(session, thread_id)
    form = ReplyForm()
    action = request.form.get("action")
    if action == "insert":
        _insert_saved_reply(session, form)
        return _render(item, reply_form=form, status=422 if form.errors else 200)
    if action == "edit":  # back from the translation to the staff member's own words
        return _render(item, reply_form=form)
    if action != "send_translated" and form.translate.data and (form.body.data or "").strip():
        return _preview(session, item, form)  # a video without words has nothing to translate
    try:
        media_id = _stored_video(session, form.media_id.data)
        if action == "send_translated":
            original, translation = form.body.data, form.translation.data
            comment = translated.send_translated(
                session, item, current_user, original, translation, media_id=media_id
            )
        else:
            comment = service.reply(session, item, current_user, form.body.data, media_id=media_id)
    except StoopError as exc:
        session.rollback()
        show_problems(form, exc)
        return _render(item, reply_form=form, preview=_shown_preview(item, form), status=exc.status)
    session.commit()
    flash(str(SENT_BY.get(comment.channel or "web", SENT_BY["web"])), "success")
    return redirect(url_for(".thread", thread_id=item.id, _anchor=f"comment-{comment.id}"), 303)


def _preview(session: Session, thread: Thread, form: ReplyForm) -> Any:
    """The reply and its machine translation, side by side, to check before sending."""
    try:
        preview = translated.preview(session, thread, current_user, form.body.data)
    except StoopError as exc:
        session.rollback()
        show_problems(form, exc)
        return _render(thread, reply_form=form, status=exc.status)
    session.commit()  # the translation is kept: sending it finds what the machine made
    form.translation.data = preview.translation
    return _render(thread, reply_form=form, preview=preview)


def _shown_preview(thread: Thread, form: ReplyForm) -> translated.Preview | None:
    """A translated reply that was refused comes back as its preview, the texts as sent."""
    if request.form.get("action") != "send_translated":
        return None
    return translated.Preview(
        original=form.body.data or "",
        translation=form.translation.data or "",
        source=current_user.locale,
        target=delivery.route_for(db.session(), thread).language,
        engine="",
    )


@bp.post("/app/threads/<int:thread_id>/note")
@login_required
def note(thread_id: int) -> Any:
    """Write an internal note; colleagues it ``@mentions`` are told."""
    session = db.session()
    item = service.get_thread(session, thread_id)
    form = NoteForm()
    try:
        comment = service.note(session, item, current_user, form.body.data)
    except StoopError as exc:
        session.rollback()
        show_problems(form, exc)
        return _render(item, note_form=form, status=exc.status)
    session.commit()
    flash(_("Note saved. Only colleagues see it."), "success")
    return redirect(url_for(".thread", thread_id=item.id, _anchor=f"comment-{comment.id}"), 303)


@bp.post("/app/threads/<int:thread_id>/transcript")
@login_required
def correct_transcript(thread_id: int) -> Any:
    """Correct the transcript of the answer's recording: the person's words become the record."""
    session = db.session()
    item = service.get_thread(session, thread_id)
    media = item.answer.media
    shown = answers_summary.visible(item.answer, current_user, item.owner_id or 0)
    if media is None or not shown.clip_urls or not media.transcript_state:
        raise NotFound(_("This answer has no transcript you can correct."))
    text = (request.form.get("text") or "").strip()
    transcribe.correct(media, text, user_id=current_user.id, session=session)
    session.commit()
    flash(_("Transcript saved. Your words are now the transcript."), "success")
    return redirect(url_for(".thread", thread_id=item.id), 303)


@bp.post("/app/threads/<int:thread_id>/status")
@login_required
def set_status(thread_id: int) -> Any:
    """Close the conversation, or open it again."""
    session = db.session()
    item = service.get_thread(session, thread_id)
    form = StatusForm()
    try:
        changed = service.set_status(session, item, current_user, form.status.data or "")
    except StoopError as exc:
        session.rollback()
        flash(exc.message, "error")
    else:
        session.commit()
        if changed is not None:
            closed = item.status == ThreadStatus.CLOSED
            flash(_("Closed.") if closed else _("Opened again."), "success")
    return redirect(url_for(".thread", thread_id=item.id), 303)
