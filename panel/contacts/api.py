"""``/api/v1/contacts``: list (keyset pages), create, read, update, and bulk upsert.

Fields are cleaned by the same rules as the app and CSV imports (``panel.contacts.service``):
e-mail lower-cased and checked, phone numbers stored in E.164.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g
from flask.views import MethodView

from panel.contacts.bulk import UpsertItem, item_label, upsert_contacts
from panel.contacts.models import Contact
from panel.contacts.reach import prefetch_opt_outs
from panel.contacts.schemas import (
    ContactBulkInSchema,
    ContactBulkOutSchema,
    ContactCreateSchema,
    ContactDetailSchema,
    ContactInSchema,
    ContactPageSchema,
    ContactQuerySchema,
)
from panel.contacts.service import (
    clean_contact,
    contact_filters,
    create_contact,
    get_contact,
    invalid,
    region_of,
    update_contact,
)
from panel.core.api import Blueprint
from panel.core.api.schemas import error_responses
from panel.core.errors import Conflict, Forbidden
from panel.core.extensions import db
from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import keyset_page
from panel.places.service import PlaceLookup
from panel.privacy.erasure import erase_now, last_request
from panel.privacy.models import ErasureRequest
from panel.privacy.schemas import ErasureRequestSchema

blp = Blueprint(
    "api_contacts",
    __name__,
    description="Tenants you may reach: e-mail and/or phone, language, place, tags, consent log.",
)


def _clean(data: dict[str, Any]) -> Any:
    session = db.session()
    organisation = g.api_user.organisation
    places = PlaceLookup.load(session)
    if data.get("place_id") is not None and data["place_id"] not in places.ids:
        # The request is well formed; the place it names is not there: a conflict with what is
        # stored (a 404 would say the contact itself is missing).
        raise Conflict(
            _l("There is no place with id %(id)s.", id=data["place_id"]),
            code="place_not_found",
            details={"place_id": [_l("No such place in your organisation.")]},
        )
    cleaned = clean_contact(data, region=region_of(organisation), places=places)
    if cleaned.problems:
        raise invalid(cleaned.problems)
    return cleaned


def _commit() -> None:
    try:
        db.session().commit()
    except sa.exc.IntegrityError as exc:
        db.session().rollback()
        raise Conflict(
            _l("Another request changed the same contacts at the same moment; send it again.")
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
            q=args.get("q"),
            place_id=args.get("place_id"),
            tag=args.get("tag"),
            region=region_of(g.api_user.organisation),
        )
        query = sa.select(Contact).where(*filters)
        page = keyset_page(session, query, Contact.id, limit=args["limit"], after=args.get("after"))
        prefetch_opt_outs(session, list(page.items))
        return page

    @blp.arguments(ContactCreateSchema)
    @blp.response(201, ContactDetailSchema)
    @error_responses(blp, 404, 409, 413, 422)
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
    @error_responses(blp, 404, 409, 413, 422)
    def patch(self, data: dict[str, Any], contact_id: int) -> Any:
        """Change the given fields; null clears one. A consent is added to the log. 409 when the
        contact would be left with neither e-mail nor phone, or they belong to another."""
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

    @blp.response(202, ErasureRequestSchema)
    @error_responses(blp, 403, 404)
    def delete(self, contact_id: int) -> Any:
        """Erase the contact (admins): their personal data, their answers' words and media,
        messages to and from them, memberships and consent log. Answers stay without them so
        that figures keep their counts. The erasure runs in the background: the answer is the
        erasure request and its state (``done`` once finished). Idempotent."""
        if not g.api_user.is_admin:
            raise Forbidden(_l("Only admins can erase contacts."), code="admin_only")
        session = db.session()
        contact = session.scalar(sa.select(Contact).where(Contact.id == contact_id))
        if contact is None:  # erased already: the request that did it, else 404
            return last_request(session, contact_id) or get_contact(session, contact_id)
        request = erase_now(session, contact, source="api", user_id=g.api_user.id)
        session.commit()
        return session.get(ErasureRequest, request.id, populate_existing=True)


@blp.route("/bulk")
class ContactsBulk(MethodView):
    @blp.arguments(ContactBulkInSchema)
    @blp.response(200, ContactBulkOutSchema)
    @error_responses(blp, 409, 413, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Create or update up to 10,000 contacts, matched by e-mail, else by phone.

        Fields left out (or null) are left as they are. The items must follow the document
        (422 otherwise, for the whole request); past that each item is checked on its own: the
        answer counts what was created, updated and left unchanged, and lists each failed item's
        index and reason. Sending the same items again changes nothing.
        """
        session = db.session()
        organisation = g.api_user.organisation
        region = region_of(organisation)
        places = PlaceLookup.load(session)
        items, positions, errors = [], [], []
        for index, raw in enumerate(data["items"]):
            item, problems = clean_bulk_item(raw, region, places)
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
            labels=[item_label(p) for p in positions],
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


def clean_bulk_item(
    data: dict[str, Any], region: str, places: PlaceLookup
) -> tuple[UpsertItem | None, list[tuple[str | None, LazyText]]]:
    """One bulk item (as the schema loaded it) cleaned, or its problems as (field, message)."""
    cleaned = clean_contact(data, region=region, places=places)
    if cleaned.problems:
        return None, list(cleaned.problems)
    values = {k: v for k, v in cleaned.values.items() if v is not None}
    if not values.get("email") and not values.get("phone"):
        return None, [("email", _l("Give an e-mail address or a phone number (or both)."))]
    return UpsertItem(values, cleaned.consent), []
