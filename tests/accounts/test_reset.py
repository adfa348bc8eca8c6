"""Password reset by e-mail link: the whole way through, and every way a link can go bad."""

from __future__ import annotations

import time

from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from panel.accounts.links import RESET_SALT, password_fingerprint
from panel.accounts.models import User
from tests.accounts.helpers import another_browser, link_in, mail_to, on_own_context, page_text
from tests.factories import PASSWORD, UserFactory, login

NEW_PASSWORD = "a brand new password"
SENT = "If an account exists for"


def ask_for_link(client, app, user: User) -> str:
    response = client.post("/login/forgot", data={"email": user.email})
    assert response.status_code == 200
    assert SENT in page_text(response)
    mails = mail_to(app, user.email)
    assert len(mails) == 1, "exactly one reset e-mail"
    return link_in(mails[0], "/login/reset/")


def test_reset_flow_end_to_end(app, client, db_session):
    user = UserFactory(name="Greta")

    path = ask_for_link(client, app, user)
    mail = mail_to(app, user.email)[0]
    assert mail.subject == "Choose a new password for Stoop"
    assert "Hello Greta," in mail.text
    assert mail.links[0].startswith("http://127.0.0.1:5000/login/reset/")
    assert mail.html is not None and path in mail.html

    form = client.get(path)
    assert form.status_code == 200
    assert "Choose a new password" in page_text(form)

    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == "/app/"
    assert "Your new password is set" in page_text(client.get("/app/"))

    client.post("/logout")
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 200
    )
    login(client, user, NEW_PASSWORD)


def test_reset_link_works_once(app, client):
    user = UserFactory()
    path = ask_for_link(client, app, user)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    client.post("/logout")

    again = client.get(path)

    assert again.status_code == 410
    assert "This link no longer works" in page_text(again)
    assert "/login/forgot" in page_text(again)
    posted = client.post(path, data={"password": "yet another password", "confirm": "x"})
    assert posted.status_code == 410


def test_unknown_email_gets_the_same_answer_and_no_mail(app, client):
    response = client.post("/login/forgot", data={"email": "nobody-here@example.org"})

    assert response.status_code == 200
    assert SENT in page_text(response)
    assert mail_to(app, "nobody-here@example.org") == []


def test_deactivated_user_gets_no_reset_mail(app, client):
    user = UserFactory(is_active=False)

    response = client.post("/login/forgot", data={"email": user.email})

    assert SENT in page_text(response)
    assert mail_to(app, user.email) == []


def test_asking_twice_at_once_sends_one_mail(app, client):
    user = UserFactory()

    client.post("/login/forgot", data={"email": user.email})
    client.post("/login/forgot", data={"email": user.email})

    assert len(mail_to(app, user.email)) == 1


def test_garbage_token_gets_a_friendly_page(client):
    response = client.get("/login/reset/not-a-token")

    assert response.status_code == 410
    assert "Send me a new link" in page_text(response)


def test_expired_token_gets_a_friendly_page(app, client):
    user = UserFactory()

    class ThreeHoursAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - 3 * 60 * 60

    serializer = URLSafeTimedSerializer(app.secret_key, salt=RESET_SALT, signer=ThreeHoursAgo)
    with app.test_request_context():
        token = serializer.dumps([user.id, password_fingerprint(user)])

    response = client.get(f"/login/reset/{token}")

    assert response.status_code == 410
    assert "This link no longer works" in page_text(response)


def test_an_invitation_token_is_no_reset_token(app, client):
    from panel.accounts.links import make_invite_token

    user = UserFactory()
    with app.test_request_context():
        token = make_invite_token(user)

    assert client.get(f"/login/reset/{token}").status_code == 410


def test_new_password_must_be_acceptable(app, client, db_session):
    user = UserFactory()
    path = ask_for_link(client, app, user)

    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 200
    assert "Use at least 10 characters." in page_text(short)

    mismatch = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})
    assert "The two passwords are not the same." in page_text(mismatch)

    db_session.expire_all()
    assert client.get(path).status_code == 200, "a refused attempt does not use the link up"
    login(client, db_session.get(User, user.id), PASSWORD)


def test_reset_ends_other_sessions(app, client):
    user = UserFactory()
    other_device = another_browser(app, user.email, PASSWORD)
    assert on_own_context(other_device, "GET", "/app/").status_code == 200

    path = ask_for_link(client, app, user)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert on_own_context(other_device, "GET", "/app/").status_code == 302
    assert on_own_context(client, "GET", "/app/").status_code == 200


def test_reset_link_of_another_organisations_account_while_logged_in(app, client):
    """Someone logged in to one organisation opens the reset link of their other account."""
    other_account = UserFactory()
    path = ask_for_link(client, app, other_account)
    login(client, UserFactory())

    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 303
    assert other_account.organisation.name in page_text(client.get("/app/"))
