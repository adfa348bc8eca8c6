"""Answers by phone: what a caller hears (the call responder ``create_app`` registers with
:mod:`notifications.calls`), and the answer a call's recording becomes.

A call to an organisation's number plays one question: the current question of the ``voice``
touchpoint that owns the number, else the question last sent by SMS to the caller that still
waits for their answer. The caller hears a greeting and the question in the question's language
— its audio track (``<Play>``), or its title and prompt read out (``<Say>``) — then, for a score
question, presses 1 to 10 and the hash key (``<Gather>``), and, for a question that takes audio,
speaks after the tone (``<Record>``).

A score is an answer the moment it is pressed (provider id: the ``CallSid``), so a caller who
hangs up before speaking loses nothing. The recording arrives as its own inbound message
(provider id: the ``RecordingSid``, so Twilio's action and status callbacks make one); the
handler fetches it from Twilio with the account's credentials, keeps it as an audio clip
(processed like any upload) and attaches it to the call's score answer, or makes it an answer
of its own. A caller who is not one of the organisation's contacts is kept by their number
(``respondent_phone``), so that a reply to their answer reaches them by SMS.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from media.ingest import ingest_url
from media.models import MediaFile, MediaStatus
from media.service import delete_media, media_urls, recording_limit
from notifications.calls import Call, CallReply, CallStep, find_call
from notifications.dispatch import E164
from notifications.models import Channel, InboundMessage
from notifications.senders import sender_identity
from notifications.twilio_files import recording_request
from panel.answers import callers
from panel.answers.models import Answer, AnswerChannel, ClipKind
from panel.answers.placements import placed_question
from panel.answers.service import Given, QuestionClosed, record_answer
from panel.contacts.phones import PhoneNumberError, normalise_phone
from panel.core.config import Settings
from panel.core.errors import ValidationError
from panel.organisations.models import Organisation
from panel.questions.models import AnswerMode, Question
from panel.questions.service import accepts_answers
from panel.sends.models import Invitation

log = logging.getLogger(__name__)

VOICE_PATH = "/hooks/twilio/voice"
RECORDED_PATH = "/hooks/twilio/voice/recorded"
# Twilio's language code and an Amazon Polly voice for each question language.
VOICES = {
    "sv": ("sv-SE", "Polly.Astrid"),
    "nl": ("nl-NL", "Polly.Lotte"),
    "en": ("en-GB", "Polly.Amy"),
}
FALLBACK_LANGUAGE = "en"
GATHER_SECONDS = 8  # waiting for the first key
SILENCE_SECONDS = 5  # of silence that ends a recording
MAX_SCORE_DIGITS = 2  # "10" ends the gather by itself; "8#" ends it with the hash key


class RecordingNotReady(RuntimeError):
    """Twilio does not serve the recording yet (its action callback can come first): the
    handler fails, and the sweep offers the message again later."""


@dataclass(frozen=True)
class CallTarget:
    """What a call is about, kept as the call's ``ref``: the question, and where it came from
    (a voice touchpoint and its place, or an SMS invitation)."""

    question_id: int
    touchpoint_id: int | None = None
    place_id: int | None = None
    invitation_id: int | None = None

    def ref(self) -> str:
        parts = {
            "question": self.question_id,
            "touchpoint": self.touchpoint_id,
            "place": self.place_id,
            "invitation": self.invitation_id,
        }
        return ";".join(f"{name}:{value}" for name, value in parts.items() if value is not None)

    @classmethod
    def parse(cls, ref: str | None) -> CallTarget | None:
        values: dict[str, int] = {}
        for part in (ref or "").split(";"):
            name, _sep, value = part.partition(":")
            if name in ("question", "touchpoint", "place", "invitation") and value.isdigit():
                values[f"{name}_id"] = int(value)
        return cls(**values) if "question_id" in values else None


def calls_to_touchpoint(
    session: Session, organisation_id: int, touchpoint_id: int, since: dt.datetime
) -> int:
    """How many calls since ``since`` heard the question of the voice touchpoint: each call is
    kept once (per CallSid) with its :class:`CallTarget` as ``ref``. The call's recording is
    kept with the same ``ref`` but under its RecordingSid; Twilio's CallSids start with ``CA``.
    """
    marker = f"touchpoint:{touchpoint_id}"
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(InboundMessage)
            .where(
                InboundMessage.organisation_id == organisation_id,
                InboundMessage.channel == Channel.VOICE,
                InboundMessage.provider_id.like("CA%"),
                # the question always comes first: the touchpoint is in the middle or last
                sa.or_(
                    InboundMessage.ref.like(f"%;{marker}"),
                    InboundMessage.ref.like(f"%;{marker};%"),
                ),
                InboundMessage.received_at >= since,
            )
        )
        or 0
    )


# --- what the caller hears ------------------------------------------------------------------


class Script:
    """TwiML in one language: ``say`` speaks with that language's voice."""

    def __init__(self, language: str) -> None:
        self.language = language if language in VOICES else FALLBACK_LANGUAGE
        self.response = VoiceResponse()

    def say(self, text: str, into: VoiceResponse | None = None) -> None:
        code, voice = VOICES[self.language]
        (into or self.response).say(text, voice=voice, language=code)

    def goodbye(self, text: str) -> CallReply:
        self.say(text)
        self.response.hangup()
        return CallReply(str(self.response))


