"""The staff pages of touchpoints: the list, the form (fields and schedule), and one
touchpoint with its timeline, its addresses, QR code, embed snippet and funnel; a phone
touchpoint with its number and its calls and answers instead."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import Session

from panel.core.errors import StoopError
from panel.core.extensions import db
from panel.places.models import Place
from panel.questions.models import Question, QuestionStatus
from touchpoints import funnel, links, phone, service
from touchpoints.forms import (
    Row,
    TouchpointForm,
    blank_row_day,
    rows_from_entries,
    rows_from_form,
    schedule_pairs,
)
from touchpoints.models import PLACEABLE_KINDS, Touchpoint, TouchpointKind

bp = Blueprint("touchpoints", __name__, template_folder="templates")
FUNNEL_DAYS = 30


def _organisation() -> Any:
    return g.get("organisation") or current_user.organisation


def _today() -> dt.date:
    return service.organisation_today(_organisation())


def _places(session: Session) -> list[tuple[int, str]]:
    return list(session.execute(sa.select(Place.id, Place.path).order_by(Place.path)).tuples())


def _questions(session: Session) -> list[tuple[int, str, str]]:
    """Questions a step can show: (id, title, status), live ones first."""
    rows = session.execute(
        sa.select(Question.id, Question.title, Question.status)
        .order_by(Question.status != QuestionStatus.LIVE, Question.id.desc())
        .limit(500)
    ).tuples()
    return [(i, t, QuestionStatus(s).value) for i, t, s in rows]


@bp.get("/app/touchpoints")
@login_required
def index() -> Any:
    """Every touchpoint, with what it shows today."""
    session = db.session()
    today = _today()
    touchpoints = service.list_touchpoints(session)
    current = {t.id: service.current_question(session, t, today) for t in touchpoints}
    return render_template(
        "touchpoints/index.html", touchpoints=touchpoints, current=current, links=links
    )


def _is_voice(touchpoint: Touchpoint | None) -> bool:
    return touchpoint is not None and touchpoint.kind == TouchpointKind.VOICE


def _offer_numbers(form: TouchpointForm, touchpoint: Touchpoint | None) -> None:
    """The numbers a phone touchpoint can take: free ones, and its own."""
    keep = touchpoint.phone_number if touchpoint else None
    numbers = phone.free_voice_numbers(db.session(), _organisation().id, keep=keep)
    form.set_numbers(numbers, optional=_is_voice(touchpoint))


def _render_form(
    form: TouchpointForm, rows: list[Row], touchpoint: Touchpoint | None, status: int = 200
) -> Any:
    session = db.session()
    form.set_places(_places(session))
    _offer_numbers(form, touchpoint)
    if touchpoint is not None and not _is_voice(touchpoint):
        form.without_voice()
    if not any(r.is_blank for r in rows):
        rows = [*rows, Row(starts_on=blank_row_day(rows, _today()))]
    return (
        render_template(
            "touchpoints/form.html",
            form=form,
            rows=rows,
            touchpoint=touchpoint,
            questions=_questions(session),
        ),
        status,
    )


@bp.get("/app/touchpoints/new")
@login_required
def new() -> Any:
    """The form for a new touchpoint, kind preset from ``?kind=`` (and a phone touchpoint's
    number from ``?phone_number=``)."""
    kind = request.args.get("kind")
    kinds = {k.value for k in (*PLACEABLE_KINDS, TouchpointKind.VOICE)}
    form = TouchpointForm(
        kind=kind if kind in kinds else "qr", phone_number=request.args.get("phone_number", "")
    )
    return _render_form(form, [], None)


@bp.get("/app/touchpoints/<int:touchpoint_id>/edit")
@login_required
def edit(touchpoint_id: int) -> Any:
    """The form of one touchpoint, its schedule as rows."""
    touchpoint = service.get_touchpoint(db.session(), touchpoint_id)
    form = TouchpointForm(
        name=touchpoint.name,
        kind=touchpoint.kind.value,
        place_id=str(touchpoint.place_id or ""),
        phone_number=touchpoint.phone_number or "",
        is_active=touchpoint.is_active,
    )
    return _render_form(form, rows_from_entries(touchpoint.entries), touchpoint)


@bp.post("/app/touchpoints")
@login_required
def create() -> Any:
    """Make a touchpoint (or, with "Add a step", show the form again with one more row)."""
    return _save(None)


@bp.post("/app/touchpoints/<int:touchpoint_id>")
@login_required
def update(touchpoint_id: int) -> Any:
    """Save a touchpoint's fields and schedule."""
    return _save(service.get_touchpoint(db.session(), touchpoint_id))


