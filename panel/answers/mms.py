"""The files of an MMS answer (Twilio's ``MediaUrl0``… with ``MediaContentType0``…): fetched
from Twilio with the account's credentials and kept as media.

The first audio or video file the question takes becomes the answer's clip (stored and
processed the way an uploaded clip is: :func:`media.ingest.ingest_url`); pictures become the
answer's pictures (:func:`media.pictures.ingest_picture`). Anything else (a contact card, a
second clip, a clip of a kind the question does not take) stays at Twilio, named in the stored
message's payload. A file Twilio cannot serve right now raises
:class:`media.ingest.FetchUnavailable`: the handler fails and the sweep tries again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy.orm import Session

from media.ingest import ingest_url
from media.models import MediaFile
from media.pictures import ingest_picture
from media.service import recording_limit
from media.uploads import base_type
from notifications.models import InboundMessage
from notifications.twilio_files import file_request
from panel.organisations.models import Organisation
from panel.questions.models import Question

log = logging.getLogger(__name__)

MAX_FILES = 10  # Twilio delivers at most ten files with one message


@dataclass
class Files:
    """What an MMS brought: the answer's clip (and its kind), and its pictures."""

    clip: MediaFile | None = None
    clip_kind: str | None = None
    pictures: list[MediaFile] = field(default_factory=list)


def announced(message: InboundMessage) -> list[tuple[str, str]]:
    """(URL, content type) of each file the message announces, in order."""
    payload = message.payload or {}
    try:
        count = min(int(payload.get("NumMedia") or 0), MAX_FILES)
    except ValueError:
        return []
    files = [
        (str(payload.get(f"MediaUrl{n}") or ""), str(payload.get(f"MediaContentType{n}") or ""))
        for n in range(count)
    ]
    return [(url, kind) for url, kind in files if url]


def fetch_files(
    session: Session,
    message: InboundMessage,
    question: Question,
    language: str,
    *,
    clip_kinds: Iterable[str] | None = None,
    purpose: str = "answer",
) -> Files:
    """Fetch the message's pictures and its first clip the question takes (see above), or
    the first of ``clip_kinds`` (a follow-up in a thread takes any clip), kept for
    ``purpose``."""
    settings = current_app.config["STOOP"]
    modes = set(question.answer_modes or ()) if clip_kinds is None else set(clip_kinds)
    organisation = session.get(Organisation, question.organisation_id)
    files = Files()
    for url, content_type in announced(message):
        kind = base_type(content_type).partition("/")[0]
        request = file_request(settings, url)
        if request is None:
            log.warning("inbound SMS %s: %s is not Twilio's; not fetched", message.id, url[:80])
            continue
        if kind == "image":
            files.pictures.append(
                ingest_picture(
                    session,
                    organisation_id=question.organisation_id,
                    url=request.url,
                    auth=request.auth,
                    purpose=purpose,
                )
            )
        elif kind in ("audio", "video") and kind in modes and files.clip is None:
            files.clip_kind = kind
            files.clip = ingest_url(
                session,
                organisation_id=question.organisation_id,
                url=request.url,
                auth=request.auth,
                max_duration_seconds=recording_limit(organisation),
                language=language,
                purpose=purpose,
            )
        else:
            log.info("inbound SMS %s: a %s file is not kept", message.id, content_type[:60])
    return files
