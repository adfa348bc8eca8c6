"""Answering by phone: a tenant calls the organisation's number, hears a greeting and the
question in the question's language, presses a score and speaks an answer. Every request comes
from the Twilio double as Twilio sends it (signed, with Twilio's parameters), and the double
follows the TwiML we answer; the recording is fetched from the double with the account's
credentials and becomes the answer's audio clip.

Every TwiML document is checked against the verbs and attributes Twilio documents
(:mod:`tests.answers.twiml`).
"""

from __future__ import annotations

import re

import pytest
import requests
import sqlalchemy as sa

from media.models import MediaFile, MediaStatus
from notifications import inbound
from notifications.models import InboundMessage
from panel.answers.phone import CallTarget, score_of
from panel.core.db import utcnow
from panel.questions.models import QuestionStatus
from tests.answers import twiml
from tests.answers.conftest import LONG_AGO, stored_answers
from tests.factories import login
from tests.questions.conftest import make_media, make_question
from tests.twilio_double.double import new_sid, tone_wav
from touchpoints.phone import create_voice_touchpoint

CALLER = "+46709998877"


@pytest.fixture
def voice_touchpoint(scoped, question, stairwell, phone_line):
    """The organisation's number plays the question (a voice touchpoint in the stairwell)."""
    touchpoint = create_voice_touchpoint(
        scoped,
        {"name": "Telefonlinjen", "place_id": stairwell.id},
        phone_line.phone_number,
        [(question.id, LONG_AGO)],
    )
    scoped.commit()
    return touchpoint


def checked(response) -> str:
    """The TwiML of a response, after checking it is documented TwiML."""
    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    document = response.get_data(as_text=True)
    assert twiml.problems(document) == [], document
    return document


def says(document: str) -> list[tuple[str, str, str]]:
    """(text, language, voice) of every <Say>, in order."""
    return [
        (say.text or "", say.get("language", ""), say.get("voice", ""))
        for say in twiml.parse(document).iter("Say")
    ]


def recording_requests(double) -> list:
    return double.requests_to(f"/2010-04-01/Accounts/{double.account_sid}/Recordings/")


# --- what the caller hears ----------------------------------------------------------------


def test_a_call_hears_a_greeting_and_the_question_then_may_press_a_score_and_speak(
    client, db_session, voice_touchpoint, phone_line, hooks
):
    call = phone_line.call(client, hooks.voice, from_=CALLER)

    document = checked(call.responses[-1])
    assert twiml.verbs(document) == [
        "Say",
        "Say",
        "Gather",
        "Say",
        "Say",
        "Record",
        "Say",
        "Hangup",
    ]
    spoken = says(document)
    assert spoken[0] == (
        "Hej! Bostadsbolaget Ängsbacken har en fråga till dig.",
        "sv-SE",
        "Polly.Astrid",
    )
    assert spoken[1][0].startswith("Hur trivs du i trapphuset på Ängsbacksvägen?")
    assert spoken[2][0] == "Tryck en siffra från 1 till 10 på telefonen och sedan fyrkant."
    assert {language for _text, language, _voice in spoken} == {"sv-SE"}
    gather = twiml.parse(document).find("Gather")
    assert gather.attrib == {
        "input": "dtmf",
        "numDigits": "2",
        "finishOnKey": "#",
        "timeout": "8",
        "action": hooks.voice,
        "method": "POST",
    }
    record = twiml.parse(document).find("Record")
    assert record.get("maxLength") == "120"
    assert record.get("action") == record.get("recordingStatusCallback") == hooks.recorded
    # The call is kept once, with the question it plays.
    [kept] = db_session.scalars(sa.select(InboundMessage)).all()
    assert (kept.provider_id, kept.channel, kept.sender) == (call.sid, "voice", CALLER)
    assert CallTarget.parse(kept.ref).touchpoint_id == voice_touchpoint.id


def test_the_question_audio_is_played_when_it_has_one(
    client, db_session, organisation, question, voice_touchpoint, phone_line, hooks
):
    media = make_media(organisation.id)
    media.renditions = {**media.renditions, "audio": media.storage_prefix + "audio.mp3"}
    question.media_id = media.id
    db_session.merge(media)
    db_session.merge(question)
    db_session.commit()

    call = phone_line.call(client, hooks.voice, from_=CALLER)

    document = checked(call.responses[-1])
    [play] = twiml.parse(document).iter("Play")
    assert play.text == f"http://127.0.0.1:5000/media/{media.public_id}/audio.mp3"
    assert twiml.verbs(document)[:3] == ["Say", "Play", "Gather"]  # no prompt read out


