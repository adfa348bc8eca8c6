"""The sends' staff pages: sending a question to a panel, the list of sends, and one send's
progress (figures that update while it runs, no reload)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from panel.core.errors import NotFound, StoopError
from panel.core.extensions import db
from panel.core.i18n import lazy_text as _l
from panel.panels.models import Panel, Segment
from panel.panels.service import get_panel
from panel.questions import service as questions
from panel.sends import service
from panel.sends.forms import SendForm
from panel.sends.models import Send

bp = Blueprint("sends", __name__)
DEFAULT_TIMEZONE = "Europe/Stockholm"


def _organisation() -> Any:
    return g.get("organisation") or current_user.organisation


def _timezone() -> str:
    return str(_organisation().setting("timezone", DEFAULT_TIMEZONE))


def _choices(session: Any, form: SendForm) -> list[Segment]:
    panels = session.scalars(sa.select(Panel).order_by(Panel.name)).all()
    form.panel_id.choices = [(p.id, p.name) for p in panels]
    segments = session.scalars(sa.select(Segment).order_by(Segment.name)).all()
    names = {p.id: p.name for p in panels}
    form.segment_id.choices = [(0, _("Every active member"))] + [
        (s.id, f"{names.get(s.panel_id, '')}: {s.name}") for s in segments
    ]
    return list(segments)


@bp.route("/app/questions/<int:question_id>/send", methods=["GET", "POST"])
@login_required
def new(question_id: int) -> Any:
    """Send a live question to a panel or a segment."""
    session = db.session()
    question = questions.get_question(session, question_id)
    form = SendForm()
    if request.method == "GET" and request.args.get("panel"):
        form.panel_id.data = request.args.get("panel", type=int)
    _choices(session, form)
    if form.validate_on_submit():
        try:
            panel = get_panel(session, form.panel_id.data)
            segment = session.get(Segment, form.segment_id.data) if form.segment_id.data else None
            if form.segment_id.data and segment is None:
                raise NotFound(_l("There is no such segment of this panel."))
            send = service.create_send(
                session,
                current_user,
                question,
                panel,
                segment=segment,
                channels=form.channels(),
                scheduled_at=form.moment(_timezone()),
                remind_after_days=form.remind_after_days.data if form.remind.data else None,
                max_reminders=form.max_reminders.data if form.remind.data else 0,
            )
        except StoopError as exc:
            session.rollback()
            flash(exc.message, "error")
        else:
            session.commit()
            return redirect(url_for(".show", send_id=send.id), 303)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "sends/new.html",
        form=form,
        question=question,
        live=questions.accepts_answers(question),
        has_panels=bool(form.panel_id.choices),
    ), status


@bp.get("/app/sends")
@login_required
def index() -> Any:
    """Every send, newest first, with its figures."""
    session = db.session()
    query = sa.select(Send).order_by(Send.id.desc()).limit(100)
    question_id = request.args.get("question", type=int)
    if question_id is not None and 0 < question_id < 2**31:
        query = query.where(Send.question_id == question_id)
    sends = session.scalars(query).all()
    return render_template("sends/index.html", sends=sends, filtered=question_id is not None)


@bp.get("/app/sends/<int:send_id>")
@login_required
def show(send_id: int) -> Any:
    """One send: who it reaches, when, and its progress."""
    session = db.session()
    send = service.get_send(session, send_id)
    return render_template("sends/show.html", send=send, figures=service.progress(session, send))


@bp.get("/app/sends/<int:send_id>/progress")
@login_required
def progress(send_id: int) -> Any:
    """The figures of the progress view, as JSON (polled while the send runs)."""
    session = db.session()
    send = service.get_send(session, send_id)
    response = jsonify(service.progress(session, send))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/app/sends/<int:send_id>/cancel")
@login_required
def cancel(send_id: int) -> Any:
    """Cancel a scheduled send."""
    session = db.session()
    send = service.get_send(session, send_id)
    try:
        service.cancel_send(session, send)
    except StoopError as exc:
        session.rollback()
        flash(exc.message, "error")
    else:
        session.commit()
        flash(_("The send is cancelled. Nobody got anything."), "success")
    return redirect(url_for(".show", send_id=send.id), 303)
