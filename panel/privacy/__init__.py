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
        "panel.privacy.erasure_views:bp",
    ),
    api=(ApiBlueprint("panel.privacy.api:blp", "contacts"),),
    tasks=("panel.privacy.tasks", "panel.privacy.erasure_tasks"),
    periodic=(
        Periodic("privacy-retention", "panel.privacy.tasks.apply_retention", 24 * 3600.0),
        Periodic(
            "privacy-erasures-left-over", "panel.privacy.erasure_tasks.erasures_left_over", 600.0
        ),
    ),
    # The audit log and past erasures are reached from Settings; the menu shows "Erasures" only
    # while tenants' requests wait for an admin.
    nav=(
        NavItem(
            "privacy.erasures",
            _l("Erasures"),
            order=91,
            admins_only=True,
            badge="panel.privacy.erasure_views:nav_badge",
            badge_only=True,
        ),
    ),
    setup=("panel.privacy.audit:install_guard", "panel.privacy.retention:setup"),
)
