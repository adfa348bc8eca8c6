"""ffmpeg commands for the renditions (pure argument building), and the one runner.

Every builder returns a whole argv, so the same command can be run by :func:`run_ffmpeg` (with
progress) or by hand. Settings: H.264 ``veryfast``/CRF 23 with AAC in an MP4 whose index is at
the front (``+faststart``: playback starts before the download ends), 8-bit 4:2:0 (what every
phone decodes), even dimensions within 1280x1280 (landscape at most 1280 wide, portrait at most
1280 tall), frame timestamps kept as recorded (``vfr``: MediaRecorder's WebM has no fixed rate,
and a forced constant rate would duplicate frames).
"""

from __future__ import annotations

import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FFMPEG = "ffmpeg"
MAX_SIDE = 1280
COMMON = [FFMPEG, "-hide_banner", "-nostdin", "-y", "-v", "error"]
STDERR_KEPT = 20_000  # characters of ffmpeg's complaints kept for the log

ProgressCallback = Callable[[int], None]


class FfmpegError(RuntimeError):
    """ffmpeg exited with an error (or ran past its time); ``stderr`` says what it saw."""

    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(f"{message}: {stderr[-500:]}" if stderr else message)
        self.stderr = stderr


class FfmpegKilled(RuntimeError):
    """ffmpeg was killed by a signal we did not send (the out-of-memory killer, an operator):
    the machine's fault, not the clip's, so the clip is tried again rather than refused."""


@dataclass(frozen=True)
class FfmpegResult:
    """The last output timestamp ffmpeg reported (seconds), and what it wrote on stderr."""

    out_time: float | None
    stderr: str


def scale_filter(max_side: int = MAX_SIDE) -> str:
    """Shrink to fit ``max_side`` x ``max_side`` keeping the aspect ratio; never enlarge; even."""
    return (
        f"scale=w='min({max_side},iw)':h='min({max_side},ih)'"
        ":force_original_aspect_ratio=decrease:force_divisible_by=2"
    )


def mp4_args(src: Path, dst: Path) -> list[str]:
    """Video (and its first audio track, if any) → H.264/AAC MP4 for every browser."""
    return [
        *COMMON,
        "-i", str(src),
        "-map", "0:v:0", "-map", "0:a:0?",
        "-vf", scale_filter(),
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "23", "-pix_fmt", "yuv420p",
        "-fps_mode", "vfr",
        "-c:a", "aac", "-b:a", "128k",
        "-max_muxing_queue_size", "1024",
        "-movflags", "+faststart",
        str(dst),
    ]  # fmt: skip


def m4a_args(src: Path, dst: Path) -> list[str]:
    """Audio → AAC in an MP4 container (``.m4a``): the playable rendition of a sound clip."""
    return [
        *COMMON,
        "-i", str(src),
        "-map", "0:a:0", "-vn",
        "-c:a", "aac", "-b:a", "128k",
        "-movflags", "+faststart",
        str(dst),
    ]  # fmt: skip


def poster_at(duration: float | None) -> float:
    """Where the poster frame is taken: 1 s in, or the first frame of a clip under 2 s."""
    return 1.0 if duration and duration >= 2.0 else 0.0


def poster_args(src: Path, dst: Path, *, duration: float | None) -> list[str]:
    """One JPEG frame (at :func:`poster_at`), scaled like the video."""
    return [
        *COMMON,
        "-ss", f"{poster_at(duration):.3f}",
        "-i", str(src),
        "-map", "0:v:0", "-frames:v", "1",
        "-vf", scale_filter(),
        "-q:v", "3", "-update", "1",
        str(dst),
    ]  # fmt: skip


def audio_args(src: Path, dst: Path) -> list[str]:
    """The first audio track → a small mono MP3 (phone playback; plays in every browser)."""
    return [
        *COMMON,
        "-i", str(src),
        "-map", "0:a:0", "-vn",
        "-ac", "1", "-ar", "22050",
        "-c:a", "libmp3lame", "-b:a", "48k",
        str(dst),
    ]  # fmt: skip


def scan_args(src: Path) -> list[str]:
    """Read every audio and video packet without decoding (fast): the real duration, and the
    demuxer's complaints about a file that ends too early."""
    return [
        *COMMON,
        "-i",
        str(src),
        "-map",
        "0:v?",
        "-map",
        "0:a?",
        "-c",
        "copy",
        "-f",
        "null",
        "-",
    ]


def run_ffmpeg(
    argv: list[str],
    *,
    duration: float | None = None,
    on_progress: ProgressCallback | None = None,
    timeout: float | None = None,
) -> FfmpegResult:
    """Run an ffmpeg ``argv`` with ``-progress pipe:1``; report 0-100 to ``on_progress``.

    ``duration`` (seconds of input) turns ffmpeg's output timestamp into a percentage. Raises
    :class:`FfmpegError` when ffmpeg fails or runs longer than ``timeout`` seconds, and
    :class:`FfmpegKilled` when something else killed it.
    """
    command = [argv[0], "-progress", "pipe:1", "-nostats", *argv[1:]]
    reporter = _Reporter(duration, on_progress)
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: ffmpeg never blocks on it
        process = subprocess.Popen(  # noqa: S603 - argv built here, no shell
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors, text=True
        )
        timed_out = threading.Event()

        def stop() -> None:
            timed_out.set()
            process.kill()

        timer = threading.Timer(timeout, stop) if timeout else None
        if timer:
            timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                reporter.line(line)
            returncode = process.wait()
        except BaseException:
            # The progress callback gave up (the clip's lease was lost) or we are stopping:
            # ffmpeg must not run on unattended, writing into a folder about to be removed.
            process.kill()
            process.wait()
            raise
        finally:
            if timer:
                timer.cancel()
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")[-STDERR_KEPT:]
    if timed_out.is_set():
        raise FfmpegError(f"ffmpeg ran longer than {timeout} s", stderr)
    if returncode < 0:
        raise FfmpegKilled(f"ffmpeg was killed by signal {-returncode}")
    if returncode != 0:
        raise FfmpegError(f"ffmpeg exited with {returncode}", stderr)
    return FfmpegResult(reporter.out_time, stderr)


class _Reporter:
    """Turns ``-progress`` lines into whole percentages, each reported once."""

    def __init__(self, duration: float | None, callback: ProgressCallback | None) -> None:
        self.duration = duration
        self.callback = callback
        self.out_time: float | None = None
        self.last = -1

    def line(self, line: str) -> None:
        key, _, value = line.strip().partition("=")
        if key == "out_time_us" and value.lstrip("-").isdigit():
            self.out_time = max(0, int(value)) / 1_000_000
            if self.duration:
                self._report(min(99, int(self.out_time / self.duration * 100)))
        elif key == "progress" and value == "end":
            self._report(100)

    def _report(self, percent: int) -> None:
        if self.callback and percent > self.last:
            self.last = percent
            self.callback(percent)
