"""What follows an answer happens after its commit: the asker's notice is not written in the
tenant's request but by a task, once; a task lost with the broker is made up for by the sweep.
"""

from __future__ import annotations

import sqlalchemy as sa

from panel.answers import arrival
from panel.answers.service import Consent, Given, record_answer
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from panel.threads.models import Thread
from tests.conftest import free_port
from tests.factories import UserFactory, system_session
from tests.questions.conftest import make_question
from tests.threads.conftest import outbox

TEXT = (
    "Hissen i trappuppgång B har stått still sedan i måndags. Min granne på femte våningen "
    "går med rollator och kommer inte ut. Kan ni skicka någon i dag? /Zeynep Yılmaz"
)


def _answer(session, question, text: str = TEXT, **values):
    with scoped_to(session, question.organisation_id):
        recorded = record_answer(
            session,
            question,
            Given(text=text, consent=Consent(identity=True, quote=True)),
            channel="web",
            language="sv",
            **values,
        )
    return recorded.answer


def _thread(session, answer_id: int) -> Thread:
    session.expire_all()
    query = sa.select(Thread).where(Thread.answer_id == answer_id)
    return session.scalar(query.execution_options(all_organisations=True))


def test_the_asker_is_told_after_the_answer_commits_not_in_its_request(db_session, staff, question):
    answer = _answer(db_session, question)
    db_session.flush()

    # The tenant's transaction holds the answer and its thread, and no e-mail yet...
    assert outbox(db_session, purpose="thread-notice") == []
    assert _thread(db_session, answer.id).owner_told is False
    db_session.commit()

    # ...which the task after the commit writes (run at once, as the embedded default does).
    [notice] = outbox(db_session, purpose="thread-notice")
    assert notice.recipient == staff.email
    assert "Min granne på femte våningen" in notice.body_text
    assert _thread(db_session, answer.id).owner_told is True


def test_the_task_run_again_tells_nobody_twice(db_session, staff, question):
    answer = _answer(db_session, question)
    db_session.commit()

    for _ in range(2):  # the broker delivering it again, the sweep arriving meanwhile
        with scoped_to(db_session, question.organisation_id):
            assert arrival.follow(db_session, answer.id) is True
            db_session.commit()

    assert [n.recipient for n in outbox(db_session, purpose="thread-notice")] == [staff.email]


def test_with_the_broker_down_the_sweep_tells_the_asker_once(make_app, database_factory):
    # An app on a database of its own whose broker is a port nobody listens on: the answer
    # commits, the task after it never reaches a worker.
    app = make_app(
        database_url=database_factory(),
        broker_url=f"redis://127.0.0.1:{free_port()}/0",
        redis_url="memory://",
    )
    assert "stoop.executor" not in app.extensions
    with app.app_context():
        session = system_session()
        asker = UserFactory(name="Anna Berg", email="anna.berg@angsbacken.example.se")
        question = make_question(
            asker,
            title="Hur fungerar hissen i ditt hus?",
            status=QuestionStatus.LIVE,
            published_at=utcnow(),
            answer_modes=["text"],
        )
        answer = _answer(session, question)
        session.commit()  # the broker refuses the task; the commit stands
        assert _thread(session, answer.id).owner_told is False
        assert outbox(session, purpose="thread-notice") == []

        assert arrival.follow_missed(session) == 0  # the task still has its grace
        later = utcnow() + arrival.GRACE * 2
        assert arrival.follow_missed(session, later) == 1

        [notice] = outbox(session, purpose="thread-notice")
        assert notice.recipient == "anna.berg@angsbacken.example.se"
        assert "Kan ni skicka någon i dag?" in notice.body_text
        assert arrival.follow_missed(session, later) == 0  # told once
        assert len(outbox(session, purpose="thread-notice")) == 1


def test_a_digest_reader_is_not_mailed_but_the_thread_is_marked_told(
    db_session, organisation, question
):
    reader = UserFactory(organisation=organisation, notify_mode="digest")
    question.owner_id = reader.id
    db_session.commit()

    answer = _answer(db_session, question)
    db_session.commit()

    assert outbox(db_session, purpose="thread-notice") == []
    assert _thread(db_session, answer.id).owner_told is True  # the sweep leaves it alone
    assert arrival.untold(db_session, utcnow() + arrival.GRACE * 2) == []
