"""Organisations: the housing companies, each an island of its own data."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import NavItem, Room

room = Room(
    "organisations",
    models=("panel.organisations.models",),
    blueprints=("panel.organisations.views:bp",),
    nav=(NavItem("organisations.settings", _l("Settings"), order=92, admins_only=True),),
    setup=("panel.organisations.brand:init_templates",),
    demo=(
        "panel.organisations.demo:seed_demo_brand",
        "panel.organisations.demo:seed_demo_phone_number",
    ),
)
