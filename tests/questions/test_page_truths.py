"""The question page says only what is true: what a draft still needs, whether it can be
published, what a closed question still allows, and what tenants will really see."""

from __future__ import annotations

import re

import pytest

from media.models import MediaStatus
from panel.questions.models import QuestionStatus

VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHej och välkommen\n"


def text(response):
    return response.get_data(as_text=True)


def checklist_line(page: str, state: str) -> str:
    """The text of the checklist entry in ``state`` (done, todo, waiting, failed, warning)."""
    match = re.search(rf'<li class="{state}">(.*?)</li>', page, re.S)
    assert match, f"no checklist entry is {state}"
    return re.sub(r"<[^>]+>", " ", match.group(1))


def publish_button(page: str) -> str:
    return re.search(
        r'<form method="post" action="/app/questions/\d+/publish">.*?</form>', page, re.S
    ).group(0)


@pytest.mark.parametrize("status", [MediaStatus.UPLOADED, MediaStatus.PROCESSING])
def test_a_video_still_processing_is_not_ticked_off_and_cannot_be_published(
    staff_client, question_factory, media_factory, db_session, status
):
    question = question_factory(media_id=media_factory(status, progress=30).id)

    page = text(staff_client.get(f"/app/questions/{question.id}"))

    assert "still being processed" in checklist_line(page, "waiting")
    assert "A ready video" not in re.findall(r'<li class="done">(.*?)</li>', page, re.S).__str__()
    assert "disabled" in publish_button(page)
    staff_client.post(f"/app/questions/{question.id}/publish")
    db_session.refresh(question)
    assert question.is_draft
    assert "The video is still being processed" in text(
        staff_client.get(f"/app/questions/{question.id}")
    )


def test_a_failed_video_says_so_and_blocks_publishing(
    staff_client, question_factory, media_factory, db_session
):
    failed = media_factory(MediaStatus.FAILED, error="This file contains text, not a video.")
    question = question_factory(media_id=failed.id)

    page = text(staff_client.get(f"/app/questions/{question.id}"))

    assert "could not be used" in checklist_line(page, "failed")
    assert "disabled" in publish_button(page)
    staff_client.post(f"/app/questions/{question.id}/publish")
    db_session.refresh(question)
    assert question.is_draft


def test_a_ready_video_without_captions_warns_and_publishes_with_a_warning(
    staff_client, question_factory, media_factory, db_session
):
    question = question_factory(media_id=media_factory().id)

    page = text(staff_client.get(f"/app/questions/{question.id}"))
    assert "No captions yet" in checklist_line(page, "warning")
    assert "disabled" not in publish_button(page)

    staff_client.post(f"/app/questions/{question.id}/publish")
    db_session.refresh(question)
    assert question.is_live
    page = text(staff_client.get(f"/app/questions/{question.id}"))
    assert "Your question is live" in page
    assert "The video has no captions yet" in page


def test_captions_count_as_done(staff_client, question_factory, media_factory):
    question = question_factory(media_id=media_factory(captions_vtt=VTT).id)
    page = text(staff_client.get(f"/app/questions/{question.id}"))
    assert "Captions (1 line)" in page
    assert '<li class="warning">' not in page


def test_the_transcript_is_offered_as_a_start_for_the_captions(
    staff_client, question_factory, media_factory, db_session
):
    transcript = (
        "Hej, jag heter Anna och jag arbetar med fastigheterna i Norra Ängby. Vi vill veta "
        "hur du trivs i ditt trapphus och vad vi kan göra bättre under våren."
    )
    media = media_factory(transcript=transcript, duration_seconds=12.0)
    question = question_factory(media_id=media.id)

    page = text(staff_client.get(f"/app/questions/{question.id}"))
    assert "Start from the transcript" in page

    staff_client.post(f"/app/questions/{question.id}/captions/from-transcript")
    db_session.refresh(media)
    assert media.captions_vtt.startswith("WEBVTT")
    assert "Norra Ängby" in media.captions_vtt
    assert "00:00:12.000" in media.captions_vtt  # the last line ends with the clip
    page = text(staff_client.get(f"/app/questions/{question.id}"))
    assert "Start from the transcript" not in page and "Captions (" in page


def test_a_closed_question_keeps_its_captions(
    staff_client, question_factory, media_factory, db_session
):
    media = media_factory(captions_vtt=VTT)
    question = question_factory(media_id=media.id, status=QuestionStatus.CLOSED)

    page = text(staff_client.get(f"/app/questions/{question.id}"))
    assert "data-captions-editor" not in page and "Save the text" not in page
    assert "Close the question" not in page

    form = staff_client.post(f"/app/questions/{question.id}/captions", data={"vtt": "WEBVTT\n"})
    assert form.status_code == 303
    js = staff_client.post(
        f"/app/questions/{question.id}/captions",
        json={"cues": []},
        headers={"Accept": "application/json"},
    )
    assert js.status_code == 409 and "closed" in js.get_json()["error"]["message"]
    db_session.refresh(media)
    assert media.captions_vtt == VTT
    assert "its captions can no longer change" in text(
        staff_client.get(f"/app/questions/{question.id}")
    )


def test_the_preview_of_a_failed_video_shows_what_tenants_really_see(
    staff_client, question_factory, media_factory
):
    question = question_factory(media_id=media_factory(MediaStatus.FAILED).id)

    page = text(staff_client.get(f"/app/questions/{question.id}/preview"))

    assert "not ready yet" not in page and "tenants will see it here" not in page
    assert "The video could not be used: tenants see the written question instead." in page
    assert "Hej! Jag heter Anna." in page  # the written question stands in


def test_the_preview_of_a_closed_question_shows_no_answer_form(staff_client, question_factory):
    question = question_factory(status=QuestionStatus.CLOSED)

    page = text(staff_client.get(f"/app/questions/{question.id}/preview"))

    assert "<form" not in page.split("tenant-page", 1)[1]
    assert "This question is closed" in page


def test_the_preview_form_names_its_fieldset(staff_client, question_factory):
    question = question_factory()
    page = text(staff_client.get(f"/app/questions/{question.id}/preview"))
    assert re.search(r"<fieldset disabled>\s*<legend", page)
