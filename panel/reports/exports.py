"""The answers behind a report as CSV and XLSX, for communicators and admins.

One row per answer the report's filter takes in (:func:`panel.reports.figures.answers_of`),
oldest first. Read from the database in batches (``yield_per``) and written as they come: the
CSV written batch by batch to a temporary file, the XLSX by openpyxl's write-only workbook to
one; then sent from the file. Memory stays flat for 100,000 rows.

- Dates are the organisation's local time (setting ``timezone``).
- The respondent's name, e-mail address and phone number are filled in only when the tenant
  allowed the organisation to see who answered (``consent_identity``); the consent columns say
  what each tenant allowed.
- Formula injection: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return would be run as a formula by a spreadsheet. In the CSV it gets a leading
  apostrophe (OWASP's advice; a spreadsheet hides it); in the XLSX the cell is written as a
  plain string, never a formula, so the text stays exactly as the tenant wrote it.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from media.models import MediaFile
from panel.answers.models import Answer
from panel.contacts.models import Contact
from panel.core.csv_files import FORMULA_START, formula_safe, spooled_csv
from panel.places.models import Place
from panel.questions.models import Question
from panel.reports.figures import ReportFilter, answers_of

BATCH = 1000
Progress = Callable[[int], None]  # told the rows written so far
# Characters XML 1.0 cannot hold (an XLSX is XML): dropped from the XLSX's cells.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def headers() -> list[str]:
    """The columns, in the user's language."""
    return [
        _("Answer id"),
        _("Date"),
        _("Question"),
        _("Channel"),
        _("Language"),
        _("Place"),
        _("Score"),
        _("Choice"),
        _("Text"),
        _("Transcript"),
        _("Clip"),
        _("May see who answered"),
        _("May quote"),
        _("May show clip"),
        _("May be contacted"),
        _("Name"),
        _("E-mail"),
        _("Phone"),
    ]


def _statement(report_filter: ReportFilter) -> sa.Select:
    ids = answers_of(report_filter).subquery()
    return (
        sa.select(
            Answer.id,
            Answer.created_at,
            Question.title,
            Answer.channel,
            Answer.language,
            Place.path,
            Answer.score,
            Answer.choice,
            Answer.text,
            MediaFile.transcript,
            Answer.clip_kind,
            Answer.media_id,
            Answer.consent_identity,
            Answer.consent_quote,
            Answer.consent_show_clip,
            Answer.may_contact,
            sa.func.coalesce(Contact.name, Answer.respondent_name),
            sa.func.coalesce(Contact.email, Answer.respondent_email),
            sa.func.coalesce(Contact.phone, Answer.respondent_phone),
        )
        .join(ids, ids.c.id == Answer.id)
        .join(Question, Question.id == Answer.question_id)
        .outerjoin(Place, Place.id == Answer.place_id)
        .outerjoin(MediaFile, MediaFile.id == Answer.media_id)
        .outerjoin(Contact, Contact.id == Answer.contact_id)
        .order_by(Answer.created_at, Answer.id)
    )


def rows(
    session: Session,
    report_filter: ReportFilter,
    zone: ZoneInfo,
    progress: Progress | None = None,
) -> Iterator[list[Any]]:
    """The rows as typed values (ints, a naive local datetime, text, booleans as yes/no).
    ``progress`` is told the rows given so far after every batch, and at the end."""
    yes, no = _("yes"), _("no")
    result = session.execute(_statement(report_filter).execution_options(yield_per=BATCH))
    given = 0
    for (
        answer_id, created_at, question, channel, language, path, score, choice, text,
        transcript, clip_kind, media_id, identity, quote, show_clip, may_contact,
        name, email, phone,
    ) in result:  # fmt: skip
        when = created_at
        if when is not None:
            when = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone(zone)
            when = when.replace(tzinfo=None, microsecond=0)
        given += 1
        if progress is not None and given % BATCH == 0:
            progress(given)
        yield [
            answer_id,
            when,
            question,
            channel,
            language,
            path or "",
            score,
            choice or "",
            text or "",
            transcript or "",
            yes if (clip_kind or media_id) else no,
            yes if identity else no,
            yes if quote else no,
            yes if show_clip else no,
            yes if may_contact else no,
            (name or "") if identity else "",
            (email or "") if identity else "",
            (phone or "") if identity else "",
        ]
    if progress is not None:
        progress(given)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str):
        return formula_safe(value)
    return value


def write_csv(
    session: Session,
    report_filter: ReportFilter,
    zone: ZoneInfo,
    progress: Progress | None = None,
) -> IO[bytes]:
    """The CSV in a temporary file (rewound), formula-safe."""
    cells = ([_csv_cell(v) for v in row] for row in rows(session, report_filter, zone, progress))
    return spooled_csv(headers(), cells)


def write_xlsx(
    session: Session,
    report_filter: ReportFilter,
    zone: ZoneInfo,
    title: str,
    progress: Progress | None = None,
) -> IO[bytes]:
    """The XLSX in a temporary file (rewound; the caller sends and closes it)."""
    from openpyxl import Workbook  # ~0.2 s to import: only when an XLSX is asked for
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(title))
    widths = (10, 17, 30, 10, 9, 30, 7, 16, 60, 60, 6, 10, 10, 10, 10, 24, 28, 16)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for name in headers():
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows(session, report_filter, zone, progress):
        sheet.append([_xlsx_cell(sheet, v, WriteOnlyCell) for v in row])
    out = tempfile.TemporaryFile()  # noqa: SIM115 - the caller closes it once sent
    workbook.save(out)
    out.seek(0)
    return out


def _xlsx_cell(sheet: Any, value: Any, cell_type: Any) -> Any:
    if not isinstance(value, str):
        return value
    value = ILLEGAL_XML.sub("", value)
    if value.startswith(FORMULA_START):
        cell = cell_type(sheet, value=value)
        cell.data_type = "s"  # a string, never a formula
        return cell
    return value


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return str(get_column_letter(index))


def _sheet_title(title: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of ``[]:*?/\\``."""
    clean = re.sub(r"[\[\]:*?/\\]", " ", title).strip() or _("Answers")
    return clean[:31]


def file_name(title: str, suffix: str) -> str:
    """A file name from the report's title (letters of any script kept, the rest dashes)."""
    stem = re.sub(r"[^\w]+", "-", title, flags=re.UNICODE).strip("-_")[:80] or "report"
    return f"{stem}.{suffix}"
