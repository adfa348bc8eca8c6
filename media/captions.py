"""WebVTT captions: parse, check, write; and a first draft of captions from a transcript.

A cue is a start and an end (seconds) and its text. Captions are checked for what makes a
caption track unusable to a viewer, each with its own message that names the cue: a timestamp
that is not ``mm:ss.ttt`` or ``hh:mm:ss.ttt``, an end before its start, cues that overlap or
are out of order, a cue without text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from flask_babel import gettext as _

from panel.core.errors import ValidationError

TIMESTAMP = re.compile(r"^(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)[.,](\d{3})$")
TIMING = re.compile(r"^(\S+)\s+-->\s+(\S+)(?:\s+.*)?$")
MAX_CUES = 2000
MAX_TEXT = 500  # characters of one cue: two lines on a phone is about 80


class CaptionsError(ValidationError):
    """Captions that cannot be used, with a message that names the cue."""


@dataclass(frozen=True)
class Cue:
    """One caption: shown from ``start`` to ``end`` seconds."""

    start: float
    end: float
    text: str


class TimedText(Protocol):
    """Anything with a start, an end and a text (a transcript segment)."""

    start: float
    end: float
    text: str


def parse_timestamp(value: str) -> float:
    """``01:02.500`` or ``00:01:02.500`` → 62.5 seconds; ``ValueError`` otherwise."""
    match = TIMESTAMP.match(value.strip())
    if not match:
        raise ValueError(value)
    hours, minutes, seconds, millis = match.groups()
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def format_timestamp(seconds: float) -> str:
    """62.5 → ``00:01:02.500``."""
    millis = round(max(0.0, seconds) * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def parse_vtt(text: str) -> list[Cue]:
    """The cues of a WebVTT document, checked with :func:`check_cues`."""
    normalised = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    lines = [line.rstrip() for line in normalised.split("\n")]
    if not lines[0].startswith("WEBVTT"):
        raise CaptionsError(_('Captions must start with the line "WEBVTT".'))
    blocks = "\n".join(lines[1:]).strip("\n").split("\n\n")
    cues = [_parse_block(block, number) for number, block in enumerate(blocks, 1) if block.strip()]
    return check_cues([cue for cue in cues if cue is not None])


def _parse_block(block: str, number: int) -> Cue | None:
    lines = block.strip("\n").split("\n")
    if lines[0].startswith(("NOTE", "STYLE", "REGION")):
        return None  # comments and styling carry no cue
    if "-->" not in lines[0]:
        lines = lines[1:]  # a cue identifier
    timing = TIMING.match(lines[0].strip()) if lines else None
    if timing is None:
        raise CaptionsError(
            _("Caption %(n)d has no timing line like 00:01.000 --> 00:03.500.", n=number)
        )
    start, end = (_timestamp(value, number) for value in timing.groups())
    return Cue(start, end, "\n".join(line.strip() for line in lines[1:]).strip())


def _timestamp(value: str, number: int) -> float:
    try:
        return parse_timestamp(value)
    except ValueError:
        raise CaptionsError(
            _(
                'Caption %(n)d: "%(value)s" is not a time. Write minutes:seconds.milliseconds, '
                "e.g. 01:02.500.",
                n=number,
                value=value[:20],
            )
        ) from None


def cues_from_json(items: Any) -> list[Cue]:
    """Cues from the editor's JSON (``[{"start", "end", "text"}]``, seconds), checked."""
    if not isinstance(items, list):
        raise CaptionsError(_("Captions must be a list of cues."))
    cues = []
    for number, item in enumerate(items, 1):
        try:
            start, end = float(item["start"]), float(item["end"])
            text = str(item.get("text", ""))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise CaptionsError(
                _("Caption %(n)d needs a start, an end (in seconds) and a text.", n=number)
            ) from None
        cues.append(Cue(start, end, text.strip()))
    return check_cues(cues)


def check_cues(cues: Sequence[Cue], duration: float | None = None) -> list[Cue]:
    """The cues if a viewer can use them; else :class:`CaptionsError` naming the first bad one."""
    if len(cues) > MAX_CUES:
        raise CaptionsError(_("Captions can have at most %(n)d cues.", n=MAX_CUES))
    previous: Cue | None = None
    for number, cue in enumerate(cues, 1):
        _check_cue(cue, number, previous, duration)
        previous = cue
    return list(cues)


def _check_cue(cue: Cue, number: int, previous: Cue | None, duration: float | None) -> None:
    when = format_timestamp(cue.start)
    if cue.start < 0:
        raise CaptionsError(_("Caption %(n)d starts before the clip does.", n=number))
    if cue.end <= cue.start:
        raise CaptionsError(
            _("Caption %(n)d (at %(when)s) ends before it starts.", n=number, when=when)
        )
    if not cue.text:
        raise CaptionsError(_("Caption %(n)d (at %(when)s) has no text.", n=number, when=when))
    if len(cue.text) > MAX_TEXT:
        raise CaptionsError(
            _("Caption %(n)d is too long; split it into shorter captions.", n=number)
        )
    if "-->" in cue.text or "\n\n" in cue.text:
        raise CaptionsError(
            _('Caption %(n)d: the text may not contain "-->" or empty lines.', n=number)
        )
    if previous is not None and cue.start < previous.end:
        raise CaptionsError(
            _(
                "Caption %(n)d (at %(when)s) starts before caption %(p)d ends; captions may "
                "not overlap.",
                n=number,
                when=when,
                p=number - 1,
            )
        )
    if duration is not None and cue.start >= duration:
        raise CaptionsError(
            _("Caption %(n)d (at %(when)s) starts after the clip ends.", n=number, when=when)
        )


def to_vtt(cues: Iterable[Cue]) -> str:
    """A WebVTT document of ``cues``."""
    parts = ["WEBVTT", ""]
    for cue in cues:
        parts += [f"{format_timestamp(cue.start)} --> {format_timestamp(cue.end)}", cue.text, ""]
    return "\n".join(parts)


def cues_to_json(cues: Iterable[Cue]) -> list[dict[str, Any]]:
    """Cues as the editor's JSON."""
    return [{"start": cue.start, "end": cue.end, "text": cue.text} for cue in cues]


def captions_from_transcript(segments: Iterable[TimedText]) -> list[Cue]:
    """A first draft of captions from transcript segments: empty ones dropped, overlaps cut
    back so each cue ends where the next begins. A person corrects it; it is never the record."""
    items = [s for s in segments if s.text.strip() and s.end > s.start]
    items.sort(key=lambda s: s.start)
    cues = []
    for index, segment in enumerate(items):
        start = max(0.0, segment.start, cues[-1].end if cues else 0.0)
        end = segment.end
        if index + 1 < len(items):
            end = min(end, items[index + 1].start)
        if end - start >= 0.2:
            cues.append(Cue(round(start, 3), round(end, 3), segment.text.strip()[:MAX_TEXT]))
    return cues
