"""Importing contacts from a CSV file, with a report row by row.

Columns (header row, any order, any case, ``,`` ``;`` or tab): name, email, phone, language,
place, tags, age_band, consent_basis, consent_text. A row needs an e-mail or a phone. It updates the
contact with the same e-mail, else the one with the same phone, else creates one; blank cells
leave what is stored alone, so importing the same file twice changes nothing the second time.

A row with a problem is skipped and reported (row number, column, message); the rows without
problems are imported together in one transaction. A problem with the whole file imports nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

from sqlalchemy.orm import Session

from panel.contacts.bulk import UpsertItem, row_label, upsert_contacts
from panel.contacts.service import clean_contact, region_of
from panel.core.csv_files import CsvReader, CsvRow, ImportReport, batched
from panel.core.i18n import LazyText
from panel.core.i18n import lazy_text as _l
from panel.organisations.models import Organisation
from panel.places.service import PlaceLookup
from panel.privacy import audit

COLUMNS = (
    "name",
    "email",
    "phone",
    "language",
    "place",
    "tags",
    "age_band",
    "consent_basis",
    "consent_text",
)
BATCH_SIZE = 2_000
EXAMPLE = (
    "name;email;phone;language;place;tags;consent_basis;consent_text\n"
    "Anna Lind;anna.lind@example.se;070-123 45 67;sv;Centrum / Storgatan 4 / Trapphus A;"
    "panel,senior;consent;Jag vill vara med i hyresgästpanelen.\n"
)


def _needs_email_or_phone(header: list[str]) -> LazyText | None:
    if "email" not in header and "phone" not in header:
        return _l("The file needs an “email” or a “phone” column (or both).")
    return None


class _SeenKeys:
    """E-mail addresses and phone numbers already used by a row of this file.

    Hashes rather than the strings, so a 200,000-row file costs a few MB here, not tens.
    """

    def __init__(self) -> None:
        self._rows: dict[int, int] = {}

    def first_row(self, kind: str, value: str, row: int) -> int:
        return self._rows.setdefault(hash((kind, value)), row)


def _raw_fields(
    row: CsvRow, places: PlaceLookup
) -> tuple[dict[str, Any], list[tuple[str, LazyText]]]:
    """The row's cells as the fields :func:`clean_contact` takes (blank cells left out)."""
    values = row.values
    raw: dict[str, Any] = {
        key: values[key]
        for key in ("name", "email", "phone", "language", "tags", "age_band")
        if key in values
    }
    problems: list[tuple[str, LazyText]] = []
    if "place" in values:
        place_id = places.find(values["place"])
        if place_id is None:
            message = _l(
                "There is no place “%(place)s”. Write its path (Area / Building / Stairwell) "
                "or its code, or add it on the Places page.",
                place=values["place"],
            )
            problems.append(("place", message))
        else:
            raw["place_id"] = place_id
    if "consent_basis" in values or "consent_text" in values:
        raw["consent"] = {
            "basis": values.get("consent_basis"),
            "text": values.get("consent_text", ""),
        }
    return raw, problems


def _same_in_file(kind: str, first: int) -> LazyText:
    if kind == "email":
        return _l("Row %(row)s has the same e-mail address; each contact once a file.", row=first)
    return _l("Row %(row)s has the same phone number; each contact once a file.", row=first)


def _clean_row(
    row: CsvRow, places: PlaceLookup, region: str, seen: _SeenKeys
) -> tuple[UpsertItem | None, list[tuple[str, LazyText]]]:
    if row.extra:
        return None, [(None, row.extra)]  # type: ignore[list-item]
    raw, problems = _raw_fields(row, places)
    cleaned = clean_contact(raw, region=region, places=places)
    problems += cleaned.problems
    values = cleaned.values
    if not problems and not values.get("email") and not values.get("phone"):
        problems.append(("email", _l("The row has neither an e-mail address nor a phone number.")))
    if problems:
        return None, problems
    for kind in ("email", "phone"):
        value = values.get(kind)
        first = seen.first_row(kind, value, row.number) if value else row.number
        if first != row.number:
            problems.append((kind, _same_in_file(kind, first)))
    if problems:
        return None, problems
    values = {k: v for k, v in values.items() if v is not None}
    return UpsertItem(values, cleaned.consent), []


def import_contacts(
    session: Session,
    organisation: Organisation,
    stream: IO[bytes],
    *,
    user_id: int | None = None,
    on_batch: Callable[[list[int]], None] | None = None,
) -> ImportReport:
    """Import a CSV upload into the organisation and commit; CsvFileError imports nothing.

    ``on_batch`` is given the contact ids of each batch's imported rows, in the same
    transaction (a panel adds them as members: all or nothing with the contacts).
    """
    reader = CsvReader(stream, COLUMNS, _needs_email_or_phone)
    places = PlaceLookup.load(session)
    region = region_of(organisation)
    seen = _SeenKeys()
    report = ImportReport()
    try:
        for rows in batched(reader.rows(), BATCH_SIZE):
            ids = _import_batch(session, organisation, rows, places, region, seen, report, user_id)
            if on_batch is not None and ids:
                on_batch(ids)
    except BaseException:
        session.rollback()  # a file-level error (or any other) imports nothing
        raise
    audit.record(
        session,
        "contacts.import",
        organisation_id=organisation.id,
        details={"created": report.created, "updated": report.updated, "skipped": report.skipped},
    )
    session.commit()
    return report


def _import_batch(
    session: Session,
    organisation: Organisation,
    rows: list[CsvRow],
    places: PlaceLookup,
    region: str,
    seen: _SeenKeys,
    report: ImportReport,
    user_id: int | None,
) -> list[int]:
    items: list[UpsertItem] = []
    numbers: list[int] = []
    for row in rows:
        item, problems = _clean_row(row, places, region, seen)
        if item is None:
            report.skip(row.number, [(_column(f), m) for f, m in problems])
        else:
            items.append(item)
            numbers.append(row.number)
    result = upsert_contacts(
        session,
        organisation,
        items,
        method="csv",
        user_id=user_id,
        labels=[row_label(n) for n in numbers],
    )
    problems_by_index: dict[int, list[tuple[str | None, LazyText]]] = {}
    for index, field_name, message in result.errors:
        problems_by_index.setdefault(index, []).append((_column(field_name), message))
    for index, outcome in enumerate(result.outcomes):
        if outcome == "failed":
            not_imported = [(None, _l("Not imported."))]
            report.skip(numbers[index], problems_by_index.get(index, not_imported))
        else:
            report.count(outcome)
    return [i for i in result.ids if i is not None]


def _column(field_name: str | None) -> str | None:
    """The CSV column a field of the contact comes from."""
    return {"place_id": "place", "consent": "consent_basis"}.get(field_name or "", field_name)
