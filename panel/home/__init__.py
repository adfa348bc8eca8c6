"""The staff app's landing page and the site root."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import NavItem, Room

room = Room(
    "home",
    blueprints=("panel.home.views:bp",),
    nav=(NavItem("home.dashboard", _l("Overview"), order=10),),
)
