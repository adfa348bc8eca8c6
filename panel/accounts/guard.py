"""What every logged-in page request passes first: the idle timeout and required two-factor.

**Idle timeout.** The time of the last request is kept in the signed session cookie (no state on
the server), written at most once a minute so that a page's many requests do not each re-send the
cookie. A session idle for longer than ``STOOP_SESSION_IDLE_MINUTES`` is logged out with a
message. A browser holding the "Keep me logged in" cookie is not timed out: the person chose, on
a device of their own, to stay logged in for a month (and its session would come straight back
from that cookie anyway); everyone else's session ends when left alone, which is the safer
default for a tool holding tenants' personal data.

**Required two-factor.** When an organisation's admins require two-factor, a member who has not
set it up is sent to the set-up page and can use nothing else until it is done.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import ngettext
from flask_login import current_user, logout_user

from panel.accounts import two_factor

LAST_SEEN = "seen"
REFRESH_SECONDS = 60
# What a member who must set up two-factor may still open.
SET_UP_ENDPOINTS = frozenset(
    {"accounts.two_factor_settings", "accounts.enable_two_factor", "accounts.logout", "static"}
)


def init_app(app: Flask) -> None:
    """Install the checks (a room ``setup`` function)."""
    app.before_request(_guard)


def _kept_logged_in() -> bool:
    name = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return name in request.cookies and session.get("_remember") != "clear"


def _guard() -> Any:
    if request.path.startswith(("/api/", "/static/")) or not current_user.is_authenticated:
        return None
    minutes = current_app.config["STOOP"].session_idle_minutes
    now = int(time.time())
    seen = session.get(LAST_SEEN)
    if (
        minutes > 0
        and isinstance(seen, int)
        and now - seen > minutes * 60
        and not _kept_logged_in()
    ):
        logout_user()
        session.pop(LAST_SEEN, None)
        flash(
            ngettext(
                "You were signed out after %(num)d minute without activity. "
                "Log in again to continue.",
                "You were signed out after %(num)d minutes without activity. "
                "Log in again to continue.",
                minutes,
            ),
            "info",
        )
        target = request.full_path if request.method == "GET" else None
        return redirect(url_for("accounts.login", next=target), 303)
    if not isinstance(seen, int) or now - seen >= REFRESH_SECONDS:
        session[LAST_SEEN] = now
    if two_factor.required_for(current_user) and request.endpoint not in SET_UP_ENDPOINTS:
        return redirect(url_for("accounts.two_factor_settings"), 303)
    return None
