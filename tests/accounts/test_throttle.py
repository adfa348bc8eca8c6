"""Login throttling: per address, per account for unknown browsers, per known device; and the
remember-me cookie.

An attacker spreading guesses over many addresses meets the account's limit; the account's
owner, in a browser that has logged in to it before, keeps an allowance of their own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from email.utils import parsedate_to_datetime

import pytest
import redis

from panel.accounts.throttle import DEVICE_COOKIE
from tests.accounts.helpers import link_in, mail_to, page_text
from tests.conftest import ROOT, redis_test_url
from tests.factories import PASSWORD, UserFactory, login

ACCOUNT_LIMITED = "Too many attempts to log in to this account"
NEW_PASSWORD = "a brand new password"


def attempt(client, email: str, password: str, address: str):
    """One login attempt from the client address ``address``."""
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def attack(app, email: str, addresses: int = 6, each: int = 9) -> list[int]:
    """Wrong passwords from several addresses, each staying under the per-address limit."""
    statuses = []
    for a in range(addresses):
        attacker = app.test_client()
        for n in range(each):
            response = attempt(attacker, email, f"guess {a}-{n}", f"198.51.100.{a + 1}")
            statuses.append(response.status_code)
    return statuses


def test_54_wrong_passwords_from_6_addresses_meet_the_account_limit(app, client):
    user = UserFactory()

    statuses = attack(app, user.email)

    assert statuses[:10] == [200] * 10
    assert set(statuses[10:]) == {429}
    response = attempt(app.test_client(), user.email, "one more", "198.51.100.99")
    assert response.status_code == 429
    assert ACCOUNT_LIMITED in page_text(response)
    assert "Forgot your password?" in page_text(response)


def test_the_owner_s_known_browser_still_logs_in_during_an_attack(app, client):
    user = UserFactory(name="Åsa Öberg")
    login(client, user)  # the owner's own browser, some day before the attack
    assert client.get_cookie(DEVICE_COOKIE, path="/login") is not None
    client.post("/logout")

    attack(app, user.email)
    new_browser = attempt(app.test_client(), user.email, PASSWORD, "203.0.113.5")
    known_browser = attempt(client, user.email, PASSWORD, "203.0.113.5")

    assert new_browser.status_code == 429  # held with the attacker while the attack lasts
    assert known_browser.status_code == 303
    overview = client.get("/app/", environ_base={"REMOTE_ADDR": "203.0.113.5"})
    assert "Åsa Öberg" in page_text(overview)


def test_a_known_browser_has_a_limit_of_its_own(app, client, monkeypatch):
    monkeypatch.setattr(app.config["STOOP"], "login_device_rate_limit", "3 per hour")
    user = UserFactory()
    login(client, user)
    client.post("/logout")

    statuses = [
        attempt(client, user.email, f"typo {n}", "203.0.113.7").status_code for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]
    # Its failures were its own: unknown browsers still have the account's whole allowance.
    assert attempt(app.test_client(), user.email, "x" * 12, "203.0.113.8").status_code == 200


def test_a_device_cookie_is_for_one_account_only(app, client):
    mine, theirs = UserFactory(), UserFactory()
    login(client, mine)
    client.post("/logout")

    attack(app, theirs.email, addresses=2, each=5)
    response = attempt(client, theirs.email, PASSWORD, "203.0.113.9")

    assert response.status_code == 429


def test_a_forged_device_cookie_counts_as_unknown(app, client):
    user = UserFactory()
    attack(app, user.email, addresses=2, each=5)
    client.set_cookie(DEVICE_COOKIE, "forged.cookie.value", path="/login")

    response = attempt(client, user.email, PASSWORD, "203.0.113.10")

    assert response.status_code == 429


def test_the_email_is_one_account_whatever_its_case_or_spaces(app, client):
    user = UserFactory()
    spellings = [user.email, user.email.upper(), f"  {user.email} ", user.email.title()]

    statuses = [
        attempt(app.test_client(), spellings[n % 4], "guess", f"198.51.100.{n}").status_code
        for n in range(12)
    ]

    assert statuses[10:] == [429, 429]


def test_a_password_reset_gives_a_new_browser_its_allowance(app, client):
    user = UserFactory()
    attack(app, user.email)

    # The owner, on a new phone, cannot log in during the attack, but can reset.
    assert attempt(client, user.email, PASSWORD, "203.0.113.11").status_code == 429
    client.post("/login/forgot", data={"email": user.email})
    path = link_in(mail_to(app, user.email)[0], "/login/reset/")
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    client.post("/logout")

    assert attempt(client, user.email, NEW_PASSWORD, "203.0.113.11").status_code == 303


def test_remember_me_cookie_is_same_site_and_lasts_a_month(client):
    user = UserFactory()

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "remember": "y"}
    )

    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if "remember_token=" in c]
    assert "SameSite=Lax" in cookie and "HttpOnly" in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    days = (expires - dt.datetime.now(dt.UTC)).days
    assert 29 <= days <= 30


def test_the_device_cookie_stays_on_the_login_form(client):
    user = UserFactory()

    response = login(client, user)

    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if f"{DEVICE_COOKIE}=" in c]
    assert "Path=/login" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert user.email not in cookie


# --- across web processes ------------------------------------------------------------------

OTHER_PROCESS = """
import json, sys
from panel.app import create_app
from tests.conftest import make_test_settings
from pathlib import Path
settings = make_test_settings(Path(sys.argv[1]), sys.argv[2], redis_url=sys.argv[3])
app = create_app(settings)
app.config["WTF_CSRF_ENABLED"] = False
statuses = []
for n in range(int(sys.argv[5])):
    response = app.test_client().post(
        "/login",
        data={"email": sys.argv[4], "password": f"elsewhere {n}"},
        environ_base={"REMOTE_ADDR": f"192.0.2.{n + 1}"},
    )
    statuses.append(response.status_code)
print(json.dumps(statuses))
"""


@pytest.fixture
def redis_limits(make_app):
    url = redis_test_url(13)  # not 14: touchpoint counting flushes that one
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).flushdb()
    except redis.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    yield url
    redis.Redis.from_url(url).flushdb()
    make_app(redis_url="memory://")  # Flask-Limiter is one per process: back to memory


def test_the_account_limit_holds_across_web_processes(
    make_app, redis_limits, database_factory, tmp_path
):
    database_url = database_factory()
    app = make_app(database_url=database_url, redis_url=redis_limits)
    app.config["WTF_CSRF_ENABLED"] = False
    with app.app_context():
        email = UserFactory().email

    # Another web process (a second gunicorn worker) takes 7 guesses...
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    other = subprocess.run(
        [
            sys.executable,
            "-c",
            OTHER_PROCESS,
            str(tmp_path),
            database_url,
            redis_limits,
            email,
            "7",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    assert json.loads(other.stdout.strip().splitlines()[-1]) == [200] * 7
    # ...and this one sees them: three more, then the account waits.
    statuses = [
        attempt(app.test_client(), email, f"here {n}", f"198.51.100.{n + 50}").status_code
        for n in range(4)
    ]

    assert statuses == [200, 200, 200, 429]
