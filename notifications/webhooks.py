"""Provider webhooks under ``/hooks/`` (CSRF-exempt; each request is authenticated by the
provider's signature instead, checked before anything else).

- ``/hooks/twilio/status`` receives Twilio's message status callbacks and moves the outbox row
  through the state machine in ``notifications.status``;
- ``/hooks/twilio/sms`` receives an SMS sent to one of the organisations' numbers, stores it
  (once per MessageSid) and hands it to the registered inbound handler — except STOP, START
  and their Swedish and Dutch words, which opt the sender out of (or back into) the
  organisation's SMS and are answered with a short confirmation;
- ``/hooks/twilio/voice`` answers a call to one of the organisations' numbers (and the digits
  its caller presses) with the TwiML the registered call responder gives
  (:mod:`notifications.calls`), keeping the call once per CallSid;
- ``/hooks/twilio/voice/recorded`` is both a ``<Record>``'s action and its
  ``recordingStatusCallback``: the recording is stored once per RecordingSid and handed to the
  inbound handler, which fetches it (:mod:`notifications.twilio_files`).

Twilio reads TwiML, not our JSON API errors: every answer here, refusals and failures included,
is what Twilio understands — TwiML for the messaging webhook (an empty ``<Response/>`` sends no
reply), an empty body for status callbacks — with a status that tells Twilio's debugger what
happened (403 for a bad signature, 400 for a request without the fields Twilio always sends).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask_babel import force_locale
from flask_babel import gettext as _
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

from notifications import calls, optouts
from notifications.calls import Call, CallStep
from notifications.inbound import Received, receive
from notifications.models import Channel, DeliveryState
from notifications.senders import organisation_for_number, sender_identity
from notifications.status import TWILIO_STATUSES, apply_provider_status
from panel.core.config import Settings
from panel.core.db import get_session, utcnow
from panel.core.scoping import scoped_to

log = logging.getLogger(__name__)

bp = Blueprint("hooks", __name__)

TWIML = "text/xml"
MAX_SMS_BODY = 1600  # Twilio's own limit for one (concatenated) message
MAX_SID = 120
MAX_URL = 1000
# Recording statuses: only a completed recording has audio to fetch.
RECORDING_DONE = "completed"
# Words that say which language their writer reads (STOP and START are everyone's).
KEYWORD_LANGUAGES = {
    "STOPP": "sv",
    "SLUTA": "sv",
    "AVSLUTA": "sv",
    "STARTA": "sv",
    "STOPPEN": "nl",
    "AFMELDEN": "nl",
    "AANMELDEN": "nl",
}


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


def twiml(status: int = 200) -> Response:
    """An empty TwiML document (Twilio does nothing more) with ``status``."""
    return Response(str(MessagingResponse()), status=status, mimetype=TWIML)


def empty(status: int = 200) -> Response:
    """An empty body, for callbacks whose answer Twilio does not read."""
    return Response(b"", status=status, mimetype="text/plain")


def _refusal(status: int) -> Response:
    """What Twilio understands from a hook that could not do its work."""
    if request.endpoint == "hooks.twilio_status":
        return empty(status)
    return twiml(status)


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    # A body too large, a malformed form: Twilio gets TwiML, not the JSON API error.
    return _refusal(exc.code or 400)


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    log.exception("webhook %s failed", request.path)
    return _refusal(500)


def _settings() -> Settings:
    return current_app.config["STOOP"]


@bp.post("/hooks/twilio/status")
def twilio_status() -> Any:
    """A message status callback: sent → delivered / undelivered / failed, never backwards.
    Intermediate statuses (queued, sending…), repeats and unknown messages change nothing."""
    if not twilio_signature_valid(_settings()):
        return empty(403)
    sid = request.form.get("MessageSid", "")
    status = request.form.get("MessageStatus") or request.form.get("SmsStatus", "")
    new_state = TWILIO_STATUSES.get(status)
    if not sid or new_state is None:
        return empty()
    session = get_session()
    apply_provider_status(
        session,
        provider="twilio",
        provider_id=sid,
        new_state=new_state,
        error=_twilio_error(new_state),
        now=utcnow(),
    )
    session.commit()
    return empty()


@bp.post("/hooks/twilio/sms")
def twilio_sms() -> Any:
    """An SMS to one of our numbers: stored once per MessageSid, for the organisation that owns
    the number it was sent to, then handed to the inbound handler. Answers empty TwiML: any
    reply goes out through the outbox, sent at most once."""
    if not twilio_signature_valid(_settings()):
        return twiml(403)
    form = request.form
    sid, sender, to = form.get("MessageSid", ""), form.get("From", ""), form.get("To", "")
    body = form.get("Body", "")
    if not (sid and sender and to) or len(sid) > 120 or len(body) > MAX_SMS_BODY:
        return twiml(400)
    session = get_session()
    received = Received(
        channel=Channel.SMS,
        provider="twilio",
        provider_id=sid,
        sender=sender[:254],
        recipient=to[:254],
        body=body,
        payload={key: form.get(key, "") for key in form},
    )
    organisation_id = organisation_for_number(session, to)
    stored = receive(session, received, organisation_id=organisation_id)
    word = optouts.keyword(body)
    reply = None
    if word is not None and organisation_id is not None:
        if stored is not None:
            stored.handled_at = utcnow()  # the keyword is the whole message: no handler's work
        reply = _keyword(session, organisation_id, received, word, apply=stored is not None)
    session.commit()
    if stored is None:
        log.info("inbound SMS %s delivered again: already stored", sid)
    if reply is None:
        return twiml()
    response = MessagingResponse()
    response.message(reply)
    return Response(str(response), mimetype=TWIML)


def _keyword(
    session: Any, organisation_id: int, received: Received, word: str, *, apply: bool
) -> str:
    """Opt the sender out of (``stop``) or back into (``start``) the organisation's SMS, unless
    this MessageSid was seen before (``apply`` False); the confirmation to answer with, in the
    contact's language (or the keyword's).

    Twilio handles its own English keywords on long codes as well: after STOP it blocks every
    message from the number to that person (its own confirmation goes out, ours may not), and
    START lifts that. So the reply promises what both together do — no more SMS from the
    organisation, START to undo — and nothing about messages Stoop would still send (a
    confirmation code), which Twilio would block anyway."""
    with scoped_to(session, organisation_id):
        person = optouts.find_person(session, organisation_id, Channel.SMS, received.sender)
        contact_id = person.contact_id if person else None
        if apply:
            change = optouts.opt_out if word == "stop" else optouts.opt_in
            change(
                session,
                organisation_id,
                Channel.SMS,
                received.sender,
                contact_id=contact_id,
                method="sms_keyword",
                detail=" ".join(received.body.split()).upper(),
            )
        name = sender_identity(session, organisation_id, _settings()).name
    spoken = KEYWORD_LANGUAGES.get(" ".join(received.body.split()).upper())
    language = (person.language if person else None) or spoken or _settings().default_language
    with force_locale(language):
        if word == "stop":
            return _(
                "You will get no more SMS from %(organisation)s. Reply START to get them again.",
                organisation=name,
            )
        return _(
            "You will get SMS from %(organisation)s again. Reply STOP to stop them.",
            organisation=name,
        )


def _twilio_error(state: DeliveryState) -> str | None:
    if state not in (DeliveryState.UNDELIVERED, DeliveryState.FAILED):
        return None
    code = request.form.get("ErrorCode", "")
    message = request.form.get("ErrorMessage", "")
    if not (code or message):
        return f"Twilio reported the message {state}"
    return f"Twilio reported the message {state}: {code} {message}".strip()


def _required(*names: str) -> tuple[str, ...] | None:
    """The form's values of ``names`` (None when one is missing or absurdly long)."""
    values = tuple(request.form.get(name, "") for name in names)
    limits = [MAX_URL if name.endswith("Url") else MAX_SID for name in names]
    if not all(values) or any(len(v) > limit for v, limit in zip(values, limits, strict=True)):
        return None
    return values


