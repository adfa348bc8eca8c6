"""Exports prepared in the background: a report with more answers than a request writes is
sent to the share page to prepare its file; the file is written by a task (its progress
committed as it goes, so the page's poll sees it), downloads with exactly the report's rows,
is kept for a day and then deleted, and nobody else can reach it.

Uses the organisation of ``tests/reports/test_sharing.py`` (321 answers in the report's dates,
formula-looking texts, a named tenant); the limit of a direct export is set below that.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from media.storage import current_storage
from panel.answers.models import Answer
from panel.core.scoping import scoped_to
from panel.privacy.models import AuditEvent
from panel.reports.export_tasks import sweep_exports
from panel.reports.models import Report, ReportExport
from tests.conftest import savepoint_binding
from tests.factories import OrganisationFactory, UserFactory, login, system_session
from tests.reports.test_sharing import World, seed

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def world(app: Flask) -> Iterator[World]:
    """The organisation of tests/reports/test_sharing.py, seeded for this module."""
    with savepoint_binding(app) as session:
        yield seed(session)


@pytest.fixture
def signed_in(app: Flask, world: World) -> Any:
    """The organisation's communicator, logged in."""
    client = app.test_client()
    login(client, world.me)
    return client


@pytest.fixture
def limit(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    """``STOOP_EXPORT_DIRECT_ROWS`` at 100 for the test: the report's 321 answers are many."""
    settings = dataclasses.replace(app.config["STOOP"], export_direct_rows=100)
    monkeypatch.setitem(app.config, "STOOP", settings)
    return 100


def export_row(export_id: int) -> ReportExport:
    session = system_session()
    session.expire_all()
    return session.scalar(sa.select(ReportExport).where(ReportExport.id == export_id))


def latest_export(report_id: int) -> ReportExport:
    session = system_session()
    session.expire_all()
    return session.scalars(
        sa.select(ReportExport)
        .where(ReportExport.report_id == report_id)
        .order_by(ReportExport.id.desc())
    ).first()


def test_a_large_report_is_prepared_and_downloads_with_its_rows(
    app: Flask, world: World, signed_in: Any, limit: int
) -> None:
    from openpyxl import load_workbook

    base = f"/app/reports/{world.report_id}"
    # The direct download says why not, and where to go.
    direct = signed_in.get(f"{base}/answers.xlsx")
    assert direct.status_code == 303
    assert direct.headers["Location"].endswith(f"{base}/share#downloads")
    page = signed_in.get(f"{base}/share").get_data(as_text=True)
    assert "321 answers: too many to write while you wait" in page
    assert "answers.xlsx" not in page and "Prepare the answers as Excel (XLSX)" in page

    # Prepared: the task runs once the request commits (inline in tests).
    posted = signed_in.post(f"{base}/exports", data={"format": "xlsx"})
    assert posted.status_code == 303
    export = latest_export(world.report_id)
    assert (export.state, export.format, export.rows, export.total, export.progress) == (
        "done",
        "xlsx",
        321,
        321,
        100,
    )
    assert export.expires_at - export.finished_at == dt.timedelta(hours=24)
    status = signed_in.get(f"{base}/exports/{export.id}").get_json()
    assert status["state"] == "done" and status["message"] == "Ready: 321 answers."
    page = signed_in.get(f"{base}/share").get_data(as_text=True)
    assert status["download_url"] in page

    response = signed_in.get(status["download_url"])
    assert response.status_code == 200 and response.mimetype == XLSX
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert ".xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Answer id", "Date", "Question")
    assert sorted(row[0] for row in rows[1:]) == sorted(world.in_range)
    # The download is in the audit log, with the export it came from.
    events = (
        system_session()
        .scalars(
            sa.select(AuditEvent).where(
                AuditEvent.organisation_id == world.org_id, AuditEvent.action == "report.export"
            )
        )
        .all()
    )
    assert any(e.details.get("prepared") == export.id for e in events)

    # CSV too, asked for from a script (JSON): 202 and the status at once.
    asked = signed_in.post(
        f"{base}/exports", data={"format": "csv"}, headers={"Accept": "application/json"}
    )
    assert asked.status_code == 202 and asked.get_json()["format"] == "csv"
    csv_status = signed_in.get(asked.get_json()["status_url"]).get_json()
    body = signed_in.get(csv_status["download_url"]).get_data().decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(body)))
    assert len(parsed) == 322 and {int(r[0]) for r in parsed[1:]} == set(world.in_range)


