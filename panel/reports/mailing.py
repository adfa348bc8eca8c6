"""E-mailing a report to chosen colleagues: the summary, the charts as images, the links.

Each colleague (an active staff account of the organisation) gets one e-mail in their
language, through the outbox (:func:`notifications.messages.queue`), with the sender's
optional message, the report's main figures (answers, each score question's mean and share at
target, the composite indices), the top of the breakdown (the places furthest under the
target share), the charts as PNG images and the link to the report in the app.

E-mail clients do not show SVG and the outbox carries no attachments, so the images are URLs
under a share link made for the e-mail: personal data hidden, working for
:data:`panel.reports.sharing.EMAIL_LINK_DAYS` days (``/r/<token>/charts/<name>.png``). The
e-mail also offers that link, for reading the report without logging in.

Sending twice is sending once: each recipient's dedupe key carries the form's one-time key
(a double click, a reload, a retried post all carry the same key), and when every recipient
has had this e-mail already no new link is made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from notifications.messages import Recipient, queue
from notifications.models import OutboundMessage
from panel.accounts.models import User
from panel.core.db import utcnow
from panel.core.errors import ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.routing import parse_id
from panel.reports import document, sharing
from panel.reports.figures import ReportFigures
from panel.reports.models import Report

PURPOSE = "report-email"
MAX_RECIPIENTS = 50
MAX_MESSAGE = 2000
MAX_CHARTS = 3
TOP_PLACES = 5
FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
WINDOW = dt.timedelta(minutes=10)  # without a form key: the same e-mail within it is one


@dataclass(frozen=True)
class Mailed:
    """What a send did: who got it now, and who had it already."""

    sent: list[User]
    already: list[User]


def clean_recipients(session: Session, raw: list[str]) -> list[User]:
    """The colleagues the form names (active staff of the session's organisation), each once.
    Another organisation's id is refused as an unknown one."""
    ids: list[int] = []
    for value in raw:
        user_id = parse_id(str(value).strip())
        if user_id is None:
            raise ValidationError(
                _l("Pick colleagues from the list."), details={"to": [_l("Not a colleague.")]}
            )
        if user_id not in ids:
            ids.append(user_id)
    if not ids:
        raise ValidationError(
            _l("Pick at least one colleague to send the report to."),
            details={"to": [_l("Required.")]},
        )
    if len(ids) > MAX_RECIPIENTS:
        raise ValidationError(
            _l("Send to at most %(max)s colleagues at a time.", max=MAX_RECIPIENTS),
            details={"to": [_l("Too many.")]},
        )
    users = {
        user.id: user
        for user in session.scalars(
            sa.select(User).where(User.id.in_(ids), User.is_active.is_(True))
        )
    }
    missing = [i for i in ids if i not in users]
    if missing:
        raise ValidationError(
            _l("There is no colleague with id %(id)s in your organisation.", id=missing[0]),
            details={"to": [_l("Not a colleague.")]},
        )
    return [users[i] for i in ids]


def clean_message(message: object) -> str:
    """The sender's optional message, at most :data:`MAX_MESSAGE` characters."""
    text = message.replace("\r\n", "\n").strip() if isinstance(message, str) else ""
    if len(text) > MAX_MESSAGE:
        raise ValidationError(
            _l("Please keep the message under %(max)s characters.", max=MAX_MESSAGE),
            details={"message": [_l("Too long.")]},
        )
    return text


def _dedupe_key(report: Report, user: User, form_key: str | None, now: dt.datetime) -> str:
    if form_key and FORM_KEY.fullmatch(form_key):
        salt = form_key
    else:
        salt = str(int(now.timestamp() // WINDOW.total_seconds()))
    digest = hashlib.sha256(f"{salt}:{user.id}".encode()).hexdigest()[:32]
    return f"{PURPOSE}:{report.id}:{digest}"


def send(
    session: Session,
    report: Report,
    figures: ReportFigures,
    by: User,
    recipients: list[User],
    message: str,
    form_key: str | None,
    *,
    now: dt.datetime | None = None,
) -> Mailed:
    """Queue the e-mail for each recipient who has not had it (the caller commits)."""
    now = now or utcnow()
    keys = {user.id: _dedupe_key(report, user, form_key, now) for user in recipients}
    had = set(
        session.scalars(
            sa.select(OutboundMessage.dedupe_key).where(
                OutboundMessage.dedupe_key.in_(list(keys.values()))
            )
        )
    )
    fresh = [user for user in recipients if keys[user.id] not in had]
    already = [user for user in recipients if keys[user.id] in had]
    if not fresh:
        return Mailed(sent=[], already=already)
    link = sharing.email_link(
        session,
        report,
        created_by_id=by.id,
        label=str(_l("E-mail from %(name)s", name=by.display_name)),
    )
    ids = queue(
        session,
        organisation_id=report.organisation_id,
        template="reports/email/report",
        purpose=PURPOSE,
        recipients=[
            Recipient(address=user.email, dedupe_key=keys[user.id], language=user.locale)
            for user in fresh
        ],
        context=context(report, figures, by, message, link.token),
        ref=f"report:{report.id}",
        headers={"Reply-To": by.email},
    )
    sent_ids = set(ids)
    if not sent_ids:  # a send racing this one was first
        session.delete(link)
        return Mailed(sent=[], already=recipients)
    return Mailed(sent=fresh, already=already)


def context(
    report: Report, figures: ReportFigures, by: User, message: str, token: str
) -> dict[str, Any]:
    """What ``reports/email/report`` shows (plain values: the template is rendered once per
    language)."""
    base = current_app.config["STOOP"].base_url
    charts = document.charts_of(figures)
    chosen = [name for name in charts if name != "channels"][:MAX_CHARTS]
    images = [
        {
            "url": f"{base}/r/{token}/charts/{name}.png",
            "alt": charts[name].title,
            "desc": charts[name].desc,
        }
        for name in chosen
    ]
    places = sorted(
        (p for p in figures.places if not p.hidden and p.share_at_target is not None),
        key=lambda p: (p.share_at_target, -p.answers),
    )[:TOP_PLACES]
    return {
        "title": report.title,
        "dates": document.date_range(report),
        "author": by.display_name,
        "message": message,
        "answers": figures.answers.value,
        "answers_before": figures.answers.previous,
        "score_target": figures.score_target,
        "target_share": figures.target_share,
        "scores": [
            {
                "title": s.title,
                "answers": s.answers,
                "mean": _round(s.mean.value, 1),
                "mean_before": _round(s.mean.previous, 1),
                "share": _round(s.share_at_target.value),
                "share_before": _round(s.share_at_target.previous),
            }
            for s in figures.scores
        ],
        "indices": [
            {
                "name": i.name,
                "mean": _round(i.mean.value, 1),
                "share": _round(i.share_at_target.value),
                "meets_target": i.meets_target,
            }
            for i in figures.indices
        ],
        "places": [
            {
                "path": p.path,
                "answers": p.answers,
                "share": _round(p.share_at_target),
                "below": p.below_target,
            }
            for p in places
        ],
        "images": images,
        "link": f"{base}/app/reports/{report.id}",
        "share_link": f"{base}/r/{token}",
        "share_days": sharing.EMAIL_LINK_DAYS,
    }


def _round(value: float | None, digits: int = 0) -> float | None:
    """Rounded for the e-mail (the template formats it in the reader's language)."""
    return None if value is None else round(value, digits)
