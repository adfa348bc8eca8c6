"""Demo questions for "Demo Bostäder": one in every state, with real generated videos.

Each video is an ffmpeg test pattern (1280x720) with the question spoken by espeak-ng (a sine
tone when espeak-ng is not installed), stored through the media storage and processed by the
media pipeline like any upload, so the demo shows real MP4s, posters and phone audio. One
upload is a text file posing as a video, refused by the pipeline with its real message.

Everything degrades: without ffmpeg, or when processing fails, the questions are still made
(asked in writing), and the reason is logged.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from media.models import MediaFile, MediaStatus
from panel.accounts.models import User
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.questions import service
from panel.questions.models import Question

log = logging.getLogger(__name__)

MAX_SECONDS = 10.0
FFMPEG_TIMEOUT = 60


@dataclass(frozen=True)
class DemoQuestion:
    """One demo question: its words, how it is answered, what state it ends in."""

    title: str
    prompt: str
    answer_modes: list[str]
    state: str  # draft | live | closed | failed
    choices: list[str] = field(default_factory=list)
    spoken: bool = False  # gets a generated video of its prompt


QUESTIONS = (
    DemoQuestion(
        title="Hur trivs du i ditt trapphus?",
        prompt="Hej! Hur trivs du i ditt trapphus? Ge ett betyg från ett till tio, "
        "och berätta gärna varför.",
        answer_modes=["score", "text"],
        state="live",
        spoken=True,
    ),
    DemoQuestion(
        title="Tvättstugans nya tider",
        prompt="Sedan mars är tvättstugan öppen till klockan tio på kvällen. "
        "Passar de nya tiderna dig?",
        answer_modes=["choice", "text"],
        choices=["Ja, bättre än förut", "Det spelar ingen roll", "Nej, jag vill ha de gamla"],
        state="closed",
        spoken=True,
    ),
    DemoQuestion(
        title="Tryggheten i området på kvällen",
        prompt="Känner du dig trygg när du går hem genom området på kvällen? Ge ett betyg från "
        "ett till tio, och berätta gärna var det känns otryggt.",
        answer_modes=["score", "text", "video", "audio"],
        state="live",
    ),
    DemoQuestion(
        title="Cykelrummet på Storgatan",
        prompt="Vi planerar ett nytt cykelrum. Vad behöver du för att det ska fungera för dig?",
        answer_modes=["text", "video", "audio"],
        state="draft",
    ),
    DemoQuestion(
        title="Gårdsfesten i juni",
        prompt="Vill du vara med och ordna gårdsfesten i juni?",
        answer_modes=["choice"],
        choices=["Ja, gärna", "Kanske", "Nej tack"],
        state="failed",
    ),
)


def seed_demo_questions(session: Session, organisation: Organisation) -> list[Question]:
    """The demo questions of ``organisation``, owned by its staff member (or first user)."""
    with scoped_to(session, organisation.id):
        owner = _owner(session)
        if owner is None:
            return []
        made = [_make(session, organisation, owner, demo) for demo in QUESTIONS]
        session.flush()
        return made


def _owner(session: Session) -> User | None:
    users = session.scalars(sa.select(User).order_by(User.id)).all()
    staff = [u for u in users if u.role == "staff"]
    return (staff or users or [None])[0]


def _make(session: Session, organisation: Organisation, owner: User, demo: DemoQuestion) -> Any:
    question = service.create_question(
        session,
        owner,
        {
            "title": demo.title,
            "prompt": demo.prompt,
            "language": "sv",
            "answer_modes": demo.answer_modes,
            "choices": demo.choices,
        },
    )
    media = None
    if demo.spoken:
        media = _spoken_video(session, organisation, demo.prompt)
    elif demo.state == "failed":
        media = _refused_upload(session, organisation)
    if media is not None:
        service.attach_media(session, question, media)
    if demo.state in ("live", "closed"):
        service.publish_question(session, question)
    if demo.state == "closed":
        service.close_question(session, question)
    return question


# --- media ---------------------------------------------------------------------------------


def _spoken_video(session: Session, organisation: Organisation, text: str) -> MediaFile | None:
    """A processed video of ``text`` spoken over a test pattern; None when it cannot be made."""
    if shutil.which("ffmpeg") is None:
        log.warning("demo questions: ffmpeg is not installed; the questions get no video")
        return None
    with tempfile.TemporaryDirectory(prefix="stoop-demo-") as folder:
        try:
            clip = make_clip(Path(folder), text)
            media = store_and_process(session, organisation, clip)
        except Exception:
            log.exception("demo questions: the demo video could not be made")
            return None
    if media is None or media.status != MediaStatus.READY:
        log.warning("demo questions: the demo video was not processed (%s)", media and media.error)
        return None
    media.captions_vtt = _captions(text, media.duration_seconds or MAX_SECONDS)
    return media


def make_clip(folder: Path, text: str) -> Path:
    """An MP4 of a 1280x720 test pattern with ``text`` spoken (or a tone), at most 10 s."""
    speech = folder / "prompt.wav"
    has_speech = speak(text, speech)
    clip = folder / "question.mp4"
    audio = ["-i", str(speech)] if has_speech else ["-f", "lavfi", "-i", "sine=frequency=440"]
    seconds = min(wav_seconds(speech) + 0.6, MAX_SECONDS) if has_speech else 6.0
    subprocess.run(  # noqa: S603 - argv built here, no shell
        [
            shutil.which("ffmpeg") or "ffmpeg", "-v", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25",
            *audio,
            "-af", "apad", "-t", f"{seconds:.2f}",
            "-c:v", "libx264", "-preset", "ultrafast", "-crf", "30", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "96k",
            str(clip),
        ],
        check=True,
        capture_output=True,
        timeout=FFMPEG_TIMEOUT,
    )  # fmt: skip
    return clip


def speak(text: str, destination: Path, voice: str = "sv") -> bool:
    """``text`` spoken into a WAV file by espeak-ng; False when it cannot be."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        log.info("demo questions: espeak-ng is not installed; the videos get a tone instead")
        return False
    try:
        subprocess.run(  # noqa: S603 - argv built here, no shell
            [espeak, "-v", voice, "-s", "160", "-w", str(destination), text],
            check=True,
            capture_output=True,
            timeout=FFMPEG_TIMEOUT,
        )
    except (OSError, subprocess.SubprocessError):
        log.warning("demo questions: espeak-ng failed; the videos get a tone instead")
        return False
    return destination.exists() and destination.stat().st_size > 44


