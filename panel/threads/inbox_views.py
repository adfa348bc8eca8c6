"""The inbox page, ``/app/inbox``: a staff member's conversations with tenants, newest activity
first, in three scopes (mine, my team, all), filtered by a plain GET form and searched."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, render_template, request
from flask_login import current_user, login_required

from panel.answers.models import AnswerChannel
from panel.core.extensions import db
from panel.threads import inbox
from panel.threads.inbox_filters import Scope, parse, sees_all
from panel.threads.inbox_rows import build_rows, load_options
from panel.threads.models import ThreadStatus

inbox_bp = Blueprint("inbox", __name__)


def _organisation() -> Any:
    return g.get("organisation") or current_user.organisation


@inbox_bp.get("/app/inbox")
@login_required
def index() -> Any:
    """The inbox: a page of threads of the scope asked for, as the filters narrow it."""
    session = db.session()
    user = current_user._get_current_object()
    parsed = parse(request.args, user)
    if parsed.scope_refused:
        abort(404)
    filters = parsed.filters
    ctx = inbox.context_for(user, _organisation(), session.get_bind().dialect.name)
    page = inbox.inbox_page(session, filters, ctx, parsed.cursor)
    options = load_options(session, people=filters.scope != Scope.MINE)
    rows = build_rows(page.rows, options, overdue_before=ctx.overdue_before, zone=ctx.zone)
    anything = bool(rows) or parsed.cursor is not None or inbox.has_any(session, filters, ctx)
    return render_template(
        "threads/inbox.html",
        rows=rows,
        older=page.older,
        paged=parsed.cursor is not None,
        filters=filters,
        problems=[str(problem) for problem in parsed.problems],
        options=options,
        anything=anything,
        scopes=_scopes(user),
        statuses=[status.value for status in ThreadStatus],
        channels=[channel.value for channel in AnswerChannel],
        overdue_days=ctx.overdue_days,
    )


def _scopes(user: Any) -> list[str]:
    """The scopes this user may choose (a tab each)."""
    scopes = [Scope.MINE.value]
    if user.team:
        scopes.append(Scope.TEAM.value)
    if sees_all(user):
        scopes.append(Scope.ALL.value)
    return scopes
