"""The dev mailbox at /app/dev/outbox: what a demo user opens to read the e-mail Stoop "sent"."""

from __future__ import annotations

import sqlalchemy as sa

from notifications.dispatch import queue_email, queue_sms
from notifications.models import DeliveryState, OutboundMessage
from tests.factories import OrganisationFactory, UserFactory, login

OUTBOX = "/app/dev/outbox"


def send_reset_mail(db_session, org, to="anna@example.org"):
    queue_email(
        db_session,
        organisation_id=org.id,
        to=to,
        subject="Reset your Stoop password",
        text="Choose a new password: http://127.0.0.1:5000/reset/tok3n\n",
        html='<p>Choose a <a href="http://127.0.0.1:5000/reset/tok3n">new password</a>.</p>'
        "<script>document.title='owned'</script>",
        purpose="password-reset",
        dedupe_key=f"reset-{to}",
    )
    db_session.commit()


def send_sms(db_session, org, text="Hej! Vad tycker du om gården?"):
    queue_sms(
        db_session,
        organisation_id=org.id,
        to="+46701234567",
        text=text,
        purpose="question",
        dedupe_key=f"sms-{text}",
    )
    db_session.commit()


def test_it_needs_a_login(client):
    response = client.get(OUTBOX)

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_an_empty_outbox_explains_what_will_show_up(client, db_session, org, email_outbox):
    login(client, UserFactory(organisation=org))

    page = client.get(OUTBOX).get_data(as_text=True)

    assert "No e-mail yet" in page
    assert "Password resets" in page
    assert "No SMS yet" in page


def test_it_lists_the_organisations_email_and_sms(client, db_session, org, email_outbox):
    send_reset_mail(db_session, org)
    send_sms(db_session, org)
    other = OrganisationFactory()
    send_reset_mail(db_session, other, to="someone@elsewhere.example")
    send_sms(db_session, other, text="Another company's SMS")
    login(client, UserFactory(organisation=org))

    response = client.get(OUTBOX)

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "anna@example.org" in page and "Reset your Stoop password" in page
    assert "+46701234567" in page and "Vad tycker du om gården?" in page
    assert "someone@elsewhere.example" not in page
    assert "Another company" not in page


def test_a_mail_shows_its_text_links_and_a_sandboxed_html_part(
    client, db_session, org, email_outbox
):
    send_reset_mail(db_session, org)
    login(client, UserFactory(organisation=org))
    mail = email_outbox.last("anna@example.org")

    response = client.get(f"{OUTBOX}/mail/{mail.name}")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Choose a new password" in page
    assert '<a href="http://127.0.0.1:5000/reset/tok3n">' in page
    assert f'src="{OUTBOX}/mail/{mail.name}/html"' in page
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox"' in page
    assert "<script>" not in page


def test_the_html_part_is_served_under_a_policy_that_runs_no_script(
    client, db_session, org, email_outbox
):
    send_reset_mail(db_session, org)
    login(client, UserFactory(organisation=org))
    mail = email_outbox.last("anna@example.org")

    response = client.get(f"{OUTBOX}/mail/{mail.name}/html")

    policy = response.headers["Content-Security-Policy"]
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "default-src 'none'" in policy and "sandbox" in policy
    assert "allow-scripts" not in policy and "script-src" not in policy
    assert '<base target="_blank">' in response.get_data(as_text=True)


def test_another_organisations_mail_is_404(client, db_session, org, email_outbox):
    other = OrganisationFactory()
    send_reset_mail(db_session, other, to="someone@elsewhere.example")
    theirs = email_outbox.last("someone@elsewhere.example")
    login(client, UserFactory(organisation=org))

    assert client.get(f"{OUTBOX}/mail/{theirs.name}").status_code == 404
    assert client.get(f"{OUTBOX}/mail/{theirs.name}/html").status_code == 404
    assert client.get(f"{OUTBOX}/mail/..%2F..%2Fstoop.sqlite3").status_code == 404
    assert client.get(f"{OUTBOX}/mail/nothing.eml").status_code == 404


def test_with_smtp_and_twilio_configured_it_is_404(
    client, db_session, org, use_smtp, use_twilio, settings
):
    login(client, UserFactory(organisation=org))

    assert client.get(OUTBOX).status_code == 404


def test_with_only_twilio_configured_it_still_shows_email(
    client, db_session, org, use_twilio, email_outbox
):
    send_reset_mail(db_session, org)
    login(client, UserFactory(organisation=org))

    page = client.get(OUTBOX).get_data(as_text=True)

    assert "Reset your Stoop password" in page
    assert "SMS go out through Twilio" in page


def test_messages_that_did_not_go_out_are_shown_too(client, db_session, org, email_outbox):
    send_reset_mail(db_session, org, to="lost@example.org")
    send_reset_mail(db_session, org, to="delivered@example.org")
    lost = db_session.scalar(
        sa.select(OutboundMessage).where(OutboundMessage.recipient == "lost@example.org")
    )
    lost.state = DeliveryState.UNKNOWN
    lost.error = "the delivery was interrupted; it may or may not have reached the recipient"
    other = OrganisationFactory()
    send_reset_mail(db_session, other, to="theirs@elsewhere.example")
    theirs = db_session.scalar(
        sa.select(OutboundMessage).where(OutboundMessage.recipient == "theirs@elsewhere.example")
    )
    theirs.state = DeliveryState.FAILED
    db_session.commit()
    login(client, UserFactory(organisation=org))

    page = client.get(OUTBOX).get_data(as_text=True)

    assert "Not delivered" in page
    assert "lost@example.org" in page and "may or may not have reached" in page
    assert "will not send it again by itself" in page
    assert "theirs@elsewhere.example" not in page


def test_with_everything_delivered_there_is_no_not_delivered_list(
    client, db_session, org, email_outbox
):
    send_reset_mail(db_session, org)
    login(client, UserFactory(organisation=org))

    page = client.get(OUTBOX).get_data(as_text=True)

    assert "Not delivered" not in page
