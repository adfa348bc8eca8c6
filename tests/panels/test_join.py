"""Joining from the public page, double opt-in end to end: the confirmation e-mail arrives at
the SMTP server and its link activates the member; the SMS code arrives at the Twilio double
and typing it activates the member; wrong codes, expiry and replays do not."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from panel.contacts.models import ConsentEvent, Contact
from panel.panels import service
from panel.panels.models import MemberStatus, PanelMember
from tests.factories import ContactFactory, make_panel, system_session

CONSENT = "Jag vill vara med i hyresgästpanelen Tillsammans och får lämna när jag vill."


def text(response):
    return response.get_data(as_text=True)


def plain_body(message):
    part = message.get_body(("plain",))
    return part.get_content()


def join_form(panel, **values):
    version = service.current_consent(system_session(), panel)
    data = {"name": "Åsa Öberg-Lindqvist", "language": "sv", "agree": "1"}
    data["consent_version"] = str(version.id)
    data.update(values)
    return data


def test_the_join_page_shows_the_organisation_panel_and_consent(client, organisation):
    panel = make_panel(organisation, consent_text=CONSENT)
    page = text(client.get(f"/join/{panel.slug}", headers={"Accept-Language": "sv"}))
    assert organisation.name in page and panel.name in page and CONSENT in page
    assert "Gå med" in page or "Join" in page
    assert "<script" not in page  # works without JavaScript
    assert client.get("/join/finns-inte").status_code == 404


def test_email_double_opt_in_end_to_end(client, db_session, organisation, use_smtp):
    panel = make_panel(organisation, consent_text=CONSENT)
    response = client.post(
        f"/join/{panel.slug}", data=join_form(panel, email="Asa.Oberg@Example.se")
    )
    assert response.status_code == 200 and "asa.oberg@example.se" in text(response)
    member = db_session.scalar(sa.select(PanelMember))
    assert member.status == MemberStatus.PENDING
    assert service.member_counts(db_session, panel)["active"] == 0

    [mail] = use_smtp.wait_for(1)
    assert mail["To"] == "asa.oberg@example.se"
    assert panel.name in mail["Subject"]
    body = plain_body(mail)
    link = re.search(r"http://\S+/join/\S+/confirm/(\S+)", body)
    assert link and len(link.group(1)) >= 22, body
    path = link.group(0).split("127.0.0.1:5000", 1)[1]

    assert "Ja, jag vill gå med" in text(client.get(path)) or "Yes" in text(client.get(path))
    db_session.refresh(member)
    assert member.status == MemberStatus.PENDING  # opening the link alone joins no one
    response = client.post(path)
    assert response.status_code == 303
    assert f"/me/{member.me_token}" in response.headers["Location"]
    db_session.refresh(member)
    assert member.status == MemberStatus.ACTIVE and member.joined_at is not None
    event = db_session.scalar(sa.select(ConsentEvent).where(ConsentEvent.method == "join"))
    assert (event.granted, event.basis, event.text) == (True, "consent", CONSENT)
    assert event.text_version == f"{panel.slug} v1"
    contact = db_session.get(Contact, member.contact_id)
    assert (contact.name, contact.language) == ("Åsa Öberg-Lindqvist", "sv")

    # Replayed: the link worked once.
    assert client.post(path).status_code == 410
    assert client.get(path).status_code == 410
    welcome = text(client.get(response.headers["Location"]))
    assert panel.name in welcome


def test_sms_code_double_opt_in_wrong_code_then_right(client, db_session, organisation, use_twilio):
    panel = make_panel(organisation, consent_text=CONSENT)
    response = client.post(f"/join/{panel.slug}", data=join_form(panel, phone="070-123 45 67"))
    assert response.status_code == 303
    code_page = response.headers["Location"]
    assert "+46 70 123 45 67" in text(client.get(code_page))

    [sms] = use_twilio.messages
    assert sms.to == "+46701234567"
    code = re.search(r"\b(\d{6})\b", sms.body).group(1)
    wrong = "000000" if code != "000000" else "111111"

    response = client.post(code_page, data={"code": wrong})
    assert response.status_code == 422 and "4" in text(response)
    member = db_session.scalar(sa.select(PanelMember))
    assert member.status == MemberStatus.PENDING

    response = client.post(code_page, data={"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 303
    db_session.refresh(member)
    assert member.status == MemberStatus.ACTIVE
    event = db_session.scalar(sa.select(ConsentEvent).where(ConsentEvent.method == "join"))
    assert event.text_version == f"{panel.slug} v1"

    # Replayed: the code page is gone.
    assert client.post(code_page, data={"code": code}).status_code == 410


def test_too_many_wrong_codes_end_the_attempt(client, db_session, organisation, use_twilio):
    panel = make_panel(organisation, consent_text=CONSENT)
    code_page = client.post(
        f"/join/{panel.slug}", data=join_form(panel, phone="+46701234568")
    ).headers["Location"]
    code = re.search(r"\b(\d{6})\b", use_twilio.messages[0].body).group(1)
    wrong = "000000" if code != "000000" else "111111"
    statuses = [client.post(code_page, data={"code": wrong}).status_code for _ in range(5)]
    assert statuses == [422, 422, 422, 422, 410]
    assert client.post(code_page, data={"code": code}).status_code == 410
    member = db_session.scalar(sa.select(PanelMember))
    assert member.status == MemberStatus.PENDING


def test_an_expired_code_does_not_confirm(client, db_session, organisation, use_twilio):
    panel = make_panel(organisation, consent_text=CONSENT)
    code_page = client.post(
        f"/join/{panel.slug}", data=join_form(panel, phone="+46701234569")
    ).headers["Location"]
    code = re.search(r"\b(\d{6})\b", use_twilio.messages[0].body).group(1)
    member = db_session.scalar(sa.select(PanelMember))
    member.confirm_expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db_session.commit()
    response = client.post(code_page, data={"code": code})
    assert response.status_code == 410 and "Koden har gått ut" in text(response)
    db_session.refresh(member)
    assert member.status == MemberStatus.PENDING


def test_an_expired_email_link_does_not_confirm(client, db_session, organisation, use_smtp):
    panel = make_panel(organisation, consent_text=CONSENT)
    client.post(f"/join/{panel.slug}", data=join_form(panel, email="sen@example.se"))
    body = plain_body(use_smtp.wait_for(1)[0])
    path = re.search(r"/join/\S+/confirm/\S+", body).group(0)
    member = db_session.scalar(sa.select(PanelMember))
    member.confirm_expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    db_session.commit()
    assert client.post(path).status_code == 410


def test_the_form_explains_what_is_missing(client, db_session, organisation):
    panel = make_panel(organisation, consent_text=CONSENT)
    response = client.post(
        f"/join/{panel.slug}", data=join_form(panel, agree="", email="inte en adress")
    )
    page = text(response)
    assert response.status_code == 422
    assert "Tick the box" in page or "Kryssa" in page
    assert "inte en adress" in page
    response = client.post(f"/join/{panel.slug}", data=join_form(panel))
    assert response.status_code == 422
    assert db_session.scalar(sa.select(sa.func.count(PanelMember.id))) == 0


def test_an_existing_contact_keeps_their_details(client, db_session, organisation, use_smtp):
    panel = make_panel(organisation, consent_text=CONSENT)
    contact = ContactFactory(organisation=organisation, name="Rätt Namn", email="finns@example.se")
    client.post(
        f"/join/{panel.slug}", data=join_form(panel, name="Någon Annan", email="finns@example.se")
    )
    db_session.refresh(contact)
    assert contact.name == "Rätt Namn"
    assert db_session.scalar(sa.select(PanelMember.contact_id)) == contact.id


def test_a_closed_panel_takes_no_one(client, db_session, organisation):
    panel = make_panel(organisation, consent_text=CONSENT, is_open=False)
    response = client.post(f"/join/{panel.slug}", data=join_form(panel, email="a@example.se"))
    assert "not taking new members" in text(response) or "inte" in text(response)
    assert db_session.scalar(sa.select(sa.func.count(PanelMember.id))) == 0


def test_the_join_form_is_rate_limited(client, organisation, use_smtp):
    panel = make_panel(organisation, consent_text=CONSENT)
    statuses = [
        client.post(
            f"/join/{panel.slug}", data=join_form(panel, email=f"spam{i}@example.se")
        ).status_code
        for i in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_expired_joins_are_forgotten_by_the_periodic_sweep(
    client, db_session, organisation, use_twilio
):
    from panel.panels.tasks import forget_expired_joins

    panel = make_panel(organisation, consent_text=CONSENT)
    for phone in ("+46701234570", "+46701234571"):
        client.post(f"/join/{panel.slug}", data=join_form(panel, phone=phone))
    stale, fresh = db_session.scalars(sa.select(PanelMember).order_by(PanelMember.id)).all()
    stale.confirm_expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    db_session.commit()

    # Run in this test's app (``apply`` or a call would take the newest app of the process).
    assert forget_expired_joins.run() == 1
    assert forget_expired_joins.run() == 0
    remaining = db_session.scalars(sa.select(PanelMember.id)).all()
    assert remaining == [fresh.id]
