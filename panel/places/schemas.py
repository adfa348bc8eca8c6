"""The API's shapes of places: what ``/api/v1/places`` reads and writes, with every rule stated.

A name needs a visible character and has no ``/`` (it separates the levels of a path); a parent
must exist (404) and be an area or a building (409: a stairwell is the last level).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from panel.core.api.schemas import SPACES, Id, Text
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import PageQuerySchema, page_schema
from panel.places.models import PlaceKind
from panel.places.service import MAX_CODE, MAX_NAME

KINDS = [k.value for k in PlaceKind]
# Some character that is not a space, and no "/" or NUL anywhere.
NAME_PATTERN = f"^[^/\\u0000]*[^{SPACES}/\\u0000][^/\\u0000]*$"
NAME_RULE = "Needs a character other than spaces, and cannot contain “/” (it separates levels)."
NAME_ERROR = _l(
    "Needs a character other than spaces, and cannot contain “/” (it separates levels)."
)


def _name(**kwargs: object) -> Text:
    return Text(
        validate=validate.Length(1, MAX_NAME),
        pattern=NAME_PATTERN,
        pattern_error=NAME_ERROR,
        metadata={"description": NAME_RULE, "example": "Storgatan 4"},
        **kwargs,  # type: ignore[arg-type]
    )


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
    name = _name(required=True)
    parent_id = Id(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "None for an area; an area for a building; a building for a stairwell."
        },
    )
    code = Text(load_default=None, allow_none=True, validate=validate.Length(max=MAX_CODE))


class PlacePatchSchema(Schema):
    name = _name()
    code = Text(allow_none=True, validate=validate.Length(max=MAX_CODE))


class PlaceQuerySchema(PageQuerySchema):
    kind = fields.String(validate=validate.OneOf(KINDS))
    parent_id = Id(query=True, metadata={"description": "Children of"})


PlacePageSchema = page_schema(PlaceSchema, "PlacePage")
