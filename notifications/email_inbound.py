"""``/hooks/email/inbound``: e-mail replies to Stoop's per-thread reply addresses, posted by the
mail server or a mail-to-webhook service as the raw RFC 822 message.

The request body is the message's bytes (``Content-Type`` ``message/rfc822``, ``text/plain`` or
``application/octet-stream``). It is authenticated with ``STOOP_INBOUND_EMAIL_SECRET``, sent
either as ``Authorization: Bearer <secret>`` or as the password of HTTP Basic auth (any user
name: many mail-to-webhook services can only do Basic), compared in constant time.

Answers, as JSON (``{"status": ...}`` or the API's ``{"error": {"code", "message"}}``):

- 202 stored (handled after the commit), 200 a message stored before (a redelivery: same
  Message-ID, or without one the same bytes), nothing done twice;
- 404 while no secret is configured: the route is off (a request to it is no server error;
  its message says what to set, for whoever sets the route up);
- 401 without credentials (with a Basic challenge), 403 with wrong ones;
- 413 over ``STOOP_INBOUND_EMAIL_MAX_MB``; 415 a form post instead of the message; 400 bytes
  that are no e-mail (no headers, no From address).

The message is kept whole (``raw_mime``, for its attachments) with what :mod:`notifications.
mail_reading` reads of it: the sender, the reply address it came to, its new text, subject,
ids and attachment list, and whether it is automatic. The reply address's token names the
organisation, through the finder the domain registers (:func:`register_reply_owner`); a
message to an unknown address is kept and logged, and nothing answers it.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from sqlalchemy.orm import Session

from notifications.inbound import Received, receive
from notifications.mail_reading import MailUnreadable, read_mail
from notifications.models import Channel
from panel.core.config import Settings
from panel.core.db import get_session
from panel.core.errors import error_response

log = logging.getLogger(__name__)

bp = Blueprint("email_hooks", __name__)

PATH = "/hooks/email/inbound"
PROVIDER = "email"
OWNER_KEY = "notifications.reply_owner"
ACCEPTED_TYPES = {"message/rfc822", "text/plain", "application/octet-stream", ""}
REALM = 'Basic realm="stoop-inbound-email", charset="UTF-8"'

# (session, token) → the organisation whose reply address carries the token, or None.
ReplyOwner = Callable[[Session, str], int | None]


def register_reply_owner(app: Flask, finder: ReplyOwner) -> None:
    """Make ``finder(session, token)`` say which organisation a reply address's token belongs
    to (a cross-organisation lookup of the domain's own)."""
    app.extensions[OWNER_KEY] = finder


def reply_owner(session: Session, token: str) -> int | None:
    """The organisation a reply address's token belongs to (None: unknown, or no finder)."""
    finder: ReplyOwner | None = current_app.extensions.get(OWNER_KEY)
    return finder(session, token) if finder is not None else None


def _settings() -> Settings:
    return current_app.config["STOOP"]


def max_bytes(settings: Settings) -> int:
    """The largest raw message taken, in bytes."""
    return settings.inbound_email_max_mb * 1024 * 1024


def presented_secret() -> str | None:
    """The secret the request presents: a bearer token or a Basic password (None: neither)."""
    auth = request.authorization
    if auth is None:
        return None
    if auth.type == "bearer":
        return auth.token or None
    if auth.type == "basic":
        return auth.password or None
    return None


def _refuse(status: int, code: str, message: str, **headers: str) -> Response:
    response = error_response(status, code, message)
    response.headers.update(headers)
    return response


def _check_request(settings: Settings) -> Response | None:
    """The refusal this request gets before its body is read, if any (see the module)."""
    secret = settings.inbound_email_secret
    if not secret:
        return _refuse(
            404,
            "inbound_email_off",
            "Inbound e-mail is not set up here: set STOOP_INBOUND_EMAIL_SECRET.",
        )
    given = presented_secret()
    if given is None:
        return _refuse(
            401,
            "unauthorized",
            "Send the inbound e-mail secret as a bearer token or a Basic auth password.",
            **{"WWW-Authenticate": REALM},
        )
    if not hmac.compare_digest(given.encode(), secret.encode()):
        return _refuse(403, "forbidden", "The inbound e-mail secret is not right.")
    limit = max_bytes(settings)
    if request.content_length is not None and request.content_length > limit:
        return _too_large(settings)
    if request.mimetype not in ACCEPTED_TYPES:
        return _refuse(
            415,
            "unsupported_media_type",
            "Post the raw e-mail as the body, with Content-Type message/rfc822.",
        )
    return None


def _too_large(settings: Settings) -> Response:
    return _refuse(
        413,
        "too_large",
        f"The e-mail is larger than {settings.inbound_email_max_mb} MB, "
        "the most this address takes (STOOP_INBOUND_EMAIL_MAX_MB).",
    )


@bp.post(PATH)
def email_inbound() -> Any:
    """Keep one inbound e-mail (see the module)."""
    settings = _settings()
    refusal = _check_request(settings)
    if refusal is not None:
        return refusal
    request.max_content_length = max_bytes(settings)  # a body without Content-Length too
    raw = request.get_data(cache=False)
    if len(raw) > max_bytes(settings):
        return _too_large(settings)
    try:
        mail = read_mail(raw)
    except MailUnreadable as problem:
        return _refuse(400, "unreadable", str(problem))
    found = mail.reply_address()
    session = get_session()
    organisation_id = reply_owner(session, found[1]) if found else None
    recipient = found[0] if found else (mail.recipients[0] if mail.recipients else "")
    received = Received(
        channel=Channel.EMAIL,
        provider=PROVIDER,
        provider_id=mail.provider_id(raw),
        sender=mail.sender,
        recipient=recipient[:254],
        body=mail.text,
        payload=mail.payload(),
        raw_mime=raw,
    )
    stored = receive(session, received, organisation_id=organisation_id)
    session.commit()
    if stored is None:
        log.info("inbound e-mail %s delivered again: already stored", received.provider_id)
        return jsonify({"status": "duplicate"}), 200
    if organisation_id is None:
        log.warning(
            "inbound e-mail %s to %s: no conversation has this address; kept, not answered",
            stored.id,
            recipient or "no reply address",
        )
    return jsonify({"status": "stored", "id": stored.id}), 202
