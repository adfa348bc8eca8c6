"""The brand and sender section in Chromium: the colour picker and the text field keep step,
the preview takes the colour, a logo chosen in the file field is uploaded and shown (on the
settings page and a tenant page); the page fits a phone and axe finds nothing wrong.

Screenshots go to ``test-artifacts/brand-settings-*.png`` to be looked at.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from panel.organisations.demo import demo_logo_png
from tests.browser.staff_site import log_in
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_phone_layout import OVERFLOW
from tests.factories import OrganisationFactory, UserFactory, make_panel
from tests.fixtures.browser import screenshot

pytestmark = pytest.mark.browser

BRAND_FORM = "form[action$='/app/settings/brand']"


def rgb(page, selector: str, prop: str) -> str:
    return page.eval_on_selector(selector, f"el => getComputedStyle(el).{prop}")


@pytest.fixture(scope="module")
def place(live_server):
    """An organisation with a long name, its admin, and a panel (a tenant page to look at)."""
    with live_server.app_context():
        organisation = OrganisationFactory(name="Bostadsstiftelsen Ängsbacken i Norrköping")
        admin = UserFactory(organisation=organisation, admin=True, name="Greta Admin")
        panel = make_panel(organisation)
        return {"email": admin.email, "panel": panel.slug, "name": organisation.name}


def test_an_admin_picks_a_colour_and_uploads_a_logo(
    live_server, place, page, console_errors, tmp_path
):
    logo = tmp_path / "logga.png"
    logo.write_bytes(demo_logo_png("Ängsbacken", "#a8432e"))
    log_in(page, place["email"])
    page.goto("/app/settings")

    picker = page.locator("#brand_colour_picker")
    assert picker.is_visible() and page.locator("[data-brand-preview]").is_visible()
    page.fill("#brand_colour", "#a8432e")
    assert picker.input_value() == "#a8432e"
    assert rgb(page, "[data-brand-head]", "backgroundColor") == "rgb(168, 67, 46)"
    assert rgb(page, "[data-brand-head]", "color") == "rgb(255, 255, 255)"
    page.fill("#email_from_name", "Ängsbacken hyresgästservice")
    assert page.locator("[data-brand-name]").inner_text() == "Ängsbacken hyresgästservice"
    screenshot(page, "brand-settings-desktop-before")

    page.set_input_files("#logo", str(logo))
    with page.expect_navigation():
        page.locator(f"{BRAND_FORM} button[type=submit]").click()

    assert page.get_by_text("Saved the brand and sender.").is_visible()
    shown = page.locator("img.brand-logo-image")
    assert shown.evaluate("img => img.complete && img.naturalWidth") > 0
    assert page.input_value("#brand_colour") == "#a8432e"
    # With a logo the preview draws it on white, under a stripe of the colour.
    head = "[data-brand-head]"
    assert rgb(page, head, "borderTopColor") == "rgb(168, 67, 46)"
    assert page.locator(f"{head} img").evaluate("img => img.complete && img.naturalWidth") > 0
    screenshot(page, "brand-settings-desktop")
    assert axe_violations(page) == []
    served = page.request.get(shown.get_attribute("src"))
    assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert Image.open(io.BytesIO(served.body())).format == "PNG"

    page.goto(f"/join/{place['panel']}")
    mark = page.locator("header .tenant-logo img")
    assert mark.get_attribute("alt") == place["name"]
    assert mark.evaluate("img => img.complete && img.naturalWidth") > 0
    screenshot(page, "brand-join-desktop")
    assert console_errors == []


def test_a_refused_file_says_why_in_the_page(live_server, place, page, tmp_path):
    svg = tmp_path / "logga.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>')
    log_in(page, place["email"])
    page.goto("/app/settings")

    page.set_input_files("#logo", str(svg))
    with page.expect_navigation():
        page.locator(f"{BRAND_FORM} button[type=submit]").click()

    error = page.locator("#logo-error")
    assert "SVG logos are not accepted" in error.inner_text()
    assert page.locator("#logo").get_attribute("aria-invalid") == "true"


def test_the_settings_page_fits_a_phone(live_server, place, phone_page):
    log_in(phone_page, place["email"])
    phone_page.goto("/app/settings")
    phone_page.wait_for_load_state("networkidle")

    assert phone_page.evaluate(OVERFLOW) == []
    assert phone_page.locator("#brand_colour_picker").is_visible()
    screenshot(phone_page, "brand-settings-phone")
    phone_page.goto(f"/join/{place['panel']}")
    assert phone_page.evaluate(OVERFLOW) == []
    screenshot(phone_page, "brand-join-phone")
