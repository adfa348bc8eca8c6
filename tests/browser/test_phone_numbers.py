"""Phone numbers and phone touchpoints in Chromium: an admin adds the organisation's number on the
settings page (the Twilio addresses with copy buttons), makes a phone touchpoint on it from the
list of numbers (the form shows the number field only for that kind), sees its page with the
number to call, and is told why the number cannot be removed; both pages fit a phone and axe
finds nothing wrong.

Screenshots go to ``test-artifacts/phone-numbers-*.png`` and ``phone-touchpoint-*.png``, at
1280 and 390 px, to be looked at.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from notifications.senders import add_sender_number
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from tests.browser.staff_site import log_in
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_phone_layout import OVERFLOW
from tests.factories import OrganisationFactory, UserFactory
from tests.fixtures.browser import artifact_path, screenshot
from tests.questions.conftest import make_question
from touchpoints.phone import create_voice_touchpoint

pytestmark = pytest.mark.browser

SHOWN = "+46 8 123 456 70"


@pytest.fixture(scope="module")
def place(live_server):
    """An organisation with its admin and a live question, and no phone number yet."""
    with live_server.app_context():
        organisation = OrganisationFactory(name="Bostadsstiftelsen Ängsbacken i Norrköping")
        admin = UserFactory(organisation=organisation, admin=True, name="Greta Admin")
        question = make_question(
            admin,
            title="Hur trivs du i ditt trapphus?",
            status=QuestionStatus.LIVE,
            published_at=utcnow(),
            answer_modes=["score", "audio"],
        )
        return {"email": admin.email, "question": question.id}


def test_an_admin_adds_a_number_and_makes_a_phone_touchpoint_on_it(
    live_server, place, page, console_errors
):
    log_in(page, place["email"])
    page.goto("/app/settings#phone-numbers")
    section = page.locator("#phone-numbers")
    assert section.get_by_text("No numbers yet").is_visible()
    for hook in ("sms", "voice"):
        assert (
            page.locator(f"#hook-{hook}").inner_text() == f"{live_server.url}/hooks/twilio/{hook}"
        )
        expect(page.locator(f"button[data-copy='#hook-{hook}']")).to_be_visible()

    page.fill("#phone_number", "08-123 456 70")
    assert page.is_checked("#sms") and page.is_checked("#voice")
    with page.expect_navigation():
        section.get_by_role("button", name="Add the number").click()

    assert page.get_by_text(f"Added {SHOWN}.").is_visible()
    row = section.locator("tbody tr")
    assert row.locator(".phone-number").inner_text() == SHOWN
    assert row.get_by_text("No touchpoint yet").is_visible()
    screenshot(page, "phone-numbers-settings-desktop")
    section.screenshot(path=str(artifact_path("phone-numbers-section-desktop")))
    assert axe_violations(page) == []

    with page.expect_navigation():
        row.get_by_role("link", name="Make a phone touchpoint").click()
    number_field = page.locator("#phone_number")
    assert page.input_value("#kind") == "voice" and number_field.is_visible()
    assert number_field.input_value() == "+46812345670"
    page.select_option("#kind", "qr")
    assert not number_field.is_visible()  # only a phone touchpoint has a number
    page.select_option("#kind", "voice")
    assert number_field.is_visible()
    screenshot(page, "phone-touchpoint-form-desktop")
    assert axe_violations(page) == []
    page.fill("#name", "Telefonlinjen")
    page.select_option("#question-0", str(place["question"]))
    page.fill("#starts_on-0", "2026-01-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Save", exact=True).click()

    assert page.get_by_role("heading", name="Telefonlinjen").is_visible()
    call = page.get_by_role("link", name=SHOWN)
    assert call.get_attribute("href") == "tel:+46812345670"
    assert page.get_by_text("No calls yet.").is_visible()
    assert page.get_by_text("Open as a tenant").count() == 0
    screenshot(page, "phone-touchpoint-desktop")
    assert axe_violations(page) == []

    # The number answers calls now: it is not removed, and the page says why.
    page.goto("/app/settings#phone-numbers")
    assert section.get_by_role("link", name="Telefonlinjen").is_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        section.get_by_role("button", name=f"Remove {SHOWN}").click()
    assert page.get_by_text(
        f"{SHOWN} answers calls for the touchpoint “Telefonlinjen”."
    ).is_visible()
    assert section.locator("tbody tr").count() == 1
    section.screenshot(path=str(artifact_path("phone-numbers-section-refused-desktop")))
    # The refusal's own status is the only error the console saw.
    assert [e for e in console_errors if "409 (CONFLICT)" not in e] == []


@pytest.fixture(scope="module")
def phone_line(live_server):
    """Another organisation with a long name, two numbers and a phone touchpoint on one."""
    with live_server.app_context() as session:
        organisation = OrganisationFactory(
            name="Bostadsstiftelsen Ängsbacken & Söner Fastighetsförvaltning AB"
        )
        admin = UserFactory(organisation=organisation, admin=True)
        question = make_question(admin, status=QuestionStatus.LIVE, published_at=utcnow())
        add_sender_number(session, organisation.id, "+46812345679", voice=True)
        add_sender_number(session, organisation.id, "+46701740609", voice=False)
        with scoped_to(session, organisation.id):
            line = create_voice_touchpoint(
                session,
                {"name": "Telefonlinjen för Ängsbacksvägen 112 B (dygnet runt, på svenska)"},
                "+46812345679",
                [(question.id, utcnow().date())],
            )
            session.commit()
        return {"email": admin.email, "touchpoint": line.id}


def test_both_pages_fit_a_phone(live_server, phone_line, phone_page):
    log_in(phone_page, phone_line["email"])
    voice_page = f"/app/touchpoints/{phone_line['touchpoint']}"
    phone_page.goto(voice_page)
    assert phone_page.get_by_role("link", name="+46 8 123 456 79").is_visible()
    problems = [f"{voice_page}: {p}" for p in phone_page.evaluate(OVERFLOW)]
    screenshot(phone_page, "phone-touchpoint-phone")
    assert axe_violations(phone_page) == []

    phone_page.goto("/app/settings#phone-numbers")
    problems += [f"/app/settings: {p}" for p in phone_page.evaluate(OVERFLOW)]
    section = phone_page.locator("#phone-numbers")
    section.screenshot(path=str(artifact_path("phone-numbers-section-phone")))
    assert axe_violations(phone_page) == []
    assert not problems, "\n".join(problems)
