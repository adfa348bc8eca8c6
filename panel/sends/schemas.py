"""The API's shapes of sends: ``POST /api/v1/panels/{id}/sends`` and ``/api/v1/sends/{id}``."""

from __future__ import annotations

import datetime as dt

from marshmallow import Schema, fields, validate

from panel.core.api.schemas import Id
from panel.sends.service import CHANNELS, MAX_REMIND_AFTER_DAYS, MAX_REMINDERS


class SendInSchema(Schema):
    question_id = Id(required=True, metadata={"description": "A live question"})
    segment_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "A segment of the panel; null: every active member"},
    )
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)),
        load_default=lambda: ["email", "sms"],
        validate=validate.Length(min=1, max=len(CHANNELS)),
        metadata={
            "description": "The channels in preference order: each member gets the invitation "
            "on the first they can be reached on",
            "uniqueItems": True,
        },
    )
    scheduled_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        default_timezone=dt.UTC,
        metadata={"description": "When to send; null or a moment already past: now"},
    )
    remind_after_days = fields.Integer(
        load_default=None,
        allow_none=True,
        validate=validate.Range(1, MAX_REMIND_AFTER_DAYS),
        metadata={"description": "Remind those who have not answered after this many days"},
    )
    max_reminders = fields.Integer(
        load_default=0,
        validate=validate.Range(0, MAX_REMINDERS),
        metadata={"description": "At most this many reminders (0: none)"},
    )


class SkippedSchema(Schema):
    fatigue = fields.Integer()
    opted_out = fields.Integer()
    no_channel = fields.Integer()
    asked_before = fields.Integer()


class FiguresSchema(Schema):
    invited = fields.Integer()
    skipped = fields.Nested(SkippedSchema)
    skipped_total = fields.Integer()
    queued = fields.Integer()
    sent = fields.Integer()
    delivered = fields.Integer()
    failed = fields.Integer()
    unknown = fields.Integer(
        metadata={"description": "Handed over when a worker died: may or may not have arrived"}
    )
    suppressed = fields.Integer(
        metadata={"description": "Held back: the person opted out after the send queued it"}
    )
    opened = fields.Integer()
    answered = fields.Integer()
    done_percent = fields.Integer()
    finished = fields.Boolean()


class SendSchema(Schema):
    id = fields.Integer(dump_only=True)
    question_id = fields.Integer(dump_only=True)
    panel_id = fields.Integer(dump_only=True)
    segment_id = fields.Integer(dump_only=True, allow_none=True)
    channels = fields.List(fields.String(), dump_only=True)
    status = fields.String(
        dump_only=True, metadata={"enum": ["scheduled", "sending", "sent", "cancelled"]}
    )
    scheduled_at = fields.DateTime(dump_only=True)
    started_at = fields.DateTime(dump_only=True, allow_none=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)
    remind_after_days = fields.Integer(dump_only=True, allow_none=True)
    max_reminders = fields.Integer(dump_only=True)
    figures = fields.Nested(FiguresSchema, dump_only=True)


class SendListSchema(Schema):
    items = fields.List(fields.Nested(SendSchema))
