"""Account pages: log in and out, password reset, invitations, the team, the profile, API tokens.

Everything a person can get wrong here answers with a page that says what to do next: a wrong
password, an expired link, a form that lost its CSRF token, too many attempts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from panel.accounts import service
from panel.accounts.emails import send_invitation, send_password_reset
from panel.accounts.forms import (
    AcceptInviteForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    InviteForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
    RoleForm,
    TokenForm,
    role_choices,
)
from panel.accounts.links import RESET_MAX_AGE, user_for_invite_token, user_for_reset_token
from panel.accounts.models import ApiToken, Role, User
from panel.accounts.passwords import verify_password
from panel.accounts.tokens import create_token, revoke_token
from panel.core.db import utcnow
from panel.core.errors import Conflict, Forbidden, ValidationError
from panel.core.extensions import db, limiter
from panel.core.pages import safe_next
from panel.core.scoping import scope_session, scoped_to

bp = Blueprint("accounts", __name__)


# --- helpers -------------------------------------------------------------------------------


def _login_limit() -> str:
    return current_app.config["STOOP"].login_rate_limit


FAILED_ATTEMPT = "stoop.failed_attempt"


def _attempt_failed(_response: Any) -> bool:
    # Only failed attempts count towards the limit: logging in often is never punished.
    return bool(request.environ.get(FAILED_ATTEMPT))


def _count_attempt() -> None:
    """Count this request towards the rate limit (kept on the request, not on ``g``)."""
    request.environ[FAILED_ATTEMPT] = True


rate_limited = limiter.limit(_login_limit, methods=["POST"], deduct_when=_attempt_failed)


def admin_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Only a logged-in admin may use the view; others get a 403 that says why."""

    @functools.wraps(view)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_admin:
            raise Forbidden(_("Only admins manage the team. Ask an admin of your organisation."))
        return view(*args, **kwargs)

    return wrapper


def _start_session(user: User, remember: bool = False) -> None:
    """Log ``user`` in on this browser and remember when they did."""
    # From here on the request acts as ``user``: scope to their organisation (someone logged in
    # elsewhere may have opened a reset link of an account in another organisation).
    scope_session(db.session(), user.organisation_id)
    user.last_login_at = utcnow()
    db.session().commit()
    login_user(user, remember=remember)


def _home() -> str:
    return url_for("home.dashboard")


# --- logging in and out ------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
@rate_limited
def login() -> Any:
    """The login form; on success go to ``next`` (a local path) or the overview."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or _home())
    form = LoginForm(next=request.args.get("next", ""))
    error = None
    if form.validate_on_submit():
        user = service.check_login(db.session(), form.email.data or "", form.password.data or "")
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
        else:
            _start_session(user, remember=bool(form.remember.data))
            return redirect(safe_next(form.next.data) or _home(), 303)
    if request.method == "POST":
        _count_attempt()
    return render_template("accounts/login.html", form=form, error=error)


@bp.post("/logout")
def logout() -> Any:
    """End the session (POST only, so a link or an image cannot log anyone out)."""
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"), 303)


# --- password reset ----------------------------------------------------------------------


@bp.route("/login/forgot", methods=["GET", "POST"])
@rate_limited
def forgot_password() -> Any:
    """Ask for a reset link. The answer is the same whether or not the account exists."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        _count_attempt()  # every request counts, so the form cannot be used to spam
        session = db.session()
        user = service.find_user_by_email(session, form.email.data or "")
        if user is not None and user.is_active:
            with scoped_to(session, user.organisation_id):
                send_password_reset(session, user)
                session.commit()
        return render_template(
            "accounts/forgot_sent.html", email=form.email.data, hours=RESET_MAX_AGE // 3600
        )
    return render_template("accounts/forgot.html", form=form)


@bp.route("/login/reset/<token>", methods=["GET", "POST"])
@rate_limited
def reset_password(token: str) -> Any:
    """Choose a new password from an e-mailed link, then carry on logged in."""
    user = user_for_reset_token(token)
    if user is None:
        _count_attempt()
        return render_template("accounts/link_invalid.html", kind="reset"), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        service.set_password(user, form.password.data or "")
        _start_session(user)
        flash(_("Your new password is set. You are logged in."), "success")
        return redirect(_home(), 303)
    return render_template("accounts/reset.html", form=form, user=user)


# --- invitations -------------------------------------------------------------------------


@bp.route("/invite/<token>", methods=["GET", "POST"])
@rate_limited
def accept_invite(token: str) -> Any:
    """Accept an invitation: give a name and a password, then carry on logged in."""
    user = user_for_invite_token(token)
    if user is None:
        _count_attempt()
        return render_template("accounts/link_invalid.html", kind="invite"), 410
    form = AcceptInviteForm(name=user.name)
    if form.validate_on_submit():
        user.name = (form.name.data or "").strip()[:120]
        service.set_password(user, form.password.data or "")
        _start_session(user)
        flash(_("Welcome to Stoop, %(name)s.", name=user.display_name), "success")
        return redirect(_home(), 303)
    return render_template("accounts/invite.html", form=form, user=user)