def _settings() -> Settings:
    return current_app.config["STOOP"]


def respond_to_call(session: Session, call: Call) -> CallReply:
    """The call responder: what the caller hears at each step of the call."""
    organisation = session.get(Organisation, call.organisation_id)
    assert organisation is not None
    if call.step == CallStep.START:
        return _start(session, call, organisation)
    target = CallTarget.parse(call.ref)
    question = session.get(Question, target.question_id) if target else None
    language = question.language if question else organisation.default_language
    script = Script(language)
    with force_locale(script.language):
        if question is None or target is None:
            return script.goodbye(_("Thank you for calling. Goodbye."))
        if call.step == CallStep.RECORDED:
            return script.goodbye(_("Thank you for your answer. Goodbye."))
        if not accepts_answers(question):
            return script.goodbye(_("This question is closed now. Thank you for calling. Goodbye."))
        return _digits(session, call, target, question, script)


def _start(session: Session, call: Call, organisation: Organisation) -> CallReply:
    target = _choose(session, call)
    question = session.get(Question, target.question_id) if target else None
    if target is None or question is None:
        script = Script(organisation.default_language)
        with force_locale(script.language):
            return script.goodbye(
                _(
                    "Thank you for calling %(organisation)s. There is no question to answer on "
                    "this number right now. Goodbye.",
                    organisation=_name(session, organisation),
                )
            )
    script = Script(question.language)
    with force_locale(script.language):
        script.say(
            _(
                "Hello! %(organisation)s has a question for you.",
                organisation=_name(session, organisation),
            )
        )
        _ask(script, question)
        _answer_steps(script, question, organisation)
    return CallReply(str(script.response), target.ref())


def _choose(session: Session, call: Call) -> CallTarget | None:
    """The voice touchpoint of the number called, else the caller's open SMS question."""
    placed = placed_question(session, call.organisation_id, ("voice",), phone_number=call.called)
    if placed is not None:
        return CallTarget(placed.question.id, placed.touchpoint_id, placed.place_id)
    invitation = callers.open_sms_invitation(session, call.caller)
    if invitation is not None:
        return CallTarget(invitation.question_id, invitation_id=invitation.id)
    return None


def _ask(script: Script, question: Question) -> None:
    """The question: its audio track when it has one, else its words read out."""
    audio = media_urls(question.media, absolute=True).get("audio") if question.media else None
    if audio:
        script.response.play(audio)
    else:
        script.say(" ".join(part for part in (question.title, question.prompt) if part))


def _answer_steps(
    script: Script, question: Question, organisation: Organisation, *, scored: bool = False
) -> None:
    """Ask for a score (unless given), then for a spoken answer; or say it cannot be done."""
    modes = set(question.answer_modes or ())
    if AnswerMode.SCORE in modes and not scored:
        _gather_score(script)
    if AnswerMode.AUDIO in modes:
        if scored:
            script.say(
                _(
                    "If you want to say more, speak after the tone and press the hash key when "
                    "you are done. Or just hang up."
                )
            )
        else:
            script.say(
                _("After the tone, tell us your answer. Press the hash key when you are done.")
            )
        _record(script, organisation)
        # Reached only when the caller said nothing (a recording ends at its action).
        if scored:
            script.say(_("Thank you for your answer. Goodbye."))
        else:
            script.say(_("We did not hear an answer. Goodbye."))
    elif scored:
        script.say(_("Thank you for your answer. Goodbye."))
    elif AnswerMode.SCORE in modes:
        script.say(_("We did not get a number. Goodbye."))
    else:
        script.say(
            _("This question cannot be answered by phone. You can answer it on the web. Goodbye.")
        )
    script.response.hangup()


def _gather_score(script: Script) -> None:
    gather = script.response.gather(
        input="dtmf",
        num_digits=MAX_SCORE_DIGITS,
        finish_on_key="#",
        timeout=GATHER_SECONDS,
        action=_settings().base_url + VOICE_PATH,
        method="POST",
    )
    script.say(_("Press a number from 1 to 10 on your phone, then the hash key."), into=gather)


def _record(script: Script, organisation: Organisation) -> None:
    callback = _settings().base_url + RECORDED_PATH
    script.response.record(
        max_length=recording_limit(organisation),
        timeout=SILENCE_SECONDS,
        finish_on_key="#",
        play_beep=True,
        trim="trim-silence",
        action=callback,
        method="POST",
        recording_status_callback=callback,
        recording_status_callback_method="POST",
        recording_status_callback_event="completed",
    )


