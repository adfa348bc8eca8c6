"""The saved replies page (``/app/settings/saved-replies``): everyone reads the list; admins and
communicators write, change and remove saved replies. A refused form is shown again with what
was typed and the reason beside the field (a title already used in that language, say)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from panel.core.errors import StoopError
from panel.core.extensions import db
from panel.core.i18n import LANGUAGE_NAMES, TENANT_LANGUAGES
from panel.threads import saved_replies
from panel.threads.forms import SavedReplyForm, show_problems
from panel.threads.models import SavedReply

bp = Blueprint("saved_replies", __name__)


def _list_page(form: SavedReplyForm | None = None, status: int = 200) -> Any:
    session = db.session()
    rows = saved_replies.saved_replies(session)
    default = current_user.organisation.default_language
    default = default if default in TENANT_LANGUAGES else "sv"
    groups: dict[str, list[SavedReply]] = {}
    for row in rows:
        groups.setdefault(row.language, []).append(row)
    page = render_template(
        "threads/saved_replies.html",
        groups=groups,
        count=len(rows),
        form=form or SavedReplyForm(formdata=None, language=default),
        can_manage=saved_replies.can_manage(current_user),
        language_names=LANGUAGE_NAMES,
    )
    return page, status


@bp.get("/app/settings/saved-replies")
@login_required
def index() -> Any:
    """The organisation's saved replies by language, and (for managers) a form for a new one."""
    return _list_page()


@bp.post("/app/settings/saved-replies")
@login_required
def create() -> Any:
    """Save a new saved reply."""
    saved_replies.require_manager(current_user)
    session = db.session()
    form = SavedReplyForm()
    try:
        row = saved_replies.create_saved_reply(session, current_user, form.values())
    except StoopError as exc:
        session.rollback()
        show_problems(form, exc, fallback="title")
        return _list_page(form, exc.status)
    session.commit()
    flash(
        _("Saved “%(title)s”. It is offered on every conversation now.", title=row.title),
        "success",
    )
    return redirect(url_for(".index", _anchor=f"saved-reply-{row.id}"), 303)


def _edit_page(row: SavedReply, form: SavedReplyForm, status: int = 200) -> Any:
    return render_template("threads/saved_reply_edit.html", row=row, form=form), status


@bp.get("/app/settings/saved-replies/<int:saved_reply_id>/edit")
@login_required
def edit(saved_reply_id: int) -> Any:
    """Change a saved reply."""
    row = saved_replies.get_saved_reply(db.session(), saved_reply_id)
    saved_replies.require_manager(current_user)
    form = SavedReplyForm(formdata=None, title=row.title, language=row.language, body=row.body)
    return _edit_page(row, form)


@bp.post("/app/settings/saved-replies/<int:saved_reply_id>")
@login_required
def update(saved_reply_id: int) -> Any:
    """Save the changes to a saved reply."""
    session = db.session()
    row = saved_replies.get_saved_reply(session, saved_reply_id)
    saved_replies.require_manager(current_user)
    form = SavedReplyForm()
    try:
        saved_replies.update_saved_reply(session, current_user, row, form.values())
    except StoopError as exc:
        session.rollback()
        show_problems(form, exc, fallback="title")
        return _edit_page(row, form, exc.status)
    session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for(".index", _anchor=f"saved-reply-{row.id}"), 303)


@bp.post("/app/settings/saved-replies/<int:saved_reply_id>/delete")
@login_required
def delete(saved_reply_id: int) -> Any:
    """Remove a saved reply."""
    session = db.session()
    row = saved_replies.get_saved_reply(session, saved_reply_id)
    title = row.title
    saved_replies.delete_saved_reply(session, current_user, row)
    session.commit()
    flash(_("Removed “%(title)s”.", title=title), "success")
    return redirect(url_for(".index"), 303)
