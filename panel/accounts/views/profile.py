"""Your profile: name, language and password."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from panel.accounts import service
from panel.accounts.blueprint import bp
from panel.accounts.forms import ChangePasswordForm, ProfileForm
from panel.accounts.passwords import user_words, verify_password
from panel.accounts.throttle import count_attempt, per_address
from panel.core.extensions import db


def _render_profile(
    profile_form: ProfileForm, password_form: ChangePasswordForm, status: int = 200
) -> Any:
    return render_template(
        "accounts/profile.html", form=profile_form, password_form=password_form
    ), status


@bp.get("/app/profile")
@login_required
def profile() -> Any:
    """Your name, language and password."""
    return _render_profile(ProfileForm(obj=current_user), ChangePasswordForm())


@bp.post("/app/profile")
@login_required
def update_profile() -> Any:
    """Save name and language."""
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render_profile(form, ChangePasswordForm(formdata=None), 422)
    current_user.name = (form.name.data or "").strip()
    current_user.locale = form.locale.data
    db.session().commit()
    with force_locale(current_user.locale):
        flash(_("Your profile is saved."), "success")
    return redirect(url_for("accounts.profile"), 303)


@bp.post("/app/profile/password")
@login_required
@per_address
def change_password() -> Any:
    """Change your password; every other session of yours ends, this one carries on."""
    form = ChangePasswordForm()
    form.user_inputs = user_words(current_user)
    if form.validate_on_submit():
        if verify_password(current_user.password_hash, form.current_password.data or ""):
            user = current_user._get_current_object()
            service.set_password(user, form.password.data or "")
            db.session().commit()
            # The session id holds a stamp of the password hash: log in again under the new one.
            remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
            login_user(user, remember=remember in request.cookies)
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("accounts.profile"), 303)
        count_attempt()
        form.current_password.errors = [_("That is not your current password.")]
    return _render_profile(ProfileForm(obj=current_user, formdata=None), form, 422)
