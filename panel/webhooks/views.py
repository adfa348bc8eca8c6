"""Settings → Webhooks (admins): register a webhook (its signing secret shown once), change it,
switch it off or back on, delete it, and read its delivery log."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from panel.core.errors import Forbidden, StoopError
from panel.core.extensions import db
from panel.core.pagination import CURSOR_PATTERN, keyset_page
from panel.webhooks import service
from panel.webhooks.forms import WebhookForm
from panel.webhooks.models import Webhook, WebhookDelivery

bp = Blueprint("webhooks", __name__)

LOG_PAGE = 20
NO_STORE = {"Cache-Control": "no-store"}  # a page may show a secret


@bp.before_request
@login_required
def _admins_only() -> None:
    if not current_user.is_admin:
        raise Forbidden(_("Only admins manage webhooks. Ask an admin of your organisation."))


def _index(form: WebhookForm, status: int = 200, **shown: Any) -> Any:
    webhooks = db.session().scalars(sa.select(Webhook).order_by(Webhook.id)).all()
    html = render_template("webhooks/index.html", webhooks=webhooks, form=form, **shown)
    return html, status, NO_STORE


def _show(webhook: Webhook, form: WebhookForm | None = None, status: int = 200) -> Any:
    if form is None:
        form = WebhookForm(formdata=None, obj=webhook)
    after = request.args.get("after")
    query = (
        sa.select(WebhookDelivery)
        .where(WebhookDelivery.webhook_id == webhook.id)
        .options(selectinload(WebhookDelivery.log))
    )
    log = keyset_page(
        db.session(),
        query,
        WebhookDelivery.id,
        limit=LOG_PAGE,
        after=after if after and re.fullmatch(CURSOR_PATTERN, after) else None,
        descending=True,
    )
    html = render_template("webhooks/show.html", webhook=webhook, form=form, log=log)
    return html, status, NO_STORE


def _errors_to_fields(form: WebhookForm, exc: StoopError) -> None:
    names = list(exc.details) if isinstance(exc.details, dict) else []
    field = getattr(form, names[0], None) if names else None
    (field if field is not None else form.url).errors = [exc.message]


@bp.get("/app/settings/webhooks")
def index() -> Any:
    """The organisation's webhooks, and a form to add one."""
    return _index(WebhookForm(formdata=None))


@bp.post("/app/settings/webhooks")
def create() -> Any:
    """Add a webhook and show its signing secret, this once."""
    session = db.session()
    form = WebhookForm()
    if not form.validate_on_submit():
        return _index(form, 400)
    try:
        webhook, secret = service.create_webhook(
            session,
            current_user,
            url=form.url.data,
            events=form.events.data,
            description=form.description.data,
        )
    except StoopError as exc:
        session.rollback()
        _errors_to_fields(form, exc)
        return _index(form, exc.status)
    session.commit()
    return _index(WebhookForm(formdata=None), 201, secret=secret, created=webhook)


@bp.get("/app/settings/webhooks/<int:webhook_id>")
def show(webhook_id: int) -> Any:
    """One webhook: its settings and its delivery log, newest first."""
    return _show(service.get_webhook(db.session(), webhook_id))


@bp.post("/app/settings/webhooks/<int:webhook_id>")
def update(webhook_id: int) -> Any:
    """Save a webhook's address, description and events."""
    session = db.session()
    webhook = service.get_webhook(session, webhook_id)
    form = WebhookForm()
    if not form.validate_on_submit():
        return _show(webhook, form, 400)
    changes = {"url": form.url.data, "events": form.events.data}
    try:
        service.update_webhook(session, webhook, {**changes, "description": form.description.data})
    except StoopError as exc:
        session.rollback()
        _errors_to_fields(form, exc)
        return _show(service.get_webhook(session, webhook_id), form, exc.status)
    session.commit()
    flash(_("Saved the webhook."), "success")
    return redirect(url_for(".show", webhook_id=webhook_id), 303)


@bp.post("/app/settings/webhooks/<int:webhook_id>/active")
def switch(webhook_id: int) -> Any:
    """Switch a webhook off, or back on (its failures forgotten)."""
    session = db.session()
    webhook = service.get_webhook(session, webhook_id)
    active = request.form.get("active") == "on"
    service.update_webhook(session, webhook, {"active": active})
    session.commit()
    flash(_("The webhook is on.") if active else _("The webhook is off."), "success")
    return redirect(url_for(".show", webhook_id=webhook_id), 303)


@bp.post("/app/settings/webhooks/<int:webhook_id>/delete")
def delete(webhook_id: int) -> Any:
    """Delete a webhook and its delivery log."""
    session = db.session()
    service.delete_webhook(session, service.get_webhook(session, webhook_id))
    session.commit()
    flash(_("Deleted the webhook."), "success")
    return redirect(url_for(".index"), 303)