def score_of(digits: str) -> int | None:
    """The score the keys pressed mean (1 to 10), or None."""
    digits = digits.strip().rstrip("#")
    if not digits.isdigit() or digits.startswith("0"):
        return None
    value = int(digits)
    return value if 1 <= value <= 10 else None


def _digits(
    session: Session, call: Call, target: CallTarget, question: Question, script: Script
) -> CallReply:
    """The caller pressed keys: a score is an answer at once; then, maybe, a recording."""
    organisation = session.get(Organisation, call.organisation_id)
    assert organisation is not None
    score = score_of(call.digits)
    if score is None or AnswerMode.SCORE not in (question.answer_modes or ()):
        script.say(_("Sorry, that was not a number from 1 to 10."))
        _answer_steps(script, question, organisation)
        return CallReply(str(script.response))
    try:
        _record_call_answer(
            session, call.caller, target, question, Given(score=score), call.call_sid
        )
    except QuestionClosed:
        return script.goodbye(_("This question is closed now. Thank you for calling. Goodbye."))
    script.say(_("Thank you. You gave %(score)s.", score=score))
    _answer_steps(script, question, organisation, scored=True)
    return CallReply(str(script.response))


def _record_call_answer(
    session: Session,
    caller: str,
    target: CallTarget,
    question: Question,
    given: Given,
    provider_id: str,
    media_id: int | None = None,
) -> Answer:
    contact = callers.contact_for(session, caller)
    invitation = session.get(Invitation, target.invitation_id) if target.invitation_id else None
    if invitation is not None and (
        invitation.answered_at is not None or callers.answer_to(session, invitation) is not None
    ):
        invitation = None  # answered meanwhile (by SMS): this answer stands on its own
    place_id = contact.place_id if contact is not None and contact.place_id else target.place_id
    if contact is None:
        given = dataclasses.replace(given, phone=reply_number(caller))
    return record_answer(
        session,
        question,
        given,
        channel=AnswerChannel.VOICE,
        language=contact.language if contact is not None else question.language,
        invitation=invitation,
        contact_id=contact.id if contact is not None else None,
        touchpoint_id=target.touchpoint_id,
        place_id=place_id,
        provider_id=provider_id,
        media_id=media_id,
    ).answer


def reply_number(caller: str) -> str | None:
    """The caller's number when a reply can go to it by SMS: a valid number in E.164 (Twilio
    gives ``anonymous``, ``+266696687`` and the like for hidden or unknown callers). It is
    kept as the answer's ``respondent_phone`` without ``may_contact``: a reply to the number
    they called from is expected, nothing else is sent to it."""
    if not E164.match(caller or ""):
        return None
    try:
        return normalise_phone(caller, "SE")
    except PhoneNumberError:
        return None


def _name(session: Session, organisation: Organisation) -> str:
    return sender_identity(session, organisation.id, _settings()).name


# --- the recording --------------------------------------------------------------------------


def answer_recording(session: Session, message: InboundMessage) -> None:
    """Fetch a call's recording and make it the clip of the call's answer (see above)."""
    payload = message.payload or {}
    call = find_call(session, str(payload.get("CallSid") or ""))
    target = CallTarget.parse(message.ref or (call.ref if call is not None else None))
    question = session.get(Question, target.question_id) if target is not None else None
    if target is None or question is None or not accepts_answers(question):
        log.info("recording %s: no question takes it; kept as it came", message.provider_id)
        return
    request = recording_request(_settings(), str(payload.get("RecordingUrl") or ""))
    if request is None:
        log.warning("recording %s is not at Twilio; not fetched", message.provider_id)
        return
    scored = _answer_of_call(session, str(payload.get("CallSid") or ""))
    if scored is not None and scored.media_id is not None:
        return  # the call's answer has its clip already
    contact = callers.contact_for(session, message.sender)
    media = ingest_url(
        session,
        organisation_id=question.organisation_id,
        url=request.url,
        auth=request.auth,
        max_duration_seconds=recording_limit(session.get(Organisation, question.organisation_id)),
        language=contact.language if contact is not None else question.language,
    )
    if _not_there_yet(media):
        raise RecordingNotReady(f"Twilio does not serve recording {message.provider_id} yet")
    if scored is not None:
        scored.media_id, scored.clip_kind = media.id, ClipKind.AUDIO.value
        return
    try:
        _record_call_answer(
            session,
            message.sender,
            target,
            question,
            Given(clip_kind=ClipKind.AUDIO.value),
            message.provider_id,
            media.id,
        )
    except (QuestionClosed, ValidationError) as problem:
        log.info("recording %s makes no answer: %s", message.provider_id, problem.message)
        delete_media(session, media)


def _answer_of_call(session: Session, call_sid: str) -> Answer | None:
    if not call_sid:
        return None
    return session.scalar(sa.select(Answer).where(Answer.provider_id == call_sid))


def _not_there_yet(media: MediaFile) -> bool:
    params = media.error_params or {}
    return (
        media.status == MediaStatus.FAILED
        and media.error_code == "download_failed"
        and str(params.get("status")) == "404"
    )
