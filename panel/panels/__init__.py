"""Panels: opt-in groups of contacts, their members, segments, consent texts and join pages."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import ApiBlueprint, NavItem, Periodic, Room

room = Room(
    "panels",
    models=("panel.panels.models",),
    blueprints=("panel.panels.views:bp", "panel.panels.public:bp"),
    api=(ApiBlueprint("panel.panels.api:blp", "panels"),),
    tasks=("panel.panels.tasks",),
    periodic=(Periodic("forget-expired-joins", "panel.panels.tasks.forget_expired_joins", 3600.0),),
    nav=(NavItem("panels.index", _l("Panels"), order=35),),
    setup=("panel.panels.reach:init_app",),
)
