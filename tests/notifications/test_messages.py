"""The one render-and-queue call: shared templates in each recipient's language, personal
values, thousands of rows in one statement, delivery tasks per batch, and as few database round
trips per message as the at-most-once guarantee needs."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from notifications import messages
from notifications.dispatch import DELIVERY_BATCH
from notifications.models import DeliveryState, OutboundMessage
from panel.core.db import utcnow
from panel.core.errors import ValidationError
from panel.core.extensions import db
from tests.factories import ContactFactory, OrganisationFactory, system_session

TEMPLATE = "notifications/personal"
CONTEXT = {
    "subject": "En fråga från din hyresvärd",
    "paragraphs": ["Vi vill veta vad du tycker om gården.", "Det tar två minuter."],
    "button": "Svara",
}
NAMES = ["Åsa Öberg", "Ĳsbrand de Vries", "Zeynep Yilmaz", "Wojciech Wróblewski"]
LANGUAGES = ["sv", "nl", "en"]


def recipient(n: int, **changes) -> messages.Recipient:
    values = {"name": NAMES[n % 4], "link": f"https://stoop.example/a/tok{n:05d}"}
    fields = {
        "address": f"hyresgast{n}@example.se",
        "dedupe_key": f"send-1:{n}",
        "language": LANGUAGES[n % 3],
        "values": values,
    }
    fields.update(changes)
    return messages.Recipient(**fields)


@contextlib.contextmanager
def counting_statements():
    """Every SQL statement the app's engine runs in the block (what reaches the database)."""
    seen: list[str] = []
    engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def test_each_recipient_gets_the_template_in_their_language_with_their_own_values(
    db_session, org, email_outbox
):
    ids = messages.queue(
        db_session,
        organisation_id=org.id,
        template=TEMPLATE,
        purpose="question",
        recipients=[recipient(n) for n in range(3)],
        context=CONTEXT,
        ref="question:12",
    )
    db_session.commit()

    assert len(ids) == 3
    swedish = email_outbox.last("hyresgast0@example.se")
    dutch = email_outbox.last("hyresgast1@example.se")
    english = email_outbox.last("hyresgast2@example.se")
    assert swedish.text.startswith("Hej Åsa Öberg,")
    assert dutch.text.startswith("Hallo Ĳsbrand de Vries,")
    assert english.text.startswith("Hello Zeynep Yilmaz,")
    assert swedish.links == ["https://stoop.example/a/tok00000"]
    assert 'href="https://stoop.example/a/tok00001"' in dutch.html
    assert swedish.subject == "En fråga från din hyresvärd"
    assert swedish.message["Content-Language"] == "sv"
    rows = db_session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)).all()
    assert {row.ref for row in rows} == {"question:12"}
    assert [row.language for row in rows] == ["sv", "nl", "en"]


def test_personal_values_are_escaped_in_html_and_kept_as_typed_in_text(
    db_session, org, email_outbox
):
    tricky = recipient(0, values={"name": '<b>Åsa</b> & "Co"', "link": "https://x.y/a?b=1&c=2"})

    messages.queue(
        db_session,
        organisation_id=org.id,
        template=TEMPLATE,
        purpose="question",
        recipients=[tricky],
        context=CONTEXT,
    )
    db_session.commit()

    mail = email_outbox.last()
    assert 'Hej <b>Åsa</b> & "Co",' in mail.text
    assert "&lt;b&gt;Åsa&lt;/b&gt; &amp; &#34;Co&#34;" in mail.html
    assert 'href="https://x.y/a?b=1&amp;c=2"' in mail.html
    assert "<b>Åsa</b>" not in mail.html


def test_a_template_value_the_recipient_lacks_is_refused_before_anything_is_stored(db_session, org):
    with pytest.raises(ValidationError, match=r"to\.link"):
        messages.queue(
            db_session,
            organisation_id=org.id,
            template=TEMPLATE,
            purpose="question",
            recipients=[recipient(0, values={"name": "Åsa"})],
            context=CONTEXT,
        )

    assert db_session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


def test_contacts_are_recorded_so_erasure_finds_every_message(db_session, org, email_outbox):
    contact = ContactFactory(organisation=org, email="hyresgast0@example.se")

    messages.queue(
        db_session,
        organisation_id=org.id,
        template=TEMPLATE,
        purpose="question",
        recipients=[recipient(0, contact_id=contact.id, ref="thread:7"), recipient(1)],
        context=CONTEXT,
        ref="question:12",
    )
    db_session.commit()

    rows = db_session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)).all()
    assert [(r.contact_id, r.ref) for r in rows] == [
        (contact.id, "thread:7"),
        (None, "question:12"),
    ]
    db_session.delete(contact)
    db_session.commit()
    db_session.expire_all()
    assert db_session.get(OutboundMessage, rows[0].id).contact_id is None  # SET NULL


