"""The API's shapes of action items (``/api/v1/action-items``): what is read and written, and
the list's filters, every rule stated."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from panel.actions.models import ActionItem
from panel.actions.service import MAX_DESCRIPTION, MAX_TITLE, STATUSES
from panel.core.api.schemas import VISIBLE, Id, Text
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import PageQuerySchema, page_schema

STATUS_DESCRIPTION = "planned, doing or done; setting done records `done_at`."


def _title(**kwargs: Any) -> Text:
    return Text(
        validate=validate.Length(1, MAX_TITLE),
        pattern=VISIBLE,
        pattern_error=_l("Needs a character other than spaces."),
        metadata={
            "description": "What is to be done (spaces are tidied).",
            "example": "Byta belysning i trapphuset Björkvägen 3B",
        },
        **kwargs,
    )


def _references(required: bool) -> dict[str, Any]:
    default = {"load_default": None} if required else {}
    return {
        "place_id": Id(
            allow_none=True,
            metadata={"description": "An area, building or stairwell of yours; 409 otherwise."},
            **default,
        ),
        "report_id": Id(
            allow_none=True,
            metadata={"description": "The report it came out of (yours); 409 otherwise."},
            **default,
        ),
        "responsible_id": Id(
            allow_none=True,
            metadata={"description": "An active colleague (user id) responsible; 409 otherwise."},
            **default,
        ),
        "due_on": fields.Date(
            allow_none=True,
            metadata={"description": "The day it is due (the organisation's time zone)."},
            **default,
        ),
    }


class ActionItemInSchema(Schema):
    """A new action item (communicators and admins)."""

    title = _title(required=True)
    description = Text(validate=validate.Length(max=MAX_DESCRIPTION), load_default="")
    status = fields.String(
        validate=validate.OneOf(STATUSES),
        load_default="planned",
        metadata={"description": STATUS_DESCRIPTION},
    )
    place_id = _references(required=True)["place_id"]
    report_id = _references(required=True)["report_id"]
    responsible_id = _references(required=True)["responsible_id"]
    due_on = _references(required=True)["due_on"]


class ActionItemPatchSchema(Schema):
    """Any subset of the fields. Communicators and admins change any; the person responsible
    and whoever created the item change only ``status`` (403 otherwise). A new ``due_on``
    sends the reminder again before it."""

    title = _title()
    description = Text(validate=validate.Length(max=MAX_DESCRIPTION))
    status = fields.String(
        validate=validate.OneOf(STATUSES), metadata={"description": STATUS_DESCRIPTION}
    )
    place_id = _references(required=False)["place_id"]
    report_id = _references(required=False)["report_id"]
    responsible_id = _references(required=False)["responsible_id"]
    due_on = _references(required=False)["due_on"]


class ActionItemSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(STATUSES)})
    place_id = fields.Integer(required=True, allow_none=True)
    place_path = fields.String(
        required=True, allow_none=True, metadata={"description": "“Area / Building / Stairwell”"}
    )
    report_id = fields.Integer(required=True, allow_none=True)
    responsible_id = fields.Integer(required=True, allow_none=True)
    created_by_id = fields.Integer(required=True, allow_none=True)
    due_on = fields.Date(required=True, allow_none=True)
    overdue = fields.Boolean(
        required=True, metadata={"description": "Past its due date and not done."}
    )
    done_at = fields.DateTime(required=True, allow_none=True)
    reminded_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the person responsible was reminded of the due date."},
    )
    comments = fields.Integer(required=True, metadata={"description": "How many comments."})
    url = fields.String(required=True, metadata={"description": "Its page in the app."})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


class ActionItemQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(STATUSES))
    place_id = Id(query=True, metadata={"description": "At this place or anywhere below it"})
    report_id = Id(query=True)
    responsible_id = Id(query=True)


ActionItemPageSchema = page_schema(ActionItemSchema, "ActionItemPage")


def dump_item(item: ActionItem, comments: int, overdue: bool, base_url: str) -> dict[str, Any]:
    """The item as :class:`ActionItemSchema` documents it."""
    return {
        "id": item.id,
        "title": item.title,
        "description": item.description or "",
        "status": item.status,
        "place_id": item.place_id,
        "place_path": item.place.path if item.place else None,
        "report_id": item.report_id,
        "responsible_id": item.responsible_id,
        "created_by_id": item.created_by_id,
        "due_on": item.due_on,
        "overdue": overdue,
        "done_at": item.done_at,
        "reminded_at": item.reminded_at,
        "comments": comments,
        "url": f"{base_url}/app/actions/{item.id}",
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }
