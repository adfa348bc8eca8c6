"""factory_boy factories for the models, bound to the current app context's session.

Rows are committed (inside the test's outer transaction, so they vanish after the test).
"""

from __future__ import annotations

import itertools
from typing import Any

import factory
from factory.alchemy import SQLAlchemyModelFactory
from sqlalchemy.orm import Session

from panel.accounts.models import Role, User
from panel.accounts.passwords import hash_password
from panel.contacts.models import Contact
from panel.core.extensions import db
from panel.core.scoping import ALL_ORGS_KEY
from panel.organisations.models import Organisation
from panel.places.models import Place, PlaceKind

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


def system_session() -> Session:
    """The current app context's session, allowed to read and write every organisation: a
    test's own set-up and checks act as the system (code under test runs in its own sessions,
    which fail closed)."""
    session = db.session()
    session.info[ALL_ORGS_KEY] = True
    return session


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = system_session
        sqlalchemy_session_persistence = "commit"


class OrganisationFactory(Base):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Bostadsbolaget {n}")
    slug = factory.Sequence(lambda n: f"org-{n}-{next(_counter)}")
    default_language = "sv"
    settings = factory.LazyFunction(dict)


class UserFactory(Base):
    class Meta:
        model = User

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"user{n}-{next(_counter)}@example.org")
    name = factory.Sequence(lambda n: f"Staff Member {n}")
    role = Role.STAFF
    locale = "en"
    password_hash = factory.LazyFunction(lambda: hash_password(PASSWORD))

    class Params:
        admin = factory.Trait(role=Role.ADMIN)
        communicator = factory.Trait(role=Role.COMMUNICATOR)


class PlaceFactory(Base):
    class Meta:
        model = Place

    class Params:
        # Place has no ``organisation`` relationship: take the organisation, set its id.
        organisation = factory.SubFactory(OrganisationFactory)

    organisation_id = factory.SelfAttribute("organisation.id")
    kind = PlaceKind.AREA
    name = factory.Sequence(lambda n: f"Område {n}")
    path = factory.LazyAttribute(lambda o: o.name)


class ContactFactory(Base):
    class Meta:
        model = Contact

    class Params:
        # Contact has no ``organisation`` relationship: take the organisation, set its id.
        organisation = factory.SubFactory(OrganisationFactory)

    organisation_id = factory.SelfAttribute("organisation.id")
    name = factory.Sequence(lambda n: f"Tenant {n}")
    email = factory.Sequence(lambda n: f"tenant{n}-{next(_counter)}@example.net")
    phone = None
    language = "sv"
    tags = factory.LazyFunction(list)


def login(client: Any, user: User, password: str = PASSWORD) -> Any:
    """Log in through the real login form (the test app has CSRF off)."""
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    return response


def api_headers(user: User, name: str = "test") -> dict[str, str]:
    """Authorization headers with a fresh API token for ``user``."""
    from panel.accounts.tokens import create_token

    session = system_session()
    _row, secret = create_token(session, user, name)
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def make_panel(organisation: Organisation, name: str = "Tillsammans", **kwargs: Any) -> Any:
    """A panel of ``organisation`` with a consent text, made by the service (committed)."""
    from panel.core.scoping import scoped_to
    from panel.panels.service import create_panel

    session = system_session()
    kwargs.setdefault("description", "Hyresgäster som vill tycka till om sitt boende.")
    kwargs.setdefault(
        "consent_text", "Jag vill vara med i panelen och få frågor via e-post och sms."
    )
    with scoped_to(session, organisation.id):
        panel = create_panel(session, organisation, name=name, **kwargs)
        session.commit()
    return panel
