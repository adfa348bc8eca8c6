"""Who said "no more" on which channel, and the seams through which the domain hears of it.

An opt-out is a row of ``opt_out`` per organisation, channel and address, with the contact when
one is known. Every bulk message (``notifications.messages.queue_bulk``) is checked against it:
a recipient whose contact or address opted out of the channel is not queued. Transactional
messages (a password reset, a join confirmation code) are not bulk and are never held back.

People opt out by SMS (STOP and its Swedish and Dutch words, ``notifications.webhooks``), by an
unsubscribe link (``notifications.unsubscribe``) or through staff. Notifications knows nothing
of contacts, so the domain registers three things on the app:

- :func:`register_contact_finder` — finds the contact behind an address (who sent STOP, and in
  which language to answer them);
- :func:`register_opt_out_listener` — hears of every change (the contacts room writes its
  consent log);
- :func:`register_unsubscribe_handler` — reacts to an unsubscribe from one list, by the list
  key's prefix (the panels room marks the member as having left ``panel-12``).

Each change runs the listeners in the caller's transaction: the opt-out and what the domain
records of it commit together, or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask, current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from notifications.models import Channel, OptOut
from panel.core.db import utcnow
from panel.core.scoping import ALL_ORGS_OPTION

log = logging.getLogger(__name__)

FINDER_KEY = "notifications.contact_finder"
LISTENERS_KEY = "notifications.opt_out_listeners"
UNSUBSCRIBE_KEY = "notifications.unsubscribe_handlers"
METHODS = ("sms_keyword", "unsubscribe_link", "one_click", "staff", "api", "import")
BULK_CHANNELS = (Channel.EMAIL, Channel.SMS)
TABLE = OptOut.__table__

# Whole-message keywords (case and surrounding whitespace do not matter). English as carriers
# and Twilio use them; Swedish and Dutch as tenants write them.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
    | {"STOPP", "SLUTA", "AVSLUTA"}
    | {"STOPPEN", "AFMELDEN"}
)
START_WORDS = frozenset({"START", "UNSTOP", "YES", "STARTA", "AANMELDEN"})


@dataclass(frozen=True)
class Person:
    """What the domain tells notifications about the contact behind an address."""

    contact_id: int
    language: str | None = None


@dataclass(frozen=True)
class OptOutChange:
    """One change of someone's opt-out on a channel, as listeners hear it. ``opted_out`` False
    is an opt-in again (START). ``detail`` is the keyword or the list key."""

    organisation_id: int
    channel: Channel
    address: str
    contact_id: int | None
    opted_out: bool
    method: str
    detail: str = ""


ContactFinder = Callable[[Session, int, Channel, str], Person | None]
OptOutListener = Callable[[Session, OptOutChange], None]
UnsubscribeHandler = Callable[[Session, int | None, str], None]


def register_contact_finder(app: Flask, finder: ContactFinder) -> None:
    """Make ``finder(session, organisation_id, channel, address)`` the way to find the contact
    behind an address (None when there is none). It runs scoped to the organisation."""
    app.extensions[FINDER_KEY] = finder


def register_opt_out_listener(app: Flask, listener: OptOutListener) -> None:
    """Add ``listener(session, change)``: it hears of every opt-out and opt-in, scoped to the
    organisation, in the transaction that records it."""
    app.extensions.setdefault(LISTENERS_KEY, []).append(listener)


def register_unsubscribe_handler(app: Flask, prefix: str, handler: UnsubscribeHandler) -> None:
    """Call ``handler(session, contact_id, list_key)`` when someone unsubscribes from a list
    whose key starts with ``prefix`` (``"panel-"``). Lists without a handler still opt the
    contact out of bulk e-mail; with one, they do that too."""
    app.extensions.setdefault(UNSUBSCRIBE_KEY, {})[prefix] = handler


def _app() -> Flask:
    return current_app._get_current_object()  # type: ignore[attr-defined]


def find_person(
    session: Session, organisation_id: int, channel: Channel, address: str
) -> Person | None:
    """The contact behind ``address``, as the registered finder says (None without one)."""
    finder: ContactFinder | None = _app().extensions.get(FINDER_KEY)
    return finder(session, organisation_id, channel, address) if finder else None


def keyword(body: str) -> str | None:
    """``"stop"`` or ``"start"`` when the whole message is one of their words, else None."""
    word = " ".join(body.split()).upper()
    if word in STOP_WORDS:
        return "stop"
    if word in START_WORDS:
        return "start"
    return None


def opt_out(
    session: Session,
    organisation_id: int,
    channel: Channel,
    address: str,
    *,
    contact_id: int | None = None,
    method: str,
    detail: str = "",
    notify: bool = True,
) -> bool:
    """Record that ``address`` (and its contact) wants no more bulk messages on ``channel``,
    and tell the listeners (unless ``notify`` is False: the domain recorded it itself, as a
    withdrawal in the consent log). Returns False, changing nothing, when it was recorded
    before."""
    _check(channel, method)
    values = {
        "organisation_id": organisation_id,
        "channel": channel,
        "address": address,
        "contact_id": contact_id,
        "method": method,
        "detail": detail[:120],
        "opted_out_at": utcnow(),
    }
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    written = session.scalar(
        insert(TABLE)
        .values(values)
        .on_conflict_do_nothing(index_elements=["organisation_id", "channel", "address"])
        .returning(TABLE.c.id)
    )
    if written is None:
        # The address had opted out before: a repeat, unless a contact found since is to be
        # linked to it (news for that contact's consent log).
        linked = session.execute(
            sa.update(TABLE)
            .where(_one(organisation_id, channel, address), TABLE.c.contact_id.is_(None))
            .values(contact_id=contact_id)
            .returning(TABLE.c.id)
        ).first()
        if contact_id is None or linked is None:
            return False
    if notify:
        change = OptOutChange(organisation_id, channel, address, contact_id, True, method, detail)
        _tell(session, change)
    return True


def opt_in(
    session: Session,
    organisation_id: int,
    channel: Channel,
    address: str,
    *,
    contact_id: int | None = None,
    method: str,
    detail: str = "",
) -> bool:
    """Undo the opt-outs of ``address`` and of its contact on ``channel`` (START), and tell the
    listeners. Returns False when there was none."""
    _check(channel, method)
    whose = TABLE.c.address == address
    if contact_id is not None:
        whose = sa.or_(whose, TABLE.c.contact_id == contact_id)
    gone = session.scalars(
        sa.delete(TABLE)
        .where(
            TABLE.c.organisation_id == organisation_id,
            TABLE.c.channel == channel,
            whose,
        )
        .returning(TABLE.c.id)
    ).all()
    if not gone:
        return False
    change = OptOutChange(organisation_id, channel, address, contact_id, False, method, detail)
    _tell(session, change)
    return True


@dataclass(frozen=True)
class Suppressed:
    """One organisation's opt-outs on one channel: the contacts and the addresses."""

    contact_ids: frozenset[int]
    addresses: frozenset[str]

    def holds(self, contact_id: int | None, address: str) -> bool:
        """True when a message to ``address`` (for ``contact_id``) must not be queued."""
        return address in self.addresses or (
            contact_id is not None and contact_id in self.contact_ids
        )


