"""Demo answers for "Demo Bostäder": a few hundred, across channels, places, languages and
modes, so the question pages, the inbox and the reports have real content from the start.

The panel send's answered invitations get their answers (by the e-mail or SMS link); the
evening-safety question gets answers by the web, SMS and phone, a few as recorded videos and
voice clips made with ffmpeg and espeak-ng and processed by the media pipeline like any upload;
the closed laundry question got its choices before it closed. Deterministic (a seeded random),
and it degrades: without ffmpeg the clips are left out and the reason is logged.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from media.models import MediaFile, MediaStatus
from panel.answers.models import Answer, AnswerChannel
from panel.answers.service import new_token
from panel.contacts.models import Contact
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.places.models import Place, PlaceKind
from panel.questions.models import Question
from panel.sends.models import Invitation

log = logging.getLogger(__name__)

EVENING = "Tryggheten i området på kvällen"
LAUNDRY = "Tvättstugans nya tider"
STAIRWELL = "Hur trivs du i ditt trapphus?"
# One stairwell where tenants are clearly less happy (the demo report marks it below target
# and the demo action plan takes it on), with the words they use there.
LOW_STAIRWELL = "Norra Ängby / Klövervägen 21 / Trapphus B"
LOW_SCORES = (3, 4, 6, 5, 3, 7, 4, 5, 6, 4)
LOW_WORDS = (
    "Porten går inte i lås och det sover folk i trappan ibland.",
    "Lampan på plan två är trasig igen, och ingen har kommit trots felanmälan.",
    "Det är skräpigt vid soprummet och luktar illa i hela uppgången.",
    "Jag har ringt om porten tre gånger nu. Det händer ingenting.",
)
CLIP_TIMEOUT = 60

# What tenants write, by language, roughly by how happy they are (low, middling, high score).
WORDS = {
    "sv": (
        [
            "Lampan vid entrén har varit trasig i tre veckor. Jag har felanmält två gånger.",
            "Det luktar rök i trapphuset nästan varje kväll, och ingen verkar bry sig.",
            "Cyklar står i trappan så att man inte kommer fram med barnvagnen.",
            "Gångvägen bakom garagen är helt mörk. Jag går hellre runt hela kvarteret.",
        ],
        [
            "Det är okej, men städningen kunde vara oftare. Golvet är smutsigt på måndagar.",
            "Det har blivit bättre sedan belysningen byttes, men porten stängs inte ordentligt.",
            "Mestadels lugnt. Ibland är det fest på gården sent på natten.",
        ],
        [
            "Jättebra! Trevliga grannar och alltid rent och snyggt.",
            "Jag trivs mycket bra. Tack för den nya belysningen på gården!",
            "Lugnt och tryggt, och fastighetsskötaren är alltid hjälpsam.",
            "Bästa trapphuset i området, tycker jag. Fortsätt så!",
        ],
    ),
    "en": (
        [
            "The door to the bike room has been broken since March. Anyone can walk in.",
            "It is very dark on the path from the bus stop. I do not feel safe there at night.",
        ],
        [
            "Mostly fine, but the lift is out of order far too often.",
            "Cleaning is okay. The notice board is always out of date though.",
        ],
        [
            "Really happy here. Friendly neighbours and a tidy stairwell.",
            "Thanks for fixing the lights so quickly last month!",
        ],
    ),
    "nl": (
        [
            "De portiek wordt bijna nooit schoongemaakt en de lamp op twee is kapot.",
        ],
        [
            "Het gaat wel, maar er staan vaak vuilniszakken bij de ingang.",
        ],
        [
            "Heel tevreden! Rustige buren en alles ziet er netjes uit.",
        ],
    ),
}
SPOKEN = [
    "Hej, jag bor på Ängbyplan. Det är för mörkt vid garagen på kvällen, kan ni sätta upp mer "
    "belysning?",
    "Jag känner mig trygg här. Grannarna håller koll på varandra.",
    "Det är stökigt vid tvättstugan på helgerna. Jag skulle vilja ha en kamera där.",
    "Tack för att ni frågar. Belysningen på gården har blivit mycket bättre.",
    "Porten står ofta öppen på natten. Det gör mig orolig.",
    "Mest lugnt, men bussen slutar gå för tidigt.",
]


def seed_demo_answers(session: Session, organisation: Organisation) -> None:
    """The demo's answers (nothing when the demo questions are not there)."""
    rng = random.Random(14)
    with scoped_to(session, organisation.id):
        questions = {q.title: q for q in session.scalars(sa.select(Question))}
        now = utcnow()
        _answer_invitations(session, rng)
        stairwells = list(
            session.scalars(sa.select(Place.id).where(Place.kind == PlaceKind.STAIRWELL))
        )
        contacts = list(session.scalars(sa.select(Contact).order_by(Contact.id).limit(400)))
        if EVENING in questions and contacts:
            evening = questions[EVENING]
            _answers(session, rng, evening, 140, contacts, stairwells, now, days=12)
            _clips(session, organisation, rng, evening, contacts, now)
        if LAUNDRY in questions and contacts:
            laundry = questions[LAUNDRY]
            closed = laundry.closed_at or now
            _answers(session, rng, laundry, 90, contacts, stairwells, closed, days=20)
        # A random of its own: the answers above stay as they were.
        earlier = random.Random(1417)
        scored = [questions[t] for t in (STAIRWELL, EVENING) if t in questions]
        if scored and contacts:
            # The month before (a little less content) and the weeks before the sends: reports
            # have a period to compare with and a trend over the weeks.
            for question in scored:
                before = now - dt.timedelta(days=30)
                _answers(session, earlier, question, 50, contacts, stairwells, before, days=30,
                         mood=-0.7)  # fmt: skip
                weeks = now - dt.timedelta(days=12)
                _answers(session, earlier, question, 30, contacts, stairwells, weeks, days=17,
                         mood=-0.3)  # fmt: skip
        if STAIRWELL in questions:
            _low_stairwell(session, earlier, questions[STAIRWELL], now)
        session.flush()


