"""The acceptance of transcripts, end to end in Chromium: the fake microphone says a known
sentence (espeak-ng), a tenant records a video answer on a phone, the answer's clip is
transcoded and transcribed offline by the bundled Whisper model, the known words are in the
transcript beside the player (marked as a machine draft), the inbox finds the answer by a
spoken word, a staff member corrects the transcript, and a question's video gets its captions
pre-filled from its transcript.

Screenshots go to ``test-artifacts/speech-*.png``.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from media.ingest import ingest_bytes
from media.models import MediaFile, TranscriptState
from panel.core.scoping import scoped_to
from panel.questions.models import Question
from tests.browser.staff_site import log_in
from tests.browser.test_answer_page import Site, answers, make_site, new_answer, record, send
from tests.fixtures.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, LiveServer, screenshot
from tests.media.test_speech import video_with_sound

pytestmark = [pytest.mark.browser, pytest.mark.postgres_too]

SENTENCE = "The elevator in stairwell B has been broken for three weeks. Please repair it soon."
LIVE_SERVER_SETTINGS = {"transcriber": "faster_whisper"}


@pytest.fixture(scope="module")
def speech_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sentence with a second of silence before it (the recorder starts a moment late)."""
    folder = tmp_path_factory.mktemp("voice")
    spoken = folder / "spoken.wav"
    subprocess.run(["espeak-ng", "-v", "en", "-s", "140", "-w", str(spoken), SENTENCE], check=True)
    padded = folder / "speech.wav"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(spoken), "-af", "adelay=1000,apad=pad_dur=2",
         "-ar", "48000", "-ac", "1", str(padded)],
        check=True,
    )  # fmt: skip
    return padded


@pytest.fixture(scope="module")
def browser(playwright_instance: Any, speech_wav: Path) -> Iterator[Any]:
    """Chromium whose fake microphone says ``SENTENCE`` (from the start at each new stream)."""
    instance = playwright_instance.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={speech_wav}"],
    )
    yield instance
    instance.close()


@pytest.fixture(scope="module")
def site(live_server: LiveServer) -> Site:
    return make_site(live_server)


def test_a_spoken_answer_is_transcribed_found_by_a_spoken_word_and_corrected(
    live_server: LiveServer, site: Site, phone_page: Any, browser: Any
) -> None:
    before = answers(live_server)
    phone_page.goto(site.invitation("email"))
    phone_page.get_by_role("button", name="Answer with a video").tap()
    phone_page.locator("[data-live]").wait_for()
    record(phone_page, 8)
    send(phone_page, "speech-1-answer-sent")

    answer = new_answer(live_server, before)
    media = answer.media
    assert media.transcript_state == TranscriptState.DRAFT, (
        media.transcript_state,
        media.transcript_error,
    )
    heard = media.transcript.lower()
    assert "elevator" in heard and "broken" in heard, media.transcript

    staff = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    page = staff.new_page()
    log_in(page, _owner_email(live_server, site))
    page.goto("/app/inbox?q=elevator")
    found = page.locator("a[href^='/app/threads/']")
    assert found.count() == 1, page.content()[:2000]
    screenshot(page, "speech-2-inbox-finds-spoken-word")
    page.goto("/app/inbox?q=dishwasher")
    assert page.locator("a[href^='/app/threads/']").count() == 0

    page.goto("/app/inbox?q=elevator")
    page.locator("a[href^='/app/threads/']").first.click()
    transcript = page.locator(".transcript")
    transcript.get_by_text("Machine transcript · draft").wait_for()
    assert "elevator" in transcript.locator(".transcript-text").inner_text().lower()
    screenshot(page, "speech-3-thread-transcript")
    transcript.get_by_text("Correct the transcript").click()
    page.get_by_label("What is said in the recording").fill(SENTENCE)
    page.get_by_role("button", name="Save the transcript").click()
    page.get_by_text("Transcript saved.").wait_for()
    assert page.locator(".transcript-text").inner_text() == SENTENCE
    assert page.locator(".transcript-badge.corrected").count() == 1
    screenshot(page, "speech-4-transcript-corrected")
    staff.close()


def test_a_question_video_gets_captions_from_its_transcript(
    live_server: LiveServer, site: Site, speech_wav: Path, tmp_path: Path, browser: Any
) -> None:
    clip = video_with_sound(speech_wav, tmp_path / "question.webm")
    with live_server.app_context() as session:
        question = session.get(
            Question, site.question_id, execution_options={"all_organisations": True}
        )
        with scoped_to(session, question.organisation_id):
            media = ingest_bytes(
                session,
                organisation_id=question.organisation_id,
                data=clip.read_bytes(),
                filename="question.webm",
                content_type="video/webm",
                purpose="question",
                language="en",
            )
            question.media_id = media.id
            session.commit()  # processing and the transcript follow the commit (inline here)
            media_id = media.id
    with live_server.app_context() as session:
        media = session.scalar(
            sa.select(MediaFile)
            .where(MediaFile.id == media_id)
            .execution_options(all_organisations=True)
        )
        assert media.transcript_state == TranscriptState.DRAFT, media.transcript_error
        assert "elevator" in (media.captions_vtt or "").lower(), media.captions_vtt

    staff = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    page = staff.new_page()
    log_in(page, _owner_email(live_server, site))
    page.goto(f"/app/questions/{site.question_id}")
    assert re.search("elevator", page.content(), re.IGNORECASE)
    screenshot(page, "speech-5-question-captions")
    staff.close()


def _owner_email(server: LiveServer, site: Site) -> str:
    with server.app_context() as session:
        question = session.get(
            Question, site.question_id, execution_options={"all_organisations": True}
        )
        return question.owner.email
