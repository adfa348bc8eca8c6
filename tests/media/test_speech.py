"""Transcripts, offline: the Whisper base model that installs with Stoop is joined from its two
wheels and checked against Systran's published SHA-256 before every load; a changed byte is
refused with a message that names the file and the clip stays without a transcript; a real
spoken clip (espeak-ng) is transcribed with timings and pre-fills the captions; a person's
correction becomes the record and a later run never overwrites it; the model is loaded once per
process; the work runs on the speech queue."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import threading
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from media import transcribe
from media.models import MediaStatus, TranscriptState
from media.storage import Storage
from media.transcribe import (
    WHISPER_BASE,
    FasterWhisperTranscriber,
    NoTranscriber,
    Segment,
    get_transcriber,
    transcribe_clip,
)
from panel.app import create_app
from panel.core.celery import SPEECH_QUEUE, dispatch
from panel.core.config import Settings
from panel.core.model_files import ModelRefused, materialise, sha256_of
from tests.conftest import TEST_MODELS_DIR, make_test_settings, redis_test_url
from tests.media.conftest import Clips, media_row, run_task
from tests.media.test_tasks import ScriptedTranscriber, uploaded_clip

PROCESS = "media.tasks.process_media"
SPEECH_BROKER = redis_test_url(11)
SENTENCE = "The elevator in stairwell B has been broken for three weeks."


@pytest.fixture(scope="module")
def spoken_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A WebM as a browser records it: a test picture and espeak-ng saying ``SENTENCE``."""
    folder = tmp_path_factory.mktemp("speech")
    wav = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-v", "en", "-s", "150", "-w", str(wav), SENTENCE], check=True)
    return video_with_sound(wav, folder / "spoken.webm")


