"""Logging in and out, and the ways back in: a password reset, accepting an invitation."""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from panel.accounts import service, tasks, two_factor
from panel.accounts.blueprint import bp, home, start_session
from panel.accounts.forms import AcceptInviteForm, ForgotPasswordForm, LoginForm, ResetPasswordForm
from panel.accounts.links import RESET_MAX_AGE, user_for_invite_token, user_for_reset_token
from panel.accounts.passwords import user_words
from panel.accounts.throttle import count_attempt, login_throttled, per_address, remember_device
from panel.accounts.views.two_factor import ask_for_code
from panel.core.celery import dispatch
from panel.core.extensions import db
from panel.core.pages import safe_next
from panel.privacy import audit

log = logging.getLogger(__name__)


@bp.route("/login", methods=["GET", "POST"])
@login_throttled
def login() -> Any:
    """The login form; on success go to ``next`` (a local path) or the overview."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or home())
    form = LoginForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        email = form.email.data or ""
        user = service.check_login(db.session(), email, form.password.data or "")
        if user is None or not user.is_active:
            audit.record_failed_login(
                db.session(), email, "password" if user is None else "inactive"
            )
        if user is None:
            error = _(
                "The e-mail address or password is not right. Check both and try again, "
                "or choose a new password."
            )
        elif not user.is_active:
            error = _(
                "This account has been deactivated. Ask an admin of your organisation "
                "to reactivate it."
            )
        elif two_factor.is_on(user):
            # Not logged in yet: the code comes next.
            return ask_for_code(user, bool(form.remember.data), form.next.data or "")
        else:
            start_session(user, remember=bool(form.remember.data))
            return remember_device(redirect(safe_next(form.next.data) or home(), 303), email)
    if request.method == "POST":
        count_attempt()
    return render_template("accounts/login.html", form=form, error=error)


@bp.post("/logout")
def logout() -> Any:
    """End the session (POST only, so a link or an image cannot log anyone out)."""
    if current_user.is_authenticated:
        audit.record(db.session(), "auth.logout", target_type="user", target_id=current_user.id)
        db.session().commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"), 303)


@bp.route("/login/forgot", methods=["GET", "POST"])
@per_address
def forgot_password() -> Any:
    """Ask for a reset link. The answer, and the work done before it, is the same whether or
    not the account exists: the look-up and the e-mail happen in a task."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        count_attempt()  # every request counts, so the form cannot be used to spam
        email = (form.email.data or "").strip().lower()
        try:
            dispatch(tasks.send_reset_link, email)
        except Exception:  # the broker is down: do it here rather than lose the request
            log.exception("could not enqueue the reset link task; sending it in the request")
            tasks.reset_link(db.session(), email)
        return render_template(
            "accounts/forgot_sent.html", email=form.email.data, hours=RESET_MAX_AGE // 3600
        )
    return render_template("accounts/forgot.html", form=form)


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
@per_address
def reset_password(token: str) -> Any:
    """Choose a new password from an e-mailed link, then carry on logged in."""
    user = user_for_reset_token(token)
    if user is None:
        count_attempt()
        return render_template("accounts/link_invalid.html", kind="reset"), 410
    form = ResetPasswordForm()
    form.user_inputs = user_words(user)
    if form.validate_on_submit():
        service.set_password(user, form.password.data or "")
        start_session(user)
        flash(_("Your new password is set. You are logged in."), "success")
        # This browser has proved it holds the mailbox: it gets its own login allowance.
        return remember_device(redirect(home(), 303), user.email)
    return render_template("accounts/reset.html", form=form, user=user)


@bp.route("/invite/<token>", methods=["GET", "POST"])
@per_address
def accept_invite(token: str) -> Any:
    """Accept an invitation: give a name and a password, then carry on logged in."""
    user = user_for_invite_token(token)
    if user is None:
        count_attempt()
        return render_template("accounts/link_invalid.html", kind="invite"), 410
    form = AcceptInviteForm(name=user.name)
    form.user_inputs = [*user_words(user), request.form.get("name", "")]
    if form.validate_on_submit():
        user.name = (form.name.data or "").strip()[:120]
        service.set_password(user, form.password.data or "")
        start_session(user)
        flash(_("Welcome to Stoop, %(name)s.", name=user.display_name), "success")
        return remember_device(redirect(home(), 303), user.email)
    return render_template("accounts/invite.html", form=form, user=user)
