"""The demo organisation has a brand: its colour and a drawn logo, shown by its e-mails and
served at its public URL."""

from __future__ import annotations

import io

import sqlalchemy as sa
from PIL import Image

from notifications.brand import Logo
from notifications.models import OutboundMessage
from notifications.senders import sender_identity
from panel.core.scoping import scoped_to
from panel.organisations.demo import DEMO_COLOUR
from panel.organisations.models import Organisation
from panel.seed import DEMO_ORG_NAME, seed_demo
from tests.factories import system_session


def test_the_demo_organisation_has_a_colour_and_a_logo(app, db_session):
    assert seed_demo()
    session = system_session()
    organisation = session.scalar(sa.select(Organisation).where(Organisation.name == DEMO_ORG_NAME))
    logo = Logo.from_settings(organisation.settings)
    identity = sender_identity(session, organisation.id, app.config["STOOP"])

    assert identity.colour == DEMO_COLOUR
    assert identity.logo_url == app.config["STOOP"].base_url + logo.path(organisation.slug)
    served = app.test_client().get(logo.path(organisation.slug))
    assert served.status_code == 200
    image = Image.open(io.BytesIO(served.data))
    assert image.format == "PNG" and image.height <= 120 and image.width <= 480
    with scoped_to(session, organisation.id):
        mail = session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.channel == "email").limit(5)
        ).all()
    assert mail, "the demo has e-mails"
    for message in mail:
        assert identity.logo_url in (message.body_html or "")
