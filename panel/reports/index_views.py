"""Composite indices (``/app/reports/indices``), the report settings on the organisation's
settings page, and the benchmark across organisations (``/app/reports/benchmark``).

Everyone signed in sees the indices; admins and communicators create, change and delete them.
Only admins change the report settings and whether the organisation takes part in the
benchmark. An organisation that takes part sees where it stands among the others.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from panel.accounts.models import Role
from panel.core.errors import Forbidden, StoopError, ValidationError
from panel.core.extensions import db
from panel.organisations.models import Organisation
from panel.privacy import audit
from panel.reports import benchmark, indices, report_settings

bp = Blueprint("report_indices", __name__)


def _organisation() -> Organisation:
    return db.session().get(Organisation, current_user.organisation_id)


def _may_edit() -> bool:
    return current_user.role in (Role.ADMIN, Role.COMMUNICATOR)


def _require_editor() -> None:
    if not _may_edit():
        raise Forbidden(_("Only admins and communicators change indices."))


# --- indices -------------------------------------------------------------------------------------


@bp.get("/app/reports/indices")
@login_required
def index() -> Any:
    """The organisation's composite indices."""
    session = db.session()
    return render_template(
        "reports/indices.html",
        indices=indices.list_indices(session),
        questions={q.id: q for q in indices.score_questions(session)},
        labels=indices.benchmark_labels(),
        may_edit=_may_edit(),
    )


def _form(index: Any = None, values: Any = None, errors: Any = None, status: int = 200) -> Any:
    session = db.session()
    if values is None:
        weights = (
            {f"weight-{c.question_id}": _plain(c.weight) for c in index.components} if index else {}
        )
        values = {
            "name": index.name if index else "",
            "description": index.description if index else "",
            "target_mean": _plain(index.target_mean) if index else "",
            "target_share": _plain(index.target_share) if index else "",
            "benchmark_key": (index.benchmark_key or "") if index else "",
            **weights,
        }
    page = render_template(
        "reports/index_form.html",
        index=index,
        values=values,
        errors=errors or {},
        questions=indices.score_questions(session),
        labels=indices.benchmark_labels(),
    )
    return page, status


def _plain(number: float | None) -> str:
    """A number as a person writes it: 1 rather than 1.0; blank for none."""
    if number is None:
        return ""
    return f"{number:g}"


def _errors(exc: StoopError) -> dict[str, str]:
    details = exc.details if isinstance(exc.details, dict) else {}
    found = {key: " ".join(str(m) for m in messages) for key, messages in details.items()}
    return found or {"form": exc.message}


@bp.get("/app/reports/indices/new")
@login_required
def new() -> Any:
    """The form for a new index."""
    _require_editor()
    return _form()


@bp.post("/app/reports/indices/new")
@login_required
def create() -> Any:
    """Save a new index."""
    _require_editor()
    session = db.session()
    try:
        saved = indices.save_index(session, request.form)
    except ValidationError as exc:
        session.rollback()
        return _form(None, request.form, _errors(exc), exc.status)
    session.commit()
    flash(_("Saved the index “%(name)s”.", name=saved.name), "success")
    return redirect(url_for(".index"), 303)


@bp.get("/app/reports/indices/<int:composite_index_id>")
@login_required
def edit(composite_index_id: int) -> Any:
    """The form of one index (read-only for those who may not change it)."""
    found = indices.get_index(db.session(), composite_index_id)
    _require_editor()
    return _form(found)


@bp.post("/app/reports/indices/<int:composite_index_id>")
@login_required
def update(composite_index_id: int) -> Any:
    """Save changes to an index."""
    session = db.session()
    found = indices.get_index(session, composite_index_id)
    _require_editor()
    try:
        indices.save_index(session, request.form, found)
    except ValidationError as exc:
        session.rollback()
        return _form(
            indices.get_index(session, composite_index_id), request.form, _errors(exc), exc.status
        )
    session.commit()
    flash(_("Saved the index “%(name)s”.", name=found.name), "success")
    return redirect(url_for(".index"), 303)


@bp.post("/app/reports/indices/<int:composite_index_id>/delete")
@login_required
def delete(composite_index_id: int) -> Any:
    """Delete an index."""
    session = db.session()
    found = indices.get_index(session, composite_index_id)
    _require_editor()
    name = found.name
    indices.delete_index(session, found)
    session.commit()
    flash(_("Deleted the index “%(name)s”.", name=name), "success")
    return redirect(url_for(".index"), 303)


# --- settings (a section of the organisation's settings page) -----------------------------------


@bp.app_template_global("report_settings_section")
def report_settings_section() -> dict[str, Any]:
    """The settings page's report section: the saved values, or those refused and why."""
    refused = g.get("report_settings_refused") or {}
    saved = report_settings.current(_organisation())
    values = {
        "report_score_target": saved.score_target,
        "report_target_share": _plain(saved.target_share),
        "report_min_group": saved.min_group,
        "benchmark_opt_in": saved.benchmark_opt_in,
    }
    values.update(refused.get("values", {}))
    return {"values": values, "errors": refused.get("errors", {})}


@bp.post("/app/settings/reports")
@login_required
def save_settings() -> Any:
    """Save the report settings and whether the organisation takes part in the benchmark."""
    if not current_user.is_admin:
        raise Forbidden(_("Only admins change the organisation's settings."))
    session = db.session()
    organisation = _organisation()
    before = report_settings.current(organisation).benchmark_opt_in
    try:
        saved = report_settings.save(organisation, request.form)
    except ValidationError as exc:
        session.rollback()
        from panel.organisations.views import settings as settings_page

        g.report_settings_refused = {
            "values": {key: str(request.form.get(key) or "")[:10] for key in report_settings.LIMITS}
            | {"benchmark_opt_in": bool(request.form.get("benchmark_opt_in"))},
            "errors": _errors(exc),
        }
        page, _status = settings_page()
        return page, exc.status
    if before and not saved.benchmark_opt_in:
        benchmark.forget(session, organisation.id)
    audit.record_changes(session, "settings.change", organisation, section="reports")
    session.commit()
    flash(_("Saved the report settings."), "success")
    return redirect(url_for("organisations.settings", _anchor="report-settings"), 303)


# --- benchmark -----------------------------------------------------------------------------------


@bp.get("/app/reports/benchmark")
@login_required
def benchmark_page() -> Any:
    """Where the organisation stands among the opted-in organisations, per kind of index."""
    session = db.session()
    organisation = _organisation()
    taking_part = report_settings.current(organisation).benchmark_opt_in
    found = benchmark.standings(session, organisation.id) if taking_part else []
    return render_template(
        "reports/benchmark.html",
        taking_part=taking_part,
        standings=found,
        labels=indices.benchmark_labels(),
        minimum=benchmark.MIN_ORGANISATIONS,
        has_keyed_index=any(i.benchmark_key for i in indices.list_indices(session)),
    )
