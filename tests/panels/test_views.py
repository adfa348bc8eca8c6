"""The panels' staff pages: list, create and edit (consent versions), the panel page with
counts and growth, members (search, pages, remove), adding from contacts and CSV, segments."""

from __future__ import annotations

import io

import sqlalchemy as sa

from panel.contacts.models import ConsentEvent, Contact
from panel.panels import service
from panel.panels.models import MemberStatus, Panel, PanelConsentVersion, PanelMember, Segment
from panel.places.service import create_place
from tests.factories import ContactFactory, make_panel


def text(response):
    return response.get_data(as_text=True)


def test_empty_list_then_create_a_panel(admin_client, scoped):
    page = text(admin_client.get("/app/panels"))
    assert "No panels yet" in page and 'href="/app/panels/new"' in page

    response = admin_client.post("/app/panels/new", data={"name": "", "consent_text": "x"})
    assert response.status_code == 422
    response = admin_client.post(
        "/app/panels/new",
        data={
            "name": "Tillsammans i Ängby",
            "description": "Vi frågar en gång i månaden.",
            "consent_text": "Jag vill vara med och får lämna när jag vill.",
            "is_open": "y",
        },
    )
    assert response.status_code == 303
    panel = scoped.scalar(sa.select(Panel))
    assert (panel.name, panel.slug, panel.is_open) == (
        "Tillsammans i Ängby",
        "tillsammans-i-angby",
        True,
    )
    page = text(admin_client.get(response.headers["Location"]))
    assert "Tillsammans i Ängby" in page and "No members yet" in page
    assert "/join/tillsammans-i-angby" in page and "Version 1" in page
    assert "Tillsammans i Ängby" in text(admin_client.get("/app/panels"))


def test_editing_the_consent_text_makes_a_version(admin_client, scoped, organisation):
    panel = make_panel(organisation, consent_text="Första texten.")
    page = text(admin_client.get(f"/app/panels/{panel.id}/edit"))
    assert "Första texten." in page
    data = {"name": panel.name, "description": "", "consent_text": "Andra texten, ändrad."}
    assert admin_client.post(f"/app/panels/{panel.id}/edit", data=data).status_code == 303
    versions = scoped.scalars(sa.select(PanelConsentVersion.version)).all()
    assert sorted(versions) == [1, 2]
    scoped.refresh(panel)
    assert panel.is_open is False  # the box was not ticked


def test_panel_page_shows_counts_and_growth(admin_client, scoped, organisation):
    panel = make_panel(organisation)
    contacts = [ContactFactory(organisation=organisation) for _ in range(4)]
    service.add_members(scoped, panel, [c.id for c in contacts], source="contacts")
    member = scoped.scalar(sa.select(PanelMember).limit(1))
    service.leave(scoped, member, method="app")
    scoped.commit()
    page = text(admin_client.get(f"/app/panels/{panel.id}"))
    assert '<span class="stat-value">3</span><span class="stat-label">active' in page
    assert '<span class="stat-value">1</span><span class="stat-label">left' in page
    assert page.count("<rect ") == 12
    assert "this week: 4" in page


def test_members_are_searched_paged_and_removed(admin_client, scoped, organisation):
    panel = make_panel(organisation)
    ids = [
        ContactFactory(organisation=organisation, name=f"Göran Ström {i:02d}").id for i in range(60)
    ]
    service.add_members(scoped, panel, ids, source="api")
    scoped.commit()
    first = text(admin_client.get(f"/app/panels/{panel.id}/members"))
    assert first.count("Göran Ström") == 50 and "Older" in first
    page = text(admin_client.get(f"/app/panels/{panel.id}/members", query_string={"q": "Ström 07"}))
    assert page.count("Göran Ström") == 1

    member = scoped.scalar(sa.select(PanelMember).where(PanelMember.contact_id == ids[7]))
    url = f"/app/panels/{panel.id}/members/{member.id}/remove"
    assert admin_client.post(url).status_code == 303
    scoped.refresh(member)
    assert member.status == MemberStatus.LEFT
    event = scoped.scalar(sa.select(ConsentEvent).where(ConsentEvent.contact_id == ids[7]))
    assert (event.granted, event.method) == (False, "app")


