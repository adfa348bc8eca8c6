"""The ``.eml`` outbox folder: how files are named, and reading them back.

In the embedded default every e-mail is written to ``Settings.outbox_dir`` instead of being sent.
The dev mailbox page and tests read it through :func:`list_mail` and :func:`read_mail`. A file
is named ``<UTC time>-<organisation id>-<message id>.eml``, so names sort oldest first and the
page can show an organisation only its own mail without opening every file.
"""

from __future__ import annotations

import datetime as dt
import email
import os
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import cast

NAME_PATTERN = re.compile(r"^(?P<stamp>\d{8}T\d{12})Z-(?P<org>\d+)-(?P<message>\d+)\.eml$")
LINK_PATTERN = re.compile(r"https?://[^\s<>\"']+")
SHOWN_HEADERS = frozenset({"from", "to", "subject", "date", "mime-version"})


@dataclass(frozen=True)
class Mail:
    """One e-mail from the outbox, parsed."""

    name: str
    organisation_id: int
    message_id: int
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"] or "")

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def date(self) -> dt.datetime | None:
        raw = self.message["Date"]
        try:
            return parsedate_to_datetime(str(raw)) if raw else None
        except (TypeError, ValueError):
            return None

    @property
    def text(self) -> str:
        """The plain-text part ('' when there is none)."""
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str | None:
        """The HTML part, or None."""
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else None

    @property
    def links(self) -> list[str]:
        """The web links of the text part, in order, each once (a reset link, an invitation)."""
        found = (m.group().rstrip(".,;:!?)") for m in LINK_PATTERN.finditer(self.text))
        return list(dict.fromkeys(found))

    @property
    def extra_headers(self) -> list[tuple[str, str]]:
        """Headers beyond From, To, Subject and Date (Message-ID, Reply-To, List-Unsubscribe)."""
        return [
            (name, str(value))
            for name, value in self.message.items()
            if name.lower() not in SHOWN_HEADERS and not name.lower().startswith("content-")
        ]


def file_name(organisation_id: int, message_id: int, now: dt.datetime) -> str:
    """The outbox file name of one message written at ``now``."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"{stamp}Z-{organisation_id}-{message_id}.eml"


def write_mail(outbox_dir: str | Path, name: str, data: bytes) -> Path:
    """Write one message atomically (a reader never sees half a file)."""
    folder = Path(outbox_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    partial = folder / f".{name}.part"
    partial.write_bytes(data)
    os.replace(partial, target)
    return target


def list_mail(
    outbox_dir: str | Path, *, organisation_id: int | None = None, limit: int | None = None
) -> list[Mail]:
    """The e-mails in the outbox, newest first; only one organisation's when given."""
    folder = Path(outbox_dir)
    if not folder.is_dir():
        return []
    names = sorted((p.name for p in folder.iterdir() if NAME_PATTERN.match(p.name)), reverse=True)
    found: list[Mail] = []
    for name in names:
        if organisation_id is not None and _organisation_of(name) != organisation_id:
            continue
        mail = read_mail(folder, name)
        if mail is not None:
            found.append(mail)
        if limit is not None and len(found) >= limit:
            break
    return found


def read_mail(outbox_dir: str | Path, name: str) -> Mail | None:
    """One e-mail by file name, or None when the name is not an outbox file."""
    match = NAME_PATTERN.match(name)
    path = Path(outbox_dir) / name
    if match is None or not path.is_file():
        return None
    with path.open("rb") as handle:
        # With policy.default the parser builds an EmailMessage (get_body, get_content).
        message = cast(EmailMessage, email.message_from_binary_file(handle, policy=policy.default))
    return Mail(
        name=name,
        organisation_id=int(match["org"]),
        message_id=int(match["message"]),
        message=message,
    )


def delete_mail(outbox_dir: str | Path, organisation_id: int, message_ids: set[int]) -> int:
    """Delete the files of these messages of one organisation (an erasure); returns how many."""
    folder = Path(outbox_dir)
    if not message_ids or not folder.is_dir():
        return 0
    deleted = 0
    for path in folder.iterdir():
        match = NAME_PATTERN.match(path.name)
        if match and int(match["org"]) == organisation_id and int(match["message"]) in message_ids:
            path.unlink(missing_ok=True)
            deleted += 1
    return deleted


def find_mail(outbox_dir: str | Path, *, to: str | None = None) -> list[Mail]:
    """E-mails in the outbox sent to ``to`` (all when None), newest first. For tests and scripts."""
    mails = list_mail(outbox_dir)
    if to is None:
        return mails
    wanted = to.lower()
    return [m for m in mails if wanted in m.to.lower()]


def _organisation_of(name: str) -> int | None:
    match = NAME_PATTERN.match(name)
    return int(match["org"]) if match else None
