"""Panels: opt-in groups of contacts, their members, segments, consent texts and join pages."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import ApiBlueprint, NavItem, Room

room = Room(
    "panels",
    models=("panel.panels.models",),
    blueprints=("panel.panels.views:bp", "panel.panels.public:bp"),
    api=(ApiBlueprint("panel.panels.api:blp", "panels"),),
    nav=(NavItem("panels.index", _l("Panels"), order=35),),
    setup=("panel.panels.reach:init_app",),
)
