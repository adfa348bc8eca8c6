"""Threads: every answer opens a conversation owned by the person who asked; replies reach the
tenant over the channel they used, and their follow-ups land in the same thread."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import NavItem, Room

room = Room(
    "threads",
    models=("panel.threads.models",),
    blueprints=("panel.threads.inbox_views:inbox_bp",),
    nav=(
        NavItem(
            "inbox.index",
            _l("Inbox"),
            order=15,
            badge="panel.threads.inbox:nav_badge",
            sections=("threads",),
        ),
    ),
    demo=("panel.threads.demo:seed_demo_threads",),
)
