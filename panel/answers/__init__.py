"""Answers: one tenant's reply to one question, by any channel, stored before anything else
happens to it; the tenant's thank-you page and their own page ``/me/<token>``."""

from panel.core.rooms import ApiBlueprint, Periodic, Room

room = Room(
    "answers",
    models=("panel.answers.models",),
    blueprints=("panel.answers.public:bp",),
    api=(ApiBlueprint("panel.answers.api:blp", "answers"),),
    demo=("panel.answers.demo:seed_demo_answers",),
    tasks=("panel.answers.tasks",),
    periodic=(Periodic("answers-arrivals-missed", "panel.answers.tasks.arrivals_missed", 300.0),),
)
