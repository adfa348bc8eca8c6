"""What a page needs to show a question's video: URLs, kind, state, and the caption cues.

The media room owns files and their URLs (``media.service.media_urls``) and WebVTT
(``media.captions``); this module only shapes them for the question pages and the API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from media.models import MediaFile, MediaStatus
from panel.core.errors import ValidationError

WAITING = (MediaStatus.PENDING, MediaStatus.UPLOADED, MediaStatus.PROCESSING)


@dataclass
class Player:
    """A question's clip as the templates and the API see it."""

    media: MediaFile
    urls: dict[str, str] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return MediaStatus(self.media.status).value

    @property
    def is_ready(self) -> bool:
        return self.media.status == MediaStatus.READY

    @property
    def is_waiting(self) -> bool:
        return self.media.status in WAITING

    @property
    def is_failed(self) -> bool:
        return self.media.status == MediaStatus.FAILED

    @property
    def is_audio(self) -> bool:
        return self.media.kind == "audio"

    @property
    def captions_vtt(self) -> str:
        return getattr(self.media, "captions_vtt", None) or ""

    def as_dict(self) -> dict[str, Any]:
        """The clip's state for the API (same keys as the media status route)."""
        media = self.media
        return {
            "id": media.id,
            "status": self.status,
            "progress": media.progress or 0,
            "error": media.error,
            "error_code": media.error_code,
            "error_params": media.error_params or {},
            "kind": media.kind,
            "duration": media.duration_seconds,
            "width": media.width,
            "height": media.height,
            "urls": self.urls,
        }


def player_for(media: MediaFile | None) -> Player | None:
    """The player of ``media`` (None when the question has no clip)."""
    if media is None:
        return None
    if media.status != MediaStatus.READY:
        return Player(media=media)
    from media.service import media_urls

    urls = media_urls(media) or {}
    return Player(media=media, urls={k: v for k, v in urls.items() if v})


def caption_cues(vtt: str) -> list[dict[str, Any]]:
    """The cues of a WebVTT text as ``{"start", "end", "text"}`` (seconds), for the editor.

    Captions that do not parse (written before a rule tightened) give an empty list rather
    than a broken page; the raw text stays editable.
    """
    if not vtt.strip():
        return []
    from media.captions import cues_to_json, parse_vtt

    try:
        return cues_to_json(parse_vtt(vtt))
    except ValidationError:
        return []


WORDS_PER_CUE = 9


def transcript_as_cues(transcript: str, duration: float) -> list[dict[str, Any]]:
    """A first draft of captions from a transcript without timings: short lines of a few
    words, spread over the clip in proportion to their length. A person corrects the times
    in the cue editor; it is a start, not the record."""
    words = transcript.split()
    if not words or duration <= 0:
        return []
    lines = [words[i : i + WORDS_PER_CUE] for i in range(0, len(words), WORDS_PER_CUE)]
    per_word = duration / len(words)
    cues, start = [], 0.0
    for line in lines:
        end = min(duration, start + per_word * len(line))
        cues.append({"start": round(start, 3), "end": round(end, 3), "text": " ".join(line)})
        start = end
    return cues
