"""The contacts pages: list with search, filters and pages; one contact; new; import."""

from __future__ import annotations

import io
import re

import sqlalchemy as sa

from panel.contacts.models import ConsentEvent, Contact
from panel.places.service import create_place
from tests.factories import ContactFactory, OrganisationFactory, login


def text(response):
    return response.get_data(as_text=True)


def test_empty_state_offers_import_and_a_form(admin_client):
    page = text(admin_client.get("/app/contacts"))
    assert "No contacts yet" in page
    assert 'href="/app/contacts/import"' in page
    assert 'href="/app/contacts/new"' in page
    assert "set up your places first" in page


def test_list_searches_and_filters(admin_client, scoped, organisation):
    area = create_place(scoped, "Centrum")
    building = create_place(scoped, "Storgatan 4", area)
    stairwell = create_place(scoped, "Trapphus A", building)
    scoped.commit()
    ContactFactory(
        organisation=organisation,
        name="Anna Lind",
        phone="+46701234567",
        place_id=stairwell.id,
        tags=["panel"],
    )
    ContactFactory(organisation=organisation, name="Bo Ek", tags=["senior"])

    page = text(admin_client.get("/app/contacts"))
    assert "2 contacts" in page and "Anna Lind" in page and "Bo Ek" in page
    assert "+46 70 123 45 67" in page
    assert "Centrum / Storgatan 4 / Trapphus A" in page

    page = text(admin_client.get("/app/contacts", query_string={"q": "070 123 45"}))
    assert "Anna Lind" in page and "Bo Ek" not in page
    assert "1 contact matches" in page
    page = text(admin_client.get("/app/contacts", query_string={"place": area.id}))
    assert "Anna Lind" in page and "Bo Ek" not in page
    page = text(admin_client.get("/app/contacts", query_string={"tag": "senior"}))
    assert "Bo Ek" in page and "Anna Lind" not in page
    page = text(admin_client.get("/app/contacts", query_string={"q": "nobody"}))
    assert "No contacts match" in page


def test_pages_walk_every_contact_once(admin_client, organisation):
    for i in range(123):
        ContactFactory(organisation=organisation, name=f"Hyresgäst {i:03d}")
    seen: list[str] = []
    url = "/app/contacts?tag="
    pages = 0
    while url:
        page = text(admin_client.get(url))
        seen += re.findall(r">(Hyresgäst \d{3})<", page)
        older = re.search(r'href="([^"]*after=[^"]*)"', page)
        url = older.group(1).replace("&amp;", "&") if older else None
        pages += 1
    assert pages == 3
    assert sorted(seen) == [f"Hyresgäst {i:03d}" for i in range(123)]
    assert seen[0] == "Hyresgäst 122"  # newest first

    newer = re.search(r'href="([^"]*before=[^"]*)"', page)
    back = text(admin_client.get(newer.group(1).replace("&amp;", "&")))
    assert re.findall(r">(Hyresgäst \d{3})<", back)[0] == "Hyresgäst 072"


def test_a_bad_cursor_is_a_clear_error(admin_client):
    response = admin_client.get("/app/contacts?after=garbage")
    assert response.status_code == 422
    assert "not a cursor" in text(response)


def test_new_contact(admin_client, db_session):
    response = admin_client.post(
        "/app/contacts/new",
        data={
            "name": "Anna Lind",
            "email": "ANNA@example.se",
            "phone": "070-123 45 67",
            "language": "sv",
            "place_id": "",
            "tags": "panel, Senior",
            "consent_basis": "consent",
            "consent_text": "Jag vill vara med.",
        },
        follow_redirects=True,
    )
    page = text(response)
    assert "Added Anna Lind." in page
    contact = db_session.scalar(sa.select(Contact))
    assert (contact.email, contact.phone, contact.tags) == (
        "anna@example.se",
        "+46701234567",
        ["panel", "senior"],
    )
    assert "Consent log" in page and "Jag vill vara med." in page


def test_new_contact_with_bad_values_says_what_to_fix(admin_client, db_session):
    response = admin_client.post(
        "/app/contacts/new",
        data={"name": "X", "email": "x@", "phone": "070-12", "language": "sv", "place_id": ""},
    )
    assert response.status_code == 422
    page = text(response)
    assert "is not a valid e-mail address" in page
    assert "too short" in page
    assert db_session.scalar(sa.select(sa.func.count(Contact.id))) == 0

    response = admin_client.post(
        "/app/contacts/new", data={"name": "Nobody", "language": "sv", "place_id": ""}
    )
    assert "an e-mail address or a phone number" in text(response)


