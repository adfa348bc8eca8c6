"""``/api/v1/places``: read for everyone with a token, changes for admins, clear 4xx errors."""

from __future__ import annotations

import pytest

from panel.core.scoping import scoped_to
from panel.places.service import create_place
from tests.factories import ContactFactory, OrganisationFactory, UserFactory, api_headers


@pytest.fixture
def organisation(db_session):
    return OrganisationFactory()


@pytest.fixture
def headers(organisation):
    return api_headers(UserFactory(organisation=organisation, admin=True))


def test_create_a_tree_and_read_it(client, headers):
    area = client.post("/api/v1/places/", json={"name": "Centrum", "code": "C"}, headers=headers)
    assert area.status_code == 201, area.json
    assert area.json | {"id": 0} == {
        "id": 0,
        "kind": "area",
        "name": "Centrum",
        "code": "C",
        "parent_id": None,
        "path": "Centrum",
        "area_id": None,
        "building_id": None,
    }
    building = client.post(
        "/api/v1/places/",
        json={"name": "Storgatan 4", "parent_id": area.json["id"]},
        headers=headers,
    ).json
    stairwell = client.post(
        "/api/v1/places/", json={"name": "Trapphus A", "parent_id": building["id"]}, headers=headers
    ).json
    assert stairwell["path"] == "Centrum / Storgatan 4 / Trapphus A"
    assert (stairwell["area_id"], stairwell["building_id"]) == (area.json["id"], building["id"])

    got = client.get(f"/api/v1/places/{stairwell['id']}", headers=headers)
    assert got.json == stairwell
    listed = client.get("/api/v1/places/?kind=stairwell", headers=headers).json
    assert listed == {"items": [stairwell], "next": None}
    children = client.get(f"/api/v1/places/?parent_id={area.json['id']}", headers=headers).json
    assert [p["name"] for p in children["items"]] == ["Storgatan 4"]


def test_rename_and_delete(client, headers):
    area = client.post("/api/v1/places/", json={"name": "Centrum"}, headers=headers).json
    building = client.post(
        "/api/v1/places/", json={"name": "Storgatan 4", "parent_id": area["id"]}, headers=headers
    ).json
    renamed = client.patch(f"/api/v1/places/{area['id']}", json={"name": "City"}, headers=headers)
    assert renamed.json["path"] == "City"
    assert client.get(f"/api/v1/places/{building['id']}", headers=headers).json["path"] == (
        "City / Storgatan 4"
    )

    refused = client.delete(f"/api/v1/places/{area['id']}", headers=headers)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "place_not_empty"
    assert refused.json["error"]["message"] == (
        "City still has buildings under it (1). Delete or move them first."
    )
    assert client.delete(f"/api/v1/places/{building['id']}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/places/{building['id']}", headers=headers).status_code == 404


def test_a_place_with_contacts_is_not_deleted(client, headers, organisation, db_session):
    with scoped_to(db_session, organisation.id):
        area = create_place(db_session, "Centrum")
        db_session.commit()
    ContactFactory(organisation=organisation, place_id=area.id)
    response = client.delete(f"/api/v1/places/{area.id}", headers=headers)
    assert response.status_code == 409
    assert "Centrum still has contacts (1)" in response.json["error"]["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "A", "parent_id": "1"}, "parent_id"),
        ({"name": "A", "surprise": True}, "surprise"),
        ({"name": " \u00a0 "}, "name"),
        ({"name": "Hus 1/2"}, "name"),
    ],
)
def test_invalid_bodies_are_422_with_details(client, headers, body, field):
    response = client.post("/api/v1/places/", json=body, headers=headers)
    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "invalid"
    assert field in error["details"]["json"]


def test_a_nul_character_is_refused_before_the_view(client, headers):
    response = client.post("/api/v1/places/", json={"name": "A\x00"}, headers=headers)
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid_characters"
    assert "name" in error["details"]["json"]
    assert "cannot be stored" in error["message"]


def test_domain_errors_are_readable(client, headers):
    response = client.post("/api/v1/places/", json={"name": "Hus 1/2"}, headers=headers)
    assert response.status_code == 422
    assert "cannot contain “/”" in response.json["error"]["message"]
    client.post("/api/v1/places/", json={"name": "Centrum"}, headers=headers)
    again = client.post("/api/v1/places/", json={"name": "Centrum"}, headers=headers)
    assert again.status_code == 409
    assert again.json["error"]["message"] == "There is already a place called Centrum."
    missing = client.post(
        "/api/v1/places/", json={"name": "X", "parent_id": 99999}, headers=headers
    )
    assert missing.status_code == 409
    assert missing.json["error"]["code"] == "parent_not_found"


def test_staff_may_read_but_not_change(client, organisation, headers):
    staff = api_headers(UserFactory(organisation=organisation))
    area = client.post("/api/v1/places/", json={"name": "Centrum"}, headers=headers).json
    assert client.get(f"/api/v1/places/{area['id']}", headers=staff).status_code == 200
    refused = client.post("/api/v1/places/", json={"name": "Söder"}, headers=staff)
    assert refused.status_code == 403
    assert refused.json["error"]["message"] == "Only admins can change places."
    assert client.delete(f"/api/v1/places/{area['id']}", headers=staff).status_code == 403


def test_another_organisations_place_is_404(client, headers, db_session):
    other = OrganisationFactory()
    with scoped_to(db_session, other.id):
        place = create_place(db_session, "Hemligt")
        db_session.commit()
    for method in ("get", "patch", "delete"):
        response = getattr(client, method)(
            f"/api/v1/places/{place.id}", json={"name": "x"}, headers=headers
        )
        assert response.status_code == 404, method
    assert client.get("/api/v1/places/", headers=headers).json["items"] == []
    huge = client.get("/api/v1/places/99999999999999999999", headers=headers)
    assert huge.status_code == 404
