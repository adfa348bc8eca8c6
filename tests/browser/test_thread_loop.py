"""The core loop end to end, as the people in it live it, with real providers on loopback:

- by SMS: a tenant answers an SMS question through the Twilio double → the question's owner gets
  the notice e-mail in the SMTP server → opens its link in Chromium and replies → the double
  receives the reply SMS to the tenant's number → the tenant's next SMS lands in the same thread;
- by e-mail: a panel member answers on the web → the owner replies in Chromium → the member's
  e-mail arrives with the thread's own Reply-To → their answer, written in Gmail's Swedish
  format above the quoted reply, is posted raw to ``/hooks/email/inbound`` and appears in the
  thread without the quote.
"""

from __future__ import annotations

import datetime as dt
import re
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import pytest
import requests
import sqlalchemy as sa

from notifications.senders import add_sender_number
from panel.contacts.models import Contact
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.questions.models import QuestionStatus
from panel.sends.models import Invitation
from panel.sends.service import new_token
from panel.threads.models import Comment, Thread
from tests.browser.staff_site import log_in
from tests.factories import OrganisationFactory, UserFactory
from tests.fixtures.browser import screenshot
from tests.questions.conftest import make_question

pytestmark = [pytest.mark.browser, pytest.mark.postgres_too]

SECRET = "inbound-secret-for-the-loop-0123456789"
LINK = re.compile(r"https?://\S+?/app/threads/(\d+)")


@pytest.fixture
def providers(monkeypatch, live_server, smtp_server, twilio_double):
    settings = live_server.app.config["STOOP"]
    monkeypatch.setattr(settings, "smtp_url", smtp_server.url)
    monkeypatch.setattr(settings, "inbound_email_secret", SECRET)
    for name, value in twilio_double.settings().items():
        monkeypatch.setattr(settings, name, value)
    smtp_server.clear()
    twilio_double.reset()
    return smtp_server, twilio_double


def _seed(live_server, twilio, *, name: str, channel: str, phone: str | None, email: str | None):
    """An organisation with its number, an asker, a live question and a tenant invited to it."""
    with live_server.app_context() as session:
        organisation = OrganisationFactory(name=name, default_language="sv")
        staff = UserFactory(organisation=organisation, name="Anna Berg", locale="en")
        question = make_question(
            staff,
            title="Hur fungerar hissen i ert trapphus?",
            status=QuestionStatus.LIVE,
            published_at=utcnow(),
            answer_modes=["score", "text"],
        )
        with scoped_to(session, organisation.id):
            if channel == "sms":
                add_sender_number(session, organisation.id, twilio.phone_number)
            tenant = Contact(
                organisation_id=organisation.id,
                name="Zeynep Yılmaz",
                phone=phone,
                email=email,
                language="sv",
            )
            session.add(tenant)
            session.flush()
            now = utcnow()
            invitation = Invitation(
                organisation_id=organisation.id,
                token=new_token(),
                question_id=question.id,
                contact_id=tenant.id,
                channel=channel,
                created_at=now,
                expires_at=now + dt.timedelta(days=30),
            )
            session.add(invitation)
            session.commit()
        return staff.email, invitation.token


def _thread(live_server, thread_id: int) -> tuple[Thread, list[Comment]]:
    with live_server.app_context() as session:
        thread = session.get(Thread, thread_id)
        comments = list(
            session.scalars(
                sa.select(Comment).where(Comment.thread_id == thread_id).order_by(Comment.id)
            )
        )
        session.expunge_all()
        return thread, comments


def _reply_in_the_app(page, email: str, link: str, text: str) -> None:
    log_in(page, email)
    page.goto(link)
    page.get_by_label("Your reply").fill(text)
    page.get_by_role("button", name="Send reply").click()
    page.locator(".entry", has_text=text).wait_for()


