"""``/api/v1/reports``: insight reports and their figures as JSON.

Anyone with a token of the organisation may list, read and create reports. A report names
questions, touchpoints, segments, a place and composite indices by id: an id that is not the
organisation's is a 409 naming the field (as for rows other resources' bodies name).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from flask import g
from flask.views import MethodView

from panel.core.api import Blueprint
from panel.core.api.schemas import error_responses
from panel.core.errors import Conflict, ValidationError
from panel.core.extensions import db
from panel.core.pagination import keyset_page
from panel.reports.figures import compute
from panel.reports.models import Report
from panel.reports.schemas import (
    ReportFiguresSchema,
    ReportInSchema,
    ReportPageSchema,
    ReportQuerySchema,
    ReportSchema,
)
from panel.reports.service import create_report, filter_of, get_report

blp = Blueprint(
    "api_reports",
    __name__,
    description="Insight reports: what a communicator chose, and every figure computed from it.",
)


@blp.route("/")
class Reports(MethodView):
    @blp.arguments(ReportQuerySchema, location="query")
    @blp.response(200, ReportPageSchema)
    @error_responses(blp, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """List the organisation's reports, ordered by id."""
        return keyset_page(
            db.session(), sa.select(Report), Report.id, limit=args["limit"], after=args.get("after")
        )

    @blp.arguments(ReportInSchema)
    @blp.response(201, ReportSchema)
    @error_responses(blp, 409, 413, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a report. 409 when an id is not the organisation's or the end date is before
        the start date."""
        session = db.session()
        try:
            report = create_report(
                session,
                organisation_id=g.api_user.organisation_id,
                created_by_id=g.api_user.id,
                **data,
            )
        except ValidationError as exc:
            # The body is well formed; what it names is not there (or the dates cross).
            raise Conflict(exc.text, code=exc.code, details=exc.details) from exc
        session.commit()
        return report


@blp.route("/<int:report_id>")
class ReportResource(MethodView):
    @blp.response(200, ReportSchema)
    @error_responses(blp, 404)
    def get(self, report_id: int) -> Any:
        """One report: what it takes in."""
        return get_report(db.session(), report_id)


@blp.route("/<int:report_id>/figures")
class ReportFigures(MethodView):
    @blp.response(200, ReportFiguresSchema)
    @error_responses(blp, 404)
    def get(self, report_id: int) -> Any:
        """Every figure of the report, computed now from the answers: totals and channels,
        the answer rate per send, the trend, each score question's mean, distribution and
        share at target against the period before, the composite indices, and the breakdown
        area → building → stairwell (too-small groups hidden)."""
        session = db.session()
        report = get_report(session, report_id)
        figures = compute(session, filter_of(report), tuple(report.index_ids or ()))
        return figures_json(figures, report.id)


def figures_json(figures: Any, report_id: int | None = None) -> dict[str, Any]:
    """The figures as plain data (the computed properties ``change`` and ``rate`` included),
    for the API, exports and the pages' scripts."""
    data = asdict(figures)
    data.pop("filter", None)
    data["report_id"] = report_id

    def compared(value: dict[str, Any]) -> dict[str, Any]:
        change = None
        if value["value"] is not None and value["previous"] is not None:
            change = value["value"] - value["previous"]
        return {**value, "change": change}

    data["answers"] = compared(data["answers"])
    for key in ("scores", "indices"):
        for row in data[key]:
            row["mean"] = compared(row["mean"])
            row["share_at_target"] = compared(row["share_at_target"])
    for row in data["sends"]:
        row["rate"] = 100.0 * row["answered"] / row["delivered"] if row["delivered"] else None
    return data
