"""The team page (admins): everyone in the organisation, invitations, roles, deactivation.

Inviting an address that already has an account in another organisation answers exactly as
any invitation does; the address's owner is told by e-mail instead, so the team page never
reveals who has an account elsewhere.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from panel.accounts import service
from panel.accounts.blueprint import admin_required, bp
from panel.accounts.emails import send_invitation, send_invitation_elsewhere
from panel.accounts.forms import InviteForm, RoleForm, role_choices
from panel.accounts.models import Role, User
from panel.core.errors import Conflict, ValidationError
from panel.core.extensions import db


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
            email = service.normalise_email(form.email.data or "")
            elsewhere = service.account_elsewhere(session, current_user, email)
            if elsewhere is None:
                user = service.invite_user(
                    session, current_user, email, form.role.data, form.name.data or ""
                )
        except (ValidationError, Conflict) as exc:
            session.rollback()
            form.email.errors = [*form.email.errors, exc.message]
        else:
            if elsewhere is None:
                send_invitation(session, user, current_user)
            else:
                send_invitation_elsewhere(session, elsewhere, current_user)
            session.commit()
            flash(_("Invitation sent to %(email)s.", email=email), "success")
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