def _save(touchpoint: Touchpoint | None) -> Any:
    session = db.session()
    form = TouchpointForm()
    form.set_places(_places(session))
    rows = rows_from_form(request.form)
    if request.form.get("action") == "add_step":
        rows.append(Row(starts_on=blank_row_day(rows, _today())))
        return _render_form(form, rows, touchpoint)
    if not form.validate_on_submit():
        return _render_form(form, rows, touchpoint, 422)
    values = {
        "name": form.name.data,
        "kind": form.kind.data,
        "place_id": form.place_id.data or None,
        "is_active": form.is_active.data,
    }
    try:
        touchpoint = _store(session, touchpoint, values, rows, form.phone_number.data)
    except StoopError as exc:
        session.rollback()
        if isinstance(exc.details, dict) and "phone_number" in exc.details:
            form.phone_number.errors = [exc.message]
        else:
            flash(exc.message, "error")
        return _render_form(form, rows, touchpoint if touchpoint and touchpoint.id else None, 422)
    session.commit()
    flash(_("Saved %(name)s.", name=touchpoint.name), "success")
    return redirect(url_for(".show", touchpoint_id=touchpoint.id), 303)


def _store(
    session: Session,
    touchpoint: Touchpoint | None,
    values: dict[str, Any],
    rows: list[Row],
    number: str | None,
) -> Touchpoint:
    """Make or change the touchpoint; a phone touchpoint with its number."""
    pairs = schedule_pairs(rows)
    if touchpoint is None and values["kind"] == TouchpointKind.VOICE.value:
        return phone.create_voice_touchpoint(session, values, number or "", pairs)
    if touchpoint is None:
        return service.create_touchpoint(session, values, pairs)
    if _is_voice(touchpoint):
        return phone.update_voice_touchpoint(
            session, touchpoint, values, pairs, phone_number=number
        )
    return service.update_touchpoint(session, touchpoint, values, pairs)


@bp.get("/app/touchpoints/<int:touchpoint_id>")
@login_required
def show(touchpoint_id: int) -> Any:
    """One touchpoint: its timeline, addresses, QR code, snippet and funnel."""
    session = db.session()
    touchpoint = service.get_touchpoint(session, touchpoint_id)
    today = _today()
    since = today - dt.timedelta(days=FUNNEL_DAYS)
    voice = _is_voice(touchpoint)
    return render_template(
        "touchpoints/show.html",
        touchpoint=touchpoint,
        today=today,
        steps=service.schedule_timeline(touchpoint, today),
        current=service.current_question(session, touchpoint, today),
        funnel=None if voice else funnel.funnel(session, touchpoint, since=since),
        calls=phone.call_figures(session, touchpoint, since) if voice else None,
        funnel_days=FUNNEL_DAYS,
        links=links,
        embed_origins=_organisation().setting("embed_origins", []),
    )


@bp.post("/app/touchpoints/<int:touchpoint_id>/blast")
@login_required
def send_blast(touchpoint_id: int) -> Any:
    """An e-mail or SMS touchpoint: ask every contact of its place today's question now."""
    from panel.sends.service import blast

    session = db.session()
    touchpoint = service.get_touchpoint(session, touchpoint_id)
    question = service.current_question(session, touchpoint, _today())
    back = redirect(url_for(".show", touchpoint_id=touchpoint.id), 303)
    if touchpoint.kind.value not in ("email", "sms"):
        flash(_("Only e-mail and SMS touchpoints send to an area."), "error")
        return back
    if question is None:
        flash(_("No question is shown today: put a live question on the schedule first."), "error")
        return back
    try:
        done = blast(
            session,
            touchpoint_id=touchpoint.id,
            question=question,
            place_id=touchpoint.place_id,
            channel=touchpoint.kind.value,
        )
    except StoopError as exc:
        session.rollback()
        flash(exc.message, "error")
        return back
    session.commit()
    skipped = sum(done.skipped.values())
    flash(
        _(
            "Sent to %(sent)s tenants; %(skipped)s skipped (no address, opted out, asked "
            "before or at this month's limit).",
            sent=done.invited,
            skipped=skipped,
        ),
        "success",
    )
    return back
