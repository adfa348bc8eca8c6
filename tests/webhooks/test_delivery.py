"""Delivering webhooks to a real receiver on loopback: signed as docs/webhooks.md says,
retried until a 2xx, logged attempt by attempt, never sent again once delivered, and switched
off (with an e-mail to the admins) when they keep failing."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from panel.core.db import utcnow
from panel.core.extensions import db
from panel.core.scoping import scoped_to
from panel.webhooks import delivery, health
from panel.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery
from tests.factories import OrganisationFactory, UserFactory
from tests.webhooks.conftest import (
    emit_and_commit,
    fresh,
    make_webhook,
    sweep,
    sweep_until_quiet,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"
ANSWER = {"answer": {"id": 1, "text": "Tvättstugan är för liten – och dörren kärvar."}}


def documented_recipe() -> Any:
    """The receiver's verification function, exactly as docs/webhooks.md shows it: the test
    reads the doc's first Python block under "Verifying a delivery" and runs it."""
    section = DOC.read_text(encoding="utf-8").split("## Verifying a delivery", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code, "docs/webhooks.md lost its verification recipe"
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)  # noqa: S102 - our own documentation, run as a receiver would
    return namespace["verify_stoop_signature"]


def deliveries(db_session: Any) -> list[WebhookDelivery]:
    db_session.expire_all()
    return list(db_session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def attempts_of(db_session: Any, delivery_id: int) -> list[WebhookAttempt]:
    db_session.expire_all()
    query = sa.select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery_id)
    return list(db_session.scalars(query.order_by(WebhookAttempt.id)))


def test_a_delivery_is_signed_as_the_documentation_says(db_session, admin, webhook, receiver):
    verify = documented_recipe()
    emit_and_commit(db_session, admin.organisation_id, "answer.created", ANSWER)

    [got] = receiver.requests
    secret = webhook.test_secret
    assert got.path == "/hooks/stoop?from=stoop"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"] == "Stoop-Webhooks/1"
    assert got.headers["Stoop-Event"] == "answer.created"
    body = json.loads(got.body)
    assert got.headers["Stoop-Delivery"] == body["id"]
    assert body["event"] == "answer.created" and body["data"] == ANSWER
    assert dt.datetime.fromisoformat(body["created_at"]).tzinfo is not None
    assert verify(secret, got.headers["Stoop-Signature"], got.body)
    # What the recipe refuses: another secret, a changed body, an old signature, junk.
    assert not verify(secret + "x", got.headers["Stoop-Signature"], got.body)
    assert not verify(secret, got.headers["Stoop-Signature"], got.body + b" ")
    old = int(time.time()) - 301
    from panel.webhooks.signing import signature_header

    assert not verify(secret, signature_header(secret, got.body, old), got.body)
    assert verify(secret, signature_header(secret, got.body, old + 10), got.body)
    for junk in ("", "t=1", "v1=ab", "t=x,v1=ab", "nonsense"):
        assert not verify(secret, junk, got.body)
    [sent] = deliveries(db_session)
    assert sent.state == "delivered" and sent.attempts == 1 and sent.delivered_at


def test_500_twice_then_200_is_three_attempts_logged_on_the_api_and_the_page(
    app, db_session, admin, webhook, receiver, admin_client
):
    receiver.answer(500, 500, 200)
    emit_and_commit(db_session, admin.organisation_id, "answer.created", ANSWER)
    assert sweep_until_quiet(app) == 2

    assert len(receiver.requests) == 3
    bodies = {r.body for r in receiver.requests}
    assert len(bodies) == 1, "every attempt sends the same body"
    [sent] = deliveries(db_session)
    assert (sent.state, sent.attempts, sent.last_status) == ("delivered", 3, 200)
    log = attempts_of(db_session, sent.id)
    assert [a.status_code for a in log] == [500, 500, 200]
    assert log[0].error == "HTTP 500: nope" and log[2].error is None
    assert all(a.duration_ms >= 0 and a.attempted_at for a in log)

    from tests.factories import api_headers

    page = admin_client.get(
        f"/api/v1/webhooks/{webhook.id}/deliveries", headers=api_headers(admin)
    ).get_json()
    [item] = page["items"]
    assert item["state"] == "delivered" and item["id"] == sent.uuid
    assert [a["status_code"] for a in item["log"]] == [500, 500, 200]
    assert item["log"][0]["error"] == "HTTP 500: nope"
    assert item["payload"]["data"] == ANSWER

    html = admin_client.get(f"/app/settings/webhooks/{webhook.id}").get_data(as_text=True)
    statuses = re.findall(r'<strong class="attempt-status">(\d+)</strong>', html)
    assert statuses == ["500", "500", "200"]
    assert "HTTP 500: nope" in html


