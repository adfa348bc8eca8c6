"""Team work on threads, over HTTP: hand a thread to a colleague, forward an answer by e-mail,
the admins' list of overdue threads with its bulk reassignment, the overdue limit on the
settings page, each person's notification choice on their profile, and team names on the
team page. Plus the one public route: a forwarded clip's expiring link.

The thread page shows the hand-over and forward forms by including ``threads/_actions.html``
with ``thread``; the partial asks what it needs through the template globals registered here
(``thread_colleagues``, ``may_hand_over``, ``forward_allows``), so it works in any page.
Each form also has a page of its own, which shows the form again with what was wrong when a
post is refused (422, 409, 403), instead of losing what was typed.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from media.processing import content_type_of
from media.serving import send_stored
from media.storage import current_storage
from panel.accounts.blueprint import admin_required
from panel.accounts.models import NotifyMode, User
from panel.core.errors import Forbidden, NotFound, StoopError, ValidationError
from panel.core.extensions import db, limiter
from panel.core.pages import safe_next
from panel.organisations.models import Organisation
from panel.privacy import audit
from panel.threads import forwarding, overdue, service, team
from panel.threads.models import Thread

team_bp = Blueprint("thread_team", __name__)

CLIP_TOKEN = re.compile(r"[A-Za-z0-9_.-]{20,200}")
# Forwards reach addresses outside Stoop: a person forwards a few a day, not hundreds.
FORWARD_LIMIT = "30 per hour"


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _organisation() -> Organisation:
    return db.session().get(Organisation, current_user.organisation_id)


def _require_admin(message: str) -> None:
    if not current_user.is_admin:
        raise Forbidden(message)


def _thread_path(thread_id: int) -> str:
    return f"/app/threads/{thread_id}"


def _back(thread_id: int) -> str:
    """Where a form goes once done: the page it was on, else the thread's page."""
    return safe_next(request.form.get("next")) or _thread_path(thread_id)


def _field_errors(exc: StoopError) -> dict[str, str]:
    """The refusal's message beside the field it names (``form`` when it names none)."""
    names = list(exc.details) if isinstance(exc.details, dict) else []
    return {names[0] if names else "form": exc.message}


# --- Template globals the partials use ----------------------------------------------------------


@team_bp.app_template_global("thread_colleagues")
def thread_colleagues() -> list[User]:
    """The active colleagues of the organisation (once per request)."""
    if "thread_colleagues" not in g:
        g.thread_colleagues = team.colleagues(db.session())
    return g.thread_colleagues  # type: ignore[no-any-return]


@team_bp.app_template_global("may_hand_over")
def may_hand_over(thread: Thread) -> bool:
    """The person looking may hand ``thread`` over (see :mod:`panel.threads.team`)."""
    return current_user.is_authenticated and team.may_hand_over(db.session(), _me(), thread)


@team_bp.app_template_global("forward_allows")
def forward_allows(thread: Thread) -> forwarding.Allowed:
    """What a forward of the thread's answer may carry, as its tenant consented."""
    return forwarding.allowed(thread.answer)


@team_bp.app_template_global("overdue_count")
def overdue_count() -> int | None:
    """How many threads wait too long for a reply (admins only; None for others)."""
    if not (current_user.is_authenticated and current_user.is_admin):
        return None
    if "overdue_count" not in g:
        days = overdue.days_of(_organisation())
        g.overdue_count = overdue.overdue_count(db.session(), days)
    return g.overdue_count  # type: ignore[no-any-return]


@team_bp.app_template_global("reply_overdue_setting")
def reply_overdue_setting() -> dict[str, Any]:
    """The settings page's overdue section: the saved value, or the refused one and why."""
    refused = g.get("reply_overdue_refused") or {}
    return {
        "value": refused.get("value", overdue.days_of(_organisation())),
        "error": refused.get("error"),
        "min": overdue.MIN_DAYS,
        "max": overdue.MAX_DAYS,
        "default": overdue.DEFAULT_DAYS,
    }


# --- Hand over ----------------------------------------------------------------------------------


