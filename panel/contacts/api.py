"""``/api/v1/contacts``: list (keyset pages), create, read, update, and bulk upsert.

Fields are cleaned by the same rules as the app and CSV imports (``panel.contacts.service``):
e-mail lower-cased and checked, phone numbers stored in E.164.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as SchemaError

from panel.contacts.bulk import UpsertItem, upsert_contacts
from panel.contacts.models import Contact
from panel.contacts.service import (
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
    clean_contact,
    contact_filters,
    create_contact,
    get_contact,
    invalid,
    region_of,
    update_contact,
)
from panel.core.api.schemas import Text, error_responses
from panel.core.errors import Conflict
from panel.core.extensions import db
from panel.core.pagination import PageQuerySchema, keyset_page, page_schema
from panel.places.service import MAX_ID, PlaceLookup

blp = Blueprint(
    "api_contacts",
    __name__,
    description="Tenants you may reach: e-mail and/or phone, language, place, tags, consent log.",
)
MAX_BULK = 10_000


class ConsentInSchema(Schema):
    basis = fields.String(required=True, validate=validate.OneOf(CONSENT_BASES))
    text = Text(
        load_default="",
        validate=validate.Length(max=MAX_CONSENT_TEXT),
        metadata={"description": "The text the tenant agreed to"},
    )
    text_version = Text(allow_none=True, validate=validate.Length(max=MAX_TEXT_VERSION))
    channel = fields.String(load_default="any", validate=validate.OneOf(CONSENT_CHANNELS))
    granted = fields.Boolean(load_default=True, metadata={"description": "false: withdrawn"})


class ConsentEventSchema(Schema):
    id = fields.Integer()
    granted = fields.Boolean()
    basis = fields.String()
    channel = fields.String()
    method = fields.String(metadata={"description": "How it was recorded: app, api, csv, join…"})
    text = fields.String()
    text_version = fields.String(allow_none=True)
    recorded_at = fields.DateTime()


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
    external_ref = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ContactDetailSchema(ContactSchema):
    consents = fields.List(
        fields.Nested(ConsentEventSchema), metadata={"description": "The consent log, oldest first"}
    )


class ContactInSchema(Schema):
    name = Text(allow_none=True, validate=validate.Length(max=MAX_NAME))
    email = Text(
        allow_none=True,
        validate=validate.Length(max=MAX_EMAIL),
        metadata={"example": "anna.lind@example.se"},
    )
    phone = Text(
        allow_none=True,
        validate=validate.Length(max=40),
        metadata={"description": "Any usual notation; stored in E.164", "example": "070-123 45 67"},
    )
    language = fields.String(validate=validate.OneOf(LANGUAGES))
    place_id = fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, MAX_ID))
    tags = fields.List(
        Text(validate=validate.Length(1, MAX_TAG)), validate=validate.Length(max=MAX_TAGS)
    )
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


class ContactQuerySchema(PageQuerySchema):
    q = Text(
        load_default=None,
        validate=validate.Length(max=200),
        metadata={"description": "Name, e-mail or phone contains"},
    )
    place_id = fields.Integer(
        load_default=None,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "At this place or anywhere below it"},
    )
    tag = Text(load_default=None, validate=validate.Length(max=MAX_TAG))


class _RawItem(fields.Nested):
    """Documented as a ContactIn, loaded as the raw object so each item is checked on its own
    and one bad item does not refuse the other 9,999."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return value  # checked item by item in the view, so the errors carry its index


