"""Webhooks in Chromium: an admin goes from Settings to Webhooks, adds one pointing at a real
receiver (its signing secret shown once, with a copy button), and reads its delivery log after
the receiver answered 500 twice and then 200; switches it off and on. The pages pass axe and
fit a phone.

Screenshots go to ``test-artifacts/webhooks-*.png`` at 1280 and 390 px, to be looked at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from panel.core.scoping import scoped_to
from panel.webhooks import service, tasks
from tests.browser.staff_site import log_in
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_phone_layout import OVERFLOW
from tests.factories import OrganisationFactory, UserFactory
from tests.fixtures.browser import screenshot
from tests.webhooks.conftest import Receiver

pytestmark = pytest.mark.browser

LIVE_SERVER_SETTINGS = {"webhook_retry_base_seconds": 0.0}


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    found = Receiver().start()
    yield found
    found.stop()


@pytest.fixture(scope="module")
def place(live_server):
    with live_server.app_context():
        organisation = OrganisationFactory(name="Bostadsstiftelsen Ängsbacken i Norrköping")
        admin = UserFactory(organisation=organisation, admin=True, name="Greta Admin")
        return {"email": admin.email, "organisation_id": organisation.id}


def _answer_arrives(live_server, organisation_id: int) -> None:
    """An answer.created event, then the periodic job until it has nothing left to do."""
    with live_server.app_context() as session, scoped_to(session, organisation_id):
        service.emit(session, organisation_id, "answer.created", {"answer": {"id": 7}})
        session.commit()
    for _ in range(5):
        with live_server.app.app_context():
            if not tasks.deliver_due.run():
                break


def test_an_admin_adds_a_webhook_and_reads_its_delivery_log(
    live_server, place, receiver, page, phone_page, console_errors
):
    log_in(page, place["email"])
    page.goto("/app/settings")
    with page.expect_navigation():
        page.get_by_role("link", name="Manage webhooks").click()
    assert page.get_by_role("heading", name="No webhooks yet").is_visible()
    screenshot(page, "webhooks-empty-desktop")
    assert axe_violations(page) == []

    page.fill("#url", receiver.url)
    page.fill("#description", "Ärendesystemet – testmiljön")
    page.get_by_label("A tenant answered (answer.created)").check()
    page.get_by_label("A send has gone out (send.finished)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add the webhook").click()
    secret = page.locator("#new-secret").inner_text()
    assert re.fullmatch(r"whsec_[\w-]{43}", secret)
    expect(page.locator("button[data-copy='#new-secret']")).to_be_visible()
    screenshot(page, "webhooks-created-desktop")
    assert axe_violations(page) == []

    receiver.answer(500, 500, 200)
    _answer_arrives(live_server, place["organisation_id"])
    assert len(receiver.requests) == 3

    page.goto("/app/settings/webhooks")
    assert secret not in page.content()
    with page.expect_navigation():
        page.get_by_role("link", name=receiver.url).click()
    statuses = page.locator(".attempt-status").all_inner_texts()
    assert statuses == ["500", "500", "200"]
    assert page.get_by_text("Delivered", exact=True).is_visible()
    screenshot(page, "webhooks-log-desktop")
    assert axe_violations(page) == []

    with page.expect_navigation():
        page.get_by_role("button", name="Switch off").click()
    assert page.get_by_text("The webhook is off.").is_visible()
    assert page.get_by_role("button", name="Switch back on").is_visible()
    screenshot(page, "webhooks-off-desktop")
    with page.expect_navigation():
        page.get_by_role("button", name="Switch back on").click()
    assert page.get_by_text("The webhook is on.").is_visible()
    assert console_errors == []

    log_in(phone_page, place["email"])
    for path, name in (
        (page.url, "webhooks-log-phone"),
        ("/app/settings/webhooks", "webhooks-phone"),
    ):
        phone_page.goto(path)
        screenshot(phone_page, name)
        assert phone_page.evaluate(OVERFLOW) == [], path
