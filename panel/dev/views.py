"""The dev mailbox (``/app/dev/outbox``): what Stoop would have sent, when it sends nothing.

In the embedded default e-mail is written as ``.eml`` files and SMS are only recorded; this page
shows both for the logged-in user's organisation (a password-reset link, an invitation, an SMS
to a tenant), and every message that did not go out: waiting, failed, or ``unknown`` (a worker
stopped while handing it over; Stoop never resends those on its own). It exists only while at
least one outbox is in use: with SMTP and Twilio both configured it answers 404.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, make_response, render_template
from flask_login import current_user, login_required

from notifications import mailbox
from notifications.models import Channel, DeliveryState, OutboundMessage
from panel.core.config import Settings
from panel.core.extensions import db

bp = Blueprint("dev", __name__)

LIST_LIMIT = 200
NOT_DELIVERED = (
    DeliveryState.QUEUED,
    DeliveryState.CLAIMED,
    DeliveryState.SENDING,
    DeliveryState.FAILED,
    DeliveryState.UNDELIVERED,
    DeliveryState.UNKNOWN,
)
HEAD_TAG = re.compile(r"<head(\s[^>]*)?>", re.IGNORECASE)
MAIL_HTML_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data: http: https:; "
    "font-src data:; frame-ancestors 'self'; form-action 'none'; "
    "sandbox allow-popups allow-popups-to-escape-sandbox"
)
STATE_BADGES = {
    DeliveryState.SENT: "ok",
    DeliveryState.DELIVERED: "ok",
    DeliveryState.QUEUED: "brand",
    DeliveryState.CLAIMED: "brand",
    DeliveryState.SENDING: "brand",
    DeliveryState.UNKNOWN: "warn",
    DeliveryState.UNDELIVERED: "danger",
    DeliveryState.FAILED: "danger",
}


def _settings() -> Settings:
    settings: Settings = current_app.config["STOOP"]
    if not (settings.email_outbox or settings.sms_outbox):
        abort(404)
    return settings


@bp.get("/app/dev/outbox")
@login_required
def outbox() -> Any:
    """E-mails from the ``.eml`` folder, recorded SMS, and messages that did not go out, of
    this organisation, newest first."""
    settings = _settings()
    mails = []
    if settings.email_outbox:
        mails = mailbox.list_mail(
            settings.outbox_dir, organisation_id=current_user.organisation_id, limit=LIST_LIMIT
        )
    session = db.session()
    # What the folder cannot show (not written, yet or ever), and SMS that did not go out
    # through Twilio; recorded SMS are listed below with their state anyway.
    listed_below = [Channel.SMS, Channel.VOICE] if settings.sms_outbox else []
    undelivered = list(
        session.scalars(
            sa.select(OutboundMessage)
            .where(
                OutboundMessage.state.in_(NOT_DELIVERED),
                OutboundMessage.channel.not_in(listed_below),
            )
            .order_by(OutboundMessage.id.desc())
            .limit(LIST_LIMIT)
        )
    )
    texts: list[OutboundMessage] = []
    if settings.sms_outbox:
        texts = list(
            session.scalars(
                sa.select(OutboundMessage)
                .where(OutboundMessage.channel.in_([Channel.SMS, Channel.VOICE]))
                .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
                .limit(LIST_LIMIT)
            )
        )
    return render_template(
        "dev/outbox.html",
        settings=settings,
        mails=mails,
        texts=texts,
        undelivered=undelivered,
        state_badges=STATE_BADGES,
    )


@bp.get("/app/dev/outbox/mail/<filename>")
@login_required
def outbox_mail(filename: str) -> Any:
    """One e-mail: its headers, its links, its text part, and its HTML part in a frame."""
    return render_template("dev/mail.html", mail=_own_mail(filename))


@bp.get("/app/dev/outbox/mail/<filename>/html")
@login_required
def outbox_mail_html(filename: str) -> Any:
    """The HTML part alone, for the sandboxed frame of the mail page.

    Served with its own policy rather than inlined with ``srcdoc``: a ``srcdoc`` frame inherits
    the app's CSP, which blocks the inline styles every HTML e-mail is made of. This policy
    allows those styles and nothing else: no scripts, no forms, an opaque origin (``sandbox``)
    even when the URL is opened on its own.
    """
    mail = _own_mail(filename)
    if mail.html is None:
        abort(404)
    response = make_response(_links_open_outside(mail.html))
    response.mimetype = "text/html"
    response.headers["Content-Security-Policy"] = MAIL_HTML_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


def _own_mail(name: str) -> mailbox.Mail:
    settings = _settings()
    if not settings.email_outbox:
        abort(404)
    mail = mailbox.read_mail(settings.outbox_dir, name)
    if mail is None or mail.organisation_id != current_user.organisation_id:
        abort(404)
    return mail


def _links_open_outside(html: str) -> str:
    # The app's pages refuse to be framed, so a link followed inside the frame would show an
    # error: open links in a new tab instead.
    base = '<base target="_blank">'
    head = HEAD_TAG.search(html)
    if head:
        return html[: head.end()] + base + html[head.end() :]
    return base + html
