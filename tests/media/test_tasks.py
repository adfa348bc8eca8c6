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

from media import leases, lifecycle, workfolders
from media.leases import LeaseLost, new_token
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
    """Put the clip in ``status``, last changed ``minutes`` ago."""
    session.execute(
        sa.update(MediaFile)
        .where(MediaFile.id == media.id)
        .values(status=status, updated_at=utcnow() - dt.timedelta(minutes=minutes))
    )
    session.commit()


def _leased(session: Session, media: MediaFile, *, seconds_left: float) -> None:
    """Processing under another worker's lease that lapses in ``seconds_left`` (negative:
    lapsed that long ago, as when the worker was killed)."""
    session.execute(
        sa.update(MediaFile)
        .where(MediaFile.id == media.id)
        .values(
            status=MediaStatus.PROCESSING,
            lease_token=new_token(),
            lease_expires_at=utcnow() + dt.timedelta(seconds=seconds_left),
        )
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


def test_reclaim_takes_over_lapsed_leases_and_lost_tasks_and_spares_live_ones(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    dead = uploaded_clip(db_session, storage, clips.recording, attempts=1)
    _leased(db_session, dead, seconds_left=-5)  # its worker was killed
    lost = uploaded_clip(db_session, storage, clips.wav)
    _age(db_session, lost, MediaStatus.UPLOADED, minutes=3)  # the broker was down at the commit
    fresh = uploaded_clip(db_session, storage, clips.wav)  # its task is on the way
    busy = uploaded_clip(db_session, storage, clips.recording, attempts=1)
    _leased(db_session, busy, seconds_left=20)  # a live worker renews it

    requeued = run_task(app, RECLAIM).result

    assert requeued == 2
    assert media_row(db_session, dead.id).status == MediaStatus.READY
    assert media_row(db_session, dead.id).attempts == 2
    assert media_row(db_session, lost.id).status == MediaStatus.READY
    assert media_row(db_session, fresh.id).status == MediaStatus.UPLOADED
    assert media_row(db_session, busy.id).status == MediaStatus.PROCESSING


def test_a_redelivered_task_takes_over_a_lapsed_lease_at_once(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    media = uploaded_clip(db_session, storage, clips.recording, attempts=1)
    _leased(db_session, media, seconds_left=-1)

    assert run_task(app, PROCESS, media.id).result == "ready"
    ready = media_row(db_session, media.id)
    assert (ready.attempts, ready.lease_token, ready.lease_expires_at) == (2, None, None)


def test_a_worker_that_lost_its_lease_stops_and_writes_nothing(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    media = uploaded_clip(db_session, storage, clips.recording)
    claimed = lifecycle.claim(db_session, media.id)
    assert claimed is not None
    _media, lease = claimed
    _leased(db_session, media, seconds_left=30)  # presumed dead: another worker took over
    taken_over = media_row(db_session, media.id).lease_token

    with pytest.raises(LeaseLost):
        leases.renew(db_session, lease, progress=50)

    after = media_row(db_session, media.id)
    assert after.lease_token == taken_over and after.progress == 0


def test_reclaim_gives_up_after_three_attempts(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    media = uploaded_clip(db_session, storage, clips.recording, attempts=3)
    _leased(db_session, media, seconds_left=-5)

    assert run_task(app, RECLAIM).result == 0
    assert run_task(app, PROCESS, media.id).result is None  # a late redelivery changes nothing

    failed = media_row(db_session, media.id)
    assert failed.status == MediaStatus.FAILED and failed.error_code == "gave_up"
    assert failed.error.startswith("We could not process this clip after several attempts.")
    assert storage.list(failed.storage_prefix) == []


def test_the_temporary_folders_of_dead_claims_are_removed(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    settings = app.config["STOOP"]
    live = uploaded_clip(db_session, storage, clips.recording)
    _leased(db_session, live, seconds_left=20)
    live_folder = (
        workfolders.work_root(settings) / f"{live.id}-{media_row(db_session, live.id).lease_token}"
    )
    dead_folder = workfolders.work_root(settings) / f"{live.id}-{new_token()}"  # an older claim
    for folder in (live_folder, dead_folder):
        folder.mkdir(parents=True)
        (folder / "original.webm").write_bytes(b"\x1a\x45\xdf\xa3" * 1000)

    run_task(app, RECLAIM)

    assert live_folder.is_dir() and not dead_folder.exists()
    workfolders.remove(live_folder)


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
