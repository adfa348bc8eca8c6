"""Talking to people: e-mail, SMS and voice channels, the outbox and provider webhooks.

Knows nothing of questions or tenants. Of ``panel`` it uses only the ground floor,
``panel.core``.
"""

from panel.core.rooms import Periodic, Room

room = Room(
    "notifications",
    models=("notifications.models",),
    blueprints=("notifications.webhooks:bp",),
    csrf_exempt=("notifications.webhooks:bp",),
    tasks=("notifications.tasks",),
    periodic=(Periodic("deliver-due-messages", "notifications.tasks.deliver_due", 30.0),),
)
