"""Sharing a report, for staff: the share page (links, the e-mail to colleagues), the PDF, and
the answers behind the report as CSV and XLSX.

- ``/app/reports/<id>/share``: the report's links (label, personal data shown or hidden, until
  when, opened how often and when last, copy, revoke), a form for a new link and a form to
  e-mail the report to colleagues. Communicators and admins.
- ``/app/reports/<id>/report.pdf``: the whole report as a PDF (any staff member who may see the
  report; ``?personal=0`` hides personal data, for a PDF that leaves the organisation).
- ``/app/reports/<id>/answers.csv`` and ``.xlsx``: communicators and admins, for reports of at
  most ``STOOP_EXPORT_DIRECT_ROWS`` answers; larger ones are prepared in the background
  (``POST /app/reports/<id>/exports``, its progress at ``…/exports/<export id>`` as JSON, the
  file at ``…/exports/<export id>/download`` for a day; :mod:`panel.reports.export_jobs`).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict

from panel.accounts.models import Role, User
from panel.core.db import utcnow
from panel.core.errors import Forbidden, NotFound, StoopError, ValidationError, wants_json
from panel.core.extensions import db, limiter
from panel.core.pages import ago
from panel.organisations.models import Organisation
from panel.privacy import audit
from panel.reports import document, export_jobs, exports, mailing, service, sharing
from panel.reports.models import Report, ReportExport

bp = Blueprint("report_shares", __name__, url_prefix="/app/reports")

SHARERS = (Role.ADMIN, Role.COMMUNICATOR)
EMAIL_LIMIT = "30 per hour"
EXPORT_LIMIT = "30 per hour"
PDF_LIMIT = "60 per hour"


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _require_sharer(message: str) -> None:
    if current_user.role not in SHARERS:
        raise Forbidden(message)


def _exportable(session: Any, report_id: int) -> Report:
    """The report, when the signed-in person may export its answers (404, 403 otherwise)."""
    report = service.get_report(session, report_id)
    _require_sharer(_("Only communicators and admins export answers."))
    return report


def _audit_export(session: Any, report: Report, **details: Any) -> None:
    """A file of the report left Stoop: the audit log says which, by whom."""
    audit.record(
        session, "report.export", target_type="report", target_id=report.id, details=details
    )


def _organisation() -> Organisation:
    return db.session().get(Organisation, current_user.organisation_id)


def _field_errors(exc: StoopError) -> dict[str, str]:
    names = list(exc.details) if isinstance(exc.details, dict) else []
    return {names[0] if names else "form": exc.message}


@bp.app_template_global("may_share_reports")
def may_share_reports() -> bool:
    """The signed-in person may share reports and export their answers."""
    return bool(current_user.is_authenticated and current_user.role in SHARERS)


def _share_page(
    report: Report,
    *,
    link_values: Any = None,
    link_errors: dict[str, str] | None = None,
    mail_values: Any = None,
    mail_errors: dict[str, str] | None = None,
    status: int = 200,
    new_link: int | None = None,
) -> Any:
    from panel.threads import team

    session = db.session()
    organisation = _organisation()
    zone = sharing.zone_of(organisation)
    links = sharing.links_of(session, report)
    base_url = current_app.config["STOOP"].base_url
    answer_count = export_jobs.answer_count(session, report)
    page = render_template(
        "reports/share.html",
        report=report,
        answer_count=answer_count,
        prepared=answer_count > export_jobs.direct_limit(),
        exports=[
            export_status(report.id, export)
            for export in export_jobs.exports_of(session, report.id)
        ],
        links=[
            {
                "link": link,
                "state": sharing.state_of(link),
                "url": f"{base_url}/r/{link.token}",
                "expires_on": _last_day(link, zone),
                "new": link.id == new_link,
            }
            for link in links
        ],
        colleagues=[u for u in team.colleagues(session) if u.id != current_user.id],
        link_values=link_values if link_values is not None else MultiDict({"hide_personal": "1"}),
        link_errors=link_errors or {},
        mail_values=mail_values if mail_values is not None else MultiDict(),
        mail_errors=mail_errors or {},
        form_key=secrets.token_urlsafe(24),
        today=utcnow().astimezone(zone).date().isoformat(),
    )
    return page, status


def _last_day(link: Any, zone: Any) -> Any:
    """The last day a link works (its expiry is the end of that day), or None."""
    if link.expires_at is None:
        return None
    import datetime as dt

    return (link.expires_at.astimezone(zone) - dt.timedelta(seconds=1)).date()


@bp.get("/<int:report_id>/share")
@login_required
def share(report_id: int) -> Any:
    """The report's links and the e-mail form."""
    report = service.get_report(db.session(), report_id)
    _require_sharer(_("Only communicators and admins share reports."))
    return _share_page(report, new_link=request.args.get("new", type=int))