def _hand_over_page(
    thread: Thread, values: Any = None, errors: dict[str, str] | None = None, status: int = 200
) -> Any:
    values = values if values is not None else MultiDict({"next": request.args.get("next", "")})
    page = render_template(
        "threads/hand_over.html", thread=thread, values=values, errors=errors or {}
    )
    return page, status


@team_bp.get("/app/threads/<int:thread_id>/hand-over")
@login_required
def hand_over_form(thread_id: int) -> Any:
    """The hand-over form on a page of its own."""
    return _hand_over_page(service.get_thread(db.session(), thread_id))


@team_bp.post("/app/threads/<int:thread_id>/hand-over")
@login_required
def hand_over(thread_id: int) -> Any:
    """Give the thread to a colleague (``colleague``, an optional ``reason``): the owner, an
    admin, or anyone when nobody active owns it. The new owner is told, nobody else."""
    session = db.session()
    thread = service.get_thread(session, thread_id)
    if not team.may_hand_over(session, _me(), thread):
        errors = {"form": _("Only the owner of this conversation or an admin can hand it over.")}
        return _hand_over_page(thread, request.form, errors, 403)
    try:
        to = team.colleague(session, request.form.get("colleague"))
        service.hand_over(session, thread, _me(), to, request.form.get("reason"))
    except StoopError as exc:
        session.rollback()
        return _hand_over_page(thread, request.form, _field_errors(exc), exc.status)
    session.commit()
    flash(_("Handed over to %(name)s.", name=to.display_name), "success")
    return redirect(_back(thread_id), 303)


# --- Forward ------------------------------------------------------------------------------------


def _forward_page(
    thread: Thread, values: Any = None, errors: dict[str, str] | None = None, status: int = 200
) -> Any:
    values = values if values is not None else MultiDict({"next": request.args.get("next", "")})
    page = render_template(
        "threads/forward.html", thread=thread, values=values, errors=errors or {}
    )
    return page, status


@team_bp.get("/app/threads/<int:thread_id>/forward")
@login_required
def forward_form(thread_id: int) -> Any:
    """The forward form on a page of its own."""
    return _forward_page(service.get_thread(db.session(), thread_id))


@team_bp.post("/app/threads/<int:thread_id>/forward")
@login_required
@limiter.limit(FORWARD_LIMIT, key_func=lambda: f"thread-forward:{current_user.id}")
def forward(thread_id: int) -> Any:
    """E-mail the answer to ``address`` with an optional ``message``, as consent allows."""
    session = db.session()
    thread = service.get_thread(session, thread_id)
    try:
        done = forwarding.forward(
            session, thread, _me(), request.form.get("address"), request.form.get("message")
        )
    except StoopError as exc:
        session.rollback()
        return _forward_page(thread, request.form, _field_errors(exc), exc.status)
    address = done.comment.data.get("to", "")
    session.commit()
    if done.created:
        flash(_("Forwarded to %(email)s.", email=address), "success")
    else:
        flash(
            _(
                "You forwarded this to %(email)s a moment ago; it was not sent again.",
                email=address,
            ),
            "info",
        )
    return redirect(_back(thread_id), 303)


@team_bp.get("/clips/<token>")
def forwarded_clip(token: str) -> Any:
    """The recording a forward links to: no login (the signed, expiring token is the
    capability); refused once expired or once the tenant withdrew consent."""
    if not CLIP_TOKEN.fullmatch(token):
        raise NotFound(_("This link does not lead to a recording (any more)."))
    media, rendition = forwarding.clip_of_link(db.session(), token)
    key = media.renditions[rendition]
    try:
        response = send_stored(
            current_storage(),
            key,
            content_type=content_type_of(key),
            range_header=request.headers.get("Range"),
        )
    except FileNotFoundError:
        raise NotFound(_("This link does not lead to a recording (any more).")) from None
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


# --- Overdue threads (admins) -------------------------------------------------------------------


