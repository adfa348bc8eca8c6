"""Why a file is refused: a stable code with its parameters, worded in the reader's language.

Every check (declared type and size before the upload, the stored object after it, the probe in
the worker, a download from a provider) raises :class:`MediaRejected` with a ``code`` and
``params``. A failed clip stores those two (``MediaFile.error_code``/``error_params``), never the
words: the words are made by :func:`describe` when someone reads them, in their language (a
Swedish staff member reads Swedish; a tenant, later, their own). Parameters are plain JSON
values in base units (bytes, seconds) so they can be worded in any language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _

from panel.core.errors import ValidationError
from panel.core.i18n import LazyText

ACCEPTED_NAMES = "mp4, mov, webm, m4a, mp3, wav, ogg"

Params = Mapping[str, Any]


class MediaRejected(ValidationError):
    """A file that will not become a clip. A 422 when it reaches a request.

    Its message is worded when read, in the reader's language; ``code`` and ``params`` are
    what a clip stores, to be worded again with :func:`describe` where they are shown.
    """

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(Refusal(code, **params), code=code)


class Refusal(LazyText):
    """A refusal's words, made from its code and parameters in the language in force where
    they are read (a request's, a page's), never frozen when the refusal was raised."""

    __slots__ = ()

    def __str__(self) -> str:
        return describe(self.msgid, self.params)


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


def _number(params: Params, name: str) -> float:
    value = params.get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _unsupported_type(params: Params) -> str:
    return _(
        "We accept video and audio files only (%(accepted)s); this file is %(type)s.",
        accepted=ACCEPTED_NAMES,
        type=str(params.get("type") or "") or _("of an unknown type"),
    )


def _too_large(params: Params) -> str:
    limit = megabytes(int(_number(params, "limit")))
    if params.get("size") is None:
        return _(
            "The file is larger than the limit of %(limit)s MB. Record a shorter clip or "
            "choose a smaller file.",
            limit=limit,
        )
    return _(
        "The file is %(size)s MB; the limit is %(limit)s MB. Record a shorter clip or "
        "choose a smaller file.",
        size=megabytes(int(_number(params, "size"))),
        limit=limit,
    )


def _too_long(params: Params) -> str:
    return _(
        "The clip is %(length)s long; the limit is %(limit)s. Trim it or record a shorter one.",
        length=minutes_and_seconds(_number(params, "duration")),
        limit=minutes_and_seconds(_number(params, "limit")),
    )


def _download_failed(params: Params) -> str:
    return _(
        "We could not fetch the file from %(host)s: it answered %(status)s. Send it again.",
        host=str(params.get("host") or "?"),
        status=str(params.get("status") or "?"),
    )


def _download_timeout(params: Params) -> str:
    return _(
        "Fetching the file from %(host)s took longer than %(limit)s, so we stopped. Send it again.",
        host=str(params.get("host") or "?"),
        limit=minutes_and_seconds(_number(params, "limit")),
    )


# code → how to word it. Codes are stored on failed clips and sent to API clients: never
# rename one; add a new code instead.
MESSAGES: dict[str, Callable[[Params], str]] = {
    "unsupported_type": _unsupported_type,
    "empty": lambda _p: _("The file is empty (0 bytes). Record again or choose another file."),
    "too_large": _too_large,
    "html": lambda _p: _(
        "This file is a web page (HTML), not a video or audio recording. "
        "Choose a video or audio file."
    ),
    "text": lambda _p: _(
        "This file contains text, not a video or audio recording. Choose a video or audio file."
    ),
    "unknown_format": lambda _p: _(
        "This file is not in a video or audio format we accept (%(accepted)s).",
        accepted=ACCEPTED_NAMES,
    ),
    "unreadable": lambda _p: _(
        "We could not read this file as video or audio: it may be damaged. "
        "Try exporting it again, or record a new clip."
    ),
    "truncated": lambda _p: _(
        "The file is incomplete: it stops before the recording ends, probably because the "
        "recording or the upload was cut off. Record or upload it again."
    ),
    "no_streams": lambda _p: _(
        "The file holds no sound or picture. Choose a recording with video or audio."
    ),
    "too_long": _too_long,
    "not_received": lambda _p: _("We have not received the file. Upload it again."),
    "conversion_failed": lambda _p: _(
        "We could not convert this clip for playback. Try another file, or record the clip again."
    ),
    "gave_up": lambda _p: _(
        "We could not process this clip after several attempts. Upload it again, or try "
        "another file."
    ),
    "download_failed": _download_failed,
    "download_timeout": _download_timeout,
    "not_a_picture": lambda params: _(
        "We take pictures as JPEG, PNG, GIF or WebP; this file is %(type)s.",
        type=str(params.get("type") or "") or _("of an unknown type"),
    ),
}


def describe(code: str, params: Params | None = None) -> str:
    """The words for a refusal ``code`` in the current language (a general sentence for a code
    this version does not know)."""
    wording = MESSAGES.get(code)
    if wording is None:
        return _("This file could not be used. Upload it again, or try another file.")
    return wording(params or {})


def wrong_type(content_type: str) -> MediaRejected:
    return MediaRejected("unsupported_type", type=content_type[:100])


def empty() -> MediaRejected:
    return MediaRejected("empty")


def too_large(size: int | None, limit: int) -> MediaRejected:
    return MediaRejected("too_large", size=size, limit=limit)


def web_page() -> MediaRejected:
    return MediaRejected("html")


def text() -> MediaRejected:
    return MediaRejected("text")


def unknown_format() -> MediaRejected:
    return MediaRejected("unknown_format")


def unreadable() -> MediaRejected:
    return MediaRejected("unreadable")


def truncated() -> MediaRejected:
    return MediaRejected("truncated")


def no_streams() -> MediaRejected:
    return MediaRejected("no_streams")


def too_long(duration: float, limit: float) -> MediaRejected:
    return MediaRejected("too_long", duration=round(duration, 3), limit=round(limit, 3))


def not_received() -> MediaRejected:
    return MediaRejected("not_received")


def conversion_failed() -> MediaRejected:
    return MediaRejected("conversion_failed")


def gave_up() -> MediaRejected:
    return MediaRejected("gave_up")


def download_failed(host: str, status: int | str) -> MediaRejected:
    return MediaRejected("download_failed", host=host, status=status)


def download_timeout(host: str, limit: float) -> MediaRejected:
    return MediaRejected("download_timeout", host=host, limit=limit)
