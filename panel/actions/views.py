"""The action plan pages (``/app/actions``): the list per area office (filtered by place, status,
responsible person and report; "my actions"; overdue ones marked), an item with its comments
and status buttons, the form to create or change one (also opened from a report's page,
prefilled: ``/app/actions/new?report=<id>&place=<id>``), and the wall poster of an area's plan.

Everyone on the staff reads; communicators and admins write; the person responsible and the
creator move an item along and comment (:mod:`panel.actions.service`). A refused form is shown
again with what was typed and the reason beside the field.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from panel.accounts.models import User
from panel.actions import notices, poster, service
from panel.actions.forms import ActionForm, CommentForm
from panel.actions.models import ActionComment, ActionItem, ActionStatus
from panel.core.errors import Forbidden, NotFound, StoopError, ValidationError
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.places.models import Place, PlaceKind
from panel.places.service import get_place
from panel.reports.models import Report

bp = Blueprint("actions", __name__, url_prefix="/app/actions")

PAGE_SIZE = 200
STATUS_LABELS = {
    ActionStatus.PLANNED.value: _l("Planned"),
    ActionStatus.DOING.value: _l("Doing"),
    ActionStatus.DONE.value: _l("Done"),
}


def _today() -> Any:
    return service.organisation_today(current_user.organisation)


def _places() -> list[Place]:
    return list(db.session().scalars(sa.select(Place).order_by(Place.path)))


def _filters() -> tuple[dict[str, Any], service.ItemFilter]:
    """What the list shows, from the address; values that name nothing are ignored."""
    args = request.args
    shown: dict[str, Any] = {
        "place": parse_id(args.get("place")),
        "status": args.get("status") if args.get("status") in service.STATUSES else None,
        "responsible": parse_id(args.get("responsible")),
        "report": parse_id(args.get("report")),
        "mine": args.get("mine") == "1",
        "overdue": args.get("overdue") == "1",
    }
    responsible = current_user.id if shown["mine"] else shown["responsible"]
    wanted = service.ItemFilter(
        status=shown["status"],
        place_id=shown["place"],
        report_id=shown["report"],
        responsible_id=responsible,
        overdue_on=_today() if shown["overdue"] else None,
    )
    return shown, wanted


@bp.get("/")
@login_required
def index() -> Any:
    """The action items, filtered; open ones first, the soonest due first."""
    session = db.session()
    shown, wanted = _filters()
    place = None
    if shown["place"] is not None:
        place = get_place(session, shown["place"])
    report = None
    if shown["report"] is not None:
        report = session.scalar(sa.select(Report).where(Report.id == shown["report"]))
        if report is None:
            raise NotFound(_l("There is no such report in your organisation."))
    query = (
        sa.select(ActionItem)
        .where(*service.item_filters(wanted))
        .options(
            selectinload(ActionItem.place),
            selectinload(ActionItem.responsible),
            selectinload(ActionItem.report),
        )
        .order_by(*service.ordered())
    )
    items = list(session.scalars(query.limit(PAGE_SIZE + 1)))
    more = len(items) > PAGE_SIZE
    items = items[:PAGE_SIZE]
    counts = _comment_counts([item.id for item in items])
    today = _today()
    filtered = any(shown[k] for k in ("place", "status", "responsible", "report", "overdue"))
    areas = list(
        session.scalars(sa.select(Place).where(Place.kind == PlaceKind.AREA).order_by(Place.path))
    )
    if place is not None and place.kind != PlaceKind.AREA:
        areas.append(place)
    new_args = {k: v for k, v in (("place", shown["place"]), ("report", shown["report"])) if v}
    kept = {k: shown[k] for k in ("place", "status", "report") if shown[k]}
    if shown["overdue"]:
        kept["overdue"] = "1"
    return render_template(
        "actions/index.html",
        items=items,
        more=more,
        counts=counts,
        today=today,
        shown=shown,
        filtered=filtered or shown["mine"],
        place=place,
        report=report,
        areas=areas,
        people=service.staff_members(session),
        reports=service.reports(session),
        statuses=STATUS_LABELS,
        can_write=service.can_write(current_user),
        reminder_days=service.reminder_days(current_user.organisation),
        new_url=url_for(".new", **new_args),
        all_url=url_for(
            ".index",
            **kept,
            **({"responsible": shown["responsible"]} if shown["responsible"] else {}),
        ),
        mine_url=url_for(".index", **kept, mine="1"),
        is_overdue=service.is_overdue,
    )


def _comment_counts(ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = db.session().execute(
        sa.select(ActionComment.item_id, sa.func.count())
        .where(ActionComment.item_id.in_(ids))
        .group_by(ActionComment.item_id)
    )
    return {item_id: count for item_id, count in rows}


def _form_page(form: ActionForm, item: ActionItem | None, status: int = 200) -> Any:
    session = db.session()
    form.fill_choices(_places(), service.reports(session), service.staff_members(session))
    page = render_template("actions/edit.html", form=form, item=item)
    return page, status


@bp.get("/new")
@login_required
def new() -> Any:
    """The form for a new action item, prefilled from the address (``report``, ``place``): a
    report's page links here for a place below target. The writer is responsible at first."""
    service.require_writer(current_user)
    args = request.args
    session = db.session()
    report_id = parse_id(args.get("report"))
    place_id = parse_id(args.get("place"))
    report = None
    if report_id is not None:
        report = session.scalar(sa.select(Report).where(Report.id == report_id))
    if place_id is not None:
        place_id = session.scalar(sa.select(Place.id).where(Place.id == place_id))
    if place_id is None and report is not None:
        place_id = report.place_id
    form = ActionForm(
        formdata=None,
        report_id=str(report.id) if report else "",
        place_id=str(place_id) if place_id else "",
        responsible_id=str(current_user.id),
        status=ActionStatus.PLANNED.value,
    )
    return _form_page(form, None)


