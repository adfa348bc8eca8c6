"""A contact's data as one ZIP file (the right of access): ``contact.json`` with every row of
theirs (:mod:`panel.privacy.inventory`), their media files under ``media/``, and ``README.txt``,
a short summary in their language.

The ZIP is written to a temporary file (media files are streamed from storage into it a chunk
at a time, so a long video never sits in memory) and handed to the response, which deletes it.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import tempfile
import zipfile
from pathlib import PurePosixPath
from typing import IO, Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from media.storage.base import Storage
from panel.contacts.models import Contact
from panel.core.i18n import TENANT_LANGUAGES
from panel.privacy.inventory import Inventory, collect

FORMAT_VERSION = 1


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _row(row: Any, *names: str) -> dict[str, Any]:
    return {name: _value(getattr(row, name)) for name in names}


def media_path(media_id: int, name: str, key: str) -> str:
    """Where a stored file goes in the ZIP: ``media/<media id>/<rendition><extension>``."""
    suffix = PurePosixPath(key).suffix
    return f"media/{media_id}/{name}{suffix}"


def _media(found: Inventory, media_id: int | None) -> dict[str, Any] | None:
    media = found.media.get(media_id or 0)
    if media is None:
        return None
    described = _row(
        media, "id", "kind", "status", "content_type", "duration_seconds", "language", "created_at"
    )
    described["transcript"] = media.transcript or media.transcript_draft
    described["files"] = [
        media_path(m.id, name, key) for m, name, key in found.media_keys() if m.id == media.id
    ]
    return described


def document(found: Inventory) -> dict[str, Any]:
    """Everything of the contact as plain JSON values."""
    contact = found.contact
    answers = []
    for answer in found.answers:
        thread = found.threads.get(answer.id)
        messages = []
        if thread is not None:
            for comment in found.comments.get(thread.id, []):
                item = _row(comment, "id", "kind", "channel", "language", "body", "created_at")
                item["from"] = "staff" if comment.kind == "reply" else "you"
                item["media"] = _media(found, comment.media_id)
                messages.append(item)
        described = _row(
            answer,
            "id",
            "created_at",
            "channel",
            "language",
            "text",
            "score",
            "choice",
            "clip_kind",
            "source",
            "respondent_name",
            "respondent_email",
            "respondent_phone",
            "may_contact",
            "consent_identity",
            "consent_quote",
            "consent_show_clip",
            "consent_changed_at",
        )
        described["question"] = answer.question.title if answer.question else None
        described["place"] = answer.place.path if answer.place else None
        described["clip"] = _media(found, answer.media_id)
        described["pictures"] = [
            _media(found, p.media_id) for p in found.pictures.get(answer.id, [])
        ]
        described["thread"] = (
            None
            if thread is None
            else {"status": _value(thread.status), "opened_at": _value(thread.created_at)}
        )
        described["messages"] = messages
        answers.append(described)
    return {
        "format_version": FORMAT_VERSION,
        "exported_at": dt.datetime.now(dt.UTC).isoformat(),
        "contact": {
            **_row(
                contact,
                "id",
                "name",
                "email",
                "phone",
                "language",
                "tags",
                "age_band",
                "external_ref",
                "created_at",
                "updated_at",
            ),
            "place": contact.place.path if contact.place else None,
        },
        "consent_log": [
            _row(e, "recorded_at", "channel", "granted", "basis", "method", "text", "text_version")
            for e in found.consents
        ],
        "opt_outs": [
            _row(o, "channel", "address", "method", "detail", "opted_out_at")
            for o in found.opt_outs
        ],
        "panel_memberships": [
            {
                "panel": panel.name,
                **_row(member, "status", "source", "created_at", "joined_at", "left_at"),
                "consent_text_version": version.version if version else None,
                "consent_text": version.text if version else None,
            }
            for member, panel, version in found.memberships
        ],
        "invitations": [
            _row(
                i,
                "id",
                "question_id",
                "send_id",
                "channel",
                "created_at",
                "expires_at",
                "opened_at",
                "answered_at",
                "reminders_sent",
            )
            for i in found.invitations
        ],
        "answers": answers,
        "messages_sent": [
            _row(
                m,
                "id",
                "channel",
                "purpose",
                "recipient",
                "language",
                "subject",
                "body_text",
                "state",
                "created_at",
                "sent_at",
                "status_at",
            )
            for m in found.outbound
        ],
        "messages_received": [
            _row(m, "id", "channel", "sender", "body", "received_at") for m in found.inbound
        ],
    }


def summary(found: Inventory, organisation_name: str) -> str:
    """README.txt: what the ZIP holds, in the contact's language."""
    contact = found.contact
    language = contact.language if contact.language in TENANT_LANGUAGES else "sv"
    with force_locale(language):
        lines = [
            _("Your data at %(organisation)s", organisation=organisation_name),
            "",
            _(
                "This file was made on %(date)s at your request. It holds everything "
                "%(organisation)s keeps about you in Stoop, its tenant panel.",
                date=dt.date.today().isoformat(),
                organisation=organisation_name,
            ),
            "",
            _("Your name: %(name)s", name=contact.name or "-"),
            _("Your e-mail address: %(email)s", email=contact.email or "-"),
            _("Your phone number: %(phone)s", phone=contact.phone or "-"),
            _("Entries in your consent log: %(count)s", count=len(found.consents)),
            _("Panels you are a member of: %(count)s", count=len(found.memberships)),
            _("Your answers: %(count)s", count=len(found.answers)),
            _("Recordings and pictures: %(count)s", count=len(found.media)),
            _("Messages we sent you: %(count)s", count=len(found.outbound)),
            _("Messages you sent us: %(count)s", count=len(found.inbound)),
            "",
            _(
                "contact.json holds all of it in a form computers read (JSON). The folder "
                "“media” holds your recordings and pictures."
            ),
            _(
                "To have something corrected or deleted, answer the message you got from us "
                "or contact %(organisation)s.",
                organisation=organisation_name,
            ),
        ]
    return "\n".join(lines) + "\n"


