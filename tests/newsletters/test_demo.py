"""The demo's newsletter: sent in Swedish to the demo panel, its messages in the outbox."""

from __future__ import annotations

import sqlalchemy as sa

from notifications.models import OutboundMessage
from panel.contacts.demo import seed_directory
from panel.core.scoping import scoped_to
from panel.newsletters.demo import TITLE, seed_demo_newsletter
from panel.newsletters.models import Newsletter
from panel.panels.demo import seed_demo_panel
from tests.factories import UserFactory


def test_the_demo_newsletter(db_session, organisation):
    UserFactory(organisation=organisation, role="communicator")
    seed_directory(db_session, organisation)
    seed_demo_panel(db_session, organisation)
    seed_demo_newsletter(db_session, organisation)
    db_session.commit()
    with scoped_to(db_session, organisation.id):
        newsletter = db_session.scalar(sa.select(Newsletter))
        assert newsletter.title == TITLE and newsletter.language == "sv"
        assert newsletter.status == "sent" and newsletter.recipients > 200
        written = db_session.scalar(
            sa.select(sa.func.count()).where(OutboundMessage.ref == f"newsletter:{newsletter.id}")
        )
        assert written == newsletter.recipients
