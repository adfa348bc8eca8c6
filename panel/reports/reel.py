"""The highlight reel's plan: what the browser plays and the MP4 renders, and nothing else.

Pure: it takes a report, its picked clips (``ReportItem`` rows of kind ``clip`` with their
answers, media and questions loaded) and the brand colour, and gives the pieces in order — the
report's title card, then before each run of clips of one question a card with the question's
title, then the clips, each trimmed to its in/out points with its captions. A clip is in the
reel only while its answer's ``consent_show_clip`` is true and its media is a processed video or
sound clip; the plan says how many were left out and why, for the empty state.

:attr:`Plan.hash` is a SHA-256 over everything a render would draw (the version of the
rendering recipe, the colour, each card's words, each clip's rendition, in/out points and
captions): a render whose hash equals the plan's is the reel as it is now.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from media.captions import Cue, captions_from_transcript, parse_vtt
from media.models import MediaFile, MediaStatus, TranscriptState
from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l

CARD_SECONDS = 3.0  # a title card, in the browser and in the MP4 alike
# Bumped when the MP4 recipe changes (size, codecs, fonts): every older render is then stale.
RENDER_VERSION = "reel-1 1280x720 30fps h264 aac48k burned+mov_text"
EMPTY_NO_CLIPS = "no_clips"  # nothing picked as a clip
EMPTY_NO_CONSENT = "no_consent"  # clips picked, none may be shown
EMPTY_NOT_READY = "not_ready"  # clips picked with consent, none processed yet
PLAYABLE_KINDS = ("video", "audio")


@dataclass(frozen=True)
class Card:
    """A title card: the report's title (``role="report"``) or a question's (``"question"``)."""

    title: str
    role: str = "question"
    duration: float = CARD_SECONDS

    def fingerprint(self) -> dict[str, Any]:
        return {"card": self.role, "title": self.title, "duration": self.duration}


@dataclass(frozen=True)
class Clip:
    """One picked clip: ``starts_at``/``ends_at`` are the in/out points in the media's own
    time; ``cues`` are its captions in the media's time, cut to the in/out points."""

    item_id: int
    answer_id: int
    media_id: int
    public_id: str
    kind: str  # video | audio
    source_key: str  # the processed MP4 (video) or M4A (sound) in media storage
    media_duration: float
    starts_at: float
    ends_at: float
    question: str
    place: str
    cues: tuple[Cue, ...] = ()
    has_poster: bool = False  # a still for the player before the clip loads (not rendered)

    @property
    def duration(self) -> float:
        return round(self.ends_at - self.starts_at, 3)

    def shifted_cues(self) -> list[Cue]:
        """The captions with the in point as zero (the trimmed clip's own time)."""
        return shift(self.cues, self.starts_at, self.duration)

    def fingerprint(self) -> dict[str, Any]:
        return {
            "clip": self.source_key,
            "kind": self.kind,
            "in": round(self.starts_at, 3),
            "out": round(self.ends_at, 3),
            "question": self.question,
            "place": self.place,
            "cues": [[c.start, c.end, c.text] for c in self.cues],
        }


Piece = Card | Clip


@dataclass(frozen=True)
class Plan:
    """The reel of one report. ``picked`` counts the clips picked; ``without_consent`` and
    ``not_ready`` those left out for want of consent or of a processed clip."""

    report_id: int
    title: str
    colour: str
    pieces: tuple[Piece, ...] = ()
    picked: int = 0
    without_consent: int = 0
    not_ready: int = 0
    hash: str = field(default="", compare=False)

    @property
    def clips(self) -> list[Clip]:
        return [piece for piece in self.pieces if isinstance(piece, Clip)]

    @property
    def duration(self) -> float:
        """Seconds of the whole reel: every card and every trimmed clip."""
        return round(sum(piece.duration for piece in self.pieces), 3)

    @property
    def empty_reason(self) -> str | None:
        """Why there is nothing to play (None when there is)."""
        if self.clips:
            return None
        if not self.picked:
            return EMPTY_NO_CLIPS
        return EMPTY_NO_CONSENT if self.without_consent == self.picked else EMPTY_NOT_READY

    def clip(self, item_id: int) -> Clip | None:
        return next((clip for clip in self.clips if clip.item_id == item_id), None)


def build_plan(report: Any, items: Iterable[Any], *, colour: str) -> Plan:
    """The plan of ``report`` from its ``items`` (any kind; only clips count), in position
    order, with the question cards between runs of clips of one question."""
    clip_items = sorted(
        (item for item in items if item.kind == "clip"), key=lambda i: (i.position, i.id)
    )
    pieces: list[Piece] = []
    without_consent = not_ready = 0
    last_question: int | None = None
    for item in clip_items:
        answer = item.answer
        if not answer.consent_show_clip:
            without_consent += 1
            continue
        clip = clip_of(item)
        if clip is None:
            not_ready += 1
            continue
        if answer.question_id != last_question:
            pieces.append(Card(clip.question, role="question"))
            last_question = answer.question_id
        pieces.append(clip)
    if pieces:
        pieces.insert(0, Card(report.title, role="report"))
    plan = Plan(
        report_id=report.id,
        title=report.title,
        colour=colour,
        pieces=tuple(pieces),
        picked=len(clip_items),
        without_consent=without_consent,
        not_ready=not_ready,
    )
    return Plan(**{**plan.__dict__, "hash": plan_hash(plan)})


