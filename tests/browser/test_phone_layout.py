"""Every staff page fits a 390 px phone: nothing wider than the screen, nothing that scrolls
sideways (a menu whose last entries are out of reach, a table in a box too narrow for it), and
every page of the main menu can be reached from the folded menu.

Screenshots of every page go to ``test-artifacts/phone_*.png`` to be looked at.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.staff_site import log_in, seed_staff_site
from tests.fixtures.browser import artifact_path

pytestmark = pytest.mark.browser

# Elements that scroll sideways inside the page, or stick out of the screen. Visually hidden
# helpers (1 px) and the skip link parked off-screen on purpose do not count.
OVERFLOW = """
() => {
  const vw = document.documentElement.clientWidth;
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (typeof el.className === "string" && el.className.trim()
       ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const found = [];
  if (document.documentElement.scrollWidth > vw + 1) {
    found.push(`the page is ${document.documentElement.scrollWidth}px wide`);
  }
  for (const el of document.querySelectorAll("body *")) {
    const style = getComputedStyle(el);
    if (style.display === "none" || style.visibility === "hidden") continue;
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1 || box.right <= 0) continue;
    const scrolls = ["auto", "scroll", "hidden", "clip"].includes(style.overflowX);
    if (scrolls && el.scrollWidth > el.clientWidth + 1
        && !["TEXTAREA", "INPUT", "SELECT"].includes(el.tagName)) {
      found.push(`${name(el)} hides ${el.scrollWidth - el.clientWidth}px sideways`);
    }
    if (box.right > vw + 1) {
      let clipped = false;
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        if (getComputedStyle(p).overflowX !== "visible") { clipped = true; break; }
      }
      if (!clipped) found.push(`${name(el)} reaches ${Math.round(box.right)}px`);
    }
  }
  return found;
}
"""


@pytest.fixture(scope="module")
def site(live_server):
    return seed_staff_site(live_server)


def test_every_staff_page_fits_a_phone(live_server, site, phone_page):
    assert len(site.urls) >= 20, site.urls
    log_in(phone_page, site.email)
    problems = []
    for url in site.urls:
        response = phone_page.goto(url)
        assert response is not None and response.status == 200, (
            f"{url}: {response and response.status}"
        )
        phone_page.wait_for_load_state("networkidle")
        shot = artifact_path("phone/" + url.strip("/").replace("/", "_"))
        phone_page.screenshot(path=str(shot), full_page=True)
        problems += [f"{url}: {p}" for p in phone_page.evaluate(OVERFLOW)]
    assert not problems, "\n".join(problems)


def test_the_folded_menu_reaches_every_page(live_server, site, phone_page):
    log_in(phone_page, site.email)
    phone_page.goto("/app/contacts")
    assert not phone_page.locator(".mainnav").is_visible()
    menu = phone_page.locator(".navmenu > summary")
    assert menu.is_visible()
    labels = [
        "Overview",
        "Questions",
        "Touchpoints",
        "Contacts",
        "Places",
        "Team",
        "Settings",
        "Outbox",
    ]
    for label in labels:
        menu.tap()
        link = phone_page.locator(".navmenu-panel").get_by_role("link", name=label, exact=True)
        assert link.is_visible(), f"{label} is not in the open menu"
        box = link.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390
        with phone_page.expect_navigation():
            link.tap()
        current = phone_page.locator(".navmenu-panel a[aria-current=page]")
        assert re.sub(r"\s+", " ", current.text_content() or "").strip() == label