def video_with_sound(wav: Path, clip: Path) -> Path:
    """A VP8/Opus WebM of a test picture carrying ``wav``'s sound, as a browser records one."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=15",
         "-i", str(wav), "-shortest", "-c:v", "libvpx", "-b:v", "200k", "-c:a", "libopus",
         str(clip)],
        check=True,
    )  # fmt: skip
    return clip


def speech_settings(app: Flask, **values: object) -> Settings:
    return dataclasses.replace(app.config["STOOP"], transcriber="faster_whisper", **values)


def test_the_bundled_model_is_joined_once_and_matches_the_published_hashes() -> None:
    folder = materialise(WHISPER_BASE, TEST_MODELS_DIR)
    made = (folder / "model.bin").stat().st_mtime_ns

    for name, published in WHISPER_BASE.files.items():
        assert (folder / name).stat().st_size == published.size
        assert sha256_of(folder / name) == published.sha256
    assert materialise(WHISPER_BASE, TEST_MODELS_DIR) == folder
    assert (folder / "model.bin").stat().st_mtime_ns == made, "joined once, then only checked"
    assert not list(folder.glob(".*.part")), "no half-joined file is left behind"


def test_a_spoken_clip_gets_a_timed_draft_that_prefills_the_captions(
    app: Flask, db_session: Session, storage: Storage, spoken_clip: Path
) -> None:
    media = uploaded_clip(db_session, storage, spoken_clip, language="en")
    run_task(app, PROCESS, media.id)

    made = transcribe_clip(db_session, media.id, storage=storage, settings=speech_settings(app))

    clip = media_row(db_session, media.id)
    assert made and clip.transcript_state == TranscriptState.DRAFT
    words = clip.transcript.lower()
    for word in ("elevator", "broken", "three weeks"):
        assert word in words, clip.transcript
    assert clip.transcript_draft == clip.transcript
    assert clip.transcript_engine == "faster-whisper whisper-base"
    segment = clip.transcript_segments[0]
    assert 0 <= segment["start"] < segment["end"] <= clip.duration_seconds + 0.5
    assert clip.captions_vtt.startswith("WEBVTT") and "elevator" in clip.captions_vtt.lower()


def test_a_model_file_with_one_byte_changed_is_refused_and_the_clip_stays_playable(
    app: Flask, db_session: Session, storage: Storage, clips: Clips, tmp_path: Path
) -> None:
    tampered = tmp_path / "models"
    shutil.copytree(materialise(WHISPER_BASE, TEST_MODELS_DIR), tampered / WHISPER_BASE.name)
    model = tampered / WHISPER_BASE.name / "model.bin"
    with model.open("r+b") as handle:
        handle.seek(1_000_000)
        byte = handle.read(1)
        handle.seek(1_000_000)
        handle.write(bytes([byte[0] ^ 0x01]))
    media = uploaded_clip(db_session, storage, clips.recording, language="sv")
    run_task(app, PROCESS, media.id)

    with pytest.raises(ModelRefused) as refused:
        materialise(WHISPER_BASE, tampered)
    made = transcribe_clip(
        db_session, media.id, storage=storage, settings=speech_settings(app, models_dir=tampered)
    )

    message = str(refused.value)
    assert "model.bin" in message and "SHA-256" in message and "not loaded" in message
    clip = media_row(db_session, media.id)
    assert not made and clip.transcript is None
    assert clip.transcript_state == TranscriptState.FAILED
    assert "model.bin" in clip.transcript_error
    assert clip.status == MediaStatus.READY and storage.head(clip.renditions["mp4"]).size > 0


def test_a_model_cut_short_is_refused_by_its_size(tmp_path: Path) -> None:
    folder = tmp_path / WHISPER_BASE.name
    shutil.copytree(materialise(WHISPER_BASE, TEST_MODELS_DIR), folder)
    (folder / "vocabulary.txt").write_bytes(b"short")

    with pytest.raises(ModelRefused, match=r"vocabulary.txt has 5 bytes where .* published"):
        materialise(WHISPER_BASE, tmp_path)


def test_a_model_folder_of_ones_own_is_checked_against_its_sha256sums(
    app: Flask, tmp_path: Path
) -> None:
    own = tmp_path / "whisper-small"
    shutil.copytree(materialise(WHISPER_BASE, TEST_MODELS_DIR), own)
    transcriber = FasterWhisperTranscriber(speech_settings(app, transcriber_model_dir=str(own)))

    with pytest.raises(ModelRefused, match="has no SHA256SUMS"):
        transcriber.model_folder()
    sums = "".join(f"{sha256_of(own / name)}  {name}\n" for name in WHISPER_BASE.files)
    (own / "SHA256SUMS").write_text(sums)
    assert transcriber.model_folder() == own
    (own / "config.json").write_text("{}")
    with pytest.raises(ModelRefused, match=r"config\.json"):
        transcriber.model_folder()


def test_the_model_is_loaded_once_per_process_and_shared_by_threads(app: Flask) -> None:
    settings = speech_settings(app)
    loaded: list[object] = []

    def load() -> None:
        loaded.append(FasterWhisperTranscriber(settings)._model())

    workers = [threading.Thread(target=load) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(loaded) == 4 and all(model is loaded[0] for model in loaded)


def test_off_makes_no_transcripts_and_queues_none(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    off = Settings.from_env(environ={"STOOP_TRANSCRIBER": "none"})
    media = uploaded_clip(db_session, storage, clips.recording, language="sv")

    run_task(app, PROCESS, media.id)  # the test app's transcriber is off

    assert isinstance(get_transcriber(off), NoTranscriber)
    assert media_row(db_session, media.id).transcript_state is None


def test_a_correction_is_the_record_and_a_later_run_keeps_it(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    media = uploaded_clip(db_session, storage, clips.recording, language="sv")
    run_task(app, PROCESS, media.id)
    settings = speech_settings(app)
    transcribe_clip(
        db_session, media.id, storage=storage, settings=settings, transcriber=ScriptedTranscriber()
    )
    clip = media_row(db_session, media.id)

    transcribe.correct(
        clip, "Hej alla. Vad tycker ni om tvättstugan?", user_id=None, session=db_session
    )
    db_session.commit()
    again = transcribe_clip(
        db_session, media.id, storage=storage, settings=settings, transcriber=ScriptedTranscriber()
    )

    clip = media_row(db_session, media.id)
    assert not again
    assert clip.transcript == "Hej alla. Vad tycker ni om tvättstugan?"
    assert clip.transcript_draft == "Hej alla. Vad tycker ni?"
    assert clip.transcript_state == TranscriptState.CORRECTED and clip.transcript_corrected_at


def test_silence_is_recorded_as_no_speech(
    app: Flask, db_session: Session, storage: Storage, clips: Clips
) -> None:
    class Silent:
        name = "silent"

        def transcribe(self, path: Path, *, language: str) -> list[Segment]:
            return []

    media = uploaded_clip(db_session, storage, clips.recording, language="nl")
    run_task(app, PROCESS, media.id)

    transcribe_clip(
        db_session, media.id, storage=storage, settings=speech_settings(app), transcriber=Silent()
    )

    clip = media_row(db_session, media.id)
    assert clip.transcript_state == TranscriptState.EMPTY and clip.transcript is None


def test_transcripts_wait_on_the_speech_queue_of_a_real_broker(
    database_url: str, tmp_path: Path
) -> None:
    redis = pytest.importorskip("redis").Redis.from_url(SPEECH_BROKER)
    try:
        redis.ping()
    except Exception:  # noqa: BLE001 - no server, nothing to test against
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    redis.flushdb()
    app = create_app(make_test_settings(tmp_path, database_url, broker_url=SPEECH_BROKER))
    with app.app_context():
        dispatch(app.extensions["celery"].tasks["media.tasks.transcribe_media"], 4711)
        dispatch(app.extensions["celery"].tasks["media.tasks.process_media"], 4712)

    assert redis.llen(SPEECH_QUEUE) == 1, "a transcript waits on the speech queue"
    assert redis.llen("celery") == 1, "processing stays on the default queue"
    redis.flushdb()
