"""The highlight reel plays in Chromium: the title card, then clip 1 from its in point with its
captions, and when clip 1 reaches its out point, clip 2 starts; a clip whose consent was
revoked never plays. Screenshots at 1280 and 390 px go to test-artifacts/."""

from __future__ import annotations

import pytest

from media.storage import current_storage
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_login import log_in
from tests.factories import PASSWORD, OrganisationFactory, UserFactory
from tests.fixtures.browser import screenshot
from tests.reports.conftest import make_reel

pytestmark = pytest.mark.browser

ON_ITEM = "() => document.querySelector('[data-reel-stage]').dataset.item === '{}'"
ACTIVE_CUE = """() => {
  const track = document.querySelector("[data-reel-video]").textTracks[0];
  const cues = track && track.activeCues ? Array.from(track.activeCues) : [];
  return cues.map((cue) => cue.text).join(" ");
}"""


def test_the_reel_plays_clip_after_clip_with_captions(
    live_server, page, phone_page, console_errors, reel_files
):
    with live_server.app_context():
        staff = UserFactory(organisation=OrganisationFactory(name="Bostäder Väst"))
        reel = make_reel(
            current_storage(),
            reel_files,
            staff,
            [
                {"words": "Lampan vid porten är trasig.", "in": 0.6, "out": 1.6},
                {"words": "Ingen får visa det här.", "consent": False},
                {"words": "Bussen går för sällan.", "out": 1.2},
            ],
        )
        url, email = f"/app/reports/{reel.report.id}/reel", staff.email
        first, second = reel.items[0].id, reel.items[2].id
    log_in(page, email, PASSWORD)
    page.goto(url)
    stage = page.locator("[data-reel-stage]")
    assert page.locator("[data-reel-card-title]").inner_text() == "Trygghet på kvällen"
    screenshot(page, "reel-desktop")
    assert axe_violations(page) == []

    page.click("[data-reel-play]")
    page.click("[data-reel-next]")  # past the report's card
    page.click("[data-reel-next]")  # past the question's card
    page.wait_for_function(ON_ITEM.format(first))
    page.wait_for_function(
        "() => !document.querySelector('[data-reel-video]').paused"
        " && document.querySelector('[data-reel-video]').currentTime > 0.7"
    )
    page.wait_for_function(f"() => ({ACTIVE_CUE})() === 'Lampan vid porten är trasig.'")
    assert page.locator("[data-reel-caption]").inner_text() == "Lampan vid porten är trasig."
    assert page.locator("[data-reel-progress]").inner_text() == "Clip 1 of 2"
    screenshot(page, "reel-desktop-playing", full_page=False)

    # Clip 1 stops at its out point; clip 2 (the one after the clip without consent) starts.
    page.wait_for_function(ON_ITEM.format(second), timeout=8000)
    assert stage.get_attribute("data-clip") == "2"
    page.wait_for_function(f"() => ({ACTIVE_CUE})() === 'Bussen går för sällan.'")
    assert page.locator("[data-reel-progress]").inner_text() == "Clip 2 of 2"
    page.wait_for_function(
        "() => document.querySelector('[data-reel-stage]').dataset.state === 'ended'",
        timeout=8000,
    )
    assert "Ingen får visa det här." not in page.content()

    # The MP4: rendered (inline on the test server) and offered for download in place.
    page.click("[data-reel-render-form] button")
    link = page.locator("[data-render-link]")
    link.wait_for(state="visible", timeout=30_000)
    assert "download=1" in link.get_attribute("href")
    assert page.locator("[data-render-message]").inner_text() == "Ready."
    screenshot(page, "reel-desktop-rendered")
    assert console_errors == []

    log_in(phone_page, email, PASSWORD)
    phone_page.goto(url)
    screenshot(phone_page, "reel-phone")
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "nothing runs off a phone's screen"
