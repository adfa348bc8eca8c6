"""Upserting many contacts at once: the engine of CSV imports and ``POST /contacts/bulk``.

Matched by e-mail, else by phone. Built to stay fast for 10,000 contacts a call on PostgreSQL:
existing contacts are read with a few ``IN (...)`` queries, new ones written with one bulk
INSERT, changed ones with one executemany UPDATE, and consent entries with one more INSERT; no
ORM object is made per row. Running the same batch twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.contacts.models import ConsentEvent, Contact
from panel.contacts.reach import honour_withdrawals
from panel.contacts.service import EDITABLE, ConsentInput, consent_differs, default_language
from panel.core.db import utcnow
from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l
from panel.organisations.models import Organisation

LOOKUP_CHUNK = 2_000  # values per IN (...): well under SQLite's and psycopg's parameter limits
_COLUMNS = ("id", *EDITABLE)


@dataclass
class UpsertItem:
    """One contact to upsert: cleaned values (only those to set) and an optional consent."""

    values: dict[str, Any]
    consent: ConsentInput | None = None


@dataclass
class UpsertResult:
    """What happened to each item (by its index in the batch)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    ids: list[int | None] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)  # created | updated | unchanged | failed
    # (index, field, message)
    errors: list[tuple[int, str, LazyText]] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o == "failed")


