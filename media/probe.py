"""What a file really is: probed with ffprobe, then read packet by packet with ffmpeg.

ffprobe (a subprocess, not PyAV in-process) because the worker already needs Debian's ffmpeg for
transcoding and ffprobe comes with it, no extra wheel of ~60 MB is needed, and a crash or a
runaway on a hostile file stays in a child process with a timeout, not in the worker.

Every refusal is a :class:`~media.rejections.MediaRejected` with its own message: empty, over
the size limit, not audio or video, no sound or picture, incomplete, over the duration limit.
Two traps measured on these machines: a truncated WebM passes ffprobe with its full nominal
duration (only reading the packets shows "File ended prematurely" and a shorter real length),
and MediaRecorder's WebM has no duration at all (reading the packets gives it).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from media import rejections, uploads
from media.transcode import FfmpegError, run_ffmpeg, scan_args

FFPROBE = "ffprobe"
PROBE_TIMEOUT = 60
SCAN_TIMEOUT = 300
DURATION_GRACE = 1.0  # seconds a recording may run over its limit: recorders stop a little late
# What ffmpeg's demuxers say when a file stops before its own index or headers say it should.
TRUNCATION_MARKERS = ("ended prematurely", "partial file", "truncat", "unexpected end")


@dataclass(frozen=True)
class Limits:
    """What a clip may be: at most ``max_bytes``, and ``max_duration`` seconds (None: any)."""

    max_bytes: int
    max_duration: float | None = None


@dataclass(frozen=True)
class MediaInfo:
    """A clip that passed every check."""

    kind: str  # "video" or "audio"
    duration: float
    width: int | None
    height: int | None
    has_video: bool
    has_audio: bool
    container: str


def probe(path: Path, limits: Limits) -> MediaInfo:
    """Check ``path`` against ``limits`` and describe it, or raise ``MediaRejected``."""
    uploads.check_size(path.stat().st_size, limits.max_bytes)
    with path.open("rb") as handle:
        signature = uploads.check_signature(handle.read(uploads.SNIFF_BYTES))
    found = ffprobe(path, signature)
    video, audio = _streams(found)
    declared = _seconds(found.get("format", {}).get("duration"))
    if declared:
        _check_duration(declared, limits)  # refuse a long file before reading all of it
    duration = _scanned_duration(path, declared)
    _check_duration(duration, limits)
    width, height = _dimensions(video)
    return MediaInfo(
        kind="video" if video else "audio",
        duration=duration,
        width=width,
        height=height,
        has_video=video is not None,
        has_audio=audio is not None,
        container=str(found.get("format", {}).get("format_name", "")),
    )


def describe(path: Path) -> MediaInfo:
    """Duration and dimensions of a file we made ourselves (no limits, no packet scan)."""
    found = ffprobe(path, None)
    video, audio = _streams(found)
    width, height = _dimensions(video)
    return MediaInfo(
        kind="video" if video else "audio",
        duration=_seconds(found.get("format", {}).get("duration")) or 0.0,
        width=width,
        height=height,
        has_video=video is not None,
        has_audio=audio is not None,
        container=str(found.get("format", {}).get("format_name", "")),
    )


def ffprobe(path: Path, signature: str | None) -> dict[str, Any]:
    """ffprobe's JSON for ``path``; a file it cannot open is refused (``MediaRejected``)."""
    command = [FFPROBE, "-v", "error", "-print_format", "json", "-show_format", "-show_streams"]
    try:
        result = subprocess.run(  # noqa: S603 - argv built here, no shell
            [*command, str(path)], capture_output=True, timeout=PROBE_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise rejections.unreadable() from exc
    stderr = result.stderr.decode("utf-8", "replace")
    if result.returncode != 0:
        # An MP4 whose index ("moov") is at the end loses it when the upload is cut short.
        if signature == "mp4" and "moov atom not found" in stderr:
            raise rejections.truncated()
        raise rejections.unreadable()
    try:
        return json.loads(result.stdout or b"{}")
    except json.JSONDecodeError as exc:
        raise rejections.unreadable() from exc


def _streams(found: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The first real video stream (cover art does not count) and the first audio stream."""
    streams = found.get("streams", [])
    video = next(
        (
            s
            for s in streams
            if s.get("codec_type") == "video" and not s.get("disposition", {}).get("attached_pic")
        ),
        None,
    )
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    if video is None and audio is None:
        raise rejections.no_streams()
    return video, audio


def _scanned_duration(path: Path, declared: float | None) -> float:
    """Read every packet: the real duration, refusing a file that ends early."""
    try:
        result = run_ffmpeg(scan_args(path), timeout=SCAN_TIMEOUT)
    except FfmpegError as exc:
        raise rejections.unreadable() from exc
    if any(marker in result.stderr.lower() for marker in TRUNCATION_MARKERS):
        raise rejections.truncated()
    scanned = result.out_time or 0.0
    if declared and scanned < declared - max(DURATION_GRACE, 0.05 * declared):
        raise rejections.truncated()
    duration = declared or scanned
    if duration <= 0:
        raise rejections.no_streams()
    return duration


def _check_duration(duration: float, limits: Limits) -> None:
    if limits.max_duration is not None and duration > limits.max_duration + DURATION_GRACE:
        raise rejections.too_long(duration, limits.max_duration)


def _dimensions(video: dict[str, Any] | None) -> tuple[int | None, int | None]:
    """Width and height as shown: a phone's 90° rotation swaps them."""
    if video is None:
        return None, None
    width, height = video.get("width"), video.get("height")
    rotation = video.get("tags", {}).get("rotate")
    for side_data in video.get("side_data_list", []):
        rotation = side_data.get("rotation", rotation)
    if rotation is not None and abs(int(float(rotation))) % 180 == 90:
        width, height = height, width
    return width, height


def _seconds(value: Any) -> float | None:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None
