"""The question pages: list, forms, the question with its player, actions, recorder, preview."""

from __future__ import annotations

import re

import sqlalchemy as sa

from media.models import MediaStatus
from panel.questions.models import Question, QuestionStatus
from tests.factories import OrganisationFactory, UserFactory, login


def text(response):
    return response.get_data(as_text=True)


def test_empty_state_invites_to_record_the_first_question(staff_client):
    response = staff_client.get("/app/questions")

    page = text(response)
    assert response.status_code == 200
    assert "Record your first question" in page
    assert 'href="/app/questions/new"' in page
    assert '<a href="/app/questions" aria-current="page">Questions</a>' in page


def test_list_filters_by_status_and_owner(staff_client, staff, colleague, question_factory):
    question_factory(title="Utkast om tvättstugan")
    question_factory(title="Live om cykelrummet", status=QuestionStatus.LIVE)
    question_factory(owner=colleague, title="Kollegans fråga", status=QuestionStatus.CLOSED)

    page = text(staff_client.get("/app/questions"))
    assert all(t in page for t in ("Utkast om tvättstugan", "Live om cykelrummet", "Kollegans"))
    assert "Record your first question" not in page

    page = text(staff_client.get("/app/questions?status=live"))
    assert "Live om cykelrummet" in page and "Utkast om tvättstugan" not in page

    page = text(staff_client.get("/app/questions?owner=me"))
    assert "Kollegans fråga" not in page and "Utkast om tvättstugan" in page

    page = text(staff_client.get("/app/questions?status=closed&owner=me"))
    assert "You have no questions with this status." in page


def test_new_question_then_record(staff_client, staff, db_session):
    response = staff_client.post(
        "/app/questions/new",
        data={
            "title": "Hur är städningen?",
            "prompt": "Hej! Hur tycker du att städningen fungerar?",
            "language": "sv",
            "answer_modes": ["score", "text"],
            "choices": "",
            "next": "record",
        },
    )

    question = db_session.scalars(sa.select(Question).where(Question.owner_id == staff.id)).one()
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/app/questions/{question.id}/video")
    assert question.answer_modes == ["text", "score"] and question.is_draft


def test_new_question_as_a_draft_with_choices(staff_client, db_session):
    response = staff_client.post(
        "/app/questions/new",
        data={
            "title": "Vilken dag passar?",
            "language": "en",
            "answer_modes": ["choice"],
            "choices": "Monday\r\n\r\nTuesday\r\n",
            "closes_on": "2099-06-30",
            "next": "draft",
        },
    )

    question = db_session.scalars(sa.select(Question)).one()
    assert re.search(rf"/app/questions/{question.id}$", response.headers["Location"])
    assert question.choices == ["Monday", "Tuesday"]
    # The end of the day in Stockholm (summer time, UTC+2).
    assert question.closes_at.isoformat() == "2099-06-30T21:59:59+00:00"


def test_new_question_with_problems_says_which(staff_client, db_session):
    response = staff_client.post(
        "/app/questions/new",
        data={"title": "", "language": "sv", "answer_modes": ["choice"], "choices": "Bara en"},
    )

    page = text(response)
    assert response.status_code == 422
    assert "The question was not saved" in page
    assert "Give the question a title" in page
    assert db_session.scalar(sa.select(sa.func.count(Question.id))) == 0


def test_choice_without_options_is_shown_on_the_options_field(staff_client):
    response = staff_client.post(
        "/app/questions/new",
        data={"title": "Välj", "language": "sv", "answer_modes": ["choice"], "choices": ""},
    )
    page = text(response)
    assert response.status_code == 422
    assert 'id="choices-error">A multiple-choice question needs at least 2 options' in page


def test_edit_a_draft(staff_client, question_factory, db_session):
    question = question_factory()
    page = text(staff_client.get(f"/app/questions/{question.id}/edit"))
    assert 'value="Hur trivs du i trapphuset?"' in page

    response = staff_client.post(
        f"/app/questions/{question.id}/edit",
        data={"title": "Ny titel", "prompt": "", "language": "nl", "answer_modes": ["text"]},
    )

    assert response.status_code == 303
    db_session.refresh(question)
    assert (question.title, question.language, question.answer_modes) == (
        "Ny titel",
        "nl",
        ["text"],
    )