def test_add_from_contacts_counts_then_adds(admin_client, scoped, organisation):
    area = create_place(scoped, "Sjöstaden")
    stairwell = create_place(scoped, "Trapphus B", create_place(scoped, "Sickla kaj 5", area))
    scoped.commit()
    for _ in range(3):
        ContactFactory(organisation=organisation, place_id=stairwell.id, language="en")
    ContactFactory(organisation=organisation, language="en")
    panel = make_panel(organisation)
    url = f"/app/panels/{panel.id}/members/add"
    page = text(admin_client.get(url, query_string={"place": area.id, "language": "en"}))
    assert "3 contacts match" in page
    assert admin_client.post(url, data={"place": area.id, "language": "en"}).status_code == 303
    assert service.member_counts(scoped, panel)["active"] == 3
    page = text(admin_client.get(url, query_string={"place": area.id}))
    assert "No contact matches" in page


def test_csv_upload_upserts_contacts_and_adds_them(admin_client, scoped, organisation):
    panel = make_panel(organisation)
    csv = (
        "name;email;phone;age_band\n"
        "Åsa Öberg;asa@example.se;;65-79\n"
        "Björn Ek;;070-123 45 67;80+\n"
        "Fel;inte-en-adress;;\n"
    )
    url = f"/app/panels/{panel.id}/members/import"
    for _round in range(2):
        data = {"file": (io.BytesIO(csv.encode()), "medlemmar.csv")}
        page = text(admin_client.post(url, data=data, content_type="multipart/form-data"))
    assert "0 members added" in page  # the second time: already members
    assert service.member_counts(scoped, panel)["active"] == 2
    bands = scoped.scalars(sa.select(Contact.age_band).order_by(Contact.id)).all()
    assert bands == ["65-79", "80+"]


def test_segments_count_and_create(admin_client, scoped, organisation):
    area = create_place(scoped, "Norra Ängby")
    stairwell = create_place(scoped, "Trapphus A", create_place(scoped, "Ängbyplan 3", area))
    scoped.commit()
    panel = make_panel(organisation)
    contacts = [
        ContactFactory(organisation=organisation, place_id=stairwell.id, age_band="30-44"),
        ContactFactory(organisation=organisation, age_band="30-44"),
    ]
    service.add_members(scoped, panel, [c.id for c in contacts], source="contacts")
    scoped.commit()
    url = f"/app/panels/{panel.id}/segments"
    assert "No segments yet" in text(admin_client.get(url))
    count = admin_client.get(url, query_string={"count": 1, "place_id": area.id})
    assert count.json == {"count": 1, "message": "1 member matches"}
    bad = admin_client.get(url, query_string={"count": 1, "age_bands": "12-15"})
    assert bad.status_code == 422 and "age bands" in bad.json["message"]
    response = admin_client.post(
        url, data={"name": "Unga vuxna", "age_bands": ["30-44"], "tags": ""}
    )
    assert response.status_code == 303
    segment = scoped.scalar(sa.select(Segment))
    assert (segment.name, segment.age_bands) == ("Unga vuxna", ["30-44"])
    page = text(admin_client.get(url))
    assert "Unga vuxna" in page and "2 members match" in page
    assert admin_client.post(url, data={"name": ""}).status_code == 422


def test_another_organisations_panel_is_not_found(admin_client, organisation):
    from tests.factories import OrganisationFactory

    other = make_panel(OrganisationFactory(), name="Grannens panel")
    assert admin_client.get(f"/app/panels/{other.id}").status_code == 404
    assert admin_client.get(f"/app/panels/{other.id}/members").status_code == 404
