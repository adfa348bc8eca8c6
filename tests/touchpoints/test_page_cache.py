"""The touchpoint page is kept ready for a short while: the second visit is served without
drawing it again, yet every visitor gets a form key of their own, every visit is counted, the
language asked for gets its own page, and an answer to a question closed meanwhile is still
refused by the POST."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from panel.answers.models import Answer
from panel.core.cache import cache
from panel.questions.models import QuestionStatus
from tests.factories import system_session
from touchpoints.models import FunnelCount

SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')
LONG_AGO = __import__("datetime").date(2020, 1, 1)


@pytest.fixture
def keeping(app, monkeypatch):
    monkeypatch.setattr(app.config["STOOP"], "page_cache_seconds", 30)
    cache().clear()
    yield
    cache().clear()


def test_a_kept_page_still_counts_and_keys_each_visit(
    client, keeping, touchpoint_factory, live_question, scoped
):
    touchpoint = touchpoint_factory(schedule=[(live_question.id, LONG_AGO)])
    url = f"/t/{touchpoint.slug}?src=qr"
    title = live_question.title
    first = client.get(url, headers={"Accept-Language": "sv"}).get_data(as_text=True)
    # Staff rename the question: the kept page does not show it yet...
    question = scoped.merge(live_question)
    question.title = "Ny rubrik som ännu inte syns"
    scoped.commit()
    second = client.get(url, headers={"Accept-Language": "sv"}).get_data(as_text=True)
    assert "Ny rubrik" not in second and title in second
    # ...another language gets its own page, drawn now.
    english = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Ny rubrik som ännu inte syns" in english and "Send my answer" in english
    keys = {SUBMISSION.search(page).group(1) for page in (first, second, english)}
    assert len(keys) == 3 and "@@" not in second
    session = system_session()
    session.expire_all()
    views = session.scalar(
        sa.select(FunnelCount.count).where(
            FunnelCount.touchpoint_id == touchpoint.id, FunnelCount.event == "view"
        )
    )
    assert views == 3


def test_an_answer_to_a_question_closed_meanwhile_is_refused(
    client, keeping, touchpoint_factory, live_question, scoped
):
    touchpoint = touchpoint_factory(schedule=[(live_question.id, LONG_AGO)])
    url = f"/t/{touchpoint.slug}"
    client.get(url)
    question = scoped.merge(live_question)
    question.status = QuestionStatus.CLOSED
    scoped.commit()
    page = client.get(url).get_data(as_text=True)  # still the kept page, with its form
    (key,) = SUBMISSION.findall(page)
    refused = client.post(url, data={"submission": key, "score": "7"})
    assert refused.status_code == 409
    assert system_session().scalar(sa.select(sa.func.count(Answer.id))) == 0
