"""The shared report, for whoever has the link: ``/r/<token>`` (no login).

The token is the capability: the link is found across organisations, then the report is read
scoped to the link's organisation. Every answer says ``noindex``, ``Cache-Control: no-store``
(a shared computer keeps no copy; a revoked link stops at once) and ``Referrer-Policy:
no-referrer`` (the token never leaks to a site the page links to). A revoked or expired link
gets a page that says so (410), an unknown token 404; both with the same headers.

Clips on a shared report: played only when the link shows personal data (a face or a voice
identifies a tenant) and the tenant allowed the clip to be shown; then through the media's
public URLs (``/media/<public id>/...``: a 192-bit secret, no login). With personal data
hidden the clip is a line saying a recording is not shown. The PDF never plays anything.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, render_template
from flask_babel import gettext as _

from panel.core.errors import NotFound, StoopError
from panel.core.extensions import db, limiter
from panel.core.scoping import scoped_to
from panel.organisations.models import Organisation
from panel.reports import document, sharing
from panel.reports.models import Report

bp = Blueprint("report_public", __name__)

# A PDF takes WeasyPrint a second or two, a chart image rsvg-convert ~15 ms: per address, enough
# for a board meeting opening the report at once, not for hammering the server.
PDF_LIMIT = "20 per minute"
CHART_LIMIT = "120 per minute"
TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")
HEADERS = {
    "Cache-Control": "no-store, private",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}


def _with_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    return response


def _gone(exc: StoopError) -> Response:
    page = render_template("reports/public_gone.html", message=exc.message, status=exc.status)
    return _with_headers(Response(page, status=exc.status, mimetype="text/html"))


@bp.get("/r/<token>")
def shared(token: str) -> Any:
    """The report, read-only, as the link allows."""
    session = db.session()
    try:
        link = _link(token, count=True)
    except StoopError as exc:
        session.rollback()
        return _gone(exc)
    with scoped_to(session, link.organisation_id):
        report = _report(link)
        organisation = session.get(Organisation, link.organisation_id)
        body = document.body_html(session, report, personal=not link.hide_personal)
        page = render_template(
            "reports/public.html",
            report=report,
            organisation=organisation,
            link=link,
            dates=document.date_range(report),
            body=body,
        )
    session.commit()
    return _with_headers(Response(page, mimetype="text/html"))


@bp.get("/r/<token>/report.pdf")
@limiter.limit(PDF_LIMIT)
def shared_pdf(token: str) -> Any:
    """The shared report as a PDF (as the link allows)."""
    session = db.session()
    try:
        link = _link(token, count=True)
    except StoopError as exc:
        session.rollback()
        return _gone(exc)
    with scoped_to(session, link.organisation_id):
        report = _report(link)
        data = document.render_pdf(session, report, personal=not link.hide_personal)
        name = document.pdf_name(report)
    session.commit()
    return _with_headers(pdf_response(data, name))


@bp.get("/r/<token>/charts/<name>.png")
@limiter.limit(CHART_LIMIT)
def shared_chart(token: str, name: str) -> Any:
    """One chart of the shared report as a PNG (the images of an e-mail to colleagues);
    not counted as an opening."""
    from panel.reports import charts, figures, service

    session = db.session()
    try:
        link = _link(token, count=False)
    except StoopError as exc:
        session.rollback()
        return _gone(exc)
    if not document.CHART_NAME.fullmatch(name):
        return _gone(NotFound(_("This report has no such chart.")))
    with scoped_to(session, link.organisation_id):
        report = _report(link)
        found = figures.compute(session, service.filter_of(report), tuple(report.index_ids or ()))
        chart = document.charts_of(found).get(name)
        if chart is None:
            return _gone(NotFound(_("This report has no such chart.")))
        png = charts.chart_png(chart.svg)
    response = Response(png, mimetype="image/png")
    return _with_headers(response)


def _link(token: str, *, count: bool) -> Any:
    if not TOKEN.fullmatch(token):
        raise NotFound(_("There is no report at this link. Check that the link is complete."))
    return sharing.open_link(db.session(), token, count=count)


def _report(link: Any) -> Report:
    from panel.reports import service

    return service.get_report(db.session(), link.report_id)


def pdf_response(data: bytes, name: str) -> Response:
    """A PDF to download, named ``name`` (non-ASCII names as RFC 6266 ``filename*``)."""
    from urllib.parse import quote

    ascii_name = name.encode("ascii", "ignore").decode() or "report.pdf"
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    return response