class ContactBulkInSchema(Schema):
    items = fields.List(
        _RawItem(ContactInSchema),
        required=True,
        validate=validate.Length(1, MAX_BULK),
        metadata={"description": f"1 to {MAX_BULK:,} contacts; matched by e-mail, else phone"},
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


def _clean(data: dict[str, Any]) -> Any:
    session = db.session()
    organisation = g.api_user.organisation
    cleaned = clean_contact(data, region=region_of(organisation), places=PlaceLookup.load(session))
    if cleaned.problems:
        raise invalid(cleaned.problems)
    return cleaned


def _commit() -> None:
    try:
        db.session().commit()
    except sa.exc.IntegrityError as exc:
        db.session().rollback()
        raise Conflict(
            "Another request changed the same contacts at the same moment; send it again."
        ) from exc


@blp.route("/")
class Contacts(MethodView):
    @blp.arguments(ContactQuerySchema, location="query")
    @blp.response(200, ContactPageSchema)
    @error_responses(blp, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """List contacts, ordered by id, a page at a time; filter by text, place or tag."""
        session = db.session()
        filters = contact_filters(
            session,
            q=args["q"],
            place_id=args["place_id"],
            tag=args["tag"],
            region=region_of(g.api_user.organisation),
        )
        query = sa.select(Contact).where(*filters)
        return keyset_page(session, query, Contact.id, limit=args["limit"], after=args["after"])

    @blp.arguments(ContactInSchema)
    @blp.response(201, ContactDetailSchema)
    @error_responses(blp, 409, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a contact (409 when its e-mail or phone belongs to another)."""
        cleaned = _clean(data)
        contact = create_contact(
            db.session(),
            g.api_user.organisation,
            cleaned.values,
            cleaned.consent,
            method="api",
            user_id=g.api_user.id,
        )
        _commit()
        return contact


@blp.route("/<int:contact_id>")
class ContactResource(MethodView):
    @blp.response(200, ContactDetailSchema)
    @error_responses(blp, 404)
    def get(self, contact_id: int) -> Any:
        """One contact with its consent log."""
        return get_contact(db.session(), contact_id)

    @blp.arguments(ContactInSchema)
    @blp.response(200, ContactDetailSchema)
    @error_responses(blp, 404, 409, 422)
    def patch(self, data: dict[str, Any], contact_id: int) -> Any:
        """Change the given fields; null clears one. A consent is added to the log."""
        session = db.session()
        contact = get_contact(session, contact_id)
        cleaned = _clean(data)
        update_contact(
            session,
            contact,
            cleaned.values,
            cleaned.consent,
            method="api",
            user_id=g.api_user.id,
        )
        _commit()
        return contact


@blp.route("/bulk")
class ContactsBulk(MethodView):
    @blp.arguments(ContactBulkInSchema)
    @blp.response(200, ContactBulkOutSchema)
    @error_responses(blp, 409, 413, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Create or update up to 10,000 contacts, matched by e-mail, else by phone.

        Fields left out (or null) are left as they are. Each item is checked on its own: the
        answer counts what was created, updated and left unchanged, and lists each failed item's
        index and reason. Sending the same items again changes nothing.
        """
        session = db.session()
        organisation = g.api_user.organisation
        region = region_of(organisation)
        places = PlaceLookup.load(session)
        items, positions, errors = [], [], []
        schema = ContactInSchema()
        for index, raw in enumerate(data["items"]):
            item, problems = _bulk_item(schema, raw, region, places)
            if item is None:
                errors += [{"index": index, "field": f, "message": m} for f, m in problems]
            else:
                items.append(item)
                positions.append(index)
        result = upsert_contacts(
            session,
            organisation,
            items,
            method="api",
            user_id=g.api_user.id,
            labels=[f"Item {p}" for p in positions],
        )
        _commit()
        ids: list[int | None] = [None] * len(data["items"])
        for position, contact_id in zip(positions, result.ids, strict=True):
            ids[position] = contact_id
        errors += [{"index": positions[i], "field": f, "message": m} for i, f, m in result.errors]
        return {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "failed": len(data["items"]) - result.created - result.updated - result.unchanged,
            "ids": ids,
            "errors": sorted(errors, key=lambda e: e["index"]),
        }


def _bulk_item(
    schema: Schema, raw: Any, region: str, places: PlaceLookup
) -> tuple[UpsertItem | None, list[tuple[str | None, str]]]:
    """One bulk item checked and cleaned, or its problems as (field, message) pairs."""
    if not isinstance(raw, dict):
        return None, [(None, "Each item must be an object.")]
    try:
        data = schema.load(raw)
    except SchemaError as exc:
        return None, list(_flatten(exc.messages))
    cleaned = clean_contact(data, region=region, places=places)
    if cleaned.problems:
        return None, list(cleaned.problems)
    values = {k: v for k, v in cleaned.values.items() if v is not None}
    if not values.get("email") and not values.get("phone"):
        return None, [("email", "Give an e-mail address or a phone number (or both).")]
    return UpsertItem(values, cleaned.consent), []


def _flatten(messages: Any, prefix: str = "") -> Any:
    """marshmallow's nested messages as (field path, message) pairs."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list):
        for message in messages:
            yield from _flatten(message, prefix)
    else:
        yield (prefix or None, str(messages))