@bp.post("/<int:report_id>/share")
@login_required
def create_link(report_id: int) -> Any:
    """A new read-only link: ``label``, ``expires_on`` (optional last day), ``hide_personal``."""
    session = db.session()
    report = service.get_report(session, report_id)
    _require_sharer(_("Only communicators and admins share reports."))
    try:
        link = sharing.create_link(
            session,
            report,
            created_by_id=current_user.id,
            label=request.form.get("label", ""),
            expires_on=request.form.get("expires_on", ""),
            hide_personal=request.form.get("hide_personal") == "1",
        )
    except StoopError as exc:
        session.rollback()
        return _share_page(
            report, link_values=request.form, link_errors=_field_errors(exc), status=exc.status
        )
    audit.record(
        session,
        "report.share",
        target_type="share_link",
        target_id=link.id,
        details={"report_id": report.id},
    )
    session.commit()
    flash(_("The link is ready: copy it and send it to whoever should read the report."), "success")
    return redirect(url_for(".share", report_id=report.id, new=link.id) + "#links", 303)


@bp.post("/<int:report_id>/share/<int:share_link_id>/revoke")
@login_required
def revoke_link(report_id: int, share_link_id: int) -> Any:
    """Switch a link off for good."""
    session = db.session()
    report = service.get_report(session, report_id)
    _require_sharer(_("Only communicators and admins share reports."))
    link = sharing.get_link(session, report, share_link_id)
    if sharing.revoke(link):
        audit.record(
            session,
            "report.share_revoke",
            target_type="share_link",
            target_id=link.id,
            details={"report_id": report.id},
        )
        session.commit()
        flash(_("The link no longer works."), "success")
    else:
        flash(_("That link was switched off already."), "info")
    return redirect(url_for(".share", report_id=report.id) + "#links", 303)


@bp.post("/<int:report_id>/share/email")
@login_required
@limiter.limit(EMAIL_LIMIT, key_func=lambda: f"report-email:{current_user.id}")
def email(report_id: int) -> Any:
    """E-mail the report to the ticked colleagues (``to``, repeated) with ``message``."""
    from panel.reports import figures

    session = db.session()
    report = service.get_report(session, report_id)
    _require_sharer(_("Only communicators and admins share reports."))
    try:
        recipients = mailing.clean_recipients(session, request.form.getlist("to"))
        message = mailing.clean_message(request.form.get("message"))
        found = figures.compute(session, service.filter_of(report), tuple(report.index_ids or ()))
        done = mailing.send(
            session, report, found, _me(), recipients, message, request.form.get("form_key")
        )
    except StoopError as exc:
        session.rollback()
        return _share_page(
            report, mail_values=request.form, mail_errors=_field_errors(exc), status=exc.status
        )
    if done.sent:
        audit.record(
            session,
            "report.email",
            target_type="report",
            target_id=report.id,
            details={"user_ids": [u.id for u in done.sent]},
        )
    session.commit()
    if done.sent:
        flash(
            ngettext(
                "The report is on its way to %(num)s colleague.",
                "The report is on its way to %(num)s colleagues.",
                len(done.sent),
            ),
            "success",
        )
    if done.already:
        flash(
            _(
                "Already sent to %(names)s a moment ago: not sent again.",
                names=", ".join(u.display_name for u in done.already),
            ),
            "info",
        )
    return redirect(url_for(".share", report_id=report.id) + "#email", 303)


@bp.get("/<int:report_id>/report.pdf")
@login_required
@limiter.limit(PDF_LIMIT, key_func=lambda: f"report-pdf:{current_user.id}")
def pdf(report_id: int) -> Any:
    """The whole report as a PDF."""
    from panel.reports.public import pdf_response

    session = db.session()
    report = service.get_report(session, report_id)
    personal = request.args.get("personal") != "0"
    data = document.render_pdf(session, report, personal=personal)
    _audit_export(session, report, format="pdf", personal=personal)
    session.commit()
    response = pdf_response(data, document.pdf_name(report))
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.get("/<int:report_id>/answers.csv")
@login_required
def answers_csv(report_id: int) -> Any:
    """The answers behind the report, as CSV."""
    return _direct_export(report_id, "csv")


@bp.get("/<int:report_id>/answers.xlsx")
@login_required
def answers_xlsx(report_id: int) -> Any:
    """The answers behind the report, as an Excel workbook."""
    return _direct_export(report_id, "xlsx")


def _direct_export(report_id: int, file_format: str) -> Any:
    """The report's answers written while the user waits (to a temporary file batch by batch,
    then sent from it: memory stays flat, and the database session is done before the first
    byte goes out), or the way to the share page when there are too many for a request."""
    session = db.session()
    report = _exportable(session, report_id)
    too_many = _too_many_for_a_request(session, report)
    if too_many is not None:
        return too_many
    zone = sharing.zone_of(_organisation())
    report_filter = service.filter_of(report)
    if file_format == "csv":
        handle = exports.write_csv(session, report_filter, zone)
    else:
        handle = exports.write_xlsx(session, report_filter, zone, report.title)
    _audit_export(session, report, format=file_format)
    session.commit()
    response = send_file(handle, mimetype=export_jobs.CONTENT_TYPES[file_format], max_age=0)
    _attachment(response, exports.file_name(report.title, file_format))
    return response


