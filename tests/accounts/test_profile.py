"""The profile page: name, language and password."""

from __future__ import annotations

from panel.accounts.models import User
from tests.accounts.helpers import another_browser, on_own_context, page_text
from tests.factories import PASSWORD, UserFactory, login

NEW_PASSWORD = "another good password"


def change_password(client, current: str = PASSWORD, new: str = NEW_PASSWORD, confirm=None):
    return client.post(
        "/app/profile/password",
        data={"current_password": current, "password": new, "confirm": confirm or new},
    )


def test_profile_page_shows_my_details_and_links_to_tokens(client):
    user = UserFactory(name="Greta")
    login(client, user)

    body = page_text(client.get("/app/profile"))

    assert user.email in body and user.organisation.name in body
    assert 'value="Greta"' in body
    assert 'href="/app/tokens"' in body


def test_profile_needs_login(client):
    response = client.get("/app/profile")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_change_name_and_language(client, db_session):
    user = UserFactory(name="Greta")
    login(client, user)

    response = client.post("/app/profile", data={"name": " Greta Garbo ", "locale": "sv"})

    assert response.status_code == 303
    db_session.refresh(user)
    assert (user.name, user.locale) == ("Greta Garbo", "sv")
    page = on_own_context(client, "GET", "/app/profile")
    assert '<html lang="sv">' in page_text(page)


def test_unknown_language_is_refused(client, db_session):
    user = UserFactory()
    login(client, user)

    response = client.post("/app/profile", data={"name": "X", "locale": "de"})

    assert response.status_code == 422
    assert "Not a valid choice" in page_text(response)
    db_session.refresh(user)
    assert user.locale == "en"


def test_change_password_needs_the_current_one(client, db_session):
    user = UserFactory()
    login(client, user)

    response = change_password(client, current="not my password")

    assert response.status_code == 422
    assert "That is not your current password." in page_text(response)
    db_session.expire_all()
    client.post("/logout")
    login(client, db_session.get(User, user.id), PASSWORD)


def test_new_password_must_be_long_enough_and_repeated(client):
    login(client, UserFactory())

    assert "Use at least 10 characters." in page_text(change_password(client, new="short"))
    mismatch = change_password(client, confirm="something else entirely")
    assert "The two passwords are not the same." in page_text(mismatch)


def test_password_change_keeps_this_session_and_ends_the_others(app, client, db_session):
    user = UserFactory()
    login(client, user)
    other_device = another_browser(app, user.email, PASSWORD)
    assert on_own_context(other_device, "GET", "/app/").status_code == 200

    response = change_password(client)

    assert response.status_code == 303
    still_in = on_own_context(client, "GET", "/app/profile")
    assert still_in.status_code == 200
    assert "Other devices have been logged out" in page_text(still_in)
    assert on_own_context(other_device, "GET", "/app/").status_code == 302
    client.post("/logout")
    login(client, user, NEW_PASSWORD)


def test_password_change_ends_remember_me_cookies_elsewhere(app, client):
    user = UserFactory()
    login(client, user)
    other_device = another_browser(app, user.email, PASSWORD, remember="y")
    assert other_device.get_cookie("remember_token") is not None
    # The browser was closed: only the remember-me cookie is left.
    other_device.delete_cookie("session")
    assert on_own_context(other_device, "GET", "/app/").status_code == 200

    change_password(client)

    other_device.delete_cookie("session")
    assert on_own_context(other_device, "GET", "/app/").status_code == 302
