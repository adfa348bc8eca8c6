"""What may be uploaded: the accepted types, and the checks before and after an upload.

Before: the declared name, type and size (:func:`check_declared`). After: the stored object's
size, stored content type and first bytes (:func:`check_arrived`), because a browser's
declaration proves nothing and some S3-compatible servers enforce no POST policy at all. The
probe in the worker (:mod:`media.probe`) then reads the whole file.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from media import rejections
from media.storage import ObjectInfo

# Accepted types: the browser's content type → (our content type, file extension).
ACCEPTED_TYPES: dict[str, tuple[str, str]] = {
    "video/mp4": ("video/mp4", "mp4"),
    "video/quicktime": ("video/quicktime", "mov"),
    "video/webm": ("video/webm", "webm"),
    "audio/webm": ("audio/webm", "webm"),
    "audio/mp4": ("audio/mp4", "m4a"),
    "audio/m4a": ("audio/mp4", "m4a"),
    "audio/x-m4a": ("audio/mp4", "m4a"),
    "audio/mpeg": ("audio/mpeg", "mp3"),
    "audio/mp3": ("audio/mpeg", "mp3"),
    "audio/wav": ("audio/wav", "wav"),
    "audio/wave": ("audio/wav", "wav"),
    "audio/x-wav": ("audio/wav", "wav"),
    "audio/vnd.wave": ("audio/wav", "wav"),
    "audio/ogg": ("audio/ogg", "ogg"),
    "video/ogg": ("video/ogg", "ogg"),
    "application/ogg": ("audio/ogg", "ogg"),
}
# Browsers send no type (or a generic one) for some files, e.g. .mov or .m4a on Windows.
BY_EXTENSION = {
    "mp4": "video/mp4",
    "m4v": "video/mp4",
    "mov": "video/quicktime",
    "webm": "video/webm",
    "m4a": "audio/mp4",
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "oga": "audio/ogg",
    "opus": "audio/ogg",
}
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream"}
SNIFF_BYTES = 4096
MAX_FILENAME = 255


@dataclass(frozen=True)
class Declared:
    """A checked declaration: a clean file name, our content type, the storage extension."""

    filename: str
    content_type: str
    extension: str
    size: int


def base_type(content_type: str) -> str:
    """``video/webm;codecs="vp8, opus"`` → ``video/webm``."""
    return content_type.split(";", 1)[0].strip().lower()


def clean_filename(filename: str) -> str:
    """The last part of a path a browser sent, without control characters, at most 255."""
    name = posixpath.basename(filename.replace("\\", "/"))
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[-MAX_FILENAME:] or "upload"


def accepted_type(filename: str, content_type: str) -> tuple[str, str]:
    """(our content type, extension) for a declared type, or :class:`MediaRejected`."""
    declared = base_type(content_type)
    if declared in ACCEPTED_TYPES:
        return ACCEPTED_TYPES[declared]
    extension = posixpath.splitext(filename.lower())[1].lstrip(".")
    if declared in GENERIC_TYPES and extension in BY_EXTENSION:
        return ACCEPTED_TYPES[BY_EXTENSION[extension]]
    raise rejections.wrong_type(declared)


def check_size(size: int, max_bytes: int) -> None:
    """Refuse an empty file, or one over ``max_bytes``."""
    if size <= 0:
        raise rejections.empty()
    if size > max_bytes:
        raise rejections.too_large(size, max_bytes)


def check_declared(filename: str, content_type: str, size: int, max_bytes: int) -> Declared:
    """Check what a browser says it will upload, before anything is stored."""
    our_type, extension = accepted_type(filename, content_type)
    check_size(size, max_bytes)
    return Declared(clean_filename(filename), our_type, extension, size)


def check_arrived(info: ObjectInfo, first_bytes: bytes, max_bytes: int) -> None:
    """Check the stored object itself: its size, its stored type, and its first bytes."""
    check_size(info.size, max_bytes)
    stored = base_type(info.content_type or "")
    if "html" in stored or stored.startswith("text/"):
        raise rejections.web_page() if looks_like_html(first_bytes) else rejections.text()
    check_signature(first_bytes)


def looks_like_html(data: bytes) -> bool:
    """True when the bytes start like an HTML, XML or SVG document."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    markers = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<?xml", b"<svg", b"<!--")
    return head.startswith(markers)


def looks_like_text(data: bytes) -> bool:
    """True when the bytes decode as UTF-8 text without control characters."""
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 4:  # a character cut at the end of the sample is fine
            return False
        decoded = data[: exc.start].decode("utf-8")
    return all(ch.isprintable() or ch in "\t\r\n\f" for ch in decoded)


def media_signature(data: bytes) -> str | None:
    """The container the first bytes announce (``mp4``, ``webm``, ``mp3``…), or None."""
    boxes = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip")
    # ISO base media (MP4, MOV, M4A): a 4-byte box size, then its type. A size of four
    # printable characters is text that happens to read "free" or "skip" there.
    if len(data) >= 8 and data[4:8] in boxes and not all(32 <= b < 127 for b in data[:4]):
        return "mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"  # EBML: WebM, Matroska
    if data.startswith(b"ID3") or (len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"  # ID3 tag or an MPEG audio / ADTS frame
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        return "wav"
    if data.startswith(b"OggS"):
        return "ogg"
    return None


def check_signature(first_bytes: bytes) -> str:
    """The container of ``first_bytes``, or the rejection that says what the file is instead."""
    if not first_bytes:
        raise rejections.empty()
    found = media_signature(first_bytes)
    if found:
        return found
    if looks_like_html(first_bytes):
        raise rejections.web_page()
    if looks_like_text(first_bytes):
        raise rejections.text()
    raise rejections.unknown_format()
