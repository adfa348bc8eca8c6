"""Outbound webhooks: other systems of the organisation (a CRM, a case system) registered for
events (``answer.created``, ``thread.replied``, ``comment.created``, ``send.finished``) get a
signed POST for each, with retries, a delivery log, and a guard against requests to private
networks. Rooms send events with :func:`panel.webhooks.service.emit`."""

from panel.core.rooms import ApiBlueprint, Periodic, Room

room = Room(
    "webhooks",
    models=("panel.webhooks.models",),
    blueprints=("panel.webhooks.views:bp",),
    api=(ApiBlueprint("panel.webhooks.api:blp", "webhooks"),),
    tasks=("panel.webhooks.tasks",),
    periodic=(Periodic("webhooks-deliver-due", "panel.webhooks.tasks.deliver_due", 30.0),),
)