def plan_hash(plan: Plan) -> str:
    """SHA-256 (hex) of what a render of ``plan`` would draw."""
    document = {
        "version": RENDER_VERSION,
        "colour": plan.colour,
        "pieces": [piece.fingerprint() for piece in plan.pieces],
    }
    encoded = json.dumps(document, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()


def clip_of(item: Any) -> Clip | None:
    """The clip of a picked item, trimmed; None when its media is not a processed clip."""
    media: MediaFile | None = item.answer.media
    if media is None or media.status != MediaStatus.READY or media.kind not in PLAYABLE_KINDS:
        return None
    key = (media.renditions or {}).get("mp4")
    if not key or not media.duration_seconds or media.duration_seconds <= 0:
        return None
    duration = float(media.duration_seconds)
    starts_at, ends_at = trimmed(item.starts_at, item.ends_at, duration)
    answer = item.answer
    return Clip(
        item_id=item.id,
        answer_id=answer.id,
        media_id=media.id,
        public_id=media.public_id,
        kind=media.kind,
        source_key=key,
        media_duration=duration,
        starts_at=starts_at,
        ends_at=ends_at,
        question=answer.question.title if answer.question else "",
        place=answer.place.path if answer.place else "",
        cues=tuple(cut(captions_of(media), starts_at, ends_at)),
        has_poster=bool((media.renditions or {}).get("poster")),
    )


def trimmed(starts_at: float | None, ends_at: float | None, duration: float) -> tuple[float, float]:
    """The in and out points to play: None is the start or the end; points saved before a
    clip's duration was known are kept within it (a point that no longer makes sense plays
    the whole clip)."""
    start = min(max(starts_at or 0.0, 0.0), duration)
    end = duration if ends_at is None else min(max(ends_at, 0.0), duration)
    if end - start < 0.1:
        return 0.0, duration
    return round(start, 3), round(end, 3)


def check_trim(starts_at: float | None, ends_at: float | None, duration: float) -> None:
    """Refuse in/out points outside ``0 ≤ in < out ≤ duration`` (ValidationError, 422)."""
    start = 0.0 if starts_at is None else starts_at
    end = duration if ends_at is None else ends_at
    if start < 0:
        raise ValidationError(_l("The in point cannot be before the start of the clip."))
    if end > duration + 0.05:
        raise ValidationError(
            _l(
                "The out point (%(end)s s) is after the end of the clip (%(duration)s s).",
                end=f"{end:.1f}",
                duration=f"{duration:.1f}",
            )
        )
    if start >= end:
        raise ValidationError(_l("The in point must be before the out point."))


def captions_of(media: MediaFile) -> list[Cue]:
    """The clip's captions in its own time: the transcript's timed segments; when a person
    corrected the transcript and its words no longer match the segments, the corrected text
    as one cue over the whole clip; with no segments, the clip's own captions track."""
    segments = [
        _Segment(float(s.get("start", 0)), float(s.get("end", 0)), str(s.get("text", "")))
        for s in (media.transcript_segments or [])
        if isinstance(s, dict)
    ]
    corrected = (media.transcript or "").strip()
    person = media.transcript_state == TranscriptState.CORRECTED and bool(corrected)
    if person and _words(corrected) != _words(" ".join(s.text for s in segments)):
        return [Cue(0.0, float(media.duration_seconds or 0.0), corrected)]
    if segments:
        return captions_from_transcript(segments)
    if media.captions_vtt:
        try:
            return parse_vtt(media.captions_vtt)
        except ValidationError:
            return []
    return []


def cut(cues: Sequence[Cue], starts_at: float, ends_at: float) -> list[Cue]:
    """The cues that show between the in and out points, cut to them (media time)."""
    kept = []
    for cue in cues:
        start, end = max(cue.start, starts_at), min(cue.end, ends_at)
        if end - start >= 0.05:
            kept.append(Cue(round(start, 3), round(end, 3), cue.text))
    return kept


def shift(cues: Sequence[Cue], offset: float, length: float) -> list[Cue]:
    """``cues`` moved back by ``offset`` seconds, within ``0..length``."""
    moved = []
    for cue in cues:
        start, end = max(0.0, cue.start - offset), min(length, cue.end - offset)
        if end - start >= 0.05:
            moved.append(Cue(round(start, 3), round(end, 3), cue.text))
    return moved


@dataclass(frozen=True)
class _Segment:
    start: float
    end: float
    text: str


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())
