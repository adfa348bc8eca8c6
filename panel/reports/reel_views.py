"""The highlight reel's pages (staff): the player, the captions of each clip, trimming, and the
MP4 render with its status and download.

``/app/reports/<id>/reel`` plays the reel as it is now (the plan is computed per request, so a
clip whose consent was revoked is never shown). JSON routes answer JSON errors to a client that
asks for JSON (the player's script); forms without script get the page again.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from media.captions import to_vtt
from media.service import PUBLIC_URL
from media.serving import SAFE_HEADERS, send_stored
from media.storage import current_storage
from panel.core.errors import NotFound, ValidationError, wants_json
from panel.core.extensions import db
from panel.reports import reel_renders
from panel.reports.models import ReelRender
from panel.reports.reel import Card, Clip, Plan
from panel.reports.reel_render import DONE, FAILED, QUEUED, RENDERING
from panel.reports.reel_service import current_plan, get_clip_item, get_report, set_trim

bp = Blueprint("reels", __name__, url_prefix="/app/reports")


@bp.get("/<int:report_id>/reel")
@login_required
def player(report_id: int) -> str:
    """The reel: full screen, title cards, each clip trimmed with its captions; trimming and
    the MP4 below it."""
    session = db.session()
    report = get_report(session, report_id)
    plan = current_plan(session, report)
    renders = reel_renders.renders_of(session, report.id)
    latest = renders[0] if renders else None
    return render_template(
        "reports/reel.html",
        report=report,
        plan=plan,
        steps=player_steps(plan),
        render=latest,
        render_status=render_status(report.id, latest, plan) if latest else None,
    )


@bp.get("/<int:report_id>/reel/<int:report_item_id>.vtt")
@login_required
def captions(report_id: int, report_item_id: int) -> Response:
    """One clip's captions as WebVTT, between its in and out points, in the media's own time
    (a ``<track>`` runs on the clip's clock; the player starts it at the in point)."""
    session = db.session()
    plan = current_plan(session, get_report(session, report_id))
    clip = plan.clip(report_item_id)
    if clip is None:
        raise NotFound(_("This clip is not in the reel."))
    response = Response(to_vtt(clip.cues), mimetype="text/vtt")
    response.headers.update(SAFE_HEADERS)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/<int:report_id>/reel/<int:report_item_id>/trim")
@login_required
def trim(report_id: int, report_item_id: int) -> Any:
    """Save a clip's in and out points: JSON or a form, ``starts_at`` and ``ends_at`` in
    seconds (empty: the start or the end). 422 with a message when they do not fit the clip."""
    session = db.session()
    report = get_report(session, report_id)
    item = get_clip_item(session, report, report_item_id)
    body = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(body, dict) and not hasattr(body, "get"):
        raise ValidationError(_('Send "starts_at" and "ends_at" in seconds.'))
    try:
        set_trim(item, body.get("starts_at"), body.get("ends_at"))
    except ValidationError as problem:
        if wants_json() or request.is_json:
            raise
        flash(problem.message, "error")
        return redirect(url_for(".player", report_id=report.id, _anchor=f"clip-{item.id}"), 303)
    session.commit()
    if wants_json() or request.is_json:
        return {"starts_at": item.starts_at, "ends_at": item.ends_at}
    flash(_("In and out points saved."), "success")
    return redirect(url_for(".player", report_id=report.id, _anchor=f"clip-{item.id}"), 303)


@bp.post("/<int:report_id>/reel/render")
@login_required
def render(report_id: int) -> Any:
    """Render the reel as an MP4 in the background (the current render is reused)."""
    session = db.session()
    report = get_report(session, report_id)
    try:
        found, made = reel_renders.request_render(session, report, user_id=current_user.id)
    except ValidationError as problem:
        if wants_json():
            raise
        flash(problem.message, "error")
        return redirect(url_for(".player", report_id=report.id), 303)
    session.commit()
    if wants_json():
        status = render_status(report.id, found, current_plan(session, report))
        return status, 202 if made else 200
    return redirect(url_for(".player", report_id=report.id, _anchor="reel-render"), 303)


@bp.get("/<int:report_id>/reel/renders/<int:reel_render_id>")
@login_required
def render_state(report_id: int, reel_render_id: int) -> Any:
    """A render's state and progress, polled by the page's progress bar."""
    session = db.session()
    report = get_report(session, report_id)
    found = reel_renders.get_render(session, report.id, reel_render_id)
    if found is None:
        raise NotFound(_("No such render."))
    return render_status(report.id, found, current_plan(session, report))


@bp.get("/<int:report_id>/reel/renders/<int:reel_render_id>/reel.mp4")
@login_required
def download(report_id: int, reel_render_id: int) -> Any:
    """The rendered MP4 (streamed from our storage, or a redirect to a short-lived URL)."""
    session = db.session()
    report = get_report(session, report_id)
    found = reel_renders.get_render(session, report.id, reel_render_id)
    if found is None or found.state != DONE or not found.storage_key:
        raise NotFound(_("This render is not there (any more)."))
    try:
        response = send_stored(
            current_storage(),
            found.storage_key,
            content_type="video/mp4",
            range_header=request.headers.get("Range"),
        )
    except FileNotFoundError:
        raise NotFound(_("This render is not there (any more).")) from None
    if request.args.get("download") == "1":
        name = f"reel-{report.id}-{found.id}.mp4"
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def render_status(report_id: int, found: ReelRender, plan: Plan) -> dict[str, Any]:
    """What the page shows of a render (JSON for the poll)."""
    ready = found.state == DONE and bool(found.storage_key)
    url = url_for(".download", report_id=report_id, reel_render_id=found.id) if ready else None
    messages = {
        QUEUED: _("Waiting for its turn…"),
        RENDERING: _("Rendering…"),
        DONE: _("Ready.") if ready else _("This render was deleted."),
        FAILED: _("The render failed."),
    }
    return {
        "id": found.id,
        "state": found.state,
        "progress": found.progress,
        "message": messages.get(found.state, _("This render was deleted.")),
        "error": found.error if found.state == FAILED else None,
        "duration": found.duration,
        "size": found.size,
        "clips": found.clips,
        "current": found.plan_hash == plan.hash,
        "url": url,
        "download_url": f"{url}?download=1" if url else None,
        "status_url": url_for(".render_state", report_id=report_id, reel_render_id=found.id),
    }


def player_steps(plan: Plan) -> list[dict[str, Any]]:
    """The plan as the player's script reads it (JSON in the page)."""
    steps: list[dict[str, Any]] = []
    number = 0
    for piece in plan.pieces:
        if isinstance(piece, Card):
            steps.append({"type": "card", "title": piece.title, "role": piece.role,
                          "duration": piece.duration})  # fmt: skip
            continue
        number += 1
        steps.append(_clip_step(plan, piece, number))
    return steps


def _clip_step(plan: Plan, clip: Clip, number: int) -> dict[str, Any]:
    public = PUBLIC_URL.format(public_id=clip.public_id, rendition="{}")
    urls = {
        "src": public.format("mp4"),
        "poster": public.format("poster.jpg") if clip.has_poster else None,
    }
    return {
        "type": "clip",
        "number": number,
        "item": clip.item_id,
        "kind": clip.kind,
        **urls,
        "start": clip.starts_at,
        "end": clip.ends_at,
        "duration": clip.duration,
        "mediaDuration": clip.media_duration,
        "question": clip.question,
        "place": clip.place,
        "captions": bool(clip.cues),
        "vtt": url_for(".captions", report_id=plan.report_id, report_item_id=clip.item_id),
    }
