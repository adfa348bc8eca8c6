"""The dev mailbox: what the embedded outboxes would have sent, for the demo and developers."""

from panel.core.i18n import lazy_text as _l
from panel.core.rooms import NavItem, Room

room = Room(
    "dev",
    blueprints=("panel.dev.views:bp",),
    nav=(NavItem("dev.outbox", _l("Outbox"), order=95, outbox_only=True),),
)
