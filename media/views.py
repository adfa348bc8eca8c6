"""Media over HTTP: JSON endpoints for the staff app's uploader, the upload capability route,
and the public rendition URLs.

Staff endpoints (``/app/media/...``) need a login and answer JSON, errors included
(``{"error": {"code", "message"}}``); CSRF stays on (our JavaScript sends the token in an
``X-CSRFToken`` header). Organisation scoping is automatic, so another organisation's
``media_id`` is simply not found (404). The upload route (``/media/uploads/<signed token>``)
needs no login and no CSRF token: the token is the capability (see :mod:`media.capabilities`),
issued to staff pages, API clients and later tenants alike. Public URLs
(``/media/<token>/<rendition>``) need no login: the token is a 192-bit secret, and tenants'
pages use them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from media import rejections, service
from media.models import MediaStatus
from media.processing import content_type_of
from media.rejections import MediaRejected
from media.serving import SAFE_HEADERS, send_stored
from media.storage import CHUNK_SIZE, current_storage
from panel.core.errors import (
    HTTP_CODES,
    NotFound,
    StoopError,
    ValidationError,
    error_response,
)
from panel.core.extensions import csrf, db
from panel.core.scoping import scoped_to

bp = Blueprint("media", __name__)

TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
PUBLIC_RENDITIONS = {
    "mp4": "mp4",
    "poster.jpg": "poster",
    "audio.mp3": "audio",
    "picture.jpg": "picture",
}
LANGUAGES = {"en", "sv", "nl"}
PURPOSE = re.compile(r"[a-z_]{1,20}")


@bp.errorhandler(StoopError)
def _stoop_error(exc: StoopError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.details)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    message = "Not found." if status == 404 else (exc.description or "Request refused.")
    return error_response(status, HTTP_CODES.get(status, "error"), message)


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError) -> Response:
    # Registered here too: the app's own CSRF handler (an HTML page for forms) is found first.
    return error_response(
        400,
        "csrf_failed",
        _(
            "The request did not carry this page's security token (CSRF). Reload the page "
            "and try again."
        ),
    )


def staff_json(view: Callable[..., Any]) -> Callable[..., Any]:
    """Like ``login_required``, but a JSON 401 instead of a redirect to the login page."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return error_response(401, "unauthorized", _("Please log in first."))
        return view(*args, **kwargs)

    return wrapper


@bp.post("/app/media/uploads")
@staff_json
def start_upload() -> Any:
    """Check a declared file and answer how to upload it: ``{"media_id", "upload"}``."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError(_("Send JSON with filename, content_type and size."))
    session = db.session()
    media, upload = service.create_upload(
        session,
        organisation_id=current_user.organisation_id,
        filename=_text(body, "filename"),
        content_type=_text(body, "content_type", required=False),
        size=_size(body),
        purpose=_purpose(body),
        max_duration_seconds=service.recording_limit(current_user.organisation),
        language=_language(body),
    )
    session.commit()
    return jsonify(media_id=media.id, upload=upload), 201


@bp.post("/media/uploads/<token>")
@csrf.exempt  # the signed token is the capability; there is no session to ride on
def receive_upload(token: str) -> Any:
    """The clip's raw bytes as the request body, streamed to storage in 1 MiB chunks.

    204 when stored; 404 for a token we did not sign or a clip that is gone; 410 once it
    expired; 409 when the upload was completed already; 413 over the size limit and 422 for an
    empty body (both fail the clip, with the reason in words).
    """
    session = db.session()
    capability = service.read_capability(token)
    # Nothing may open the body before the limit of this request is raised from the app-wide
    # one (for forms and CSV files) to the capability's own; our own count stops a chunked body.
    request.max_content_length = capability.max_bytes + CHUNK_SIZE
    media = service.upload_target(session, capability)
    service.ensure_pending(media)  # before the body is opened: a finished clip stays as it is
    with scoped_to(session, media.organisation_id):
        try:
            try:
                service.receive_upload(
                    session, media, capability, request.stream, request.content_length
                )
            except RequestEntityTooLarge:  # Werkzeug refused the body when it was opened
                session.rollback()
                too_large = rejections.too_large(request.content_length, capability.max_bytes)
                service.refuse_upload(session, media, too_large)
        except MediaRejected as problem:
            status = 413 if problem.code == "too_large" else problem.status
            return error_response(status, problem.code, problem.message)
    return "", 204


@bp.post("/app/media/<int:media_id>/complete")
@staff_json
def complete_upload(media_id: int) -> Any:
    """The browser has finished uploading: check the file and start processing it."""
    session = db.session()
    media = service.complete_upload(session, service.get_media(session, media_id))
    session.commit()
    if media.status == MediaStatus.FAILED:
        problem = service.refusal(media)
        return error_response(422, problem.code, problem.message, {"status": "failed"})
    return jsonify(status=media.status.value), 202


@bp.get("/app/media/<int:media_id>/status")
@staff_json
def status(media_id: int) -> Any:
    """Status, progress, error text, duration, dimensions and URLs (for a progress bar)."""
    return jsonify(service.status_of(service.get_media(db.session(), media_id)))


@bp.get("/app/media/<int:media_id>/captions")
@staff_json
def captions(media_id: int) -> Any:
    """The clip's captions as WebVTT and as cues, and its transcript (if one was made)."""
    return jsonify(service.captions_of(service.get_media(db.session(), media_id)))


