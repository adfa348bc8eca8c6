"""The staff app's landing page and the site root."""

from flask_babel import lazy_gettext as _l

from panel.core.rooms import NavItem, Room

room = Room(
    "home",
    blueprints=("panel.home.views:bp",),
    nav=(NavItem("home.dashboard", _l("Overview"), order=10),),
)
