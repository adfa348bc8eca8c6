"""Two-factor sign-in: the code step of logging in, and turning it on and off in your settings.

An organisation whose admins require two-factor sends everyone without it to the set-up page
right after logging in (:mod:`panel.accounts.guard`).
"""

from __future__ import annotations

import time
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from panel.accounts import two_factor
from panel.accounts.blueprint import admin_required, bp, home, start_session
from panel.accounts.forms import CodeForm, RequireTwoFactorForm
from panel.accounts.models import User
from panel.accounts.session import load_user, session_stamp
from panel.accounts.throttle import count_attempt, per_address, per_pending_user, remember_device
from panel.core.extensions import db
from panel.core.pages import safe_next
from panel.privacy import audit


def ask_for_code(user: User, remember: bool, next_path: str) -> Any:
    """After the right password: keep the half-logged-in state and ask for the code."""
    session[two_factor.PENDING] = {
        "user": f"{user.id}:{session_stamp(user)}",
        "remember": remember,
        "next": next_path,
        "at": int(time.time()),
    }
    return redirect(url_for("accounts.login_code"), 303)


def _pending() -> tuple[User, dict[str, Any]] | None:
    pending = session.get(two_factor.PENDING)
    if (
        not isinstance(pending, dict)
        or time.time() - pending.get("at", 0) > two_factor.PENDING_MAX_AGE
    ):
        return None
    user = load_user(str(pending.get("user", "")))
    if user is None or not two_factor.is_on(user):
        return None
    return user, pending


@bp.route("/login/code", methods=["GET", "POST"])
@per_address
@per_pending_user
def login_code() -> Any:
    """The second step of logging in: the code from the authenticator app."""
    found = _pending()
    if found is None:
        session.pop(two_factor.PENDING, None)
        flash(_("Log in with your e-mail address and password first."), "info")
        return redirect(url_for("accounts.login"), 303)
    user, pending = found
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        if two_factor.check_code(user, form.code.data or ""):
            session.pop(two_factor.PENDING, None)
            start_session(user, remember=bool(pending.get("remember")))  # commits the used step
            target = safe_next(pending.get("next")) or home()
            return remember_device(redirect(target, 303), user.email)
        audit.record_failed_login(db.session(), user.email, "two_factor")
        count_attempt()
        error = _(
            "That code is not right. Type the 6 digits your authenticator app shows now; "
            "each code works once."
        )
    return render_template("accounts/login_code.html", form=form, error=error)


def _render_settings(form: CodeForm, status: int = 200) -> Any:
    user = current_user._get_current_object()
    context: dict[str, Any] = {"form": form, "enabled": two_factor.is_on(user)}
    if not context["enabled"]:
        if not user.totp_secret:
            user.totp_secret = two_factor.new_secret()
            db.session().commit()
        uri = two_factor.provisioning_uri(user, user.totp_secret)
        context.update(secret=user.totp_secret, qr=two_factor.qr_svg(uri))
    context["required"] = bool(user.organisation.setting("require_two_factor", False))
    html = render_template("accounts/two_factor.html", **context)
    # The page shows the secret: never keep it in a cache.
    return html, status, {"Cache-Control": "no-store"}


@bp.get("/app/profile/two-factor")
@login_required
def two_factor_settings() -> Any:
    """Turn two-factor sign-in on (QR code, the secret as text, a first code) or off."""
    return _render_settings(CodeForm())


@bp.post("/app/profile/two-factor")
@login_required
@per_address
def enable_two_factor() -> Any:
    """Turn two-factor on with a first code from the app."""
    form = CodeForm()
    user = current_user._get_current_object()
    if form.validate_on_submit():
        if two_factor.enable(user, form.code.data or ""):
            audit.record(db.session(), "user.two_factor_on", target_type="user", target_id=user.id)
            db.session().commit()
            flash(
                _("Two-factor sign-in is on. Next time you log in, have your phone at hand."),
                "success",
            )
            return redirect(url_for("accounts.two_factor_settings"), 303)
        count_attempt()
        form.code.errors = [
            _(
                "That code is not right. Check the time on your phone "
                "and type the code it shows now."
            )
        ]
    return _render_settings(form, 422)


@bp.post("/app/profile/two-factor/off")
@login_required
@per_address
def disable_two_factor() -> Any:
    """Turn two-factor off, with a current code (a borrowed, unlocked laptop is not enough)."""
    form = CodeForm()
    user = current_user._get_current_object()
    if user.organisation.setting("require_two_factor", False):
        flash(_("Your organisation requires two-factor sign-in; it stays on."), "error")
        return redirect(url_for("accounts.two_factor_settings"), 303)
    if form.validate_on_submit() and two_factor.check_code(user, form.code.data or ""):
        two_factor.disable(user)
        audit.record(db.session(), "user.two_factor_off", target_type="user", target_id=user.id)
        db.session().commit()
        flash(_("Two-factor sign-in is off."), "success")
        return redirect(url_for("accounts.two_factor_settings"), 303)
    count_attempt()
    form.code.errors = [
        _("That code is not right. Type the code your authenticator app shows now.")
    ]
    return _render_settings(form, 422)


@bp.post("/app/team/two-factor")
@admin_required
def require_two_factor() -> Any:
    """Require two-factor sign-in for the whole organisation, or stop requiring it."""
    form = RequireTwoFactorForm()
    form.validate_on_submit()
    organisation = current_user.organisation
    organisation.settings = {
        **(organisation.settings or {}),
        "require_two_factor": bool(form.require.data),
    }
    audit.record(
        db.session(),
        "settings.change",
        target_type="organisation",
        target_id=organisation.id,
        details={"keys": ["settings.require_two_factor"]},
    )
    db.session().commit()
    if form.require.data:
        flash(
            _(
                "Everyone now signs in with a code; "
                "those without it set it up when they next log in."
            ),
            "success",
        )
    else:
        flash(_("Two-factor sign-in is now each person's choice."), "success")
    return redirect(url_for("accounts.users"), 303)


@bp.post("/app/team/<int:user_id>/two-factor/reset")
@admin_required
def reset_two_factor(user_id: int) -> Any:
    """Turn off a colleague's two-factor (a lost phone); they set it up again at their next login
    when the organisation requires it."""
    user = db.session().scalar(sa.select(User).where(User.id == user_id))  # scoped: 404 elsewhere
    if user is None:
        abort(404)
    two_factor.disable(user)
    audit.record(db.session(), "user.two_factor_reset", target_type="user", target_id=user.id)
    db.session().commit()
    flash(_("Two-factor sign-in of %(name)s is reset.", name=user.display_name), "success")
    return redirect(url_for("accounts.users"), 303)
