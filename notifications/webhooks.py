"""Provider webhooks under ``/hooks/`` (CSRF-exempt; each request is authenticated by the
provider's signature instead, checked before anything else).

``/hooks/twilio/status`` receives Twilio's message status callbacks and moves the outbox row
through the state machine in ``notifications.status``.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, current_app, request
from twilio.request_validator import RequestValidator

from notifications.models import DeliveryState
from notifications.status import TWILIO_STATUSES, apply_provider_status
from panel.core.config import Settings
from panel.core.db import get_session, utcnow
from panel.core.errors import error_response

log = logging.getLogger(__name__)

bp = Blueprint("hooks", __name__)


def twilio_request_url(settings: Settings) -> str:
    """The URL Twilio called, as Twilio saw it: the public base URL (not the address behind a
    proxy), the path, and the raw query string only when there is one."""
    url = settings.base_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def twilio_signature_valid(settings: Settings) -> bool:
    """True when ``X-Twilio-Signature`` signs this URL and every form field received."""
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.twilio_auth_token:
        return False
    validator = RequestValidator(settings.twilio_auth_token)
    return validator.validate(twilio_request_url(settings), request.form, signature)


@bp.post("/hooks/twilio/status")
def twilio_status() -> Any:
    """A message status callback: sent → delivered / undelivered / failed, never backwards."""
    settings: Settings = current_app.config["STOOP"]
    if not twilio_signature_valid(settings):
        return error_response(403, "invalid_signature", "The Twilio signature is missing or wrong.")
    sid = request.form.get("MessageSid", "")
    status = request.form.get("MessageStatus") or request.form.get("SmsStatus", "")
    new_state = TWILIO_STATUSES.get(status)
    if not sid or new_state is None:
        # Intermediate statuses (queued, sending...) carry nothing new; acknowledge them.
        return {"status": "ignored"}, 200
    session = get_session()
    changed = apply_provider_status(
        session,
        provider="twilio",
        provider_id=sid,
        new_state=new_state,
        error=_twilio_error(new_state),
        now=utcnow(),
    )
    session.commit()
    return {"status": "updated" if changed else "unchanged"}, 200


def _twilio_error(state: DeliveryState) -> str | None:
    if state not in (DeliveryState.UNDELIVERED, DeliveryState.FAILED):
        return None
    code = request.form.get("ErrorCode", "")
    message = request.form.get("ErrorMessage", "")
    if not (code or message):
        return f"Twilio reported the message {state}"
    return f"Twilio reported the message {state}: {code} {message}".strip()
