"""Imports every room's models so the metadata is complete (app factory, Alembic, tests)."""

from media.models import MediaFile
from notifications.models import InboundMessage, OutboundMessage
from panel.accounts.models import ApiToken, Organisation, User
from panel.contacts.models import ConsentEvent, Contact
from panel.db import Base
from panel.places.models import Place
from panel.questions.models import Question
from touchpoints.models import Touchpoint

__all__ = [
    "ApiToken",
    "Base",
    "ConsentEvent",
    "Contact",
    "InboundMessage",
    "MediaFile",
    "Organisation",
    "OutboundMessage",
    "Place",
    "Question",
    "Touchpoint",
    "User",
]
