"""The API's shapes of panels and their members (``/api/v1/panels``), every rule stated."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from panel.contacts.schemas import MAX_BULK, BulkErrorSchema, ContactInSchema
from panel.contacts.service import AGE_BANDS
from panel.core.api.schemas import TIDY, Flag, Text
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import PageQuerySchema, page_schema
from panel.panels.models import MemberSource, MemberStatus
from panel.panels.service import MAX_CONSENT, MAX_DESCRIPTION, MAX_NAME

STATUSES = [s.value for s in MemberStatus]


class PanelInSchema(Schema):
    """A panel's fields; any subset (a PATCH)."""

    name = Text(
        pattern=TIDY,
        pattern_error=_l("Write the name without spaces at the start or end, or double spaces."),
        validate=validate.Length(1, MAX_NAME),
    )
    description = Text(validate=validate.Length(max=MAX_DESCRIPTION))
    consent_text = Text(
        validate=validate.Length(max=MAX_CONSENT),
        metadata={
            "description": "What a tenant agrees to on the join page. A changed text becomes a "
            "new version; once a panel has one it cannot be emptied (409)."
        },
    )
    is_open = Flag(metadata={"description": "Whether the public join page takes new members"})


class PanelCreateSchema(PanelInSchema):
    """A new panel: a name at least."""

    name = Text(
        pattern=TIDY,
        pattern_error=_l("Write the name without spaces at the start or end, or double spaces."),
        validate=validate.Length(1, MAX_NAME),
        required=True,
    )


class MemberCountsSchema(Schema):
    active = fields.Integer()
    pending = fields.Integer(metadata={"description": "Joined, waiting to confirm"})
    left = fields.Integer()


class PanelSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    slug = fields.String(metadata={"description": "The join page is /join/{slug}"})
    join_url = fields.String()
    is_open = fields.Boolean()
    consent_text = fields.String(allow_none=True, metadata={"description": "The current version"})
    consent_version = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class PanelDetailSchema(PanelSchema):
    members = fields.Nested(MemberCountsSchema)


class MembersInSchema(Schema):
    items = fields.List(
        fields.Nested(ContactInSchema),
        required=True,
        validate=validate.Length(1, MAX_BULK),
        metadata={
            "description": f"1 to {MAX_BULK:,} tenants. Each is upserted as a contact (matched by "
            "e-mail, else phone; fields left out are left as they are) and made an active member. "
            "Sending the same items again changes nothing. An item the data refuses (no e-mail "
            "or phone, a place that is not there, a duplicate) fails on its own, listed in "
            "`errors`."
        },
    )
    reactivate = Flag(
        load_default=False,
        metadata={
            "description": "Make members who left active again (only when they asked to come "
            "back); otherwise they stay out"
        },
    )


class MembersOutSchema(Schema):
    added = fields.Integer(metadata={"description": "Items that became active members now"})
    already = fields.Integer(metadata={"description": "Items that were members already"})
    failed = fields.Integer()
    contacts_created = fields.Integer()
    contacts_updated = fields.Integer()
    contact_ids = fields.List(
        fields.Integer(allow_none=True),
        metadata={"description": "The contact id of each item (null where it failed)"},
    )
    errors = fields.List(fields.Nested(BulkErrorSchema))


class MemberSchema(Schema):
    id = fields.Integer()
    contact_id = fields.Integer()
    status = fields.String(metadata={"enum": STATUSES})
    source = fields.String(metadata={"enum": [s.value for s in MemberSource]})
    joined_at = fields.DateTime(allow_none=True)
    left_at = fields.DateTime(allow_none=True)
    name = fields.Function(lambda m: m.contact.name, allow_none=True, metadata={"type": "string"})
    email = fields.Function(lambda m: m.contact.email, allow_none=True, metadata={"type": "string"})
    phone = fields.Function(lambda m: m.contact.phone, allow_none=True, metadata={"type": "string"})
    language = fields.Function(lambda m: m.contact.language, metadata={"type": "string"})
    place_id = fields.Function(
        lambda m: m.contact.place_id, allow_none=True, metadata={"type": "integer"}
    )
    tags = fields.Function(
        lambda m: list(m.contact.tags or []),
        metadata={"type": "array", "items": {"type": "string"}},
    )
    age_band = fields.Function(
        lambda m: m.contact.age_band,
        allow_none=True,
        metadata={"type": "string", "enum": [*AGE_BANDS, None]},
    )


class MemberQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))


PanelPageSchema = page_schema(PanelSchema, "PanelPage")
MemberPageSchema = page_schema(MemberSchema, "MemberPage")
