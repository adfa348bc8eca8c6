"""Threads: every answer opens a conversation owned by the person who asked; replies reach the
tenant over the channel they used, and their follow-ups land in the same thread."""

from panel.core.rooms import Periodic, Room

room = Room(
    "threads",
    models=("panel.threads.models",),
    blueprints=("panel.threads.team_views:team_bp",),
    tasks=("panel.threads.tasks",),
    periodic=(Periodic("send-thread-digests", "panel.threads.tasks.send_digests", 900.0),),
)
