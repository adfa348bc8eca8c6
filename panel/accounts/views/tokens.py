"""Your API tokens: create one (its secret shown once), list them, revoke one."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from panel.accounts.blueprint import bp
from panel.accounts.forms import TokenForm
from panel.accounts.models import ApiToken
from panel.accounts.tokens import DEFAULT_EXPIRY_DAYS, create_token, revoke_token
from panel.core.extensions import db


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
    days = int(form.expires.data or DEFAULT_EXPIRY_DAYS)
    _token, secret = create_token(db.session(), current_user, form.name.data or "", days=days)
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
