"""Why a file is refused, in words a person understands; one message per reason.

Every check (declared type and size before the upload, the stored object after it, the probe in
the worker) raises :class:`MediaRejected` with one of these, so the same problem reads the same
wherever it is found. ``code`` is for programs (and tests); ``message`` is for people.
"""

from __future__ import annotations

from flask_babel import gettext as _

from panel.core.errors import ValidationError

ACCEPTED_NAMES = "mp4, mov, webm, m4a, mp3, wav, ogg"


class MediaRejected(ValidationError):
    """A file that will not become a clip. A 422 when it reaches a request."""


def megabytes(size: int) -> str:
    """``size`` in MB for people, one decimal below 10 MB."""
    value = size / (1024 * 1024)
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def minutes_and_seconds(seconds: float) -> str:
    """``125`` → ``2 min 5 s``; ``45`` → ``45 s``."""
    whole = round(seconds)
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return _("%(s)d s", s=rest)
    if not rest:
        return _("%(m)d min", m=minutes)
    return _("%(m)d min %(s)d s", m=minutes, s=rest)


def wrong_type(content_type: str) -> MediaRejected:
    return MediaRejected(
        _(
            "We accept video and audio files only (%(accepted)s); this file is %(type)s.",
            accepted=ACCEPTED_NAMES,
            type=content_type or _("of an unknown type"),
        ),
        code="unsupported_type",
    )


def empty() -> MediaRejected:
    return MediaRejected(
        _("The file is empty (0 bytes). Record again or choose another file."), code="empty"
    )


def too_large(size: int | None, limit: int) -> MediaRejected:
    if size is None:
        message = _(
            "The file is larger than the limit of %(limit)s MB. Record a shorter clip or "
            "choose a smaller file.",
            limit=megabytes(limit),
        )
    else:
        message = _(
            "The file is %(size)s MB; the limit is %(limit)s MB. Record a shorter clip or "
            "choose a smaller file.",
            size=megabytes(size),
            limit=megabytes(limit),
        )
    return MediaRejected(message, code="too_large")


def web_page() -> MediaRejected:
    return MediaRejected(
        _(
            "This file is a web page (HTML), not a video or audio recording. "
            "Choose a video or audio file."
        ),
        code="html",
    )


def text() -> MediaRejected:
    return MediaRejected(
        _("This file contains text, not a video or audio recording. Choose a video or audio file."),
        code="text",
    )


def unknown_format() -> MediaRejected:
    return MediaRejected(
        _(
            "This file is not in a video or audio format we accept (%(accepted)s).",
            accepted=ACCEPTED_NAMES,
        ),
        code="unknown_format",
    )


def unreadable() -> MediaRejected:
    return MediaRejected(
        _(
            "We could not read this file as video or audio: it may be damaged. "
            "Try exporting it again, or record a new clip."
        ),
        code="unreadable",
    )


def truncated() -> MediaRejected:
    return MediaRejected(
        _(
            "The file is incomplete: it stops before the recording ends, probably because the "
            "recording or the upload was cut off. Record or upload it again."
        ),
        code="truncated",
    )


def no_streams() -> MediaRejected:
    return MediaRejected(
        _("The file holds no sound or picture. Choose a recording with video or audio."),
        code="no_streams",
    )


def too_long(duration: float, limit: float) -> MediaRejected:
    return MediaRejected(
        _(
            "The clip is %(length)s long; the limit is %(limit)s. Trim it or record a shorter one.",
            length=minutes_and_seconds(duration),
            limit=minutes_and_seconds(limit),
        ),
        code="too_long",
    )


def not_received() -> MediaRejected:
    return MediaRejected(_("We have not received the file. Upload it again."), code="not_received")


def conversion_failed() -> MediaRejected:
    return MediaRejected(
        _(
            "We could not convert this clip for playback. Try another file, or record the "
            "clip again."
        ),
        code="conversion_failed",
    )


def gave_up() -> MediaRejected:
    return MediaRejected(
        _(
            "We could not process this clip after several attempts. Upload it again, or try "
            "another file."
        ),
        code="gave_up",
    )
