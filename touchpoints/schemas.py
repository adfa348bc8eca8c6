"""The API's shapes of touchpoints: what ``/api/v1/touchpoints`` reads and writes.

A touchpoint's schedule travels inside it as a list of steps (a question and the day it starts);
writing a schedule replaces the whole list, so a client never has to diff it. A ``voice``
touchpoint has a ``phone_number`` (one of the organisation's numbers that take calls), and only
it has one: a rule across fields, stated in the document (``OPENAPI_RULES``) and checked here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from panel.contacts.phones import MAX_INPUT_LENGTH as MAX_PHONE
from panel.contacts.schemas import PHONE_FORMAT
from panel.core.api.schemas import VISIBLE, Flag, Formatted, Id, Text
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import PageQuerySchema, page_schema
from touchpoints import links
from touchpoints.models import PLACEABLE_KINDS, Touchpoint, TouchpointKind
from touchpoints.service import MAX_ENTRIES, MAX_NAME, current_question, schedule_timeline

KINDS = [k.value for k in PLACEABLE_KINDS]
WRITABLE_KINDS = [*KINDS, TouchpointKind.VOICE.value]
ALL_KINDS = [k.value for k in TouchpointKind]
VOICE_ONLY = _l("Only a voice touchpoint has a phone number.")
NUMBER_NEEDED = _l("A voice touchpoint needs the phone number tenants call.")


def _name(**kwargs: Any) -> Text:
    return Text(
        validate=validate.Length(1, MAX_NAME),
        pattern=VISIBLE,
        pattern_error=_l("Needs a character other than spaces."),
        metadata={"example": "Flyer in stairwell 3B"},
        **kwargs,
    )


class StepInSchema(Schema):
    question_id = Id(required=True, metadata={"description": "A question of the organisation."})
    starts_on = fields.Date(
        required=True,
        metadata={"description": "The first day it is shown (the organisation's time zone)."},
    )


def _schedule(**kwargs: Any) -> fields.List:
    return fields.List(
        fields.Nested(StepInSchema),
        validate=validate.Length(max=MAX_ENTRIES),
        metadata={
            "description": "Replaces the whole schedule. One step a day at most; a step is "
            "current from its day until the next step's day. Only live questions are shown."
        },
        **kwargs,
    )


def _phone_number(description: str, **kwargs: Any) -> Formatted:
    return Formatted(
        format=PHONE_FORMAT,
        max_length=MAX_PHONE,
        metadata={"description": description, "example": "+46812345670"},
        **kwargs,
    )


NUMBER_DESCRIPTION = (
    "A voice touchpoint's number: one of your organisation's numbers that takes calls and no "
    "other touchpoint answers; E.164 (+46812345670) or written as people do in your "
    "organisation's country. Stored in E.164. 409 when it is not one of your numbers, takes no "
    "calls, or another touchpoint answers it."
)


class TouchpointInSchema(Schema):
    """A new touchpoint; a ``voice`` one with its phone number, the others without."""

    OPENAPI_RULES: dict[str, Any] = {
        "anyOf": [
            {"properties": {"kind": {"enum": KINDS}}, "not": {"required": ["phone_number"]}},
            {"required": ["phone_number"], "properties": {"kind": {"enum": ["voice"]}}},
        ]
    }

    name = _name(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(WRITABLE_KINDS))
    phone_number = _phone_number(NUMBER_DESCRIPTION)
    place_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "Any place of the tree; answers through it carry the place."},
    )
    is_active = Flag(load_default=True)
    schedule = _schedule(load_default=list)

    @validates_schema
    def _number_with_voice(self, data: dict[str, Any], **kwargs: Any) -> None:
        voice = data.get("kind") == TouchpointKind.VOICE.value
        if voice and not data.get("phone_number"):
            raise ValidationError([NUMBER_NEEDED], "phone_number")
        if not voice and "phone_number" in data:
            raise ValidationError([VOICE_ONLY], "phone_number")


class TouchpointPatchSchema(Schema):
    """Any subset of the fields. A touchpoint keeps its kind across the line between voice and
    the others (409): a phone touchpoint has a number, the others an address."""

    name = _name()
    kind = fields.String(validate=validate.OneOf(WRITABLE_KINDS))
    phone_number = _phone_number(
        NUMBER_DESCRIPTION + " Null: none (calls to the old number are not answered). 409 on a "
        "touchpoint of another kind.",
        allow_none=True,
    )
    place_id = Id(allow_none=True)
    is_active = Flag()
    schedule = _schedule()


class StepSchema(Schema):
    question_id = fields.Integer(required=True)
    question_title = fields.String(required=True)
    question_status = fields.String(required=True, metadata={"enum": ["draft", "live", "closed"]})
    starts_on = fields.Date(required=True)
    ends_on = fields.Date(
        required=True, allow_none=True, metadata={"description": "Null: until a later step."}
    )
    state = fields.String(required=True, metadata={"enum": ["past", "current", "upcoming"]})


class TouchpointSchema(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ALL_KINDS})
    name = fields.String(required=True)
    phone_number = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "A voice touchpoint's number in E.164; null for other kinds."},
    )
    place_id = fields.Integer(required=True, allow_none=True)
    is_active = fields.Boolean(required=True)
    url = fields.String(required=True, metadata={"description": "The public page, /t/<slug>."})
    qr_svg_url = fields.String(required=True)
    qr_png_url = fields.String(required=True)
    flyer_url = fields.String(required=True)
    current_question_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The live question shown today; null when none is."},
    )
    schedule = fields.List(fields.Nested(StepSchema), required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class TouchpointQuerySchema(PageQuerySchema):
    kind = fields.String(validate=validate.OneOf(ALL_KINDS))
    place_id = Id(query=True, metadata={"description": "Placed at exactly this place"})


TouchpointPageSchema = page_schema(TouchpointSchema, "TouchpointPage")


def dump_touchpoint(session: Any, touchpoint: Touchpoint, today: dt.date) -> dict[str, Any]:
    """The touchpoint as :class:`TouchpointSchema` documents it."""
    url = links.public_url(touchpoint)
    current = current_question(session, touchpoint, today)
    return {
        "id": touchpoint.id,
        "slug": touchpoint.slug,
        "kind": touchpoint.kind.value,
        "name": touchpoint.name,
        "phone_number": touchpoint.phone_number,
        "place_id": touchpoint.place_id,
        "is_active": touchpoint.is_active,
        "url": url,
        "qr_svg_url": f"{url}/qr.svg",
        "qr_png_url": f"{url}/qr.png",
        "flyer_url": f"{url}/flyer.pdf",
        "current_question_id": current.id if current else None,
        "schedule": [
            {
                "question_id": step.entry.question_id,
                "question_title": step.entry.question.title,
                "question_status": step.entry.question.status.value,
                "starts_on": step.entry.starts_on,
                "ends_on": step.ends_on,
                "state": step.state,
            }
            for step in schedule_timeline(touchpoint, today)
        ],
        "created_at": touchpoint.created_at,
        "updated_at": touchpoint.updated_at,
    }
