"""Panels in Chromium. The tenant pages on a 390 px phone, with CSRF on and no JavaScript of
ours: join with a mobile number, type the SMS code (read from the SMS outbox), land on one's
own page, leave; every page fits the screen and has no axe violations. And the staff's segment
form, whose count follows the criteria as they change."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

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


def test_the_segment_form_counts_members_as_criteria_change(live_server, page):
    from panel.core.scoping import scoped_to
    from panel.panels.service import add_members
    from panel.places.service import ensure_path
    from tests.browser.staff_site import log_in
    from tests.factories import ContactFactory, UserFactory

    with live_server.app_context() as session:
        organisation = OrganisationFactory(name="Bostäder Väst")
        admin = UserFactory(organisation=organisation, admin=True)
        with scoped_to(session, organisation.id):
            stairwell, _ = ensure_path(session, ["Sjöstaden", "Sickla kaj 5", "Trapphus B"])
            session.commit()
        ids = [
            ContactFactory(
                organisation=organisation,
                name=f"Åke Ström {i}",
                place_id=stairwell.id if i < 3 else None,
                age_band="80+" if i % 2 else "30-44",
            ).id
            for i in range(6)
        ]
        panel = make_panel(organisation)
        with scoped_to(session, organisation.id):
            add_members(session, panel, ids, source="contacts")
            session.commit()
    log_in(page, admin.email)
    page.goto(f"/app/panels/{panel.id}/segments")
    count = page.locator("[data-segment-count]")
    assert count.inner_text() == "6 members match"
    page.check("input[value='80+']")
    expect(count).to_have_text("3 members match")
    page.select_option("#segment-place", label="Sjöstaden")
    expect(count).to_have_text("1 member matches")
