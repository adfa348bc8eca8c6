"""Placing a question where tenants are: embed, QR flyer, links, area blasts, triggers."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import ApiBlueprint, NavItem, Periodic, Room

room = Room(
    "touchpoints",
    models=("touchpoints.models",),
    blueprints=("touchpoints.public:bp", "touchpoints.views:bp", "touchpoints.themes:bp"),
    api=(
        ApiBlueprint("touchpoints.api:blp", "touchpoints"),
        ApiBlueprint("touchpoints.trigger:blp", "touchpoints"),
    ),
    tasks=("touchpoints.tasks",),
    # Visits counted in Redis reach the funnel's table (a no-op without Redis).
    periodic=(Periodic("flush-funnel-counts", "touchpoints.tasks.flush_funnel", 30.0),),
    nav=(
        NavItem("touchpoints.index", _l("Touchpoints"), order=25, sections=("touchpoint_themes",)),
    ),
    # The answers room asks which question a placement shows (an SMS reply, a voice number).
    setup=("touchpoints.phone:init_app",),
    demo=("touchpoints.demo:seed_demo_touchpoints",),
)