@pytest.mark.parametrize(
    ("language", "greeting", "code", "voice"),
    [
        ("nl", "Hallo! Bostadsbolaget Ängsbacken heeft een vraag voor je.", "nl-NL", "Polly.Lotte"),
        ("en", "Hello! Bostadsbolaget Ängsbacken has a question for you.", "en-GB", "Polly.Amy"),
    ],
)
def test_the_greeting_is_in_the_questions_language(
    client,
    db_session,
    question,
    voice_touchpoint,
    phone_line,
    hooks,
    language,
    greeting,
    code,
    voice,
):
    question.language = language
    db_session.merge(question)
    db_session.commit()

    call = phone_line.call(client, hooks.voice, from_=CALLER)

    spoken = says(checked(call.responses[-1]))
    assert spoken[0] == (greeting, code, voice)
    assert {(c, v) for _t, c, v in spoken} == {(code, voice)}


def test_a_number_with_no_question_says_so_kindly_in_the_organisations_language(
    client, db_session, phone_line, hooks
):
    call = phone_line.call(client, hooks.voice, from_=CALLER)

    document = checked(call.responses[-1])
    assert twiml.verbs(document) == ["Say", "Hangup"]
    assert says(document)[0][:2] == (
        "Tack för att du ringde Bostadsbolaget Ängsbacken. Just nu finns det ingen fråga att "
        "svara på här. Hej då.",
        "sv-SE",
    )


# --- pressing a score, speaking an answer -------------------------------------------------


def test_a_pressed_score_is_an_answer_at_once_and_the_recording_becomes_its_clip(
    client, db_session, stairwell, voice_touchpoint, phone_line, hooks
):
    call = phone_line.call(client, hooks.voice, from_=CALLER)

    pressed = call.press("8")

    document = checked(pressed)
    assert says(document)[0][0] == "Tack. Du gav 8."
    assert "Gather" not in twiml.verbs(document) and "Record" in twiml.verbs(document)
    [answer] = stored_answers(db_session)
    assert (answer.channel, answer.score, answer.provider_id) == ("voice", 8, call.sid)
    assert (answer.touchpoint_id, answer.place_id) == (voice_touchpoint.id, stairwell.id)
    assert answer.media_id is None

    recording = call.speak()

    assert says(checked(call.responses[-2]))[0][0] == "Tack för ditt svar. Hej då."
    [answer] = stored_answers(db_session)
    assert (answer.score, answer.clip_kind) == (8, "audio")
    clip = answer.media
    assert (clip.status, clip.kind, clip.purpose) == (MediaStatus.READY, "audio", "answer")
    assert clip.duration_seconds == pytest.approx(1.5, abs=0.2)
    # Fetched from Twilio as WAV, with the account's credentials.
    [fetched] = recording_requests(phone_line)
    assert fetched.path.endswith(f"/Recordings/{recording.sid}.wav")
    assert (fetched.username, fetched.password, fetched.status) == (
        phone_line.account_sid,
        phone_line.auth_token,
        200,
    )


def test_a_phone_touchpoint_made_on_the_staff_page_answers_its_number(
    client, db_session, staff, question, stairwell, phone_line, hooks
):
    """End to end: staff make the phone touchpoint on its page, a tenant calls its number and
    hears its question, presses a score, and the touchpoint's page counts the call."""
    login(client, staff)
    form = client.get("/app/touchpoints/new?kind=voice").get_data(as_text=True)
    assert f'<option value="{phone_line.phone_number}">+46 70 174 06 05</option>' in form
    made = client.post(
        "/app/touchpoints",
        data={
            "name": "Telefonlinjen",
            "kind": "voice",
            "phone_number": phone_line.phone_number,
            "place_id": str(stairwell.id),
            "is_active": "y",
            "question-0": str(question.id),
            "starts_on-0": LONG_AGO.isoformat(),
        },
    )
    assert made.status_code == 303
    page = made.headers["Location"]

    call = phone_line.call(client, hooks.voice, from_=CALLER)

    spoken = says(checked(call.responses[-1]))
    assert spoken[1][0].startswith("Hur trivs du i trapphuset på Ängsbacksvägen?")
    call.press("7")
    [answer] = stored_answers(db_session)
    assert (answer.channel, answer.score, answer.place_id) == ("voice", 7, stairwell.id)
    assert f"/app/touchpoints/{answer.touchpoint_id}" in page
    shown = client.get(page).get_data(as_text=True)
    figures = re.findall(
        r'<span class="stat-value">(\d+)</span><span class="stat-label">(\w+)', shown
    )
    assert figures == [("1", "Calls"), ("1", "Answers")]


