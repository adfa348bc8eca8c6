"""Sends: a live question to a panel or a segment by e-mail and SMS, with personal links,
reminders and a live progress view."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import ApiBlueprint, NavItem, Periodic, Room

room = Room(
    "sends",
    models=("panel.sends.models",),
    blueprints=("panel.sends.views:bp", "panel.sends.public:bp"),
    api=(
        ApiBlueprint("panel.sends.api:panel_sends", "panels"),
        ApiBlueprint("panel.sends.api:sends", "sends"),
    ),
    tasks=("panel.sends.tasks",),
    periodic=(
        Periodic("start-due-sends", "panel.sends.tasks.start_due", 60.0),
        Periodic("send-reminders", "panel.sends.tasks.remind", 900.0),
    ),
    nav=(NavItem("sends.index", _l("Sends"), order=37),),
    demo=("panel.sends.demo:seed_demo_sends",),
)
