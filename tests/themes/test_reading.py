"""Reading answers: every stored answer with words is read on the speech queue (embedding and
sentiment), again when its clip's transcript changes, never twice for the same words; a new
answer joins the nearest theme of its question and of its touchpoint; finding themes again
keeps what a communicator did by hand; the sweep queues the answers whose reading was lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from media import transcribe
from media.models import MediaFile
from panel.answers.models import Answer
from panel.answers.service import Given, record_answer
from panel.core.scoping import scoped_to
from panel.themes import analysis, service
from panel.themes.embeddings import MODEL_NAME, from_bytes
from panel.themes.scopes import of_question, of_report, of_touchpoint
from panel.themes.tasks import analyse_missed
from tests.questions.conftest import make_media
from tests.themes.conftest import (
    CORPUS,
    CachedEmbedder,
    analysis_of,
    placements,
    reading_settings,
    sample,
    theme_of_topic,
    themes,
    topic_of,
)

LIFT_SV = "Hissen i vårt hus har varit trasig i tre veckor, vi bär matkassarna sju trappor."


def test_a_stored_answer_is_read_after_the_commit(
    db_session: Session, organisation: Any, question: Any, reading: Any
) -> None:
    with scoped_to(db_session, organisation.id):
        recorded = record_answer(
            db_session, question, Given(text=LIFT_SV, score=3), channel="web", language="sv"
        )
        assert analysis_of(db_session, recorded.answer.id) is None, "not before the commit"
        db_session.commit()

    row = analysis_of(db_session, recorded.answer.id)
    assert row is not None and row.embedding_model == MODEL_NAME
    assert from_bytes(row.embedding).shape == (384,)
    assert row.sentiment == "negative" and row.sentiment_model == "vader-swedish 1.0.3"
    assert row.text_hash == analysis.text_hash(LIFT_SV)


def test_a_score_alone_is_not_read(
    db_session: Session, organisation: Any, question: Any, reading: Any
) -> None:
    with scoped_to(db_session, organisation.id):
        recorded = record_answer(db_session, question, Given(score=9), channel="web", language="sv")
        db_session.commit()

    assert analysis_of(db_session, recorded.answer.id) is None


def test_the_same_words_are_not_read_twice(
    app: Flask, db_session: Session, organisation: Any, question: Any, record: Any
) -> None:
    [answer] = record(question, [CORPUS[3]])
    first = analysis_of(db_session, answer.id).updated_at

    with scoped_to(db_session, organisation.id):
        again = analysis.analyse(db_session, answer.id, settings=reading_settings(app))

    assert again is False
    assert analysis_of(db_session, answer.id).updated_at == first


def test_a_corrected_transcript_is_read_again_as_the_answers_words(
    db_session: Session, organisation: Any, question: Any, reading: Any
) -> None:
    media = make_media(organisation.id, transcript="Hej.", transcript_state="draft")
    with scoped_to(db_session, organisation.id):
        recorded = record_answer(
            db_session,
            question,
            Given(clip_kind="audio"),
            channel="web",
            language="sv",
            media_id=media.id,
        )
        db_session.commit()
    before = analysis_of(db_session, recorded.answer.id)
    assert before is not None and before.text_hash == analysis.text_hash("Hej.")

    with scoped_to(db_session, organisation.id):
        clip = db_session.get(MediaFile, media.id)
        transcribe.correct(
            clip,
            "Tvättstugan är smutsig och maskinerna är trasiga.",
            user_id=None,
            session=db_session,
        )
        db_session.commit()

    after = analysis_of(db_session, recorded.answer.id)
    assert after.text_hash == analysis.text_hash(
        "Tvättstugan är smutsig och maskinerna är trasiga."
    )
    assert after.sentiment == "negative" and after.embedding is not None


def found_themes(db_session: Session, organisation: Any, scope: Any) -> service.Found:
    with scoped_to(db_session, organisation.id):
        found = service.find_themes(db_session, scope)
        db_session.commit()
    return found


def test_a_new_answer_joins_the_nearest_theme_as_it_arrives(
    app: Flask,
    db_session: Session,
    organisation: Any,
    question: Any,
    record: Any,
    embedder: CachedEmbedder,
) -> None:
    record(question, sample(25))
    found_themes(db_session, organisation, of_question(question.id))
    rent = theme_of_topic(db_session, question.id, "rent")
    centroid_before = rent.centroid

    [late] = record(question, [next(m for m in reversed(CORPUS) if m.topic == "rent")])

    placement = placements(db_session, "question", question.id)[late.id]
    assert placement.theme_id == rent.id and not placement.by_hand
    assert placement.similarity is not None and placement.similarity > 0
    db_session.refresh(rent)
    assert rent.centroid != centroid_before, "the theme's centre follows its new answer"


def test_an_answer_through_a_touchpoint_joins_the_touchpoints_themes_too(
    db_session: Session,
    organisation: Any,
    question: Any,
    record: Any,
    touchpoint_factory: Any,
) -> None:
    touchpoint = touchpoint_factory()
    record(question, sample(25), touchpoint_id=touchpoint.id)
    found_themes(db_session, organisation, of_touchpoint(touchpoint.id))
    found_themes(db_session, organisation, of_question(question.id))

    [late] = record(
        question,
        [next(m for m in reversed(CORPUS) if m.topic == "rent")],
        touchpoint_id=touchpoint.id,
    )

    by_question = placements(db_session, "question", question.id)[late.id]
    by_touchpoint = placements(db_session, "touchpoint", touchpoint.id)[late.id]
    assert by_question.theme_id == theme_of_topic(db_session, question.id, "rent").id
    assert by_touchpoint.theme_id != by_question.theme_id, "each scope has themes of its own"
    touchpoint_themes = {t.id: t for t in themes(db_session, "touchpoint", touchpoint.id)}
    assert "rent" in touchpoint_themes[by_touchpoint.theme_id].keywords


def test_finding_themes_again_keeps_names_and_answers_placed_by_hand(
    db_session: Session, organisation: Any, question: Any, record: Any
) -> None:
    answers = record(question, sample(25))
    scope = of_question(question.id)
    found_themes(db_session, organisation, scope)
    rent = theme_of_topic(db_session, question.id, "rent")
    noisy = theme_of_topic(db_session, question.id, "noise")
    stray = next(a for a in answers if topic_of(a.text) == "lift")
    with scoped_to(db_session, organisation.id):
        service.rename(db_session, scope, rent.id, "Hyran")
        service.move(db_session, scope, stray.id, noisy.id)
        db_session.commit()

    record(question, sample(4, start=300))
    found = found_themes(db_session, organisation, scope)

    assert found.kept_by_hand == 1
    named = [t for t in themes(db_session, "question", question.id) if t.label == "Hyran"]
    assert len(named) == 1 and named[0].named_by_hand
    assert theme_of_topic(db_session, question.id, "rent").id == named[0].id
    placement = placements(db_session, "question", question.id)[stray.id]
    assert placement.theme_id == noisy.id and placement.by_hand


def test_too_few_answers_make_no_themes(
    db_session: Session, organisation: Any, question: Any, record: Any
) -> None:
    record(question, CORPUS[:5])

    with scoped_to(db_session, organisation.id), pytest.raises(service.TooFewAnswers) as refused:
        service.find_themes(db_session, of_question(question.id))

    assert "at least 10 answers" in refused.value.message
    assert "5 have been read" in refused.value.message


def test_the_sweep_queues_answers_whose_reading_was_lost(
    app: Flask, db_session: Session, organisation: Any, question: Any, reading: Any, record: Any
) -> None:
    [lost] = record(question, [CORPUS[7]], read=False)
    with scoped_to(db_session, organisation.id):
        db_session.execute(
            sa.delete(analysis.AnswerAnalysis).where(analysis.AnswerAnalysis.answer_id == lost.id)
        )
        db_session.execute(
            sa.update(Answer)
            .where(Answer.id == lost.id)
            .values(created_at=lost.created_at - dt.timedelta(hours=1))
        )
        db_session.commit()
    assert analysis_of(db_session, lost.id) is None

    # This app's own task (the shared proxy would take the newest app of the process).
    queued = app.extensions["celery"].tasks[analyse_missed.name].apply().result

    assert queued >= 1  # other tests' committed answers may be waiting too
    assert analysis_of(db_session, lost.id).embedding_model == MODEL_NAME


def test_a_report_finds_themes_in_the_answers_it_is_given(
    db_session: Session, organisation: Any, question: Any, record: Any
) -> None:
    answers = record(question, sample(5))
    chosen = [answer.id for answer in answers[:20]]

    found = found_themes(db_session, organisation, of_report(4711, chosen))

    assert found.answers == 20 and found.themes >= 2
    assert set(placements(db_session, "report", 4711)) == set(chosen)
    assert not placements(db_session, "question", question.id), "the question's are apart"
