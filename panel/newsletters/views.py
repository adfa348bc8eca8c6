"""The newsletters' staff pages (communicators and admins): the list, writing a draft (from a
report or not), the preview as e-mail, SMS and web page, the confirmation before sending, and
one newsletter's progress while its messages go out."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from notifications.messages import render
from notifications.models import Channel
from notifications.senders import sender_identity
from panel.accounts.models import Role
from panel.core.errors import Forbidden, StoopError
from panel.core.extensions import db
from panel.core.i18n import LANGUAGE_NAMES, TENANT_LANGUAGES
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.newsletters import service
from panel.newsletters.models import Newsletter
from panel.newsletters.service import Draft, Status
from panel.panels.models import Panel, Segment
from panel.places.models import Place
from panel.reports.models import Report

bp = Blueprint("newsletters", __name__, url_prefix="/app/newsletters")
WRITERS = (Role.ADMIN, Role.COMMUNICATOR)
MAX_PLACES = 2000


@bp.before_request
@login_required
def _writers_only() -> None:
    if getattr(current_user, "role", None) not in WRITERS:
        raise Forbidden(_l("Only communicators and admins write newsletters."))


def _organisation() -> Any:
    return g.get("organisation") or current_user.organisation


@bp.get("/")
def index() -> Any:
    """Every newsletter, drafts and sent, newest first."""
    session = db.session()
    newsletters = session.scalars(
        sa.select(Newsletter).order_by(Newsletter.id.desc()).limit(200)
    ).all()
    skipped = {n.id: sum(service.skipped_of(n).values()) for n in newsletters}
    return render_template("newsletters/index.html", newsletters=newsletters, skipped=skipped)


def _draft_from_form() -> Draft:
    form = request.form
    return Draft(
        title=form.get("title", "")[:10_000],
        body=form.get("body", "")[: service.MAX_BODY + 10_000],
        language=form.get("language", ""),
        audience=form.get("audience", "panel"),
        panel_id=form.get("panel_id"),
        segment_id=form.get("segment_id"),
        place_id=form.get("place_id"),
        channels=form.getlist("channels")[:5],
        report_id=form.get("report_id"),
        join_panel_id=form.get("join_panel_id"),
        figures=form.getlist("figures")[:50],
        quotes=form.getlist("quotes")[:50],
        clip=form.get("clip"),
        actions=form.getlist("actions")[:50],
    )


def _form_page(
    draft: Draft,
    newsletter: Newsletter | None,
    *,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> Any:
    session = db.session()
    report = None
    if draft.report_id not in (None, "", "0", 0):
        report = session.get(Report, parse_id(draft.report_id) or 0)
    place_id = parse_id(draft.place_id) if draft.audience == "place" else None
    panels = session.scalars(sa.select(Panel).order_by(Panel.name)).all()
    names = {p.id: p.name for p in panels}
    segments = session.scalars(sa.select(Segment).order_by(Segment.name)).all()
    page = render_template(
        "newsletters/edit.html",
        newsletter=newsletter,
        draft=draft,
        errors=errors or {},
        panels=panels,
        segments=[(s.id, f"{names.get(s.panel_id, '')}: {s.name}") for s in segments],
        places=session.scalars(sa.select(Place).order_by(Place.path).limit(MAX_PLACES)).all(),
        reports=session.scalars(sa.select(Report).order_by(Report.id.desc()).limit(200)).all(),
        report=report,
        languages=[(code, LANGUAGE_NAMES[code]) for code in TENANT_LANGUAGES],
        figure_choices=service.available_figures(session, report),
        quote_choices=service.quote_choices(session, report),
        clip_choices=service.clip_choices(session, report),
        action_choices=service.action_choices(session, report, place_id),
        picked={
            "figures": set(draft.figures or ()),
            "quotes": {parse_id(v) for v in draft.quotes or ()},
            "clip": parse_id(draft.clip) if draft.clip else None,
            "actions": {parse_id(v) for v in draft.actions or ()},
            "channels": set(draft.channels or ()),
        },
    )
    return page, status


def _save(newsletter: Newsletter | None) -> Any:
    session = db.session()
    draft = _draft_from_form()
    try:
        if newsletter is None:
            newsletter = service.create_newsletter(session, current_user, draft)
        else:
            service.update_newsletter(session, newsletter, draft)
    except StoopError as exc:
        session.rollback()
        errors = exc.details if isinstance(exc.details, dict) else {}
        flash(exc.message, "error")
        return _form_page(draft, newsletter, errors=errors, status=exc.status)
    session.commit()
    if request.form.get("then") == "preview":
        return redirect(url_for(".preview", newsletter_id=newsletter.id), 303)
    flash(_("The draft is saved."), "success")
    return redirect(url_for(".edit", newsletter_id=newsletter.id), 303)


@bp.route("/new", methods=["GET", "POST"])
def new() -> Any:
    """Write a new newsletter, from a report (``?report=<id>``) or not."""
    if request.method == "POST":
        if request.form.get("report_changed") == "1":
            return _form_page(_draft_from_form(), None)
        return _save(None)
    session = db.session()
    report = None
    if request.args.get("report"):
        report = service.get_report(session, request.args.get("report"))
    draft = service.defaults_from_report(report, _organisation())
    if request.args.get("panel") and not draft.place_id:
        draft.panel_id = request.args.get("panel")
    return _form_page(draft, None)


@bp.route("/<int:newsletter_id>/edit", methods=["GET", "POST"])
def edit(newsletter_id: int) -> Any:
    """Change a draft (a sent newsletter shows its page instead)."""
    session = db.session()
    newsletter = service.get_newsletter(session, newsletter_id)
    if newsletter.status != Status.DRAFT:
        flash(_("This newsletter has been sent and can no longer be changed."), "error")
        return redirect(url_for(".show", newsletter_id=newsletter.id), 303)
    if request.method == "POST":
        if request.form.get("report_changed") == "1":
            # A new report picked: show its figures, quotes and actions before saving.
            return _form_page(_draft_from_form(), newsletter)
        return _save(newsletter)
    return _form_page(Draft.of(newsletter), newsletter)


def _messages(newsletter: Newsletter, language: str) -> dict[str, Any]:
    """The e-mail (subject, HTML, text) and the SMS as a recipient reading ``language`` gets
    them, with a stand-in unsubscribe link."""
    session = db.session()
    settings = current_app.config["STOOP"]
    sender = sender_identity(session, newsletter.organisation_id, settings)
    context = {**service.view(session, newsletter), "bulk": True}
    values = {"address": "", "unsubscribe": settings.base_url.rstrip("/") + "/unsubscribe/…"}
    email = render(
        service.TEMPLATES["email"],
        language=language,
        sender=sender,
        context={**context, "unsubscribe": True},
        channel=Channel.EMAIL,
    )
    sms = render(
        service.TEMPLATES["sms"],
        language=language,
        sender=sender,
        context={**context, "unsubscribe": False},
        channel=Channel.SMS,
    )
    text = sms.text.fill(values, values).strip()
    return {
        "subject": email.subject.fill(values, values),
        "html": email.html.fill(values, values) if email.html else "",
        "text": email.text.fill(values, values),
        "sms": text,
        "sms_segments": sms_segments(text),
    }


GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà^{}\\[~]|€"
)


def sms_segments(text: str) -> tuple[int, bool]:
    """How many SMS segments ``text`` takes, and whether it fits GSM-7 (else UCS-2)."""
    gsm = all(c in GSM7 for c in text)
    if gsm:
        length = len(text) + sum(1 for c in text if c in "^{}\\[~]|€")
        return (1 if length <= 160 else -(-length // 153)), True
    units = len(text.encode("utf-16-le")) // 2
    return (1 if units <= 70 else -(-units // 67)), False


@bp.get("/<int:newsletter_id>/preview")
def preview(newsletter_id: int) -> Any:
    """The newsletter as an e-mail, as an SMS, and a link to its web page."""
    session = db.session()
    newsletter = service.get_newsletter(session, newsletter_id)
    language = request.args.get("language", newsletter.language)
    if language not in TENANT_LANGUAGES:
        language = newsletter.language
    return render_template(
        "newsletters/preview.html",
        newsletter=newsletter,
        messages=_messages(newsletter, language),
        language=language,
        languages=[(code, LANGUAGE_NAMES[code]) for code in TENANT_LANGUAGES],
    )


# The e-mail's HTML in the preview's frame: its inline styles allowed, nothing else (as the dev
# outbox shows e-mails).
MAIL_HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: http: https:; "
    "font-src data:; frame-ancestors 'self'; form-action 'none'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)


def _language() -> str:
    return request.args.get("language", "")


@bp.get("/<int:newsletter_id>/preview/email")
def preview_email(newsletter_id: int) -> Any:
    """The e-mail's HTML part alone, for the preview's frame."""
    session = db.session()
    newsletter = service.get_newsletter(session, newsletter_id)
    language = _language() if _language() in TENANT_LANGUAGES else newsletter.language
    response = current_app.make_response(_messages(newsletter, language)["html"])
    response.headers["Content-Security-Policy"] = MAIL_HTML_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:newsletter_id>/web")
def web(newsletter_id: int) -> Any:
    """The web page ``/n/<token>`` as tenants will see it (a draft's too)."""
    from panel.newsletters.public import page

    session = db.session()
    newsletter = service.get_newsletter(session, newsletter_id)
    return page(newsletter, _organisation(), preview=True)


@bp.route("/<int:newsletter_id>/send", methods=["GET", "POST"])
def send(newsletter_id: int) -> Any:
    """How many it reaches per channel and how many are skipped, then "Send"."""
    session = db.session()
    newsletter = service.get_newsletter(session, newsletter_id)
    if newsletter.status != Status.DRAFT:
        if request.method == "POST":
            flash(_("This newsletter has been sent already. Nobody gets it twice."), "success")
        return redirect(url_for(".show", newsletter_id=newsletter.id), 303)
    if request.method == "POST":
        try:
            service.start_sending(session, newsletter)
        except StoopError as exc:
            session.rollback()
            flash(exc.message, "error")
            return redirect(url_for(".send", newsletter_id=newsletter.id), 303)
        session.commit()
        return redirect(url_for(".show", newsletter_id=newsletter.id), 303)
    problem = None
    try:
        service.check_sendable(newsletter)
    except StoopError as exc:
        problem = exc.message
    planned = service.plan(session, newsletter) if problem is None else None
    return render_template(
        "newsletters/confirm.html", newsletter=newsletter, plan=planned, problem=problem
    )


@bp.get("/<int:newsletter_id>")
def show(newsletter_id: int) -> Any:
    """One newsletter: a draft's summary, or a sent one's progress and figures."""
    session = db.session()
    newsletter = service.get_newsletter(session, newsletter_id)
    if newsletter.status == Status.DRAFT:
        return redirect(url_for(".edit", newsletter_id=newsletter.id), 303)
    return render_template(
        "newsletters/show.html",
        newsletter=newsletter,
        figures=service.progress(session, newsletter),
    )


@bp.get("/<int:newsletter_id>/progress")
def progress(newsletter_id: int) -> Any:
    """The progress figures, as JSON (polled while it goes out)."""
    session = db.session()
    newsletter = service.get_newsletter(session, newsletter_id)
    response = jsonify(service.progress(session, newsletter))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:newsletter_id>/delete")
def delete(newsletter_id: int) -> Any:
    """Delete a draft."""
    session = db.session()
    newsletter = service.get_newsletter(session, newsletter_id)
    try:
        service.delete_draft(session, newsletter)
    except StoopError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(url_for(".show", newsletter_id=newsletter.id), 303)
    session.commit()
    flash(_("The draft is deleted."), "success")
    return redirect(url_for(".index"), 303)