def test_progress_is_committed_while_the_file_is_written(app: Flask, world: World) -> None:
    """2,500 answers: the row says 40 %, then 80 %, then done, as the page's poll reads it."""
    db_session = system_session()
    org = OrganisationFactory(name="Woonstichting Het Anker")
    me = UserFactory(organisation=org, communicator=True)
    with scoped_to(db_session, org.id):
        from panel.questions.models import Question, QuestionStatus

        question = Question(
            organisation_id=org.id,
            owner_id=me.id,
            title="Hoe tevreden bent u over het trappenhuis?",
            answer_modes=["score", "text"],
            status=QuestionStatus.LIVE,
        )
        db_session.add(question)
        db_session.flush()
        start = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
        db_session.add_all(
            Answer(
                organisation_id=org.id,
                question_id=question.id,
                channel="web",
                language="nl",
                score=1 + n % 10,
                text=f"Antwoord {n}: de verlichting in de hal is kapot, graag repareren.",
                me_token=secrets.token_urlsafe(24),
                created_at=start + dt.timedelta(minutes=n),
            )
            for n in range(2500)
        )
        report = Report(organisation_id=org.id, title="Het Anker, najaar 2026")
        db_session.add(report)
        db_session.commit()
    client = app.test_client()
    login(client, me)
    written: list[dict[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.startswith("UPDATE report_export SET progress"):
            written.append(dict(parameters) if isinstance(parameters, dict) else parameters)

    engine = db_session.get_bind().engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        response = client.post(f"/app/reports/{report.id}/exports", data={"format": "csv"})
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert response.status_code == 303
    # The statement's first value is the progress (SQLite's ?; PostgreSQL's named values).
    progress = [p["progress"] if isinstance(p, dict) else p[0] for p in written]
    assert progress[:2] == [40, 80] and progress[-1] == 99
    export = latest_export(report.id)
    assert (export.state, export.rows, export.progress) == ("done", 2500, 100)


def test_bad_input_and_other_people_get_a_clear_4xx(
    app: Flask, world: World, signed_in: Any, limit: int
) -> None:
    base = f"/app/reports/{world.report_id}"
    wrong = signed_in.post(f"{base}/exports", data={"format": "pdf"})
    assert wrong.status_code == 422 and "Choose CSV or XLSX." in wrong.get_data(as_text=True)
    assert signed_in.post(f"{base}/exports", data={}).status_code == 422
    assert signed_in.get(f"{base}/exports/999999").status_code == 404
    assert signed_in.get(f"{base}/exports/999999/download").status_code == 404
    signed_in.post(f"{base}/exports", data={"format": "csv"})
    export = latest_export(world.report_id)

    # Another organisation's communicator: the report is not there for them.
    stranger = app.test_client()
    login(stranger, world.stranger)
    assert stranger.get(f"{base}/exports/{export.id}").status_code == 404
    assert stranger.get(f"{base}/exports/{export.id}/download").status_code == 404
    assert stranger.post(f"{base}/exports", data={"format": "csv"}).status_code == 404
    # A colleague who is not a communicator may read reports but not export them.
    staff = app.test_client()
    login(staff, world.staff)
    assert staff.get(f"{base}/exports/{export.id}/download").status_code == 403
    # Another report's id with this export's: not found.
    other = f"/app/reports/{world.other_report_id}/exports/{export.id}"
    assert signed_in.get(other).status_code == 404


def test_the_sweep_deletes_files_after_a_day_and_files_nobody_holds(
    app: Flask, world: World, signed_in: Any, limit: int
) -> None:
    base = f"/app/reports/{world.report_id}"
    signed_in.post(f"{base}/exports", data={"format": "csv"})
    export = latest_export(world.report_id)
    storage = current_storage()
    key = export.storage_key
    assert storage.head(key).size > 10_000
    storage.put(
        "report-exports/0/0/stray.csv", io.BytesIO(b"Answer id\n1\n"), content_type="text/csv"
    )

    session = system_session()
    session.execute(
        sa.update(ReportExport)
        .where(ReportExport.id == export.id)
        .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    )
    session.commit()
    done = sweep_exports.run()

    assert done["expired"] >= 1 and done["orphans"] >= 1
    assert "report-exports/0/0/stray.csv" not in storage.list("report-exports/")
    with pytest.raises(FileNotFoundError):
        storage.head(key)
    row = export_row(export.id)
    assert row.state == "expired" and row.storage_key is None
    status = signed_in.get(f"{base}/exports/{export.id}").get_json()
    assert status["download_url"] is None and "Deleted after a day" in status["message"]
    assert signed_in.get(f"{base}/exports/{export.id}/download").status_code == 404
