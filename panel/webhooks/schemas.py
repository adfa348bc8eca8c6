"""The API's shapes of webhooks: ``/api/v1/webhooks`` and each webhook's delivery log.

A webhook's address is of the format ``webhook-url``: an http(s) URL that the guard accepts,
which depends on the installation (production takes only https to public servers), so the
document names the format and the server says what is wrong with one it refuses (422).
"""

from __future__ import annotations

import json
from typing import Any

from marshmallow import Schema, fields, validate

from panel.core.api.schemas import Flag, Formatted, Text
from panel.core.pagination import page_schema
from panel.webhooks.events import EVENTS
from panel.webhooks.guard import MAX_URL
from panel.webhooks.models import DeliveryState, DisabledReason
from panel.webhooks.service import MAX_DESCRIPTION

URL_RULE = (
    "Where Stoop POSTs events: an https URL of a server on the public internet (plain http "
    "and private addresses only outside production)."
)
EVENTS_RULE = "The events to send, each once: " + ", ".join(EVENTS)


def _url(**kwargs: Any) -> Formatted:
    return Formatted(
        format="webhook-url",
        max_length=MAX_URL,
        metadata={
            "description": URL_RULE,
            "example": "https://crm.example.se/hooks/stoop",
        },
        **kwargs,
    )


def _events(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(EVENTS)),
        validate=validate.Length(1, len(EVENTS)),
        metadata={"description": EVENTS_RULE, "uniqueItems": True},
        **kwargs,
    )


def _description(**kwargs: Any) -> Text:
    return Text(
        validate=validate.Length(max=MAX_DESCRIPTION),
        metadata={"description": "What the receiving system is, for people"},
        **kwargs,
    )


class WebhookSchema(Schema):
    id = fields.Integer(dump_only=True)
    url = fields.String(dump_only=True)
    description = fields.String(dump_only=True)
    events = fields.List(fields.String(), dump_only=True)
    active = fields.Boolean(attribute="is_active", dump_only=True)
    disabled_at = fields.DateTime(dump_only=True, allow_none=True)
    disabled_reason = fields.String(
        dump_only=True,
        allow_none=True,
        metadata={"enum": [r.value for r in DisabledReason], "description": "Why it is off"},
    )
    failure_streak = fields.Integer(
        dump_only=True, metadata={"description": "Deliveries failed for good since the last 2xx"}
    )
    failing_since = fields.DateTime(dump_only=True, allow_none=True)
    last_success_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class WebhookCreatedSchema(WebhookSchema):
    secret = fields.String(
        dump_only=True,
        metadata={"description": "The signing secret. Keep it: it is shown only this once."},
    )


class WebhookInSchema(Schema):
    url = _url(required=True)
    events = _events(required=True)
    description = _description(load_default="")


class WebhookPatchSchema(Schema):
    url = _url()
    events = _events()
    description = _description()
    active = Flag(metadata={"description": "false switches it off; true back on"})


class AttemptSchema(Schema):
    attempted_at = fields.DateTime()
    status_code = fields.Integer(allow_none=True, metadata={"description": "null: no answer"})
    error = fields.String(allow_none=True)
    duration_ms = fields.Integer()


class WebhookDeliverySchema(Schema):
    id = fields.String(attribute="uuid", metadata={"description": "The Stoop-Delivery header"})
    event = fields.String()
    state = fields.String(metadata={"enum": [s.value for s in DeliveryState]})
    attempts = fields.Integer()
    created_at = fields.DateTime()
    next_attempt_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    last_status = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    payload = fields.Function(
        lambda delivery: json.loads(delivery.body),
        metadata={"type": "object", "description": "The body sent, as JSON"},
    )
    log = fields.List(fields.Nested(AttemptSchema), metadata={"description": "Every attempt"})


WebhookPageSchema = page_schema(WebhookSchema, "WebhookPage")
DeliveryPageSchema = page_schema(WebhookDeliverySchema, "WebhookDeliveryPage")