@bp.put("/app/media/<int:media_id>/captions")
@staff_json
def save_captions(media_id: int) -> Any:
    """Replace the captions: JSON ``{"vtt": "WEBVTT..."}`` or ``{"cues": [...]}``."""
    session = db.session()
    media = service.get_media(session, media_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not ("vtt" in body or "cues" in body):
        raise ValidationError(_('Send JSON with "vtt" (WebVTT text) or "cues".'))
    if "vtt" in body and not isinstance(body["vtt"], str):
        raise ValidationError(_('"vtt" must be WebVTT text.'))
    service.save_captions(media, vtt=body.get("vtt"), cues=body.get("cues"))
    session.commit()
    return jsonify(service.captions_of(media))


@bp.get("/media/<token>/<rendition>")
def public_rendition(token: str, rendition: str) -> Any:
    """A ready clip's rendition for ``<video>``, ``<img>``, ``<audio>`` and ``<track>``."""
    media = service.find_public(db.session(), token) if TOKEN.fullmatch(token) else None
    if media is None or media.status != MediaStatus.READY:
        raise NotFound(_("No such media file."))
    if rendition == "captions.vtt":
        return _captions_response(media.captions_vtt)
    key = (media.renditions or {}).get(PUBLIC_RENDITIONS.get(rendition, ""))
    if not key:
        raise NotFound(_("No such media file."))
    try:
        return send_stored(
            current_storage(),
            key,
            content_type=content_type_of(key),
            range_header=request.headers.get("Range"),
        )
    except FileNotFoundError:
        raise NotFound(_("No such media file.")) from None


def _captions_response(vtt: str | None) -> Response:
    if not vtt:
        raise NotFound(_("This clip has no captions."))
    response = Response(vtt, mimetype="text/vtt")
    response.headers.update(SAFE_HEADERS)
    response.headers["Cache-Control"] = "private, no-cache"  # captions change when edited
    return response


def _text(body: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = body.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationError(_("%(name)s must be a non-empty string.", name=name))
    return value


def _size(body: dict[str, Any]) -> int:
    value = body.get("size")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(_("size must be the file's size in bytes (a whole number)."))
    return value


def _language(body: dict[str, Any]) -> str | None:
    value = body.get("language")
    if value is None:
        return None
    if value not in LANGUAGES:
        raise ValidationError(_("language must be en, sv or nl."))
    return value


def _purpose(body: dict[str, Any]) -> str:
    value = body.get("purpose", "question")
    if not isinstance(value, str) or not PURPOSE.fullmatch(value):
        raise ValidationError(_("purpose must be a short lower-case word, e.g. question."))
    return value
