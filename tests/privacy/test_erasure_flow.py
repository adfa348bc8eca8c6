"""How an erasure is asked for and started: the API's DELETE, an admin's button behind a
confirmation, and a tenant's request from ``/me`` that an admin confirms or declines."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
import sqlalchemy as sa

from panel.contacts.models import Contact
from panel.core.scoping import scoped_to
from panel.panels.models import MemberSource, MemberStatus, PanelMember
from panel.privacy.models import AuditEvent, ErasureRequest
from tests.factories import (
    ContactFactory,
    OrganisationFactory,
    UserFactory,
    api_headers,
    login,
    make_panel,
)


@pytest.fixture
def organisation(db_session: Any) -> Any:
    return OrganisationFactory(default_language="sv")


@pytest.fixture
def admin(organisation: Any) -> Any:
    return UserFactory(organisation=organisation, admin=True)


@pytest.fixture
def contact(organisation: Any) -> Any:
    return ContactFactory(organisation=organisation, name="Ödön Łukasz", email="odon@example.se")


def requests_of(session: Any, contact_id: int) -> list[ErasureRequest]:
    session.expire_all()
    return list(
        session.scalars(
            sa.select(ErasureRequest)
            .where(ErasureRequest.contact_id == contact_id)
            .execution_options(all_organisations=True)
        )
    )


def contact_exists(session: Any, contact_id: int) -> bool:
    session.expire_all()
    return bool(
        session.scalar(
            sa.select(Contact.id)
            .where(Contact.id == contact_id)
            .execution_options(all_organisations=True)
        )
    )


def test_delete_erases_the_contact_and_answers_with_the_request(
    client: Any, db_session: Any, admin: Any, contact: Any
) -> None:
    cid = contact.id
    headers = api_headers(admin)

    response = client.delete(f"/api/v1/contacts/{cid}", headers=headers)

    assert response.status_code == 202, response.json
    assert response.json["state"] == "done"  # the test app runs tasks inline
    assert response.json["steps_done"][-1] == "contact"
    assert not contact_exists(db_session, cid)
    again = client.delete(f"/api/v1/contacts/{cid}", headers=headers)
    assert again.status_code == 202 and again.json["id"] == response.json["id"]
    assert client.get(f"/api/v1/contacts/{cid}", headers=headers).status_code == 404
    logged = db_session.execute(
        sa.select(AuditEvent.actor_user_id, AuditEvent.details["state"].as_string()).where(
            AuditEvent.action == "contact.erase", AuditEvent.target_id == str(cid)
        )
    ).all()
    assert sorted(logged, key=str) == sorted([(admin.id, "confirmed"), (None, "done")], key=str)


def test_delete_is_for_admins_and_only_in_their_organisation(
    client: Any, db_session: Any, organisation: Any, contact: Any
) -> None:
    cid = contact.id
    staff = UserFactory(organisation=organisation)
    other_admin = UserFactory(organisation=OrganisationFactory(), admin=True)

    refused = client.delete(f"/api/v1/contacts/{cid}", headers=api_headers(staff))
    elsewhere = client.delete(f"/api/v1/contacts/{cid}", headers=api_headers(other_admin))

    assert refused.status_code == 403, refused.json
    assert elsewhere.status_code == 404
    assert contact_exists(db_session, cid)
    assert requests_of(db_session, cid) == []


def test_an_admin_erases_from_the_contact_page_after_a_confirmation(
    client: Any, db_session: Any, admin: Any, contact: Any
) -> None:
    cid = contact.id
    login(client, admin)
    page = client.get(f"/app/contacts/{cid}").get_data(as_text=True)
    assert f"/app/contacts/{cid}/erase" in page
    confirmation = client.get(f"/app/contacts/{cid}/erase").get_data(as_text=True)
    assert "What goes" in confirmation and "What stays" in confirmation

    done = client.post(f"/app/contacts/{cid}/erase")

    assert done.status_code == 303 and done.headers["Location"].endswith("/app/privacy/erasures")
    assert not contact_exists(db_session, cid)
    (request,) = requests_of(db_session, cid)
    assert (request.state, request.source, request.confirmed_by_id) == ("done", "staff", admin.id)
    assert client.get("/app/privacy/erasures").status_code == 200


def test_staff_who_are_not_admins_cannot_erase(
    client: Any, db_session: Any, organisation: Any, contact: Any
) -> None:
    cid = contact.id
    login(client, UserFactory(organisation=organisation))

    assert client.get(f"/app/contacts/{cid}/erase").status_code == 403
    assert client.post(f"/app/contacts/{cid}/erase").status_code == 403
    assert client.get("/app/privacy/erasures").status_code == 403
    assert contact_exists(db_session, cid)


@pytest.fixture
def member_token(db_session: Any, organisation: Any, contact: Any) -> str:
    panel = make_panel(organisation)
    token = secrets.token_urlsafe(32)
    with scoped_to(db_session, organisation.id):
        db_session.add(
            PanelMember(
                organisation_id=organisation.id,
                panel_id=panel.id,
                contact_id=contact.id,
                status=MemberStatus.ACTIVE,
                source=MemberSource.CONTACTS,
                me_token=token,
            )
        )
        db_session.commit()
    return token


def test_a_tenant_asks_and_an_admin_confirms(
    client: Any, db_session: Any, admin: Any, contact: Any, member_token: str
) -> None:
    cid = contact.id
    page = client.get(f"/me/{member_token}").get_data(as_text=True)
    assert f"/me/{member_token}/erase" in page

    asked = client.post(f"/me/{member_token}/erase")
    client.post(f"/me/{member_token}/erase")  # twice: still one request

    assert asked.status_code == 303
    (request,) = requests_of(db_session, cid)
    assert (request.state, request.source) == ("requested", "me")
    assert contact_exists(db_session, cid)
    shown = client.get(f"/me/{member_token}").get_data(as_text=True)
    # The page says an admin will confirm (in the organisation's Swedish here) and offers no button.
    assert (
        "inom 30 dagar" in shown or "within 30 days" in shown
    ) and f"/me/{member_token}/erase" not in shown

    login(client, admin)
    listed = client.get("/app/privacy/erasures").get_data(as_text=True)
    assert "Ödön Łukasz" in listed
    client.post(f"/app/privacy/erasures/{request.id}/confirm")

    (request,) = requests_of(db_session, cid)
    assert request.state == "done" and request.confirmed_by_id == admin.id
    assert not contact_exists(db_session, cid)
    assert client.get(f"/me/{member_token}").status_code == 404


def test_declining_needs_a_reason(
    client: Any, db_session: Any, admin: Any, contact: Any, member_token: str
) -> None:
    cid = contact.id
    client.post(f"/me/{member_token}/erase")
    (request,) = requests_of(db_session, cid)
    login(client, admin)

    client.post(f"/app/privacy/erasures/{request.id}/decline", data={"reason": "  "})
    assert requests_of(db_session, cid)[0].state == "requested"
    client.post(
        f"/app/privacy/erasures/{request.id}/decline",
        data={"reason": "The tenant has an open rent dispute; we keep the records for now."},
    )

    (request,) = requests_of(db_session, cid)
    assert request.state == "declined" and request.error.startswith("The tenant has")
    assert contact_exists(db_session, cid)


def test_the_sweep_finishes_an_erasure_left_half_way(
    app: Any, db_session: Any, organisation: Any, admin: Any, contact: Any
) -> None:
    from panel.privacy.erasure_tasks import erasures_left_over

    cid = contact.id
    with scoped_to(db_session, organisation.id):
        request = ErasureRequest(
            organisation_id=organisation.id,
            contact_id=cid,
            source="staff",
            state="running",
            steps_done=["messages", "media"],
            counts={"messages": 0, "media": 0},
        )
        db_session.add(request)
        db_session.commit()

    assert erasures_left_over.run() == 1  # queued after its commit, run inline here

    (request,) = requests_of(db_session, cid)
    assert request.state == "done" and request.steps_done[:2] == ["messages", "media"]
    assert not contact_exists(db_session, cid)
    assert erasures_left_over.run() == 0
