"""Still images people upload (an organisation's logo): checked, decoded and drawn again as a
small PNG of our own.

An upload is never stored as it came. Its first bytes must say PNG, JPEG or WebP (an SVG, which
can carry script, is refused by name); Pillow decodes it within a pixel budget (a small file
can declare a huge picture); and only the pixels go on, scaled down to fit a box and written as
a fresh PNG. Whatever else the file carried (metadata, a second image, a payload behind the
pixels) is left behind, and e-mails that show the picture stay small.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l

MAX_LOGO_BYTES = 2 * 1024 * 1024
LOGO_BOX = (480, 120)  # at most this wide and this tall, in pixels
# Decoded pixels an upload may declare: a 2 MB PNG can declare billions, and 25 million (a
# 6000 x 4000 photo) already take 100 MB to decode as RGBA.
MAX_PIXELS = 25_000_000
_TRUNCATION_LOCK = threading.Lock()


class ImageRejected(ValidationError):
    """An upload that will not become a picture (422, with a message for the person)."""

    code = "image_rejected"


class ImageTooLarge(ImageRejected):
    """An upload over the size limit (413)."""

    status = 413
    code = "image_too_large"


@dataclass(frozen=True)
class Picture:
    """A picture redrawn as PNG: its bytes, size and a hash of the bytes (for its URL)."""

    png: bytes
    width: int
    height: int
    digest: str  # the first 16 hex digits of the PNG's SHA-256


def read_limited(stream: IO[bytes], max_bytes: int = MAX_LOGO_BYTES) -> bytes:
    """The bytes of ``stream``, reading no more than one past ``max_bytes`` (so a huge upload
    is not read whole just to be refused); :class:`ImageTooLarge` when there are more."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large()
    return data


def sniff(data: bytes) -> str | None:
    """The picture format the first bytes announce: ``PNG``, ``JPEG``, ``WEBP``, ``SVG``, or
    None. Names and declared types are never trusted; the bytes are."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) and b"<svg" in data[:4096].lower():
        return "SVG"
    return None


def logo_picture(data: bytes) -> Picture:
    """``data`` (an uploaded logo) redrawn as a PNG that fits :data:`LOGO_BOX`.

    Refuses, with a message a person understands, an empty file, one over
    :data:`MAX_LOGO_BYTES`, an SVG, anything that is not PNG, JPEG or WebP, and a file that does
    not decode.
    """
    if not data:
        raise ImageRejected(_l("The file is empty. Choose a PNG, JPEG or WebP picture."))
    if len(data) > MAX_LOGO_BYTES:
        raise _too_large()
    kind = sniff(data)
    if kind == "SVG":
        raise ImageRejected(
            _l(
                "SVG logos are not accepted. Save the logo as PNG (or JPEG or WebP) and "
                "upload that."
            )
        )
    if kind is None:
        raise ImageRejected(_l("That file is not a PNG, JPEG or WebP picture."))
    image = _decode(data, kind)
    image.thumbnail(LOGO_BOX, Image.Resampling.LANCZOS)  # shrinks, never enlarges
    # Only the pixels: a new image carries no metadata, colour profile or text of the upload.
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    png = out.getvalue()
    digest = hashlib.sha256(png).hexdigest()[:16]
    return Picture(png=png, width=clean.width, height=clean.height, digest=digest)


def _decode(data: bytes, kind: str) -> Image.Image:
    """The first frame of ``data``, decoded, upright, as RGB or RGBA."""
    broken = ImageRejected(
        _l("That picture could not be read; the file may be damaged. Try another file.")
    )
    try:
        with _truncation_refused(), warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=[kind])
            if image.width * image.height > MAX_PIXELS:
                raise _too_many_pixels()
            image.seek(0)  # an animated PNG or WebP: its first frame
            # A JPEG can be decoded at 1/2 to 1/8 of its size, as much as it will still fit
            # the box: a big photo costs a fraction of the memory.
            image.draft(None, (LOGO_BOX[0] * 2, LOGO_BOX[0] * 2))
            image.load()
            image = ImageOps.exif_transpose(image) or image
            has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            return image.convert("RGBA" if has_alpha else "RGB")
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise _too_many_pixels() from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise broken from exc


@contextlib.contextmanager
def _truncation_refused() -> Iterator[None]:
    """Pillow's decoders refuse a cut-off file, unless ``ImageFile.LOAD_TRUNCATED_IMAGES`` is
    on, and WeasyPrint (the flyers) turns it on for the whole process when it is imported; a
    half logo would then be padded with grey and accepted. The switch is a module global: it
    is held off, under a lock, while one upload decodes (a few milliseconds; another thread's
    image read in that moment is only held to the stricter rule)."""
    with _TRUNCATION_LOCK:
        before = ImageFile.LOAD_TRUNCATED_IMAGES
        ImageFile.LOAD_TRUNCATED_IMAGES = False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = before


def _too_large() -> ImageTooLarge:
    return ImageTooLarge(_l("The logo is larger than 2 MB. Choose a smaller file."))


def _too_many_pixels() -> ImageRejected:
    return ImageRejected(
        _l(
            "That picture is too large to process (more than %(limit)s million pixels). "
            "Choose a smaller picture.",
            limit=MAX_PIXELS // 1_000_000,
        )
    )