# --- the team (admins) -------------------------------------------------------------------


def _member(user_id: int) -> User:
    """A user of the current organisation (scoping filters the query), else 404."""
    user = db.session().scalar(sa.select(User).where(User.id == user_id))
    if user is None:
        abort(404)
    return user


def _render_team(invite_form: InviteForm, status: int = 200) -> Any:
    members = db.session().scalars(
        sa.select(User).order_by(User.is_active.desc(), sa.func.lower(User.name), User.email)
    )
    return render_template(
        "accounts/team.html",
        members=list(members),
        form=invite_form,
        roles=dict(role_choices()),
    ), status


@bp.get("/app/team")
@admin_required
def users() -> Any:
    """Everyone in the organisation, with the invite form."""
    return _render_team(InviteForm())


@bp.post("/app/team/invite")
@admin_required
def invite() -> Any:
    """Create an account without a password and e-mail the colleague an invitation."""
    form = InviteForm()
    if form.validate_on_submit():
        session = db.session()
        try:
            user = service.invite_user(
                session, current_user, form.email.data or "", form.role.data, form.name.data or ""
            )
        except (ValidationError, Conflict) as exc:
            session.rollback()
            form.email.errors = [*form.email.errors, exc.message]
        else:
            send_invitation(session, user, current_user)
            session.commit()
            flash(_("Invitation sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("accounts.users"), 303)
    return _render_team(form, 422)


@bp.post("/app/team/<int:user_id>/role")
@admin_required
def change_role(user_id: int) -> Any:
    """Give a colleague another role."""
    user = _member(user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        raise ValidationError(_("Choose admin, staff or communicator."))
    service.change_role(current_user, user, form.role.data)
    db.session().commit()
    flash(
        _("%(name)s is now %(role)s.", name=user.display_name, role=_role_label(user.role)),
        "success",
    )
    return redirect(url_for("accounts.users"), 303)


@bp.post("/app/team/<int:user_id>/deactivate")
@admin_required
def deactivate(user_id: int) -> Any:
    """Deactivate a colleague: their sessions, invitation and API tokens stop working."""
    user = _member(user_id)
    service.set_active(current_user, user, False)
    db.session().commit()
    flash(_("%(name)s can no longer log in.", name=user.display_name), "success")
    return redirect(url_for("accounts.users"), 303)


@bp.post("/app/team/<int:user_id>/reactivate")
@admin_required
def reactivate(user_id: int) -> Any:
    """Let a deactivated colleague log in again."""
    user = _member(user_id)
    service.set_active(current_user, user, True)
    db.session().commit()
    flash(_("%(name)s can log in again.", name=user.display_name), "success")
    return redirect(url_for("accounts.users"), 303)


@bp.post("/app/team/<int:user_id>/resend")
@admin_required
def resend_invite(user_id: int) -> Any:
    """Send a pending invitation again (with a fresh seven-day link)."""
    user = _member(user_id)
    if user.has_accepted_invite or not user.is_active:
        raise Conflict(_("%(name)s has no open invitation.", name=user.display_name))
    session = db.session()
    send_invitation(session, user, current_user)
    session.commit()
    flash(_("Invitation sent to %(email)s again.", email=user.email), "success")
    return redirect(url_for("accounts.users"), 303)


@bp.app_template_global("role_label")
def _role_label(role: Role) -> str:
    """The role as a person reads it, in their language."""
    return str(dict(role_choices()).get(role.value, role.value))


# --- profile -----------------------------------------------------------------------------


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
@rate_limited
def change_password() -> Any:
    """Change your password; every other session of yours ends, this one carries on."""
    form = ChangePasswordForm()
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
        _count_attempt()
        form.current_password.errors = [_("That is not your current password.")]
    return _render_profile(ProfileForm(obj=current_user, formdata=None), form, 422)


# --- API tokens --------------------------------------------------------------------------


def _render_tokens(form: TokenForm, secret: str | None = None, status: int = 200) -> Any:
    tokens = db.session().scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == current_user.id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc())
    )
    html = render_template("accounts/tokens.html", tokens=list(tokens), form=form, secret=secret)
    # The page may show a secret: never keep it in a cache.
    return html, status, {"Cache-Control": "no-store"}


@bp.get("/app/tokens")
@login_required
def tokens() -> Any:
    """Your API tokens."""
    return _render_tokens(TokenForm())


@bp.post("/app/tokens")
@login_required
def create_api_token() -> Any:
    """Create a token and show its secret, once."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _render_tokens(form, status=422)
    _token, secret = create_token(db.session(), current_user, form.name.data or "")
    db.session().commit()
    return _render_tokens(TokenForm(formdata=None), secret=secret, status=201)


@bp.post("/app/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int) -> Any:
    """Revoke one of your tokens; calls with it get 401 from then on."""
    token = db.session().scalar(
        sa.select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == current_user.id)
    )
    if token is None:
        abort(404)
    revoke_token(db.session(), token)
    db.session().commit()
    flash(_("The token “%(name)s” is revoked.", name=token.name or token.prefix), "success")
    return redirect(url_for("accounts.tokens"), 303)