def _chunks(values: Sequence[str], size: int = LOOKUP_CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _existing(
    session: Session, organisation_id: int, column: Any, values: set[str]
) -> dict[str, dict[str, Any]]:
    """The organisation's contacts (as plain dicts) whose ``column`` is one of ``values``.

    Filtered by organisation here, not only by the session's scope: the ids found are written
    to by a bulk UPDATE that no session criteria reach.
    """
    found: dict[str, dict[str, Any]] = {}
    ordered = sorted(values)
    for chunk in _chunks(ordered):
        rows = session.execute(
            sa.select(*(getattr(Contact, c) for c in _COLUMNS)).where(
                Contact.organisation_id == organisation_id, column.in_(chunk)
            )
        ).mappings()
        for row in rows:
            found[row[column.key]] = dict(row)
    return found


def _latest_consents(
    session: Session, organisation_id: int, contact_ids: Sequence[int]
) -> dict[int, Any]:
    """The newest consent entry of each of the given contacts."""
    latest: dict[int, Any] = {}
    for chunk in _chunks(sorted(contact_ids)):
        newest = (
            sa.select(sa.func.max(ConsentEvent.id))
            .where(
                ConsentEvent.organisation_id == organisation_id,
                ConsentEvent.contact_id.in_(chunk),
            )
            .group_by(ConsentEvent.contact_id)
        )
        rows = session.execute(
            sa.select(
                ConsentEvent.contact_id,
                ConsentEvent.granted,
                ConsentEvent.basis,
                ConsentEvent.channel,
                ConsentEvent.text,
                ConsentEvent.text_version,
            ).where(ConsentEvent.id.in_(newest))
        )
        for row in rows:
            latest[row.contact_id] = row
    return latest


def item_label(index: int) -> LazyText:
    """How an API item is called in messages: "Item 3"."""
    return _l("Item %(index)s", index=index)


def row_label(number: int) -> LazyText:
    """How a CSV row is called in messages: "Row 12"."""
    return _l("Row %(number)s", number=number)


def _same_as(key: str, earlier: LazyText, value: str) -> LazyText:
    if key == "email":
        return _l("%(item)s has the same e-mail address %(value)s.", item=earlier, value=value)
    return _l("%(item)s has the same phone number %(value)s.", item=earlier, value=value)


class _Batch:
    """The working state of one upsert: what was matched, created and changed."""

    def __init__(
        self,
        organisation: Organisation,
        items: Sequence[UpsertItem],
        labels: Sequence[LazyText] | None,
    ) -> None:
        self.organisation = organisation
        self.items = items
        self.labels = labels
        self.result = UpsertResult(ids=[None] * len(items), outcomes=["failed"] * len(items))
        self.inserts: list[tuple[int, dict[str, Any]]] = []
        self.updates: list[tuple[int, dict[str, Any]]] = []
        self.claimed: dict[int, int] = {}  # contact id → index of the item that matched it

    def fail(self, index: int, field_name: str, message: LazyText) -> None:
        self.result.errors.append((index, field_name, message))

    def name(self, index: int) -> LazyText:
        """How messages call an item: "Item 3" (API), "Row 12" (CSV)."""
        return self.labels[index] if self.labels else item_label(index)


def _duplicates_in_batch(batch: _Batch) -> set[int]:
    """Items whose e-mail or phone an earlier item of the batch already has."""
    first: dict[tuple[str, str], int] = {}
    dropped: set[int] = set()
    for index, item in enumerate(batch.items):
        for key in ("email", "phone"):
            value = item.values.get(key)
            if value is None:
                continue
            earlier = first.setdefault((key, value), index)
            if earlier != index and index not in dropped:
                batch.fail(index, key, _same_as(key, batch.name(earlier), value))
                dropped.add(index)
    return dropped


def _match(batch: _Batch, index: int, by_email: dict, by_phone: dict) -> dict | bool | None:
    """The existing contact an item matches, None for a new one, False when it cannot be told."""
    values = batch.items[index].values
    email_hit = by_email.get(values.get("email")) if values.get("email") else None
    phone_hit = by_phone.get(values.get("phone")) if values.get("phone") else None
    if email_hit and phone_hit and email_hit["id"] != phone_hit["id"]:
        batch.fail(
            index,
            "phone",
            _l(
                "The e-mail address belongs to contact #%(email_contact)s and the phone number "
                "to contact #%(phone_contact)s; change one of them by hand first.",
                email_contact=email_hit["id"],
                phone_contact=phone_hit["id"],
            ),
        )
        return False
    hit = email_hit or phone_hit
    if hit is None:
        return None
    if (other := batch.claimed.setdefault(hit["id"], index)) != index:
        message = _l(
            "%(item)s already matches the same contact #%(id)s.",
            item=batch.name(other),
            id=hit["id"],
        )
        batch.fail(index, "email", message)
        return False
    return hit


def _plan(batch: _Batch, index: int, existing: dict | None) -> None:
    item = batch.items[index]
    if existing is None:
        row = {
            "organisation_id": batch.organisation.id,
            "name": None,
            "email": None,
            "phone": None,
            "language": default_language(batch.organisation),
            "place_id": None,
            "tags": [],
            "age_band": None,
            "external_ref": None,
        }
        row.update(item.values)
        if not row["email"] and not row["phone"]:
            batch.fail(index, "email", _l("Give an e-mail address or a phone number (or both)."))
            return
        batch.inserts.append((index, row))
        return
    changed = {k: v for k, v in item.values.items() if existing.get(k) != v}
    batch.result.ids[index] = existing["id"]
    if changed:
        batch.updates.append((index, existing | changed))
    else:
        batch.result.outcomes[index] = "unchanged"


def _write_inserts(session: Session, batch: _Batch) -> None:
    if not batch.inserts:
        return
    now = utcnow()
    rows = [row | {"created_at": now, "updated_at": now} for _, row in batch.inserts]
    ids = session.scalars(
        sa.insert(Contact).returning(Contact.id, sort_by_parameter_order=True), rows
    ).all()
    for (index, _row), contact_id in zip(batch.inserts, ids, strict=True):
        batch.result.ids[index] = contact_id
        batch.result.outcomes[index] = "created"


def _write_updates(session: Session, batch: _Batch) -> None:
    if not batch.updates:
        return
    # One executemany, keyed by id *and* organisation: a bulk UPDATE by primary key bypasses
    # the session's organisation criteria, so the statement carries its own.
    table = Contact.__table__
    statement = (
        sa.update(table)
        .where(
            table.c.id == sa.bindparam("match_id"),
            table.c.organisation_id == sa.bindparam("match_organisation_id"),
        )
        .values({name: sa.bindparam(name) for name in EDITABLE})
    )
    rows = [
        {
            **{name: row[name] for name in EDITABLE},
            "match_id": row["id"],
            "match_organisation_id": batch.organisation.id,
        }
        for _, row in batch.updates
    ]
    session.execute(statement, rows)
    for index, _row in batch.updates:
        batch.result.outcomes[index] = "updated"


def _write_consents(session: Session, batch: _Batch, method: str, user_id: int | None) -> None:
    with_consent = [
        i
        for i, item in enumerate(batch.items)
        if item.consent is not None and batch.result.outcomes[i] != "failed"
    ]
    if not with_consent:
        return
    known = [batch.result.ids[i] for i in with_consent if batch.result.outcomes[i] != "created"]
    latest = _latest_consents(session, batch.organisation.id, [i for i in known if i is not None])
    now = utcnow()
    rows = []
    for index in with_consent:
        consent = batch.items[index].consent
        contact_id = batch.result.ids[index]
        assert consent is not None and contact_id is not None
        if not consent_differs(latest.get(contact_id), consent):
            continue
        rows.append(
            {
                "organisation_id": batch.organisation.id,
                "contact_id": contact_id,
                "channel": consent.channel,
                "granted": consent.granted,
                "basis": consent.basis,
                "method": method,
                "text": consent.text,
                "text_version": consent.text_version,
                "recorded_at": now,
                "recorded_by_id": user_id,
            }
        )
        if batch.result.outcomes[index] == "unchanged":
            batch.result.outcomes[index] = "updated"  # its consent log changed
    if rows:
        session.execute(sa.insert(ConsentEvent), rows)
        _honour_withdrawals(session, batch.organisation.id, rows, method)


def _honour_withdrawals(
    session: Session, organisation_id: int, rows: list[dict[str, Any]], method: str
) -> None:
    """Withdrawals in the log are opt-outs too (sends honour them)."""
    withdrawn = {row["contact_id"]: row["channel"] for row in rows if not row["granted"]}
    if not withdrawn:
        return
    found = session.execute(
        sa.select(Contact.id, Contact.email, Contact.phone).where(
            Contact.organisation_id == organisation_id, Contact.id.in_(list(withdrawn))
        )
    ).all()
    honour_withdrawals(
        session,
        organisation_id,
        [(row.id, row.email, row.phone, withdrawn[row.id]) for row in found],
        method=method,
    )


def _plan_each_lookup(session: Session) -> None:
    """On PostgreSQL, plan this transaction's statements with their actual values.

    psycopg prepares a statement run five times, and PostgreSQL may then keep a generic plan
    made while the table was still small: a first import of 100,000 contacts would look every
    batch up with a sequential scan of the growing table. Custom plans use the index.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SET LOCAL plan_cache_mode = force_custom_plan"))


def upsert_contacts(
    session: Session,
    organisation: Organisation,
    items: Sequence[UpsertItem],
    *,
    method: str,
    user_id: int | None = None,
    labels: Sequence[LazyText] | None = None,
) -> UpsertResult:
    """Create or update each item's contact, in the session's transaction (not committed).

    Items that cannot be applied (a duplicate within the batch, an e-mail of one contact with
    the phone of another, no way to reach the contact) are reported in ``errors`` and skipped.
    ``labels`` name the items in messages (default "Item <index>").
    """
    batch = _Batch(organisation, items, labels)
    _plan_each_lookup(session)
    skip = _duplicates_in_batch(batch)
    emails = {i.values["email"] for i in items if i.values.get("email")}
    phones = {i.values["phone"] for i in items if i.values.get("phone")}
    by_email = _existing(session, organisation.id, Contact.email, emails)
    by_phone = _existing(session, organisation.id, Contact.phone, phones)
    for index in range(len(items)):
        if index in skip:
            continue
        existing = _match(batch, index, by_email, by_phone)
        if existing is not False:
            _plan(batch, index, existing or None)
    _write_inserts(session, batch)
    _write_updates(session, batch)
    _write_consents(session, batch, method, user_id)
    result = batch.result
    result.errors.sort(key=lambda error: (error[0], error[1]))
    for outcome in ("created", "updated", "unchanged"):
        setattr(result, outcome, result.outcomes.count(outcome))
    return result
