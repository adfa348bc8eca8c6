"""Benchmark: our transcode step against the plain ffmpeg command, on a camera-like clip.

Run with ``make bench`` or ``python -m tests.benchmarks.bench_transcode``. A 60 s 1280x720
VP8/Opus WebM (what MediaRecorder makes), from ``testsrc2`` with grain added so that it encodes
like a camera and not like a flat test pattern, is made once and kept in
``$TMPDIR/stoop-bench/``. Then, on that same file, alternately:

- **ours**: ``media.processing.transcode_mp4`` — the task body's transcode step: the same argv,
  run by ``media.transcode.run_ffmpeg`` with ``-progress pipe:1`` parsed line by line into a
  progress callback that saves every 5 % (as the task's ``ProgressSaver`` does, minus the
  database);
- **plain**: ``subprocess.run`` of the very same ``mp4_args`` command, nothing else.

Prints each run, the best of each, and the ratio (target: at most 1.1). Also prints what the
steps around it cost (probe with the packet scan, poster, phone MP3) for a sense of the whole task.

Options: ``--seconds N`` (clip length, default 60), ``--runs N`` (each side, default 2),
``--strict`` (exit 1 when the target is missed).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from media.probe import Limits, MediaInfo, probe
from media.processing import make_renditions, transcode_mp4
from media.transcode import mp4_args

TARGET = 1.1


def camera_like_clip(seconds: int) -> Path:
    """A grainy 720p VP8/Opus WebM of ``seconds``, made once (about a minute of encoding)."""
    folder = Path(tempfile.gettempdir()) / "stoop-bench"
    folder.mkdir(exist_ok=True)
    path = folder / f"camera-{seconds}s-720p.webm"
    if path.exists():
        return path
    print(f"making {path} (once)…", flush=True)
    partial = path.with_suffix(".part.webm")
    subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-nostdin", "-y", "-v", "error",
            "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
            "-f", "lavfi", "-i", "sine=frequency=220:sample_rate=48000",
            "-t", str(seconds),
            "-vf", "noise=alls=18:allf=t+u",  # temporal grain, like a webcam's sensor noise
            "-c:v", "libvpx", "-b:v", "2500k", "-deadline", "realtime", "-cpu-used", "8",
            "-c:a", "libopus", "-b:a", "96k",
            str(partial),
        ],
        check=True,
    )  # fmt: skip
    partial.rename(path)
    return path


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run_ours(src: Path, dst: Path, info: MediaInfo) -> None:
    saved: list[int] = []

    def save_every_five(percent: int) -> None:
        if not saved or percent >= saved[-1] + 5 or percent == 100:
            saved.append(percent)

    transcode_mp4(src, dst, info, on_progress=save_every_five)
    assert saved and saved[-1] == 100, saved


def run_plain(src: Path, dst: Path) -> None:
    subprocess.run(mp4_args(src, dst), check=True)


def report(src: Path, seconds: int, plain: list[float], ours: list[float]) -> float:
    """Print the best of each side and return the ratio."""
    best_plain, best_ours = min(plain), min(ours)
    ratio = best_ours / best_plain
    megabytes = src.stat().st_size / 1e6
    print(f"\nclip: {seconds} s 1280x720 VP8/Opus WebM, grainy ({megabytes:.1f} MB)")
    speed = seconds / best_plain
    print(f"plain ffmpeg (same argv):        {best_plain:6.2f} s  ({speed:.2f}x real time)")
    print(f"our transcode step (+progress):  {best_ours:6.2f} s")
    print(f"ratio ours / plain:              {ratio:6.3f}  (target <= {TARGET})")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args(argv)

    src = camera_like_clip(args.seconds)
    limits = Limits(max_bytes=10**10)
    with tempfile.TemporaryDirectory(prefix="stoop-bench-") as folder:
        out = Path(folder)
        probe_seconds = timed(lambda: probe(src, limits))
        info = probe(src, limits)
        ours: list[float] = []
        plain: list[float] = []
        for run in range(1, args.runs + 1):
            # Alternate, so that a neighbour's load on the shared cores hits both sides alike.
            plain.append(timed(lambda: run_plain(src, out / "plain.mp4")))
            ours.append(timed(lambda: run_ours(src, out / "ours.mp4", info)))
            print(f"run {run}: plain {plain[-1]:6.2f} s   ours {ours[-1]:6.2f} s", flush=True)
        whole = timed(lambda: make_renditions(src, out / "all", info))

    ratio = report(src, args.seconds, plain, ours)
    print(f"probe with the packet scan:      {probe_seconds:6.2f} s  (a step before the transcode)")
    print(f"all renditions (mp4+poster+mp3): {whole:6.2f} s")
    met = ratio <= TARGET
    print("target met" if met else "TARGET MISSED")
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
