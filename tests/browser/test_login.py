"""Logging in and out in Chromium, through the real form with CSRF on."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD, OrganisationFactory, UserFactory

pytestmark = pytest.mark.browser


def log_in(page, email: str, password: str, base_url: str = "") -> None:
    """Fill in and send the login form as a person would."""
    page.goto(base_url + "/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(password)
    with page.expect_navigation():
        page.locator("form button[type=submit], form input[type=submit]").first.click()


def test_admin_logs_in_sees_dashboard_and_logs_out(live_server, page, console_errors):
    with live_server.app_context():
        organisation = OrganisationFactory(name="Hyresbolaget Norr")
        admin = UserFactory(organisation=organisation, admin=True, name="Greta Admin")
        email = admin.email

    log_in(page, email, PASSWORD)

    page.wait_for_url(re.compile(r"/app/?$"))
    assert page.get_by_text("Good to see you, Greta Admin").is_visible()
    assert page.get_by_text("Hyresbolaget Norr").first.is_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login"))
    assert page.get_by_text("You are logged out.").is_visible()
    page.goto("/app/")
    assert re.search(r"/login", page.url), "after logging out, the app must ask to log in again"
    assert console_errors == []


def test_wrong_password_says_so_and_stays_on_login(live_server, page):
    with live_server.app_context():
        user = UserFactory()
        email = user.email

    log_in(page, email, "not the password")

    assert re.search(r"/login", page.url)
    assert page.get_by_text("The e-mail address or password is not right").is_visible()
    assert not page.get_by_text("Good to see you").count()


def test_login_page_fits_a_phone(live_server, phone_page):
    phone_page.goto("/login")

    assert phone_page.locator("input[name=email]").is_visible()
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the login page is {width}px wide on a 390px phone"
