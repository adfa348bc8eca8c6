"""Phone calls to an organisation's number: each call kept once, and the seam through which the
domain says what the caller hears.

Notifications speaks Twilio (signatures, the call's parameters, TwiML as the answer) but knows
nothing of questions, so ``create_app`` registers one responder
(:func:`register_call_responder`) that, given a :class:`Call`, returns the TwiML to play and a
short reference of what the call is about (``"question:12"``). The webhook keeps every call as
an :class:`~notifications.models.InboundMessage` (channel ``voice``, provider id ``CallSid``),
with that reference and the digits the caller pressed, so the recording that arrives later (its
own inbound message, provider id ``RecordingSid``) finds what it answers: :func:`find_call`.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from notifications.inbound import Received, receive
from notifications.models import Channel, InboundMessage
from panel.core.db import utcnow

log = logging.getLogger(__name__)

RESPONDER_KEY = "notifications.call_responder"
PROVIDER = "twilio"
MAX_DIGITS = 20


class CallStep(enum.StrEnum):
    """Where the call is: it just rang, the caller pressed keys, or a recording ended."""

    START = "start"
    DIGITS = "digits"
    RECORDED = "recorded"


@dataclass(frozen=True)
class Call:
    """One request about a call, as plain values: who called which number, what they pressed
    (``digits``: this request's, or "" ) and what the responder said the call is about."""

    organisation_id: int
    call_sid: str
    caller: str
    called: str
    step: CallStep
    digits: str = ""
    ref: str | None = None
    message_id: int | None = None


@dataclass(frozen=True)
class CallReply:
    """What the caller hears (TwiML) and, at the start, what the call is about."""

    twiml: str
    ref: str | None = None


CallResponder = Callable[[Session, Call], CallReply]


def register_call_responder(app: Flask, responder: CallResponder) -> None:
    """Make ``responder(session, call)`` the one that decides what callers hear. It runs
    scoped to the called number's organisation, in the transaction that keeps the call."""
    app.extensions[RESPONDER_KEY] = responder


def hangup_twiml() -> str:
    """TwiML that ends the call."""
    response = VoiceResponse()
    response.hangup()
    return str(response)


def hang_up(session: Session, call: Call) -> CallReply:
    """The default while no domain takes calls: end the call."""
    return CallReply(hangup_twiml())


def respond(session: Session, call: Call) -> CallReply:
    """The registered responder's answer to ``call``."""
    responder: CallResponder = current_app.extensions.get(RESPONDER_KEY, hang_up)
    return responder(session, call)


def keep_call(
    session: Session, organisation_id: int, form: Mapping[str, str]
) -> InboundMessage | None:
    """Keep the call once per CallSid (a later request of the same call, e.g. the digits of a
    gather, adds them to it), in the caller's transaction. The call itself is nobody's work
    (its recording will be), so it is kept handled."""
    sid = form.get("CallSid", "")
    received = Received(
        channel=Channel.VOICE,
        provider=PROVIDER,
        provider_id=sid,
        sender=form.get("From", "")[:254],
        recipient=form.get("To", "")[:254],
        payload=dict(form),
    )
    stored = receive(session, received, organisation_id=organisation_id)
    if stored is not None:
        stored.handled_at = utcnow()
        return stored
    call = find_call(session, sid)
    digits = form.get("Digits", "")[:MAX_DIGITS]
    if call is not None and digits:
        call.payload = {**(call.payload or {}), "Digits": digits}
    return call


def find_call(session: Session, call_sid: str) -> InboundMessage | None:
    """The kept call with this CallSid, if any."""
    if not call_sid:
        return None
    return session.scalar(
        sa.select(InboundMessage).where(
            InboundMessage.provider == PROVIDER,
            InboundMessage.provider_id == call_sid,
            InboundMessage.channel == Channel.VOICE,
        )
    )
