"""The rules of questions: fields, and the life cycle draft → live → closed."""

from __future__ import annotations

import datetime as dt

import pytest

from media.models import MediaStatus
from panel.core.db import utcnow
from panel.core.errors import Conflict, ValidationError
from panel.questions import service
from panel.questions.models import QuestionStatus
from tests.factories import UserFactory

GOOD = {"title": "Cykelrummet", "prompt": "Vad behöver du?", "answer_modes": ["score", "text"]}


def test_create_makes_a_draft_in_the_organisations_language(scoped, staff):
    question = service.create_question(scoped, staff, GOOD)

    assert question.status == QuestionStatus.DRAFT
    assert question.owner_id == staff.id
    assert question.language == "sv"
    assert question.answer_modes == ["text", "score"]  # stored in a fixed order
    assert question.choices == []


def test_choices_only_kept_for_a_choice_question(scoped, staff):
    question = service.create_question(
        scoped, staff, {**GOOD, "choices": ["Ja", "Nej"], "answer_modes": ["text"]}
    )
    assert question.choices == []
    question = service.create_question(
        scoped, staff, {**GOOD, "choices": [" Ja ", "", "Nej"], "answer_modes": ["choice"]}
    )
    assert question.choices == ["Ja", "Nej"]


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({**GOOD, "answer_modes": ["score", "dance"]}, "answer_modes", "not an answer mode"),
        ({**GOOD, "answer_modes": []}, "answer_modes", "at least one way"),
        ({**GOOD, "answer_modes": "score"}, "answer_modes", "must be a list"),
        ({k: v for k, v in GOOD.items() if k != "answer_modes"}, "answer_modes", "at least one"),
        ({**GOOD, "answer_modes": ["choice"]}, "choices", "at least 2 options"),
        ({**GOOD, "answer_modes": ["choice"], "choices": ["Ja"]}, "choices", "at least 2"),
        ({**GOOD, "answer_modes": ["choice"], "choices": ["Ja", " Ja "]}, "choices", "twice"),
        ({**GOOD, "title": "   "}, "title", "Give the question a title"),
        ({**GOOD, "title": "x" * 201}, "title", "at most 200"),
        ({**GOOD, "language": "de"}, "language", "Choose the language"),
        ({**GOOD, "prompt": "a\x00b"}, "prompt", "NUL"),
    ],
)
def test_bad_fields_are_refused_with_a_message_for_the_field(scoped, staff, values, field, words):
    with pytest.raises(ValidationError) as caught:
        service.create_question(scoped, staff, values)

    assert field in caught.value.details
    assert words in " ".join(str(m) for m in caught.value.details[field])
    assert words in caught.value.message


def test_publish_needs_a_video_or_a_written_prompt(scoped, staff):
    question = service.create_question(scoped, staff, {**GOOD, "prompt": "  "})

    with pytest.raises(Conflict, match="Record a video or write the question out"):
        service.publish_question(scoped, question)
    assert question.status == QuestionStatus.DRAFT


def test_publish_with_a_prompt_goes_live(scoped, staff):
    question = service.create_question(scoped, staff, GOOD)

    service.publish_question(scoped, question)

    assert question.status == QuestionStatus.LIVE
    assert question.published_at is not None
    assert service.accepts_answers(question)
    with pytest.raises(Conflict, match="already live"):
        service.publish_question(scoped, question)


def test_publish_with_a_ready_video_needs_no_prompt(scoped, staff, media_factory):
    question = service.create_question(scoped, staff, {**GOOD, "prompt": ""})
    service.attach_media(scoped, question, media_factory(MediaStatus.READY))

    service.publish_question(scoped, question)

    assert question.is_live


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (MediaStatus.UPLOADED, "still being processed"),
        (MediaStatus.PROCESSING, "still being processed"),
        (MediaStatus.FAILED, "could not be used"),
    ],
)
def test_publish_waits_for_the_video(scoped, staff, media_factory, status, words):
    question = service.create_question(scoped, staff, GOOD)
    service.attach_media(scoped, question, media_factory(status))

    with pytest.raises(Conflict, match=words):
        service.publish_question(scoped, question)
    assert question.is_draft


def test_two_spellings_are_two_options(scoped, staff):
    values = {**GOOD, "answer_modes": ["choice"], "choices": ["Ja", "ja", "Nej"]}
    question = service.create_question(scoped, staff, values)
    assert question.choices == ["Ja", "ja", "Nej"]


def test_a_closing_date_already_past_is_kept_and_takes_no_answers(scoped, staff):
    past = utcnow() - dt.timedelta(hours=1)
    question = service.create_question(scoped, staff, {**GOOD, "closes_at": past})
    assert question.closes_at == past
    question.status = QuestionStatus.LIVE
    assert not service.accepts_answers(question)


def test_publish_refuses_a_closing_date_that_passed(scoped, staff):
    question = service.create_question(scoped, staff, GOOD)
    question.closes_at = utcnow() - dt.timedelta(minutes=1)

    with pytest.raises(Conflict, match="closing date has passed"):
        service.publish_question(scoped, question)


def test_close_is_final(scoped, staff):
    question = service.create_question(scoped, staff, GOOD)
    service.publish_question(scoped, question)

    service.close_question(scoped, question)

    assert question.status == QuestionStatus.CLOSED
    assert question.closed_at is not None
    assert not service.accepts_answers(question)
    with pytest.raises(Conflict, match="already closed"):
        service.close_question(scoped, question)
    with pytest.raises(Conflict, match="closed"):
        service.publish_question(scoped, question)
    with pytest.raises(Conflict, match="can no longer be changed"):
        service.update_question(scoped, question, {"title": "Ny titel"})


