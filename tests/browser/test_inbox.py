"""The inbox in Chromium: a staff member logs in and sees the unread count in the menu, filters
by status and channel, searches, opens the next page; on a 390 px phone the filters fold into a
<details> and nothing is wider than the screen. Screenshots of each step go to test-artifacts/.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import pytest
from playwright.sync_api import expect

from panel.answers.models import Answer
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.places.service import ensure_path
from panel.threads import service
from panel.threads.models import Thread
from tests.browser.staff_site import log_in
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_phone_layout import OVERFLOW
from tests.factories import OrganisationFactory, UserFactory
from tests.fixtures.browser import screenshot
from tests.questions.conftest import make_question

pytestmark = pytest.mark.browser

ANSWERS = [
    ("sms", "open", "Hissen har stått still i två veckor och ingen har hört av sig.", None),
    ("email", "replied", "Tvättstugan är alltid full på söndagar, kan vi få fler tider?", 6),
    ("web", "open", None, 9),
    ("qr", "closed", "Lampan i trapphuset blinkar, det är mörkt på kvällarna.", 4),
    ("voice", "open", None, None),
    ("sms", "open", "Tack för att ni lagade porten så snabbt! 👍", 10),
    ("embed", "replied", "Det luktar rök i trapphuset varje kväll, det är obehagligt.", 3),
]


def _seed(server: Any) -> dict[str, Any]:
    """An organisation with a staff member who owns threads of every kind, some read."""
    with server.app_context() as session:
        org = OrganisationFactory(
            name="Bostadsstiftelsen Ängsbacken & Söner Fastighetsförvaltning AB",
            settings={"reply_overdue_days": 2},
        )
        staff = UserFactory(organisation=org, name="Åsa Öberg-Lindqvist", team="Område Norr")
        colleague = UserFactory(organisation=org, name="Ĳsbrand van der Meulen", team="Område Norr")
        question = make_question(
            staff, title="Hur trivs du i trapphuset på Ängsbacksvägen 3? Berätta gärna mer"
        )
        with scoped_to(session, org.id):
            stairwell, _ = ensure_path(
                session, ["Ängsbacken", "Ängsbacksvägen 3", "Trappuppgång B"]
            )
            now = utcnow()
            made = []
            for n, (channel, status, text, score) in enumerate(ANSWERS * 10):
                when = now - dt.timedelta(hours=5 * n + 1, minutes=n)
                answer = Answer(
                    organisation_id=org.id,
                    question_id=question.id,
                    channel=channel,
                    language="sv",
                    text=text,
                    score=score,
                    clip_kind="video" if channel == "voice" else None,
                    place_id=stairwell.id,
                    consent_identity=n % 3 == 0,
                    respondent_name="Zeynep Yılmaz",
                    me_token=secrets.token_urlsafe(24),
                    created_at=when,
                )
                session.add(answer)
                session.flush()
                thread = Thread(
                    organisation_id=org.id,
                    answer_id=answer.id,
                    owner_id=colleague.id if n % 5 == 4 else staff.id,
                    status=status,
                    token=service.new_token(),
                    question_id=question.id,
                    place_id=stairwell.id,
                    channel=channel,
                    has_video=channel == "voice",
                    created_at=when,
                    last_activity_at=when,
                    waiting_since=when if status == "open" else None,
                    search_text=text or "",
                )
                session.add(thread)
                session.flush()
                service.reindex(session, [thread])
                made.append(thread)
            for thread in made[3:]:
                service.mark_read(session, thread, staff)  # the three newest are unread
            session.commit()
        return {"email": staff.email, "org": org.name}


@pytest.fixture(scope="module")
def site(live_server):
    return _seed(live_server)


def _fits(page: Any) -> None:
    assert page.evaluate(OVERFLOW) == []


def test_the_inbox_with_its_unread_count_filters_search_and_pages(live_server, site, page):
    log_in(page, site["email"])

    badge = page.locator(".mainnav a[href='/app/inbox'] .nav-badge")
    expect(badge).to_have_text("3")
    page.click(".mainnav a[href='/app/inbox']")
    expect(page.locator("h1")).to_have_text("Inbox")
    expect(page.locator(".inbox-row.is-unread")).to_have_count(3)
    expect(page.locator("details.inbox-filters")).to_have_attribute("open", "")  # wide screen
    screenshot(page, "inbox/desktop-first-page")
    assert axe_violations(page) == []

    page.select_option("#inbox-status", "open")
    page.select_option("#inbox-channel", "sms")
    with page.expect_navigation():
        page.click("details.inbox-filters button[type=submit]")
    rows = page.locator(".inbox-row")
    assert rows.count() > 0
    for text in rows.all_inner_texts():
        assert "Open" in text and "SMS" in text
    expect(page.locator("details.inbox-filters summary .count")).to_have_text("2")
    screenshot(page, "inbox/desktop-filtered")

    page.fill("#inbox-q", "tvättstugan")
    with page.expect_navigation():
        page.press("#inbox-q", "Enter")
    # The search keeps the filters: no open SMS thread speaks of the laundry.
    expect(page.locator("h2")).to_have_text("No conversations match")
    page.click("text=Clear filters")
    page.fill("#inbox-q", "tvättstugan")
    with page.expect_navigation():
        page.press("#inbox-q", "Enter")
    expect(page.locator(".inbox-row")).to_have_count(8)
    expect(page.locator(".inbox-excerpt").first).to_contain_text("Tvättstugan")
    screenshot(page, "inbox/desktop-search")

    page.goto("/app/inbox")
    with page.expect_navigation():
        page.click("text=Older")
    expect(page.locator(".inbox-row")).not_to_have_count(0)
    expect(page.locator(".pagination a", has_text="Newest")).to_be_visible()


def test_the_inbox_on_a_phone(live_server, site, phone_page):
    page = phone_page
    log_in(page, site["email"])
    page.goto("/app/inbox")

    filters = page.locator("details.inbox-filters")
    expect(filters).not_to_have_attribute("open", "")  # folded: the conversations come first
    expect(page.locator(".inbox-row").first).to_be_in_viewport()
    _fits(page)
    screenshot(page, "inbox/phone-first-page", full_page=False)

    page.click("details.inbox-filters > summary")
    expect(page.locator("#inbox-status")).to_be_visible()
    _fits(page)
    screenshot(page, "inbox/phone-filters-open", full_page=False)
    page.select_option("#inbox-status", "open")
    page.check("input[name=overdue]")
    with page.expect_navigation():
        page.click("details.inbox-filters button[type=submit]")
    expect(page.locator(".pill-overdue").first).to_be_visible()
    _fits(page)
    screenshot(page, "inbox/phone-overdue", full_page=False)
    assert axe_violations(page) == []

    page.click("summary:has-text('Menu')")
    expect(page.locator(".navmenu-panel a[href='/app/inbox'] .nav-badge")).to_have_text("3")
    screenshot(page, "inbox/phone-menu", full_page=False)
