"""An erasure in Chromium: the tenant asks on their phone from their own page (a confirmation
first), an admin sees the request on the contact's page and in the list, confirms, and the
contact is gone. The pages pass axe and fit a phone.

Screenshots go to ``test-artifacts/erasure-*.png`` at 1280 and 390 px, to be looked at.
"""

from __future__ import annotations

import secrets

import pytest

from panel.contacts.models import Contact
from panel.core.scoping import scoped_to
from panel.panels.models import MemberSource, MemberStatus, PanelMember
from tests.browser.staff_site import log_in
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_phone_layout import OVERFLOW
from tests.factories import OrganisationFactory, UserFactory, make_panel
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def tenant(live_server):
    with live_server.app_context() as session:
        organisation = OrganisationFactory(
            name="Bostadsstiftelsen Ängsbacken i Norrköping", default_language="en"
        )
        admin = UserFactory(organisation=organisation, admin=True, name="Kim Holm")
        panel = make_panel(organisation, name="Tyck till om Ängsbacken")
        with scoped_to(session, organisation.id):
            contact = Contact(
                organisation_id=organisation.id,
                name="Żaneta Øyvindsdóttir-Şahin",
                email="zaneta.oyvindsdottir@example.se",
                language="en",
            )
            session.add(contact)
            session.flush()
            token = secrets.token_urlsafe(32)
            session.add(
                PanelMember(
                    organisation_id=organisation.id,
                    panel_id=panel.id,
                    contact_id=contact.id,
                    status=MemberStatus.ACTIVE,
                    source=MemberSource.CONTACTS,
                    me_token=token,
                )
            )
            session.commit()
            return {"admin": admin.email, "token": token, "contact": contact.id}


def test_a_tenant_asks_and_an_admin_confirms(live_server, tenant, page, phone_page, console_errors):
    phone_page.goto(f"/me/{tenant['token']}")
    phone_page.get_by_text("Erase everything about me", exact=True).last.click()
    assert phone_page.get_by_text("This cannot be undone.", exact=False).is_visible()
    screenshot(phone_page, "erasure-me-confirm-390")
    assert phone_page.evaluate(OVERFLOW) == []
    assert axe_violations(phone_page) == []
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="Yes, erase everything about me").click()
    assert phone_page.get_by_text("An admin will confirm it within 30 days").is_visible()
    screenshot(phone_page, "erasure-me-asked-390")

    log_in(page, tenant["admin"])
    page.goto(f"/app/contacts/{tenant['contact']}")
    assert page.locator(".contact-erasure").get_by_text("asked on").is_visible()
    screenshot(page, "erasure-contact-1280")
    page.goto("/app/privacy/erasures")
    screenshot(page, "erasure-list-1280")
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.locator(".erase-request summary").click()
    screenshot(page, "erasure-list-390")
    assert page.evaluate(OVERFLOW) == []
    page.goto(f"/app/contacts/{tenant['contact']}/erase")
    screenshot(page, "erasure-confirm-390")
    assert page.evaluate(OVERFLOW) == []
    assert axe_violations(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})
    screenshot(page, "erasure-confirm-1280")
    page.goto("/app/privacy/erasures")
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm and erase").click()
    assert page.get_by_text("No requests are waiting.").is_visible()
    assert page.locator("table").get_by_text("Erased").is_visible()
    screenshot(page, "erasure-done-1280")
    assert page.request.get(f"/app/contacts/{tenant['contact']}").status == 404
    assert console_errors == []
