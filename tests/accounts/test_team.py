"""The team page: inviting colleagues, roles, deactivation, and who may do it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from panel.accounts.models import Role, User
from tests.accounts.helpers import another_browser, link_in, mail_to, on_own_context, page_text
from tests.factories import PASSWORD, OrganisationFactory, UserFactory, login

NEW_PASSWORD = "welcome to the team"


@pytest.fixture
def admin(client):
    user = UserFactory(admin=True, name="Maria Admin")
    login(client, user)
    return user


def invite(client, email: str, name: str = "", role: str = "staff"):
    return client.post("/app/team/invite", data={"email": email, "name": name, "role": role})


def test_team_page_lists_people_with_role_status_and_last_login(client, admin):
    UserFactory(organisation=admin.organisation, name="Anna Active")
    UserFactory(organisation=admin.organisation, name="Ivan Invited", password_hash=None)
    UserFactory(organisation=admin.organisation, name="Dora Deactivated", is_active=False)
    UserFactory(name="Someone Elsewhere")

    body = page_text(client.get("/app/team"))

    for name in ("Maria Admin", "Anna Active", "Ivan Invited", "Dora Deactivated"):
        assert name in body
    assert "Someone Elsewhere" not in body
    assert "Invited" in body and "Deactivated" in body and "Active" in body
    assert "just now" in body  # the admin's own last login
    assert "never" in body


def test_invite_flow_end_to_end(app, client, admin, db_session):
    response = invite(client, "New.Colleague@Example.org", name="Nils", role="communicator")
    assert response.status_code == 303
    assert "Invitation sent to new.colleague@example.org" in page_text(client.get("/app/team"))

    invited = db_session.scalar(sa.select(User).where(User.email == "new.colleague@example.org"))
    assert invited.organisation_id == admin.organisation_id
    assert invited.role == Role.COMMUNICATOR
    assert invited.password_hash is None
    assert invited.invited_by_id == admin.id

    [mail] = mail_to(app, "new.colleague@example.org")
    # The invitation speaks the organisation's language (Swedish here), as will the app.
    assert "Maria Admin har bjudit in dig till" in mail.subject
    assert admin.organisation.name in mail.text
    path = link_in(mail, "/invite/")

    client.post("/logout")
    page = client.get(path)
    assert page.status_code == 200
    assert f"Join {admin.organisation.name} on Stoop" in page_text(page)
    assert 'value="Nils"' in page_text(page)

    accepted = client.post(
        path, data={"name": "Nils Nilsson", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert accepted.status_code == 303
    assert "Välkommen till Stoop, Nils Nilsson" in page_text(client.get("/app/"))
    db_session.refresh(invited)
    assert invited.name == "Nils Nilsson"
    assert invited.last_login_at is not None

    # The invitation dies once a password is set.
    client.post("/logout")
    assert client.get(path).status_code == 410
    login(client, invited, NEW_PASSWORD)


def test_invite_needs_a_name_and_an_acceptable_password(app, client, admin):
    invite(client, "pw-check@example.org")
    path = link_in(mail_to(app, "pw-check@example.org")[0], "/invite/")
    client.post("/logout")

    response = client.post(path, data={"name": "", "password": "short", "confirm": "short"})

    body = page_text(response)
    assert "Tell your colleagues who you are." in body
    assert "Use at least 10 characters." in body
    assert client.get(path).status_code == 200


def test_inviting_someone_already_in_the_team_says_so(client, admin):
    colleague = UserFactory(organisation=admin.organisation)

    response = invite(client, colleague.email.upper())

    assert response.status_code == 422
    assert f"{colleague.email} is already in your team." in page_text(response)


def test_inviting_an_address_with_an_account_elsewhere_reveals_nothing(
    app, client, admin, db_session
):
    elsewhere = OrganisationFactory(name="Hyresgården Öst", default_language="nl")
    owner = UserFactory(organisation=elsewhere, name="Ĳsbrand de Vries", locale="nl")
    owner_hash = owner.password_hash

    taken = invite(client, owner.email, name="Ĳsbrand", role="admin")
    new = invite(client, "brand.new@example.org", name="Brand New", role="admin")

    # The admin sees the same answer for both: a redirect and "Invitation sent to …".
    assert (taken.status_code, new.status_code) == (303, 303)
    assert taken.headers["Location"] == new.headers["Location"]
    team = page_text(client.get("/app/team"))
    assert f"Invitation sent to {owner.email}." in team
    assert "Invitation sent to brand.new@example.org." in team
    assert "already" not in team and "another organisation" not in team
    # Nothing changed for the owner's account.
    db_session.expire_all()
    fresh = db_session.get(User, owner.id)
    assert (fresh.organisation_id, fresh.password_hash, fresh.role) == (
        elsewhere.id,
        owner_hash,
        Role.STAFF,
    )
    # The owner is told, in their language, by e-mail; with no invitation link to use.
    [mail] = mail_to(app, owner.email)
    assert "Maria Admin" in mail.subject and admin.organisation.name in mail.subject
    assert "Hallo Ĳsbrand de Vries" in mail.text
    assert "/invite/" not in mail.text
    assert link_in(mail, "/login") == "/login"


def test_inviting_a_bad_address_says_so(client, admin):
    response = invite(client, "not an address")

    assert response.status_code == 422
    assert "is not a valid e-mail address" in page_text(response)


def test_resend_invitation(app, client, admin, db_session):
    invite(client, "again@example.org")
    invited_id = db_session.scalar(sa.select(User.id).where(User.email == "again@example.org"))

    response = client.post(f"/app/team/{invited_id}/resend")

    assert response.status_code == 303
    assert "Invitation sent to again@example.org again" in page_text(client.get("/app/team"))


def test_admin_changes_a_role(client, admin, db_session):
    colleague = UserFactory(organisation=admin.organisation)

    response = client.post(f"/app/team/{colleague.id}/role", data={"role": "admin"})

    assert response.status_code == 303
    db_session.refresh(colleague)
    assert colleague.role == Role.ADMIN


def test_unknown_role_is_refused(client, admin, db_session):
    colleague = UserFactory(organisation=admin.organisation)

    response = client.post(f"/app/team/{colleague.id}/role", data={"role": "owner"})

    assert response.status_code == 422
    db_session.refresh(colleague)
    assert colleague.role == Role.STAFF


def test_admin_cannot_change_own_role_or_deactivate_self(client, admin, db_session):
    assert client.post(f"/app/team/{admin.id}/role", data={"role": "staff"}).status_code == 403
    response = client.post(f"/app/team/{admin.id}/deactivate")
    assert response.status_code == 403
    assert "You cannot deactivate your own account" in page_text(response)
    db_session.refresh(admin)
    assert admin.role == Role.ADMIN and admin.is_active


def test_deactivate_ends_their_session_and_reactivate_lets_them_in(app, client, admin, db_session):
    colleague = UserFactory(organisation=admin.organisation)
    their_browser = another_browser(app, colleague.email, PASSWORD)

    assert client.post(f"/app/team/{colleague.id}/deactivate").status_code == 303

    assert on_own_context(their_browser, "GET", "/app/").status_code == 302
    refused = on_own_context(
        their_browser, "POST", "/login", data={"email": colleague.email, "password": PASSWORD}
    )
    assert "This account has been deactivated" in page_text(refused)

    assert client.post(f"/app/team/{colleague.id}/reactivate").status_code == 303
    another_browser(app, colleague.email, PASSWORD)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/app/team"),
        ("POST", "/app/team/invite"),
        ("POST", "/app/team/{id}/role"),
        ("POST", "/app/team/{id}/deactivate"),
        ("POST", "/app/team/{id}/reactivate"),
        ("POST", "/app/team/{id}/resend"),
    ],
)
def test_non_admins_get_403(client, method, path):
    staff = UserFactory(role=Role.STAFF)
    colleague = UserFactory(organisation=staff.organisation)
    login(client, staff)

    response = client.open(path.format(id=colleague.id), method=method, data={"role": "admin"})

    assert response.status_code == 403
    assert "Only admins manage the team" in page_text(response)


@pytest.mark.parametrize("action", ["role", "deactivate", "reactivate", "resend"])
def test_another_organisations_user_is_404(client, admin, db_session, action):
    stranger = UserFactory(organisation=OrganisationFactory(), password_hash=None)

    response = client.post(f"/app/team/{stranger.id}/{action}", data={"role": "admin"})

    assert response.status_code == 404
    db_session.refresh(stranger)
    assert stranger.role == Role.STAFF and stranger.is_active


def test_team_link_is_in_the_nav_for_admins_only(client, admin):
    assert 'href="/app/team"' in page_text(client.get("/app/"))
    client.post("/logout")
    login(client, UserFactory())
    assert 'href="/app/team"' not in page_text(client.get("/app/"))
