"""What every page of the app shares: template filters, the CSRF error page, safe redirects.

Installed by ``create_app`` through :func:`init_pages`, so no room has to be registered for a
filter that every room's templates use.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import phonenumbers
from babel import dates as babel_dates
from flask import Flask, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from phonenumbers import NumberParseException, PhoneNumberFormat

from panel.core.db import utcnow
from panel.core.errors import error_response, wants_json
from panel.core.i18n import translate


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 32 for char in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def ago(moment: dt.datetime | None) -> str:
    """'3 hours ago' (in the reader's language) for a moment in the past."""
    if moment is None:
        return ""
    delta = utcnow() - moment
    if delta.total_seconds() < 60:
        return translate("just now")
    # Babel's own function with the locale at hand: Flask-Babel's wrapper looks the locale and
    # its settings up again for every date on a list page.
    return babel_dates.format_timedelta(
        -delta, granularity="minute", add_direction=True, locale=get_locale()
    )


def clock(seconds: float | None) -> str:
    """A duration as a video player shows it (whole seconds, rounded down): 0:42, 1:02:03."""
    total = int(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def phone(e164: str | None) -> str:
    """An E.164 number as people write it: +46 70 123 45 67."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except NumberParseException:
        return e164
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


def csrf_failed(_exc: CSRFError) -> Any:
    """A form without a valid CSRF token: say what happened instead of 'bad request'."""
    message = _(
        "This form has expired or did not come from Stoop, so it was not sent. "
        "Reload the page and try again."
    )
    if wants_json():
        return error_response(400, "csrf_failed", message)
    return render_template("error.html", status=400, message=message, retry_url=_retry_url()), 400


def _retry_url() -> str:
    # Back to the page the form was on (same site only), where a fresh token waits.
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and safe_next(referrer.path):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("home.root")


def init_pages(app: Flask) -> None:
    """Install the shared filters and the CSRF error page."""
    app.add_template_filter(ago, "ago")
    app.add_template_filter(clock, "clock")
    app.add_template_filter(phone, "phone")
    app.register_error_handler(CSRFError, csrf_failed)
