"""The API's shapes of reports and their figures (``/api/v1/reports``).

Every id a report names must be the organisation's own: an id that is not (or is another
organisation's) is a conflict with what is stored, 409 with the field named, as elsewhere in
the API for rows a body names. So is an end date before the start date.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from panel.core.api.schemas import VISIBLE, Id, Text
from panel.core.i18n import lazy_text as _l
from panel.core.pagination import PageQuerySchema, page_schema
from panel.reports.service import MAX_IDS, MAX_TITLE, PERIODS


def _ids(what: str) -> fields.List:
    return fields.List(
        Id(),
        load_default=list,
        validate=validate.Length(max=MAX_IDS),
        metadata={"description": f"Ids of the organisation's {what} (409 for any other id)."},
    )


class ReportInSchema(Schema):
    title = Text(
        required=True,
        pattern=VISIBLE,
        pattern_error=_l("Needs a character other than spaces."),
        validate=validate.Length(1, MAX_TITLE),
        metadata={"example": "Trivsel i trapphusen, hösten 2026"},
    )
    question_ids = _ids("questions")
    touchpoint_ids = _ids("touchpoints")
    segment_ids = _ids("segments")
    index_ids = _ids("composite indices")
    place_id = Id(
        load_default=None,
        allow_none=True,
        metadata={"description": "An area, building or stairwell: the answers at it or below."},
    )
    starts_on = fields.Date(load_default=None, allow_none=True)
    ends_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={"description": "Inclusive; not before starts_on (409)."},
    )
    period = fields.String(
        load_default="month",
        validate=validate.OneOf(PERIODS),
        metadata={"description": "The trend per week or per month."},
    )


class ReportSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    question_ids = fields.List(fields.Integer(), required=True)
    touchpoint_ids = fields.List(fields.Integer(), required=True)
    segment_ids = fields.List(fields.Integer(), required=True)
    index_ids = fields.List(fields.Integer(), required=True)
    place_id = fields.Integer(required=True, allow_none=True)
    starts_on = fields.Date(required=True, allow_none=True)
    ends_on = fields.Date(required=True, allow_none=True)
    period = fields.String(required=True, metadata={"enum": list(PERIODS)})
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)


ReportPageSchema = page_schema(ReportSchema, "ReportPage")
ReportQuerySchema = PageQuerySchema


# --- figures -------------------------------------------------------------------------------------


def _number(description: str = "") -> fields.Float:
    return fields.Float(required=True, allow_none=True, metadata={"description": description})


class ComparedSchema(Schema):
    value = _number("This period's figure (null when there is nothing to compute it from).")
    previous = _number("The period of the same length before (null without dates).")
    change = _number("value minus previous.")


class ChannelCountSchema(Schema):
    channel = fields.String(required=True)
    answers = fields.Integer(required=True)


class SendRateSchema(Schema):
    send_id = fields.Integer(required=True)
    question_title = fields.String(required=True)
    audience = fields.String(required=True)
    sent_at = fields.DateTime(required=True, allow_none=True)
    delivered = fields.Integer(
        required=True,
        metadata={"description": "Invitations whose message was sent or delivered, or answered."},
    )
    answered = fields.Integer(required=True)
    rate = _number("Percent: answered / delivered.")


class TrendPointSchema(Schema):
    starts_on = fields.Date(required=True)
    answers = fields.Integer(required=True)
    mean = _number()
    share_at_target = _number("Percent.")


class ScoreFiguresSchema(Schema):
    question_id = fields.Integer(required=True)
    title = fields.String(required=True)
    answers = fields.Integer(required=True, metadata={"description": "Score answers."})
    mean = fields.Nested(ComparedSchema, required=True)
    share_at_target = fields.Nested(ComparedSchema, required=True)
    distribution = fields.List(
        fields.Integer(), required=True, metadata={"description": "Counts of scores 1 to 10."}
    )


class IndexFiguresSchema(Schema):
    index_id = fields.Integer(required=True)
    name = fields.String(required=True)
    answers = fields.Integer(required=True)
    mean = fields.Nested(ComparedSchema, required=True)
    share_at_target = fields.Nested(ComparedSchema, required=True)
    target_mean = _number()
    target_share = _number()
    meets_target = fields.Boolean(required=True, allow_none=True)


class PlaceRowSchema(Schema):
    place_id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["area", "building", "stairwell"]})
    name = fields.String(required=True)
    path = fields.String(required=True)
    parent_id = fields.Integer(required=True, allow_none=True)
    depth = fields.Integer(required=True)
    answers = fields.Integer(required=True)
    mean = _number("Null when the group is too small to show.")
    share_at_target = _number("Percent; null when the group is too small to show.")
    hidden = fields.Boolean(
        required=True, metadata={"description": "Fewer answers than the smallest group shown."}
    )
    withheld = fields.Boolean(
        required=True,
        metadata={
            "description": "Mean and share held back so that a small place beside it (the "
            "children of one place) cannot be worked out by subtraction."
        },
    )
    below_target = fields.Boolean(required=True)
    has_action = fields.Boolean(required=True)


class ReportFiguresSchema(Schema):
    report_id = fields.Integer(required=True)
    score_target = fields.Integer(required=True)
    target_share = fields.Float(required=True)
    min_group = fields.Integer(required=True)
    answers = fields.Nested(ComparedSchema, required=True)
    channels = fields.List(fields.Nested(ChannelCountSchema), required=True)
    sends = fields.List(fields.Nested(SendRateSchema), required=True)
    trend = fields.List(fields.Nested(TrendPointSchema), required=True)
    scores = fields.List(fields.Nested(ScoreFiguresSchema), required=True)
    indices = fields.List(fields.Nested(IndexFiguresSchema), required=True)
    places = fields.List(fields.Nested(PlaceRowSchema), required=True)
