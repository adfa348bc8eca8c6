"""Bulk e-mail at the real (loopback) SMTP server: List-Id, List-Unsubscribe and one-click
List-Unsubscribe-Post on every message, the same link in both footers; ``/unsubscribe/<token>``
shows a page in the contact's language and unsubscribes on POST — the page's button or a mail
provider's one-click POST without a CSRF token — once, whatever happens next."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from notifications import messages, optouts
from notifications.dispatch import queue_email
from notifications.models import OptOut, UnsubscribeToken
from panel.contacts.models import ConsentEvent
from tests.factories import ContactFactory, OrganisationFactory

PARAGRAPHS = [
    "Vi på Brf Ängsbacken planerar att bygga om innergården under våren och vill veta vad du "
    "tycker. Ska det bli fler bänkar, en större lekplats eller odlingslådor för alla som bor "
    "här? Titta på den korta filmen där Märta från styrelsen berättar om förslagen.",
    "Svara gärna med en egen video, ljud eller text senast den 15 mars. Alla svar läses av "
    "styrelsen och du får ett personligt svar från oss.",
]


@pytest.fixture
def org(db_session, monkeypatch, settings):
    monkeypatch.setattr(settings, "base_url", "https://stoop.example")
    return OrganisationFactory(name="Brf Ängsbacken", slug="angsbacken")


@pytest.fixture
def åsa(db_session, org):
    return ContactFactory(
        organisation=org, name="Åsa Öberg", email="asa.oberg@example.se", language="sv"
    )


@pytest.fixture
def joop(db_session, org):
    return ContactFactory(
        organisation=org, name="Joop de Vries", email="joop@example.nl", language="nl"
    )


@pytest.fixture
def left(app):
    """A handler for the ``panel-`` lists, as the panels room registers one."""
    seen: list[tuple[int | None, str]] = []
    handlers = app.extensions.setdefault(optouts.UNSUBSCRIBE_KEY, {})
    before = dict(handlers)
    optouts.register_unsubscribe_handler(
        app, "panel-", lambda session, contact_id, key: seen.append((contact_id, key))
    )
    yield seen
    handlers.clear()
    handlers.update(before)


def send(db_session, org, contacts, *, key="ask-1", list_key="panel-12"):
    queued = messages.queue_bulk(
        db_session,
        organisation_id=org.id,
        template="notifications/personal",
        purpose="question",
        list_key=list_key,
        recipients=[
            messages.Recipient(
                address=c.email,
                dedupe_key=f"{key}:{c.id}",
                language=c.language,
                values={"name": c.name, "link": f"https://stoop.example/a/{key}{c.id}"},
                contact_id=c.id,
            )
            for c in contacts
        ],
        context={
            "subject": "Hur vill du ha innergården?",
            "paragraphs": PARAGRAPHS,
            "button": "Svara på frågan",
        },
    )
    db_session.commit()
    return queued


def link_of(message) -> str:
    return message["List-Unsubscribe"].strip("<>")


def path_of(link: str) -> str:
    return link.removeprefix("https://stoop.example")


def test_every_bulk_e_mail_carries_list_headers_and_the_link_in_both_footers(
    db_session, org, åsa, joop, use_smtp
):
    queued = send(db_session, org, [åsa, joop])

    assert (len(queued.ids), queued.skipped) == (2, 0)
    received = {r.rcpt_tos[0]: r for r in use_smtp.received}
    links = set()
    for address in ("asa.oberg@example.se", "joop@example.nl"):
        mail = received[address].message
        assert mail["List-Id"] == "<panel-12.angsbacken.stoop.example>"
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        link = link_of(mail)
        assert re.fullmatch(r"https://stoop\.example/unsubscribe/[A-Za-z0-9_-]{43}", link)
        assert link in mail.get_body(("plain",)).get_content()
        assert f'href="{link}"' in mail.get_body(("html",)).get_content()
        links.add(link)
    assert len(links) == 2
    # The token says nothing of whom it stands for.
    for link in links:
        token = link.rpartition("/")[2]
        assert "asa" not in token.lower() and str(åsa.id) not in token[:3]
    # The raw bytes: the header is on one line each, as SMTP carried it.
    raw = received["asa.oberg@example.se"].raw.decode("ascii")
    assert "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" in raw


def test_the_next_message_of_the_list_carries_the_same_link(db_session, org, åsa, use_smtp):
    send(db_session, org, [åsa], key="ask-1")
    send(db_session, org, [åsa], key="reminder-1")

    first, second = use_smtp.messages
    assert link_of(first) == link_of(second)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(UnsubscribeToken)) == 1


def test_get_shows_a_page_in_the_contacts_language_and_changes_nothing(
    client, db_session, org, åsa, joop, use_smtp
):
    send(db_session, org, [åsa, joop])
    by_address = {m["To"]: m for m in use_smtp.messages}

    swedish = client.get(path_of(link_of(by_address["asa.oberg@example.se"])))
    dutch = client.get(path_of(link_of(by_address["joop@example.nl"])))

    assert swedish.status_code == 200
    page = swedish.get_data(as_text=True)
    assert "Brf Ängsbacken" in page
    assert "Vill du inte få fler sådana här mejl från Brf Ängsbacken?" in page
    assert ">Avregistrera mig</button>" in page
    assert "Wil je geen e-mails als deze meer ontvangen van Brf Ängsbacken?" in dutch.get_data(
        as_text=True
    )
    assert db_session.scalars(sa.select(OptOut)).all() == []


def test_one_click_post_without_csrf_unsubscribes_and_no_later_send_reaches_them(
    app, client, db_session, org, åsa, joop, use_smtp, monkeypatch, left
):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    send(db_session, org, [åsa, joop])
    link = link_of(next(m for m in use_smtp.messages if m["To"] == "asa.oberg@example.se"))

    response = client.post(
        path_of(link),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert "Du är avregistrerad" in response.get_data(as_text=True)
    [row] = db_session.scalars(sa.select(OptOut)).all()
    assert (row.channel, row.contact_id, row.method, row.detail) == (
        "email",
        åsa.id,
        "one_click",
        "panel-12",
    )
    assert left == [(åsa.id, "panel-12")]
    [event] = db_session.scalars(
        sa.select(ConsentEvent).where(ConsentEvent.contact_id == åsa.id)
    ).all()
    assert (event.channel, event.granted, event.method, event.text) == (
        "email",
        False,
        "unsubscribe",
        "panel-12",
    )

    use_smtp.clear()
    later = send(db_session, org, [åsa, joop], key="ask-2", list_key="area-7")
    assert (later.skipped, later.skipped_contact_ids) == (1, frozenset({åsa.id}))
    assert [m["To"] for m in use_smtp.messages] == ["joop@example.nl"]
    # A password reset or a confirmation code is not bulk: it still reaches her.
    queue_email(
        db_session,
        organisation_id=org.id,
        to="asa.oberg@example.se",
        subject="Din bekräftelsekod",
        text="Koden är 482913.",
        purpose="join_confirmation",
        dedupe_key="join-1",
    )
    db_session.commit()
    assert [m["To"] for m in use_smtp.messages][-1] == "asa.oberg@example.se"


def test_unsubscribing_again_changes_nothing(client, db_session, org, åsa, use_smtp, left):
    send(db_session, org, [åsa])
    path = path_of(link_of(use_smtp.messages[0]))

    first = client.post(path)  # the page's button
    second = client.post(path, data={"List-Unsubscribe": "One-Click"})

    assert (first.status_code, second.status_code) == (200, 200)
    assert len(db_session.scalars(sa.select(OptOut)).all()) == 1
    assert left == [(åsa.id, "panel-12")]
    events = db_session.scalars(sa.select(ConsentEvent).where(ConsentEvent.contact_id == åsa.id))
    assert len(events.all()) == 1


def test_a_list_without_a_handler_still_opts_out_of_bulk_e_mail(
    client, db_session, org, åsa, use_smtp
):
    send(db_session, org, [åsa], list_key="newsletter")

    client.post(path_of(link_of(use_smtp.messages[0])), data={"List-Unsubscribe": "One-Click"})

    assert send(db_session, org, [åsa], key="ask-2", list_key="panel-12").skipped == 1


@pytest.mark.parametrize("token", ["A" * 43, "nope", "x" * 300])
def test_an_unknown_token_gets_a_404_page_that_reveals_nothing(client, db_session, token):
    for response in (client.get(f"/unsubscribe/{token}"), client.post(f"/unsubscribe/{token}")):
        assert response.status_code == 404
        page = response.get_data(as_text=True)
        assert "link does not work" in page or "fungerar inte" in page or "werkt niet" in page
        assert "Ängsbacken" not in page


def test_a_list_key_must_fit_a_list_id(db_session, org, åsa):
    from panel.core.errors import ValidationError

    with pytest.raises(ValidationError):
        send(db_session, org, [åsa], list_key="Panel 12")


def test_tokens_of_other_organisations_do_not_mix(client, db_session, org, åsa, use_smtp):
    other = OrganisationFactory(name="Hyresbolaget Norr")
    twin = ContactFactory(organisation=other, name="Åsa Öberg", email="asa.oberg@example.se")
    send(db_session, org, [åsa])
    send(db_session, other, [twin])
    first, second = use_smtp.messages
    assert link_of(first) != link_of(second)

    client.post(path_of(link_of(second)))

    [row] = db_session.scalars(sa.select(OptOut)).all()
    assert (row.organisation_id, row.contact_id) == (other.id, twin.id)


def test_a_bulk_e_mail_to_several_chunks_reaches_each_contact_once_with_their_own_link(
    db_session, org, use_smtp
):
    names = ["Åsa Öberg", "Ĳsbrand de Vries", "Zeynep Yılmaz", "Wojciech Wróblewski"]
    count = messages.BULK_CHUNK * 2 + 37  # written a chunk at a time: three chunks
    contacts = [
        ContactFactory(
            organisation=org,
            name=f"{names[n % 4]} {n}",
            email=f"hyresgast.{n}@example.se",
            language=("sv", "nl")[n % 2],
        )
        for n in range(count)
    ]

    queued = send(db_session, org, contacts)
    again = send(db_session, org, contacts)  # the same send started twice

    assert (len(queued.ids), len(again.ids)) == (count, 0)
    use_smtp.wait_for(count)
    received = {r.rcpt_tos[0]: r.message for r in use_smtp.received}
    assert len(use_smtp.received) == len(received) == count  # each once
    links = {link_of(mail) for mail in received.values()}
    assert len(links) == count  # each their own
    last = received[f"hyresgast.{count - 1}@example.se"]
    assert f"{names[(count - 1) % 4]} {count - 1}" in last.get_body(("plain",)).get_content()
    assert link_of(last) in last.get_body(("plain",)).get_content()
