"""``/api/v1/panels``: list, create, read, update; and the members of a panel: bulk add
(upserted as contacts first, idempotent, errors per item), list, remove."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g
from flask.views import MethodView

from panel.contacts.api import clean_bulk_item
from panel.contacts.bulk import item_label, upsert_contacts
from panel.contacts.service import region_of
from panel.core.api import Blueprint
from panel.core.api.schemas import error_responses
from panel.core.errors import Conflict
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import PageQuerySchema, keyset_page
from panel.panels import service
from panel.panels.models import MemberSource, MemberStatus, Panel, PanelMember
from panel.panels.schemas import (
    MemberPageSchema,
    MemberQuerySchema,
    MembersInSchema,
    MembersOutSchema,
    PanelCreateSchema,
    PanelDetailSchema,
    PanelInSchema,
    PanelPageSchema,
)
from panel.places.service import PlaceLookup

blp = Blueprint(
    "api_panels",
    __name__,
    description="Panels: opt-in groups of tenants with a public join page, and their members.",
)


def _view(panel: Panel, *, counts: bool = False) -> dict[str, Any]:
    """A panel as the API shows it (with its current consent text)."""
    from panel.accounts.emails import absolute_url

    session = db.session()
    consent = service.current_consent(session, panel)
    view = {
        "id": panel.id,
        "name": panel.name,
        "description": panel.description,
        "slug": panel.slug,
        "join_url": absolute_url("panels_public.join", slug=panel.slug),
        "is_open": panel.is_open,
        "consent_text": consent.text if consent else None,
        "consent_version": consent.version if consent else None,
        "created_at": panel.created_at,
        "updated_at": panel.updated_at,
    }
    if counts:
        view["members"] = service.member_counts(session, panel)
    return view


def _commit() -> None:
    try:
        db.session().commit()
    except sa.exc.IntegrityError as exc:
        db.session().rollback()
        raise Conflict(
            _l("Another request changed the same panel at the same moment; send it again.")
        ) from exc


@blp.route("/")
class Panels(MethodView):
    @blp.arguments(PageQuerySchema, location="query")
    @blp.response(200, PanelPageSchema)
    @error_responses(blp, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """List the organisation's panels, ordered by id, a page at a time."""
        page = keyset_page(
            db.session(), sa.select(Panel), Panel.id, limit=args["limit"], after=args.get("after")
        )
        return {"items": [_view(p) for p in page.items], "next": page.next}

    @blp.arguments(PanelCreateSchema)
    @blp.response(201, PanelDetailSchema)
    @error_responses(blp, 413, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a panel; a consent text given becomes its version 1."""
        panel = service.create_panel(
            db.session(), g.api_user.organisation, user_id=g.api_user.id, **data
        )
        _commit()
        return _view(panel, counts=True)


@blp.route("/<int:panel_id>")
class PanelResource(MethodView):
    @blp.response(200, PanelDetailSchema)
    @error_responses(blp, 404)
    def get(self, panel_id: int) -> Any:
        """One panel with its member counts."""
        return _view(service.get_panel(db.session(), panel_id), counts=True)

    @blp.arguments(PanelInSchema)
    @blp.response(200, PanelDetailSchema)
    @error_responses(blp, 404, 409, 413, 422)
    def patch(self, data: dict[str, Any], panel_id: int) -> Any:
        """Change the given fields. A changed consent text becomes a new version (409 when it
        would be emptied)."""
        session = db.session()
        panel = service.get_panel(session, panel_id)
        service.update_panel(session, panel, user_id=g.api_user.id, **data)
        _commit()
        return _view(panel, counts=True)


@blp.route("/<int:panel_id>/members")
class Members(MethodView):
    @blp.arguments(MemberQuerySchema, location="query")
    @blp.response(200, MemberPageSchema)
    @error_responses(blp, 404, 422)
    def get(self, args: dict[str, Any], panel_id: int) -> Any:
        """The panel's members with their contact details, ordered by id; filter by status."""
        session = db.session()
        panel = service.get_panel(session, panel_id)
        query = sa.select(PanelMember).where(PanelMember.panel_id == panel.id)
        if args.get("status"):
            query = query.where(PanelMember.status == args["status"])
        return keyset_page(
            session, query, PanelMember.id, limit=args["limit"], after=args.get("after")
        )

    @blp.arguments(MembersInSchema)
    @blp.response(200, MembersOutSchema)
    @error_responses(blp, 404, 409, 413, 422)
    def post(self, data: dict[str, Any], panel_id: int) -> Any:
        """Add up to 10,000 tenants to the panel: each is upserted as a contact, then made an
        active member. Idempotent: sending the same items again adds no one."""
        session = db.session()
        panel = service.get_panel(session, panel_id)
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
        contact_ids: list[int | None] = [None] * len(data["items"])
        for position, contact_id in zip(positions, result.ids, strict=True):
            contact_ids[position] = contact_id
        errors += [{"index": positions[i], "field": f, "message": m} for i, f, m in result.errors]
        good = [i for i in contact_ids if i is not None]
        added = service.add_members(
            session, panel, good, source=MemberSource.API, reactivate=data["reactivate"]
        )
        _commit()
        return {
            "added": added,
            "already": len(set(good)) - added,
            "failed": len(data["items"]) - len(good),
            "contacts_created": result.created,
            "contacts_updated": result.updated,
            "contact_ids": contact_ids,
            "errors": sorted(errors, key=lambda e: e["index"]),
        }


@blp.route("/<int:panel_id>/members/<int:panel_member_id>")
class MemberResource(MethodView):
    @blp.response(204)
    @error_responses(blp, 404)
    def delete(self, panel_id: int, panel_member_id: int) -> None:
        """Take a member out of the panel: status `left`, and a withdrawal in the contact's
        consent log. The contact stays; deleting again changes nothing."""
        session = db.session()
        panel = service.get_panel(session, panel_id)
        member = service.get_member(session, panel, panel_member_id)
        if member.status != MemberStatus.LEFT:
            service.leave(session, member, method="api")
            _commit()
