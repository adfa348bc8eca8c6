"""Privacy and trust: the audit log, a contact's data exported and erased, retention, and the
security rules every page follows."""

from panel.core.rooms import ApiBlueprint, Room

room = Room(
    "privacy",
    models=("panel.privacy.models",),
    blueprints=("panel.privacy.views:bp",),
    api=(ApiBlueprint("panel.privacy.api:blp", "contacts"),),
    setup=("panel.privacy.audit:install_guard",),
)
