"""Privacy and trust: the audit log, a contact's data exported and erased, retention, and the
security rules every page follows."""

from panel.core.rooms import Room

room = Room(
    "privacy",
    models=("panel.privacy.models",),
    setup=("panel.privacy.audit:install_guard",),
)
