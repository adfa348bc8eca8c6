"""Privacy and trust: the audit log, a contact's data exported and erased, retention, and the
security rules every page follows."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import ApiBlueprint, NavItem, Periodic, Room

room = Room(
    "privacy",
    models=("panel.privacy.models",),
    blueprints=(
        "panel.privacy.views:bp",
        "panel.privacy.audit_views:bp",
        "panel.privacy.retention_views:bp",
    ),
    api=(ApiBlueprint("panel.privacy.api:blp", "contacts"),),
    tasks=("panel.privacy.tasks",),
    periodic=(Periodic("privacy-retention", "panel.privacy.tasks.apply_retention", 24 * 3600.0),),
    nav=(NavItem("audit.index", _l("Audit log"), order=93, admins_only=True),),
    setup=("panel.privacy.audit:install_guard", "panel.privacy.retention:setup"),
)
