"""Privacy and trust: the audit log, a contact's data exported and erased, retention, and the
security rules every page follows."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import NavItem, Periodic, Room

room = Room(
    "privacy",
    models=("panel.privacy.models",),
    blueprints=(
        "panel.privacy.audit_views:bp",
        "panel.privacy.retention_views:bp",
        "panel.privacy.erasure_views:bp",
    ),
    tasks=("panel.privacy.tasks", "panel.privacy.erasure_tasks"),
    periodic=(
        Periodic("privacy-retention", "panel.privacy.tasks.apply_retention", 24 * 3600.0),
        Periodic(
            "privacy-erasures-left-over", "panel.privacy.erasure_tasks.erasures_left_over", 600.0
        ),
    ),
    nav=(
        NavItem("audit.index", _l("Audit log"), order=93, admins_only=True),
        NavItem(
            "privacy.erasures",
            _l("Erasures"),
            order=91,
            admins_only=True,
            badge="panel.privacy.erasure_views:nav_badge",
        ),
    ),
    setup=("panel.privacy.audit:install_guard",),
)
