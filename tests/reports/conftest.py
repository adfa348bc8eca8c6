"""Fixtures of the highlight reel's tests: tiny real clips (160x120, 2 s, made once per session
by ffmpeg) stored as processed renditions, answers that carry them, and a report that picks
them as clips."""

from __future__ import annotations

import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from media.models import MediaFile, MediaStatus, TranscriptState
from media.storage import Storage
from panel.answers.models import Answer
from panel.answers.service import new_token
from panel.reports.models import Report, ReportItem
from tests.factories import system_session
from tests.questions.conftest import make_question

CLIP_SECONDS = 2.0


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", "-y", "-v", "error", *args], check=True)


@dataclass(frozen=True)
class ReelFiles:
    video: Path  # H.264/AAC MP4, as the media pipeline leaves a video
    sound: Path  # AAC in an M4A, as it leaves a sound clip


@pytest.fixture(scope="session")
def reel_files(tmp_path_factory: pytest.TempPathFactory) -> ReelFiles:
    folder = tmp_path_factory.mktemp("reel")
    video, sound = folder / "video.mp4", folder / "audio.m4a"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=160x120:rate=15", "-f", "lavfi", "-i",
           "sine=frequency=440:sample_rate=48000", "-t", str(CLIP_SECONDS), "-c:v", "libx264",
           "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-movflags",
           "+faststart", str(video))  # fmt: skip
    ffmpeg("-f", "lavfi", "-i", "sine=frequency=300:sample_rate=48000", "-t", str(CLIP_SECONDS),
           "-c:a", "aac", "-movflags", "+faststart", str(sound))  # fmt: skip
    return ReelFiles(video, sound)


def stored_media(
    storage: Storage, organisation_id: int, path: Path, kind: str, segments: list[dict[str, Any]]
) -> MediaFile:
    """A processed clip whose ``mp4`` rendition is ``path``, with a transcript of
    ``segments`` (the machine's draft)."""
    public_id = secrets.token_urlsafe(24)
    key = f"{organisation_id}/{public_id}/{'video.mp4' if kind == 'video' else 'audio.m4a'}"
    storage.put(key, path, content_type="video/mp4" if kind == "video" else "audio/mp4")
    text = " ".join(s["text"] for s in segments)
    media = MediaFile(
        organisation_id=organisation_id,
        public_id=public_id,
        purpose="answer",
        status=MediaStatus.READY,
        content_type="video/mp4" if kind == "video" else "audio/mp4",
        kind=kind,
        duration_seconds=CLIP_SECONDS,
        width=160 if kind == "video" else None,
        height=120 if kind == "video" else None,
        renditions={"mp4": key},
        progress=100,
        transcript=text or None,
        transcript_draft=text or None,
        transcript_segments=segments,
        transcript_state=TranscriptState.DRAFT if text else None,
    )
    session = system_session()
    session.add(media)
    session.commit()
    return media


@dataclass
class Reel:
    report: Report
    items: list[ReportItem]
    answers: list[Answer]


def make_reel(
    storage: Storage,
    files: ReelFiles,
    owner: Any,
    clips: list[dict[str, Any]],
    title: str = "Trygghet på kvällen",
) -> Reel:
    """A report picking ``clips`` in order: each ``{"kind", "words", "question", "consent",
    "in", "out"}`` (all optional)."""
    session = system_session()
    questions: dict[str, Any] = {}
    report = Report(organisation_id=owner.organisation_id, title=title, created_by_id=owner.id)
    session.add(report)
    session.commit()
    items, answers = [], []
    for position, spec in enumerate(clips):
        name = spec.get("question", "Hur känns det att gå hem på kvällen?")
        if name not in questions:
            questions[name] = make_question(owner, title=name, answer_modes=["video", "audio"])
        kind = spec.get("kind", "video")
        words = spec.get("words", f"Klipp nummer {position + 1}.")
        segments = [{"start": 0.0, "end": CLIP_SECONDS, "text": words}] if words else []
        path = files.video if kind == "video" else files.sound
        media = stored_media(storage, owner.organisation_id, path, kind, segments)
        answer = Answer(
            organisation_id=owner.organisation_id,
            question_id=questions[name].id,
            channel="web",
            language="sv",
            clip_kind=kind,
            media_id=media.id,
            consent_quote=True,
            consent_show_clip=spec.get("consent", True),
            me_token=new_token(),
        )
        session.add(answer)
        session.flush()
        item = ReportItem(
            organisation_id=owner.organisation_id,
            report_id=report.id,
            answer_id=answer.id,
            kind="clip",
            position=position,
            starts_at=spec.get("in"),
            ends_at=spec.get("out"),
        )
        session.add(item)
        session.commit()
        items.append(item)
        answers.append(answer)
    return Reel(report, items, answers)


@pytest.fixture
def storage(app: Any, db_session: Any) -> Storage:
    """The test app's media storage (a local folder)."""
    from media.storage import current_storage

    return current_storage()
