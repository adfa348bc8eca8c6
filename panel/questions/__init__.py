"""Questions: what staff ask tenants, with an optional recorded video, and its life cycle."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import ApiBlueprint, NavItem, Periodic, Room

room = Room(
    "questions",
    models=("panel.questions.models",),
    blueprints=("panel.questions.views:bp",),
    api=(ApiBlueprint("panel.questions.api:blp", "questions"),),
    tasks=("panel.questions.tasks",),
    periodic=(Periodic("close-due-questions", "panel.questions.tasks.close_due", 60.0),),
    nav=(NavItem("questions.index", _l("Questions"), order=20, sections=("themes",)),),
)
