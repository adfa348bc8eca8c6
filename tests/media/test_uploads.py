"""The checks before and after an upload: declared type and size, then the bytes that arrived."""

from __future__ import annotations

import pytest

from media import uploads
from media.rejections import MediaRejected, minutes_and_seconds
from media.storage import ObjectInfo

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("filename", "content_type", "expected"),
    [
        ("q.webm", 'video/webm;codecs="vp8, opus"', ("video/webm", "webm")),
        ("q.webm", "audio/webm;codecs=opus", ("audio/webm", "webm")),
        ("IMG_0001.MOV", "video/quicktime", ("video/quicktime", "mov")),
        ("IMG_0001.MOV", "", ("video/quicktime", "mov")),
        ("memo.m4a", "audio/x-m4a", ("audio/mp4", "m4a")),
        ("memo.m4a", "application/octet-stream", ("audio/mp4", "m4a")),
        ("a.mp3", "audio/mpeg", ("audio/mpeg", "mp3")),
        ("a.wav", "audio/wav", ("audio/wav", "wav")),
        ("a.ogg", "audio/ogg", ("audio/ogg", "ogg")),
        ("clip.mp4", "VIDEO/MP4", ("video/mp4", "mp4")),
    ],
)
def test_accepted_types(filename: str, content_type: str, expected: tuple[str, str]) -> None:
    assert uploads.accepted_type(filename, content_type) == expected


@pytest.mark.parametrize(
    ("filename", "content_type"),
    [("page.html", "text/html"), ("x.mp4", "image/png"), ("x.exe", "application/octet-stream")],
)
def test_other_types_are_refused_before_upload(filename: str, content_type: str) -> None:
    with pytest.raises(MediaRejected) as refused:
        uploads.check_declared(filename, content_type, 100, MB)

    assert refused.value.code == "unsupported_type"
    assert "We accept video and audio files only" in refused.value.message


def test_declared_size_is_checked_before_upload() -> None:
    with pytest.raises(MediaRejected, match="empty"):
        uploads.check_declared("a.webm", "video/webm", 0, MB)
    with pytest.raises(MediaRejected, match=r"The file is 3\.0 MB; the limit is 1\.0 MB"):
        uploads.check_declared("a.webm", "video/webm", 3 * MB, MB)


def test_file_names_are_cleaned() -> None:
    declared = uploads.check_declared("C:\\Users\\ann\\clip\x07.webm", "video/webm", 10, MB)

    assert declared.filename == "clip.webm"


@pytest.mark.parametrize(
    ("first_bytes", "found"),
    [
        (b"\x00\x00\x00\x1cftypisom\x00\x00", "mp4"),
        (b"\x00\x00\x00\x08wide\x00\x00", "mp4"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81", "webm"),
        (b"ID3\x04\x00\x00\x00", "mp3"),
        (b"\xff\xfb\x90\x64\x00", "mp3"),
        (b"RIFF\x24\x08\x00\x00WAVEfmt ", "wav"),
        (b"OggS\x00\x02\x00\x00", "ogg"),
    ],
)
def test_media_signatures(first_bytes: bytes, found: str) -> None:
    assert uploads.check_signature(first_bytes) == found


@pytest.mark.parametrize(
    ("first_bytes", "code"),
    [
        (b"<!DOCTYPE html><html>", "html"),
        (b"\xef\xbb\xbf  <html lang='sv'>", "html"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'>", "html"),
        (b"The free market of ideas\n", "text"),  # "free" where an MP4 box type would be
        (b"Hej! Det h\xc3\xa4r \xc3\xa4r text.\n", "text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "unknown_format"),
        (b"", "empty"),
    ],
)
def test_first_bytes_that_are_not_media(first_bytes: bytes, code: str) -> None:
    with pytest.raises(MediaRejected) as refused:
        uploads.check_signature(first_bytes)

    assert refused.value.code == code


def test_a_stored_text_type_is_refused_even_with_media_bytes() -> None:
    info = ObjectInfo("1/x/original.mp4", 100, "text/html; charset=utf-8")

    with pytest.raises(MediaRejected) as refused:
        uploads.check_arrived(info, b"<html><body>", MB)

    assert refused.value.code == "html"


def test_durations_read_like_people_say_them() -> None:
    assert minutes_and_seconds(45) == "45 s"
    assert minutes_and_seconds(120) == "2 min"
    assert minutes_and_seconds(125.4) == "2 min 5 s"
