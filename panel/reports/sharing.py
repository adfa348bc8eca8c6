"""Share links: a read-only link ``/r/<token>`` to a report, for colleagues and partners
without a login.

- The token is ``secrets.token_urlsafe(32)`` (256 bits): the link is the capability, so it is
  looked up across organisations (the one deliberately global query), then everything else
  runs scoped to the link's organisation.
- A link can be revoked (at once, for good) and may expire at the end of a chosen day (in the
  organisation's time zone). A revoked or expired link answers 410 with a page that says so;
  an unknown token 404.
- "Hide personal data" (on by default) keeps out what could identify a tenant: names, e-mail
  addresses, phone numbers, and the clips (a face or a voice). Quotes stay when the tenant
  allowed quoting, as in the app.
- Each opening counts: ``opened`` and ``last_opened_at`` (one UPDATE statement, so two
  openings at once both count).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from panel.core.db import utcnow
from panel.core.errors import NotFound, StoopError, ValidationError
from panel.core.i18n import lazy_text as _l
from panel.core.scoping import ALL_ORGS_OPTION
from panel.organisations.models import Organisation
from panel.reports.models import Report, ShareLink

MAX_LABEL = 120
MAX_LINKS = 200  # per report: far more than anyone shares one report with
MAX_DAYS_AHEAD = 5 * 366
TOKEN_BYTES = 32
DEFAULT_TIMEZONE = "Europe/Stockholm"
EMAIL_LINK_DAYS = 90  # the link an e-mail to colleagues carries (for its chart images)


class LinkGone(StoopError):
    """A share link that was revoked or has expired."""

    status = 410
    code = "link_gone"


@dataclass(frozen=True)
class Opened:
    """A link that opens: the link and its report (the session is scoped to its
    organisation by the caller)."""

    link: ShareLink
    report: Report


def zone_of(organisation: Organisation | None) -> ZoneInfo:
    """The organisation's time zone (setting ``timezone``; Stockholm when unset or unknown)."""
    name = DEFAULT_TIMEZONE
    if organisation is not None:
        name = str(organisation.setting("timezone", DEFAULT_TIMEZONE))
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def clean_label(label: object) -> str:
    """The link's label (who it is for), stripped, at most :data:`MAX_LABEL` characters."""
    text = label.strip() if isinstance(label, str) else ""
    if len(text) > MAX_LABEL:
        raise ValidationError(
            _l("Please keep the label under %(max)s characters.", max=MAX_LABEL),
            details={"label": [_l("Too long.")]},
        )
    return text


def clean_expiry(
    value: object, zone: ZoneInfo, *, today: dt.date | None = None
) -> dt.datetime | None:
    """The moment a link stops working: the end of the given day (``YYYY-MM-DD``) in the
    organisation's time zone, in UTC. Empty: never. A day in the past, or absurdly far
    ahead, is refused."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        return None
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise ValidationError(
            _l("Write the last day as a date, e.g. 2026-12-31."),
            details={"expires_on": [_l("Not a date.")]},
        )
    today = today or utcnow().astimezone(zone).date()
    if day < today:
        raise ValidationError(
            _l("The last day the link works cannot be in the past."),
            details={"expires_on": [_l("In the past.")]},
        )
    if (day - today).days > MAX_DAYS_AHEAD:
        raise ValidationError(
            _l(
                "Pick a last day within five years, or leave it empty for a link that does "
                "not expire."
            ),
            details={"expires_on": [_l("Too far ahead.")]},
        )
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return end.astimezone(dt.UTC)


def create_link(
    session: Session,
    report: Report,
    *,
    created_by_id: int | None,
    label: object = "",
    expires_on: object = None,
    hide_personal: bool = True,
    expires_at: dt.datetime | None = None,
) -> ShareLink:
    """A new share link to ``report`` (the caller commits). ``expires_on`` is the form's last
    day; ``expires_at`` (a moment) is for links Stoop makes itself, e.g. for an e-mail."""
    organisation = session.get(Organisation, report.organisation_id)
    clean = clean_label(label)
    if expires_at is None:
        expires_at = clean_expiry(expires_on, zone_of(organisation))
    count = session.scalar(
        sa.select(sa.func.count(ShareLink.id)).where(ShareLink.report_id == report.id)
    )
    if (count or 0) >= MAX_LINKS:
        raise ValidationError(
            _l("This report has %(max)s links already: revoke some first.", max=MAX_LINKS)
        )
    link = ShareLink(
        organisation_id=report.organisation_id,
        report_id=report.id,
        token=secrets.token_urlsafe(TOKEN_BYTES),
        label=clean,
        hide_personal=bool(hide_personal),
        expires_at=expires_at,
        created_by_id=created_by_id,
    )
    session.add(link)
    session.flush()
    return link


def links_of(session: Session, report: Report) -> list[ShareLink]:
    """The report's links, newest first (revoked ones too: the list says so)."""
    return list(
        session.scalars(
            sa.select(ShareLink)
            .where(ShareLink.report_id == report.id)
            .order_by(ShareLink.created_at.desc(), ShareLink.id.desc())
        )
    )


def get_link(session: Session, report: Report, link_id: object) -> ShareLink:
    """One of the report's links (scoped), or NotFound."""
    from panel.core.routing import parse_id

    link = None
    if (lid := parse_id(link_id)) is not None:
        link = session.scalar(
            sa.select(ShareLink).where(ShareLink.id == lid, ShareLink.report_id == report.id)
        )
    if link is None:
        raise NotFound(_l("There is no such link to this report."))
    return link


def revoke(link: ShareLink, *, now: dt.datetime | None = None) -> bool:
    """Stop the link working (the caller commits). False when it was revoked already."""
    if link.revoked_at is not None:
        return False
    link.revoked_at = now or utcnow()
    return True


def state_of(link: ShareLink, now: dt.datetime | None = None) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at is not None and link.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def find_link(session: Session, token: str) -> ShareLink | None:
    """The link with this token, whichever organisation's (the token is the capability)."""
    if not token or len(token) > 64:
        return None
    return session.scalar(
        sa.select(ShareLink)
        .where(ShareLink.token == token)
        .execution_options(**{ALL_ORGS_OPTION: True})
    )


def open_link(session: Session, token: str, *, count: bool = True) -> ShareLink:
    """The link behind ``/r/<token>`` if it works, counted as opened when ``count`` (the
    caller commits); NotFound for an unknown token, LinkGone when revoked or expired."""
    link = find_link(session, token)
    if link is None:
        raise NotFound(_l("There is no report at this link. Check that the link is complete."))
    state = state_of(link)
    if state == "revoked":
        raise LinkGone(
            _l("This link to a report has been switched off. Ask whoever sent it for a new one.")
        )
    if state == "expired":
        raise LinkGone(_l("This link to a report has expired. Ask whoever sent it for a new one."))
    if count:
        session.execute(
            sa.update(ShareLink)
            .where(ShareLink.id == link.id)
            .values(opened=ShareLink.opened + 1, last_opened_at=utcnow())
            .execution_options(**{ALL_ORGS_OPTION: True}, synchronize_session=False)
        )
    return link


def email_link(
    session: Session, report: Report, *, created_by_id: int | None, label: str
) -> ShareLink:
    """A link made for an e-mail to colleagues: personal data hidden, working
    :data:`EMAIL_LINK_DAYS` days (it serves the e-mail's chart images)."""
    return create_link(
        session,
        report,
        created_by_id=created_by_id,
        label=label[:MAX_LABEL],
        hide_personal=True,
        expires_at=utcnow() + dt.timedelta(days=EMAIL_LINK_DAYS),
    )
