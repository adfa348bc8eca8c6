"""Guessable passwords, the idle timeout, and two-factor sign-in (without a browser)."""

from __future__ import annotations

import time

import pyotp
import pytest

from panel.accounts.passwords import password_problem
from panel.accounts.two_factor import PENDING, matching_step
from tests.accounts.helpers import page_text
from tests.factories import PASSWORD, UserFactory, login

SEEN = "seen"


@pytest.mark.parametrize(
    ("password", "words"),
    [
        ("password1234", ()),
        ("qwertyuiop123", ()),
        ("1q2w3e4r5t6y", ()),
        ("P@ssw0rd1234", ()),
        ("GretaGarbo1905", ("Greta Garbo", "greta@bostad.se")),
        ("bostadsbolaget1", ("Bostadsbolaget",)),
    ],
)
def test_common_and_pattern_passwords_are_refused(password, words):
    problem = password_problem(password, words)
    assert problem is not None
    assert "Add a few more words" in str(problem)


def test_a_few_unrelated_words_pass():
    assert password_problem("correct horse battery", ("Greta", "greta@bostad.se")) is None


def test_change_password_refuses_a_guessable_one_and_says_what_to_do(client):
    user = UserFactory(name="Greta Garbo")
    login(client, user)
    response = client.post(
        "/app/profile/password",
        data={"current_password": PASSWORD, "password": "gretagarbo12", "confirm": "gretagarbo12"},
    )
    assert response.status_code == 422
    assert "avoid your name and the organisation" in page_text(response)


def test_an_idle_session_is_signed_out_with_a_message(client):
    login(client, UserFactory())
    assert client.get("/app/profile").status_code == 200
    with client.session_transaction() as session:
        session[SEEN] = int(time.time()) - 61 * 60

    response = client.get("/app/profile")

    assert response.status_code == 303
    assert response.headers["Location"].startswith("/login?next=/app/profile")
    page = client.get(response.headers["Location"])
    assert "You were signed out after 60 minutes without activity" in page_text(page)
    assert client.get("/app/profile").status_code == 302  # logged out


def test_activity_keeps_the_session_and_is_written_at_most_once_a_minute(client):
    login(client, UserFactory())
    with client.session_transaction() as session:
        session[SEEN] = recent = int(time.time()) - 30
    assert client.get("/app/profile").status_code == 200
    with client.session_transaction() as session:
        assert session[SEEN] == recent  # not rewritten within the minute
        session[SEEN] = int(time.time()) - 59 * 60
    assert client.get("/app/profile").status_code == 200
    with client.session_transaction() as session:
        assert session[SEEN] >= int(time.time()) - 5


def test_keep_me_logged_in_is_not_timed_out(client):
    user = UserFactory()
    client.post("/login", data={"email": user.email, "password": PASSWORD, "remember": "y"})
    with client.session_transaction() as session:
        session[SEEN] = int(time.time()) - 24 * 60 * 60
    assert client.get("/app/profile").status_code == 200


def test_a_code_works_once_and_within_one_step():
    secret = pyotp.random_base32()
    now = 1_800_000_000.0
    code = pyotp.TOTP(secret).at(now)
    step = matching_step(secret, code, None, now=now)
    assert step == int(now // 30)
    assert matching_step(secret, code, step, now=now) is None  # never the same step twice
    assert matching_step(secret, code, None, now=now + 30) == step  # one step late is fine
    assert matching_step(secret, code, None, now=now + 90) is None
    assert matching_step(secret, "12345", None, now=now) is None


def _turn_on(client, db_session, user):
    page = client.get("/app/profile/two-factor")
    assert page.status_code == 200 and "<svg" in page_text(page)
    db_session.refresh(user)
    code = pyotp.TOTP(user.totp_secret).now()
    assert user.totp_secret in page_text(page)
    response = client.post("/app/profile/two-factor", data={"code": code})
    assert response.status_code == 303
    db_session.refresh(user)
    assert user.totp_enabled_at is not None


def test_login_with_two_factor_needs_the_code(client, db_session):
    user = UserFactory()
    login(client, user)
    _turn_on(client, db_session, user)
    client.post("/logout")

    after_password = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert after_password.headers["Location"] == "/login/code"
    assert client.get("/app/profile").status_code == 302  # not logged in yet
    wrong = client.post("/login/code", data={"code": "000000"})
    assert wrong.status_code == 200 and "That code is not right" in page_text(wrong)

    # The step of the code that turned it on is used up: the next step's code (a person would
    # wait for it; one step ahead is accepted for clocks that drift).
    right = client.post(
        "/login/code", data={"code": pyotp.TOTP(user.totp_secret).at(time.time() + 30)}
    )
    assert right.status_code == 303
    assert client.get("/app/profile").status_code == 200
    with client.session_transaction() as session:
        assert PENDING not in session


def test_the_code_page_without_a_password_goes_back_to_login(client):
    response = client.get("/login/code")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"


def test_an_organisation_can_require_two_factor(client, db_session, admin, organisation):
    login(client, admin)
    client.post("/app/team/two-factor", data={"require": "y"})
    db_session.refresh(organisation)
    assert organisation.setting("require_two_factor") is True

    staff = UserFactory(organisation=organisation)
    client.post("/logout")
    login(client, staff)
    response = client.get("/app/")
    assert response.status_code == 303
    assert response.headers["Location"] == "/app/profile/two-factor"
    page = page_text(client.get("/app/profile/two-factor"))
    assert "Your organisation requires two-factor sign-in" in page
    _turn_on(client, db_session, staff)
    assert client.get("/app/profile").status_code == 200


def test_wrong_codes_are_limited_per_account_whichever_address_sends_them(app, db_session):
    user = UserFactory()
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = user.created_at
    db_session.commit()
    statuses = []
    for address in ("198.51.100.7", "198.51.100.8"):
        browser = app.test_client()
        env = {"REMOTE_ADDR": address}
        browser.post("/login", data={"email": user.email, "password": PASSWORD}, environ_base=env)
        for _ in range(6):
            response = browser.post("/login/code", data={"code": "000000"}, environ_base=env)
            statuses.append(response.status_code)
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]
    assert "Too many wrong codes for this account" in page_text(response)


def test_two_factor_is_turned_off_with_a_current_code(client, db_session):
    user = UserFactory()
    login(client, user)
    _turn_on(client, db_session, user)
    wrong = client.post("/app/profile/two-factor/off", data={"code": "000000"})
    assert wrong.status_code == 422
    code = pyotp.TOTP(user.totp_secret).at(time.time() + 30)
    assert client.post("/app/profile/two-factor/off", data={"code": code}).status_code == 303
    db_session.refresh(user)
    assert (user.totp_secret, user.totp_enabled_at) == (None, None)


def test_an_admin_resets_a_colleagues_two_factor_but_not_elsewhere(client, db_session, admin):
    colleague = UserFactory(organisation=admin.organisation)
    stranger = UserFactory()
    for user in (colleague, stranger):
        user.totp_secret, user.totp_enabled_at = pyotp.random_base32(), user.created_at
    db_session.commit()
    login(client, admin)
    assert "Reset two-factor" in page_text(client.get("/app/team"))
    assert client.post(f"/app/team/{stranger.id}/two-factor/reset").status_code == 404
    assert client.post(f"/app/team/{colleague.id}/two-factor/reset").status_code == 303
    db_session.refresh(colleague)
    db_session.refresh(stranger)
    assert colleague.totp_enabled_at is None and stranger.totp_enabled_at is not None
