"""Newsletters: one reaches exactly the members of the chosen segment who have not
unsubscribed, once each, by e-mail or SMS (counted at the SMTP server and the Twilio double),
even when "Send" is pressed twice and the task runs again; its web page works logged out and
shows only the quotes tenants allow; bad input gets a 4xx that says why."""

from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa

from notifications.optouts import opt_out
from panel.accounts.models import Role
from panel.contacts.models import Contact
from panel.core.db import utcnow
from panel.core.scoping import scoped_to
from panel.newsletters import service
from panel.newsletters.models import Newsletter
from panel.newsletters.tasks import deliver
from panel.organisations.models import Organisation
from panel.panels.segments import create_segment
from panel.places.models import PlaceKind
from panel.reports.models import Report
from panel.sends.models import Invitation
from tests.factories import (
    OrganisationFactory,
    PlaceFactory,
    UserFactory,
    login,
    make_panel,
    system_session,
)
from tests.newsletters.conftest import make_answer
from tests.questions.conftest import make_question
from tests.sends.conftest import tenants

WEB = re.compile(r"https?://[^\s\"<>]+/n/([A-Za-z0-9_-]+)")
LONG_TEXT = (
    "Tack för alla svar om gården, tvättstugan och belysningen på kvällarna. " * 60
).strip()


def _form(**changes):
    form = {
        "title": "Ni sa, vi gjorde: hösten på Ängsbacken",
        "body": LONG_TEXT,
        "language": "sv",
        "audience": "panel",
        "channels": ["email", "sms"],
        "then": "edit",
    }
    form.update(changes)
    return {k: v for k, v in form.items() if v is not None}


def _created_id(response) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    return int(response.headers["Location"].rstrip("/").split("/")[-2])


def test_a_segment_gets_it_once_each_without_those_who_unsubscribed(
    writer, db_session, organisation, panel_of, mail_and_sms
):
    smtp, twilio = mail_and_sms
    by_mail = tenants(organisation, 300)  # e-mail and a phone; sv, nl, en in turn
    by_sms = tenants(organisation, 60, email=False, start=1000)
    panel = panel_of(by_mail + by_sms)
    session = system_session()
    with scoped_to(session, organisation.id):
        segment = create_segment(session, session.merge(panel), "Svensktalande", languages=["sv"])
        session.commit()
        segment_id = segment.id
    swedish_mail = {f"hyresgast{n}@example.se" for n in range(0, 300, 3)}
    swedish_sms = {f"+4670{n:07d}" for n in range(1002, 1060, 3)}

    first = _created_id(
        writer.post("/app/newsletters/new", data=_form(panel_id=panel.id, segment_id=segment_id))
    )
    assert writer.post(f"/app/newsletters/{first}/send").status_code == 303
    assert {m["To"] for m in smtp.messages} == swedish_mail and len(smtp.messages) == 100
    assert {m.to for m in twilio.messages} == swedish_sms and len(twilio.messages) == 20

    # One unsubscribes with the link of the e-mail (one click); one answers STOP to the SMS.
    leaving = next(m for m in smtp.messages if m["To"] == "hyresgast3@example.se")
    url = leaving["List-Unsubscribe"].strip("<>")
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    assert writer.post(path, data="List-Unsubscribe=One-Click").status_code == 200
    with scoped_to(session, organisation.id):
        opt_out(session, organisation.id, "sms", "+46700001005", method="sms_keyword")
        session.commit()
    smtp.clear()
    twilio.messages.clear()

    second = _created_id(
        writer.post(
            "/app/newsletters/new",
            data=_form(title="Ni sa, vi gjorde: vintern", panel_id=panel.id, segment_id=segment_id),
        )
    )
    confirm = writer.get(f"/app/newsletters/{second}/send").get_data(as_text=True)
    assert "99" in confirm and "19" in confirm
    assert writer.post(f"/app/newsletters/{second}/send").status_code == 303
    assert writer.post(f"/app/newsletters/{second}/send").status_code == 303  # pressed twice
    with scoped_to(session, organisation.id):
        # The task runs again (a redelivery), even mid-way: nobody gets it twice.
        session.execute(
            sa.update(Newsletter).where(Newsletter.id == second).values(status="sending")
        )
        session.commit()
    assert deliver.run(second) == 0
    assert deliver.run(second) == 0

    mail_to = [m["To"] for m in smtp.messages]
    assert sorted(mail_to) == sorted(swedish_mail - {"hyresgast3@example.se"})
    assert sorted(m.to for m in twilio.messages) == sorted(swedish_sms - {"+46700001005"})
    session.expire_all()
    with scoped_to(session, organisation.id):
        newsletter = session.get(Newsletter, second)
    assert newsletter.status == "sent" and newsletter.recipients == 118
    assert newsletter.skipped == {"opted_out": 1}
    message = smtp.messages[0]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert message["Subject"] == "Ni sa, vi gjorde: vintern"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert LONG_TEXT[:200] in text and "/unsubscribe/" in text and "/unsubscribe/" in html
    (token,) = set(WEB.findall(text))
    assert token == newsletter.token
    for sms in twilio.messages:
        assert WEB.findall(sms.body) == [token] and "STOP" in sms.body
        assert len(sms.body) <= 160, sms.body
    progress = writer.get(f"/app/newsletters/{second}/progress").get_json()
    assert progress["written"] == 118 and progress["queued"] == 0 and progress["finished"]
    page = writer.get("/app/newsletters/").get_data(as_text=True)
    assert "Ni sa, vi gjorde: vintern" in page and ">118<" in page


