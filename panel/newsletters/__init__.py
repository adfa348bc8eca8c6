"""Newsletters back to tenants ("you said, we did") by e-mail and SMS, through the outbox."""

from panel.core.rooms import Periodic, Room

room = Room(
    "newsletters",
    models=("panel.newsletters.models",),
    blueprints=("panel.newsletters.views:bp", "panel.newsletters.public:bp"),
    tasks=("panel.newsletters.tasks",),
    periodic=(Periodic("resume-newsletters", "panel.newsletters.tasks.resume", 300.0),),
    demo=("panel.newsletters.demo:seed_demo_newsletter",),
)
