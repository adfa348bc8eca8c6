"""A newsletter in Chromium: a communicator writes it from a report (figures, a quote, the
actions taken), previews it as e-mail, SMS and web page, confirms and sends it to a panel of
40, watches it go out; a tenant opens the web version on a phone without logging in."""

from __future__ import annotations

import re
import secrets

import pytest

from panel.actions.models import ActionItem
from panel.answers.models import Answer
from panel.contacts.bulk import UpsertItem, upsert_contacts
from panel.core.scoping import scoped_to
from panel.panels.service import add_members
from panel.reports.models import Report
from tests.browser.test_accessibility import AXE, RUN_AXE
from tests.browser.test_login import log_in
from tests.factories import PASSWORD, OrganisationFactory, PlaceFactory, UserFactory, make_panel
from tests.fixtures.browser import PHONE, screenshot
from tests.questions.conftest import make_question

pytestmark = pytest.mark.browser

WEB = re.compile(r"https?://\S+?/n/[A-Za-z0-9_-]{32,}")
NAMES = ["Åsa Öberg", "Ĳsbrand de Vries", "Zeynep Yılmaz", "Wojciech Wróblewski", "Amina Hassan"]


@pytest.fixture
def providers(monkeypatch, live_server, smtp_server, twilio_double):
    settings = live_server.app.config["STOOP"]
    monkeypatch.setattr(settings, "smtp_url", smtp_server.url)
    for name, value in twilio_double.settings().items():
        monkeypatch.setattr(settings, name, value)
    return smtp_server, twilio_double


def _axe(page) -> list[str]:
    page.evaluate(AXE)  # over the DevTools protocol: the page's CSP does not apply
    return page.evaluate(RUN_AXE)


def _seed(live_server):
    with live_server.app_context() as session:
        organisation = OrganisationFactory(name="Bostadsbolaget Ängsbacken", default_language="sv")
        kim = UserFactory(organisation=organisation, name="Kim Holm", role="communicator")
        area = PlaceFactory(organisation=organisation, name="Ängsbacken", path="Ängsbacken")
        question = make_question(kim, title="Hur trivs du på gården?")
        panel = make_panel(organisation, name="Tillsammans")
        with scoped_to(session, organisation.id):
            items = []
            for n in range(40):
                values = {"name": f"{NAMES[n % 5]} {n}", "language": "sv"}
                if n % 4:
                    values["email"] = f"hyresgast{n}@example.se"
                else:
                    values["phone"] = f"+4670{n:07d}"
                items.append(UpsertItem(values))
            ids = upsert_contacts(session, organisation, items, method="api").ids
            add_members(session, session.merge(panel), ids, source="contacts")
            words = [
                "Äntligen ljus på gården på kvällen, nu vågar jag gå ut med hunden.",
                "Tvättstugan är alltid full på söndagar.",
            ]
            for n, score in enumerate((9, 8, 4, 10, 7, 8, 9)):
                session.add(
                    Answer(
                        organisation_id=organisation.id,
                        question_id=question.id,
                        channel="web",
                        language="sv",
                        score=score,
                        text=words[n] if n < 2 else None,
                        consent_quote=n < 2,
                        place_id=area.id,
                        me_token=secrets.token_urlsafe(24),
                    )
                )
            report = Report(
                organisation_id=organisation.id,
                title="Gården efter renoveringen",
                question_ids=[question.id],
                created_by_id=kim.id,
            )
            session.add(report)
            session.flush()
            for title, status in (
                ("Nya lampor längs gångvägen", "done"),
                ("Fler tvättider på helgen", "doing"),
            ):
                session.add(
                    ActionItem(
                        organisation_id=organisation.id,
                        title=title,
                        status=status,
                        report_id=report.id,
                        place_id=area.id,
                    )
                )
            session.commit()
            return kim.email, report.id


def test_write_preview_send_and_read_a_newsletter(
    live_server, page, browser, providers, console_errors
):
    smtp, twilio = providers
    email, report_id = _seed(live_server)
    log_in(page, email, PASSWORD)

    page.goto(f"/app/newsletters/new?report={report_id}")
    page.get_by_label("Title").fill("Ni sa, vi gjorde: gården")
    page.get_by_label("Your text").fill(
        "Tack för alla svar om gården!\n\nHär är vad ni sa och vad vi har gjort sedan dess."
    )
    page.locator("#panel_id").select_option(label="Tillsammans")
    page.locator("input[name=figures][value=answers]").check()
    page.locator("input[name=figures][value^=share-]").check()
    page.get_by_label(re.compile("Äntligen ljus")).check()
    page.get_by_label(re.compile("Nya lampor")).check()
    page.get_by_label(re.compile("Fler tvättider")).check()
    page.locator("#join_panel_id").select_option(index=1)
    screenshot(page, "newsletter-compose-1280")
    assert _axe(page) == []
    page.get_by_role("button", name="Save and preview").click()
    page.wait_for_url(re.compile(r"/app/newsletters/\d+/preview$"))
    frame = page.frame_locator("iframe.nl-email-frame")
    frame.get_by_text("Nya lampor längs gångvägen").wait_for()
    assert "Ni sa, vi gjorde: gården" in page.locator(".nl-sms").inner_text()
    screenshot(page, "newsletter-preview-1280")
    assert _axe(page) == []

    page.get_by_role("link", name="Send…").click()
    page.get_by_role("heading", name="It goes to 40 people").wait_for()
    screenshot(page, "newsletter-confirm-1280")
    assert _axe(page) == []
    page.get_by_role("button", name="Send to 40 people").click()
    page.wait_for_url(re.compile(r"/app/newsletters/\d+$"))
    page.locator("[data-figure=written]").filter(has_text=re.compile("^40$")).wait_for(
        timeout=30_000
    )
    page.locator("[data-figure=queued]").filter(has_text=re.compile("^0$")).wait_for(timeout=30_000)
    screenshot(page, "newsletter-sent-1280")
    assert _axe(page) == []
    assert len(smtp.messages) == 30 and len(twilio.messages) == 10
    assert not console_errors

    (link,) = {WEB.search(m.body).group(0) for m in twilio.messages}
    phone = browser.new_context(viewport=PHONE, locale="sv-SE")
    tenant = phone.new_page()
    tenant.goto(link)
    tenant.get_by_role("heading", name="Ni sa, vi gjorde: gården").wait_for()
    text = tenant.locator("main").text_content()
    assert "Äntligen ljus på gården" in text and "Tvättstugan" not in text
    assert "Vad vi gjorde" in text and "Nya lampor" in text
    assert tenant.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(tenant, "newsletter-web-390")
    assert _axe(tenant) == []
    tenant.goto(link + "?lang=ar")
    screenshot(tenant, "newsletter-web-390-ar")
    assert _axe(tenant) == []
    phone.close()

    small = browser.new_context(viewport=PHONE, base_url=live_server.url)
    staff = small.new_page()
    log_in(staff, email, PASSWORD)
    staff.goto(f"/app/newsletters/new?report={report_id}")
    assert staff.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(staff, "newsletter-compose-390")
    staff.goto(page.url + "/preview")
    assert staff.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(staff, "newsletter-preview-390")
    small.close()