def _low_stairwell(
    session: Session, rng: random.Random, question: Question, now: dt.datetime
) -> None:
    """Ten answers at :data:`LOW_STAIRWELL` over the last four weeks, mostly unhappy."""
    place = session.scalar(sa.select(Place).where(Place.path == LOW_STAIRWELL))
    if place is None:
        return
    for n, score in enumerate(LOW_SCORES):
        session.add(
            Answer(
                organisation_id=question.organisation_id,
                question_id=question.id,
                channel=AnswerChannel.SMS if n % 3 else AnswerChannel.WEB,
                language="sv",
                score=score,
                text=LOW_WORDS[n % len(LOW_WORDS)] if score <= 5 else None,
                place_id=place.id,
                **_consent(rng),
                me_token=new_token(),
                created_at=now - dt.timedelta(hours=6 + 61 * n),
            )
        )


def _answer_invitations(session: Session, rng: random.Random) -> None:
    """An answer for every invitation the sends' demo marked answered."""
    answered = session.scalars(
        sa.select(Invitation).where(Invitation.answered_at.is_not(None)).order_by(Invitation.id)
    )
    for invitation in answered:
        contact = invitation.contact
        language = contact.language if contact else "sv"
        score = _score(rng)
        session.add(
            Answer(
                organisation_id=invitation.organisation_id,
                question_id=invitation.question_id,
                channel=invitation.channel,
                language=language,
                score=score,
                text=_words(rng, language, score) if rng.random() < 0.7 else None,
                contact_id=invitation.contact_id,
                place_id=contact.place_id if contact else None,
                invitation_id=invitation.id,
                **_consent(rng),
                me_token=new_token(),
                created_at=invitation.answered_at,
            )
        )


def _answers(
    session: Session,
    rng: random.Random,
    question: Question,
    count: int,
    contacts: Sequence[Contact],
    stairwells: Sequence[int],
    until: dt.datetime,
    *,
    days: int,
    mood: float = 0.0,
) -> None:
    """``count`` answers to ``question`` by web, SMS and phone over the ``days`` before
    ``until``: contacts' by SMS, anonymous ones on the web with a stairwell picked or not;
    ``mood`` moves the scores' mean."""
    modes = set(question.answer_modes)
    for _ in range(count):
        roll = rng.random()
        contact = rng.choice(contacts) if roll < 0.45 else None
        channel = AnswerChannel.SMS if contact else AnswerChannel.WEB
        language = contact.language if contact else rng.choice(["sv"] * 6 + ["en", "nl"])
        score = _score(rng, mood) if "score" in modes else None
        choice = _choice(rng, question) if "choice" in modes else None
        text = _words(rng, language, score or 6) if "text" in modes and rng.random() < 0.6 else None
        if score is None and choice is None and text is None:
            text = _words(rng, language, 6)
        place = (
            contact.place_id
            if contact
            else (rng.choice(stairwells) if stairwells and roll < 0.8 else None)
        )
        session.add(
            Answer(
                organisation_id=question.organisation_id,
                question_id=question.id,
                channel=channel,
                language=language,
                score=score,
                choice=choice,
                text=text,
                contact_id=contact.id if contact else None,
                place_id=place,
                **_consent(rng),
                me_token=new_token(),
                created_at=until - dt.timedelta(minutes=rng.randint(5, days * 24 * 60)),
            )
        )