def test_a_delivered_event_is_never_sent_again(app, db_session, admin, webhook, receiver):
    emit_and_commit(db_session, admin.organisation_id, "answer.created", ANSWER)
    [sent] = deliveries(db_session)
    from panel.core.celery import dispatch
    from panel.webhooks import tasks

    dispatch(tasks.deliver, sent.id)  # a redelivered task
    dispatch(tasks.deliver, sent.id)
    assert sweep(app) == 0
    assert len(receiver.requests) == 1
    assert len(attempts_of(db_session, sent.id)) == 1


def test_a_redirect_a_timeout_and_a_closed_port_are_failures(
    app, db_session, admin, receiver, settings, monkeypatch
):
    monkeypatch.setattr(settings, "webhook_timeout_seconds", 0.3)
    hook, _ = make_webhook(db_session, admin, receiver.url, ["send.finished"])
    closed, _ = make_webhook(db_session, admin, "http://127.0.0.1:9/", ["send.finished"])
    receiver.answer(302)
    emit_and_commit(db_session, admin.organisation_id, "send.finished", {"send": {"id": 1}})
    receiver.delay = 0.6
    sweep(app)
    receiver.delay = 0

    by_hook = {d.webhook_id: d for d in deliveries(db_session)}
    redirected, timed_out = attempts_of(db_session, by_hook[hook.id].id)
    assert redirected.status_code == 302 and "redirects are not followed" in redirected.error
    assert timed_out.status_code is None and "Timeout" in timed_out.error
    refused = attempts_of(db_session, by_hook[closed.id].id)[0]
    assert refused.status_code is None and refused.error
    assert by_hook[hook.id].state == "pending"
    assert len(receiver.requests) == 2, "the redirect was not followed"


def test_only_active_webhooks_of_the_organisation_that_want_the_event_get_it(
    db_session, admin, receiver, settings
):
    wants, _ = make_webhook(db_session, admin, receiver.url, ["answer.created"])
    make_webhook(db_session, admin, receiver.url, ["send.finished"])
    off, _ = make_webhook(db_session, admin, receiver.url, ["answer.created"])
    with scoped_to(db_session, admin.organisation_id):
        health.disable(db_session, off.id, health.DisabledReason.BY_ADMIN, utcnow())
        db_session.commit()
    other = UserFactory(organisation=OrganisationFactory(), admin=True)
    make_webhook(db_session, other, receiver.url, ["answer.created"])

    emit_and_commit(db_session, admin.organisation_id, "answer.created", ANSWER)
    assert [d.webhook_id for d in deliveries(db_session)] == [wants.id]
    assert len(receiver.requests) == 1
    with pytest.raises(ValueError, match="unknown webhook event"):
        emit_and_commit(db_session, admin.organisation_id, "answer.deleted", {})


def test_repeated_failure_switches_the_webhook_off_and_tells_the_admins(
    app, db_session, admin, webhook, receiver, settings, smtp_server, monkeypatch
):
    monkeypatch.setattr(settings, "webhook_disable_after", 2)
    monkeypatch.setattr(settings, "smtp_url", smtp_server.url)
    UserFactory(organisation=admin.organisation, name="Staff, not admin")
    receiver.default = 500
    for n in range(3):
        emit_and_commit(db_session, admin.organisation_id, "answer.created", {"n": n})
    sweep_until_quiet(app)

    # Two deliveries used every attempt; the third was failed when the webhook went off.
    states = [(d.state, d.attempts) for d in deliveries(db_session)]
    assert states[:2] == [("failed", delivery.MAX_ATTEMPTS)] * 2
    assert states[2][0] == "failed" and states[2][1] < delivery.MAX_ATTEMPTS
    hook = fresh(db_session, Webhook, webhook.id)
    assert not hook.is_active and hook.disabled_reason == "failed_deliveries"
    assert hook.failure_streak == 2
    requests = len(receiver.requests)

    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == admin.email
    assert "switched off" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert receiver.url in text and f"/app/settings/webhooks/{webhook.id}" in text

    emit_and_commit(db_session, admin.organisation_id, "answer.created", {"n": 4})
    sweep_until_quiet(app)
    assert len(receiver.requests) == requests, "nothing goes to a webhook that is off"
    assert len(smtp_server.received) == 1


