"""Answers in the reader's language: offline machine translation of what tenants wrote or said
into the staff member's language, and of a reply back into the tenant's, always shown beside the
original and marked as a machine translation."""

from panel.core.rooms import Room

room = Room(
    "language",
    models=("panel.language.models",),
    # A clip's transcript, once made or corrected, is translated for the staff ahead of time.
    setup=("panel.language.ahead:init_app",),
    tasks=("panel.language.tasks",),
)