def test_the_web_page_works_logged_out_and_shows_only_consented_quotes(
    writer, client, db_session, organisation, communicator, panel_of, mail_and_sms
):
    smtp, _twilio = mail_and_sms
    panel = panel_of(tenants(organisation, 3, phone=False))
    question = make_question(communicator, title="Hur trivs du på gården?")
    area = PlaceFactory(organisation=organisation, name="Ängsbacken", path="Ängsbacken")
    kept = make_answer(
        organisation.id,
        question.id,
        text="Äntligen ljus på gården!",
        score=9,
        consent_quote=True,
        place_id=area.id,
        respondent_name="Zeynep Yılmaz",
    )
    withdrawn = make_answer(
        organisation.id,
        question.id,
        text="Tvättstugan är alltid full.",
        consent_quote=True,
        score=4,
    )
    for score in (8, 10, 3, 8):
        make_answer(organisation.id, question.id, score=score)
    session = system_session()
    with scoped_to(session, organisation.id):
        report = Report(organisation_id=organisation.id, title="Gården", question_ids=[question.id])
        session.add(report)
        session.commit()
        report_id = report.id
    form = writer.get(f"/app/newsletters/new?report={report_id}").get_data(as_text=True)
    assert f'value="share-{question.id}"' in form and "Tvättstugan är alltid full." in form
    newsletter_id = _created_id(
        writer.post(
            "/app/newsletters/new",
            data=_form(
                panel_id=panel.id,
                report_id=report_id,
                figures=["answers", f"share-{question.id}"],
                quotes=[kept.id, withdrawn.id],
                body="Hej alla!",
            ),
        )
    )
    with scoped_to(session, organisation.id):
        token = session.get(Newsletter, newsletter_id).token
    # A draft has no public page.
    client.post("/logout")
    assert client.get(f"/n/{token}").status_code == 404
    login(client, communicator)
    assert client.post(f"/app/newsletters/{newsletter_id}/send").status_code == 303
    mail = smtp.messages[0].get_body(("plain",)).get_content()
    assert "Äntligen ljus på gården!" in mail and "67 %" in mail
    # The tenant takes back their consent after it was sent: the page no longer shows it.
    with scoped_to(session, organisation.id):
        session.get(type(withdrawn), withdrawn.id).consent_quote = False
        session.commit()
    client.post("/logout")

    response = client.get(f"/n/{token}", headers={"Accept-Language": "sv"})

    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Hej alla!" in page
    assert "Äntligen ljus på gården!" in page and "Ängsbacken" in page
    assert "Tvättstugan" not in page and "Zeynep" not in page
    assert "67 %" in page  # the share at target, as it was when sent
    assert "Vad ni sa till oss" in page and "I siffror" in page
    arabic = client.get(f"/n/{token}?lang=ar").get_data(as_text=True)
    assert "Hej alla!" in arabic and "Vad ni sa till oss" not in arabic
    assert client.get("/n/not-a-real-token").status_code == 404


