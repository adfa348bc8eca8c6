"""Report pages: the list, the builder (new and edit), the report itself with the
communicator's text per section, and the picker of quotes and clips.

Everyone on the staff may read reports; communicators and admins make and change them. Every
form posts, then goes back (post/redirect/get); a refusal shows the page again with a 4xx status
and the reason beside the field. Another organisation's report, answer or item is not found.
The report's themes pages (rename, merge, split) are the themes room's pages for a report scope
(blueprint ``report_themes``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.orm import Session, selectinload

from media.models import MediaFile
from panel.accounts.models import Role, User
from panel.answers.models import Answer
from panel.core.errors import Forbidden, StoopError, ValidationError
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.panels.models import Segment
from panel.places.models import Place, PlaceKind
from panel.places.service import flatten, place_tree
from panel.questions.models import Question
from panel.reports import body as report_body
from panel.reports import figures as report_figures
from panel.reports import items as report_items
from panel.reports import service
from panel.reports.forms import QUICK_PICKS, ReportForm, quick_range
from panel.reports.models import CompositeIndex, Report
from panel.themes import service as themes_service
from panel.themes.scopes import of_report
from panel.themes.views import ScopePage, add_scope_routes

bp = Blueprint("reports", __name__, url_prefix="/app/reports")
themes_bp = Blueprint("report_themes", __name__)

EDITORS = (Role.ADMIN, Role.COMMUNICATOR)
TOUCHPOINT = sa.table(
    "touchpoint", sa.column("id"), sa.column("name"), sa.column("organisation_id")
)
DEPTH = {PlaceKind.AREA: 0, PlaceKind.BUILDING: 1, PlaceKind.STAIRWELL: 2}


def can_edit(user: Any) -> bool:
    """Communicators and admins make and change reports."""
    return getattr(user, "role", None) in EDITORS


def _require_editor() -> None:
    if not can_edit(current_user):
        raise Forbidden(_l("Only communicators and admins can make and change reports."))


# --- the list --------------------------------------------------------------------------------


@bp.get("/")
@login_required
def index() -> str:
    """The organisation's reports, newest change first."""
    session = db.session()
    reports = session.scalars(
        sa.select(Report)
        .options(selectinload(Report.created_by), selectinload(Report.place))
        .order_by(Report.updated_at.desc(), Report.id.desc())
    ).all()
    titles = _question_titles(session, {i for r in reports for i in (r.question_ids or [])})
    return render_template(
        "reports/index.html",
        reports=reports,
        covers={report.id: _covers(report, titles) for report in reports},
        can_edit=can_edit(current_user),
    )


def _question_titles(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        session.execute(sa.select(Question.id, Question.title).where(Question.id.in_(ids)))
        .tuples()
        .all()
    )


def _covers(report: Report, titles: dict[int, str]) -> str:
    """What a report takes in, in a line: its questions, dates and place."""
    parts = []
    questions = [titles[i] for i in report.question_ids or [] if i in titles]
    if questions:
        shown = ", ".join(f"“{t}”" for t in questions[:2])
        if len(questions) > 2:
            shown += " " + _("and %(num)s more", num=len(questions) - 2)
        parts.append(shown)
    elif report.touchpoint_ids:
        parts.append(
            ngettext("%(num)s touchpoint", "%(num)s touchpoints", len(report.touchpoint_ids))
        )
    else:
        parts.append(_("Every question"))
    parts.append(_dates(report))
    if report.place is not None:
        parts.append(report.place.path)
    return " · ".join(parts)


def _dates(report: Report) -> str:
    from flask_babel import format_date

    if report.starts_on and report.ends_on:
        starts, ends = (
            format_date(report.starts_on, "medium"),
            format_date(report.ends_on, "medium"),
        )
        return f"{starts}\u2009\u2013\u2009{ends}"
    if report.starts_on:
        return _("from %(date)s", date=format_date(report.starts_on, "medium"))
    if report.ends_on:
        return _("until %(date)s", date=format_date(report.ends_on, "medium"))
    return _("all dates")


# --- the builder -----------------------------------------------------------------------------


def _choices(session: Session, form: ReportForm, organisation_id: int) -> None:
    form.question_ids.choices = [
        (str(q.id), q.title)
        for q in session.scalars(
            sa.select(Question).order_by(Question.created_at.desc(), Question.id.desc())
        )
    ]
    form.touchpoint_ids.choices = [
        (str(row.id), row.name)
        for row in session.execute(
            sa.select(TOUCHPOINT.c.id, TOUCHPOINT.c.name)
            .where(TOUCHPOINT.c.organisation_id == organisation_id)
            .order_by(TOUCHPOINT.c.name)
        )
    ]
    indent = "\u00a0\u00a0\u00a0"
    form.place_id.choices = [("", _("Every place"))] + [
        (str(node.place.id), indent * DEPTH.get(node.place.kind, 0) + node.place.name)
        for node in flatten(place_tree(session))
    ]
    form.segment_ids.choices = [
        (str(s.id), s.name) for s in session.scalars(sa.select(Segment).order_by(Segment.name))
    ]
    form.index_ids.choices = [
        (str(i.id), i.name)
        for i in session.scalars(sa.select(CompositeIndex).order_by(CompositeIndex.name))
    ]


