"""Newsletters back to tenants ("you said, we did") by e-mail and SMS, through the outbox."""

from panel.core.rooms import Room

room = Room("newsletters", models=("panel.newsletters.models",))