def _too_many_for_a_request(session: Any, report: Report) -> Any:
    """A redirect to the share page, saying to prepare the file, when the report has more
    answers than a request exports; None otherwise."""
    count = export_jobs.answer_count(session, report)
    if count <= export_jobs.direct_limit():
        return None
    flash(
        _(
            "This report has %(count)s answers: too many to write while you wait. Prepare the "
            "file below; it is ready to download in a few minutes.",
            count=format_decimal(count),
        ),
        "info",
    )
    return redirect(url_for(".share", report_id=report.id) + "#downloads", 303)


@bp.post("/<int:report_id>/exports")
@login_required
@limiter.limit(EXPORT_LIMIT, key_func=lambda: f"report-export:{current_user.id}")
def prepare_export(report_id: int) -> Any:
    """Prepare the answers as a CSV or XLSX file in the background."""
    session = db.session()
    report = _exportable(session, report_id)
    file_format = request.form.get("format", "")
    if file_format not in export_jobs.FORMATS:
        choose = _("Choose CSV or XLSX.")
        raise ValidationError(choose, details={"format": [choose]})
    export = export_jobs.request_export(session, report, file_format, user_id=current_user.id)
    session.commit()
    if wants_json():
        return export_status(report.id, export), 202
    flash(_("Preparing the file. You can leave this page: it stays here for a day."), "success")
    return redirect(url_for(".share", report_id=report.id) + "#downloads", 303)


@bp.get("/<int:report_id>/exports/<int:report_export_id>")
@login_required
def export_progress(report_id: int, report_export_id: int) -> Any:
    """How far a prepared export is (the page polls this)."""
    session = db.session()
    report = _exportable(session, report_id)
    export = export_jobs.get_export(session, report.id, report_export_id)
    if export is None:
        raise NotFound(_("This export is not there (any more)."))
    response = jsonify(export_status(report.id, export))
    response.headers["Cache-Control"] = "no-store, private"
    return response


@bp.get("/<int:report_id>/exports/<int:report_export_id>/download")
@login_required
def export_download(report_id: int, report_export_id: int) -> Any:
    """A prepared export's file, while it is kept."""
    from media.storage import current_storage

    session = db.session()
    report = _exportable(session, report_id)
    export = export_jobs.get_export(session, report.id, report_export_id)
    if export is None or export.state != export_jobs.DONE or not export.storage_key:
        raise NotFound(_("This export is not there (any more)."))
    # Streamed through the app rather than media.serving.send_stored: the file holds personal
    # data, so it must not be cached (send_stored allows an hour) nor handed out as a presigned
    # S3 address, and it keeps the report's name as its file name.
    storage = current_storage()
    try:
        size = storage.head(export.storage_key).size
        body = storage.stream(export.storage_key)
    except FileNotFoundError:
        raise NotFound(_("This export is not there (any more).")) from None
    _audit_export(session, report, format=export.format, prepared=export.id, rows=export.rows)
    session.commit()
    response = Response(body, mimetype=export_jobs.CONTENT_TYPES[export.format])
    response.direct_passthrough = True
    response.headers["Content-Length"] = str(size)
    _attachment(response, exports.file_name(report.title, export.format))
    return response


def export_status(report_id: int, export: ReportExport) -> dict[str, Any]:
    """What the page shows of a prepared export (and the JSON of its poll)."""
    ready = export.state == export_jobs.DONE and bool(export.storage_key)
    messages = {
        export_jobs.QUEUED: _("Waiting for its turn…"),
        export_jobs.WRITING: _(
            "Writing: %(rows)s of %(total)s answers…", rows=export.rows, total=export.total
        ),
        export_jobs.DONE: _("Ready: %(num)s answers.", num=export.rows),
        export_jobs.FAILED: _(
            "Could not be written. Prepare it again; if it fails again, tell your administrator."
        ),
        export_jobs.EXPIRED: _("Deleted after a day. Prepare it again if you need it."),
    }
    return {
        "id": export.id,
        "format": export.format,
        "state": export.state,
        "progress": 100 if ready else export.progress,
        "rows": export.rows,
        "total": export.total,
        "message": messages.get(export.state, ""),
        "created_at": export.created_at.isoformat() if export.created_at else None,
        "created_ago": ago(export.created_at),
        "expires_at": export.expires_at.isoformat() if export.expires_at else None,
        "status_url": url_for(".export_progress", report_id=report_id, report_export_id=export.id),
        "download_url": url_for(".export_download", report_id=report_id, report_export_id=export.id)
        if ready
        else None,
    }


def _attachment(response: Response, name: str) -> None:
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "ignore").decode() or "answers.csv"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    response.headers["Cache-Control"] = "no-store, private"
