"""The events rooms emit: ``answer.created`` once per answer however often it is delivered,
carrying who answered only with the tenant's consent; ``send.finished`` once a send is out."""

from __future__ import annotations

import json
import re
from typing import Any

from panel.answers.service import Consent, Given, record_answer
from panel.core.scoping import scoped_to
from panel.sends.service import create_send
from tests.sends.conftest import tenants
from tests.webhooks.conftest import make_webhook

SUBMISSION = re.compile(r'name="submission" value="([^"]+)"')


def bodies(receiver: Any, event: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.requests if r.headers["Stoop-Event"] == event]


def test_an_answer_sent_twice_is_one_event_and_names_the_tenant_who_allowed_it(
    client, db_session, staff, question, tenant, invitation_of, receiver, settings
):
    make_webhook(db_session, staff, receiver.url, ["answer.created"])
    invitation = invitation_of(question, tenant, channel="sms")
    page = client.get(f"/a/{invitation.token}").get_data(as_text=True)
    form = {
        "submission": SUBMISSION.findall(page)[0],
        "text": "Dörren till cykelrummet kärvar.",
        "score": "6",
        "consent_identity": "1",
    }
    first = client.post(f"/a/{invitation.token}", data=form)
    second = client.post(f"/a/{invitation.token}", data=form)
    assert first.status_code == second.status_code == 303

    [event] = bodies(receiver, "answer.created")
    answer = event["data"]["answer"]
    assert answer["question_id"] == question.id and answer["channel"] == "sms"
    assert answer["text"] == "Dörren till cykelrummet kärvar." and answer["score"] == 6
    assert answer["consent"] == {"identity": True, "quote": False, "show_clip": False}
    assert answer["respondent"] == {
        "contact_id": tenant.id,
        "name": "Zeynep Yılmaz",
        "email": "zeynep.yilmaz@example.se",
        "phone": "+46701234567",
    }


def test_without_consent_nothing_names_the_tenant(
    client, db_session, staff, touchpoint_factory, receiver, settings
):
    make_webhook(db_session, staff, receiver.url, ["answer.created"])
    touchpoint = touchpoint_factory()
    page = client.get(f"/t/{touchpoint.slug}").get_data(as_text=True)
    form = {
        "submission": SUBMISSION.findall(page)[0],
        "text": "Mer ljus i trapphuset, tack.",
        "name": "Wojciech Wróblewski",
        "email": "wojciech@example.se",
        "phone": "+46709876543",
        "consent_quote": "1",
    }
    assert client.post(f"/t/{touchpoint.slug}", data=form).status_code == 303

    [got] = [r for r in receiver.requests if r.headers["Stoop-Event"] == "answer.created"]
    answer = json.loads(got.body)["data"]["answer"]
    assert answer["respondent"] is None and answer["consent"]["quote"] is True
    assert answer["text"] == "Mer ljus i trapphuset, tack." and answer["channel"] == "web"
    raw = got.body.decode()
    assert "Wojciech" not in raw and "wojciech@" not in raw and "9876543" not in raw


def test_a_provider_delivering_an_answer_twice_emits_once(
    db_session, scoped, staff, question, receiver, settings
):
    make_webhook(db_session, staff, receiver.url, ["answer.created"])
    for _ in range(2):
        recorded = record_answer(
            scoped,
            question,
            Given(text="Bra", consent=Consent()),
            channel="sms",
            language="sv",
            provider_id="SM0123456789abcdef",
        )
        scoped.commit()
    assert not recorded.created
    assert len(bodies(receiver, "answer.created")) == 1


def test_a_send_that_has_gone_out_is_one_send_finished(
    db_session, organisation, staff, question, panel_of, receiver, settings
):
    make_webhook(db_session, staff, receiver.url, ["send.finished", "answer.created"])
    panel = panel_of(tenants(organisation, 3, phone=False))
    with scoped_to(db_session, organisation.id):
        send = create_send(db_session, staff, question, panel, channels=["email"])
        db_session.commit()

    [event] = bodies(receiver, "send.finished")
    data = event["data"]["send"]
    assert data["id"] == send.id and data["status"] == "sent"
    assert data["invited"] == 3 and data["panel_id"] == panel.id
    assert data["channels"] == ["email"] and data["finished_at"]
    assert bodies(receiver, "answer.created") == []


def test_a_reply_a_note_and_a_follow_up_are_comments_and_the_reply_also_a_reply(
    db_session, organisation, staff, question, tenant, invitation_of, receiver, settings
):
    from panel.threads import service as threads
    from panel.threads.service import thread_of_answer

    make_webhook(db_session, staff, receiver.url, ["comment.created", "thread.replied"])
    invitation = invitation_of(question, tenant, channel="sms")
    with scoped_to(db_session, organisation.id):
        answer = record_answer(
            db_session,
            question,
            Given(text="Lampan i källaren är trasig."),
            channel="sms",
            language="sv",
            invitation=invitation,
        ).answer
        thread = thread_of_answer(db_session, answer.id)
        threads.reply(db_session, thread, staff, "Tack, vi byter den i morgon.")
        threads.note(db_session, thread, staff, "Beställt hos elektrikern.")
        threads.follow_up(db_session, thread, "Tack så mycket!", channel="sms")
        db_session.commit()

    comments = bodies(receiver, "comment.created")
    assert [c["data"]["comment"]["kind"] for c in comments] == ["reply", "note", "follow_up"]
    assert {c["data"]["thread"]["id"] for c in comments} == {thread.id}
    [replied] = bodies(receiver, "thread.replied")
    assert replied["data"]["comment"]["body"] == "Tack, vi byter den i morgon."
    assert replied["data"]["thread"]["status"] == "replied"
