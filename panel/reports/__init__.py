"""Insight reports: figures computed in the database from the answers a communicator picks
(questions, touchpoints, dates, places, segments), charts drawn on the server, themes, quotes
and clips with consent, a highlight reel to play or render as an MP4, and sharing by link, PDF,
e-mail and CSV/XLSX; composite indices, and an anonymous benchmark across organisations."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import NavItem, Periodic, Room

room = Room(
    "reports",
    models=("panel.reports.models",),
    blueprints=("panel.reports.views:bp", "panel.reports.reel_views:bp"),
    tasks=("panel.reports.reel_tasks",),
    periodic=(
        # A render whose task was lost is queued again; one whose worker died is failed.
        Periodic("reports-render-missed-reels", "panel.reports.reel_tasks.render_missed", 300.0),
    ),
    # The demo report (panel.reports.demo:seed_demo_report, on the report pages' branch) must
    # come before the reel's render, which renders that report's clips.
    demo=("panel.reports.reel_demo:render_demo_reel",),
    nav=(
        NavItem(
            "reports.index",
            _l("Reports"),
            order=38,
            sections=("actions", "newsletters", "reels", "report_shares"),
        ),
    ),
)
