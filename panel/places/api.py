"""``/api/v1/places``: the place tree (area → building → stairwell) over the API.

Anyone with a token may read places; only admins may add, rename or delete them, as in the app.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from panel.core.api.schemas import Text, error_responses
from panel.core.errors import Forbidden
from panel.core.extensions import db
from panel.core.pagination import PageQuerySchema, keyset_page, page_schema
from panel.places.models import Place, PlaceKind
from panel.places.service import (
    MAX_CODE,
    MAX_ID,
    MAX_NAME,
    create_place,
    delete_place,
    get_place,
    rename_place,
)

blp = Blueprint(
    "api_places",
    __name__,
    description="The place tree: areas, their buildings and the buildings' stairwells.",
)

KINDS = [k.value for k in PlaceKind]


class PlaceSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.Enum(PlaceKind, by_value=True, dump_only=True)
    name = fields.String(dump_only=True)
    code = fields.String(dump_only=True, allow_none=True)
    parent_id = fields.Integer(dump_only=True, allow_none=True)
    path = fields.String(
        dump_only=True, metadata={"description": "Area / Building / Stairwell; unique"}
    )
    area_id = fields.Integer(dump_only=True, allow_none=True)
    building_id = fields.Integer(dump_only=True, allow_none=True)


class PlaceInSchema(Schema):
    name = Text(required=True, validate=validate.Length(1, MAX_NAME))
    parent_id = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(1, MAX_ID),
        metadata={
            "description": "None for an area; an area for a building; a building for a stairwell."
        },
    )
    code = Text(load_default=None, allow_none=True, validate=validate.Length(max=MAX_CODE))


class PlacePatchSchema(Schema):
    name = Text(validate=validate.Length(1, MAX_NAME))
    code = Text(allow_none=True, validate=validate.Length(max=MAX_CODE))


class PlaceQuerySchema(PageQuerySchema):
    kind = fields.String(validate=validate.OneOf(KINDS), load_default=None)
    parent_id = fields.Integer(
        load_default=None,
        validate=validate.Range(1, MAX_ID),
        metadata={"description": "Children of"},
    )


PlacePageSchema = page_schema(PlaceSchema, "PlacePage")


def _require_admin() -> None:
    if not g.api_user.is_admin:
        raise Forbidden("Only admins can change places.", code="admin_only")


@blp.route("/")
class Places(MethodView):
    @blp.arguments(PlaceQuerySchema, location="query")
    @blp.response(200, PlacePageSchema)
    @error_responses(blp, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """List places, ordered by id; filter by kind or parent."""
        query = sa.select(Place)
        if args["kind"]:
            query = query.where(Place.kind == PlaceKind(args["kind"]))
        if args["parent_id"] is not None:
            query = query.where(Place.parent_id == args["parent_id"])
        return keyset_page(db.session(), query, Place.id, limit=args["limit"], after=args["after"])

    @blp.arguments(PlaceInSchema)
    @blp.response(201, PlaceSchema)
    @error_responses(blp, 403, 404, 409, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Add an area, or a building or stairwell under ``parent_id`` (admins)."""
        _require_admin()
        session = db.session()
        parent = get_place(session, data["parent_id"]) if data["parent_id"] else None
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
    @error_responses(blp, 403, 404, 409, 422)
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