def test_ten_is_one_then_zero(client, db_session, voice_touchpoint, phone_line, hooks):
    call = phone_line.call(client, hooks.voice, from_=CALLER)

    call.press("10", finished_on_key="")

    [answer] = stored_answers(db_session)
    assert answer.score == 10


def test_keys_that_are_no_score_are_asked_again(
    client, db_session, voice_touchpoint, phone_line, hooks
):
    call = phone_line.call(client, hooks.voice, from_=CALLER)

    document = checked(call.press("99"))

    assert says(document)[0][0] == "Tyvärr, det var inte en siffra från 1 till 10."
    assert "Gather" in twiml.verbs(document)
    assert stored_answers(db_session) == []
    call.press("3")
    assert [a.score for a in stored_answers(db_session)] == [3]


def test_score_of_keys():
    assert [score_of(keys) for keys in ("1", "8#", "10", "0", "01", "11", "", "*")] == [
        1, 8, 10, None, None, None, None, None,
    ]  # fmt: skip


def test_a_spoken_answer_without_a_score_is_an_answer_of_its_own(
    client, db_session, staff, scoped, stairwell, phone_line, hooks
):
    question = make_question(
        staff, status=QuestionStatus.LIVE, published_at=utcnow(), answer_modes=["audio"]
    )
    create_voice_touchpoint(
        scoped, {"name": "Röstlådan"}, phone_line.phone_number, [(question.id, LONG_AGO)]
    )
    scoped.commit()
    call = phone_line.call(client, hooks.voice, from_=CALLER)
    assert "Gather" not in twiml.verbs(checked(call.responses[-1]))

    recording = call.speak()

    [answer] = stored_answers(db_session)
    assert (answer.channel, answer.provider_id, answer.score) == ("voice", recording.sid, None)
    assert (answer.clip_kind, answer.media.status) == ("audio", MediaStatus.READY)
    assert answer.contact_id is None and answer.place_id is None  # a caller we do not know


def test_the_same_recording_announced_twice_makes_one_answer(
    client, db_session, staff, scoped, phone_line, hooks
):
    question = make_question(
        staff, status=QuestionStatus.LIVE, published_at=utcnow(), answer_modes=["audio"]
    )
    create_voice_touchpoint(
        scoped, {"name": "Röstlådan"}, phone_line.phone_number, [(question.id, LONG_AGO)]
    )
    scoped.commit()
    call = phone_line.call(client, hooks.voice, from_=CALLER)

    # Twilio calls the <Record>'s action and its recordingStatusCallback; then retries one.
    recording = call.speak()
    call.send_recording_status(recording, hooks.recorded)

    [answer] = stored_answers(db_session)
    assert answer.provider_id == recording.sid
    assert db_session.scalar(sa.select(sa.func.count()).select_from(MediaFile)) == 1
    assert len(recording_requests(phone_line)) == 1


def test_a_caller_asked_by_sms_hears_that_question_and_answers_as_that_contact(
    client, db_session, staff, tenant, stairwell, invitation_of, phone_line, hooks
):
    question = make_question(
        staff,
        title="Hur nöjd är du med snöröjningen?",
        language="nl",
        status=QuestionStatus.LIVE,
        published_at=utcnow(),
        answer_modes=["score", "audio"],
    )
    invitation = invitation_of(question, tenant, channel="sms")

    call = phone_line.call(client, hooks.voice, from_=tenant.phone)
    assert says(checked(call.responses[-1]))[1][:2] == (
        "Hur nöjd är du med snöröjningen? Hej! Jag heter Anna. Hur trivs du i ditt trapphus?",
        "nl-NL",
    )
    call.press("6")
    call.speak()

    [answer] = stored_answers(db_session)
    assert (answer.question_id, answer.invitation_id, answer.contact_id) == (
        question.id,
        invitation.id,
        tenant.id,
    )
    assert (answer.score, answer.place_id, answer.language) == (6, stairwell.id, "sv")
    assert answer.media.status == MediaStatus.READY


# --- only from Twilio, never lost ---------------------------------------------------------


@pytest.mark.parametrize("path", ["/hooks/twilio/voice", "/hooks/twilio/voice/recorded"])
@pytest.mark.parametrize("signature", [None, "forged"])
def test_an_unsigned_or_forged_call_request_is_refused(
    client, db_session, voice_touchpoint, phone_line, path, signature
):
    params = {
        "CallSid": new_sid("CA"),
        "AccountSid": phone_line.account_sid,
        "From": CALLER,
        "To": phone_line.phone_number,
        "CallStatus": "ringing",
        "RecordingSid": new_sid("RE"),
        "RecordingUrl": phone_line.url + "/2010-04-01/Accounts/AC/Recordings/RE",
    }
    headers = {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"} if signature else {}

    response = client.post(path, data=params, headers=headers)

    assert response.status_code == 403
    assert db_session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)) == 0
    assert recording_requests(phone_line) == []