@bp.post("/")
@login_required
def create() -> Any:
    """Save a new action item."""
    service.require_writer(current_user)
    session = db.session()
    form = ActionForm()
    try:
        item = service.create_item(session, current_user, form.values(), _today())
    except ValidationError as exc:
        session.rollback()
        form.show(exc)
        return _form_page(form, None, exc.status)
    session.commit()
    flash(_("Saved “%(title)s”.", title=item.title), "success")
    return redirect(url_for(".show", action_item_id=item.id), 303)


@bp.get("/<int:action_item_id>")
@login_required
def show(action_item_id: int) -> Any:
    """One action item: what, where, who, by when, its status and its comments."""
    return _item_page(service.get_item(db.session(), action_item_id), CommentForm(formdata=None))


def _item_page(item: ActionItem, comment_form: CommentForm, status: int = 200) -> Any:
    session = db.session()
    comments = session.scalars(
        sa.select(ActionComment)
        .where(ActionComment.item_id == item.id)
        .options(selectinload(ActionComment.author))
        .order_by(ActionComment.created_at, ActionComment.id)
    ).all()
    creator = None
    if item.created_by_id is not None:
        creator = session.scalar(sa.select(User).where(User.id == item.created_by_id))
    today = _today()
    page = render_template(
        "actions/item.html",
        item=item,
        comments=comments,
        creator=creator,
        comment_form=comment_form,
        today=today,
        overdue=service.is_overdue(item, today),
        statuses=STATUS_LABELS,
        can_write=service.can_write(current_user),
        can_move=service.can_move(current_user, item),
    )
    return page, status


@bp.get("/<int:action_item_id>/edit")
@login_required
def edit(action_item_id: int) -> Any:
    """Change an action item (communicators and admins)."""
    item = service.get_item(db.session(), action_item_id)
    service.require_writer(current_user)
    return _form_page(ActionForm.of(item), item)


@bp.post("/<int:action_item_id>")
@login_required
def update(action_item_id: int) -> Any:
    """Save the changes to an action item."""
    session = db.session()
    item = service.get_item(session, action_item_id)
    service.require_writer(current_user)
    form = ActionForm()
    try:
        service.update_item(session, current_user, item, form.values(), _today())
    except ValidationError as exc:
        session.rollback()
        form.show(exc)
        return _form_page(form, item, exc.status)
    session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".show", action_item_id=item.id), 303)


@bp.post("/<int:action_item_id>/status")
@login_required
def move(action_item_id: int) -> Any:
    """Set the item's status (planned, doing, done)."""
    session = db.session()
    item = service.get_item(session, action_item_id)
    status = request.form.get("status")
    service.set_status(session, current_user, item, status)
    session.commit()
    flash(_("Now: %(status)s.", status=STATUS_LABELS[item.status]), "success")
    return redirect(url_for(".show", action_item_id=item.id), 303)


@bp.post("/<int:action_item_id>/comments")
@login_required
def comment(action_item_id: int) -> Any:
    """Add a comment to the item."""
    session = db.session()
    item = service.get_item(session, action_item_id)
    form = CommentForm()
    try:
        written = service.add_comment(session, current_user, item, form.body.data)
    except ValidationError as exc:
        session.rollback()
        form.body.errors = [exc.message]
        return _item_page(item, form, exc.status)
    notices.tell_about_comment(session, item, written)
    session.commit()
    return redirect(url_for(".show", action_item_id=item.id, _anchor="comments"), 303)


@bp.post("/<int:action_item_id>/delete")
@login_required
def delete(action_item_id: int) -> Any:
    """Delete the item and its comments."""
    session = db.session()
    item = service.get_item(session, action_item_id)
    title = item.title
    service.delete_item(session, current_user, item)
    session.commit()
    flash(_("Deleted “%(title)s”.", title=title), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/settings")
@login_required
def save_settings() -> Any:
    """The number of days before the due date the responsible person is reminded (admins)."""
    if not current_user.is_admin:
        raise Forbidden(_l("Only admins change the reminder."))
    session = db.session()
    organisation = current_user.organisation
    try:
        days = service.set_reminder_days(organisation, request.form.get("days", ""))
    except StoopError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".index", _anchor="reminder"), 303)
    session.commit()
    flash(_("Reminders now go %(days)s days before the due date.", days=days), "success")
    return redirect(url_for(".index", _anchor="reminder"), 303)


@bp.get("/poster.pdf")
@login_required
def poster_pdf() -> Response:
    """The wall poster of an area's plan (``area``: any place; ``size``: A3 or A4)."""
    session = db.session()
    area_id = parse_id(request.args.get("area"))
    if area_id is None:
        raise ValidationError(_l("Choose the area whose plan to print."), code="area_required")
    area = get_place(session, area_id)
    size = (request.args.get("size") or "A3").upper()
    if size not in poster.SIZES:
        raise ValidationError(_l("The poster is A3 or A4."), code="bad_size")
    pdf = poster.render_poster(session, current_user.organisation, area, size)
    filename = f"action-plan-{area.id}-{size.lower()}.pdf"
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )
