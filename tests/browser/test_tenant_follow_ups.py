"""The tenant's own page with a conversation, in Chromium on a phone: our replies (one a video),
what the tenant wrote back, and the form to write back — in every tenant language, with
nothing sticking out sideways and nothing axe-core finds wrong; then the form refuses an empty
message (saying why, next to the field) and sends a real one.

Screenshots go to ``test-artifacts/tenant_conversation_<language>_phone.png``.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from media.storage import current_storage
from panel.answers.service import Given, record_answer
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from panel.threads import service
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_phone_layout import OVERFLOW
from tests.factories import OrganisationFactory, UserFactory
from tests.fixtures.browser import PHONE, screenshot
from tests.questions.conftest import make_media, make_question

pytestmark = pytest.mark.browser


def _poster() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1280, 720), (31, 95, 91)).save(out, "JPEG", quality=70)
    return out.getvalue()


@pytest.fixture(scope="module")
def conversation(live_server):
    """An answer whose thread has a reply, the tenant's message back, and a video reply."""
    with live_server.app_context() as session:
        organisation = OrganisationFactory(name="Bostadsstiftelsen Ängsbacken")
        staff = UserFactory(organisation=organisation, name="Anna Öberg")
        question = make_question(
            staff,
            title="Hur trivs du i trapphuset på Ängsbacksvägen 112 B?",
            status=QuestionStatus.LIVE,
            answer_modes=["text"],
        )
        video = make_media(organisation.id)
        current_storage().put(
            video.renditions["poster"], io.BytesIO(_poster()), content_type="image/jpeg"
        )
        with scoped_to(session, organisation.id):
            answer = record_answer(
                session,
                question,
                Given(text="Hissen står still igen, och lampan i källaren blinkar."),
                channel="qr",
                language="sv",
            ).answer
            thread = service.thread_of_answer(session, answer.id)
            service.reply(session, thread, staff, "Tack! Vi har beställt en reparation.")
            service.note(session, thread, staff, "Intern anteckning som hyresgästen inte ser.")
            service.follow_up(session, thread, "Tack, när kommer teknikern?", channel="web")
            service.reply(
                session, thread, staff, "Här visar Bengt vad som blir gjort.", media_id=video.id
            )
            session.commit()
        return answer.id, answer.me_token


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, device_scale_factor=2, is_mobile=True
    )
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("language", ["sv", "nl", "en", "ar", "tr", "pl", "so"])
def test_the_conversation_reads_well_in_every_tenant_language(
    live_server, conversation, phone, language
):
    _answer_id, token = conversation

    phone.goto(f"/me/{token}?lang={language}")

    assert phone.evaluate("document.documentElement.lang") == language
    assert phone.locator(".my-message").count() == 3  # two replies and the tenant's message
    assert "Intern anteckning" not in phone.content()
    assert phone.locator(".my-message video").count() == 1
    assert phone.evaluate(OVERFLOW) == []
    screenshot(phone, f"tenant_conversation_{language}_phone")
    assert axe_violations(phone) == []


def test_writing_back_from_the_page(live_server, conversation, phone):
    answer_id, token = conversation
    phone.goto(f"/me/{token}?lang=sv")
    field = phone.get_by_label("Svara", exact=True)

    field.fill("   ")
    phone.get_by_role("button", name="Skicka").click()

    assert phone.locator(".write-back .error").inner_text() == "Skriv ditt meddelande först."
    assert field.get_attribute("aria-invalid") == "true"
    screenshot(phone, "tenant_conversation_error_phone")
    assert axe_violations(phone) == []

    field.fill("Jag är hemma hela tisdagen.")
    phone.get_by_role("button", name="Skicka").click()

    phone.wait_for_url(f"**/me/{token}?sent={answer_id}#answer-{answer_id}")
    assert phone.get_by_role("status").first.inner_text().startswith("Skickat. Tack!")
    assert phone.locator(".my-message").last.inner_text().endswith("Jag är hemma hela tisdagen.")
    screenshot(phone, "tenant_conversation_sent_phone")
    assert axe_violations(phone) == []
