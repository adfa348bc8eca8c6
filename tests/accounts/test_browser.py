"""The account pages in Chromium, with CSRF on: invite a colleague, accept, tokens."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.helpers import mail_to
from tests.factories import PASSWORD, OrganisationFactory, UserFactory

pytestmark = pytest.mark.browser


def log_in(page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/app/?$"))


def test_admin_invites_a_colleague_who_accepts(live_server, page, browser):
    with live_server.app_context():
        admin = UserFactory(organisation=OrganisationFactory(name="Bostäder Syd"), admin=True)
        admin_email = admin.email

    log_in(page, admin_email, PASSWORD)
    page.get_by_role("link", name="Team").click()
    page.get_by_label("E-mail").fill("ny.kollega@example.org")
    page.get_by_label("Name").fill("Ny Kollega")
    page.get_by_label("Role").select_option("communicator")
    page.get_by_role("button", name="Send invitation").click()
    assert page.get_by_text("Invitation sent to ny.kollega@example.org").is_visible()
    assert page.get_by_text("Invited", exact=True).is_visible()

    [mail] = mail_to(live_server.app, "ny.kollega@example.org")
    link = next(link for link in mail.links if "/invite/" in link)
    assert link.startswith(live_server.url)

    colleague = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone = colleague.new_page()
        phone.goto(link)
        assert phone.get_by_role("heading", name="Join Bostäder Syd on Stoop").is_visible()
        phone.get_by_label("New password", exact=True).fill("a long new password")
        phone.get_by_label("Repeat the new password").fill("a long new password")
        phone.get_by_role("button", name="Join and log in").click()
        phone.wait_for_url(re.compile(r"/app/?$"))
        # The new colleague's app speaks the organisation's language (Swedish).
        assert phone.get_by_text("Välkommen till Stoop, Ny Kollega").is_visible()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, "the page must fit a phone"
    finally:
        colleague.close()


def test_create_copy_and_revoke_a_token(live_server, page):
    with live_server.app_context():
        user = UserFactory()
        email = user.email

    log_in(page, email, PASSWORD)
    page.goto("/app/profile")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("Hyressystem")
    page.get_by_role("button", name="Create token").click()

    secret = page.locator("code.secret").inner_text()
    assert secret.startswith("stp_")
    expect(page.get_by_role("button", name="Copy")).to_be_visible()  # shown by copy.js

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke Hyressystem").click()
    assert page.get_by_text("is revoked").is_visible()
    assert page.locator("code.secret").count() == 0
    assert page.get_by_text("Revoked", exact=True).is_visible()
