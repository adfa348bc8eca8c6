"""The bulk upsert behind imports and the API: matching, idempotency, conflicts, isolation."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel.contacts.bulk import UpsertItem, upsert_contacts
from panel.contacts.models import ConsentEvent, Contact
from panel.contacts.service import ConsentInput
from panel.core.extensions import db
from panel.core.scoping import UnscopedAccessError, all_organisations, scoped_to
from tests.factories import ContactFactory, OrganisationFactory

CONSENT = ConsentInput(basis="consent", text="Ja tack", text_version="2026-01")


def items(count=5):
    return [
        UpsertItem(
            {"name": f"Hyresgäst {i}", "email": f"h{i}@example.se", "phone": f"+4670100000{i}"},
            CONSENT,
        )
        for i in range(count)
    ]


def test_creates_then_changes_nothing_the_second_time(scoped, organisation):
    first = upsert_contacts(scoped, organisation, items(), method="api")
    assert (first.created, first.updated, first.unchanged, first.failed) == (5, 0, 0, 0)
    assert all(first.ids)

    second = upsert_contacts(scoped, organisation, items(), method="api")
    assert (second.created, second.updated, second.unchanged) == (0, 0, 5)
    assert second.ids == first.ids
    assert scoped.scalar(sa.select(sa.func.count(Contact.id))) == 5
    assert scoped.scalar(sa.select(sa.func.count(ConsentEvent.id))) == 5
    contact = scoped.get(Contact, first.ids[0])
    assert (contact.organisation_id, contact.language, contact.tags) == (organisation.id, "sv", [])


def test_updates_only_what_changed_and_logs_a_new_consent(scoped, organisation):
    upsert_contacts(scoped, organisation, items(2), method="api")
    changed = [
        UpsertItem({"email": "h0@example.se", "tags": ["panel"]}, CONSENT),
        UpsertItem({"email": "h1@example.se"}, ConsentInput(basis="consent", granted=False)),
    ]
    result = upsert_contacts(scoped, organisation, changed, method="csv")
    assert (result.updated, result.unchanged) == (2, 0)
    contact = scoped.scalar(sa.select(Contact).where(Contact.email == "h0@example.se"))
    scoped.refresh(contact)
    assert (contact.name, contact.tags) == ("Hyresgäst 0", ["panel"])
    methods = scoped.scalars(sa.select(ConsentEvent.method).order_by(ConsentEvent.id)).all()
    assert methods == ["api", "api", "csv"]


def test_matches_by_phone_when_the_email_is_new(scoped, organisation):
    (existing,) = upsert_contacts(scoped, organisation, items(1), method="api").ids
    result = upsert_contacts(
        scoped,
        organisation,
        [UpsertItem({"email": "new@example.se", "phone": "+46701000000"})],
        method="api",
    )
    assert (result.updated, result.ids) == (1, [existing])
    assert scoped.scalar(sa.select(Contact.email).where(Contact.id == existing)) == "new@example.se"


def test_items_that_cannot_be_told_apart_fail_with_their_index(scoped, organisation):
    upsert_contacts(scoped, organisation, items(3), method="api")
    result = upsert_contacts(
        scoped,
        organisation,
        [
            UpsertItem({"email": "h0@example.se", "phone": "+46701000002"}),  # two contacts
            UpsertItem({"email": "x@example.se"}),
            UpsertItem({"email": "x@example.se", "name": "again"}),  # same as item 1
            UpsertItem({"name": "nobody"}),  # no way to reach
            UpsertItem({"phone": "+46701000001", "email": "y@example.se"}),
            UpsertItem({"email": "h1@example.se"}),  # matches the contact item 4 matched
        ],
        method="api",
    )
    assert result.outcomes == ["failed", "created", "failed", "failed", "updated", "failed"]
    failed = {index: message for index, _field, message in result.errors}
    assert "belongs to contact" in failed[0]
    assert "Item 1 has the same e-mail address" in failed[2]
    assert "e-mail address or a phone number" in failed[3]
    assert "Item 4 already matches the same contact" in failed[5]


def test_other_organisations_are_neither_matched_nor_changed(db_session, organisation):
    other = OrganisationFactory()
    theirs = ContactFactory(organisation=other, email="h0@example.se", name="Theirs")
    with scoped_to(db_session, organisation.id):
        result = upsert_contacts(db_session, organisation, items(1), method="api")
        assert result.created == 1
    db_session.refresh(theirs)
    assert theirs.name == "Theirs"
    assert db_session.scalar(sa.select(sa.func.count(Contact.id))) == 2


def test_an_unscoped_session_cannot_upsert_at_all(app, db_session, organisation):
    """A background import or CLI command that forgot to scope itself fails loudly."""
    with app.app_context():
        fresh = db.session()  # a session of its own, like a task's: no organisation
        with pytest.raises(UnscopedAccessError):
            upsert_contacts(fresh, organisation, items(1), method="csv")
        fresh.rollback()


def test_a_system_wide_session_still_never_touches_another_organisation(db_session, organisation):
    """Even where a session may see every organisation (a sweep), the upsert filters by the
    organisation it was given: A's import of an address B also has creates A's own contact."""
    other = OrganisationFactory()
    theirs = ContactFactory(organisation=other, email="h0@example.se", name="Theirs")
    with all_organisations(db_session):
        first = upsert_contacts(db_session, organisation, items(1), method="api")
        changed = [UpsertItem({"email": "h0@example.se", "name": "Ours, renamed"}, CONSENT)]
        second = upsert_contacts(db_session, organisation, changed, method="api")
        db_session.commit()
    assert (first.created, second.updated) == (1, 1)
    db_session.refresh(theirs)
    assert (theirs.name, theirs.organisation_id) == ("Theirs", other.id)
    ours = db_session.get(Contact, first.ids[0])
    assert (ours.name, ours.organisation_id) == ("Ours, renamed", organisation.id)
