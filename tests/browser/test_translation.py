"""Answers in the reader's language, in Chromium: an English-speaking staff member opens a
Swedish tenant's SMS answer, reads the machine translation beside the original, writes a reply
in English, checks and corrects its Swedish translation side by side, and sends it; the tenant's
SMS carries the corrected translation, the timeline shows both texts. The models are real
CTranslate2 models made in the test session (tests/language/model_maker.py): their output is
meaningless but exactly what CTranslate2 makes of the input.

Screenshots: ``test-artifacts/translation_answer.png``, ``translation_preview.png``.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from notifications.models import OutboundMessage
from tests.browser.staff_site import log_in
from tests.browser.test_accessibility import axe_violations
from tests.browser.test_thread_page import ANSWER, make_conversation
from tests.fixtures.browser import screenshot
from tests.language import conftest as language
from tests.language.conftest import reference

model_folders = language.model_folders  # real CTranslate2 models, made once a session

pytestmark = pytest.mark.browser

WRITTEN = "Thank you, we will send a technician tomorrow morning."
CORRECTED = "Tack! Vi skickar en tekniker i morgon bitti."


def test_a_translated_answer_and_a_translated_reply(
    live_server, page, console_errors, model_folders, monkeypatch
):
    monkeypatch.setattr(
        live_server.app.config["STOOP"], "translation_models_dir", str(model_folders)
    )
    talk = make_conversation(live_server, "Bostadsbolaget Översättning")
    log_in(page, talk.email)

    page.goto(f"/app/threads/{talk.thread_id}")

    answer = page.locator(".thread-answer")
    assert ANSWER in answer.locator(".answer-text").inner_text()
    sentences = ANSWER.split(". ")
    english = " ".join(reference(model_folders / "sv-en", [sentences[0] + ".", sentences[1]]))
    translation = answer.locator("[data-translation=done]")
    assert translation.locator(".translation-badge").inner_text() == (
        "Machine translation from Swedish"
    )
    assert translation.locator(".translation-text").inner_text() == english
    screenshot(page, "translation_answer")

    page.locator("textarea[name=body]").first.fill(WRITTEN)
    assert page.get_by_label("Translate my reply into Swedish before sending").is_checked()
    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()

    machine = reference(model_folders / "en-sv", [WRITTEN])[0]
    box = page.get_by_label("What the tenant gets (Swedish)")
    assert box.input_value() == machine
    assert WRITTEN in page.locator("[data-reply-preview]").inner_text()
    assert axe_violations(page) == []
    screenshot(page, "translation_preview")
    box.fill(CORRECTED)
    with page.expect_navigation():
        page.get_by_role("button", name="Send the translation").click()

    reply = page.locator(".entry-reply").last
    assert WRITTEN in reply.inner_text() and CORRECTED in reply.inner_text()
    assert "Sent in Swedish · machine translation · corrected by hand" in reply.inner_text()
    with live_server.app_context() as session:
        [sms] = session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.recipient == "+46701234567")
        ).all()
        assert CORRECTED in sms.body_text and WRITTEN not in sms.body_text
    assert console_errors == []
