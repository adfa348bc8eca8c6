"""The audit log: one row per audited action, and no way to change a row."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from panel.privacy.audit import AuditLogIsAppendOnly, record
from panel.privacy.models import AuditEvent
from tests.factories import api_headers, login


def test_record_names_the_actor_and_the_log_refuses_changes(db_session: Any, admin: Any) -> None:
    row = record(db_session, "user.role", actor=admin, target_type="user", target_id=7)
    db_session.flush()
    assert (row.organisation_id, row.actor_user_id, row.actor) == (
        admin.organisation_id,
        admin.id,
        admin.email,
    )
    assert row.target_id == "7"
    row.action = "x"
    with pytest.raises(AuditLogIsAppendOnly):
        db_session.flush()
    db_session.rollback()
    with pytest.raises(AuditLogIsAppendOnly):
        db_session.execute(sa.update(AuditEvent).values(action="x"))
    with pytest.raises(AuditLogIsAppendOnly):
        db_session.execute(sa.delete(AuditEvent))


def _rows(session: Any, action: str) -> list[AuditEvent]:
    return list(
        session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by("id"))
    )


def test_every_audited_action_writes_one_row(
    client: Any, db_session: Any, organisation: Any, admin: Any, staff: Any
) -> None:
    from panel.reports.models import Report

    bad = client.post("/login", data={"email": staff.email, "password": "not it"})
    assert bad.status_code == 200
    client.post("/login", data={"email": "Someone@Example.org", "password": "x"})
    failed = _rows(db_session, "auth.login_failed")
    assert [(r.actor, r.target_id) for r in failed] == [(staff.email, str(staff.id)), ("", None)]
    assert "someone" not in str(failed[1].details) and len(failed[1].details["email_hash"]) == 16

    login(client, admin)
    [signed] = _rows(db_session, "auth.login")
    assert (signed.actor_user_id, signed.ip) == (admin.id, "127.0.0.1")

    client.post(f"/app/team/{staff.id}/role", data={"role": "communicator"})
    [role] = _rows(db_session, "user.role")
    assert (role.target_id, role.details) == (
        str(staff.id),
        {"from": "staff", "to": "communicator"},
    )

    assert client.post("/app/settings/fatigue-cap", data={"fatigue_cap": "4"}).status_code == 303
    [change] = _rows(db_session, "settings.change")
    assert change.details == {"keys": ["fatigue_cap"], "section": "fatigue"}

    assert client.post("/app/tokens", data={"name": "robot"}).status_code == 201
    [created] = _rows(db_session, "token.create")
    secret = client.post("/app/tokens", data={"name": "two"}).get_data(as_text=True)
    headers = api_headers(admin)
    for _ in range(3):
        assert client.get("/api/v1/places/", headers=headers).status_code == 200
    [used] = _rows(db_session, "token.use")
    assert used.actor.startswith(admin.email) and used.target_type == "api_token"
    assert secret  # the second token's page; its creation is a row of its own
    assert len(_rows(db_session, "token.create")) == 3  # two on the page, one for the headers

    report = Report(organisation_id=organisation.id, title="Trapphus")
    db_session.add(report)
    db_session.commit()
    assert (
        client.post(f"/app/reports/{report.id}/share", data={"label": "styrelsen"}).status_code
        == 303
    )
    [share] = _rows(db_session, "report.share")
    assert share.details == {"report_id": report.id} and share.actor_user_id == admin.id
    assert client.get(f"/app/reports/{report.id}/answers.csv").status_code == 200
    [export] = _rows(db_session, "report.export")
    assert (export.target_id, export.details) == (str(report.id), {"format": "csv"})
    assert {r.organisation_id for r in _rows(db_session, "report.export")} == {organisation.id}
    assert created.organisation_id == organisation.id


def test_no_route_can_change_the_log(app: Any) -> None:
    """Only the audit module writes rows (and only adds them); no API route names the log,
    and its page only reads (the ORM guard above refuses the rest)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    readers = {
        str(path.relative_to(root))
        for folder in ("panel", "media", "notifications", "touchpoints")
        for path in (root / folder).rglob("*.py")
        if "AuditEvent" in path.read_text()
    }
    assert readers <= {
        "panel/privacy/models.py",
        "panel/privacy/audit.py",
        "panel/privacy/audit_views.py",
        "panel/privacy/retention.py",
        "panel/migrations/versions/20261201_0016_privacy_audit_log_erasure_requests_two_.py",
    }
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule:
            assert rule.rule.startswith("/app/audit") and rule.methods <= {"GET", "HEAD", "OPTIONS"}


@pytest.mark.postgres_only
def test_postgres_refuses_update_and_delete(db_session: Any, is_postgres: bool, admin: Any) -> None:
    if not is_postgres:
        pytest.skip("needs PostgreSQL (STOOP_TEST_DATABASE_URL)")
    record(db_session, "auth.login", actor=admin)
    db_session.commit()
    for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(sa.exc.DBAPIError), db_session.begin_nested():
            db_session.execute(sa.text(statement))
    assert db_session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) >= 1


def test_the_admin_page_filters_pages_and_exports(
    db_session: Any, organisation: Any, admin: Any, staff: Any, client: Any
) -> None:
    from tests.factories import OrganisationFactory

    other = OrganisationFactory()
    record(db_session, "report.share", organisation_id=other.id, actor="elsewhere@x.org")
    for n in range(55):
        record(db_session, "report.export", actor=staff, target_type="report", target_id=n)
    record(
        db_session,
        "user.role",
        actor=admin,
        target_type="user",
        target_id=staff.id,
        details={"=cmd": "calc", "to": "staff"},
    )
    db_session.commit()
    login(client, staff)
    assert client.get("/app/audit").status_code == 403
    client.post("/logout")
    login(client, admin)

    page = client.get("/app/audit").get_data(as_text=True)
    assert "elsewhere@x.org" not in page and "user.role" in page and "Older" in page
    only = client.get(f"/app/audit?action=user.role&person={admin.id}").get_data(as_text=True)
    assert "report.export" not in only.split("<tbody>")[1]
    by_record = client.get("/app/audit?target_type=report&target_id=7").get_data(as_text=True)
    assert by_record.split("<tbody>")[1].count("<tr>") == 1
    assert "No entries match" in client.get("/app/audit?to=2000-01-01").get_data(as_text=True)
    assert client.get("/app/audit?from=31/12").status_code in (400, 422)

    csv_text = client.get(f"/app/audit/export.csv?person={admin.id}").get_data(as_text=True)
    lines = csv_text.strip().splitlines()
    assert lines[0].lstrip("\ufeff").startswith("id,created_at,action")
    assert [line.split(",")[2] for line in lines[1:]] == ["audit.export", "auth.login", "user.role"]
    assert "'=cmd" in csv_text
    full = client.get("/app/audit/export.csv").get_data(as_text=True)
    assert full.count("report.export") == 55 and "elsewhere" not in full
