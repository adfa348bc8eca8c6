"""The place tree: area → building → stairwell."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import ApiBlueprint, NavItem, Room

room = Room(
    "places",
    models=("panel.places.models",),
    blueprints=("panel.places.views:bp",),
    api=(ApiBlueprint("panel.places.api:blp", "places"),),
    nav=(NavItem("places.index", _l("Places"), order=40),),
)
