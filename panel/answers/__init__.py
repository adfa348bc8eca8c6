"""Answers: one tenant's reply to one question, by any channel, stored before anything else
happens to it; the tenant's thank-you page and their own page ``/me/<token>``."""

from panel.core.rooms import ApiBlueprint, Room

room = Room(
    "answers",
    models=("panel.answers.models",),
    blueprints=("panel.answers.public:bp",),
    api=(ApiBlueprint("panel.answers.api:blp", "answers"),),
    demo=("panel.answers.demo:seed_demo_answers",),
)
