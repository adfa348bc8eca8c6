"""The reminder before the due date: it reaches the person responsible at the SMTP server, in
their language, with what, where, when and a link; once however often (or however many at
once) the job runs; not for done items, not too early; again when the due date changes."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from notifications.models import OutboundMessage
from panel.actions import reminders, service
from panel.actions.tasks import send_reminders
from panel.core.scoping import scoped_to
from tests.actions.conftest import days


@pytest.fixture
def use_smtp(monkeypatch, app, smtp_server):
    monkeypatch.setattr(app.config["STOOP"], "smtp_url", smtp_server.url)
    return smtp_server


def plain(message):
    return message.get_body(("plain",)).get_content()


def test_the_reminder_arrives_once_in_the_staff_members_language(
    db_session, use_smtp, organisation, communicator, staff, tree, make_item
):
    item = make_item(
        responsible_id=staff.id, due_on=days(3), place_id=tree["stairwell"].id
    )  # staff reads Swedish; the default is 3 days
    make_item(title="Redan klar", responsible_id=staff.id, due_on=days(1), status="done")
    make_item(title="För tidigt", responsible_id=staff.id, due_on=days(4))
    make_item(title="Ingen ansvarig", due_on=days(1))

    assert send_reminders.run() == 1
    assert send_reminders.run() == 0  # the job again
    [mail] = use_smtp.wait_for(1)
    assert mail["To"] == staff.email
    assert "Påminnelse" in mail["Subject"] and item.title in mail["Subject"]
    body = plain(mail)
    assert "Ängsbacken / Björkvägen 3 / Trapphus B" in body
    assert f"http://127.0.0.1:5000/app/actions/{item.id}" in body
    assert "ska vara klar om 3 dagar" in body
    db_session.refresh(item)
    assert item.reminded_at is not None

    # A new due date: reminded again when it comes near.
    with scoped_to(db_session, organisation.id):
        service.update_item(db_session, communicator, item, {"due_on": days(2)}, days(0))
        db_session.commit()
    assert item.reminded_at is None
    assert send_reminders.run() == 1
    assert len(use_smtp.wait_for(2)) == 2


def test_two_runs_at_once_claim_the_item_once(db_session, organisation, staff, make_item):

    item = make_item(responsible_id=staff.id, due_on=days(0))
    with scoped_to(db_session, organisation.id):
        # Both runs found the item unreminded; only one claim changes the row.
        assert reminders._claim(db_session, item) is True
        assert reminders._claim(db_session, item) is False
        # And were both to queue, the outbox's dedupe key keeps one e-mail.
        today = days(0)
        assert reminders.remind(db_session, item, today) == 1
        assert reminders.remind(db_session, item, today) == 0
        db_session.commit()
        sent = db_session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.purpose == "action-reminder")
        ).all()
    assert [m.dedupe_key for m in sent] == [f"action-reminder-{item.id}-{today.isoformat()}"]


def test_the_job_is_declared_hourly(app):
    from panel.app import ROOMS
    from panel.core.rooms import beat_schedule, load_rooms

    schedule = beat_schedule(load_rooms(ROOMS))
    assert schedule["action-reminders"] == {
        "task": "panel.actions.tasks.send_reminders",
        "schedule": 3600.0,
    }