def wav_seconds(path: Path) -> float:
    # A WAV header says it exactly: bytes of sound / bytes per second.
    import wave

    with wave.open(str(path)) as sound:
        return sound.getnframes() / float(sound.getframerate())


def store_and_process(
    session: Session,
    organisation: Organisation,
    clip: Path,
    *,
    content_type: str = "video/mp4",
    purpose: str = "question",
) -> MediaFile | None:
    """Store ``clip`` as an upload would be, and run the media pipeline on it right away (the
    demo seeds of questions and of answers)."""
    from media import processing
    from media.service import create_upload
    from media.storage import current_storage

    media, _upload = create_upload(
        session,
        organisation_id=organisation.id,
        filename=clip.name,
        content_type=content_type,
        size=clip.stat().st_size,
        purpose=purpose,
        language="sv",
    )
    storage = current_storage()
    storage.put(media.original_key or "", clip, content_type=content_type)
    # Marked uploaded by hand rather than through complete_upload, which would also queue
    # the processing task: the seed runs the pipeline itself, now, so the demo starts ready.
    media.status = MediaStatus.UPLOADED
    media.size_bytes = clip.stat().st_size
    session.commit()
    settings = current_app.config["STOOP"]
    ready = processing.process(session, media.id, storage=storage, settings=settings)
    if ready is not None and ready.status == MediaStatus.READY:
        _transcribe_later(session, settings, ready)
    return ready


def _transcribe_later(session: Session, settings: Any, media: MediaFile) -> None:
    """Mark the clip as waiting for its transcript: ``stoop demo`` hands the waiting clips to
    the speech worker (a thread of its own process) once the seed is done, so the demo starts
    serving while the transcripts are written."""
    from media import transcribe
    from media.models import TranscriptState

    if transcribe.wants_transcript(settings, media):
        media.transcript_state = TranscriptState.QUEUED
        session.commit()


def _refused_upload(session: Session, organisation: Organisation) -> MediaFile | None:
    """An "upload" of a text file named .webm, refused by the pipeline's own checks."""
    from media.service import complete_upload, create_upload
    from media.storage import current_storage

    body = "Anteckningar inför gårdsfesten: grill, lekar, kaffe.\n".encode() * 40
    try:
        media, _upload = create_upload(
            session,
            organisation_id=organisation.id,
            filename="gardsfest.webm",
            content_type="video/webm",
            size=len(body),
            language="sv",
        )
        with tempfile.TemporaryDirectory(prefix="stoop-demo-") as folder:
            path = Path(folder) / "gardsfest.webm"
            path.write_bytes(body)
            current_storage().put(media.original_key or "", path, content_type="video/webm")
        complete_upload(session, media)
    except Exception:
        log.exception("demo questions: the refused upload could not be staged")
        return None
    if media.status != MediaStatus.FAILED:  # the checks let it through: not a demo of failure
        from media import lifecycle, rejections

        lifecycle.discard_files(current_storage(), media)
        lifecycle.fail(media, rejections.text())
        media.updated_at = utcnow()
    return media


def _captions(text: str, duration: float) -> str:
    """Captions of the spoken prompt: a line per sentence, timed by its share of the text."""
    from media.captions import Cue, to_vtt

    sentences = _sentences(text)
    # A short sentence ("Hej!") still takes a moment to say.
    total = sum(len(s) + 10 for s in sentences) or 1
    start, cues = 0.0, []
    speaking = max(duration - 0.6, 1.0)
    for sentence in sentences:
        end = min(start + speaking * (len(sentence) + 10) / total, duration)
        cues.append(Cue(round(start, 3), round(end, 3), sentence))
        start = end
    return to_vtt(cues)


def _sentences(text: str) -> list[str]:
    found, current = [], ""
    for char in text:
        current += char
        if char in ".!?":
            found.append(current.strip())
            current = ""
    if current.strip():
        found.append(current.strip())
    return [s for s in found if s]
