"""``/api/v1/action-items``: the organisation's action items: list (filtered by status, place,
report and responsible person), create, read, change and delete.

The same rules as the pages (:mod:`panel.actions.service`): communicators and admins write; the
person responsible and the creator change only the status. A place, report or colleague named
in a body that is not the organisation's (or an inactive colleague) is a conflict with what is
stored (409, as for the other resources); 404 is for an item in the URL that is not theirs.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, g
from flask.views import MethodView
from sqlalchemy.orm import selectinload

from panel.actions import service
from panel.actions.models import ActionComment, ActionItem
from panel.actions.schemas import (
    ActionItemInSchema,
    ActionItemPageSchema,
    ActionItemPatchSchema,
    ActionItemQuerySchema,
    ActionItemSchema,
    dump_item,
)
from panel.core.api import Blueprint
from panel.core.api.schemas import error_responses
from panel.core.errors import Conflict, ValidationError
from panel.core.extensions import db
from panel.core.pagination import keyset_page

blp = Blueprint(
    "api_action_items",
    __name__,
    description="Action items: what an organisation does about what tenants said, where, who "
    "is responsible, by when, and how far it has come (planned, doing, done).",
)
REFERENCES = ("place_id", "report_id", "responsible_id")


def _dump(items: list[ActionItem]) -> list[dict[str, Any]]:
    session = db.session()
    counts: dict[int, int] = {}
    if items:
        rows = session.execute(
            sa.select(ActionComment.item_id, sa.func.count())
            .where(ActionComment.item_id.in_([i.id for i in items]))
            .group_by(ActionComment.item_id)
        )
        counts = {item_id: count for item_id, count in rows}
    today = service.organisation_today(g.api_user.organisation)
    base = current_app.config["STOOP"].base_url
    return [dump_item(i, counts.get(i.id, 0), service.is_overdue(i, today), base) for i in items]


def _run(change: Any) -> Any:
    """Run a change; a reference that is not the organisation's is a conflict (409)."""
    try:
        return change()
    except ValidationError as exc:
        details = exc.details if isinstance(exc.details, dict) else {}
        if set(details) & set(REFERENCES):
            raise Conflict(exc.text, code=exc.code, details=exc.details) from exc
        raise


@blp.route("/")
class ActionItems(MethodView):
    @blp.arguments(ActionItemQuerySchema, location="query")
    @blp.response(200, ActionItemPageSchema)
    @error_responses(blp, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """List action items, ordered by id, a page at a time; filter by status, place (at it or
        anywhere below it), report or responsible colleague."""
        wanted = service.ItemFilter(
            status=args.get("status"),
            place_id=args.get("place_id"),
            report_id=args.get("report_id"),
            responsible_id=args.get("responsible_id"),
        )
        query = (
            sa.select(ActionItem)
            .where(*service.item_filters(wanted))
            .options(selectinload(ActionItem.place))
        )
        page = keyset_page(
            db.session(), query, ActionItem.id, limit=args["limit"], after=args.get("after")
        )
        return {"items": _dump(page.items), "next": page.next}

    @blp.arguments(ActionItemInSchema)
    @blp.response(201, ActionItemSchema)
    @error_responses(blp, 403, 409, 413, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an action item (communicators and admins; 403 otherwise). 409 when the place,
        report or responsible colleague is not the organisation's (or the colleague is not
        active)."""
        session = db.session()
        item = _run(lambda: service.create_item(session, g.api_user, data, None))
        session.commit()
        return _dump([item])[0]


@blp.route("/<int:action_item_id>")
class ActionItemResource(MethodView):
    @blp.response(200, ActionItemSchema)
    @error_responses(blp, 404)
    def get(self, action_item_id: int) -> Any:
        """One action item."""
        return _dump([service.get_item(db.session(), action_item_id)])[0]

    @blp.arguments(ActionItemPatchSchema)
    @blp.response(200, ActionItemSchema)
    @error_responses(blp, 403, 404, 409, 413, 422)
    def patch(self, data: dict[str, Any], action_item_id: int) -> Any:
        """Change the given fields. Communicators and admins change any; the person responsible
        and the creator only ``status`` (403 otherwise). 409 as for creating."""
        session = db.session()
        item = service.get_item(session, action_item_id)
        _run(lambda: service.update_item(session, g.api_user, item, data, None))
        session.commit()
        return _dump([item])[0]

    @blp.response(204)
    @error_responses(blp, 403, 404)
    def delete(self, action_item_id: int) -> Any:
        """Delete the action item and its comments (communicators and admins)."""
        session = db.session()
        item = service.get_item(session, action_item_id)
        service.delete_item(session, g.api_user, item)
        session.commit()
        return None
