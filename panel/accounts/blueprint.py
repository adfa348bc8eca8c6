"""The accounts blueprint and what its views share: the admin check, starting a session, and
how a throttled form answers."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from werkzeug.exceptions import TooManyRequests

from panel.accounts.models import User
from panel.accounts.throttle import limit_message
from panel.core.db import utcnow
from panel.core.errors import Forbidden
from panel.core.extensions import db
from panel.core.scoping import scope_session
from panel.privacy import audit

bp = Blueprint("accounts", __name__)


@bp.errorhandler(TooManyRequests)
def _too_many(exc: TooManyRequests) -> Any:
    """A throttled form says which limit it met (the per-account one says what to do)."""
    message = limit_message(exc) or _("Too many attempts. Wait a minute and try again.")
    return render_template("error.html", status=429, message=message), 429


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only a logged-in admin may use the view; others get a 403 that says why."""

    @functools.wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            raise Forbidden(_("Only admins manage the team. Ask an admin of your organisation."))
        return view(*args, **kwargs)

    return wrapper


def start_session(user: User, remember: bool = False) -> None:
    """Log ``user`` in on this browser and remember when they did."""
    # From here on the request acts as ``user``: scope to their organisation (someone logged in
    # elsewhere may have opened a reset link of an account in another organisation).
    scope_session(db.session(), user.organisation_id)
    user.last_login_at = utcnow()
    audit.record(db.session(), "auth.login", actor=user, target_type="user", target_id=user.id)
    db.session().commit()
    login_user(user, remember=remember)
    session["seen"] = int(time.time())  # the idle timeout counts from here (guard.py)


def home() -> str:
    """Where a person lands once logged in."""
    return url_for("home.dashboard")
