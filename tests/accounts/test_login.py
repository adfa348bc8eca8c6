"""Logging in and out: messages, redirects, rate limit, CSRF."""

from __future__ import annotations

import pytest

from panel.accounts.models import User
from tests.accounts.helpers import page_text
from tests.factories import PASSWORD, UserFactory, login

WRONG = "The e-mail address or password is not right."


def test_login_page_renders(client):
    response = client.get("/login")

    assert response.status_code == 200
    body = page_text(response)
    assert 'name="email"' in body and 'name="password"' in body
    assert "Forgot your password?" in body


def test_login_with_right_password_goes_to_the_overview(client, db_session):
    user = UserFactory(name="Greta Admin")

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 303
    assert response.headers["Location"] == "/app/"
    assert "Good to see you, Greta Admin" in page_text(client.get("/app/"))
    db_session.refresh(user)
    assert user.last_login_at is not None


def test_email_is_matched_whatever_its_case(client):
    user = UserFactory()

    response = client.post(
        "/login", data={"email": f"  {user.email.upper()} ", "password": PASSWORD}
    )

    assert response.status_code == 303


@pytest.mark.parametrize("which", ["wrong password", "unknown e-mail"])
def test_wrong_password_and_unknown_email_get_the_same_message(client, which):
    user = UserFactory()
    email = user.email if which == "wrong password" else "nobody@example.org"

    response = client.post("/login", data={"email": email, "password": "not the password"})

    assert response.status_code == 200
    assert WRONG in page_text(response)
    assert client.get("/app/").status_code == 302  # still not logged in


def test_invited_user_without_password_cannot_log_in(client):
    user = UserFactory(password_hash=None)

    response = client.post("/login", data={"email": user.email, "password": ""})

    assert "Enter your password." in page_text(response)
    response = client.post("/login", data={"email": user.email, "password": "anything at all"})
    assert WRONG in page_text(response)


def test_deactivated_user_is_told_to_ask_an_admin(client):
    user = UserFactory(is_active=False)

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert "This account has been deactivated" in page_text(response)
    assert client.get("/app/").status_code == 302


def test_next_goes_to_a_local_page(client):
    user = UserFactory()

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "/app/profile"}
    )

    assert response.headers["Location"] == "/app/profile"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/app",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
    ],
)
def test_next_to_another_site_is_refused(client, target):
    user = UserFactory()

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": target}
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/app/"


def test_a_nul_in_next_is_refused_before_logging_in(client):
    user = UserFactory()

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "/app/\x00"}
    )

    assert response.status_code == 400
    assert "contains a character that cannot be stored" in response.text
    assert client.get("/app/profile").status_code in (302, 303)


def test_login_form_carries_next_from_the_query(client):
    response = client.get("/app/profile")
    assert response.status_code == 302
    login_page = client.get(response.headers["Location"])

    assert 'value="/app/profile"' in page_text(login_page)


def test_logged_in_user_visiting_login_goes_to_the_app(client):
    login(client, UserFactory())

    response = client.get("/login")

    assert response.status_code == 302
    assert response.headers["Location"] == "/app/"


def test_logout_is_post_only(client):
    login(client, UserFactory())

    assert client.get("/logout").status_code == 405
    assert client.get("/app/").status_code == 200

    response = client.post("/logout")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert "You are logged out." in page_text(client.get("/login"))
    assert client.get("/app/").status_code == 302


def test_twenty_wrong_passwords_are_rate_limited(client):
    user = UserFactory()

    statuses = [
        client.post("/login", data={"email": user.email, "password": f"wrong {n}"}).status_code
        for n in range(20)
    ]

    assert statuses[:10] == [200] * 10
    assert set(statuses[10:]) == {429}
    # Even the right password waits now, and the page says why in words.
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in page_text(response)
    assert "Back to log in" in page_text(response)


def test_successful_logins_do_not_count_towards_the_limit(client):
    user = UserFactory()

    for _ in range(15):
        login(client, user)
        client.post("/logout")


def test_login_without_csrf_token_is_refused_clearly(csrf_app):
    assert csrf_app.config.get("WTF_CSRF_ENABLED", True)
    client = csrf_app.test_client()

    response = client.post("/login", data={"email": "a@example.org", "password": "whatever"})

    assert response.status_code == 400
    body = page_text(response)
    assert "This form has expired or did not come from Stoop" in body
    assert "Reload the form" in body


def test_login_form_has_a_csrf_token_when_csrf_is_on(csrf_app):
    client = csrf_app.test_client()

    body = page_text(client.get("/login"))

    assert 'name="csrf_token"' in body


def test_logout_without_csrf_token_is_refused(csrf_app):
    client = csrf_app.test_client()

    assert client.post("/logout").status_code == 400


def test_outdated_hash_is_upgraded_on_login(client, db_session):
    from argon2 import PasswordHasher

    old = PasswordHasher(time_cost=2, memory_cost=8, parallelism=1).hash(PASSWORD)
    user = UserFactory(password_hash=old)

    login(client, user)

    db_session.expire_all()
    fresh = db_session.get(User, user.id)
    assert fresh.password_hash != old
    assert fresh.password_hash.startswith("$argon2id$")
