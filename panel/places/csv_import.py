"""Importing the place tree from a CSV file: one row per place, ``area,building,stairwell``.

Building and stairwell are optional (a row with only an area adds an area); an optional
``code`` is set on the deepest place of the row. Places are matched by path, so importing the
same file twice creates nothing the second time. Rows with a problem are reported and skipped;
the others are imported in one transaction, and a problem with the whole file imports nothing.
"""

from __future__ import annotations

from typing import IO

from sqlalchemy.orm import Session

from panel.core.csv_files import CsvReader, CsvRow, ImportReport
from panel.core.errors import StoopError, ValidationError
from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l
from panel.places.service import clean_code, clean_name, ensure_path

LEVELS = ("area", "building", "stairwell")
COLUMNS = (*LEVELS, "code")
EXAMPLE = (
    "area;building;stairwell;code\n"
    "Centrum;Storgatan 4;Trapphus A;1021-A\n"
    "Centrum;Storgatan 4;Trapphus B;1021-B\n"
)


def _needs_area(header: list[str]) -> LazyText | None:
    return None if "area" in header else _l("The file needs an “area” column.")


def _names(row: CsvRow) -> tuple[list[str], LazyText | None]:
    """The row's names top down, or the reason they do not make a path."""
    values = row.values
    if "area" not in values:
        return [], _l("The row has no area.")
    if "stairwell" in values and "building" not in values:
        return [], _l("A stairwell needs a building: fill in the building column.")
    names = [values[k] for k in LEVELS if k in values]
    return names, None


def import_places(session: Session, stream: IO[bytes]) -> ImportReport:
    """Import a CSV upload into the session's organisation and commit."""
    reader = CsvReader(stream, COLUMNS, _needs_area)
    report = ImportReport()
    try:
        for row in reader.rows():
            _import_row(session, row, report)
    except BaseException:
        session.rollback()  # a file-level error (or any other) imports nothing
        raise
    session.commit()
    return report


def _problems(names: list[str], code: str | None) -> list[tuple[str | None, str | LazyText]]:
    problems: list[tuple[str | None, str | LazyText]] = []
    for column, name in zip(LEVELS, names, strict=False):
        try:
            clean_name(name)
        except ValidationError as exc:
            problems.append((column, exc.text))
    try:
        clean_code(code)
    except ValidationError as exc:
        problems.append(("code", exc.text))
    return problems


def _import_row(session: Session, row: CsvRow, report: ImportReport) -> None:
    if row.extra:
        report.skip(row.number, [(None, row.extra)])
        return
    names, problem = _names(row)
    code = row.values.get("code")
    if problem:
        report.skip(row.number, [("area", problem)])
        return
    if problems := _problems(names, code):
        report.skip(row.number, problems)
        return
    # A savepoint per row, so a refused row leaves the rows before it in place.
    savepoint = session.begin_nested()
    try:
        _place, outcome = ensure_path(session, names, code)
    except StoopError as exc:
        savepoint.rollback()
        column = "code" if exc.code == "duplicate_code" else LEVELS[len(names) - 1]
        report.skip(row.number, [(column, exc.text)])
        return
    savepoint.commit()
    report.count(outcome)