def test_contact_page_edits_and_records_consent(admin_client, admin, organisation, db_session):
    contact = ContactFactory(organisation=organisation, name="Bo Ek", email="bo@example.se")
    ContactFactory(organisation=organisation, email="taken@example.se")
    url = f"/app/contacts/{contact.id}"
    page = text(admin_client.get(url))
    assert "Bo Ek" in page and "Nothing recorded yet" in page

    response = admin_client.post(
        url, data={"name": "Bo Ek", "email": "taken@example.se", "language": "en", "place_id": ""}
    )
    assert response.status_code == 422
    assert "already has the e-mail address taken@example.se" in text(response)

    response = admin_client.post(
        url,
        data={
            "name": "Bo Eklund",
            "email": "bo@example.se",
            "phone": "0707654321",
            "language": "en",
            "place_id": "",
            "tags": "",
        },
        follow_redirects=True,
    )
    assert "Saved." in text(response)
    db_session.refresh(contact)
    assert (contact.name, contact.phone, contact.language) == ("Bo Eklund", "+46707654321", "en")

    response = admin_client.post(
        f"{url}/consent",
        data={"granted": "0", "basis": "consent", "channel": "sms", "text": "Inga sms tack"},
        follow_redirects=True,
    )
    page = text(response)
    assert "Withdrew" in page and "Inga sms tack" in page and admin.name in page
    event = db_session.scalar(sa.select(ConsentEvent))
    assert (event.granted, event.channel, event.method, event.recorded_by_id) == (
        False,
        "sms",
        "app",
        admin.id,
    )


def test_another_organisations_contact_is_not_found(client, admin):
    theirs = ContactFactory(organisation=OrganisationFactory(), name="Hemlig")
    login(client, admin)
    assert client.get(f"/app/contacts/{theirs.id}").status_code == 404
    assert client.post(f"/app/contacts/{theirs.id}", data={"name": "x"}).status_code == 404
    assert client.post(f"/app/contacts/{theirs.id}/consent").status_code == 404
    assert "Hemlig" not in text(client.get("/app/contacts"))


def upload(client, data, name="contacts.csv"):
    return client.post(
        "/app/contacts/import",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_import_page_shows_counts_and_problem_rows(admin_client, db_session):
    page = text(admin_client.get("/app/contacts/import"))
    assert "consent_basis" in page and "at most 20 MB" in page

    data = "name;email;phone\nAnna;anna@example.se;\nBo;bo(at)example.se;\nCilla;;0701234567\n"
    response = upload(admin_client, data.encode())
    page = text(response)
    assert response.status_code == 200
    assert "Imported, with rows skipped" in page
    assert re.search(r'stat-value">2<.*created', page, re.S)
    assert "bo(at)example.se" in page and "<code>email</code>" in page
    assert db_session.scalar(sa.select(sa.func.count(Contact.id))) == 2

    again = text(upload(admin_client, data.encode()))
    assert re.search(r'stat-value">2</span><span class="stat-label">unchanged', again)
    assert db_session.scalar(sa.select(sa.func.count(Contact.id))) == 2


def test_import_page_refuses_bad_files_and_imports_nothing(admin_client, db_session):
    response = upload(admin_client, "name,email\nÅsa,asa@example.se\n".encode("latin-1"))
    assert response.status_code == 422
    page = text(response)
    assert "Nothing was imported" in page and "UTF-8" in page

    response = upload(admin_client, b"namn,epost\nAnna,a@example.se\n")
    page = text(response)
    assert "The columns can be: name, email, phone" in page and "Found: namn, epost" in page

    response = admin_client.post("/app/contacts/import", data={})
    assert response.status_code == 422
    assert "Choose a CSV file to import." in text(response)
    assert db_session.scalar(sa.select(sa.func.count(Contact.id))) == 0


def test_a_50_mb_upload_gets_a_clear_413_page(admin_client, db_session):
    row = b"Hyresgast,h@example.se,0701234567\n"
    body = b"name,email,phone\n" + row * (50 * 1024 * 1024 // len(row))
    response = upload(admin_client, body)
    assert response.status_code == 413
    page = text(response)
    assert "Nothing was imported" in page
    assert "The file is 50.0 MB; an import can be at most 20.0 MB" in page
    assert db_session.scalar(sa.select(sa.func.count(Contact.id))) == 0