def suppressed(session: Session, organisation_id: int, channel: Channel) -> Suppressed:
    """Everyone who opted out of ``channel`` in the organisation, read in one query (a list of
    hundreds at most, where a send may have ten thousand recipients)."""
    rows = session.execute(
        sa.select(TABLE.c.contact_id, TABLE.c.address).where(
            TABLE.c.organisation_id == organisation_id, TABLE.c.channel == channel
        )
    ).all()
    return Suppressed(
        frozenset(row.contact_id for row in rows if row.contact_id is not None),
        frozenset(row.address for row in rows),
    )


def opt_outs_of(
    session: Session,
    organisation_id: int,
    *,
    contact_ids: Iterable[int] = (),
    addresses: Iterable[str] = (),
) -> list[OptOut]:
    """The opt-outs of these contacts or addresses (a contact page, the contacts API)."""
    ids, known = list(contact_ids), [a for a in addresses if a]
    conditions = []
    if ids:
        conditions.append(OptOut.contact_id.in_(ids))
    if known:
        conditions.append(OptOut.address.in_(known))
    if not conditions:
        return []
    return list(
        session.scalars(
            sa.select(OptOut)
            .where(OptOut.organisation_id == organisation_id, sa.or_(*conditions))
            .order_by(OptOut.opted_out_at)
            .execution_options(**{ALL_ORGS_OPTION: True})
        )
    )


def unsubscribe_handler(list_key: str) -> UnsubscribeHandler | None:
    """The handler registered for the longest prefix of ``list_key``, if any."""
    handlers: dict[str, UnsubscribeHandler] = _app().extensions.get(UNSUBSCRIBE_KEY, {})
    matching = [prefix for prefix in handlers if list_key.startswith(prefix)]
    return handlers[max(matching, key=len)] if matching else None


def _one(organisation_id: int, channel: Channel, address: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        TABLE.c.organisation_id == organisation_id,
        TABLE.c.channel == channel,
        TABLE.c.address == address,
    )


def _check(channel: Channel, method: str) -> None:
    if channel not in BULK_CHANNELS:
        raise ValueError(f"no opt-outs on {channel}")
    if method not in METHODS:
        raise ValueError(f"unknown opt-out method {method!r}")


def _tell(session: Session, change: OptOutChange) -> None:
    log.info(
        "organisation %s: %s %s on %s (%s)",
        change.organisation_id,
        "contact " + str(change.contact_id) if change.contact_id else "an address",
        "opted out" if change.opted_out else "opted in again",
        change.channel,
        change.method,
    )
    for listener in _app().extensions.get(LISTENERS_KEY, []):
        listener(session, change)
