"""Action plans: action items tied to a report and a place, who is responsible by when, their
status and comments, a list per area office, reminders before the due date, and a printable
wall poster of an area's plan."""

from panel.core.rooms import ApiBlueprint, Periodic, Room

room = Room(
    "actions",
    models=("panel.actions.models",),
    blueprints=("panel.actions.views:bp",),
    api=(ApiBlueprint("panel.actions.api:blp", "action-items"),),
    tasks=("panel.actions.tasks",),
    # Hourly: a reminder goes out within the hour its day comes (the claim keeps it to one).
    periodic=(Periodic("action-reminders", "panel.actions.tasks.send_reminders", 3600.0),),
    demo=("panel.actions.demo:seed_demo_actions",),
)