def write_zip(
    session: Session, contact: Contact, storage: Storage, organisation_name: str
) -> tuple[IO[bytes], dict[str, int]]:
    """The contact's ZIP in a temporary file (positioned at its start; the caller closes it,
    which deletes it) and how many rows and files of each kind it holds (for the audit log).
    A media file missing from storage is listed in ``missing_files``."""
    found = collect(session, contact)
    data = document(found)
    missing: list[str] = []
    target = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", summary(found, organisation_name))
        for media, name, key in found.media_keys():
            path = media_path(media.id, name, key)
            try:
                chunks = storage.stream(key)
            except FileNotFoundError:
                missing.append(path)
                continue
            # Clips are compressed already: stored as they are.
            with archive.open(zipfile.ZipInfo(path, _zip_time()), "w", force_zip64=True) as out:
                for chunk in chunks:
                    out.write(chunk)
        data["missing_files"] = missing
        archive.writestr(
            "contact.json", json.dumps(data, ensure_ascii=False, indent=2, default=str)
        )
    target.seek(0)
    counts = {
        "answers": len(found.answers),
        "media_files": sum(1 for _ in found.media_keys()) - len(missing),
        "messages_sent": len(found.outbound),
        "messages_received": len(found.inbound),
    }
    return target, counts


def _zip_time() -> tuple[int, int, int, int, int, int]:
    now = dt.datetime.now(dt.UTC)
    return (now.year, now.month, now.day, now.hour, now.minute, now.second)


def filename(contact: Contact) -> str:
    """The download's name: ``contact-<id>-<date>.zip`` (no name: it may not be ASCII)."""
    return f"contact-{contact.id}-{dt.date.today().isoformat()}.zip"
