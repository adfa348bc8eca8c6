"""Talking to people: message templates, the outbox and its delivery in batches, e-mail, SMS and
voice channels, provider webhooks and the seam for inbound messages.

Knows nothing of questions or tenants. Of ``panel`` it uses only the ground floor,
``panel.core``. ``messages.queue`` is the one way the rest of Stoop sends a message (and
``messages.queue_bulk`` a bulk one: opt-outs honoured, List-Unsubscribe on every e-mail);
``inbound.register_handler`` the one way it hears back (SMS, calls, and e-mail replies through
``email_inbound``); ``optouts`` the seams through which the domain hears of opt-outs (SMS
STOP/START, unsubscribe links). ``throttle`` caps SMS per sender.
"""

from panel.core.rooms import Periodic, Room

room = Room(
    "notifications",
    models=("notifications.models",),
    blueprints=(
        "notifications.webhooks:bp",
        "notifications.email_inbound:bp",
        "notifications.messages:bp",
        "notifications.unsubscribe:bp",
    ),
    # Webhooks are authenticated by their signature (inbound e-mail by its secret),
    # unsubscribe links by their token (and mail providers' one-click POSTs carry no CSRF
    # token).
    csrf_exempt=(
        "notifications.webhooks:bp",
        "notifications.email_inbound:bp",
        "notifications.unsubscribe:bp",
    ),
    tasks=("notifications.tasks",),
    periodic=(Periodic("deliver-due-messages", "notifications.tasks.deliver_due", 30.0),),
)