def test_thousands_of_rows_in_one_statement_and_one_delivery_task_per_batch(
    db_session, org, email_outbox
):
    count = 1_000

    with counting_statements() as statements:
        ids = messages.queue(
            db_session,
            organisation_id=org.id,
            template=TEMPLATE,
            purpose="question",
            recipients=[recipient(n) for n in range(count)],
            context=CONTEXT,
        )
        queued = list(statements)
        db_session.commit()

    inserts = [s for s in queued if s.startswith("INSERT INTO outbound_message")]
    claim = re.compile(r"UPDATE outbound_message SET .*claimed_at=")  # only a claim sets it
    claims = [s for s in statements if claim.match(s)]
    assert len(ids) == count
    assert len(inserts) <= 2  # one statement; the driver sends it in pages of 1,000 rows
    assert not any(s.startswith("SELECT") and "outbound_message" in s for s in queued)
    assert len(claims) == count // DELIVERY_BATCH
    assert len(email_outbox.all()) == count
    states = db_session.scalars(sa.select(OutboundMessage.state).distinct()).all()
    assert states == [DeliveryState.SENT]


def test_queueing_again_skips_everyone_already_written(db_session, org, email_outbox):
    first = messages.queue(
        db_session,
        organisation_id=org.id,
        template=TEMPLATE,
        purpose="question",
        recipients=[recipient(n) for n in range(10)],
        context=CONTEXT,
    )
    db_session.commit()

    again = messages.queue(
        db_session,
        organisation_id=org.id,
        template=TEMPLATE,
        purpose="question",
        recipients=[recipient(n) for n in range(15)],
        context=CONTEXT,
    )
    db_session.commit()

    assert len(first) == 10 and len(again) == 5
    assert len(email_outbox.all()) == 15


@contextlib.contextmanager
def sqlite_trace():
    """Every statement SQLite runs on the app's connection in the block, as SQLite sees it
    (including what the delivery loop sends to the driver directly)."""
    seen: list[str] = []
    driver = db.session().connection().connection.driver_connection
    driver.set_trace_callback(seen.append)
    try:
        yield seen
    finally:
        driver.set_trace_callback(None)


def test_delivery_makes_one_database_round_trip_per_message(db_session, org, use_smtp, is_postgres):
    count = 50
    messages.queue(
        db_session,
        organisation_id=org.id,
        template=TEMPLATE,
        purpose="question",
        recipients=[recipient(n) for n in range(count)],
        context=CONTEXT,
    )
    with counting_statements() as statements, contextlib.ExitStack() as stack:
        traced = [] if is_postgres else stack.enter_context(sqlite_trace())
        db_session.commit()

    # Each commit of the code under test is a savepoint released in the test's transaction.
    commits = [s for s in statements if s.startswith("RELEASE SAVEPOINT")]
    reads = [s for s in statements if s.startswith("SELECT") and "FROM outbound_message" in s]
    # Per batch: the task finds its organisation, claims the rows (reading them back in the
    # same statement), reads the sender, and records the last outcome; per message one commit
    # records the previous outcome and marks the next (on PostgreSQL in one statement, on
    # SQLite, which is no round trip away, in two cheaper ones).
    assert count < len(commits) <= count + 5
    assert len(reads) == 1
    if traced:
        writes = [s for s in traced if s.startswith("UPDATE outbound_message")]
        assert len(writes) == 1 + 2 * count
    assert len(use_smtp.received) == count
    rows = db_session.scalars(sa.select(OutboundMessage)).all()
    assert {(r.state, r.attempts) for r in rows} == {(DeliveryState.SENT, 1)}
    assert all(r.sent_at <= utcnow() for r in rows)


def test_a_live_worker_renews_its_lease_while_it_works_through_a_batch(
    db_session, org, use_smtp, settings, monkeypatch
):
    monkeypatch.setattr(settings, "claim_lease_seconds", 5)
    use_smtp.delay = 0.05  # 60 messages take 3 s: longer than a third of the lease
    messages.queue(
        db_session,
        organisation_id=org.id,
        template=TEMPLATE,
        purpose="question",
        recipients=[recipient(n) for n in range(60)],
        context=CONTEXT,
    )
    db_session.commit()

    rows = db_session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)).all()
    claimed_at = rows[0].claimed_at
    # Rows keep the lease they were handed over under: the last ones under a renewed one.
    assert rows[0].lease_until == claimed_at + dt.timedelta(seconds=5)
    assert rows[-1].lease_until > claimed_at + dt.timedelta(seconds=6)
    assert {r.state for r in rows} == {DeliveryState.SENT}


def test_an_app_bound_to_its_engine_delivers_each_batch_over_a_connection_of_its_own(
    make_app, database_factory, smtp_server
):
    other = make_app(database_url=database_factory(), smtp_url=smtp_server.url)
    with other.app_context():
        session = system_session()
        organisation = OrganisationFactory()
        ids = messages.queue(
            session,
            organisation_id=organisation.id,
            template=TEMPLATE,
            purpose="question",
            recipients=[recipient(n) for n in range(150)],
            context=CONTEXT,
        )
        session.commit()
        rows = session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)).all()

    assert len(ids) == 150
    assert {(r.state, r.attempts) for r in rows} == {(DeliveryState.SENT, 1)}
    assert len(smtp_server.received) == 150
    assert smtp_server.connections == 2  # a batch of 100 and one of 50
