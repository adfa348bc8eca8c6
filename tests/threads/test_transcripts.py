"""A recording's transcript on the thread page and in the inbox: the machine's draft is shown
beside the player and marked as such, the inbox finds the answer by a spoken word, a staff
member's correction becomes the record (the search follows it), and bad corrections are refused
with a message; another organisation's thread is not found."""

from __future__ import annotations

import re
from html import unescape

import pytest

from media.models import TranscriptState
from media.signals import transcript_changed
from media.transcribe import Segment, record_draft
from panel.core.scoping import scoped_to
from tests.factories import OrganisationFactory, UserFactory, login
from tests.questions.conftest import make_media

SPOKEN = "Tvättstugan luktar mögel sedan översvämningen i oktober."


@pytest.fixture
def spoken_thread(db_session, organisation, answered):
    """A thread whose answer is a video with the machine's draft transcript."""
    thread = answered(channel="email", text="Se min video.")
    with scoped_to(db_session, organisation.id):
        media = make_media(organisation.id, language="sv")
        thread.answer.media_id = media.id
        thread.answer.clip_kind = "video"
        record_draft(media, [Segment(0.0, 3.2, SPOKEN)], engine="faster-whisper whisper-base")
        transcript_changed.send(media, session=db_session)
        db_session.commit()
    return thread


def listed(response) -> list[int]:
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return [
        int(n) for n in re.findall(r'href="/app/threads/(\d+)"', response.get_data(as_text=True))
    ]


def test_the_draft_is_shown_marked_and_found_by_a_spoken_word(client, staff, spoken_thread):
    login(client, staff)

    page = unescape(client.get(f"/app/threads/{spoken_thread.id}").get_data(as_text=True))

    assert "Machine transcript · draft" in page and SPOKEN in page
    assert listed(client.get("/app/inbox?q=mögel")) == [spoken_thread.id]
    assert listed(client.get("/app/inbox?q=översvämningen")) == [spoken_thread.id]
    assert listed(client.get("/app/inbox?q=hissen")) == []


def test_a_correction_is_the_record_and_the_search_follows_it(
    client, staff, spoken_thread, db_session
):
    login(client, staff)
    corrected = "Tvättstugan luktar fukt sedan översvämningen i oktober."

    response = client.post(f"/app/threads/{spoken_thread.id}/transcript", data={"text": corrected})

    assert response.status_code == 303
    page = unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Transcript saved." in page and corrected in page
    assert f"Corrected by {staff.name}" in page
    db_session.expire_all()
    media = spoken_thread.answer.media
    assert media.transcript == corrected and media.transcript_draft == SPOKEN
    assert media.transcript_state == TranscriptState.CORRECTED
    assert media.transcript_corrected_by_id == staff.id
    assert listed(client.get("/app/inbox?q=fukt")) == [spoken_thread.id]
    assert listed(client.get("/app/inbox?q=mögel")) == [], "the misheard word is gone"


def test_a_correction_too_long_is_refused_and_nothing_changes(client, staff, spoken_thread):
    login(client, staff)

    response = client.post(
        f"/app/threads/{spoken_thread.id}/transcript", data={"text": "ord " * 6000}
    )

    assert response.status_code == 422
    assert "at most 20,000 characters" in unescape(response.get_data(as_text=True))
    assert spoken_thread.answer.media.transcript == SPOKEN


def test_another_organisations_thread_is_not_found(client, spoken_thread):
    stranger = UserFactory(organisation=OrganisationFactory(), role="admin")
    login(client, stranger)

    response = client.post(f"/app/threads/{spoken_thread.id}/transcript", data={"text": "x"})

    assert response.status_code == 404


def test_an_answer_without_a_recording_has_no_transcript_to_correct(client, staff, answered):
    thread = answered(channel="email", text="Bara text.")
    login(client, staff)

    response = client.post(f"/app/threads/{thread.id}/transcript", data={"text": "x"})

    assert response.status_code == 404
    assert "no transcript" in response.get_data(as_text=True)


def test_a_transcript_the_model_was_refused_for_says_so_and_an_admin_sees_why(
    client, answered, organisation, db_session
):
    thread = answered(channel="email", text="Se min video.")
    with scoped_to(db_session, organisation.id):
        media = make_media(
            organisation.id,
            language="sv",
            transcript_state=TranscriptState.FAILED,
            transcript_error="whisper-base: the SHA-256 of model.bin is 00ff…",
        )
        thread.answer.media_id = media.id
        thread.answer.clip_kind = "video"
        db_session.commit()
    login(client, UserFactory(organisation=organisation, role="admin"))

    response = client.get(f"/app/threads/{thread.id}")

    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    assert "the speech model did not pass its check" in page
    assert "the SHA-256 of model.bin is 00ff…" in page
