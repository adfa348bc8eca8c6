"""ffmpeg arguments (pure) and the runner, on real tiny clips."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from media.probe import Limits, describe, probe
from media.processing import make_renditions
from media.transcode import (
    FfmpegError,
    audio_args,
    mp4_args,
    poster_args,
    poster_at,
    run_ffmpeg,
)
from tests.media.conftest import Clips, probe_duration


def _after(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_mp4_arguments() -> None:
    args = mp4_args(Path("in.webm"), Path("out.mp4"))

    assert args[0] == "ffmpeg" and args[-1] == "out.mp4"
    assert _after(args, "-c:v") == "libx264" and _after(args, "-preset") == "veryfast"
    assert _after(args, "-crf") == "23" and _after(args, "-pix_fmt") == "yuv420p"
    assert _after(args, "-c:a") == "aac" and _after(args, "-movflags") == "+faststart"
    assert "min(1280,iw)" in _after(args, "-vf") and "force_divisible_by=2" in _after(args, "-vf")


def test_poster_and_audio_arguments() -> None:
    assert poster_at(0.8) == 0.0 and poster_at(30) == 1.0
    poster = poster_args(Path("v.mp4"), Path("p.jpg"), duration=30)
    assert _after(poster, "-ss") == "1.000" and _after(poster, "-frames:v") == "1"
    audio = audio_args(Path("v.mp4"), Path("a.mp3"))
    assert _after(audio, "-ac") == "1" and _after(audio, "-c:a") == "libmp3lame"


def test_runner_reports_progress_up_to_100(clips: Clips, tmp_path: Path) -> None:
    seen: list[int] = []

    result = run_ffmpeg(
        mp4_args(clips.recording, tmp_path / "out.mp4"), duration=2.0, on_progress=seen.append
    )

    assert seen == sorted(seen) and seen[-1] == 100 and len(set(seen)) == len(seen)
    assert result.out_time == pytest.approx(2.0, abs=0.2)


def test_runner_raises_with_ffmpegs_words(clips: Clips, tmp_path: Path) -> None:
    with pytest.raises(FfmpegError) as failed:
        run_ffmpeg(audio_args(clips.text, tmp_path / "a.mp3"))

    assert "Invalid data" in failed.value.stderr


def test_odd_and_large_sizes_become_even_and_fit_1280(tmp_path: Path) -> None:
    source = tmp_path / "portrait.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=1081x1921:rate=5", "-t",
         "0.4", "-c:v", "libx264", "-preset", "ultrafast", str(source)],
        check=True,
    )  # fmt: skip

    run_ffmpeg(mp4_args(source, tmp_path / "out.mp4"))

    made = describe(tmp_path / "out.mp4")
    assert made.height == 1280 and made.width % 2 == 0 and made.width <= 722


def test_video_renditions(clips: Clips, tmp_path: Path) -> None:
    info = probe(clips.recording, Limits(max_bytes=10**8))

    files = make_renditions(clips.recording, tmp_path, info)

    assert sorted(files) == ["audio", "mp4", "poster"]
    assert probe_duration(files["mp4"]) == pytest.approx(2.0, abs=0.15)
    assert files["mp4"].read_bytes()[4:8] == b"ftyp"
    assert files["poster"].read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    mp3 = describe(files["audio"])
    assert mp3.container == "mp3" and not mp3.has_video


def test_sound_only_gets_an_m4a_and_an_mp3_and_no_poster(clips: Clips, tmp_path: Path) -> None:
    info = probe(clips.wav, Limits(max_bytes=10**8))

    files = make_renditions(clips.wav, tmp_path, info)

    assert sorted(files) == ["audio", "mp4"]
    assert files["mp4"].name == "audio.m4a" and describe(files["mp4"]).kind == "audio"


def test_a_recording_whose_picture_ends_before_its_sound_still_gets_a_poster(
    tmp_path: Path,
) -> None:
    # As a browser's MediaRecorder sometimes writes it: 0.6 s of picture, 2.5 s of sound.
    source = tmp_path / "short-picture.webm"
    subprocess.run(
        [
            "ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:d=0.6",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=2.5",
            "-c:v", "libvpx", "-c:a", "libopus", str(source),
        ],
        check=True,
    )  # fmt: skip
    info = probe(source, Limits(max_bytes=10**8))
    assert info.duration and info.duration >= 2.0

    files = make_renditions(source, tmp_path / "out", info)

    assert files["poster"].read_bytes()[:2] == b"\xff\xd8"