def _overdue_page(
    values: Any = None, errors: dict[str, str] | None = None, status: int = 200
) -> Any:
    session = db.session()
    days = overdue.days_of(_organisation())
    page = render_template(
        "threads/overdue.html",
        days=days,
        threads=overdue.overdue_threads(session, days),
        count=overdue.overdue_count(session, days),
        days_waiting=overdue.days_waiting,
        values=values or MultiDict(),
        errors=errors or {},
    )
    return page, status


@team_bp.get("/app/inbox/overdue", endpoint="overdue")
@login_required
def overdue_list() -> Any:
    """Threads waiting longer than the organisation's limit, the longest first (admins)."""
    _require_admin(_("Only admins see the list of overdue conversations."))
    return _overdue_page()


@team_bp.post("/app/inbox/overdue/reassign")
@login_required
def reassign() -> Any:
    """Hand the ticked threads (``thread``, repeated) to one colleague (``colleague``)."""
    _require_admin(_("Only admins reassign conversations in bulk."))
    session = db.session()
    try:
        ids = overdue.clean_thread_ids(request.form.getlist("thread"))
        to = team.colleague(session, request.form.get("colleague"))
        days = overdue.days_of(_organisation())
        done = overdue.reassign(session, _me(), ids, to, days)
    except StoopError as exc:
        session.rollback()
        return _overdue_page(request.form, _field_errors(exc), exc.status)
    session.commit()
    if done.moved:
        flash(
            _("Reassigned %(num)s to %(name)s.", num=len(done.moved), name=to.display_name),
            "success",
        )
    if done.theirs or done.answered:
        flash(
            _(
                "Left as they were: %(theirs)s already theirs, %(answered)s answered meanwhile.",
                theirs=len(done.theirs),
                answered=len(done.answered),
            ),
            "info",
        )
    return redirect(url_for(".overdue"), 303)


@team_bp.post("/app/settings/reply-overdue")
@login_required
def save_overdue_days() -> Any:
    """Save "flag conversations without a reply after N days" (settings page, admins)."""
    _require_admin(_("Only admins change the organisation's settings."))
    session = db.session()
    organisation = _organisation()
    raw = request.form.get(overdue.SETTING) or ""
    try:
        days = overdue.set_days(organisation, raw)
    except ValidationError as exc:
        session.rollback()
        from panel.organisations.views import settings as settings_page

        g.reply_overdue_refused = {"value": raw.strip()[:10], "error": exc.message}
        page, _status = settings_page()
        return page, exc.status
    audit.record_changes(session, "settings.change", organisation, section="reply_overdue")
    session.commit()
    limit = ngettext("%(num)s day", "%(num)s days", days)
    flash(
        _("Saved: conversations are flagged after %(limit)s without a reply.", limit=limit),
        "success",
    )
    return redirect(url_for("organisations.settings", _anchor="reply-overdue"), 303)


# --- Profile and team page ----------------------------------------------------------------------


@team_bp.post("/app/profile/notifications")
@login_required
def save_notify_mode() -> Any:
    """How you hear of answers and follow-ups: at once, once a day, or not by e-mail."""
    wanted = request.form.get("notify_mode", "")
    if wanted not in {mode.value for mode in NotifyMode}:
        raise ValidationError(
            _("Choose how you hear of answers: at once, once a day, or no e-mail."),
            details={"notify_mode": [_("Not a choice.")]},
        )
    _me().notify_mode = wanted
    db.session().commit()
    flash(_("Saved how you hear of answers."), "success")
    return redirect(url_for("accounts.profile", _anchor="notifications"), 303)


@team_bp.post("/app/team/<int:user_id>/team")
@admin_required
def set_team(user_id: int) -> Any:
    """Put a colleague in a team (blank: none). Colleagues in one team share "My team"."""
    session = db.session()
    user = session.scalar(sa.select(User).where(User.id == user_id))
    if user is None:
        abort(404)
    user.team = team.clean_team(request.form.get("team"))
    session.commit()
    if user.team:
        flash(
            _("%(name)s is in the team %(team)s.", name=user.display_name, team=user.team),
            "success",
        )
    else:
        flash(_("%(name)s is in no team.", name=user.display_name), "success")
    return redirect(url_for("accounts.users", _anchor=f"member-{user.id}"), 303)