def _voice(reply: str, status: int = 200) -> Response:
    return Response(reply, status=status, mimetype=TWIML)


@bp.post("/hooks/twilio/voice")
def twilio_voice() -> Any:
    """A call to one of our numbers rings, or its caller pressed keys at a ``<Gather>``: keep
    the call (once per CallSid, with the digits), ask the call responder what to play."""
    if not twilio_signature_valid(_settings()):
        return twiml(403)
    found = _required("CallSid", "From", "To")
    if found is None:
        return twiml(400)
    sid, caller, called = found
    session = get_session()
    organisation_id = organisation_for_number(session, called)
    if organisation_id is None:
        log.warning("call %s to %s: no organisation takes calls on it", sid, called)
        return _voice(calls.hangup_twiml())
    digits = request.form.get("Digits", "")[: calls.MAX_DIGITS]
    kept = calls.keep_call(session, organisation_id, request.form)
    call = Call(
        organisation_id=organisation_id,
        call_sid=sid,
        caller=caller,
        called=called,
        step=CallStep.DIGITS if "Digits" in request.form else CallStep.START,
        digits=digits,
        ref=kept.ref if kept is not None else None,
        message_id=kept.id if kept is not None else None,
    )
    with scoped_to(session, organisation_id):
        reply = calls.respond(session, call)
        session.flush()  # what the responder wrote is written in its organisation
    if kept is not None and kept.ref is None and reply.ref:
        kept.ref = reply.ref[:60]
    session.commit()
    return _voice(reply.twiml)


@bp.post("/hooks/twilio/voice/recorded")
def twilio_recorded() -> Any:
    """A recording ended (the ``<Record>``'s action: answered with TwiML) or is ready to fetch
    (its status callback: Twilio reads no answer). Either way the recording is stored once per
    RecordingSid for the inbound handler, which fetches it and makes the answer."""
    if not twilio_signature_valid(_settings()):
        return twiml(403)
    found = _required("CallSid", "RecordingSid", "RecordingUrl")
    if found is None:
        return twiml(400)
    call_sid, recording_sid, _recording_url = found
    form = request.form
    status = form.get("RecordingStatus")
    session = get_session()
    call = calls.find_call(session, call_sid)
    if call is None or call.organisation_id is None:
        log.warning("recording %s of an unknown call %s: not kept", recording_sid, call_sid)
        return twiml()
    if status in (None, RECORDING_DONE) and form.get("RecordingDuration") != "0":
        received = Received(
            channel=Channel.VOICE,
            provider="twilio",
            provider_id=recording_sid,
            sender=call.sender,
            recipient=call.recipient,
            payload={key: form.get(key, "") for key in form},
        )
        stored = receive(session, received, organisation_id=call.organisation_id)
        if stored is not None:
            stored.ref = call.ref
    else:
        log.info("recording %s of call %s is %s: nothing to fetch", recording_sid, call_sid, status)
    reply = None
    if status is None:  # the <Record>'s action: the caller is still on the line
        step = Call(
            organisation_id=call.organisation_id,
            call_sid=call_sid,
            caller=call.sender,
            called=call.recipient,
            step=CallStep.RECORDED,
            digits=form.get("Digits", "")[: calls.MAX_DIGITS],
            ref=call.ref,
            message_id=call.id,
        )
        with scoped_to(session, call.organisation_id):
            reply = calls.respond(session, step)
            session.flush()
    session.commit()
    return _voice(reply.twiml) if reply is not None else twiml()