def test_a_recording_twilio_does_not_serve_yet_is_fetched_by_the_sweep(
    client, db_session, staff, scoped, phone_line, hooks
):
    question = make_question(
        staff, status=QuestionStatus.LIVE, published_at=utcnow(), answer_modes=["audio"]
    )
    create_voice_touchpoint(
        scoped, {"name": "Röstlådan"}, phone_line.phone_number, [(question.id, LONG_AGO)]
    )
    scoped.commit()
    call = phone_line.call(client, hooks.voice, from_=CALLER)
    recording = phone_line.add_recording(call.sid)
    del phone_line.recordings[recording.sid]  # announced by the action before it is stored
    params = {
        **call.params(),
        "RecordingUrl": phone_line.recording_url(recording),
        "RecordingSid": recording.sid,
        "RecordingDuration": "2",
        "Digits": "#",
    }

    response = phone_line.post_signed(client, hooks.recorded, params)

    assert says(checked(response))[0][0] == "Tack för ditt svar. Hej då."
    assert stored_answers(db_session) == []
    message = db_session.scalar(
        sa.select(InboundMessage).where(InboundMessage.provider_id == recording.sid)
    )
    assert message.handled_at is None and "not serve" in message.error

    phone_line.recordings[recording.sid] = recording  # Twilio has it now
    assert inbound.handle_due(db_session, now=utcnow() + inbound.SWEEP_AFTER * 2) == 1

    [answer] = stored_answers(db_session)
    assert (answer.provider_id, answer.media.status) == (recording.sid, MediaStatus.READY)


# --- the double serves what Twilio serves -------------------------------------------------


def test_the_double_serves_recordings_only_with_the_accounts_credentials(twilio_double):
    recording = twilio_double.add_recording(new_sid("CA"), tone_wav(0.5))
    url = twilio_double.recording_url(recording)
    auth = (twilio_double.account_sid, twilio_double.auth_token)

    assert requests.get(url + ".wav", timeout=5).status_code == 401
    wav = requests.get(url + ".wav", auth=auth, timeout=5)
    assert (wav.status_code, wav.headers["Content-Type"], wav.content[:4]) == (
        200,
        "audio/x-wav",
        b"RIFF",
    )
    assert requests.get(url, auth=auth, timeout=5).content == wav.content  # WAV by default
    mp3 = requests.get(url + ".mp3", auth=auth, timeout=5)
    assert (mp3.status_code, mp3.headers["Content-Type"]) == (200, "audio/mpeg")
    assert requests.get(url[:-4] + "0000.wav", auth=auth, timeout=5).status_code == 404
    seen = twilio_double.requests_to(recording.path)
    assert [(r.username, r.status) for r in seen] == [
        (None, 401),
        *[(twilio_double.account_sid, 200)] * 3,
    ]


def test_the_double_serves_mms_files_through_a_redirect_to_its_storage(twilio_double):
    item = twilio_double.add_media(new_sid("MM"), b"\xff\xd8\xff photo", "image/jpeg")
    url = twilio_double.url + item.path
    auth = (twilio_double.account_sid, twilio_double.auth_token)

    assert requests.get(url, timeout=5).status_code == 401
    found = requests.get(url, auth=auth, timeout=5)
    assert (found.status_code, found.headers["Content-Type"]) == (200, "image/jpeg")
    assert [r.status_code for r in found.history] == [307]
    assert found.content == b"\xff\xd8\xff photo"


def test_the_twiml_checker_catches_what_twilio_does_not_document():
    assert twiml.problems('<Response><Say voice="Polly.Astrid">Hej</Say><Hangup/></Response>') == []
    assert twiml.problems(
        '<Response><Say lang="sv-SE">Hej</Say><Record maxLength="0" beep="true"/>'
        "<Dial>+46701234567</Dial><Gather><Record/></Gather><Play/></Response>"
    ) == [
        "<Say> has no documented attribute lang",
        "<Record maxLength='0'>: not a value Twilio takes",
        "<Record> has no documented attribute beep",
        "<Dial> may not stand inside <Response>",
        "<Dial> is not a verb Stoop may use",
        "<Record> may not stand inside <Gather>",
        "<Play> needs text",
    ]
    assert twiml.problems("<Respons/>") == ["the root is <Respons>, not <Response>"]
