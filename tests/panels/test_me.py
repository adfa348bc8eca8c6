"""A member's own page ``/me/<token>``: their panels, an empty "answers and replies", leaving
one panel with a POST; an unknown token gets a 404 that tells nothing."""

from __future__ import annotations

import sqlalchemy as sa

from panel.contacts.models import ConsentEvent
from panel.panels import service
from panel.panels.models import MemberStatus, PanelMember
from tests.factories import ContactFactory, make_panel


def text(response):
    return response.get_data(as_text=True)


def _memberships(db_session, organisation):
    contact = ContactFactory(organisation=organisation, name="Yusuf Öztürk", language="sv")
    first = make_panel(organisation, name="Tillsammans")
    second = make_panel(organisation, name="Cykelgruppen på Storgatan")
    for panel in (first, second):
        service.add_members(db_session, panel, [contact.id], source="contacts")
    db_session.commit()
    members = db_session.scalars(sa.select(PanelMember).order_by(PanelMember.panel_id)).all()
    return contact, first, second, members


def test_the_page_lists_the_panels_and_an_empty_answers_section(client, db_session, organisation):
    _contact, first, second, members = _memberships(db_session, organisation)
    page = text(client.get(f"/me/{members[0].me_token}", headers={"Accept-Language": "en"}))
    assert organisation.name in page and "Yusuf Öztürk" in page
    assert first.name in page and second.name in page
    assert "Nothing here yet" in page or "Inget här" in page
    assert page.count("/leave/") == 2  # a form to leave each panel
    # The other membership's token opens the same person's page.
    assert second.name in text(client.get(f"/me/{members[1].me_token}"))


def test_leaving_one_panel(client, db_session, organisation):
    contact, first, second, members = _memberships(db_session, organisation)
    token = members[0].me_token
    response = client.post(f"/me/{token}/leave/{second.id}")
    assert response.status_code == 303
    statuses = dict(
        db_session.execute(sa.select(PanelMember.panel_id, PanelMember.status)).tuples().all()
    )
    assert statuses == {first.id: MemberStatus.ACTIVE, second.id: MemberStatus.LEFT}
    event = db_session.scalar(sa.select(ConsentEvent).where(ConsentEvent.granted.is_(False)))
    assert (event.contact_id, event.method) == (contact.id, "me")
    page = text(client.get(response.headers["Location"]))
    assert page.count("/leave/") == 1


def test_an_unknown_token_is_a_plain_404(client, db_session, organisation):
    _memberships(db_session, organisation)
    response = client.get("/me/" + "x" * 32)
    page = text(response)
    assert response.status_code == 404
    assert organisation.name not in page and "Tillsammans" not in page
    assert client.post("/me/" + "x" * 32 + "/leave/1").status_code == 404


def test_another_persons_panel_cannot_be_left_with_my_token(client, db_session, organisation):
    _contact, _first, _second, members = _memberships(db_session, organisation)
    stranger = ContactFactory(organisation=organisation)
    third = make_panel(organisation, name="Annan panel")
    service.add_members(db_session, third, [stranger.id], source="api")
    db_session.commit()
    assert client.post(f"/me/{members[0].me_token}/leave/{third.id}").status_code == 404
    assert service.member_counts(db_session, third)["active"] == 1


def test_a_member_who_joined_sees_what_they_agreed_to(client, db_session, organisation):
    contact = ContactFactory(organisation=organisation, name="Leyla Hassan")
    panel = make_panel(organisation, consent_text="Jag säger ja till korta frågor ibland.")
    service.add_members(db_session, panel, [contact.id], source="contacts")
    member = db_session.scalar(sa.select(PanelMember))
    member.consent_version_id = service.current_consent(db_session, panel).id
    db_session.commit()
    page = text(client.get(f"/me/{member.me_token}"))
    assert "Jag säger ja till korta frågor ibland." in page