def touchpoint_answer(
    rng: random.Random,
    question: Question,
    *,
    touchpoint_id: int,
    source: str,
    place_id: int | None,
    at: dt.datetime,
) -> Answer:
    """One anonymous answer left on a touchpoint (the touchpoints' demo calls this)."""
    channel = {"qr": AnswerChannel.QR, "embed": AnswerChannel.EMBED}.get(source, AnswerChannel.WEB)
    modes = set(question.answer_modes)
    score = _score(rng) if "score" in modes else None
    choice = _choice(rng, question) if "choice" in modes else None
    text = _words(rng, "sv", score or 6) if "text" in modes and rng.random() < 0.6 else None
    if score is None and choice is None and text is None:
        text = _words(rng, "sv", 6)
    named = rng.random() < 0.25
    return Answer(
        organisation_id=question.organisation_id,
        question_id=question.id,
        channel=channel,
        language="sv",
        score=score,
        choice=choice,
        text=text,
        touchpoint_id=touchpoint_id,
        source=source,
        place_id=place_id,
        respondent_name=rng.choice(["Berit Ek", "Joop de Vries", "Amina Hassan"])
        if named
        else None,
        respondent_email="berit.ek@example.se" if named else None,
        may_contact=named,
        **_consent(rng),
        me_token=new_token(),
        created_at=at,
    )


def _score(rng: random.Random, mood: float = 0.0) -> int:
    # Most tenants are content; a tail is not.
    return min(10, max(1, round(rng.gauss(8.0 + mood, 1.6))))


def _choice(rng: random.Random, question: Question) -> str | None:
    choices = question.choices or []
    if not choices:
        return None
    return rng.choices(choices, weights=[5, 3, 2][: len(choices)] or None)[0]


def _words(rng: random.Random, language: str, score: int) -> str:
    low, middle, high = WORDS.get(language, WORDS["sv"])
    pool = low if score <= 4 else middle if score <= 7 else high
    return rng.choice(pool)


def _consent(rng: random.Random) -> dict[str, bool]:
    return {
        "consent_identity": rng.random() < 0.55,
        "consent_quote": rng.random() < 0.7,
        "consent_show_clip": rng.random() < 0.5,
    }


# --- recorded answers ----------------------------------------------------------------------


def _clips(
    session: Session,
    organisation: Organisation,
    rng: random.Random,
    question: Question,
    contacts: Sequence[Contact],
    now: dt.datetime,
) -> None:
    """Three video answers and three voice answers by phone, spoken by espeak-ng."""
    if shutil.which("ffmpeg") is None:
        log.warning("demo answers: ffmpeg is not installed; the answers get no recordings")
        return
    for n, words in enumerate(SPOKEN):
        kind = "video" if n % 2 == 0 else "audio"
        media = _recorded(session, organisation, words, kind)
        if media is None:
            continue
        contact = rng.choice(contacts)
        session.add(
            Answer(
                organisation_id=question.organisation_id,
                question_id=question.id,
                channel=AnswerChannel.WEB if kind == "video" else AnswerChannel.VOICE,
                language="sv",
                score=_score(rng),
                text=None,
                clip_kind=kind,
                media_id=media.id,
                contact_id=contact.id if kind == "audio" else None,
                place_id=contact.place_id,
                consent_identity=kind == "audio",
                consent_quote=True,
                consent_show_clip=n != 4,
                me_token=new_token(),
                created_at=now - dt.timedelta(hours=rng.randint(2, 240)),
            )
        )


def _recorded(
    session: Session, organisation: Organisation, words: str, kind: str
) -> MediaFile | None:
    from panel.questions.demo import speak, store_and_process

    with tempfile.TemporaryDirectory(prefix="stoop-demo-") as folder:
        speech = Path(folder) / "speech.wav"
        if not speak(words, speech):
            return None
        clip = Path(folder) / ("answer.mp4" if kind == "video" else "answer.m4a")
        try:
            _encode(speech, clip, kind)
            media = store_and_process(
                session,
                organisation,
                clip,
                content_type="video/mp4" if kind == "video" else "audio/mp4",
                purpose="answer",
            )
        except Exception:
            log.exception("demo answers: a recorded answer could not be made")
            return None
    if media is None or media.status != MediaStatus.READY:
        return None
    return media


def _encode(speech: Path, clip: Path, kind: str) -> None:
    """A phone-shaped (portrait) clip of a plain scene with the speech, or the speech alone."""
    ffmpeg = shutil.which("ffmpeg") or "ffmpeg"
    picture = ["-f", "lavfi", "-i", "smptehdbars=size=360x640:rate=25"] if kind == "video" else []
    video_codec = (
        [
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-crf",
            "32",
            "-pix_fmt",
            "yuv420p",
            "-shortest",
        ]
        if kind == "video"
        else ["-vn"]
    )
    subprocess.run(  # noqa: S603 - argv built here, no shell
        [ffmpeg, "-v", "error", "-y", *picture, "-i", str(speech), *video_codec,
         "-c:a", "aac", "-b:a", "64k", str(clip)],
        check=True,
        capture_output=True,
        timeout=CLIP_TIMEOUT,
    )  # fmt: skip
