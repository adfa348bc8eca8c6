"""Pictures a tenant sends along with an answer (the photos of an MMS): fetched like a recording,
checked, made safe to show, and kept as a ready MediaFile of kind ``picture``.

A picture is fetched with :func:`media.ingest.fetch` (credentials, time and size limits), must
start like a JPEG, PNG, GIF or WebP file, and is re-encoded by ffmpeg into one JPEG at most
:data:`MAX_SIDE` pixels on its longer side. Re-encoding is what makes it safe to show: it keeps
only the pixels, so a phone photo's metadata (where it was taken, the camera's serial number)
never reaches staff or reports, and a file that only pretends to be a picture fails to decode.
The result is the ``picture`` rendition, served at ``/media/<token>/picture.jpg``. There is
nothing to transcode later, so the work is done at once, in the caller's transaction.
"""

from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy.orm import Session

from media import lifecycle, rejections, workfolders
from media.ingest import DEFAULT_TIMEOUT, fetch, filename_of
from media.models import MediaFile, MediaStatus
from media.rejections import MediaRejected
from media.service import max_upload_bytes, new_public_id
from media.storage import current_storage
from media.transcode import COMMON, FfmpegError, FfmpegKilled, run_ffmpeg
from panel.core.db import utcnow

KIND = "picture"
RENDITION = "picture"
FILE_NAME = "picture.jpg"
MAX_SIDE = 1600
TIMEOUT = 60.0  # seconds of ffmpeg for one picture: far more than any photo needs
# The first bytes of each picture format we take (what a phone sends by MMS).
SIGNATURES = {
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "gif": (b"GIF87a", b"GIF89a"),
}


def picture_format(first_bytes: bytes) -> str | None:
    """``jpeg``, ``png``, ``gif`` or ``webp`` when the bytes start like one, else None."""
    for name, starts in SIGNATURES.items():
        if first_bytes.startswith(starts):
            return name
    if first_bytes[:4] == b"RIFF" and first_bytes[8:12] == b"WEBP":
        return "webp"
    return None


def not_a_picture(content_type: str) -> MediaRejected:
    """The refusal of a file that is not a picture we take."""
    return MediaRejected("not_a_picture", type=content_type[:100])


def jpeg_args(src: Path, dst: Path) -> list[str]:
    """One JPEG of the first frame, at most MAX_SIDE on its longer side, no metadata."""
    scale = (
        f"scale=w='min({MAX_SIDE},iw)':h='min({MAX_SIDE},ih)':force_original_aspect_ratio=decrease"
    )
    return [
        *COMMON,
        "-i", str(src),
        "-map", "0:v:0", "-frames:v", "1",
        "-map_metadata", "-1",
        "-vf", scale, "-q:v", "3", "-update", "1",
        str(dst),
    ]  # fmt: skip


def ingest_picture(
    session: Session,
    *,
    organisation_id: int,
    url: str,
    auth: tuple[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    purpose: str = "answer",
) -> MediaFile:
    """A picture made of the file at ``url``: ready, or failed with the refusal's code. The
    caller commits; :class:`media.ingest.FetchUnavailable` (try again later) leaves nothing."""
    settings = current_app.config["STOOP"]
    limit = max_upload_bytes(settings)
    media = MediaFile(
        organisation_id=organisation_id,
        public_id=new_public_id(),
        status=MediaStatus.PENDING,
        purpose=purpose[:20],
        original_filename=filename_of(url),
        renditions={},
    )
    session.add(media)
    session.flush()
    folder = workfolders.download_folder(settings)
    try:
        fetched = fetch(url, folder / "download", auth=auth, max_bytes=limit, timeout=timeout)
        with fetched.path.open("rb") as head:
            if picture_format(head.read(16)) is None:
                raise not_a_picture(fetched.content_type)
        made = folder / FILE_NAME
        try:
            run_ffmpeg(jpeg_args(fetched.path, made), timeout=TIMEOUT)
        except (FfmpegError, FfmpegKilled):
            raise rejections.unreadable() from None
        key = f"{media.storage_prefix}{FILE_NAME}"
        size = current_storage().put(key, made, content_type="image/jpeg", max_bytes=limit)
    except MediaRejected as problem:
        lifecycle.discard_files(current_storage(), media)
        lifecycle.fail(media, problem)
        return media
    finally:
        workfolders.remove(folder)
    media.kind = KIND
    media.content_type = "image/jpeg"
    media.size_bytes = size
    media.renditions = {RENDITION: key}
    media.status = MediaStatus.READY
    media.processed_at = utcnow()
    return media
