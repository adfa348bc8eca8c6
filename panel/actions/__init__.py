"""Action plans: action items tied to a report and a place, who is responsible by when, their
status and comments, a list per area office, reminders before the due date, and a printable
wall poster of an area's plan."""

from panel.core.rooms import Room

room = Room("actions", models=("panel.actions.models",))
