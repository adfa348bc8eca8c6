"""What reaches the SMTP server, byte for byte: realistic e-mails (20 KB of HTML, long lines,
non-ASCII names, a 200-character subject) arrive intact, with CRLF line endings, over one
connection per batch; the ``.eml`` outbox holds the same bytes."""

from __future__ import annotations

import email
from email import policy

import pytest

from notifications.channels import mime
from notifications.dispatch import Outgoing, queue_email, queue_messages
from notifications.models import Channel, DeliveryState, OutboundMessage
from notifications.senders import configure_sender

# Real names and real punctuation (a dotless i, en dashes) are the point here.
NAMES = ["Åsa Öberg", "Ĳsbrand van der Meer", "Zeynep Yılmaz", "Wojciech Wróblewski"]
SUBJECT = (
    "Hur trivs du i Gröna gården? Svara på tre korta frågor om trapphuset, tvättstugan och "
    "innergården – det tar två minuter och hjälper oss att prioritera årets renoveringar ✓"
)


def newsletter_html(size: int = 20_000) -> str:
    """A tenant newsletter of about ``size`` characters: tables, non-ASCII text, one very long
    line, a line starting with a dot, trailing spaces, an emoji."""
    rows = []
    index = 0
    while sum(map(len, rows)) < size - 4_000:
        name = NAMES[index % len(NAMES)]
        rows.append(
            f'<tr><td style="padding:8px;border-bottom:1px solid #d9e0e1;">{name}</td>'
            f'<td style="padding:8px;">Svar {index}: “Tvättstugan är för liten, vi väntar '
            f"ofta i en timme” — ĳs, çay, żółć &amp; smörgåsbord 🙂</td></tr>\n"
        )
        index += 1
    long_line = "<p>" + "Vi renoverar fasaderna på Storgatan 12–18 under våren. " * 50 + "</p>"
    return (
        '<!doctype html>\n<html lang="sv"><body>\n<h1>Nyheter från gården</h1>\n'
        f"{long_line}\n.<b>En rad som börjar med en punkt</b>   \n"
        "<table>\n" + "".join(rows) + "</table>\n</body></html>\n"
    )


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def unix(text: str) -> str:
    return text.replace("\r\n", "\n")


def assert_smtp_shaped(raw: bytes) -> None:
    """Every line ends in CRLF, none is longer than SMTP allows (998 + CRLF)."""
    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")
    assert all(b"\n" not in line and b"\r" not in line for line in lines), "a bare LF or CR"
    assert max(len(line) for line in lines) <= 998


@pytest.fixture
def branded_org(db_session, org):
    configure_sender(db_session, org.id, email_from_name="Bostads AB Ĳsselmonde & Söner")
    db_session.commit()
    return org


def test_the_smtp_server_receives_a_20_kb_html_email_intact(db_session, branded_org, use_smtp):
    html = newsletter_html()
    text = "Hej Åsa!\n\n" + "Läs hela nyhetsbrevet på webben. " * 200 + "\n.\n-- \nGröna gården\n"
    assert len(html.encode()) > 20_000

    message = queue_email(
        db_session,
        organisation_id=branded_org.id,
        to="asa.oberg@example.se",
        subject=SUBJECT,
        text=text,
        html=html,
        purpose="newsletter",
        dedupe_key="newsletter-2026-11:asa",
        language="sv",
    )
    db_session.commit()
    db_session.refresh(message)

    assert message.state == DeliveryState.SENT, message.error
    [received] = use_smtp.received
    assert_smtp_shaped(received.raw)
    mail = received.message
    assert mail["Subject"] == SUBJECT
    assert mail["From"].addresses[0].display_name == "Bostads AB Ĳsselmonde & Söner"
    assert unix(mail.get_body(("html",)).get_content()) == html
    assert unix(mail.get_body(("plain",)).get_content()) == text


