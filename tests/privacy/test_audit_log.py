"""The audit log: one row per audited action, and no way to change a row."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from panel.privacy.audit import AuditLogIsAppendOnly, record
from panel.privacy.models import AuditEvent


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
