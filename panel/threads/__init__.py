"""Threads: every answer opens a conversation owned by the person who asked; replies reach the
tenant over the channel they used, and their follow-ups land in the same thread."""

from panel.core.rooms import Room

room = Room(
    "threads",
    models=("panel.threads.models",),
    demo=("panel.threads.demo:seed_demo_threads",),
)
