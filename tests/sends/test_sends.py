"""Sends: a live question reaches every member once on the channel they have, with a link of
their own; the fatigue cap, opt-outs and unsubscribes hold; reminders go once to those who
have not answered; the progress view counts what the servers received."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from notifications.models import OutboundMessage
from panel.core.db import utcnow
from panel.organisations.models import Organisation
from panel.panels.models import MemberStatus, PanelMember
from panel.sends import service
from panel.sends.models import Invitation, Send, SendStatus
from panel.sends.tasks import start_due
from tests.factories import OrganisationFactory, UserFactory, api_headers, system_session
from tests.questions.conftest import make_question
from tests.sends.conftest import tenants

LINK = re.compile(r"https?://[^\s\"<>]+/a/([A-Za-z0-9_-]+)")


def _send_form(panel_id, **changes):
    form = {
        "panel_id": panel_id,
        "segment_id": 0,
        "email": "y",
        "sms": "y",
        "prefer": "email",
        "when": "now",
        "remind": "y",
        "remind_after_days": 3,
        "max_reminders": 1,
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def _text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_a_send_to_50_members_reaches_each_once_on_their_channel(
    staff_client, organisation, live_question, panel_of, mail_and_sms, db_session
):
    smtp, twilio = mail_and_sms
    by_mail = tenants(organisation, 25, phone=False)
    by_sms = tenants(organisation, 25, email=False, start=100)
    panel = panel_of(by_mail + by_sms)

    response = staff_client.post(
        f"/app/questions/{live_question.id}/send", data=_send_form(panel.id)
    )

    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert len(smtp.messages) == 25 and len(twilio.messages) == 25
    assert sorted(m["To"] for m in smtp.messages) == sorted(
        f"hyresgast{n}@example.se" for n in range(25)
    )
    assert sorted(m.to for m in twilio.messages) == sorted(f"+4670{n:07d}" for n in range(100, 125))
    tokens = set()
    for message in smtp.messages:
        assert live_question.title in message["Subject"]
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        (token,) = set(LINK.findall(_text(message)))
        tokens.add(token)
    for sms in twilio.messages:
        (token,) = LINK.findall(sms.body)
        tokens.add(token)
        # Every bulk SMS says how to stop them, in the word its reader's language uses.
        assert "STOPP" in sms.body or "STOP" in sms.body
        # A score question may be answered by replying with the number.
        assert any(f"1 {word} 10" in sms.body for word in ("till", "tot", "to"))
    assert len(tokens) == 50 and all(len(t) >= 32 for t in tokens)
    for token in tokens:
        page = staff_client.get(f"/a/{token}")
        assert page.status_code == 200 and live_question.title in page.get_data(as_text=True)

    send_url = response.headers["Location"]
    figures = staff_client.get(f"{send_url}/progress").get_json()
    assert figures["invited"] == 50 and figures["sent"] == 50 and figures["queued"] == 0
    assert figures["opened"] == 50 and figures["done_percent"] == 100
    page = staff_client.get(send_url).get_data(as_text=True)
    assert 'data-figure="sent">50<' in page


def test_a_member_without_the_preferred_channel_or_opted_out_of_it_gets_the_other(
    scoped, organisation, staff, live_question, panel_of, mail_and_sms
):
    smtp, twilio = mail_and_sms
    both = tenants(organisation, 3)
    from notifications.optouts import opt_out

    opt_out(scoped, organisation.id, "email", "hyresgast1@example.se", method="staff")
    opt_out(scoped, organisation.id, "email", "hyresgast2@example.se", method="staff")
    opt_out(scoped, organisation.id, "sms", "+46700000002", method="staff")
    scoped.commit()
    panel = panel_of(both)

    send = service.create_send(scoped, staff, live_question, panel, channels=["email", "sms"])
    scoped.commit()

    assert [m["To"] for m in smtp.messages] == ["hyresgast0@example.se"]
    assert [m.to for m in twilio.messages] == ["+46700000001"]
    scoped.refresh(send)
    assert send.invited == 2 and send.skipped == {"opted_out": 1}


def test_the_fatigue_cap_skips_a_member_who_reached_it(
    scoped, organisation, staff, live_question, panel_of, mail_and_sms
):
    smtp, _twilio = mail_and_sms
    ids = tenants(organisation, 4, phone=False)
    panel = panel_of(ids)
    earlier = make_question(
        staff, title="Hur var tvättstugan?", status=live_question.status, published_at=utcnow()
    )
    first = service.create_send(scoped, staff, earlier, panel, channels=["email"])
    scoped.commit()
    # Only the first two were asked earlier this month; the cap is one question a month.
    scoped.execute(
        sa.delete(Invitation).where(
            Invitation.send_id == first.id, Invitation.contact_id.in_(ids[2:])
        )
    )
    scoped.get(Organisation, organisation.id).fatigue_cap = 1
    scoped.commit()
    smtp.clear()

    second = service.create_send(scoped, staff, live_question, panel, channels=["email"])
    scoped.commit()

    assert sorted(m["To"] for m in smtp.messages) == [
        "hyresgast2@example.se",
        "hyresgast3@example.se",
    ]
    scoped.refresh(second)
    assert second.invited == 2 and second.skipped == {"fatigue": 2}


def test_stop_by_sms_then_a_send_sends_that_number_nothing(
    client, scoped, organisation, staff, live_question, panel_of, mail_and_sms, settings
):
    _smtp, twilio = mail_and_sms
    from notifications.senders import add_sender_number

    add_sender_number(scoped, organisation.id, twilio.phone_number)
    scoped.commit()
    ids = tenants(organisation, 3, email=False)
    panel = panel_of(ids)
    url = settings.base_url + "/hooks/twilio/sms"
    reply = twilio.send_inbound_sms(client, url, from_="+46700000001", body=" Stopp ")
    assert reply.status_code == 200 and "START" in reply.get_data(as_text=True)
    twilio.messages.clear()

    send = service.create_send(scoped, staff, live_question, panel, channels=["sms"])
    scoped.commit()

    assert sorted(m.to for m in twilio.messages) == ["+46700000000", "+46700000002"]
    scoped.refresh(send)
    assert send.skipped == {"opted_out": 1}


def test_one_click_unsubscribe_removes_the_member_and_no_later_send_reaches_them(
    client, scoped, organisation, staff, live_question, panel_of, mail_and_sms
):
    smtp, _twilio = mail_and_sms
    ids = tenants(organisation, 2, phone=False)
    panel = panel_of(ids)
    service.create_send(scoped, staff, live_question, panel, channels=["email"])
    scoped.commit()
    message = next(m for m in smtp.messages if m["To"] == "hyresgast0@example.se")
    url = message["List-Unsubscribe"].strip("<>")

    response = client.post(
        url.split("://", 1)[1].split("/", 1)[1].join(["/", ""]),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    member = scoped.scalar(sa.select(PanelMember).where(PanelMember.contact_id == ids[0]))
    scoped.refresh(member)
    assert member.status == MemberStatus.LEFT
    smtp.clear()
    later = make_question(staff, title="Nästa fråga", status=live_question.status)
    service.create_send(scoped, staff, later, panel, channels=["email"])
    scoped.commit()
    assert [m["To"] for m in smtp.messages] == ["hyresgast1@example.se"]


def test_reminders_go_once_after_the_days_to_those_who_have_not_answered(
    scoped, organisation, staff, live_question, panel_of, mail_and_sms
):
    smtp, twilio = mail_and_sms
    ids = tenants(organisation, 2, phone=False) + tenants(organisation, 1, email=False, start=50)
    panel = panel_of(ids)
    send = service.create_send(
        scoped, staff, live_question, panel, remind_after_days=3, max_reminders=1
    )
    scoped.commit()
    answered = scoped.scalar(sa.select(Invitation).where(Invitation.contact_id == ids[1]))
    answered.answered_at = utcnow()
    scoped.commit()
    smtp.clear()
    twilio.messages.clear()

    assert service.send_reminders(scoped, now=utcnow() + dt.timedelta(days=2)) == 0
    assert service.send_reminders(scoped, now=utcnow() + dt.timedelta(days=4)) == 2
    scoped.commit()
    assert service.send_reminders(scoped, now=utcnow() + dt.timedelta(days=9)) == 0
    scoped.commit()

    assert [m["To"] for m in smtp.messages] == ["hyresgast0@example.se"]
    assert "påminnelse" in smtp.messages[0]["Subject"].lower() or smtp.messages[0]["Subject"]
    assert [m.to for m in twilio.messages] == ["+46700000050"]
    invitation = scoped.scalar(sa.select(Invitation).where(Invitation.contact_id == ids[0]))
    (link,) = LINK.findall(_text(smtp.messages[0]))
    assert link == invitation.token and invitation.reminders_sent == 1
    assert send.max_reminders == 1


def test_a_scheduled_send_starts_when_due_and_can_be_cancelled_before(
    scoped, organisation, staff, live_question, panel_of, mail_and_sms
):
    smtp, _twilio = mail_and_sms
    panel = panel_of(tenants(organisation, 2, phone=False))
    later = utcnow() + dt.timedelta(hours=2)
    send = service.create_send(scoped, staff, live_question, panel, scheduled_at=later)
    other = service.create_send(scoped, staff, live_question, panel, scheduled_at=later)
    scoped.commit()
    start_due.run()  # the periodic job, run in this test's app (a call would take the newest)
    assert smtp.messages == []
    service.cancel_send(scoped, other)
    scoped.commit()

    scoped.execute(
        sa.update(Send).where(Send.id == send.id).values(scheduled_at=utcnow() - dt.timedelta(1))
    )
    scoped.commit()
    start_due.run()
    start_due.run()  # a second run starts nothing twice

    assert len(smtp.messages) == 2
    assert scoped.get(Send, other.id).status == SendStatus.CANCELLED
    scoped.expire_all()
    assert scoped.get(Send, send.id).status == SendStatus.SENT


def test_starting_a_send_twice_sends_nothing_twice(
    scoped, organisation, staff, live_question, panel_of, mail_and_sms
):
    smtp, _twilio = mail_and_sms
    panel = panel_of(tenants(organisation, 3, phone=False))
    send = service.create_send(scoped, staff, live_question, panel, channels=["email"])
    scoped.commit()

    assert service.start_send(scoped, send.id) is False
    scoped.commit()

    assert len(smtp.messages) == 3
    rows = scoped.scalar(
        sa.select(sa.func.count())
        .select_from(OutboundMessage)
        .where(OutboundMessage.ref == f"send:{send.id}")
    )
    assert rows == 3


def test_personal_links_reveal_nothing_and_expire(
    client, scoped, organisation, staff, live_question, panel_of, mail_and_sms
):
    panel = panel_of(tenants(organisation, 1, phone=False))
    service.create_send(scoped, staff, live_question, panel, channels=["email"])
    scoped.commit()
    invitation = scoped.scalar(sa.select(Invitation))

    unknown = client.get("/a/" + "x" * 32)
    assert unknown.status_code == 404
    assert organisation.name not in unknown.get_data(as_text=True)
    assert client.get("/a/%00bad").status_code in (400, 404)

    invitation.expires_at = utcnow() - dt.timedelta(minutes=1)
    scoped.commit()
    expired = client.get(f"/a/{invitation.token}")
    # An expired link is a friendly 404 that says why, like an unknown one (issue #14).
    assert expired.status_code == 404
    assert "gått ut" in expired.get_data(as_text=True) or "expired" in expired.get_data(
        as_text=True
    )


def test_a_draft_question_cannot_be_sent(staff_client, organisation, staff, panel_of):
    draft = make_question(staff)
    panel = panel_of(tenants(organisation, 1))
    response = staff_client.post(f"/app/questions/{draft.id}/send", data=_send_form(panel.id))
    assert response.status_code in (200, 422)
    assert system_session().scalar(sa.select(sa.func.count()).select_from(Send)) == 0


def test_the_api_sends_and_reports_figures_and_keeps_organisations_apart(
    client, organisation, staff, live_question, panel_of, mail_and_sms
):
    smtp, twilio = mail_and_sms
    panel = panel_of(tenants(organisation, 4))
    headers = api_headers(staff)

    created = client.post(
        f"/api/v1/panels/{panel.id}/sends",
        json={"question_id": live_question.id, "channels": ["sms", "email"]},
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    # The send starts after the request's commit: the answer may still call it scheduled.
    assert body["status"] in ("scheduled", "sending", "sent")
    assert len(twilio.messages) == 4 and smtp.messages == []
    read = client.get(f"/api/v1/sends/{body['id']}", headers=headers).get_json()
    assert read["status"] == "sent" and read["figures"]["sent"] == 4
    assert read["figures"]["invited"] == 4
    listed = client.get(f"/api/v1/panels/{panel.id}/sends", headers=headers).get_json()
    assert [s["id"] for s in listed["items"]] == [body["id"]]

    stranger = UserFactory(organisation=OrganisationFactory())
    theirs = api_headers(stranger)
    assert client.get(f"/api/v1/sends/{body['id']}", headers=theirs).status_code == 404
    refused = client.post(
        f"/api/v1/panels/{panel.id}/sends", json={"question_id": live_question.id}, headers=theirs
    )
    assert refused.status_code == 404
    draft = make_question(staff)
    conflict = client.post(
        f"/api/v1/panels/{panel.id}/sends", json={"question_id": draft.id}, headers=headers
    )
    assert conflict.status_code == 409
    bad = client.post(
        f"/api/v1/panels/{panel.id}/sends",
        json={"question_id": live_question.id, "channels": ["fax"]},
        headers=headers,
    )
    assert bad.status_code == 422
