"""Placing a question where tenants are: embed, QR flyer, links, area blasts, triggers."""

from panel.core.rooms import Room

room = Room(
    "touchpoints",
    models=("touchpoints.models",),
    blueprints=("touchpoints.public:bp",),
)
