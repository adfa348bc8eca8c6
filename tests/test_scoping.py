"""Organisation scoping in the session: reads and writes of a scoped session stay in its
organisation, whatever way the ORM is asked; a session given no organisation touches no
organisation's rows unless it says so (it fails closed)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.contacts.models import ConsentEvent, Contact
from panel.core.extensions import db
from panel.core.scoping import (
    ALL_ORGS_OPTION,
    CrossOrganisationError,
    UnscopedAccessError,
    all_organisations,
    current_organisation_id,
    organisation_of,
    scope_session,
    scoped_to,
)
from panel.organisations.models import Organisation
from panel.places.models import Place, PlaceKind


@dataclass
class Org:
    id: int
    place_id: int
    contact_id: int


def _organisation(session: Session, name: str) -> Org:
    org = Organisation(name=name, slug=f"{name.lower()}-scoping", default_language="sv")
    session.add(org)
    session.flush()
    place = Place(organisation_id=org.id, kind=PlaceKind.AREA, name=name, path=name)
    session.add(place)
    session.flush()
    contact = Contact(organisation_id=org.id, email=f"tenant@{name.lower()}.example", name=name)
    contact.place_id = place.id
    session.add(contact)
    session.flush()
    return Org(org.id, place.id, contact.id)


@pytest.fixture
def orgs(db_session: Session) -> tuple[Org, Org]:
    """Organisations A and B with a place and a contact each; the session starts empty."""
    a = _organisation(db_session, "Alfa")
    b = _organisation(db_session, "Beta")
    db_session.commit()
    db_session.expunge_all()  # as in a request: nothing loaded before the scope is set
    return a, b


def test_a_session_spanning_organisations_sees_every_organisation(
    db_session: Session, orgs
) -> None:
    a, b = orgs
    ids = set(db_session.scalars(sa.select(Contact.id)))  # the test's session is the system
    assert {a.contact_id, b.contact_id} <= ids
    assert current_organisation_id(db_session) is None


@pytest.fixture
def unscoped(app, orgs) -> Iterator[Session]:
    """A session of its own with no organisation, as a task or CLI command starts with."""
    with app.app_context():
        session = db.session()
        yield session
        session.rollback()


def test_an_unscoped_query_raises(unscoped: Session) -> None:
    for statement in (
        sa.select(Contact),
        sa.select(Contact.id),
        sa.select(sa.func.count(Contact.id)),
        sa.select(Place).join(Contact, Contact.place_id == Place.id),
        sa.update(Contact).values(name="x"),
        sa.delete(ConsentEvent),
    ):
        with pytest.raises(UnscopedAccessError):
            unscoped.execute(statement)
        unscoped.rollback()


def test_an_unscoped_get_raises_even_from_the_identity_map(unscoped: Session, orgs) -> None:
    a, _b = orgs
    with scoped_to(unscoped, a.id):
        loaded = unscoped.get(Contact, a.contact_id)
    assert loaded is not None
    with pytest.raises(UnscopedAccessError):
        unscoped.get(Contact, a.contact_id)


def test_an_unscoped_write_raises(unscoped: Session, orgs) -> None:
    a, _b = orgs
    unscoped.add(Contact(organisation_id=a.id, email="new@alfa.example"))
    with pytest.raises(UnscopedAccessError):
        unscoped.flush()
    unscoped.rollback()
    with scoped_to(unscoped, a.id):
        contact = unscoped.get(Contact, a.contact_id)
    contact.name = "changed outside the scope"
    with pytest.raises(UnscopedAccessError):
        unscoped.flush()


def test_saying_so_lets_an_unscoped_session_span_organisations(unscoped: Session, orgs) -> None:
    a, b = orgs
    explicit = sa.select(Contact.id).execution_options(all_organisations=True)
    assert {a.contact_id, b.contact_id} <= set(unscoped.scalars(explicit))
    with all_organisations(unscoped):
        assert {a.contact_id, b.contact_id} <= set(unscoped.scalars(sa.select(Contact.id)))
    with pytest.raises(UnscopedAccessError):
        unscoped.scalars(sa.select(Contact.id)).all()  # the block is over
    assert organisation_of(unscoped, Contact, b.contact_id) == b.id


def test_following_a_loaded_row_needs_no_scope(unscoped: Session, orgs) -> None:
    a, _b = orgs
    contact = unscoped.scalar(
        sa.select(Contact)
        .where(Contact.id == a.contact_id)
        .execution_options(all_organisations=True)
    )
    unscoped.expire(contact, ["consents"])
    assert contact.consents == []  # a lazy load from the row: no further than the row reaches
    unscoped.refresh(contact)
    assert contact.organisation_id == a.id


def test_tables_of_no_organisation_need_no_scope(unscoped: Session, orgs) -> None:
    names = set(unscoped.scalars(sa.select(Organisation.name)))
    assert {"Alfa", "Beta"} <= names


def test_select_returns_only_the_organisation_rows(db_session: Session, orgs) -> None:
    a, b = orgs
    with scoped_to(db_session, a.id):
        contacts = db_session.scalars(sa.select(Contact)).all()
        ids = set(db_session.scalars(sa.select(Contact.id)))
        count = db_session.scalar(sa.select(sa.func.count(Contact.id)))
        by_id = db_session.scalar(sa.select(Contact).where(Contact.id == b.contact_id))
        joined = db_session.scalars(sa.select(Place).join(Contact, Contact.place_id == Place.id))

        assert {c.organisation_id for c in contacts} == {a.id}
        assert ids == {a.contact_id}
        assert count == 1
        assert by_id is None
        assert {p.id for p in joined} == {a.place_id}


def test_get_does_not_load_another_organisation_row(db_session: Session, orgs) -> None:
    a, b = orgs
    with scoped_to(db_session, a.id):
        assert db_session.get(Contact, b.contact_id) is None
        assert db_session.get(Place, b.place_id) is None
        assert db_session.get(Contact, a.contact_id) is not None


def test_relationship_loads_stop_at_the_organisation_border(db_session: Session, orgs) -> None:
    a, b = orgs
    # Rows that point across the border (which the app never writes) must still not load.
    db_session.execute(
        sa.update(Contact).where(Contact.id == a.contact_id).values(place_id=b.place_id)
    )
    db_session.execute(sa.update(Place).where(Place.id == b.place_id).values(parent_id=a.place_id))
    db_session.add(
        ConsentEvent(
            organisation_id=b.id, contact_id=a.contact_id, channel="email", basis="consent",
            method="api", text="B's consent text",
        )
    )  # fmt: skip
    db_session.commit()
    db_session.expunge_all()

    with scoped_to(db_session, a.id):
        contact = db_session.get(Contact, a.contact_id)
        area = db_session.get(Place, a.place_id)

        assert contact.place is None  # joined eager load
        assert contact.consents == []  # lazy load of a collection
        assert area.children == []  # self-referencing collection


def test_bulk_update_and_delete_touch_only_the_organisation(db_session: Session, orgs) -> None:
    a, b = orgs
    with scoped_to(db_session, a.id):
        db_session.execute(sa.update(Contact).values(name="renamed"))
        missed = db_session.execute(
            sa.update(Contact).where(Contact.id == b.contact_id).values(name="renamed")
        )
        assert missed.rowcount == 0
        db_session.execute(sa.delete(Place).where(Place.id == b.place_id))
        db_session.execute(sa.delete(ConsentEvent))
        db_session.commit()

    names = dict(db_session.execute(sa.select(Contact.id, Contact.name)).all())
    assert names[a.contact_id] == "renamed"
    assert names[b.contact_id] == "Beta"
    assert db_session.get(Place, b.place_id) is not None


def test_a_new_row_is_stamped_with_the_organisation(db_session: Session, orgs) -> None:
    a, _b = orgs
    with scoped_to(db_session, a.id):
        contact = Contact(email="new@alfa.example")
        db_session.add(contact)
        db_session.flush()

        assert contact.organisation_id == a.id


def test_writing_a_row_of_another_organisation_raises(db_session: Session, orgs) -> None:
    a, b = orgs
    with scoped_to(db_session, a.id):
        db_session.add(Contact(organisation_id=b.id, email="sneaky@beta.example"))
        with pytest.raises(CrossOrganisationError):
            db_session.flush()
        db_session.rollback()


def test_moving_a_row_to_another_organisation_raises(db_session: Session, orgs) -> None:
    a, b = orgs
    with scoped_to(db_session, a.id):
        contact = db_session.get(Contact, a.contact_id)
        contact.organisation_id = b.id
        with pytest.raises(CrossOrganisationError):
            db_session.flush()
        db_session.rollback()


def test_changing_or_deleting_a_row_loaded_elsewhere_raises(db_session: Session, orgs) -> None:
    a, b = orgs
    foreign = db_session.get(Contact, b.contact_id)  # loaded while unscoped
    scope_session(db_session, a.id)
    try:
        foreign.name = "changed"
        with pytest.raises(CrossOrganisationError):
            db_session.flush()
        db_session.rollback()

        db_session.delete(db_session.merge(foreign))
        with pytest.raises(CrossOrganisationError):
            db_session.flush()
        db_session.rollback()
    finally:
        scope_session(db_session, None)
    assert db_session.get(Contact, b.contact_id).name == "Beta"


def test_all_organisations_option_is_the_deliberate_way_across(db_session: Session, orgs) -> None:
    a, b = orgs
    with scoped_to(db_session, a.id):
        found = db_session.scalar(
            sa.select(Contact)
            .where(Contact.id == b.contact_id)
            .execution_options(**{ALL_ORGS_OPTION: True})
        )
        assert found is not None and found.organisation_id == b.id


def test_scoped_to_restores_the_previous_scope(db_session: Session, orgs) -> None:
    a, b = orgs
    scope_session(db_session, b.id)
    try:
        with scoped_to(db_session, a.id):
            assert current_organisation_id(db_session) == a.id
        assert current_organisation_id(db_session) == b.id
    finally:
        scope_session(db_session, None)
    assert current_organisation_id(db_session) is None


def test_get_from_identity_map_honours_the_scope(db_session):
    """A row loaded before the session was scoped is not handed out by get() afterwards."""
    from panel.contacts.models import Contact
    from panel.core.scoping import scope_session
    from tests.factories import ContactFactory, OrganisationFactory

    mine, theirs = OrganisationFactory(), OrganisationFactory()
    other = ContactFactory(organisation=theirs)
    assert db_session.get(Contact, other.id) is other  # unscoped: loaded into the identity map
    scope_session(db_session, mine.id)
    try:
        assert db_session.get(Contact, other.id) is None
        assert (
            db_session.get(Contact, other.id, execution_options={"all_organisations": True})
            is other
        )
    finally:
        scope_session(db_session, None)
