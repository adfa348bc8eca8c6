"""The demo seed: organisation "Demo Bostäder", three logins, places, contacts, questions and
the panel "Tillsammans".

Later features extend :func:`seed_demo` so every page of the demo has real content.
"""

from __future__ import annotations

import sqlalchemy as sa

from panel.accounts.models import Role
from panel.accounts.service import create_user
from panel.core.extensions import db
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.organisations.service import create_organisation

DEMO_ORG_NAME = "Demo Bostäder"
DEMO_LOGINS = (
    ("admin", "admin@demobostader.se", "stoop-demo-admin"),
    ("staff", "anna@demobostader.se", "stoop-demo-staff"),
    ("communicator", "kim@demobostader.se", "stoop-demo-comms"),
)
DEMO_NAMES = {"admin": "Maria Lindqvist", "staff": "Anna Berg", "communicator": "Kim Holm"}


def seed_demo() -> bool:
    """Seed the demo organisation into an empty database. Returns False if it was there."""
    session = db.session()
    if session.scalar(sa.select(Organisation).where(Organisation.name == DEMO_ORG_NAME)):
        return False
    organisation = create_organisation(session, DEMO_ORG_NAME, language="sv")
    with scoped_to(session, organisation.id):
        for role, email, password in DEMO_LOGINS:
            create_user(
                session,
                organisation,
                email,
                Role(role),
                password,
                name=DEMO_NAMES[role],
                locale="en",
            )
        seed_places_and_contacts(session, organisation)
        seed_questions(session, organisation)
        seed_panels(session, organisation)
        seed_rooms(session, organisation)
        session.commit()
    return True


def seed_places_and_contacts(session: sa.orm.Session, organisation: Organisation) -> None:
    """3 areas of 4 buildings of 3 stairwells, and 300 contacts spread over them."""
    from panel.contacts.demo import seed_directory

    seed_directory(session, organisation)


def seed_questions(session: sa.orm.Session, organisation: Organisation) -> None:
    """Questions in every state (draft, live, closed, a refused video), with real videos."""
    from panel.questions.demo import seed_demo_questions

    seed_demo_questions(session, organisation)


def seed_panels(session: sa.orm.Session, organisation: Organisation) -> None:
    """The panel "Tillsammans": 240 members joined over six months, two segments."""
    from panel.panels.demo import seed_demo_panel

    seed_demo_panel(session, organisation)


def seed_rooms(session: sa.orm.Session, organisation: Organisation) -> None:
    """What each room adds to the demo (``Room.demo``): rooms above panel, such as touchpoints,
    seed themselves without panel naming them."""
    from panel.app import ROOMS
    from panel.core.rooms import load_rooms, resolve

    for room in load_rooms(ROOMS):
        for target in room.demo:
            resolve(target)(session, organisation)
