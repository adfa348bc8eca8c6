"""The demo seed's questions: one in every state, with real processed videos."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa

from media.models import MediaStatus
from panel.questions.demo import seed_demo_questions
from panel.questions.models import Question

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")


def test_demo_questions_in_every_state_with_real_videos(db_session, organisation, staff):
    made = seed_demo_questions(db_session, organisation)
    db_session.commit()

    by_title = {q.title: q for q in made}
    assert {q.status.value for q in made} == {"draft", "live", "closed"}
    live = by_title["Hur trivs du i ditt trapphus?"]
    assert live.is_live and live.owner_id == staff.id
    assert live.media.status == MediaStatus.READY
    assert 5 <= live.media.duration_seconds <= 10.5
    assert (live.media.width, live.media.height) == (1280, 720)
    assert set(live.media.renditions) == {"mp4", "poster", "audio"}
    assert live.media.captions_vtt.startswith("WEBVTT")
    assert by_title["Tvättstugans nya tider"].is_closed
    assert by_title["Cykelrummet på Storgatan"].media is None
    refused = by_title["Gårdsfesten i juni"]
    assert refused.is_draft and refused.media.status == MediaStatus.FAILED
    assert "not a video" in refused.media.error
    evening = by_title["Tryggheten i området på kvällen"]
    assert evening.is_live and evening.media is None and evening.prompt
    assert db_session.scalar(sa.select(sa.func.count(Question.id))) == 5
