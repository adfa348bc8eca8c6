"""The question pages: the list, new and edit forms, one question with its player, captions
and actions, the recorder/upload page, and the preview as a tenant sees it on a phone."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user, login_required

from media import captions as caption_drafts
from media import transcribe
from media.models import MediaFile
from media.transcribe import Segment
from panel.answers import summary as answers_summary
from panel.core.errors import NotFound, StoopError, ValidationError
from panel.core.extensions import db
from panel.core.pagination import decode_cursor, encode_cursor
from panel.questions import service
from panel.questions.cards import question_cards
from panel.questions.forms import DEFAULT_TIMEZONE, QuestionForm, local_day
from panel.questions.listing import list_page, list_statement
from panel.questions.models import Question
from panel.questions.playback import caption_cues, player_for, transcript_as_cues
from panel.questions.readiness import WARNING, can_publish, publish_checklist

bp = Blueprint("questions", __name__)
PAGE_SIZE = 24


def _organisation() -> Any:
    return g.get("organisation") or current_user.organisation


def _timezone() -> str:
    return str(_organisation().setting("timezone", DEFAULT_TIMEZONE))


# --- the list --------------------------------------------------------------------------------


@bp.get("/app/questions")
@login_required
def index() -> Any:
    """Questions, newest first; filtered by status and by owner (mine or everyone's)."""
    session = db.session()
    status = request.args.get("status") if request.args.get("status") in service.STATUSES else None
    mine = request.args.get("owner") == "me"
    owner_id = current_user.id if mine else None
    query = list_statement(page=True).where(
        *service.question_filters(status=status, owner_id=owner_id)
    )
    after = decode_cursor(request.args.get("after"))
    if after is not None:
        query = query.where(Question.id < after)
    query = query.order_by(Question.id.desc())
    questions, more, counts, everyone = list_page(
        session, query, limit=PAGE_SIZE, owner_id=owner_id
    )
    return render_template(
        "questions/index.html",
        questions=questions,
        cards=question_cards(questions, {q.id: player_for(q.media) for q in questions}),
        counts=counts,
        everyone=everyone,
        status=status,
        mine=mine,
        older=encode_cursor(questions[-1].id) if more else None,
        paged=after is not None,
    )


# --- new and edit ----------------------------------------------------------------------------


def _show_problems(form: QuestionForm, exc: StoopError) -> None:
    details = exc.details if isinstance(exc.details, dict) else {}
    shown = False
    for name, messages in details.items():
        field = getattr(form, "closes_on" if name == "closes_at" else name, None)
        if field is not None:
            field.errors = [*field.errors, *messages]
            shown = True
    if not shown:
        form.title.errors = [*form.title.errors, exc.message]


@bp.route("/app/questions/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    """Write a new question; then record its video, or keep it as a draft."""
    session = db.session()
    organisation = _organisation()
    form = QuestionForm(language=organisation.default_language, answer_modes=["score", "text"])
    form.timezone = _timezone()
    if form.validate_on_submit():
        try:
            question = service.create_question(session, current_user, form.values(_timezone()))
        except StoopError as exc:
            session.rollback()
            _show_problems(form, exc)
        else:
            session.commit()
            if request.form.get("next") == "record":
                return redirect(url_for(".video", question_id=question.id), 303)
            flash(_("Saved as a draft."), "success")
            return redirect(url_for(".show", question_id=question.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("questions/form.html", form=form, question=None), status


@bp.route("/app/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit(question_id: int) -> Any:
    """Change a question's words, answer modes and closing date."""
    session = db.session()
    question = service.get_question(session, question_id)
    service.require_editor(current_user, question)
    if question.is_closed:
        flash(_("This question is closed and can no longer be changed. Duplicate it."), "warning")
        return redirect(url_for(".show", question_id=question.id), 303)
    form = QuestionForm(
        title=question.title,
        prompt=question.prompt,
        language=question.language,
        answer_modes=list(question.answer_modes or []),
        choices="\n".join(question.choices or []),
        closes_on=local_day(question.closes_at, _timezone()),
    )
    form.timezone = _timezone()
    form.current_closes_on = local_day(question.closes_at, _timezone())
    if form.validate_on_submit():
        values = form.values(_timezone())
        if question.closes_at and local_day(question.closes_at, _timezone()) == form.closes_on.data:
            values["closes_at"] = question.closes_at  # the day did not change
        if question.is_live:
            for name in service.FIXED_ONCE_LIVE:  # shown disabled: not the person's change
                values.pop(name, None)
        try:
            service.update_question(session, question, values)
        except StoopError as exc:
            session.rollback()
            _show_problems(form, exc)
        else:
            session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for(".show", question_id=question.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template("questions/form.html", form=form, question=question), status


# --- one question ----------------------------------------------------------------------------


@bp.get("/app/questions/<int:question_id>")
@login_required
def show(question_id: int) -> Any:
    """The question: player and processing state, captions, checklist and actions."""
    question = service.get_question(db.session(), question_id)
    player = player_for(question.media)
    checklist = publish_checklist(question, player)
    session = db.session()
    return render_template(
        "questions/show.html",
        answer_figures=answers_summary.figures(session, question.id),
        latest_answers=answers_summary.latest(
            session, question.id, current_user, question.owner_id
        ),
        question=question,
        player=player,
        cues=caption_cues(player.captions_vtt) if player else [],
        checklist=checklist,
        can_publish=can_publish(checklist),
        can_edit=service.can_edit(current_user, question),
        accepts_answers=service.accepts_answers(question),
    )


@bp.get("/app/questions/<int:question_id>/preview")
@login_required
def preview(question_id: int) -> Any:
    """The question as a tenant sees it on a phone; the answer inputs do nothing."""
    question = service.get_question(db.session(), question_id)
    # The bar above the phone speaks the staff member's language...
    bar = {
        "back": _("Back to the question"),
        "preview": _("Preview"),
        "explain": _(
            "This is how tenants see the question on a phone. Nothing you do here is saved."
        ),
        "note": _preview_note(question),
    }
    # ...the page itself the question's, as the tenant reads it.
    g.locale = question.language
    refresh()
    return render_template(
        "questions/preview.html",
        bar=bar,
        question=question,
        player=player_for(question.media),
        organisation=_organisation(),
    )


def _preview_note(question: Question) -> str:
    """What the preview cannot show by itself: why the video or the form is missing."""
    if question.is_closed:
        return _("This question is closed: tenants see that it no longer takes answers.")
    if question.media is not None and question.media.status == "failed":
        return _("The video could not be used: tenants see the written question instead.")
    return ""


@bp.get("/app/questions/<int:question_id>/video")
@login_required
def video(question_id: int) -> Any:
    """Record the question's video in the browser, or upload a file."""
    question = service.get_question(db.session(), question_id)
    service.require_editor(current_user, question)
    if not question.is_draft:
        flash(
            _("A live or closed question keeps its video. Duplicate it to record it again."),
            "warning",
        )
        return redirect(url_for(".show", question_id=question.id), 303)
    return render_template(
        "questions/video.html",
        question=question,
        player=player_for(question.media),
        max_seconds=service.max_recording_seconds(_organisation()),
    )


# --- actions ---------------------------------------------------------------------------------


def _act(question_id: int, action: Any, done: str) -> Any:
    """Run a state change of one question; say what happened, or why not."""
    session = db.session()
    question = service.get_question(session, question_id)
    service.require_editor(current_user, question)
    try:
        action(session, question)
    except StoopError as exc:
        session.rollback()
        flash(exc.message, "error")
    else:
        session.commit()
        flash(done, "success")
    return redirect(url_for(".show", question_id=question_id), 303)


@bp.post("/app/questions/<int:question_id>/publish")
@login_required
def publish(question_id: int) -> Any:
    """draft → live; a video without captions is published with a warning that says so."""
    response = _act(
        question_id,
        service.publish_question,
        _("Your question is live. Share it with a panel or put it on a touchpoint."),
    )
    question = service.get_question(db.session(), question_id)
    if question.is_live and _lacks_captions(question):
        flash(
            _(
                "The video has no captions yet: tenants who cannot hear it miss what you say. "
                "Add them below."
            ),
            "warning",
        )
    return response


def _lacks_captions(question: Question) -> bool:
    checks = publish_checklist(question, player_for(question.media))
    return any(check.key == "captions" and check.state == WARNING for check in checks)


@bp.post("/app/questions/<int:question_id>/close")
@login_required
def close(question_id: int) -> Any:
    """draft or live → closed."""
    return _act(question_id, service.close_question, _("Closed. Tenants can no longer answer."))


@bp.post("/app/questions/<int:question_id>/duplicate")
@login_required
def duplicate(question_id: int) -> Any:
    """A copy as a new draft of your own, with the same video."""
    session = db.session()
    question = service.get_question(session, question_id)
    copy = service.duplicate_question(session, question, current_user)
    session.commit()
    flash(_("This is your copy, as a draft. Change what you like, then publish it."), "success")
    return redirect(url_for(".show", question_id=copy.id), 303)


@bp.post("/app/questions/<int:question_id>/media/remove")
@login_required
def remove_media(question_id: int) -> Any:
    """Take the video off a draft."""
    return _act(question_id, service.remove_media, _("The video was removed from this draft."))


@bp.post("/app/questions/<int:question_id>/media")
@login_required
def attach_media(question_id: int) -> Any:
    """JSON ``{"media_id"}``: the recorder's last step, once the bytes are sent: check the
    file, start processing it and make it the question's video, in one call. Answers
    ``{"status", "redirect"}``, or a 422 that says (in the reader's language) why the file
    was refused."""
    session = db.session()
    question = service.get_question(session, question_id)
    service.require_editor(current_user, question)
    payload = request.get_json(silent=True) or {}
    media = service.get_media(
        session, payload.get("media_id") if isinstance(payload, dict) else None
    )
    service.attach_upload(session, question, media)
    session.commit()
    return jsonify(
        {
            "status": media.status.value if hasattr(media.status, "value") else media.status,
            "redirect": url_for(".show", question_id=question.id),
        }
    )


@bp.post("/app/questions/<int:question_id>/captions")
@login_required
def save_captions(question_id: int) -> Any:
    """Save the video's captions: JSON ``{"cues": [{"start", "end", "text"}]}`` from the cue
    editor, or WebVTT text in the form field ``vtt`` (the plain editor, which works without
    JavaScript). The media room checks them; a problem names the caption."""
    session = db.session()
    question = service.get_question(session, question_id)
    service.require_editor(current_user, question)
    payload = request.get_json(silent=True)
    as_json = isinstance(payload, dict)
    try:
        service.ensure_captions_can_change(question)
        count = _store_captions(question, payload if as_json else {"vtt": request.form.get("vtt")})
    except StoopError as exc:
        session.rollback()
        if as_json:
            raise
        flash(exc.message, "error")
        return redirect(url_for(".show", question_id=question.id, _anchor="captions"), 303)
    session.commit()
    message = _("Captions saved: %(num)s lines.", num=count) if count else _("Captions removed.")
    if as_json:
        return jsonify({"cues": count, "message": message})
    flash(message, "success")
    return redirect(url_for(".show", question_id=question.id, _anchor="captions"), 303)


@bp.post("/app/questions/<int:question_id>/captions/from-transcript")
@login_required
def captions_from_transcript(question_id: int) -> Any:
    """Start the captions from the clip's transcript: short lines spread over the clip, for a
    person to correct in the cue editor."""
    session = db.session()
    question = service.get_question(session, question_id)
    service.require_editor(current_user, question)
    media = question.media
    try:
        service.ensure_captions_can_change(question)
        if media is None or not media.transcript:
            raise ValidationError(_("This video has no transcript to start from."))
        count = _store_captions(question, {"cues": _cues_from_transcript(media)})
    except StoopError as exc:
        session.rollback()
        flash(exc.message, "error")
    else:
        session.commit()
        flash(
            _(
                "Captions started from the transcript: %(num)s lines. Play the video and "
                "correct the words and times.",
                num=count,
            ),
            "success",
        )
    return redirect(url_for(".show", question_id=question_id, _anchor="captions"), 303)


def _cues_from_transcript(media: MediaFile) -> list[dict[str, Any]]:
    """The machine's timed segments while the transcript is its draft; a person's words are
    spread over the clip (they carry no timings)."""
    if media.transcript_segments and media.transcript == media.transcript_draft:
        return [
            {"start": cue.start, "end": cue.end, "text": cue.text}
            for cue in caption_drafts.captions_from_transcript(
                [Segment(s["start"], s["end"], s["text"]) for s in media.transcript_segments]
            )
        ]
    return transcript_as_cues(media.transcript or "", media.duration_seconds or 0)


@bp.post("/app/questions/<int:question_id>/transcript")
@login_required
def correct_transcript(question_id: int) -> Any:
    """Correct the transcript of the question's video: the person's words become the record."""
    session = db.session()
    question = service.get_question(session, question_id)
    service.require_editor(current_user, question)
    media = question.media
    if media is None or not media.transcript_state:
        raise NotFound(_("This question's video has no transcript to correct."))
    text = (request.form.get("text") or "").strip()
    transcribe.correct(media, text, user_id=current_user.id, session=session)
    session.commit()
    flash(_("Transcript saved. Your words are now the transcript."), "success")
    return redirect(url_for(".show", question_id=question.id), 303)


def _store_captions(question: Question, payload: dict[str, Any]) -> int:
    """Check and store captions on the question's clip; returns the number of cues."""
    from media.service import save_captions

    if question.media is None:
        raise ValidationError(_("Add a video first: captions belong to a video."))
    if "cues" in payload:
        cues = save_captions(question.media, cues=payload["cues"])
    elif isinstance(payload.get("vtt"), str):
        text = payload["vtt"]
        # A blank text clears the captions, as an empty list of cues does.
        cues = save_captions(question.media, **({"vtt": text} if text.strip() else {"cues": []}))
    else:
        raise ValidationError(_("Send the captions as a list of cues, or as WebVTT text."))
    return len(cues)
