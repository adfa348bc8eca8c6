"""The thread page in Chromium: a staff member opens a conversation, inserts a saved reply at
the cursor with one click, sends it and sees it in the timeline with its delivery state; records
a short video reply with the fake camera and sends it; and the page fits a 390 px phone.

SMS and e-mail go to the embedded outboxes of the live server (recorded, state "sent"); tasks
run inline, so a recorded video is processed while its upload completes.

Screenshots: ``test-artifacts/thread_desktop.png``, ``thread_phone.png``, ``thread_video.png``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from panel.answers.service import Consent, Given, record_answer
from panel.contacts.models import Contact
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.places.service import ensure_path
from panel.questions.models import QuestionStatus
from panel.threads.models import SavedReply
from panel.threads.service import thread_of_answer
from tests.browser.staff_site import log_in
from tests.browser.test_accessibility import axe_violations
from tests.factories import OrganisationFactory, UserFactory
from tests.fixtures.browser import artifact_path, screenshot
from tests.questions.conftest import make_question

pytestmark = pytest.mark.browser

SAVED = "Tack för att du hörde av dig! Vi har skickat det vidare till fastighetsskötaren."
ANSWER = "Hissen i trapphus B har stått still i två veckor. Min mamma kommer inte upp."


@dataclass
class Conversation:
    email: str
    thread_id: int


def make_conversation(server, name: str) -> Conversation:
    """An organisation, its asker, and a tenant's SMS answer with its thread and a saved reply."""
    with server.app_context() as session:
        organisation = OrganisationFactory(name=name, default_language="sv")
        staff = UserFactory(organisation=organisation, name="Anna Berg")
        question = make_question(
            staff,
            title="Hur trivs du i trapphuset på Ängsbacksvägen 3?",
            status=QuestionStatus.LIVE,
            published_at=utcnow(),
            answer_modes=["score", "text"],
        )
        with scoped_to(session, organisation.id):
            place, _ = ensure_path(session, ["Ängsbacken", "Ängsbacksvägen 3", "Trapphus B"])
            contact = Contact(
                organisation_id=organisation.id,
                name="Zeynep Yılmaz",
                phone="+46701234567",
                language="sv",
                place_id=place.id,
            )
            session.add(contact)
            session.flush()
            answer = record_answer(
                session,
                question,
                Given(text=ANSWER, score=3, consent=Consent(identity=True, quote=True)),
                channel="sms",
                language="sv",
                contact_id=contact.id,
                place_id=place.id,
            ).answer
            session.add_all(
                [
                    SavedReply(
                        organisation_id=organisation.id,
                        title="Skickat vidare",
                        language="sv",
                        body=SAVED,
                    ),
                    SavedReply(
                        organisation_id=organisation.id,
                        title="Passed on",
                        language="en",
                        body="Thank you, we have passed it on.",
                    ),
                ]
            )
            session.commit()
            return Conversation(staff.email, thread_of_answer(session, answer.id).id)


def test_a_saved_reply_goes_in_with_one_click_and_the_reply_shows_its_state(
    live_server, page, console_errors
):
    talk = make_conversation(live_server, "Bostadsbolaget Ängsbacken")
    log_in(page, talk.email)

    page.goto(f"/app/threads/{talk.thread_id}")
    assert page.locator("h1").inner_text() == "Zeynep Yılmaz"
    assert ANSWER in page.locator(".thread-answer").inner_text()
    assert "Goes by SMS to the number they answered from" in page.locator(".route").inner_text()
    assert page.locator("[data-saved-fallback]").is_hidden()  # the chips replace the <select>

    body = page.locator("textarea[name=body]").first
    body.fill("Hej Zeynep!\n\nHälsningar Anna")
    body.evaluate("el => el.setSelectionRange(13, 13)")  # after the greeting's blank line
    page.get_by_role("button", name="Skickat vidare").click()

    assert body.input_value() == f"Hej Zeynep!\n\n{SAVED}\n\nHälsningar Anna"
    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()

    reply = page.locator(".entry-reply").last
    assert SAVED in reply.inner_text()
    assert reply.locator("[data-delivery]").get_attribute("data-delivery") == "sent"
    assert "replied by SMS to +46 70 123 45 67" in reply.inner_text()
    assert "Your reply is on its way by SMS." in page.locator(".flashes").inner_text()
    assert page.locator(".thread-summary .badge").inner_text() == "Replied"
    page.locator("#note > summary").click()
    page.locator("#note textarea").fill("@anna vet du vem som lagade hissen?")
    with page.expect_navigation():
        page.get_by_role("button", name="Save note").click()
    assert "Only colleagues see this." in page.locator(".entry-note").inner_text()
    screenshot(page, "thread_desktop")
    assert axe_violations(page) == []
    assert console_errors == []


def test_the_thread_page_fits_a_phone(live_server, phone_page):
    talk = make_conversation(live_server, "Bostadsstiftelsen Ängsbacken & Söner Fastighets AB")
    log_in(phone_page, talk.email)

    phone_page.goto(f"/app/threads/{talk.thread_id}")
    phone_page.locator("textarea[name=body]").first.fill("Tack! Vi tittar på det i dag.")
    with phone_page.expect_navigation():
        phone_page.get_by_role("button", name="Send reply").tap()
    phone_page.locator("#note > summary").tap()

    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width}px wide"
    path = screenshot(phone_page, "thread_phone")
    assert path.exists()
    assert axe_violations(phone_page) == []


def test_a_video_reply_is_recorded_uploaded_and_sent(live_server, page, console_errors):
    talk = make_conversation(live_server, "Bostadsbolaget Videovägen")
    log_in(page, talk.email)
    page.goto(f"/app/threads/{talk.thread_id}")

    page.get_by_role("button", name="Record a video").click()
    page.get_by_role("button", name="Start recording").click()
    page.wait_for_timeout(3000)  # see the report: a clip of about 2 s sometimes fails its poster
    page.get_by_role("button", name="Stop").click()
    page.get_by_role("button", name="Use this video").click()
    page.locator("[data-attached]").wait_for(state="visible", timeout=20_000)
    assert page.locator("input[name=media_id]").input_value().isdigit()
    page.locator("#reply").screenshot(path=str(artifact_path("thread_video_attached")))

    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()

    reply = page.locator(".entry-reply").last
    reply.locator("video.entry-clip").wait_for()
    assert reply.locator("[data-delivery]").get_attribute("data-delivery") == "sent"
    screenshot(page, "thread_video")
    assert console_errors == []


def test_without_javascript_a_saved_reply_is_inserted_and_sent(live_server, browser):
    talk = make_conversation(live_server, "Bostadsbolaget Utan Skript")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, talk.email)
        page.goto(f"/app/threads/{talk.thread_id}")
        assert page.locator("[data-saved-chips]").is_hidden()

        page.locator("textarea[name=body]").first.fill("Hej Zeynep!")
        page.select_option("select[name=saved_reply]", label="Skickat vidare · Svenska")
        with page.expect_navigation():
            page.get_by_role("button", name="Insert").click()
        assert page.locator("textarea[name=body]").first.input_value() == f"Hej Zeynep!\n\n{SAVED}"

        with page.expect_navigation():
            page.get_by_role("button", name="Send reply").click()
        assert SAVED in page.locator(".entry-reply").last.inner_text()
    finally:
        context.close()