def _show_problems(form: ReportForm, exc: StoopError) -> None:
    details = exc.details if isinstance(exc.details, dict) else {}
    shown = False
    for name in details:
        field = getattr(form, name, None)
        if field is not None and name != "csrf_token":
            # The service's sentence says what is wrong and which id: the field gets it.
            field.errors = [*field.errors, exc.message]
            shown = True
    if not shown:
        form.title.errors = [*form.title.errors, exc.message]


def _builder(report: Report | None) -> Any:
    _require_editor()
    session = db.session()
    organisation_id = current_user.organisation_id
    if report is None:
        form = ReportForm()
    else:
        form = ReportForm(
            data={
                "title": report.title,
                "question_ids": [str(i) for i in report.question_ids or []],
                "touchpoint_ids": [str(i) for i in report.touchpoint_ids or []],
                "segment_ids": [str(i) for i in report.segment_ids or []],
                "place_id": str(report.place_id or ""),
                "starts_on": report.starts_on,
                "ends_on": report.ends_on,
                "period": report.period,
                "index_ids": [str(i) for i in report.index_ids or []],
            }
            if request.method == "GET"
            else None
        )
    _choices(session, form, organisation_id)
    status = 200
    quick = request.form.get("quick") if request.method == "POST" else None
    if quick:
        # A quick pick fills in the dates and shows the form again; nothing is saved yet.
        picked = quick_range(quick, dt.date.today())
        if picked is not None:
            form.starts_on.data, form.ends_on.data = picked
            form.starts_on.raw_data = form.ends_on.raw_data = None
    elif form.validate_on_submit():
        try:
            if report is None:
                report = service.create_report(
                    session,
                    organisation_id=organisation_id,
                    created_by_id=current_user.id,
                    **form.values(),
                )
            else:
                service.update_report(session, report, **form.values())
        except StoopError as exc:
            session.rollback()
            _show_problems(form, exc)
            status = exc.status if 400 <= exc.status < 500 else 400
        else:
            session.commit()
            made = _("Report made. Write your own words above each section.")
            flash(_("Report saved.") if request.endpoint.endswith("edit") else made, "success")
            return redirect(url_for(".show", report_id=report.id), 303)
    elif request.method == "POST":
        status = 422
    return (
        render_template("reports/form.html", form=form, report=report, quick_picks=QUICK_PICKS),
        status,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Any:
    """Make a report: what it takes in and what it shows."""
    return _builder(None)


@bp.route("/<int:report_id>/edit", methods=["GET", "POST"])
@login_required
def edit(report_id: int) -> Any:
    """Change what a report takes in."""
    return _builder(service.get_report(db.session(), report_id))


# --- the report ------------------------------------------------------------------------------


def answer_ids_of(session: Session, report: Report) -> list[int]:
    """The ids of the report's answers (for its themes)."""
    return list(session.scalars(report_figures.answers_of(service.filter_of(report))))


def build_body(session: Session, report: Report, *, personal: bool, staff: bool) -> Any:
    """The report's body (figures, charts, themes, quotes); with ``staff`` the editing links."""
    figures = report_figures.compute(
        session, service.filter_of(report), tuple(report.index_ids or ())
    )
    links = None
    if staff:
        links = report_body.Links(
            texts=url_for(".texts", report_id=report.id),
            themes=url_for("report_themes.index", report_id=report.id),
            find_themes=url_for(".find_themes", report_id=report.id),
            items=url_for(".items", report_id=report.id),
            reel=f"/app/reports/{report.id}/reel",
            actions="/app/actions",
        )
    return report_body.build(
        session,
        report,
        figures,
        answer_ids_of(session, report),
        personal=personal,
        links=links,
        can_edit=staff and can_edit(current_user),
    )


@bp.get("/<int:report_id>")
@login_required
def show(report_id: int) -> Any:
    """The report: figures, charts, themes, quotes and clips, with the communicator's texts."""
    session = db.session()
    report = service.get_report(session, report_id)
    body = build_body(session, report, personal=True, staff=True)
    return render_template(
        "reports/show.html",
        report=report,
        body=body,
        dates=_dates(report),
        can_edit=can_edit(current_user),
    )


@bp.post("/<int:report_id>/texts")
@login_required
def texts(report_id: int) -> Any:
    """Save the communicator's text above one section."""
    _require_editor()
    session = db.session()
    report = service.get_report(session, report_id)
    section = request.form.get("section", "")
    if section not in report_body.SECTION_KEYS:
        raise ValidationError(_l("There is no such section in a report."))
    text = (request.form.get("text") or "").replace("\r\n", "\n").strip()
    if len(text) > report_body.TEXT_MAX or "\x00" in text:
        raise ValidationError(
            _l("Use at most %(limit)s characters for a section's text.", limit=report_body.TEXT_MAX)
        )
    texts = dict(report.texts or {})
    if text:
        texts[section] = text
    else:
        texts.pop(section, None)
    report.texts = texts  # a new dict: the JSON column sees the change (updated_at follows)
    session.commit()
    flash(_("Text saved.") if text else _("Text removed."), "success")
    return redirect(url_for(".show", report_id=report.id) + f"#section-{section}", 303)


@bp.post("/<int:report_id>/find-themes")
@login_required
def find_themes(report_id: int) -> Any:
    """Find the themes in the report's answers, then show them in the report."""
    _require_editor()
    session = db.session()
    report = service.get_report(session, report_id)
    scope = of_report(report.id, answer_ids_of(session, report))
    try:
        found = themes_service.find_themes(session, scope)
    except (ValidationError, StoopError) as exc:
        session.rollback()
        flash(exc.message, "error")
    else:
        session.commit()
        flash(
            ngettext(
                "%(num)s theme found in %(answers)s answers.",
                "%(num)s themes found in %(answers)s answers.",
                found.themes,
                answers=found.answers,
            ),
            "success",
        )
    return redirect(url_for(".show", report_id=report.id) + "#section-themes", 303)


# --- quotes and clips ------------------------------------------------------------------------


@bp.get("/<int:report_id>/items")
@login_required
def items(report_id: int) -> Any:
    """The report's answers with words or a clip, to pick as quotes and clips, and those
    picked, in order."""
    _require_editor()
    return _items_page(service.get_report(db.session(), report_id))


def _items_page(report: Report, error: str | None = None, status: int = 200) -> Any:
    session = db.session()
    page = parse_id(request.values.get("page")) or 1
    search = (request.values.get("q") or "").strip()[:100]
    listing = report_items.candidates(
        session, report, service.filter_of(report), search=search, page=page
    )
    picked = report_items.picked(session, report)
    return (
        render_template(
            "reports/items.html",
            report=report,
            listing=listing,
            picked=picked,
            search=search,
            error=error,
            previous_url=url_for(".items", report_id=report.id, q=search or None, page=page - 1)
            if page > 1
            else None,
            next_url=url_for(".items", report_id=report.id, q=search or None, page=page + 1)
            if listing.more
            else None,
        ),
        status,
    )


def _items_back(report: Report) -> Any:
    values = {k: v for k in ("q", "page") if (v := (request.form.get(k) or "").strip())}
    return redirect(url_for(".items", report_id=report.id, **values) + "#picked", 303)


@bp.post("/<int:report_id>/items/add")
@login_required
def add_item(report_id: int) -> Any:
    """Add an answer to the report as a quote or a clip (as far as consent allows)."""
    _require_editor()
    session = db.session()
    report = service.get_report(session, report_id)
    try:
        report_items.add(
            session,
            report,
            service.filter_of(report),
            request.form.get("answer_id"),
            request.form.get("kind", ""),
        )
        session.commit()
    except StoopError as exc:
        session.rollback()
        if exc.status == 404:
            raise
        return _items_page(report, error=exc.message, status=exc.status)
    flash(_("Added to the report."), "success")
    return _items_back(report)


@bp.post("/<int:report_id>/items/<int:report_item_id>/move")
@login_required
def move_item(report_id: int, report_item_id: int) -> Any:
    """Move a quote or clip one place up or down."""
    _require_editor()
    session = db.session()
    report = service.get_report(session, report_id)
    direction = request.form.get("direction", "")
    if direction not in ("up", "down"):
        raise ValidationError(_l("Move it up or down."))
    report_items.move(session, report, report_item_id, -1 if direction == "up" else 1)
    session.commit()
    return _items_back(report)


@bp.post("/<int:report_id>/items/<int:report_item_id>/remove")
@login_required
def remove_item(report_id: int, report_item_id: int) -> Any:
    """Take a quote or clip out of the report (the answer itself stays)."""
    _require_editor()
    session = db.session()
    report = service.get_report(session, report_id)
    report_items.remove(session, report, report_item_id)
    session.commit()
    flash(_("Taken out of the report."), "success")
    return _items_back(report)


@bp.post("/<int:report_id>/delete")
@login_required
def delete(report_id: int) -> Any:
    """Delete a report (its answers stay)."""
    _require_editor()
    session = db.session()
    report = service.get_report(session, report_id)
    title = report.title
    session.delete(report)
    session.commit()
    flash(_("Report “%(title)s” deleted.", title=title), "success")
    return redirect(url_for(".index"), 303)


# --- the report's themes pages (the themes room's pages for a report scope) -----------------


def report_scope_page(session: Session, report_id: int) -> ScopePage:
    report = service.get_report(session, report_id)
    return ScopePage(
        scope=of_report(report.id, answer_ids_of(session, report)),
        title=report.title,
        section=_("Reports"),
        section_url=url_for("reports.index"),
        back_url=url_for("reports.show", report_id=report.id),
        endpoint="report_themes",
        variable="report_id",
    )


add_scope_routes(themes_bp, "/app/reports", "report_id", report_scope_page)

__all__ = ["Answer", "MediaFile", "Place", "User", "abort", "bp", "themes_bp"]
