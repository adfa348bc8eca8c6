"""Probing real files: what passes, and each kind of bad file refused with its own message."""

from __future__ import annotations

import pytest

from media.probe import Limits, probe
from media.rejections import MediaRejected
from tests.media.conftest import Clips

LIMITS = Limits(max_bytes=10 * 1024 * 1024, max_duration=120)


def test_a_recording_without_a_duration_header_gets_its_real_length(clips: Clips) -> None:
    info = probe(clips.recording, LIMITS)

    assert info.kind == "video" and info.has_audio and info.has_video
    assert (info.width, info.height) == (160, 120)
    assert info.duration == pytest.approx(2.0, abs=0.15)


def test_an_mp4_and_a_wav(clips: Clips) -> None:
    assert probe(clips.mp4, LIMITS).duration == pytest.approx(2.0, abs=0.1)
    sound = probe(clips.wav, LIMITS)
    assert sound.kind == "audio" and not sound.has_video and sound.width is None


@pytest.mark.parametrize(
    ("clip", "code", "words"),
    [
        ("text", "text", "contains text"),
        ("html", "html", "web page"),
        ("empty", "empty", "empty (0 bytes)"),
        ("truncated", "truncated", "incomplete"),
        ("truncated_webm", "truncated", "incomplete"),
        ("truncated_recording", "truncated", "incomplete"),
        ("subtitles", "no_streams", "no sound or picture"),
    ],
)
def test_bad_files_are_refused_each_with_its_own_message(
    clips: Clips, clip: str, code: str, words: str
) -> None:
    with pytest.raises(MediaRejected) as refused:
        probe(getattr(clips, clip), Limits(max_bytes=10 * 1024 * 1024, max_duration=3.5))

    assert refused.value.code == code
    assert words in refused.value.message


def test_over_the_duration_limit(clips: Clips) -> None:
    with pytest.raises(MediaRejected) as refused:
        probe(clips.long, Limits(max_bytes=10 * 1024 * 1024, max_duration=5))

    assert refused.value.code == "too_long"
    assert "The clip is 7 s long; the limit is 5 s" in refused.value.message


def test_a_recording_a_little_over_its_limit_passes(clips: Clips) -> None:
    # Recorders stop a moment late: 2.0 s against a 1.5 s limit is within the grace second.
    assert probe(clips.recording, Limits(max_bytes=10 * 1024 * 1024, max_duration=1.5))


def test_over_the_size_limit(clips: Clips) -> None:
    with pytest.raises(MediaRejected) as refused:
        probe(clips.recording, Limits(max_bytes=1000))

    assert refused.value.code == "too_large"
    assert "the limit is 0.0 MB" in refused.value.message


def test_unreadable_bytes_with_a_media_signature(clips: Clips, tmp_path) -> None:
    fake = tmp_path / "fake.webm"
    fake.write_bytes(b"\x1a\x45\xdf\xa3" + bytes(range(256)) * 20)

    with pytest.raises(MediaRejected) as refused:
        probe(fake, LIMITS)

    assert refused.value.code == "unreadable"
