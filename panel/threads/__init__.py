"""Threads: every answer opens a conversation owned by the person who asked; replies reach the
tenant over the channel they used, and their follow-ups land in the same thread."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import ApiBlueprint, NavItem, Periodic, Room

room = Room(
    "threads",
    models=("panel.threads.models",),
    # Inbound e-mail finds a thread's organisation by its reply address's token.
    # A clip's transcript joins its thread's search text.
    setup=("panel.threads.inbound:init_app", "panel.threads.transcripts:init_app"),
    demo=("panel.threads.demo:seed_demo_threads",),
    api=(ApiBlueprint("panel.threads.api:blp", "threads"),),
    blueprints=(
        "panel.threads.inbox_views:inbox_bp",
        "panel.threads.views:bp",
        "panel.threads.saved_reply_views:bp",
        "panel.threads.team_views:team_bp",
    ),
    nav=(
        NavItem(
            "inbox.index",
            _l("Inbox"),
            order=15,
            badge="panel.threads.inbox:nav_badge",
            sections=("threads",),
        ),
    ),
    tasks=("panel.threads.tasks",),
    periodic=(Periodic("send-thread-digests", "panel.threads.tasks.send_digests", 900.0),),
)
