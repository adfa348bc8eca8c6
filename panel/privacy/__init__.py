"""Privacy and trust: the audit log, a contact's data exported and erased, retention, and the
security rules every page follows."""

from panel.core.rooms import Periodic, Room

room = Room(
    "privacy",
    models=("panel.privacy.models",),
    blueprints=("panel.privacy.erasure_views:bp",),
    tasks=("panel.privacy.tasks",),
    periodic=(
        Periodic("privacy-erasures-left-over", "panel.privacy.tasks.erasures_left_over", 600.0),
    ),
)
