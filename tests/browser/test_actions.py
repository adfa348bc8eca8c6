"""Action plans in Chromium: a communicator opens the new-action form from a report's link for
a stairwell below target (prefilled), saves it, finds it in the area office's list, and the
person responsible ticks it done. The pages pass axe and fit a phone.

Screenshots go to ``test-artifacts/actions-*.png`` at 1280 and 390 px, to be looked at.
"""

from __future__ import annotations

import datetime as dt

import pytest

from panel.core.scoping import scoped_to
from panel.places.service import ensure_path
from panel.reports.models import Report
from tests.browser.staff_site import log_in
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_phone_layout import OVERFLOW
from tests.factories import OrganisationFactory, UserFactory
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def plan(live_server):
    with live_server.app_context() as session:
        organisation = OrganisationFactory(name="Bostadsstiftelsen Ängsbacken i Norrköping")
        kim = UserFactory(organisation=organisation, communicator=True, name="Kim Holm")
        anna = UserFactory(organisation=organisation, name="Anna Berg-Özdemir")
        with scoped_to(session, organisation.id):
            stairwell, _ = ensure_path(session, ["Norra Ängby", "Björkvägen 3", "Trapphus B"])
            report = Report(organisation_id=organisation.id, title="Trygghet hösten 2026")
            session.add(report)
            session.commit()
            return {
                "kim": kim.email,
                "anna": anna.email,
                "anna_id": anna.id,
                "stairwell": stairwell.id,
                "area": stairwell.area_id,
                "report": report.id,
            }


def test_a_plan_from_a_report_to_done(live_server, plan, page, phone_page, console_errors):
    log_in(page, plan["kim"])
    page.goto(f"/app/actions/?place={plan['area']}")
    screenshot(page, "actions-empty-1280")
    page.goto(f"/app/actions/new?report={plan['report']}&place={plan['stairwell']}")
    assert page.locator("#place_id").input_value() == str(plan["stairwell"])
    assert page.locator("#report_id").input_value() == str(plan["report"])
    page.fill("#title", "Byta belysning i trapphuset Björkvägen 3B")
    page.fill("#description", "Flera svar nämner att det är mörkt på kvällarna.")
    page.select_option("#responsible_id", str(plan["anna_id"]))
    page.fill("#due_on", (dt.date.today() + dt.timedelta(days=5)).isoformat())
    screenshot(page, "actions-form-1280")
    assert axe_violations(page) == []
    page.click("main button[type=submit]")
    page.wait_for_url("**/app/actions/*")
    item_url = page.url
    page.fill("#body", "Elektrikern kommer på tisdag.")
    page.click("main >> text=Add comment")
    page.goto(f"/app/actions/?place={plan['area']}")
    assert page.locator(".actions-table").get_by_text("Björkvägen 3B").is_visible()
    screenshot(page, "actions-list-1280")
    assert axe_violations(page) == []

    log_in(phone_page, plan["anna"])
    phone_page.goto("/app/actions/?mine=1")
    screenshot(phone_page, "actions-list-390")
    assert phone_page.evaluate(OVERFLOW) == []
    phone_page.goto(item_url)
    phone_page.get_by_role("button", name="Done").click()
    phone_page.wait_for_load_state("networkidle")
    assert phone_page.locator(".action-status-done").first.is_visible()
    screenshot(phone_page, "actions-item-390")
    assert phone_page.evaluate(OVERFLOW) == []
    assert axe_violations(phone_page) == []
    page.goto(item_url)
    screenshot(page, "actions-item-1280")
    assert phone_page.goto("/app/actions/new").status == 403  # Anna only moves hers along
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/app/actions/new?place={plan['stairwell']}")
    assert page.evaluate(OVERFLOW) == []
    screenshot(page, "actions-form-390")
    assert console_errors == []
