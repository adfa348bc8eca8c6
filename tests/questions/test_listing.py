"""The two list views made cheaper for the benchmark still say the same: the counts, the
owners, the answer modes in the reader's language, and each clip's state in the API."""

from __future__ import annotations

from media.models import MediaStatus
from panel.questions.models import Question, QuestionStatus
from panel.questions.schemas import MediaSchema
from panel.questions.service import status_counts, status_counts_with_everyone
from tests.factories import api_headers
from tests.questions.conftest import make_media


def test_one_query_counts_mine_and_everyone_s(scoped, staff, colleague, question_factory):
    question_factory(staff, status=QuestionStatus.LIVE)
    question_factory(staff)
    question_factory(colleague, status=QuestionStatus.CLOSED)
    question_factory(colleague, status=QuestionStatus.LIVE)

    mine, everyone = status_counts_with_everyone(scoped, staff.id)
    every, total = status_counts_with_everyone(scoped)

    assert mine == {"draft": 1, "live": 1, "closed": 0, "all": 2}
    assert every == {"draft": 1, "live": 2, "closed": 1, "all": 4} == status_counts(scoped)
    assert everyone == total == 4


def test_the_page_s_one_statement_counts_as_the_count_query_does(
    scoped, staff, colleague, question_factory
):
    """The page reads its counts with its list; filtered to nothing, the list is empty and
    the counts are still right."""
    from panel.questions.listing import list_page, list_statement

    question_factory(staff, status=QuestionStatus.LIVE)
    question_factory(staff)
    question_factory(colleague, status=QuestionStatus.CLOSED)
    question_factory(colleague, status=QuestionStatus.LIVE)
    page = list_statement(page=True).order_by(Question.id.desc())

    for owner_id in (None, staff.id, colleague.id):
        records, more, counts, everyone = list_page(scoped, page, limit=3, owner_id=owner_id)
        assert (counts, everyone) == status_counts_with_everyone(scoped, owner_id)
        assert len(records) == 3 and more
    nothing = page.where(Question.status == QuestionStatus.CLOSED, Question.owner_id == staff.id)
    records, more, counts, everyone = list_page(scoped, nothing, limit=3, owner_id=staff.id)
    assert (records, more) == ([], False)
    assert (counts, everyone) == ({"draft": 1, "live": 1, "closed": 0, "all": 2}, 4)
    first = list_page(scoped, page, limit=1, owner_id=None)[0][0]
    assert first.owner_name == colleague.display_name and first.title


def test_the_list_page_shows_owners_and_modes_in_the_reader_s_language(
    staff_client, staff, colleague, question_factory, db_session
):
    staff.locale = "sv"
    db_session.commit()
    question_factory(colleague, answer_modes=["score", "choice", "audio"], choices=["Ja", "Nej"])
    question_factory(staff, answer_modes=["text", "video"])

    page = staff_client.get("/app/questions").get_data(as_text=True)

    assert "Olle Ek" in page and "Anna Berg" in page
    for label in ("Betyg 1–10", "Flerval", "Röstmeddelande", "Skriftligt svar", "Videoklipp"):
        assert label in page, label


def test_the_api_gives_each_clip_as_its_schema_says(client, staff, question_factory, organisation):
    ready = make_media(organisation.id, captions_vtt="WEBVTT\n\n00:00.000 --> 00:02.000\nHej!\n")
    waiting = make_media(organisation.id, status=MediaStatus.PROCESSING)
    question_factory(staff, media_id=ready.id)
    question_factory(staff, media_id=waiting.id)
    question_factory(staff)

    body = client.get("/api/v1/questions/", headers=api_headers(staff)).get_json()

    clips = [item["media"] for item in body["items"]]
    assert clips[2] is None
    for clip in clips[:2]:
        assert clip == MediaSchema().dump(clip)
        assert set(clip) == set(MediaSchema().fields)
    assert clips[0]["status"] == "ready" and set(clips[0]["urls"]) == {
        "mp4",
        "poster",
        "audio",
        "vtt",
    }
    assert clips[1] == {**clips[1], "status": "processing", "urls": {}}


def test_the_hand_written_dump_equals_the_schema(scoped, staff, question_factory, media_factory):
    """The list API dumps questions by hand for speed; it must say exactly what the schema
    says, for questions in every state, with and without a clip in every state."""
    from panel.core.db import utcnow
    from panel.questions.schemas import QuestionSchema, dump_question

    questions = [
        question_factory(staff),
        question_factory(
            staff,
            status=QuestionStatus.LIVE,
            published_at=utcnow(),
            closes_at=utcnow().replace(year=utcnow().year + 1),
            answer_modes=["choice", "text"],
            choices=["Ja, gärna", "Nej tack"],
            media_id=media_factory(captions_vtt="WEBVTT\n\n00:00.000 --> 00:01.000\nHej\n").id,
        ),
        question_factory(staff, media_id=media_factory(MediaStatus.PROCESSING, progress=40).id),
        question_factory(
            staff,
            status=QuestionStatus.CLOSED,
            closed_at=utcnow(),
            media_id=media_factory(MediaStatus.FAILED, error="Inte en video.").id,
        ),
    ]
    from panel.questions.listing import list_questions, list_statement

    schema = QuestionSchema()
    listed, more = list_questions(scoped, list_statement().order_by(Question.id), limit=10)
    assert not more and [q.id for q in listed] == [q.id for q in questions]
    for question, record in zip(questions, listed, strict=True):
        scoped.refresh(question)
        assert dump_question(question) == schema.dump(question) == dump_question(record)


def test_records_are_filled_by_position_in_column_order():
    from dataclasses import fields

    from panel.questions.listing import CLIP_COLUMNS, QUESTION_COLUMNS, ListedClip, ListedQuestion

    for record, columns in ((ListedQuestion, QUESTION_COLUMNS), (ListedClip, CLIP_COLUMNS)):
        assert tuple(f.name for f in fields(record))[: len(columns)] == columns
