"""The one render-and-queue call: shared templates in each recipient's language, personal
values, thousands of rows in one statement, delivery tasks per batch, and as few database round
trips per message as the at-most-once guarantee needs."""

from __future__ import annotations

import contextlib
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
from tests.factories import ContactFactory

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
    claim = re.compile(r"UPDATE outbound_message SET state=\S+, claim_token")
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


def test_delivery_makes_one_database_round_trip_per_message(db_session, org, use_smtp):
    count = 50
    messages.queue(
        db_session,
        organisation_id=org.id,
        template=TEMPLATE,
        purpose="question",
        recipients=[recipient(n) for n in range(count)],
        context=CONTEXT,
    )
    with counting_statements() as statements:
        db_session.commit()

    writes = [s for s in statements if s.startswith("UPDATE outbound_message")]
    reads = [s for s in statements if s.startswith("SELECT") and "FROM outbound_message" in s]
    # Per batch: the task finds its organisation, claims the rows (reading them back in the
    # same statement), and records the last outcome; per message one statement records the
    # previous outcome and marks the next. (Each commit is a SAVEPOINT here: the test's own
    # transaction.)
    assert len(writes) == 1 + count + 1
    assert len(reads) == 1
    assert len(use_smtp.received) == count
    rows = db_session.scalars(sa.select(OutboundMessage)).all()
    assert {(r.state, r.attempts, r.lease_until) for r in rows} == {(DeliveryState.SENT, 1, None)}
    assert all(r.sent_at <= utcnow() for r in rows)
