"""``/api/v1/places``: the place tree (area → building → stairwell) over the API.

Anyone with a token may read places; only admins may add, rename or delete them, as in the app.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g
from flask.views import MethodView

from panel.core.api import Blueprint
from panel.core.api.schemas import error_responses
from panel.core.errors import Conflict, Forbidden, NotFound
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import keyset_page
from panel.places.models import Place, PlaceKind
from panel.places.schemas import (
    PlaceInSchema,
    PlacePageSchema,
    PlacePatchSchema,
    PlaceQuerySchema,
    PlaceSchema,
)
from panel.places.service import create_place, delete_place, get_place, rename_place

blp = Blueprint(
    "api_places",
    __name__,
    description="The place tree: areas, their buildings and the buildings' stairwells.",
)


def _parent(session: Any, parent_id: int | None) -> Place | None:
    """The place a new one goes under. One that is not there is a conflict with what is
    stored (409), not a missing resource: the request's own URL exists."""
    if parent_id is None:
        return None
    try:
        return get_place(session, parent_id)
    except NotFound as exc:
        details = {"parent_id": [exc.text]}
        raise Conflict(exc.text, code="parent_not_found", details=details) from exc


def _require_admin() -> None:
    if not g.api_user.is_admin:
        raise Forbidden(_l("Only admins can change places."), code="admin_only")


@blp.route("/")
class Places(MethodView):
    @blp.arguments(PlaceQuerySchema, location="query")
    @blp.response(200, PlacePageSchema)
    @error_responses(blp, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """List places, ordered by id; filter by kind or parent."""
        query = sa.select(Place)
        if args.get("kind"):
            query = query.where(Place.kind == PlaceKind(args.get("kind")))
        if args.get("parent_id") is not None:
            query = query.where(Place.parent_id == args.get("parent_id"))
        return keyset_page(
            db.session(), query, Place.id, limit=args["limit"], after=args.get("after")
        )

    @blp.arguments(PlaceInSchema)
    @blp.response(201, PlaceSchema)
    @error_responses(blp, 403, 404, 409, 413, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Add an area, or a building or stairwell under ``parent_id`` (admins). 409 when the
        parent is not there, is a stairwell, or the path or code is taken."""
        _require_admin()
        session = db.session()
        parent = _parent(session, data["parent_id"])
        place = create_place(session, data["name"], parent, data["code"])
        session.commit()
        return place


@blp.route("/<int:place_id>")
class PlaceResource(MethodView):
    @blp.response(200, PlaceSchema)
    @error_responses(blp, 404)
    def get(self, place_id: int) -> Any:
        """One place."""
        return get_place(db.session(), place_id)

    @blp.arguments(PlacePatchSchema)
    @blp.response(200, PlaceSchema)
    @error_responses(blp, 403, 404, 409, 413, 422)
    def patch(self, data: dict[str, Any], place_id: int) -> Any:
        """Rename a place or change its code (admins); the paths below it follow."""
        session = db.session()
        place = get_place(session, place_id)
        _require_admin()
        name = data.get("name", place.name)
        code = data.get("code", place.code)
        rename_place(session, place, name, code)
        session.commit()
        return place

    @blp.response(204)
    @error_responses(blp, 403, 404, 409)
    def delete(self, place_id: int) -> Any:
        """Delete a place with no places or contacts under it (admins)."""
        session = db.session()
        place = get_place(session, place_id)
        _require_admin()
        delete_place(session, place)
        session.commit()
        return None
