"""Security in Chromium: the CSP stops an inline script on a staff page (and Chromium says so in
its console), and two-factor sign-in works with a code the test computes from the secret shown."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask import Blueprint, render_template_string
from flask_login import login_required

from tests.browser.test_login import log_in
from tests.factories import PASSWORD, OrganisationFactory, UserFactory

pytestmark = pytest.mark.browser

# A test-only staff page: the layout of every staff page, with an inline script injected.
INJECTED = Blueprint("test_only_injected", __name__)
PAGE = """{% extends "base.html" %}
{% block title %}Injected{% endblock %}
{% block content %}<h1 id="injected">An injected script</h1>
<script>window.inlineScriptRan = true;
document.getElementById("injected").textContent = "ran";</script>
{% endblock %}"""


@INJECTED.get("/app/test-only/inline-script")
@login_required
def inline_script() -> str:
    return render_template_string(PAGE)


@pytest.fixture(scope="module")
def live_server(database_factory: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The live app with the test-only page registered before it serves."""
    from panel.app import create_app
    from tests.conftest import free_port, make_test_settings
    from tests.fixtures.browser import serve

    port = free_port()
    settings = make_test_settings(
        tmp_path_factory.mktemp("security"), database_factory(), base_url=f"http://127.0.0.1:{port}"
    )
    app = create_app(settings)
    app.register_blueprint(INJECTED)
    yield from serve(app, port)


def test_an_inline_script_on_a_staff_page_is_refused_by_the_csp(live_server, page, console_errors):
    with live_server.app_context():
        email = UserFactory(organisation=OrganisationFactory()).email
    log_in(page, email, PASSWORD)

    page.goto("/app/test-only/inline-script")

    assert page.locator("#injected").text_content() == "An injected script"
    assert page.evaluate("window.inlineScriptRan === undefined")
    violations = [e for e in console_errors if "Content Security Policy" in e]
    assert violations, console_errors
    # Chromium 156 words it "Executing inline script violates the following Content Security
    # Policy directive 'script-src 'self''. ... The action has been blocked."
    assert "inline script" in violations[0] and "script-src 'self'" in violations[0]


def test_two_factor_sign_in_with_a_computed_code(live_server, page):
    with live_server.app_context():
        email = UserFactory(organisation=OrganisationFactory(), name="Greta Garbo").email
    log_in(page, email, PASSWORD)

    page.goto("/app/profile")
    page.get_by_role("link", name="Two-factor", exact=True).click()
    assert page.locator(".two-factor-qr svg").is_visible()
    secret = page.locator("#two-factor-secret").text_content().strip()
    totp = pyotp.TOTP(secret)
    page.get_by_label("6-digit code").fill(totp.now())
    with page.expect_navigation():
        page.get_by_role("button", name="Turn two-factor on").click()
    assert page.get_by_text("Two-factor sign-in is on").first.is_visible()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login"))
    log_in(page, email, PASSWORD)
    page.wait_for_url(re.compile(r"/login/code$"))
    assert page.get_by_role("heading", name="Two-factor sign-in").is_visible()

    page.get_by_label("6-digit code").fill("123456" if totp.now() != "123456" else "654321")
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    assert "That code is not right" in page.locator("#code-error").text_content()
    assert re.search(r"/login/code$", page.url)

    # The step that turned it on is used up; the next step's code is accepted (±1 step).
    page.get_by_label("6-digit code").fill(totp.at(time.time() + 30))
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r"/app/?$"))
    assert page.get_by_role("button", name="Log out").is_visible()