def test_names_and_subjects_survive_each_header_shape(db_session, org, use_smtp):
    subjects = [SUBJECT, "A" * 200, "Kort", " ".join(["ord"] * 70), "Ĳ" * 120]
    for number, subject in enumerate(subjects):
        queue_email(
            db_session,
            organisation_id=org.id,
            to=f"tenant{number}@example.nl",
            subject=subject,
            text=f"Beste {NAMES[number % 4]},\n",
            purpose="test",
            dedupe_key=f"shape-{number}",
            headers={"X-Stoop-Thread": f"Gesprek met {NAMES[number % 4]}"},
        )
    db_session.commit()

    received = sorted(use_smtp.received, key=lambda r: r.rcpt_tos[0])
    assert [r.message["Subject"] for r in received] == subjects
    for number, item in enumerate(received):
        assert_smtp_shaped(item.raw)
        assert item.message["X-Stoop-Thread"] == f"Gesprek met {NAMES[number % 4]}"
        assert item.message.get_content_type() == "text/plain"


def test_the_eml_file_holds_the_bytes_smtp_would_carry(db_session, branded_org, email_outbox):
    html = newsletter_html(8_000)
    message = queue_email(
        db_session,
        organisation_id=branded_org.id,
        to="zeynep@example.org",
        subject=SUBJECT,
        text="Merhaba Zeynep!\n",
        html=html,
        purpose="newsletter",
        dedupe_key="eml-bytes",
    )
    db_session.commit()
    db_session.refresh(message)

    mail = email_outbox.last("zeynep@example.org")
    raw = (email_outbox.path / mail.name).read_bytes()
    assert_smtp_shaped(raw)
    assert mail.subject == SUBJECT
    assert unix(mail.html) == html
    assert mail.message["Message-ID"] == message.provider_id


def test_one_connection_carries_a_whole_batch(db_session, org, use_smtp):
    messages = [
        Outgoing(
            channel=Channel.EMAIL,
            recipient=f"hyresgast{n}@example.se",
            subject=f"Fråga {n} till {NAMES[n % 4]}",
            body_text=f"Hej {NAMES[n % 4]}!\n",
            purpose="question",
            dedupe_key=f"batch-{n}",
            language="sv",
        )
        for n in range(60)
    ]
    use_smtp.reject("hyresgast7@example.se")

    ids = queue_messages(db_session, org.id, messages)
    db_session.commit()

    assert len(ids) == 60
    assert len(use_smtp.received) == 59
    assert use_smtp.connections == 1  # a refused recipient does not cost a new connection
    states = {m.dedupe_key: m.state for m in db_session.query(OutboundMessage)}
    assert states.pop("batch-7") == DeliveryState.FAILED
    assert set(states.values()) == {DeliveryState.SENT}


def test_an_address_that_is_not_ascii_goes_out_with_smtputf8(db_session, org, use_smtp):
    message = queue_email(
        db_session,
        organisation_id=org.id,
        to="åsa@exempel.se",
        subject="Hej",
        text="Hej!",
        purpose="test",
        dedupe_key="utf8-address",
    )
    db_session.commit()
    db_session.refresh(message)

    assert message.state == DeliveryState.SENT, message.error
    [received] = use_smtp.received
    assert received.rcpt_tos == ["åsa@exempel.se"]
    assert received.message["To"] == "åsa@exempel.se"
    assert_smtp_shaped(received.raw)


@pytest.mark.parametrize(
    "value",
    [SUBJECT, "Ĳ" * 100, "🙂 " * 40, "plain ascii", "x" * 300, "Åsa " + "y" * 120],
)
def test_encoded_headers_read_back_as_written(value):
    raw = mime.write_message([("Subject", mime.header_text("Subject", value))], "hej\n", None)

    assert_smtp_shaped(raw)
    assert parsed(raw)["Subject"] == value


@pytest.mark.parametrize("name", [*NAMES, 'Quote "me" \\ please', "Bostads AB, Söner & Co"])
def test_display_names_read_back_as_written(name):
    raw = mime.write_message([("From", mime.mailbox(name, "info@example.se"))], "hej\n", None)

    [address] = parsed(raw)["From"].addresses
    assert (address.display_name, address.addr_spec) == (name, "info@example.se")