def test_the_contacts_of_a_place_and_below_it_within_the_fatigue_cap(
    scoped, organisation, communicator, mail_and_sms
):
    smtp, _twilio = mail_and_sms
    area = PlaceFactory(organisation=organisation, name="Norr", path="Norr")
    building = PlaceFactory(
        organisation=organisation,
        kind=PlaceKind.BUILDING,
        name="Hus 1",
        path="Norr / Hus 1",
        parent_id=area.id,
        area_id=area.id,
    )
    elsewhere = PlaceFactory(organisation=organisation, name="Söder", path="Söder")
    ids = tenants(organisation, 4, phone=False)
    for contact_id, place in zip(ids, (area, building, building, elsewhere), strict=True):
        scoped.get(Contact, contact_id).place_id = place.id
    # The cap is one question a month, and one of them was asked one this month.
    scoped.get(Organisation, organisation.id).fatigue_cap = 1
    question = make_question(communicator, title="Hur var sommaren?")
    scoped.add(
        Invitation(
            organisation_id=organisation.id,
            token="t" * 32,
            question_id=question.id,
            contact_id=ids[1],
            channel="email",
            created_at=utcnow(),
            expires_at=utcnow() + dt.timedelta(days=30),
        )
    )
    scoped.commit()
    draft = service.Draft(
        title="Nytt i Norr", body="Hej!", audience="place", place_id=area.id, channels=["email"]
    )
    newsletter = service.create_newsletter(scoped, communicator, draft)
    scoped.commit()
    planned = service.plan(scoped, newsletter)
    assert planned.counts == {"email": 2} and planned.skipped == {"fatigue": 1}

    service.start_sending(scoped, newsletter)
    scoped.commit()

    assert sorted(m["To"] for m in smtp.messages) == [
        "hyresgast0@example.se",
        "hyresgast2@example.se",
    ]
    scoped.refresh(newsletter)
    assert newsletter.recipients == 2 and newsletter.skipped == {"fatigue": 1}
    # A newsletter is not a question: it does not count toward the cap.
    assert service.questions_this_month(scoped, organisation.id, ids, utcnow()) == {ids[1]: 1}


def test_bad_input_gets_a_clear_4xx(writer, client, organisation, panel_of, communicator):
    panel = panel_of(tenants(organisation, 1))
    other = OrganisationFactory(name="Andra Bostäder")
    other_panel = make_panel(other, name="Deras panel")
    other_place = PlaceFactory(organisation=other, name="Deras område", path="Deras område")
    session = system_session()
    with scoped_to(session, other.id):
        other_segment = create_segment(session, session.merge(other_panel), "Alla")
        session.commit()
        other_segment_id = other_segment.id

    cases = [
        (_form(panel_id=other_panel.id), 404, "There is no such panel"),
        (_form(panel_id=panel.id, segment_id=other_segment_id), 404, "There is no such segment"),
        (_form(audience="place", place_id=other_place.id), 404, "There is no such place"),
        (_form(panel_id=panel.id, report_id=99999), 404, "There is no such report"),
        (_form(panel_id=panel.id, title="   "), 422, "Give the newsletter a title"),
        (_form(panel_id=panel.id, channels=None), 422, "Choose at least one channel"),
        (_form(panel_id=panel.id, body="x" * 25_000), 422, "at most 20000 characters"),
        (_form(panel_id=panel.id, language="de"), 422, "Pick one of the languages"),
        (_form(panel_id=panel.id, quotes=["abc"]), 422, "not something you can pick"),
    ]
    for form, status, words in cases:
        response = writer.post("/app/newsletters/new", data=form)
        page = response.get_data(as_text=True)
        assert response.status_code == status, (form, page[:500])
        assert words in page, (words, page[:3000])
    assert writer.get("/app/newsletters/new?report=abc").status_code == 404
    assert writer.get("/app/newsletters/2147483647/edit").status_code == 404
    staff = UserFactory(organisation=organisation, role=Role.STAFF)
    client.post("/logout")
    login(client, staff)
    assert client.get("/app/newsletters/").status_code == 403
