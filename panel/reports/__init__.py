"""Insight reports: figures computed in the database from the answers a communicator picks
(questions, touchpoints, dates, places, segments), charts drawn on the server, themes, quotes
and clips with consent, a highlight reel to play or render as an MP4, and sharing by link, PDF,
e-mail and CSV/XLSX; composite indices, and an anonymous benchmark across organisations."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import ApiBlueprint, NavItem, Periodic, Room

room = Room(
    "reports",
    models=("panel.reports.models",),
    blueprints=(
        "panel.reports.views:bp",
        "panel.reports.views:themes_bp",
        "panel.reports.index_views:bp",
        "panel.reports.share_views:bp",
        "panel.reports.public:bp",
        "panel.reports.reel_views:bp",
    ),
    api=(ApiBlueprint("panel.reports.api:blp", "reports"),),
    tasks=("panel.reports.tasks", "panel.reports.reel_tasks", "panel.reports.export_tasks"),
    periodic=(
        # The benchmark across organisations: this quarter to date and the last, every 6 hours.
        Periodic("refresh-benchmark", "panel.reports.tasks.refresh_benchmark", 6 * 3600.0),
        # A reel render whose task was lost is queued again; one whose worker died is failed.
        Periodic("reports-render-missed-reels", "panel.reports.reel_tasks.render_missed", 300.0),
        # The answers' rollup (PostgreSQL): rows of changes merged into one row per key.
        Periodic("reports-compact-rollup", "panel.reports.tasks.compact_rollup", 300.0),
        # Prepared exports: files past their day deleted, lost ones queued again.
        Periodic("reports-sweep-exports", "panel.reports.export_tasks.sweep_exports", 600.0),
    ),
    nav=(
        NavItem(
            "reports.index",
            _l("Reports"),
            order=38,
            sections=(
                "actions",
                "newsletters",
                "reels",
                "report_shares",
                "report_indices",
                "report_themes",
            ),
        ),
    ),
    # The demo report first: the reel's render renders that report's clips.
    demo=("panel.reports.demo:seed_demo_report", "panel.reports.reel_demo:render_demo_reel"),
)