def test_editing_a_live_question_keeps_its_answer_modes(staff_client, question_factory, db_session):
    question = question_factory(status=QuestionStatus.LIVE)
    page = text(staff_client.get(f"/app/questions/{question.id}/edit"))
    assert "This question is live" in page

    # The disabled checkboxes are not sent: the modes stay as they were.
    response = staff_client.post(
        f"/app/questions/{question.id}/edit",
        data={"title": "Rättad titel", "prompt": "Rättad text", "language": "sv"},
    )

    assert response.status_code == 303
    db_session.refresh(question)
    assert question.title == "Rättad titel" and question.answer_modes == ["score", "text"]


def test_question_without_video_offers_to_record(staff_client, question_factory):
    question = question_factory()
    page = text(staff_client.get(f"/app/questions/{question.id}"))

    assert "No video yet" in page
    assert f'href="/app/questions/{question.id}/video"' in page
    assert "Before you publish" in page
    assert 'class="done"' in page  # a title, a written prompt, answer modes


def test_question_while_processing_polls_the_status(staff_client, question_factory, media_factory):
    media = media_factory(MediaStatus.PROCESSING, progress=40)
    question = question_factory(media_id=media.id)

    page = text(staff_client.get(f"/app/questions/{question.id}"))

    assert f'data-status-url="/app/media/{media.id}/status"' in page
    assert '<progress max="100" value="40"' in page
    assert "Processing video" in page
    assert re.search(r"js/media-status\.[0-9a-f]{10}\.js", page)


def test_failed_video_shows_the_error_and_what_to_do(staff_client, question_factory, media_factory):
    media = media_factory(MediaStatus.FAILED, error="This file is not a video or a sound file.")
    question = question_factory(media_id=media.id)

    page = text(staff_client.get(f"/app/questions/{question.id}"))

    assert "This file is not a video or a sound file." in page
    assert "Try another file" in page
    assert "Continue without a video" in page


def test_ready_video_plays_with_poster_and_captions(staff_client, question_factory, media_factory):
    media = media_factory(
        captions_vtt="WEBVTT\n\n00:00:00.000 --> 00:00:02.500\nHej och välkommen\n"
    )
    question = question_factory(media_id=media.id)

    page = text(staff_client.get(f"/app/questions/{question.id}"))

    video = re.search(r"<video class=\"player\"[^>]*>", page).group(0)
    assert 'preload="metadata"' in video and "controls" in video
    assert f"/media/{media.public_id}/poster.jpg" in video
    assert re.search(rf'<source src="[^"]*/media/{media.public_id}/mp4" type="video/mp4">', page)
    assert re.search(
        rf'<track kind="captions" srclang="sv" label="Svenska" src="[^"]*/media/'
        rf'{media.public_id}/captions.vtt" default>',
        page,
    )
    assert '"text": "Hej och v\\u00e4lkommen"' in page  # the cue editor's lines
    assert re.search(r"js/captions\.[0-9a-f]{10}\.js", page)


def test_publish_close_and_duplicate_from_the_page(staff_client, question_factory, db_session):
    question = question_factory()

    response = staff_client.post(f"/app/questions/{question.id}/publish")
    assert response.status_code == 303
    page = text(staff_client.get(f"/app/questions/{question.id}"))
    assert "Your question is live" in page
    db_session.refresh(question)
    assert question.is_live

    staff_client.post(f"/app/questions/{question.id}/close")
    db_session.refresh(question)
    assert question.is_closed

    response = staff_client.post(f"/app/questions/{question.id}/duplicate")
    copy = db_session.scalars(sa.select(Question).where(Question.id != question.id)).one()
    assert response.headers["Location"].endswith(f"/app/questions/{copy.id}")
    assert copy.is_draft


def test_publish_without_anything_to_ask_says_why(staff_client, question_factory, db_session):
    question = question_factory(prompt="")

    staff_client.post(f"/app/questions/{question.id}/publish")

    page = text(staff_client.get(f"/app/questions/{question.id}"))
    assert "Record a video or write the question out before publishing it." in page
    db_session.refresh(question)
    assert question.is_draft


def test_a_colleague_may_look_and_duplicate_but_not_publish(
    client, colleague, question_factory, db_session
):
    question = question_factory()
    login(client, colleague)

    page = text(client.get(f"/app/questions/{question.id}"))
    assert "Duplicate" in page and ">Publish<" not in page

    response = client.post(f"/app/questions/{question.id}/publish")
    assert response.status_code == 403
    assert "belongs to Anna Berg" in text(response)
    db_session.refresh(question)
    assert question.is_draft