def test_sms_answer_notice_reply_and_follow_up(live_server, providers, page):
    smtp, twilio = providers
    tenant_phone = "+46701234567"
    email, _token = _seed(
        live_server,
        twilio,
        name="Bostadsbolaget Hissen",
        channel="sms",
        phone=tenant_phone,
        email=None,
    )
    hook = live_server.app.config["STOOP"].base_url + "/hooks/twilio/sms"

    # The tenant answers the SMS question.
    response = twilio.send_inbound_sms(
        live_server.url, hook, from_=tenant_phone, body="4 hissen stannar mellan våningarna"
    )
    assert response.status_code == 200

    # The owner is told by e-mail, with a link to the thread.
    [notice] = smtp.wait_for(1)
    assert notice["To"] == email
    text = notice.get_body(("plain",)).get_content()
    assert "hissen stannar mellan våningarna" in text
    link = LINK.search(text)
    assert link, text
    thread_id = int(link.group(1))

    # The owner replies in the app; the reply goes by SMS to the tenant's number.
    reply = "Tack Zeynep! Hissteknikern kommer i morgon förmiddag."
    _reply_in_the_app(page, email, link.group(0), reply)
    sent = [m for m in twilio.messages if m.to == tenant_phone]
    assert [m.body for m in sent] and reply in sent[-1].body
    screenshot(page, "thread_loop_sms")

    # The tenant's next SMS is a follow-up in the same thread.
    twilio.send_inbound_sms(
        live_server.url, hook, from_=tenant_phone, body="Tack, jag är hemma efter nio."
    )
    thread, comments = _thread(live_server, thread_id)
    assert [c.kind for c in comments] == ["reply", "follow_up"]
    assert comments[1].body == "Tack, jag är hemma efter nio." and comments[1].channel == "sms"
    assert thread.status == "open"
    page.reload()
    assert page.locator(".entry", has_text="Tack, jag är hemma efter nio.").is_visible()


def _gmail_reply(received: EmailMessage, sender: str, text: str) -> bytes:
    """What Gmail in Swedish sends when the tenant answers ``received``: their words, then the
    attribution line and the quoted message."""
    quoted = "\n".join(
        "> " + line for line in received.get_body(("plain",)).get_content().splitlines()
    )
    when = "mån 1 dec. 2026 kl 14:02"
    message = EmailMessage()
    message["From"] = f"Zeynep Yılmaz <{sender}>"
    message["To"] = received["Reply-To"]
    message["Subject"] = "Sv: " + received["Subject"]
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain="mail.gmail.com")
    message["In-Reply-To"] = received["Message-ID"]
    message.set_content(f"{text}\n\nDen {when} skrev {received['From']}:\n\n{quoted}\n")
    return message.as_bytes()


def test_panel_member_answer_reply_by_e_mail_and_the_answer_to_it(live_server, providers, page):
    smtp, _twilio = providers
    tenant_email = "zeynep.yilmaz@example.se"
    email, token = _seed(
        live_server,
        None,
        name="Bostadsbolaget Tvättstugan",
        channel="email",
        phone=None,
        email=tenant_email,
    )

    # The member answers on the web page behind their personal link.
    page.goto(f"/a/{token}")
    page.fill("textarea[name=text]", "Hissen stannar ofta på plan 3.")
    page.click("form button[type=submit].big")
    page.wait_for_url(re.compile(r"/thanks/"))
    [notice] = smtp.wait_for(1)
    link = LINK.search(notice.get_body(("plain",)).get_content())
    thread_id = int(link.group(1))
    page.context.clear_cookies()

    # The owner replies; the member's e-mail carries the thread's own reply-to address.
    reply = "Tack för att du berättar! Vi har beställt en service av hissen."
    _reply_in_the_app(page, email, link.group(0), reply)
    [mail] = [m for m in smtp.wait_for(2) if m["To"] == tenant_email]
    thread, _ = _thread(live_server, thread_id)
    assert mail["Reply-To"].startswith(f"reply+{thread.token}@")
    assert reply in mail.get_body(("plain",)).get_content()

    # The member answers from their mail client; the hook gets the raw message.
    raw = _gmail_reply(mail, tenant_email, "Tack! Den stannade igen i kväll.")
    response = requests.post(
        live_server.url + "/hooks/email/inbound",
        data=raw,
        headers={"Content-Type": "message/rfc822", "Authorization": f"Bearer {SECRET}"},
        timeout=10,
    )
    assert response.status_code in (200, 202), response.text
    thread, comments = _thread(live_server, thread_id)
    assert [c.kind for c in comments] == ["reply", "follow_up"]
    assert comments[1].body == "Tack! Den stannade igen i kväll."
    assert comments[1].channel == "email"
    page.reload()
    entry = page.locator(".entry", has_text="Den stannade igen i kväll.")
    assert entry.is_visible()
    assert "skrev" not in entry.inner_text()
    screenshot(page, "thread_loop_email")
