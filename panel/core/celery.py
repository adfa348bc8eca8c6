"""Celery wired to the app: a task base that enters the app context, enqueue after commit,
and the embedded default that runs tasks in a thread pool of the web process.

Tasks are only ever enqueued through :func:`enqueue_after_commit`, so a task never runs for
work whose transaction rolled back, and never starts before its rows are visible.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from celery import Celery, Task
from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from panel.core.config import Settings
from panel.core.ops.metrics import ENQUEUE_FAILURES

log = logging.getLogger(__name__)

SPEECH_QUEUE = "speech"  # transcripts, translations, themes: ``stoop worker -Q speech``

PENDING_KEY = "stoop.pending_tasks"
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}


def celery_init_app(
    app: Flask,
    settings: Settings,
    *,
    task_modules: list[str],
    beat_schedule: dict[str, dict[str, Any]],
) -> Celery:
    """Create the Celery app for this Flask app and keep it in ``app.extensions``.

    ``task_modules`` are imported here, in every process (web, worker, beat, CLI): a task is
    registered by importing its module, and a web process that never did could neither run a
    periodic job in the embedded default nor look a task up by name.
    """

    class FlaskTask(Task):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            with app.app_context():
                return self.run(*args, **kwargs)

    celery = Celery(app.import_name, task_cls=FlaskTask)
    celery.conf.update(
        broker_url=settings.broker_url or "memory://",
        task_serializer="json",
        accept_content=["json"],
        result_serializer="json",
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        # A request that publishes to a dead broker fails fast instead of hanging: one quick
        # retry (a pooled connection gone stale after a broker restart), short socket timeouts.
        # The rows are the truth; the periodic sweeps pick up what was not enqueued.
        task_publish_retry_policy=PUBLISH_RETRY_POLICY,
        broker_connection_timeout=2,
        # Redis redelivers an unacknowledged task only after the visibility timeout; keep it
        # longer than the longest task (a transcode) but far below kombu's one-hour default.
        broker_transport_options={
            "visibility_timeout": 900,
            "unacked_restore_interval": 30,
            "socket_connect_timeout": 2,
            "socket_timeout": 2,
        },
        timezone="UTC",
        include=task_modules,
        beat_schedule=beat_schedule,
    )
    celery.set_default()
    app.extensions["celery"] = celery
    for module in task_modules:
        importlib.import_module(module)
    if not settings.broker_url:
        app.extensions["stoop.executor"] = InProcessExecutor(inline=settings.tasks_inline)
        if not settings.tasks_inline:
            _start_in_process_beat_on_first_request(app, celery)
    return celery


def _start_in_process_beat_on_first_request(app: Flask, celery: Celery) -> None:
    """Without a broker there is no ``beat`` process: a serving process runs the periodic jobs
    itself (at start, so queued rows left by a restart are picked up, then on schedule). CLI
    commands never serve a request, so they never start it."""
    started = threading.Event()

    @app.before_request
    def _start_beat() -> None:
        if started.is_set():
            return
        started.set()
        schedule = InProcessSchedule(app, celery)
        threading.Thread(target=schedule.run, name="stoop-beat", daemon=True).start()


class InProcessSchedule:
    """The embedded default's beat: every periodic job of every room, on its interval."""

    def __init__(self, app: Flask, celery: Celery) -> None:
        self.app = app
        self.celery = celery
        self.entries = [
            (entry["task"], float(entry["schedule"]))
            for entry in celery.conf.beat_schedule.values()
        ]
        self.next_run = {name: 0.0 for name, _ in self.entries}

    def tick(self, now: float) -> list[str]:
        """Start every job that is due at ``now`` (monotonic seconds); returns their names."""
        started = []
        for name, every in self.entries:
            if now < self.next_run[name]:
                continue
            self.next_run[name] = now + every
            with self.app.app_context():
                try:
                    dispatch(self.celery.tasks[name])
                except RuntimeError:
                    raise  # the interpreter is shutting down: no new work
                except Exception:  # a failing job must not stop the schedule
                    log.exception("periodic task %s could not start", name)
                    continue
            started.append(name)
        return started

    def run(self) -> None:
        """Tick once a second, for as long as the process lives."""
        while True:
            try:
                self.tick(time.monotonic())
            except RuntimeError:
                return
            time.sleep(1.0)