def test_preview_shows_the_question_as_a_tenant_sees_it(staff_client, question_factory):
    question = question_factory(
        answer_modes=["text", "score", "choice", "video"], choices=["Ja", "Nej, tack"]
    )

    page = text(staff_client.get(f"/app/questions/{question.id}/preview"))

    assert "This is how tenants see the question on a phone" in page
    assert '<html lang="sv">' in page
    assert "<fieldset disabled>" in page
    assert page.count('name="score"') == 10
    assert "Nej, tack" in page
    assert '<textarea id="answer-text"' in page
    assert "Hej! Jag heter Anna." in page


def test_recorder_page(staff_client, organisation, question_factory, db_session):
    organisation.settings = {"max_recording_seconds": 90}
    db_session.commit()
    question = question_factory()

    page = text(staff_client.get(f"/app/questions/{question.id}/video"))

    assert 'data-max-seconds="90"' in page
    assert f'data-attach-url="/app/questions/{question.id}/media"' in page
    assert '<meta name="csrf-token"' in page
    assert re.search(r"js/recorder\.[0-9a-f]{10}\.js", page)
    assert "Hej! Jag heter Anna." in page  # the teleprompter
    assert 'type="file"' in page and ".mov" in page


def test_recorder_page_of_a_live_question_explains(staff_client, question_factory):
    question = question_factory(status=QuestionStatus.LIVE)
    response = staff_client.get(f"/app/questions/{question.id}/video", follow_redirects=True)
    assert "A live or closed question keeps its video" in text(response)


def test_attach_uploaded_media(staff_client, question_factory, media_factory, db_session):
    question = question_factory()
    media = media_factory(MediaStatus.PROCESSING)

    response = staff_client.post(f"/app/questions/{question.id}/media", json={"media_id": media.id})

    assert response.status_code == 200
    assert response.get_json() == {
        "status": "processing",
        "redirect": f"/app/questions/{question.id}",
    }
    db_session.refresh(question)
    assert question.media_id == media.id


def test_attach_refuses_bad_or_foreign_media(staff_client, question_factory, db_session):
    question = question_factory()
    other = OrganisationFactory()
    from tests.questions.conftest import make_media

    foreign = make_media(other.id, MediaStatus.READY)

    response = staff_client.post(
        f"/app/questions/{question.id}/media",
        json={"media_id": foreign.id},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    response = staff_client.post(
        f"/app/questions/{question.id}/media",
        json={"media_id": "one"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    db_session.refresh(question)
    assert question.media_id is None


def test_save_captions_from_the_editor_and_as_text(
    staff_client, question_factory, media_factory, db_session
):
    media = media_factory()
    question = question_factory(media_id=media.id)
    cues = [{"start": 0.5, "end": 3, "text": "Hej!"}, {"start": 3, "end": 5, "text": "Välkommen"}]

    response = staff_client.post(f"/app/questions/{question.id}/captions", json={"cues": cues})

    assert response.status_code == 200
    assert response.get_json()["cues"] == 2
    db_session.refresh(media)
    assert media.captions_vtt == (
        "WEBVTT\n\n00:00:00.500 --> 00:00:03.000\nHej!\n\n"
        "00:00:03.000 --> 00:00:05.000\nVälkommen\n"
    )

    response = staff_client.post(
        f"/app/questions/{question.id}/captions",
        json={"cues": [{"start": 2, "end": 1, "text": "Bakvänt"}]},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422
    assert "ends before it starts" in response.get_json()["error"]["message"]

    response = staff_client.post(
        f"/app/questions/{question.id}/captions",
        data={"vtt": "WEBVTT\n\n00:00:05.000 --> 00:00:01.000\nBakvänt\n"},
        follow_redirects=True,
    )
    assert "Bakvänt" not in (db_session.get(type(media), media.id).captions_vtt or "")
    assert 'class="flash flash-error"' in text(response)
    assert "ends before it starts" in text(response)


def test_another_organisations_question_is_not_found(client, question_factory):
    question = question_factory()
    outsider = UserFactory(organisation=OrganisationFactory(), admin=True)
    login(client, outsider)

    for url in ("", "/edit", "/preview", "/video"):
        assert client.get(f"/app/questions/{question.id}{url}").status_code == 404
    assert client.post(f"/app/questions/{question.id}/publish").status_code == 404
