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


def body_context(
    session: Session, report: Report, *, personal: bool, medium: str
) -> dict[str, Any]:
    """What ``reports/_body.html`` needs. ``medium``: ``page`` (the shared page), ``pdf``
    or ``email``."""
    from panel.reports import page as report_page  # written on branch reportpages

    context = report_page.body_context(session, report, personal=personal)
    context["medium"] = medium
    return context


def body_html(session: Session, report: Report, *, personal: bool, medium: str = "page") -> Markup:
    """The report's body, rendered."""
    context = body_context(session, report, personal=personal, medium=medium)
    return Markup(render_template("reports/_body.html", **context))  # noqa: S704 - autoescaped


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
    from panel.threads.notices import CHANNEL_NAMES

    found: dict[str, Any] = {}
    if figures.trend:
        found["trend"] = charts.trend_chart(figures.trend, figures.filter.period)
    for score in figures.scores:
        found[f"score-{score.question_id}"] = charts.distribution_chart(
            score.distribution, figures.score_target, score.title
        )
    if figures.channels:
        names = {key: str(value) for key, value in CHANNEL_NAMES.items()}
        found["channels"] = charts.channel_chart(figures.channels, names)
    if figures.sends:
        found["sends"] = charts.send_rate_chart(figures.sends)
    return found
