"""The places pages: the tree, its empty state, adding, renaming, deleting, importing."""

from __future__ import annotations

import io

import sqlalchemy as sa

from panel.places.models import Place
from panel.places.service import create_place
from tests.factories import ContactFactory, OrganisationFactory, PlaceFactory, login


def text(response):
    return response.get_data(as_text=True)


def test_empty_state_explains_the_tree_and_offers_import(admin_client):
    page = text(admin_client.get("/app/places"))
    assert "No places yet" in page
    assert "areas hold buildings" in page
    assert 'action="/app/places"' in page
    assert "/app/places/import" in page


def test_staff_see_the_empty_state_without_forms(staff_client):
    page = text(staff_client.get("/app/places"))
    assert "No places yet" in page
    assert 'action="/app/places"' not in page
    assert "An admin of your organisation can add places" in page


def test_tree_shows_every_level_with_contact_counts(admin_client, scoped, organisation):
    area = create_place(scoped, "Norra Ängby")
    building = create_place(scoped, "Ängbyplan 3", area)
    stairwell = create_place(scoped, "Trapphus A", building)
    scoped.commit()
    for _ in range(3):
        ContactFactory(organisation=organisation, place_id=stairwell.id)

    page = text(admin_client.get("/app/places"))
    assert "1 area" in page and "1 building" in page and "1 stairwell" in page
    for name in ("Norra Ängby", "Ängbyplan 3", "Trapphus A"):
        assert name in page
    assert page.count("3 contacts") == 3  # the stairwell, its building and its area
    assert f"/app/contacts?place={area.id}" in page
    assert "<details" in page
    # Each node's own tools point at that node, however deep the tree below it.
    assert f'name="parent_id" value="{area.id}"' in page
    assert f'name="parent_id" value="{building.id}"' in page
    assert f'name="parent_id" value="{stairwell.id}"' not in page
    assert f'action="/app/places/{area.id}/rename"' in page


def test_admin_adds_an_area_a_building_and_a_stairwell(admin_client, db_session):
    response = admin_client.post("/app/places", data={"name": " Centrum "})
    assert response.status_code == 303
    area = db_session.scalar(sa.select(Place).where(Place.path == "Centrum"))
    admin_client.post("/app/places", data={"name": "Storgatan 4", "parent_id": area.id})
    building = db_session.scalar(sa.select(Place).where(Place.name == "Storgatan 4"))
    response = admin_client.post(
        "/app/places",
        data={"name": "Trapphus A", "parent_id": building.id, "code": "4A"},
        follow_redirects=True,
    )
    assert "Added Centrum / Storgatan 4 / Trapphus A." in text(response)


def test_a_refused_change_says_why(admin_client, scoped):
    area = create_place(scoped, "Centrum")
    create_place(scoped, "Storgatan 4", area)
    scoped.commit()

    response = admin_client.post(f"/app/places/{area.id}/delete", follow_redirects=True)
    assert "Centrum still has buildings under it (1). Delete or move them first." in text(response)
    response = admin_client.post("/app/places", data={"name": "Centrum"}, follow_redirects=True)
    assert "There is already a place called Centrum." in text(response)
    assert scoped.scalar(sa.select(sa.func.count(Place.id))) == 2


def test_rename_and_delete(admin_client, scoped):
    area = create_place(scoped, "Centrum")
    building = create_place(scoped, "Storgatan 4", area)
    scoped.commit()

    response = admin_client.post(
        f"/app/places/{area.id}/rename",
        data={"name": "Centrala staden", "code": "C"},
        follow_redirects=True,
    )
    assert "Saved Centrala staden." in text(response)
    scoped.refresh(building)
    assert building.path == "Centrala staden / Storgatan 4"

    response = admin_client.post(f"/app/places/{building.id}/delete", follow_redirects=True)
    page = text(response)
    assert "Deleted Centrala staden / Storgatan 4." in page
    assert f'id="place-{building.id}"' not in page
    assert scoped.scalar(sa.select(sa.func.count()).where(Place.id == building.id)) == 0


def test_staff_cannot_change_places(staff_client, scoped):
    area = create_place(scoped, "Centrum")
    scoped.commit()
    assert staff_client.post("/app/places", data={"name": "Söder"}).status_code == 403
    assert staff_client.post(f"/app/places/{area.id}/delete").status_code == 403
    assert staff_client.get("/app/places/import").status_code == 403


def test_another_organisations_place_is_not_found(client, admin):
    other = PlaceFactory(organisation=OrganisationFactory(), name="Hemligt")
    admin_client = login(client, admin) and client
    for url in (f"/app/places/{other.id}/delete", f"/app/places/{other.id}/rename"):
        assert admin_client.post(url, data={"name": "x"}).status_code == 404
    response = admin_client.post("/app/places", data={"name": "Hus", "parent_id": other.id})
    assert response.status_code == 404


def test_import_page_shows_the_report(admin_client):
    assert "area;building;stairwell;code" in text(admin_client.get("/app/places/import"))
    csv = "area,building\nCentrum,Storgatan 4\n,Kyrkogatan 9\n"
    response = admin_client.post(
        "/app/places/import",
        data={"file": (io.BytesIO(csv.encode()), "places.csv")},
        content_type="multipart/form-data",
    )
    page = text(response)
    assert response.status_code == 200
    assert "Imported, with rows skipped" in page
    assert "The row has no area." in page


def test_import_page_with_a_bad_file_imports_nothing(admin_client, db_session):
    response = admin_client.post(
        "/app/places/import",
        data={"file": (io.BytesIO(b"name\nCentrum\n"), "places.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = text(response)
    assert "Nothing was imported" in page
    assert "The columns can be: area, building, stairwell, code" in page
    assert db_session.scalar(sa.select(sa.func.count(Place.id))) == 0
