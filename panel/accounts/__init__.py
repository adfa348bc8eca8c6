"""Users with roles, logins, invitations, password resets and API tokens."""

from flask_babel import lazy_gettext as _l

from panel.core.rooms import NavItem, Room

room = Room(
    "accounts",
    models=("panel.accounts.models",),
    blueprints=("panel.accounts.views:bp",),
    tasks=("panel.accounts.tasks",),
    nav=(NavItem("accounts.users", _l("Team"), order=90, admins_only=True),),
)
