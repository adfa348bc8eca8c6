"""Insight reports: figures computed in the database from the answers a communicator picks
(questions, touchpoints, dates, places, segments), charts drawn on the server, themes, quotes
and clips with consent, a highlight reel to play or render as an MP4, and sharing by link, PDF,
e-mail and CSV/XLSX; composite indices, and an anonymous benchmark across organisations."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import ApiBlueprint, NavItem, Room

room = Room(
    "reports",
    models=("panel.reports.models",),
    blueprints=("panel.reports.views:bp",),
    api=(ApiBlueprint("panel.reports.api:blp", "reports"),),
    nav=(
        NavItem(
            "reports.index",
            _l("Reports"),
            order=38,
            sections=("actions", "newsletters", "reels", "report_shares"),
        ),
    ),
)
