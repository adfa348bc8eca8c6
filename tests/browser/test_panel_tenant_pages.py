"""The panels' tenant pages in Chromium on a 390 px phone, with CSRF on and no JavaScript of
ours: join with a mobile number, type the SMS code (read from the SMS outbox), land on one's
own page, leave. Every page fits the screen and has no axe violations."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from notifications.models import OutboundMessage
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_phone_layout import OVERFLOW
from tests.factories import OrganisationFactory, make_panel
from tests.fixtures.browser import artifact_path

pytestmark = pytest.mark.browser

CONSENT = (
    "Jag vill vara med i hyresgästpanelen och få korta frågor via e-post och sms, högst ett par "
    "gånger i månaden. Jag kan lämna när jag vill via länken i varje meddelande."
)


def _check(page, problems):
    page.wait_for_load_state("networkidle")
    name = "tenant/" + re.sub(r"\W+", "_", page.url.split("/", 3)[-1])[:60]
    page.screenshot(path=str(artifact_path(name)), full_page=True)
    problems += [f"{page.url}: {p}" for p in page.evaluate(OVERFLOW)]
    problems += [f"{page.url}: {v}" for v in axe_violations(page)]


def test_join_by_sms_code_then_leave_on_a_phone(live_server, phone_page):
    with live_server.app_context():
        organisation = OrganisationFactory(
            name="Bostadsstiftelsen Ängsbacken & Söner Fastighetsförvaltning AB"
        )
        panel = make_panel(
            organisation,
            name="Tillsammans – hyresgästpanelen för Norra Ängbyområdet",
            consent_text=CONSENT,
        )
    problems: list[str] = []
    page = phone_page
    page.goto(f"/join/{panel.slug}?lang=sv")
    assert page.locator("h1").inner_text() == panel.name
    _check(page, problems)

    page.fill("#name", "Ĳsbrand van der Meulen-Özdemir")
    page.fill("#phone", "070-123 45 67")
    page.click("button[type=submit]")  # no agreement ticked: the form says so
    assert "Kryssa i rutan" in page.content()
    _check(page, problems)
    page.check("#agree")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/code/" in page.url
    _check(page, problems)

    with live_server.app_context() as session:
        body = session.scalar(
            sa.select(OutboundMessage.body_text).where(OutboundMessage.recipient == "+46701234567")
        )
    code = re.search(r"\b(\d{6})\b", body).group(1)
    page.fill("#code", code)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/me/" in page.url
    assert "Välkommen till" in page.content()
    _check(page, problems)

    with page.expect_navigation():
        page.click(".me-panels button[type=submit]")
    assert "Du har lämnat" in page.content()
    _check(page, problems)

    page.goto("/me/" + "x" * 32)
    _check(page, problems)
    assert not problems, "\n".join(problems)
