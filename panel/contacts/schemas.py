"""The API's shapes of contacts: what ``/api/v1/contacts`` reads and writes, every rule stated.

``email`` has the format ``email`` (checked by email-validator, without DNS); ``phone`` has the
format ``phone``: E.164, or a number written as people do in the organisation's country, that
is a number in use in its numbering plan (checked by phonenumbers). A new contact needs one of
the two. What depends on stored data is refused with 404 (an unknown place) or 409 (an e-mail
or phone another contact has; an update that would leave a contact unreachable).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from panel.contacts.phones import MAX_INPUT_LENGTH as MAX_PHONE
from panel.contacts.reach import opt_outs_cached
from panel.contacts.service import (
    AGE_BANDS,
    CONSENT_BASES,
    CONSENT_CHANNELS,
    LANGUAGES,
    MAX_CONSENT_TEXT,
    MAX_EMAIL,
    MAX_EXTERNAL_REF,
    MAX_NAME,
    MAX_TAG,
    MAX_TAGS,
    MAX_TEXT_VERSION,
)
from panel.core.api.schemas import Email, Flag, Formatted, Id, Text
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import PageQuerySchema, page_schema

MAX_BULK = 10_000
PHONE_FORMAT = "phone"
PHONE_DESCRIPTION = (
    "A phone number in use: E.164 (+46701234567), or written as people do in your "
    "organisation's country (070-123 45 67 in Sweden). Stored in E.164."
)


class ConsentInSchema(Schema):
    basis = fields.String(
        required=True,
        validate=validate.OneOf(CONSENT_BASES),
        metadata={
            "description": "The legal basis on which you may contact the tenant: consent (they "
            "agreed to `text`), contract (part of the tenancy) or legitimate_interest"
        },
    )
    text = Text(
        load_default="",
        validate=validate.Length(max=MAX_CONSENT_TEXT),
        metadata={"description": "The text the tenant agreed to"},
    )
    text_version = Text(allow_none=True, validate=validate.Length(max=MAX_TEXT_VERSION))
    channel = fields.String(load_default="any", validate=validate.OneOf(CONSENT_CHANNELS))
    granted = Flag(load_default=True, metadata={"description": "false: withdrawn"})


class ConsentEventSchema(Schema):
    id = fields.Integer()
    granted = fields.Boolean()
    basis = fields.String()
    channel = fields.String()
    method = fields.String(metadata={"description": "How it was recorded: app, api, csv, join…"})
    text = fields.String()
    text_version = fields.String(allow_none=True)
    recorded_at = fields.DateTime()


class OptOutSchema(Schema):
    channel = fields.String(metadata={"description": "email or sms"})
    method = fields.String(
        metadata={
            "description": "How: sms_keyword (replied STOP), unsubscribe_link, one_click "
            "(from the mail program), staff, api"
        }
    )
    detail = fields.String(metadata={"description": "The keyword sent, or the list left"})
    opted_out_at = fields.DateTime()


class OptOutsField(fields.List):
    """The contact's opt-outs, read from notifications' list (documented as a list of
    OptOut)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.Nested(OptOutSchema), dump_only=True, **kwargs)

    def serialize(self, attr: str, obj: Any, accessor: Any = None, **kwargs: Any) -> Any:
        return self._serialize(opt_outs_cached(db.session(), obj), attr, obj, **kwargs)


class ContactSchema(Schema):
    id = fields.Integer()
    name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True, metadata={"description": "E.164, e.g. +46701234567"})
    language = fields.String()
    place_id = fields.Integer(allow_none=True)
    place_path = fields.Function(
        lambda c: c.place.path if c.place else None,
        allow_none=True,
        metadata={"type": "string", "description": "Area / Building / Stairwell"},
    )
    tags = fields.List(fields.String())
    age_band = fields.String(allow_none=True, metadata={"enum": [*AGE_BANDS, None]})
    external_ref = fields.String(allow_none=True)
    opt_outs = OptOutsField(
        metadata={
            "description": "Channels the contact said no more bulk messages on (an SMS STOP, an "
            "unsubscribe link); sends leave them out there. Empty when none.",
        },
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ContactDetailSchema(ContactSchema):
    consents = fields.List(
        fields.Nested(ConsentEventSchema), metadata={"description": "The consent log, oldest first"}
    )


class ContactInSchema(Schema):
    """The fields of a contact; any subset (a PATCH); null clears a field."""

    name = Text(allow_none=True, validate=validate.Length(max=MAX_NAME))
    email = Email(
        max_length=MAX_EMAIL, allow_none=True, metadata={"example": "anna.lind@example.se"}
    )
    phone = Formatted(
        format=PHONE_FORMAT,
        max_length=MAX_PHONE,
        allow_none=True,
        metadata={"description": PHONE_DESCRIPTION, "example": "+46701234567"},
    )
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    place_id = Id(allow_none=True, metadata={"description": "A place of your organisation"})
    tags = fields.List(
        Text(validate=validate.Length(1, MAX_TAG)), validate=validate.Length(max=MAX_TAGS)
    )
    age_band = fields.String(allow_none=True, validate=validate.OneOf(AGE_BANDS))
    external_ref = Text(
        allow_none=True,
        validate=validate.Length(max=MAX_EXTERNAL_REF),
        metadata={"description": "The tenant's id in your own system"},
    )
    consent = fields.Nested(
        ConsentInSchema,
        allow_none=True,
        metadata={"description": "Added to the consent log when it differs from the latest entry"},
    )


class ContactCreateSchema(ContactInSchema):
    """A new contact: the fields of a contact, at least an e-mail address or a phone number."""

    OPENAPI_RULES: dict[str, Any] = {
        "anyOf": [
            {"required": ["email"], "properties": {"email": {"type": "string"}}},
            {"required": ["phone"], "properties": {"phone": {"type": "string"}}},
        ]
    }

    @validates_schema
    def _reachable(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("email") and not data.get("phone"):
            raise ValidationError(
                [_l("Give an e-mail address or a phone number (or both).")], "email"
            )


class ContactQuerySchema(PageQuerySchema):
    q = Text(
        validate=validate.Length(max=200),
        metadata={"description": "Name, e-mail or phone contains"},
    )
    place_id = Id(
        query=True,
        metadata={"description": "At this place or anywhere below it"},
    )
    tag = Text(validate=validate.Length(max=MAX_TAG))


class ContactBulkInSchema(Schema):
    items = fields.List(
        fields.Nested(ContactInSchema),
        required=True,
        validate=validate.Length(1, MAX_BULK),
        metadata={
            "description": f"1 to {MAX_BULK:,} contacts, matched by e-mail, else phone. An item "
            "that breaks this document refuses the whole request (422); one that the data refuses "
            "(a phone number not in use in your country, no e-mail or phone, a place that is not "
            "there, a duplicate) fails on its own, listed in `errors`."
        },
    )


class BulkErrorSchema(Schema):
    index = fields.Integer(metadata={"description": "Position of the item in `items`"})
    field = fields.String(allow_none=True)
    message = fields.String()


class ContactBulkOutSchema(Schema):
    created = fields.Integer()
    updated = fields.Integer()
    unchanged = fields.Integer()
    failed = fields.Integer()
    ids = fields.List(
        fields.Integer(allow_none=True),
        metadata={"description": "The contact id of each item (null where it failed)"},
    )
    errors = fields.List(fields.Nested(BulkErrorSchema))


ContactPageSchema = page_schema(ContactSchema, "ContactPage")
