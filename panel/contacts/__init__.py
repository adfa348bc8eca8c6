"""Contacts (tenants) and their consent log."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import ApiBlueprint, NavItem, Room

room = Room(
    "contacts",
    models=("panel.contacts.models",),
    blueprints=("panel.contacts.views:bp",),
    api=(ApiBlueprint("panel.contacts.api:blp", "contacts"),),
    nav=(NavItem("contacts.index", _l("Contacts"), order=30),),
    setup=("panel.contacts.reach:init_app",),
)
