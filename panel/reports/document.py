"""A report outside the app: its body for the shared page, the PDF, and the chart images
of an e-mail.

The body is the report pages' own (``reports/_body.html``), given ``personal``: False hides
what could identify a tenant (names, contact details, clips). The PDF is that body in an A4
document with print CSS (WeasyPrint): the title, the date range and the organisation in the
margin of every page, page numbers, charts as inline SVG, nothing split inside a chart or a
table row, and clips as a line (a PDF plays nothing).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask import current_app, render_template
from flask_babel import format_date
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from panel.organisations.models import Organisation
from panel.reports.models import Report


def date_range(report: Report) -> str:
    """The report's dates as words (``1 Oct 2026 to 31 Dec 2026``; "all answers" without)."""
    start = format_date(report.starts_on, "medium") if report.starts_on else None
    end = format_date(report.ends_on, "medium") if report.ends_on else None
    if start and end:
        return f"{start} \u2013 {end}"
    if start:
        return _("from %(date)s", date=start)
    if end:
        return _("until %(date)s", date=end)
    return _("All answers so far")


def build_body(session: Session, report: Report, *, personal: bool) -> Any:
    """The report's body as plain values (:class:`panel.reports.body.ReportBody`) for a
    page or a PDF outside the app. Clips go with personal data: a face or a voice identifies
    a tenant, so without personal data a clip is left out (its words may still be in a theme
    or a quote the tenant allowed)."""
    from panel.reports.views import build_body as report_body

    built = report_body(session, report, personal=personal, staff=False)
    if not personal:
        built.items = [item for item in built.items if item.kind != "clip"]
    return built


def body_html(session: Session, report: Report, *, personal: bool, medium: str = "page") -> Markup:
    """The report's body, rendered (``medium``: ``page`` or ``pdf``)."""
    built = build_body(session, report, personal=personal)
    html = render_template("reports/_body.html", body=built, medium=medium)
    return Markup(html)  # noqa: S704 - the output of an autoescaped template


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string (every character but letters, digits and spaces
    escaped), for ``content:`` in the PDF's stylesheet."""
    out = "".join(
        c if (c.isalnum() and c.isascii()) or c == " " else f"\\{ord(c):x} " for c in text
    )
    return Markup(f'"{out}"')  # noqa: S704 - escaped above


def render_pdf(session: Session, report: Report, *, personal: bool) -> bytes:
    """The whole report as an A4 PDF."""
    from weasyprint import HTML  # imports in ~0.5 s: only when a PDF is asked for

    organisation = session.get(Organisation, report.organisation_id)
    html = render_template(
        "reports/pdf.html",
        report=report,
        organisation=organisation,
        dates=date_range(report),
        body=body_html(session, report, personal=personal, medium="pdf"),
        stylesheet=_stylesheet(),
        clip_line=css_string(_("A recording: play it in the report online.")),
    )
    return HTML(string=html, base_url=str(_static())).write_pdf()


def _static() -> Path:
    return Path(current_app.static_folder or "")


def _stylesheet() -> Markup:
    """The app's stylesheet, inlined (WeasyPrint then fetches nothing)."""
    css = (_static() / "stoop.css").read_text(encoding="utf-8")
    return Markup(css.replace("</", "<\\/"))  # noqa: S704 - our own file


def pdf_name(report: Report) -> str:
    """The PDF's file name, from the report's title."""
    from panel.reports.exports import file_name

    return file_name(report.title, "pdf")


CHART_NAME = re.compile(r"[a-z]+(?:-[0-9]{1,10})?")


def charts_of(figures: Any) -> dict[str, Any]:
    """The report's charts by name (``trend``, ``channels``, ``sends``, ``score-<question
    id>``), for the e-mail's PNG images."""
    from panel.reports import charts
    from panel.reports.body import channel_names

    found: dict[str, Any] = {}
    if figures.trend:
        found["trend"] = charts.trend_chart(figures.trend, figures.filter.period)
    for score in figures.scores:
        found[f"score-{score.question_id}"] = charts.distribution_chart(
            score.distribution, figures.score_target, score.title
        )
    if figures.channels:
        found["channels"] = charts.channel_chart(figures.channels, channel_names())
    if figures.sends:
        found["sends"] = charts.send_rate_chart(figures.sends)
    return found
