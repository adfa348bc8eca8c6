"""Talking to people: message templates, the outbox and its delivery in batches, e-mail, SMS and
voice channels, provider webhooks and the seam for inbound messages.

Knows nothing of questions or tenants. Of ``panel`` it uses only the ground floor,
``panel.core``. ``messages.queue`` is the one way the rest of Stoop sends a message;
``inbound.register_handler`` the one way it hears back.
"""

from panel.core.rooms import Periodic, Room

room = Room(
    "notifications",
    models=("notifications.models",),
    blueprints=("notifications.webhooks:bp", "notifications.messages:bp"),
    csrf_exempt=("notifications.webhooks:bp",),
    tasks=("notifications.tasks",),
    periodic=(Periodic("deliver-due-messages", "notifications.tasks.deliver_due", 30.0),),
)
