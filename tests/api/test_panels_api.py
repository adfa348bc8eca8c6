"""``/api/v1/panels``: create, read, update (consent versions), list; bulk members (upserted as
contacts, idempotent, errors per item), member list, removal."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel.contacts.models import ConsentEvent, Contact
from panel.panels.models import MemberStatus, PanelMember
from tests.factories import OrganisationFactory, UserFactory, api_headers, make_panel

TENANTS = [
    {"name": "Zeynep Yılmaz", "email": "Zeynep@Example.se", "language": "sv", "age_band": "30-44"},
    {"name": "Ĳsbrand de Vries", "phone": "070-123 45 67", "language": "nl", "tags": ["Senior"]},
    {"name": "Ingen kontakt"},
    {"name": "Fel band", "email": "fel@example.se", "place_id": 2_000_000},
]


@pytest.fixture
def organisation(db_session):
    return OrganisationFactory(default_language="sv")


@pytest.fixture
def headers(organisation):
    return api_headers(UserFactory(organisation=organisation))


def test_create_read_update_list(client, headers):
    body = {"name": "Tillsammans", "consent_text": "Jag vill vara med.", "is_open": True}
    response = client.post("/api/v1/panels/", json=body, headers=headers)
    assert response.status_code == 201, response.json
    panel = response.json
    assert (panel["slug"], panel["consent_version"], panel["members"]["active"]) == (
        "tillsammans",
        1,
        0,
    )
    assert panel["join_url"].endswith("/join/tillsammans")

    changed = client.patch(
        f"/api/v1/panels/{panel['id']}", json={"consent_text": "Ny text."}, headers=headers
    )
    assert changed.status_code == 200 and changed.json["consent_version"] == 2
    emptied = client.patch(
        f"/api/v1/panels/{panel['id']}", json={"consent_text": ""}, headers=headers
    )
    assert emptied.status_code == 409 and emptied.json["error"]["message"]
    bad = client.post("/api/v1/panels/", json={"name": " mellanslag "}, headers=headers)
    assert bad.status_code == 422

    listed = client.get("/api/v1/panels/", headers=headers).json
    assert [p["name"] for p in listed["items"]] == ["Tillsammans"] and listed["next"] is None
    assert client.get("/api/v1/panels/999999", headers=headers).status_code == 404


def test_bulk_members_are_idempotent_with_errors_per_item(
    client, db_session, headers, organisation
):
    panel = make_panel(organisation)
    url = f"/api/v1/panels/{panel.id}/members"
    first = client.post(url, json={"items": TENANTS}, headers=headers)
    assert first.status_code == 200, first.json
    body = first.json
    assert (body["added"], body["already"], body["failed"], body["contacts_created"]) == (
        2,
        0,
        2,
        2,
    )
    assert [e["index"] for e in body["errors"]] == [2, 3]
    assert body["contact_ids"][2:] == [None, None]

    again = client.post(url, json={"items": TENANTS}, headers=headers).json
    assert (again["added"], again["already"], again["contacts_created"]) == (0, 2, 0)
    assert db_session.scalar(sa.select(sa.func.count(PanelMember.id))) == 2
    contact = db_session.scalar(sa.select(Contact).where(Contact.email == "zeynep@example.se"))
    assert contact.age_band == "30-44"

    listed = client.get(url, headers=headers).json
    assert {m["name"] for m in listed["items"]} == {"Zeynep Yılmaz", "Ĳsbrand de Vries"}
    assert {m["status"] for m in listed["items"]} == {"active"}
    member_id = listed["items"][0]["id"]

    assert client.delete(f"{url}/{member_id}", headers=headers).status_code == 204
    assert client.delete(f"{url}/{member_id}", headers=headers).status_code == 204
    left = client.get(url, query_string={"status": "left"}, headers=headers).json
    assert [m["id"] for m in left["items"]] == [member_id]
    withdrawals = db_session.scalars(
        sa.select(ConsentEvent.method).where(ConsentEvent.granted.is_(False))
    ).all()
    assert withdrawals == ["api"]

    # A member who left is added back only when the caller says so.
    item = [TENANTS[0]] if left["items"][0]["email"] else [TENANTS[1]]
    assert client.post(url, json={"items": item}, headers=headers).json["added"] == 0
    back = client.post(url, json={"items": item, "reactivate": True}, headers=headers).json
    assert back["added"] == 1
    member = db_session.get(PanelMember, member_id)
    db_session.refresh(member)
    assert member.status == MemberStatus.ACTIVE


def test_another_organisations_panel_is_404(client, headers):
    other = make_panel(OrganisationFactory(), name="Grannens")
    url = f"/api/v1/panels/{other.id}/members"
    assert client.get(url, headers=headers).status_code == 404
    assert client.post(url, json={"items": TENANTS[:1]}, headers=headers).status_code == 404
    assert client.get(f"/api/v1/panels/{other.id}", headers=headers).status_code == 404