def test_a_draft_can_be_closed_too(scoped, staff):
    question = service.create_question(scoped, staff, GOOD)
    service.close_question(scoped, question)
    assert question.is_closed


def test_a_live_question_keeps_its_modes_and_video(scoped, staff, media_factory):
    question = service.create_question(scoped, staff, GOOD)
    service.attach_media(scoped, question, media_factory())
    service.publish_question(scoped, question)

    service.update_question(scoped, question, {"title": "Bättre titel", "prompt": "Ny text"})
    assert question.title == "Bättre titel"

    with pytest.raises(Conflict, match="keeps its language, answer modes") as caught:
        service.update_question(scoped, question, {"answer_modes": ["text"]})
    assert "answer_modes" in caught.value.details
    # Sending the same modes again is no change.
    service.update_question(scoped, question, {"answer_modes": ["score", "text"]})
    with pytest.raises(Conflict, match="Only a draft can get a new video"):
        service.attach_media(scoped, question, media_factory())
    with pytest.raises(Conflict):
        service.remove_media(scoped, question)
    assert question.media is not None


def test_a_live_question_without_video_keeps_its_prompt(scoped, staff):
    question = service.create_question(scoped, staff, GOOD)
    service.publish_question(scoped, question)

    with pytest.raises(Conflict, match="needs a written prompt"):
        service.update_question(scoped, question, {"prompt": ""})


def test_update_checks_choices_against_the_stored_modes(scoped, staff):
    question = service.create_question(
        scoped, staff, {**GOOD, "answer_modes": ["choice"], "choices": ["Ja", "Nej"]}
    )
    with pytest.raises(Conflict, match="at least 2 options") as caught:
        service.update_question(scoped, question, {"choices": ["Ja"]})
    assert caught.value.code == "too_few_options"
    with pytest.raises(ValidationError, match="at least 2 options"):
        service.update_question(scoped, question, {"answer_modes": ["choice"], "choices": ["Ja"]})
    service.update_question(scoped, question, {"answer_modes": ["text"]})
    assert question.choices == []


def test_duplicate_is_a_new_draft_with_the_same_video(scoped, staff, colleague, media_factory):
    question = service.create_question(scoped, staff, GOOD)
    media = media_factory()
    service.attach_media(scoped, question, media)
    service.publish_question(scoped, question)
    service.close_question(scoped, question)

    copy = service.duplicate_question(scoped, question, colleague)

    assert copy.id != question.id
    assert copy.is_draft and copy.owner_id == colleague.id
    assert copy.title == "Cykelrummet (copy)"
    assert copy.media_id == media.id
    assert (copy.prompt, copy.answer_modes) == (question.prompt, question.answer_modes)
    assert copy.published_at is None and copy.closed_at is None


def test_attach_refuses_an_unfinished_upload(scoped, staff, media_factory):
    question = service.create_question(scoped, staff, GOOD)
    with pytest.raises(Conflict, match="has not finished"):
        service.attach_media(scoped, question, media_factory(MediaStatus.PENDING))
    assert question.media_id is None


def test_remove_media_from_a_draft(scoped, staff, media_factory):
    question = service.create_question(scoped, staff, GOOD)
    service.attach_media(scoped, question, media_factory(MediaStatus.FAILED))
    service.remove_media(scoped, question)
    assert question.media_id is None


def test_close_due_questions(scoped, staff):
    due = service.create_question(scoped, staff, GOOD)
    later = service.create_question(scoped, staff, GOOD)
    for question in (due, later):
        service.publish_question(scoped, question)
    due.closes_at = utcnow() - dt.timedelta(seconds=1)
    later.closes_at = utcnow() + dt.timedelta(days=1)
    assert not service.accepts_answers(due)

    assert service.close_due_questions(scoped) == 1
    assert due.is_closed and later.is_live


def test_who_may_change_a_question(scoped, organisation, staff, colleague, admin):
    question = service.create_question(scoped, staff, GOOD)
    communicator = UserFactory(organisation=organisation, communicator=True)

    assert service.can_edit(staff, question)
    assert service.can_edit(admin, question)
    assert service.can_edit(communicator, question)
    assert not service.can_edit(colleague, question)


def test_max_recording_seconds_comes_from_the_organisation(organisation):
    assert service.max_recording_seconds(organisation) == 120
    organisation.settings = {"max_recording_seconds": 90}
    assert service.max_recording_seconds(organisation) == 90
    organisation.settings = {"max_recording_seconds": "lots"}
    assert service.max_recording_seconds(organisation) == 120


def test_the_periodic_task_closes_questions_past_their_date(app, db_session, scoped, staff):
    """beat's close_due task closes a live question whose closing date has passed, once."""
    import datetime as dt

    from panel.core.db import utcnow
    from panel.questions.models import Question, QuestionStatus
    from panel.questions.tasks import close_due

    question = Question(
        owner_id=staff.id,
        title="Tvättstugan",
        prompt="Hur fungerar tvättstugan?",
        language="sv",
        answer_modes=["text"],
        choices=[],
        status=QuestionStatus.LIVE,
        closes_at=utcnow() - dt.timedelta(minutes=1),
    )
    scoped.add(question)
    scoped.commit()

    assert app.extensions["celery"].tasks[close_due.name].apply().result == 1
    scoped.refresh(question)
    assert question.status == QuestionStatus.CLOSED
    assert app.extensions["celery"].tasks[close_due.name].apply().result == 0