def test_failing_for_more_than_three_days_switches_it_off(
    app, db_session, admin, webhook, receiver, settings, email_outbox
):
    db_session.execute(
        sa.update(Webhook)
        .where(Webhook.id == webhook.id)
        .values(failing_since=utcnow() - dt.timedelta(days=3, minutes=1))
    )
    db_session.commit()
    receiver.answer(503)
    emit_and_commit(db_session, admin.organisation_id, "answer.created", ANSWER)

    hook = fresh(db_session, Webhook, webhook.id)
    assert not hook.is_active and hook.disabled_reason == "failing_days"
    [sent] = deliveries(db_session)
    assert sent.state == "failed" and sent.attempts == 1
    assert "switched off" in email_outbox.last(admin.email).subject


def test_a_success_ends_the_run_of_failures(app, db_session, admin, webhook, receiver):
    receiver.answer(500)
    emit_and_commit(db_session, admin.organisation_id, "answer.created", ANSWER)
    assert fresh(db_session, Webhook, webhook.id).failing_since is not None
    sweep_until_quiet(app)
    hook = fresh(db_session, Webhook, webhook.id)
    assert hook.failing_since is None and hook.failure_streak == 0 and hook.last_success_at


def test_a_worker_that_died_mid_post_leaves_a_delivery_the_sweep_sends_again(
    app, db_session, admin, webhook, receiver, settings
):
    with scoped_to(db_session, admin.organisation_id):
        from panel.webhooks import service

        service.emit(db_session, admin.organisation_id, "answer.created", ANSWER)
        db_session.flush()
        [row] = deliveries(db_session)
        db_session.info.pop("stoop.pending_tasks", None)  # the task is lost with its worker
        db_session.commit()
        claimed = delivery.claim(db_session, row.id, utcnow(), settings)
    assert claimed is not None and fresh(db_session, WebhookDelivery, row.id).state == "sending"
    assert sweep(app) == 0, "its lease still holds"
    db_session.execute(
        sa.update(WebhookDelivery)
        .where(WebhookDelivery.id == row.id)
        .values(lease_until=utcnow() - dt.timedelta(seconds=1))
    )
    db_session.commit()
    assert sweep(app) == 1
    assert fresh(db_session, WebhookDelivery, row.id).state == "delivered"
    assert len(receiver.requests) == 1


def test_two_sweeps_at_once_send_each_delivery_once(make_app, database_factory, receiver, tmp_path):
    """Two beats running the job at the same moment, on a database of their own (real
    commits, two connections): every delivery reaches the receiver exactly once."""
    other = make_app(database_url=database_factory(), webhook_retry_base_seconds=0.0)
    with other.app_context():
        session = db.session()
        organisation = OrganisationFactory(name="Parallell AB")
        admin = UserFactory(organisation=organisation, admin=True)
        with scoped_to(session, organisation.id):
            from panel.webhooks import service

            service.create_webhook(session, admin, url=receiver.url, events=["answer.created"])
            session.commit()
            for n in range(30):
                service.emit(session, organisation.id, "answer.created", {"n": n})
            session.info.pop("stoop.pending_tasks", None)  # leave them all to the sweeps
            session.commit()

    barrier = threading.Barrier(2)
    found: list[int] = []

    def run() -> None:
        barrier.wait()
        found.append(sweep(other))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(found) == 30
    numbers = sorted(json.loads(r.body)["data"]["n"] for r in receiver.requests)
    assert numbers == list(range(30))