class InProcessExecutor:
    """The embedded default: tasks run in a small thread pool of this process.

    With ``inline`` they run synchronously right after the commit (deterministic tests).
    """

    def __init__(self, inline: bool = False, workers: int = 4) -> None:
        self.inline = inline
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="stoop-task")
        # Speech and language work has a thread of its own, as it has a queue of its own with a
        # broker: a burst of transcripts waits there and never holds up a send.
        self._speech = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stoop-speech")
        self._futures: set[Future[Any]] = set()

    def submit(self, task: Task, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if self.inline:
            self._run(task, args, kwargs)
            return
        pool = self._speech if getattr(task, "queue", None) == SPEECH_QUEUE else self._pool
        future = pool.submit(self._run, task, args, kwargs)
        self._futures.add(future)
        future.add_done_callback(self._futures.discard)

    @staticmethod
    def _run(task: Task, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        result = task.apply(args=args, kwargs=kwargs)
        if result.failed():
            log.error("task %s failed: %r", task.name, result.result)

    def drain(self, timeout: float = 30.0) -> None:
        """Wait for every task submitted so far (tests, and a clean shutdown)."""
        for future in list(self._futures):
            future.result(timeout=timeout)


def dispatch(task: Task, *args: Any, **kwargs: Any) -> None:
    """Hand a task to the broker, or to the in-process executor when there is none."""
    # A shared_task proxy resolves to the newest Celery app of the process; with several Flask
    # apps (tests, scripts) take this app's own task, so it runs in this app's context and broker.
    task = current_app.extensions["celery"].tasks.get(task.name, task)
    executor: InProcessExecutor | None = current_app.extensions.get("stoop.executor")
    if executor is None:
        task.apply_async(args=args, kwargs=kwargs)
    else:
        executor.submit(task, args, kwargs)


def enqueue_after_commit(session: Session, task: Task, *args: Any, **kwargs: Any) -> None:
    """Run ``task(*args, **kwargs)`` once the session's current transaction commits.

    Nothing runs if it rolls back; a task queued inside a savepoint that rolls back is dropped
    while the outer transaction's tasks survive.
    """
    txn = session.get_nested_transaction() or session.get_transaction()
    if txn is None:
        txn = session.begin()
    session.info.setdefault(PENDING_KEY, []).append((txn, task, args, kwargs))


def _descends_from(txn: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while txn is not None:
        if txn is ancestor:
            return True
        txn = txn.parent
    return False


@event.listens_for(Session, "after_commit")
def _dispatch_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a released savepoint also fires after_commit; its tasks wait for the real one
    pending = session.info.pop(PENDING_KEY, [])
    for _txn, task, args, kwargs in pending:
        try:
            dispatch(task, *args, **kwargs)
        except Exception:  # the commit stands whatever the broker says
            # The work is committed and the periodic sweeps find rows whose task never ran,
            # so a broker outage must not turn a committed request into an error.
            ENQUEUE_FAILURES.labels(task.name).inc()
            log.exception(
                "could not enqueue %s%r after commit; the periodic sweep will pick it up",
                task.name,
                args,
            )


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(PENDING_KEY)
    if pending:
        session.info[PENDING_KEY] = [
            entry for entry in pending if not _descends_from(entry[0], previous_transaction)
        ]


@event.listens_for(Session, "after_transaction_end")
def _forget_on_close(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and not transaction.nested:
        session.info.pop(PENDING_KEY, None)


def task_names(celery: Celery) -> list[str]:
    """Our own registered task names (for the worker's start-up log and tests)."""
    return sorted(name for name in celery.tasks if not name.startswith("celery."))
