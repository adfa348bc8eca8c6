"""Tasks start only after the transaction that created their work commits.

A throwaway task defined here records its calls in a list; the app under test runs tasks
inline right after the commit, so what the list holds is what was dispatched.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from celery import shared_task
from flask import Flask, current_app
from sqlalchemy.orm import Session

from panel.core.celery import enqueue_after_commit

CALLS: list[tuple[str, Any]] = []


@shared_task(name="tests.test_tasks_after_commit.record", bind=True, acks_late=True)
def record(self: Any, value: str) -> None:
    """Note the call, and which Flask app's context the task ran in."""
    CALLS.append((value, current_app._get_current_object()))


@pytest.fixture(autouse=True)
def calls() -> Iterator[list[tuple[str, Any]]]:
    CALLS.clear()
    yield CALLS
    CALLS.clear()


def values() -> list[str]:
    return [value for value, _app in CALLS]


def test_commit_runs_the_task(db_session: Session) -> None:
    enqueue_after_commit(db_session, record, "hello")
    assert values() == []  # nothing before the commit

    db_session.commit()

    assert values() == ["hello"]


def test_rollback_drops_the_task(db_session: Session) -> None:
    enqueue_after_commit(db_session, record, "never")

    db_session.rollback()
    db_session.commit()  # a later commit does not bring it back

    assert values() == []


def test_a_rolled_back_savepoint_drops_only_its_own_tasks(db_session: Session) -> None:
    enqueue_after_commit(db_session, record, "outer")
    savepoint = db_session.begin_nested()
    enqueue_after_commit(db_session, record, "inner")
    savepoint.rollback()

    db_session.commit()

    assert values() == ["outer"]


def test_a_released_savepoint_waits_for_the_outer_commit(db_session: Session) -> None:
    enqueue_after_commit(db_session, record, "outer")
    with db_session.begin_nested():
        enqueue_after_commit(db_session, record, "inner")
    assert values() == []  # releasing a savepoint is not a commit

    db_session.commit()

    assert values() == ["outer", "inner"]


def test_closing_without_commit_drops_the_task(db_session: Session) -> None:
    enqueue_after_commit(db_session, record, "abandoned")

    db_session.close()
    db_session.commit()

    assert values() == []


def test_each_commit_runs_only_its_own_tasks(db_session: Session) -> None:
    enqueue_after_commit(db_session, record, "first")
    db_session.commit()
    enqueue_after_commit(db_session, record, "second")
    db_session.commit()
    db_session.commit()

    assert values() == ["first", "second"]


def test_the_task_runs_in_the_app_that_enqueued_it(
    app: Flask, db_session: Session, make_app: Callable[..., Flask]
) -> None:
    make_app()  # another app (and Celery app) created later must not capture the task

    enqueue_after_commit(db_session, record, "mine")
    db_session.commit()

    assert [("mine", app)] == CALLS
