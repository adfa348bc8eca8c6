"""Importing the place tree from CSV: idempotent by path, row problems reported, file problems
import nothing."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from panel.core.csv_files import CsvFileError
from panel.places.csv_import import import_places
from panel.places.models import Place

TREE = (
    "Area;Building;Stairwell;Code\n"
    "Centrum;Storgatan 4;Trapphus A;4-A\n"
    "Centrum;Storgatan 4;Trapphus B;4-B\n"
    "Centrum;Kyrkogatan 9;;9\n"
    "Sjöstaden;;;\n"
)


def paths(session):
    return sorted(session.scalars(sa.select(Place.path)))


def run(session, text, encoding="utf-8"):
    return import_places(session, io.BytesIO(text.encode(encoding)))


def test_import_builds_the_tree_and_a_second_run_changes_nothing(scoped):
    report = run(scoped, TREE)
    assert (report.created, report.skipped) == (4, 0)
    assert paths(scoped) == [
        "Centrum",
        "Centrum / Kyrkogatan 9",
        "Centrum / Storgatan 4",
        "Centrum / Storgatan 4 / Trapphus A",
        "Centrum / Storgatan 4 / Trapphus B",
        "Sjöstaden",
    ]
    code = scoped.scalar(sa.select(Place.code).where(Place.path.like("%Trapphus B")))
    assert code == "4-B"

    again = run(scoped, TREE)
    assert (again.created, again.updated, again.unchanged, again.skipped) == (0, 0, 4, 0)
    assert len(paths(scoped)) == 6


def test_bad_rows_are_skipped_with_their_row_number_and_the_rest_imported(scoped):
    report = run(
        scoped,
        "area,building,stairwell\n"
        "Centrum,Storgatan 4,Trapphus A\n"
        ",Storgatan 4,\n"
        "Centrum,,Trapphus C\n"
        "Centrum,Hus 1/2,\n"
        "Söder,Götgatan 1,Trapphus A\n",
    )
    assert (report.created, report.skipped) == (2, 3)
    problems = {(p.row, p.column): p.message for p in report.problems}
    assert "no area" in problems[(3, "area")]
    assert "needs a building" in problems[(4, "area")]
    assert "cannot contain “/”" in problems[(5, "building")]
    assert "Söder / Götgatan 1 / Trapphus A" in paths(scoped)


def test_a_code_already_used_skips_the_row(scoped):
    report = run(scoped, "area,code\nCentrum,C1\nSöder,C1\n")
    assert report.created == 1
    assert [(p.row, p.column) for p in report.problems] == [(3, "code")]
    assert "already used by Centrum" in report.problems[0].message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("omrade,hus\nCentrum,Storgatan 4\n", "columns we do not know: omrade, hus"),
        ("building,stairwell\nStorgatan 4,A\n", "needs an “area” column"),
        ("", "The file is empty"),
    ],
)
def test_file_problems_import_nothing(scoped, text, message):
    with pytest.raises(CsvFileError, match=message):
        run(scoped, text)
    assert paths(scoped) == []


def test_non_utf8_imports_nothing_even_after_good_rows(scoped):
    text = "area\n" + "".join(f"Område {i}\n" for i in range(50)) + "Västra\n"
    with pytest.raises(CsvFileError, match="not saved as UTF-8") as caught:
        run(scoped, text, encoding="latin-1")
    assert "line 2" in caught.value.message  # 'Område 0' is the first unreadable text
    assert paths(scoped) == []
