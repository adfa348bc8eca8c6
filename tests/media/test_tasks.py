"""The processing task on its own: claimed once, retried on storage outages, reclaimed when a
worker died, the original kept or removed; transcripts pre-filling captions."""

from __future__ import annotations

import datetime as dt
import socket
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from media import lifecycle
from media.models import MediaFile, MediaStatus
from media.service import new_public_id
from media.storage import Storage
from media.storage.s3 import S3Storage
from media.transcribe import Segment, transcribe_clip
from panel.core.db import utcnow
from tests.factories import OrganisationFactory
from tests.media.conftest import Clips, media_row, run_task

PROCESS = "media.tasks.process_media"
RECLAIM = "media.tasks.reclaim_stalled"


def uploaded_clip(session: Session, storage: Storage, path: Path, **values: Any) -> MediaFile:
    """A clip whose original is in storage, as complete_upload leaves it."""
    organisation = OrganisationFactory()
    media = MediaFile(
        organisation_id=organisation.id,
        public_id=new_public_id(),
        status=MediaStatus.UPLOADED,
        content_type="video/webm",
        renditions={},
        **values,
    )
    media.original_key = f"{media.storage_prefix}original{path.suffix}"
    storage.put(media.original_key, path, content_type="video/webm")
    session.add(media)
    session.commit()
    return media


def _age(session: Session, media: MediaFile, status: MediaStatus, minutes: int) -> None:
    session.execute(
        sa.update(MediaFile)
        .where(MediaFile.id == media.id)
        .values(status=status, updated_at=utcnow() - dt.timedelta(minutes=minutes))
    )
    session.commit()


def test_a_clip_is_processed_once_however_often_the_task_arrives(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    media = uploaded_clip(db_session, storage, clips.recording)

    first = run_task(app, PROCESS, media.id)
    second = run_task(app, PROCESS, media.id)

    assert first.result == "ready" and second.result is None
    assert media_row(db_session, media.id).attempts == 1


def test_a_clip_claimed_by_another_worker_is_left_alone(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    media = uploaded_clip(db_session, storage, clips.recording)
    assert lifecycle.claim(db_session, media.id) is not None  # another delivery got there first

    assert run_task(app, PROCESS, media.id).result is None
    assert media_row(db_session, media.id).status == MediaStatus.PROCESSING


def test_the_original_is_kept_when_configured(
    app: Flask, db_session: Session, storage: Storage, clips: Clips, monkeypatch: Any
) -> None:
    monkeypatch.setattr(app.config["STOOP"], "media_keep_original", True)
    media = uploaded_clip(db_session, storage, clips.recording)

    run_task(app, PROCESS, media.id)

    ready = media_row(db_session, media.id)
    assert ready.status == MediaStatus.READY and ready.original_key
    assert storage.head(ready.original_key).size == clips.recording.stat().st_size


def test_a_storage_outage_is_retried_and_leaves_the_clip_uploaded(
    app: Flask,
    db_session: Session,
    storage: Storage,
    clips: Clips,
    monkeypatch: Any,
    s3_server: Any,  # for its (fake) AWS credentials
) -> None:
    media = uploaded_clip(db_session, storage, clips.recording)
    with socket.socket() as sock:  # a storage nobody answers
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setitem(app.extensions, "stoop.media_storage", S3Storage("gone", endpoint_url=dead))

    result = run_task(app, PROCESS, media.id)

    assert result.failed() and type(result.result).__name__ == "StorageUnavailable"
    after = media_row(db_session, media.id)
    assert after.status == MediaStatus.UPLOADED and after.attempts == 0 and after.error is None


def test_reclaim_requeues_stalled_clips_and_spares_busy_ones(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    stalled = uploaded_clip(db_session, storage, clips.recording, attempts=1)
    _age(db_session, stalled, MediaStatus.PROCESSING, minutes=20)
    lost = uploaded_clip(db_session, storage, clips.wav)
    _age(db_session, lost, MediaStatus.UPLOADED, minutes=30)
    busy = uploaded_clip(db_session, storage, clips.recording, attempts=1)
    _age(db_session, busy, MediaStatus.PROCESSING, minutes=2)

    requeued = run_task(app, RECLAIM).result

    assert requeued == 2
    assert media_row(db_session, stalled.id).status == MediaStatus.READY
    assert media_row(db_session, lost.id).status == MediaStatus.READY
    assert media_row(db_session, busy.id).status == MediaStatus.PROCESSING


def test_reclaim_gives_up_after_three_attempts(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    media = uploaded_clip(db_session, storage, clips.recording, attempts=3)
    _age(db_session, media, MediaStatus.PROCESSING, minutes=20)

    assert run_task(app, RECLAIM).result == 0

    failed = media_row(db_session, media.id)
    assert failed.status == MediaStatus.FAILED
    assert failed.error.startswith("We could not process this clip after several attempts.")
    assert storage.list(failed.storage_prefix) == []


class ScriptedTranscriber:
    """Stands in for a speech engine (an external program, like faster-whisper)."""

    name = "scripted"

    def __init__(self) -> None:
        self.heard: list[tuple[str, str]] = []

    def transcribe(self, path: Path, *, language: str) -> list[Segment]:
        self.heard.append((path.suffix, language))
        return [Segment(0.0, 1.0, "Hej alla."), Segment(1.0, 1.9, "Vad tycker ni?")]


def test_a_transcript_prefills_empty_captions_only(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    media = uploaded_clip(db_session, storage, clips.recording, language="sv")
    run_task(app, PROCESS, media.id)
    transcriber = ScriptedTranscriber()
    settings = app.config["STOOP"]

    made = transcribe_clip(
        db_session, media.id, storage=storage, settings=settings, transcriber=transcriber
    )

    ready = media_row(db_session, media.id)
    assert made and transcriber.heard == [(".mp4", "sv")]
    assert ready.transcript == "Hej alla. Vad tycker ni?"
    assert "00:00:01.000 --> 00:00:01.900\nVad tycker ni?" in ready.captions_vtt
    ready.captions_vtt = "WEBVTT\n\n00:00.000 --> 00:01.000\nEdited by a person\n"
    db_session.commit()
    transcribe_clip(
        db_session, media.id, storage=storage, settings=settings, transcriber=transcriber
    )
    assert "Edited by a person" in media_row(db_session, media.id).captions_vtt


@pytest.mark.parametrize("status", [MediaStatus.PENDING, MediaStatus.FAILED])
def test_nothing_to_transcribe_before_ready(
    app: Flask, db_session: Session, storage: Storage, clips: Clips, status: MediaStatus
) -> None:
    media = uploaded_clip(db_session, storage, clips.recording, language="sv")
    _age(db_session, media, status, minutes=0)

    assert not transcribe_clip(
        db_session,
        media.id,
        storage=storage,
        settings=app.config["STOOP"],
        transcriber=ScriptedTranscriber(),
    )
