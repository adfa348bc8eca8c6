"""Importing contacts from CSV: what a housing company's export really looks like, and every
way it goes wrong. Rows with problems are reported and skipped; file problems import nothing."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from panel.contacts import csv_import
from panel.contacts.csv_import import import_contacts
from panel.contacts.models import ConsentEvent, Contact
from panel.core import csv_files as csv_upload
from panel.core.csv_files import CsvFileError
from panel.places.service import create_place

GOOD = (
    "\ufeffName;E-mail;Phone;Language;Place;Tags;Consent_basis;Consent_text\n"
    "Anna Lind;Anna.Lind@Example.se;070-123 45 67;sv;Centrum / Storgatan 4 / Trapphus A;"
    "panel, senior;consent;Jag vill vara med i panelen.\n"
    "Bo Ek;;+46 70 765 43 21;EN;4-B;;;\n"
    ";cecilia@example.se;;;Centrum;ny hyresgäst;;\n"
)


@pytest.fixture
def places(scoped):
    area = create_place(scoped, "Centrum")
    building = create_place(scoped, "Storgatan 4", area)
    a = create_place(scoped, "Trapphus A", building, code="4-A")
    b = create_place(scoped, "Trapphus B", building, code="4-B")
    scoped.commit()
    return {"area": area, "a": a, "b": b}


def run(session, organisation, data, encoding="utf-8"):
    raw = data.encode(encoding) if isinstance(data, str) else data
    return import_contacts(session, organisation, io.BytesIO(raw))


def count(session, model=Contact):
    return session.scalar(sa.select(sa.func.count(model.id)))


def test_a_semicolon_file_with_a_bom_and_any_case_header_imports(scoped, organisation, places):
    report = run(scoped, organisation, GOOD)
    assert (report.created, report.skipped) == (3, 0)
    anna = scoped.scalar(sa.select(Contact).where(Contact.name == "Anna Lind"))
    assert (anna.email, anna.phone, anna.language) == ("anna.lind@example.se", "+46701234567", "sv")
    assert (anna.place_id, anna.tags) == (places["a"].id, ["panel", "senior"])
    bo = scoped.scalar(sa.select(Contact).where(Contact.name == "Bo Ek"))
    assert (bo.email, bo.phone, bo.language, bo.place_id) == (
        None,
        "+46707654321",
        "en",
        places["b"].id,
    )
    cecilia = scoped.scalar(sa.select(Contact).where(Contact.email == "cecilia@example.se"))
    assert (cecilia.name, cecilia.place_id, cecilia.tags) == (
        None,
        places["area"].id,
        ["ny hyresgäst"],
    )
    (event,) = scoped.scalars(sa.select(ConsentEvent)).all()
    assert (event.contact_id, event.basis, event.method) == (anna.id, "consent", "csv")
    assert event.text == "Jag vill vara med i panelen."


def test_reimporting_the_same_file_changes_nothing(scoped, organisation, places):
    run(scoped, organisation, GOOD)
    again = run(scoped, organisation, GOOD)
    assert (again.created, again.updated, again.unchanged, again.skipped) == (0, 0, 3, 0)
    assert count(scoped) == 3
    assert count(scoped, ConsentEvent) == 1


def test_blank_cells_keep_what_is_stored_and_filled_ones_update(scoped, organisation, places):
    run(scoped, organisation, GOOD)
    report = run(scoped, organisation, "email,name,tags\nanna.lind@example.se,,medlem\n")
    assert report.updated == 1
    anna = scoped.scalar(sa.select(Contact).where(Contact.email == "anna.lind@example.se"))
    scoped.refresh(anna)
    assert (anna.name, anna.tags, anna.phone) == ("Anna Lind", ["medlem"], "+46701234567")


def test_bad_rows_are_skipped_with_row_column_and_reason(scoped, organisation, places):
    report = run(
        scoped,
        organisation,
        "name,email,phone,language,place\n"
        "Ok Person,ok@example.se,,,\n"
        "Bad Mail,anna(at)example.se,,,\n"
        "Bad Phone,,070-12,,\n"
        "Neither,,,,\n"
        "Bad Lang,l@example.se,,de,\n"
        "Bad Place,p@example.se,,,Söder\n"
        "Twice,ok@example.se,,,\n"
        "Too Many,t@example.se,,,,extra\n"
        "Also Ok,,0701112233,,\n",
    )
    assert (report.created, report.skipped) == (2, 7)
    problems = {(p.row, p.column): p.message for p in report.problems}
    assert "is not a valid e-mail address" in problems[(3, "email")]
    assert "too short" in problems[(4, "phone")]
    assert "neither an e-mail address nor a phone number" in problems[(5, "email")]
    assert "must be sv, nl or en, not “de”" in problems[(6, "language")]
    assert "There is no place “Söder”" in problems[(7, "place")]
    assert "Row 2 has the same e-mail address" in problems[(8, "email")]
    assert "has 6 values but the header names 5" in problems[(9, None)]
    assert sorted(scoped.scalars(sa.select(Contact.name))) == ["Also Ok", "Ok Person"]


def test_consent_text_without_a_basis_is_a_row_problem(scoped, organisation):
    report = run(scoped, organisation, "email,consent_text\na@example.se,Ja\n")
    assert [(p.row, p.column) for p in report.problems] == [(2, "consent_basis")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("namn,epost\nAnna,a@example.se\n", "columns we do not know: namn, epost"),
        ("name,language\nAnna,sv\n", "needs an “email” or a “phone” column"),
        ("name,email,email\n", "The column email appears more than once"),
        ("", "The file is empty"),
        ("\ufeff\n\n", "The file is empty"),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is an Excel workbook"),
        (b"email\na@example.se\nb\x00@example.se\n", "NUL bytes"),
    ],
)
def test_whole_file_problems_import_nothing(scoped, organisation, data, message):
    with pytest.raises(CsvFileError, match=message) as caught:
        run(scoped, organisation, data)
    if "columns" in message:
        assert (
            "The columns can be: name, email, phone, language, place, tags" in caught.value.message
        )
        assert "Found:" in caught.value.message
    assert count(scoped) == 0


def test_non_utf8_bytes_after_a_whole_batch_import_nothing(scoped, organisation, monkeypatch):
    monkeypatch.setattr(csv_import, "BATCH_SIZE", 10)
    rows = "".join(f"Hyresgäst {i},h{i}@example.se\n" for i in range(25))
    data = ("name,email\n" + rows + "Åsa Öberg,asa@example.se\n").encode("cp1252")
    with pytest.raises(CsvFileError, match="not saved as UTF-8") as caught:
        run(scoped, organisation, data)
    assert "line 2" in caught.value.message
    assert "CSV UTF-8" in caught.value.message
    assert count(scoped) == 0

    late = ("name,email\n" + rows).encode() + "Åsa,asa@example.se\n".encode("cp1252")
    with pytest.raises(CsvFileError, match="line 27"):
        run(scoped, organisation, late)
    assert count(scoped) == 0


def test_too_many_rows_imports_nothing(scoped, organisation, monkeypatch):
    monkeypatch.setattr(csv_upload, "MAX_IMPORT_ROWS", 30)
    data = "email\n" + "".join(f"h{i}@example.se\n" for i in range(31))
    with pytest.raises(CsvFileError, match="more than 30 rows"):
        run(scoped, organisation, data)
    assert count(scoped) == 0


def test_a_file_over_the_limit_is_refused_before_reading(scoped, organisation):
    data = b"email\n" + b"a@example.se\n" * (csv_upload.MAX_IMPORT_BYTES // 13 + 1)
    with pytest.raises(csv_upload.CsvTooLarge, match=r"at most 20\.0 MB"):
        run(scoped, organisation, data)
    assert count(scoped) == 0


def test_a_tab_separated_file_imports(scoped, organisation):
    report = run(scoped, organisation, "email\tname\na@example.se\tAnna\n")
    assert report.created == 1


def test_two_rows_matching_one_contact_name_the_first_row(scoped, organisation):
    run(scoped, organisation, "email,phone\nanna@example.se,0701234567\n")
    anna = scoped.scalar(sa.select(Contact.id))
    report = run(
        scoped,
        organisation,
        "email,phone,name\nanna@example.se,,Anna\nnew@example.se,0701234567,Anna N\n",
    )
    assert report.updated == 1
    assert [(p.row, str(p.message)) for p in report.problems] == [
        (3, f"Row 2 already matches the same contact #{anna}.")
    ]
