"""Users with roles, logins, invitations, password resets and API tokens."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import NavItem, Room

room = Room(
    "accounts",
    models=("panel.accounts.models",),
    blueprints=("panel.accounts.views:bp",),
    tasks=("panel.accounts.tasks",),
    setup=("panel.accounts.guard:init_app",),
    nav=(NavItem("accounts.users", _l("Team"), order=90, admins_only=True),),
)
